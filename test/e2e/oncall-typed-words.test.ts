import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { askPrivately } from '../support/oncall-flow.js';
import { rotationMaintenanceRunbook } from '../support/test-runbook.js';

/** A moment's clock in Europe/London (the fake Slack's people's zone, in which a time typed with none is read). */
const london = (t: Date) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(t);

/**
 * What `/incident oncall …` answers to a length taken away (`-1h`), a 12-hour time (`until 6pm`) and an ID Slack knows
 * nobody by, through the bot: each said for what it is, not "say how long", "not a time" or "not on call".
 */
describe('on-call words people type', () => {
  let bot: BotHarness;
  const ask = async (text: string) => (await askPrivately(bot, text)).text;
  const overrides = async () =>
    Number((await bot.db.query<{ n: string }>('SELECT count(*) AS n FROM oncall_overrides')).rows[0]!.n);
  const lastOverride = async () =>
    (
      await bot.db.query<{ starts_at: Date; ends_at: Date }>(
        'SELECT starts_at, ends_at FROM oncall_overrides ORDER BY id DESC LIMIT 1',
      )
    ).rows[0]!;

  beforeAll(async () => {
    bot = await startBot({ runbook: rotationMaintenanceRunbook(), incidentsChannel: true, timers: false });
    // users.info answers user_not_found for it, as Slack does for an ID nobody in the workspace has.
    bot.fake.unknownUsers.add('U0NOBODY');
  });
  afterAll(async () => bot?.stop());

  it('a length taken away is said to be no length of time, with what to write; nothing is recorded', async () => {
    const before = await overrides();
    for (const [typed, word] of [
      ['oncall override <@U0BOB> -1h', '-1h'],
      ['oncall override <@U0BOB> for -30m', '-30m'],
      ['oncall swap <@U0ALICE> <@U0BOB> -2h', '-2h'],
    ]) {
      const reply = await ask(typed!);
      expect(reply).toContain(
        `\`${word}\` is not a length of time: an override lasts at least a minute; write \`for 2h\` or \`until 18:00\`.`,
      );
      expect(reply).not.toContain('Say how long');
    }
    expect(await ask('oncall override <@U0BOB> 30s')).toContain(
      '`30s` is shorter than an override may be: an override lasts at least a minute',
    );
    expect(await overrides()).toBe(before);
  });

  it('an override until or from a 12-hour time is recorded at that time on the clock of the person who typed it', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    expect(await ask('oncall override <@U0BOB> until tomorrow 6pm')).toContain('<@U0BOB> is on call');
    expect(london((await lastOverride()).ends_at)).toBe('18:00');
    await bot.db.query('DELETE FROM oncall_overrides');
    expect(await ask('oncall override <@U0BOB> from tomorrow 9 AM until tomorrow 6:30pm')).toContain('<@U0BOB>');
    const later = await lastOverride();
    expect([london(later.starts_at), london(later.ends_at)]).toEqual(['09:00', '18:30']);
    await bot.db.query('DELETE FROM oncall_overrides');
    expect(await ask('oncall override <@U0BOB> from tomorrow 12pm until tomorrow 11pm')).toContain('<@U0BOB>');
    const noon = await lastOverride();
    expect([london(noon.starts_at), london(noon.ends_at)]).toEqual(['12:00', '23:00']);
    await bot.db.query('DELETE FROM oncall_overrides');
  });

  it('the board at a 12-hour time names it on the 24-hour clock; an hour the 12-hour clock has not is refused', async () => {
    expect(await ask('oncall tomorrow 6pm')).toMatch(/^Who is on call .*18:00/);
    expect(await ask('oncall tomorrow at 12am')).toMatch(/^Who is on call .*00:00/);
    const before = await overrides();
    for (const [typed, said] of [
      ['oncall at 13pm', '`13pm` is not a time: with am or pm the hour runs from 1 to 12; write `1pm`, or `13:00`'],
      [
        'oncall override <@U0BOB> until 0am',
        '`0am` is not a time: with am or pm the hour runs from 1 to 12; midnight is `12am`',
      ],
      ['oncall override <@U0BOB> until 6:75pm', '`6:75pm` is not a time: the minutes run from 00 to 59, e.g. `6:45pm`'],
    ])
      expect(await ask(typed!)).toContain(said);
    expect(await overrides()).toBe(before);
  });

  it('a maintenance window until a 12-hour time ends then; one until 13pm is refused, no window opened', async () => {
    const windows = async () =>
      (await bot.db.query<{ ends_at: Date | null }>('SELECT ends_at FROM maintenance_windows ORDER BY id')).rows;
    const before = (await windows()).length;
    expect(await ask('maintenance start hotfix until 13pm')).toContain(
      '`13pm` is not a time: with am or pm the hour runs from 1 to 12; write `1pm`, or `13:00` on the 24-hour clock. No window was opened.',
    );
    expect((await windows()).length).toBe(before);
    expect(await ask('maintenance start hotfix until tomorrow 6 pm')).toContain('*hotfix* is open from now until');
    const opened = await windows();
    expect(opened).toHaveLength(before + 1);
    expect(london(opened.at(-1)!.ends_at!)).toBe('18:00');
    await ask('maintenance end');
  });

  it('an ID Slack knows nobody by is said to be nobody here, with how to name someone; someone not on call is told so', async () => {
    for (const typed of ['oncall <@U0NOBODY>', 'oncall <@U0NOBODY> tomorrow']) {
      const reply = await ask(typed);
      expect(reply).toContain(
        'Nobody in this workspace has the ID `U0NOBODY` (Slack knows no such user), so there are no shifts to show. Name the person with @, e.g. `/incident oncall @alice`',
      );
      expect(reply).not.toContain('is not on call');
    }
    // Known to Slack, in no rotation: today's answer.
    expect(await ask('oncall <@U0ZED>')).toContain('<@U0ZED> is not on call in any rotation in the next 14 days.');
    // On call: their shifts, as before.
    expect(await ask('oncall <@U0BOB>')).toMatch(/<@U0BOB> on call in the next 14 days/);
  });
});
