import { afterAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, startBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import { testRunbookData } from '../support/test-runbook.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Hand-offs that passed while no timer loop ran (the bot down, a deploy): when the loop runs again, only each role's
 * latest one is announced; the earlier ones are over and are recorded as such, not posted as if they were news.
 */
describe('hand-offs missed while no timer loop ran', () => {
  let bot: BotHarness | undefined;
  afterAll(async () => {
    await bot?.stop();
  });

  it("announces only the role's latest hand-off already past; the earlier ones are recorded, not posted", async () => {
    const data = testRunbookData();
    const roles = data.escalation.roles as Record<string, Record<string, unknown>>;
    const rotation = {
      people: ['U0ALICE', 'U0BOB'],
      shift: '2s',
      handoff: { time_zone: 'UTC' },
      start: new Date().toISOString(),
    };
    roles.on_call = { name: 'On-Call Engineer', contacts: [], rotation };
    bot = await startBot({
      runbook: parseRunbook(data),
      incidentsChannel: true,
      timers: false,
      env: { ONCALL_HANDOFF_NOTICE: '9s' },
    });
    // Three hand-offs pass with no loop running.
    await sleep(6500);
    const loopFrom = new Date();
    bot.timers.start();
    const rowsPast = async () =>
      (
        await bot!.db.query<{
          handoff_at: Date;
          channel_posted_at: Date | null;
          done_at: Date | null;
          last_error: string | null;
        }>(
          'SELECT handoff_at, channel_posted_at, done_at, last_error FROM oncall_handoffs WHERE handoff_at <= $1 ORDER BY handoff_at',
          [loopFrom],
        )
      ).rows;
    // The loop's sweep records the rows: none yet is not "all done" (three hand-offs passed before it ran).
    await eventually(
      async () => {
        const rows = await rowsPast();
        return (rows.length >= 3 && rows.every((r) => r.done_at || r.channel_posted_at)) || undefined;
      },
      'the hand-offs past recorded, each done or announced',
      10_000,
    );
    await bot.timers.stop();
    const past = await rowsPast();
    expect(past.length).toBeGreaterThanOrEqual(3);
    // The latest is announced; every earlier one is done without a post, saying why. On a loaded machine the loop may
    // first run after the next hand-off passed too (shifts are 2 s): then that one is the latest, and is announced.
    const last = past.at(-1)!;
    if (last.channel_posted_at === null) {
      expect([last.done_at !== null, last.last_error]).toEqual([
        true,
        'superseded by a later hand-off before it was announced',
      ]);
      const { rows: later } = await bot.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM oncall_handoffs WHERE handoff_at > $1 AND channel_posted_at IS NOT NULL',
        [last.handoff_at],
      );
      expect(later[0]!.n).toBeGreaterThanOrEqual(1);
    }
    for (const r of past.slice(0, -1)) {
      expect([r.channel_posted_at, r.done_at !== null, r.last_error]).toEqual([
        null,
        true,
        'superseded by a later hand-off before it was announced',
      ]);
    }
    const posted = bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && /Hand-off at/.test(String(c.args.text)));
    // No hand-off before the latest past one when the loop ran was announced (those ahead are announced ahead).
    expect(posted.length).toBeGreaterThanOrEqual(1);
    const { rows: first } = await bot.db.query<{ at: Date }>(
      'SELECT min(handoff_at) AS at FROM oncall_handoffs WHERE channel_posted_at IS NOT NULL',
    );
    expect(first[0]!.at.getTime()).toBeGreaterThanOrEqual(last.handoff_at.getTime());
  }, 30_000);
});

/**
 * A hand-off notice lists the open incidents: a title stored before a value was known secret (an older version, a
 * COMMAND_ENV value configured since) holds it, and the notice masks it as it reads the row, as the card does.
 */
describe("a hand-off notice's open incidents", () => {
  let bot: BotHarness | undefined;
  afterAll(async () => {
    await bot?.stop();
  });

  it('show a title stored before a value was known secret masked', async () => {
    const TOKEN = 'tok-8c1e5a2f7b9d3064';
    const data = testRunbookData();
    const roles = data.escalation.roles as Record<string, Record<string, unknown>>;
    roles.on_call = {
      name: 'On-Call Engineer',
      contacts: [],
      rotation: {
        people: ['U0ALICE', 'U0BOB'],
        shift: '2s',
        handoff: { time_zone: 'UTC' },
        start: new Date().toISOString(),
      },
    };
    bot = await startBot({
      runbook: parseRunbook(data),
      incidentsChannel: true,
      timers: false,
      env: { ONCALL_HANDOFF_NOTICE: '1s', COMMAND_ENV: 'ATOM_API_TOKEN', ATOM_API_TOKEN: TOKEN },
    });
    const opened = await declareThroughBot(bot, 'sev2 checkout failing');
    await bot.db.query('UPDATE incidents SET title = $2 WHERE id = $1', [
      opened.incidentId,
      `checkout failing with key ${TOKEN}`,
    ]);
    bot.timers.start();
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && /Hand-off at/.test(String(c.args.text)),
      15_000,
    );
    await bot.timers.stop();
    const shown = JSON.stringify(notice.args);
    expect(shown).toContain('checkout failing with key ***');
    expect(shown).not.toContain(TOKEN);
  }, 30_000);
});
