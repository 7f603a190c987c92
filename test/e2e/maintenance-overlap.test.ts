import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { alertRunbookData } from '../support/alert-runbook.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, startBot } from '../support/bot-harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = (v: unknown) => JSON.stringify(v);
const PROCESS = { before: ['Notify users'], during: ['Watch the metrics'], after: ['Smoke test critical paths'] };

describe('overlapping maintenance windows', () => {
  // A scheduled window of 3 s every 8 s, while one opened by hand stays open.
  const runbook = parseRunbook({
    ...alertRunbookData(),
    maintenance: {
      notice_before: '1s',
      process: PROCESS,
      windows: { tick: { title: 'Tick maintenance', schedule: { every: '8s', for: '3s' }, tasks: ['Restart'] } },
    },
  });
  let bot: BotHarness;
  let asked = 0;
  const ask = async (text: string) => {
    const key = `o${++asked}`;
    await bot.command(text, { response_url: bot.fake.responseUrl(key) });
    const reply = await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === key);
    return json(reply.args);
  };
  const posted = (re: RegExp) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && re.test(json(c.args)));
  beforeAll(async () => {
    bot = await startBot({ incidentsChannel: true, runbook });
  });
  afterAll(async () => {
    await sleep(300);
    await bot?.stop();
  });

  it('a scheduled window opening and ending while one opened by hand is open says so, not "as usual again"', async () => {
    // Opened by hand between two ticks (refused while a tick is open: tried again).
    for (let i = 0; ; i++) {
      const reply = await ask('maintenance start db migration');
      if (reply.includes('*db migration* is open')) break;
      expect(i).toBeLessThan(20);
      await sleep(500);
    }
    const startsBefore = posted(/\*Tick maintenance\* has started/).length;
    const endsBefore = posted(/\*Tick maintenance\* has ended/).length;
    await bot.fake.waitFor(
      'chat.postMessage',
      () => posted(/\*Tick maintenance\* has started/).length > startsBefore,
      15_000,
    );
    const started = posted(/\*Tick maintenance\* has started/).at(-1)!;
    expect(String(started.args.text)).toContain(
      'It opens while *db migration* (until `/incident maintenance end`) is still open.',
    );
    await bot.fake.waitFor(
      'chat.postMessage',
      () => posted(/\*Tick maintenance\* has ended/).length > endsBefore,
      10_000,
    );
    const ended = String(posted(/\*Tick maintenance\* has ended/).at(-1)!.args.text);
    expect(ended).not.toContain('Alerts are handled as usual again');
    expect(ended).toContain(
      '*Tick maintenance* has ended, but *db migration* (until `/incident maintenance end`) is still open: alerts the runbook marks `during_maintenance: record` stay recorded, not declared, until it ends.',
    );
    // Ended by hand with nothing else open: handled as usual again.
    await ask('maintenance end');
    const dbEnd = await bot.fake.waitFor('chat.postMessage', (c) => json(c.args).includes('*db migration* has ended'));
    expect(String(dbEnd.args.text)).toContain('Alerts are handled as usual again');
  }, 45_000);
});
