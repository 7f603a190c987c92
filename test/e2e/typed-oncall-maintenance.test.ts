import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, startBot } from '../support/bot-harness.js';
import { stateValue } from '../support/slack-request.js';
import { rotationMaintenanceRunbook } from '../support/test-runbook.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = (v: unknown) => JSON.stringify(v);
const SECRET = 'tok-supersecret-98765';
const LEAK = /supersec|98765/;

/** A COMMAND_ENV value typed in an on-call override and a maintenance window is masked where it is stored and shown. */
describe('secret values typed in on-call overrides and maintenance windows', () => {
  let bot: BotHarness;
  let asked = 0;
  const ask = async (text: string) => {
    const key = `t${++asked}`;
    await bot.command(text, { response_url: bot.fake.responseUrl(key) });
    const reply = await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === key);
    return json(reply.args);
  };
  /** Nothing the bot sent since call `from` holds the value. */
  const nothingSentSince = (from: number) => {
    for (const call of bot.fake.calls.slice(from)) expect(json(call.args), call.method).not.toMatch(LEAK);
  };

  beforeAll(async () => {
    bot = await startBot({
      incidentsChannel: true,
      runbook: rotationMaintenanceRunbook({
        quarterly: { title: 'Quarterly Maintenance', tasks: ['Disaster recovery drill'] },
      }),
      // Through the acknowledging front, as a bot runs by default: a mistake comes through response_url.
      env: { ACK_THREAD: 'on', COMMAND_ENV: 'AUDIT_API_TOKEN', AUDIT_API_TOKEN: SECRET },
    });
  });
  afterAll(async () => {
    await sleep(300);
    await bot?.stop();
  });

  it('the override form and command quote what was typed with the value masked', async () => {
    const from = bot.fake.calls.length;
    const res = await bot.submit({
      callbackId: VIEW.oncallOverride,
      privateMetadata: '',
      userId: 'U0BOB',
      values: {
        [BLOCK.ocPerson]: { [INPUT.person]: stateValue.usersSelect('U0BOB') },
        [BLOCK.ocRole]: { [INPUT.select]: stateValue.staticSelect('on_call', 'On-Call Engineer') },
        [BLOCK.ocFrom]: { [INPUT.text]: stateValue.plainText(SECRET) },
        [BLOCK.ocUntil]: { [INPUT.text]: stateValue.plainText(`until ${SECRET}`) },
      },
    });
    expect(res.json).toMatchObject({
      response_action: 'errors',
      errors: {
        [BLOCK.ocFrom]: expect.stringContaining('from *** is not a time'),
        [BLOCK.ocUntil]: expect.stringContaining('until *** is not a time'),
      },
    });
    expect(json(res.json)).not.toMatch(LEAK);

    expect(await ask(`oncall override <@U0BOB> from ${SECRET} for 2h`)).toContain('`from ***` is not a time');
    expect(await ask(`oncall override <@U0BOB> ${SECRET} 2h`)).toContain('There is no role `***`');
    const { rows } = await bot.db.query('SELECT * FROM oncall_overrides');
    expect(rows).toEqual([]);
    nothingSentSince(from);
  });

  it('a command the bot does not know, or a mistake in one, quotes what was typed with the value masked', async () => {
    const from = bot.fake.calls.length;
    expect(await ask(SECRET)).toContain("I don't know `***`");
    expect(await ask(`sev9 ${SECRET}`)).not.toMatch(LEAK);
    expect(await ask(`playbook --${SECRET}`)).not.toMatch(LEAK);
    nothingSentSince(from);
  });

  it("a window's own title is stored, announced, replied and shown on an incident's card masked", async () => {
    const from = bot.fake.calls.length;
    expect(await ask(`maintenance ${SECRET}`)).toContain('`***` is not a maintenance command');
    expect(await ask(`maintenance start rotate ${SECRET} now`)).toContain('*rotate ∗∗∗ now* is open');
    const { rows } = await bot.db.query<{ title: string }>('SELECT title FROM maintenance_windows');
    expect(rows).toEqual([{ title: 'rotate *** now' }]);
    const started = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('has started'),
    );
    // Shown in bold, the mask's asterisks are look-alikes (∗): the bold closes where the message closes it.
    expect(String(started.args.text)).toContain('*rotate ∗∗∗ now* has started');
    expect(await ask('maintenance start')).toContain('rotate *** now');

    await bot.command('sev3 slow during the window');
    const incident = await (async () => {
      for (let i = 0; i < 200; i++) {
        const { rows } = await bot.db.query<{ channel_id: string; card_ts: string | null; maintenance: string }>(
          "SELECT channel_id, card_ts, maintenance FROM incidents WHERE title = 'slow during the window'",
        );
        if (rows[0]?.card_ts) return rows[0];
        await sleep(50);
      }
      throw new Error('no card');
    })();
    expect(incident.maintenance).toBe('rotate *** now');
    expect(await ask('maintenance end')).toContain('Ended *rotate ∗∗∗ now*');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('has ended'),
    );
    nothingSentSince(from);
  }, 30_000);
});
