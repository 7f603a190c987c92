import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { testRunbookData, WEEKLY_ON_CALL, withRotation } from '../support/test-runbook.js';

/** HH:MM on a zone's clock, `minutes` from now. */
const clock = (minutes: number, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(Date.now() + minutes * 60_000),
  );
/**
 * The clocks the tests of "today" run at, whatever the time they are run (they were skipped near midnight): midday,
 * and a minute before midnight UTC, on the minute, so an hour on is a whole hour (`until` an hour on is then
 * tomorrow's; London's clock is still today's in winter, already tomorrow's in summer). A day after today's, so every
 * time the bot records is ahead of the database's own clock, as it would be, not behind.
 */
const day = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
const CLOCKS = [`${day}T12:00:00Z`, `${day}T23:59:00Z`];

/** Times typed after `until` in `/incident oncall override` and `/incident maintenance start`, through the bot. */
describe('times typed after until', () => {
  let bot: BotHarness;
  let asked = 0;
  const ask = async (text: string) => {
    const key = `t${++asked}`;
    await bot.command(text, { response_url: bot.fake.responseUrl(key) });
    const reply = await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === key);
    return String(reply.args.text ?? JSON.stringify(reply.args));
  };
  const windows = async () =>
    Number((await bot.db.query<{ n: string }>('SELECT count(*) AS n FROM maintenance_windows')).rows[0]!.n);
  const overrides = async () =>
    Number((await bot.db.query<{ n: string }>('SELECT count(*) AS n FROM oncall_overrides')).rows[0]!.n);

  beforeAll(async () => {
    // The bot's clock is the test's (it runs in this process), set per test; it goes on running from there. The
    // acknowledging front is off: its thread's clock is not this one, and it would refuse the requests as stale.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    const data = withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', WEEKLY_ON_CALL);
    bot = await startBot({
      runbook: parseRunbook({ ...data, maintenance: { notice_before: '1h' } }),
      env: { ACK_THREAD: 'off' },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    vi.useRealTimers();
  });

  it.each(CLOCKS)(
    'maintenance: an until that passed half an hour ago is refused naming it, not a window of almost a day (at %s)',
    async (at) => {
      vi.setSystemTime(new Date(at));
      const before = await windows();
      const past = clock(-30, 'UTC');
      const reply = await ask(`maintenance start hotfix until ${past}`);
      expect(reply).toMatch(
        new RegExp(
          // Read on the typing person's clock (the fake Slack's people are in Europe/London, which is UTC in December).
          `${past} \\(Europe/London\\) has passed today \\(\\d+ minutes ago\\); for tomorrow's, write \`until tomorrow ${past}\``,
        ),
      );
      expect(await windows()).toBe(before);
    },
  );

  it.each(CLOCKS)(
    'maintenance: a zone after the time is read (`until HH:MM UTC`), past midnight too (at %s)',
    async (at) => {
      vi.setSystemTime(new Date(at));
      // A minute before midnight, an hour on is tomorrow's clock: the window crosses midnight.
      if (at.endsWith('T23:59:00Z')) expect(clock(60, 'UTC')).toBe('00:59');
      const reply = await ask(`maintenance start hotfix until ${clock(60, 'UTC')} UTC`);
      expect(reply).toMatch(
        /\*hotfix\* is open from now until .*\(1 hour; `\/incident maintenance end` ends it sooner\)/,
      );
      await ask('maintenance end');
    },
  );

  it.each(CLOCKS)(
    "override: an until that passed minutes ago in the rotation's zone is refused, nothing recorded (at %s)",
    async (at) => {
      vi.setSystemTime(new Date(at));
      const before = await overrides();
      const past = clock(-8, 'Europe/London');
      const reply = await ask(`oncall override <@U0BOB> until ${past}`);
      expect(reply).toMatch(new RegExp(`${past} \\(Europe/London\\) has passed today .*\`until tomorrow ${past}\``));
      expect(await overrides()).toBe(before);
    },
  );

  it('override: a length and an end both are said to be both, not read as a role', async () => {
    const reply = await ask('oncall override <@U0BOB> for 30m until 20:00');
    expect(reply).toMatch(/`for 30m` and `until 20:00` are both given: an override has one end/);
    expect(reply).not.toMatch(/no role/i);
  });

  it('override: until tomorrow and a zone after the time are read', async () => {
    const reply = await ask(`oncall override <@U0BOB> until tomorrow ${clock(0, 'UTC')} UTC`);
    expect(reply).not.toMatch(/not a time|passed/);
    const { rows } = await bot.db.query<{ ends_at: Date }>('SELECT ends_at FROM oncall_overrides ORDER BY id DESC');
    const hours = (rows[0]!.ends_at.getTime() - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23);
    expect(hours).toBeLessThanOrEqual(24);
  });
});
