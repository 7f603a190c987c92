import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { useBot } from '../support/bot-harness.js';
import { askPrivately } from '../support/oncall-flow.js';
import { testRunbookData, WEEKLY_ON_CALL, withRotation } from '../support/test-runbook.js';

/** What an SRE types at 3 a.m. that the other on-call tests do not: each held already; kept so it keeps holding. */
describe('on-call overrides at their edges (a weekly rotation on London time)', () => {
  const runbook = parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', WEEKLY_ON_CALL));
  const bot = useBot({ runbook, timers: false, env: { ONCALL_OVERRIDE_MAX: '7d' } });
  const ask = async (text: string) => (await askPrivately(bot, text, 'U0REPORTER')).text;
  const last = async () =>
    (
      await bot.db.query<{ starts_at: Date; ends_at: Date }>(
        'SELECT starts_at, ends_at FROM oncall_overrides ORDER BY id DESC LIMIT 1',
      )
    ).rows[0]!;
  const count = async () => (await bot.db.query('SELECT id FROM oncall_overrides')).rows.length;

  it('across the spring change: an end the clocks skip (01:30) is read after the jump and said as 02:30 BST', async () => {
    const reply = await ask('oncall override <@U0BOB> from 2027-03-28 00:30 until 2027-03-28 01:30');
    expect(reply).toContain('from Sun 28 Mar 00:30 (Europe/London) until Sun 28 Mar 02:30 (Europe/London)');
    const o = await last();
    expect([o.starts_at.toISOString(), o.ends_at.toISOString()]).toEqual([
      '2027-03-28T00:30:00.000Z',
      '2027-03-28T01:30:00.000Z',
    ]);
    // A length is real time: 3 hours from 00:00 GMT ends at 04:00 BST.
    expect(await ask('oncall override <@U0BOB> from 2027-03-28 00:00 for 3h')).toContain('until Sun 28 Mar 04:00');
    expect((await last()).ends_at.toISOString()).toBe('2027-03-28T03:00:00.000Z');
  });

  it('across the autumn change: 00:00 to 03:00 London is four real hours', async () => {
    await ask('oncall override <@U0ALICE> from 2027-10-31 00:00 until 2027-10-31 03:00');
    const o = await last();
    expect([o.starts_at.toISOString(), o.ends_at.toISOString()]).toEqual([
      '2027-10-30T23:00:00.000Z',
      '2027-10-31T03:00:00.000Z',
    ]);
  });

  it('across midnight: an end before the start on the clock is the next day', async () => {
    const reply = await ask('oncall override <@U0BOB> from tomorrow 23:00 UTC until 01:00 UTC');
    expect(reply).not.toContain(':warning:');
    const o = await last();
    expect(o.ends_at.getTime() - o.starts_at.getTime()).toBe(2 * 3_600_000);
  });

  it('reads `2h30m` and `90m` as lengths; refuses `-1h`, `0m`, `999d` and a swap with oneself, recording nothing', async () => {
    for (const [typed, ms] of [
      ['2h30m', 9_000_000],
      ['90m', 5_400_000],
    ] as const) {
      expect(await ask(`oncall override <@U0BOB> ${typed}`)).toContain('is on call for *On-Call Engineer*');
      const o = await last();
      expect(o.ends_at.getTime() - o.starts_at.getTime()).toBe(ms);
    }
    const before = await count();
    expect(await ask('oncall override <@U0BOB> -1h')).toContain(
      '`-1h` is not a length of time: an override lasts at least a minute; write `for 2h` or `until 18:00`.',
    );
    expect(await ask('oncall override <@U0BOB> 0m')).toContain('`0m` is no time at all');
    expect(await ask('oncall override <@U0BOB> 999d')).toContain('longer than an override may be (7 days');
    expect(await ask('oncall swap <@U0BOB> <@U0BOB> 2h')).toContain('A swap needs two different people');
    expect(await count()).toBe(before);
  });

  it('`cancel 0` and `cancel 99` name no override, cancelling nothing', async () => {
    const before = (await bot.db.query('SELECT id FROM oncall_overrides WHERE cancelled_at IS NOT NULL')).rows.length;
    expect(await ask('oncall cancel 0')).toContain('There is no override or swap #0: nothing was cancelled.');
    expect(await ask('oncall cancel 99')).toContain('There is no override or swap #99: nothing was cancelled.');
    expect((await bot.db.query('SELECT id FROM oncall_overrides WHERE cancelled_at IS NOT NULL')).rows.length).toBe(
      before,
    );
  });
});

describe('an override a year or more ahead', () => {
  const runbook = parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', WEEKLY_ON_CALL));
  const bot = useBot({ runbook, timers: false });
  const ask = async (text: string) => (await askPrivately(bot, text, 'U0REPORTER')).text;

  it('is said and listed with its year, not as the same day and month this year', async () => {
    const year = new Date().getUTCFullYear() + 2;
    // `Mon 5 Jun 2028 09:00 (Europe/London) until Mon 5 Jun 2028 11:00`, whichever weekday it falls on.
    const said = new RegExp(`from \\w{3} 5 Jun ${year} 09:00 \\(Europe/London\\) until \\w{3} 5 Jun ${year} 11:00`);
    const reply = await ask(`oncall override <@U0BOB> from ${year}-06-05 09:00 for 2h`);
    expect(reply).toMatch(said);
    const list = await ask('oncall overrides');
    expect(list).toMatch(said);
    // One soon keeps the short form.
    expect(await ask('oncall override <@U0ALICE> 2h')).not.toMatch(/ 20\d\d /);
  });
});
