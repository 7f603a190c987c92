import { describe, expect, it } from 'vitest';
import { parseActionItem } from '../../src/commands/parse-action-item.js';
import { ACTION_ITEM_MAX } from '../../src/incidents/action-items.js';

const NOW = new Date('2026-11-28T15:30:00Z');
const ok = (raw: string) => {
  const r = parseActionItem(raw, NOW);
  if (!r.ok) throw new Error(r.error);
  return r.item;
};
const error = (raw: string) => {
  const r = parseActionItem(raw, NOW);
  if (r.ok) throw new Error(`parsed: ${JSON.stringify(r.item)}`);
  return r.error;
};

describe('an action item as typed', () => {
  it('is a text alone', () => {
    expect(ok('  Add   pool monitoring ')).toEqual({ text: 'Add pool monitoring', owner: null, dueAt: null });
  });

  it('takes an owner as a mention (escaped or not) or as @name', () => {
    expect(ok('Add pool monitoring <@U0ALICE>').owner).toEqual({ id: 'U0ALICE' });
    expect(ok('Add pool monitoring <@U0ALICE|alice>').owner).toEqual({ id: 'U0ALICE' });
    expect(ok('Add pool monitoring @alice.smith').owner).toEqual({ name: 'alice.smith' });
    expect(ok('Add pool monitoring @alice').text).toBe('Add pool monitoring');
  });

  it('takes a due date (09:00 UTC that day) or a duration from now, with due: or in, in either order with the owner', () => {
    expect(ok('Rotate the key 2026-12-01').dueAt).toEqual(new Date('2026-12-01T09:00:00Z'));
    expect(ok('Rotate the key due:2026-12-01 @bob')).toMatchObject({
      text: 'Rotate the key',
      owner: { name: 'bob' },
      dueAt: new Date('2026-12-01T09:00:00Z'),
    });
    // Whole days are that day at 09:00 UTC, as a date is (typed at 15:30 on 2026-11-28).
    expect(ok('Rotate the key @bob in 3d')).toMatchObject({
      text: 'Rotate the key',
      dueAt: new Date('2026-12-01T09:00:00Z'),
    });
    expect(ok('Rotate the key <@U0BOB> 2s').dueAt).toEqual(new Date(NOW.getTime() + 2000));
    // Hours are a time from now, however many.
    expect(ok('Rotate the key 48h').dueAt).toEqual(new Date(NOW.getTime() + 48 * 3_600_000));
    expect(ok('Rotate the key in 24 hours').dueAt).toEqual(new Date(NOW.getTime() + 24 * 3_600_000));
    expect(ok('Rotate the key today 2026-11-28').dueAt).toEqual(new Date('2026-11-28T23:59:00Z'));
  });

  it('leaves words that only look alike in the text', () => {
    expect(ok('Email ops@example.com about it')).toEqual({
      text: 'Email ops@example.com about it',
      owner: null,
      dueAt: null,
    });
    expect(ok('Check the 5xx rate')).toMatchObject({ text: 'Check the 5xx rate', dueAt: null });
  });

  it('refuses, in words, what it cannot take', () => {
    expect(error('')).toMatch(/needs a text/);
    expect(error('@alice 3d')).toMatch(/needs a text/);
    expect(error('Rotate the key 2026-02-30')).toMatch(/not a date/);
    expect(error('Rotate the key 2020-01-01')).toMatch(/in the past/);
    expect(error('Rotate the key due:soon')).toMatch(/not a due date/);
    expect(error('x'.repeat(ACTION_ITEM_MAX + 1))).toMatch(new RegExp(`${ACTION_ITEM_MAX} characters`));
  });

  it('refuses two owners or two due dates at the end, rather than keeping one and leaving the other in the text', () => {
    expect(error('Add pool monitoring @alice @bob')).toBe(
      'An action item has one owner, and this one names two (`@alice` and `@bob`). Add one item per owner, each with its own owner at the end, e.g. Add pool monitoring @bob.',
    );
    expect(error('Add pool monitoring <@U0ALICE> @bob 3d')).toMatch(
      /^An action item has one owner, and this one names two/,
    );
    expect(error('Rotate the key 2d 3d')).toBe(
      'An action item has one due date, and this one names two (`2d` and `3d`). Keep one, e.g. Rotate the key 3d.',
    );
    expect(error('Rotate the key 2d @bob 2026-12-01')).toMatch(
      /^An action item has one due date, and this one names two/,
    );
    // A mention inside the text, not beside the owner, stays in it.
    expect(ok('Ask @alice about the pool @bob')).toMatchObject({
      text: 'Ask @alice about the pool',
      owner: { name: 'bob' },
    });
  });

  it('refuses a length of nothing (0d) as a due date, instead of keeping it and the owner before it in the text', () => {
    expect(error('Fix 3 @alice 0d')).toMatch(/`0d` is no time from now/);
    expect(error('Fix 3 due:0h')).toMatch(/no time from now/);
    expect(error('Rotate the key 2020-01-01')).toMatch(/give one to come/);
  });

  it('answers another subcommand typed after action (list, done 1) with what to type, adding nothing', () => {
    expect(error('list')).toMatch(/`\/incident actions`/);
    expect(error('LS')).toMatch(/`\/incident actions`/);
    expect(error('done 1')).toMatch(/Done\* button/);
    expect(error('close #2')).toMatch(/Done\* button/);
    expect(ok('Close port 22').text).toBe('Close port 22');
    expect(ok('List the dashboards').text).toBe('List the dashboards');
  });

  it('refuses @here, @channel and user groups as the owner: many people, not one', () => {
    expect(error('Ping the team @here 3d')).toMatch(/`@here` is not a person/);
    expect(error('Ping the team <!channel>')).toMatch(/`@channel` is not a person/);
    expect(error('Ping the team <!subteam^S0DBA|@dba>')).toMatch(/`@dba` is not a person/);
  });

  it('drops control characters', () => {
    expect(ok('Add\u0000 monitoring').text).toBe('Add monitoring');
  });
});

describe('a due day in words', () => {
  // NOW is Saturday 2026-11-28, 15:30 UTC.
  it('takes tomorrow (09:00 UTC), alone or after by/due, and leaves the word out of the text', () => {
    const tomorrow = new Date('2026-11-29T09:00:00Z');
    expect(ok('Fix retry storm tomorrow')).toEqual({ text: 'Fix retry storm', owner: null, dueAt: tomorrow });
    expect(ok('Fix retry storm by tomorrow @bob')).toMatchObject({ text: 'Fix retry storm', dueAt: tomorrow });
    expect(ok('Fix retry storm due:Tomorrow').dueAt).toEqual(tomorrow);
    expect(ok('Fix retry storm due tomorrow').text).toBe('Fix retry storm');
  });

  it('takes due: with a space after it, as the form hint shows it (due: 3d), the owner before it kept', () => {
    const tomorrow = new Date('2026-11-29T09:00:00Z');
    expect(ok('Fix N+1 in cart pricing @bob due: 3d')).toEqual({
      text: 'Fix N+1 in cart pricing',
      owner: { name: 'bob' },
      dueAt: new Date('2026-12-01T09:00:00Z'),
    });
    expect(ok('Rotate the key due: tomorrow @bob')).toMatchObject({ text: 'Rotate the key', dueAt: tomorrow });
    expect(ok('Rotate the key DUE: 2026-12-01')).toMatchObject({
      text: 'Rotate the key',
      dueAt: new Date('2026-12-01T09:00:00Z'),
    });
    expect(ok('Rotate the key @bob due: friday 17:00').dueAt).toEqual(new Date('2026-12-04T17:00:00Z'));
    expect(error('Rotate the key @bob due: someday')).toMatch(/not a due date/);
    // `due:` with nothing after it names no date: said, not kept as the text's last word.
    expect(error('Rotate the key @bob due:')).toMatch(/due:/);
  });

  it('takes a weekday after by, due or due: as the next such day, never today', () => {
    expect(ok('Rotate keys by friday')).toMatchObject({ text: 'Rotate keys', dueAt: new Date('2026-12-04T09:00:00Z') });
    expect(ok('Rotate keys due mon @bob').dueAt).toEqual(new Date('2026-11-30T09:00:00Z'));
    expect(ok('Rotate keys due:Sat').dueAt).toEqual(new Date('2026-12-05T09:00:00Z'));
    expect(ok('Rotate keys by thurs').dueAt).toEqual(new Date('2026-12-03T09:00:00Z'));
  });

  it('takes a weekday straight after the owner as the due day, as the form puts it (TEXT @owner due)', () => {
    expect(ok('fix the pool sizing @on-call friday')).toEqual({
      text: 'fix the pool sizing',
      owner: { name: 'on-call' },
      dueAt: new Date('2026-12-04T09:00:00Z'),
    });
    expect(ok('Rotate keys <@U0BOB> mon')).toMatchObject({
      owner: { id: 'U0BOB' },
      dueAt: new Date('2026-11-30T09:00:00Z'),
    });
    // Before the owner it may name a past day, as without one.
    expect(ok('Review what broke friday @bob')).toMatchObject({
      text: 'Review what broke friday',
      owner: { name: 'bob' },
    });
  });

  it('refuses a due date it cannot read straight after the owner, rather than keeping both in the text', () => {
    for (const typed of ['next week', 'eod', 'today', 'end of week', 'this friday'])
      expect(error(`fix it @bob ${typed}`)).toMatch(new RegExp(`^\`${typed}\` is not a due date I can read`));
    // Words after an owner that read as no day at all are the text's: the owner is in the middle of it.
    expect(ok('ask @bob about the cache')).toEqual({ text: 'ask @bob about the cache', owner: null, dueAt: null });
  });

  it('leaves a weekday without by or due in the text: it may name a past day', () => {
    expect(ok('Review what broke on friday')).toEqual({
      text: 'Review what broke on friday',
      owner: null,
      dueAt: null,
    });
    expect(ok('Check the constructor by constructor').dueAt).toBeNull();
  });

  it('takes due before a date or a duration with it', () => {
    expect(ok('Rotate the key due 2026-12-01')).toMatchObject({
      text: 'Rotate the key',
      dueAt: new Date('2026-12-01T09:00:00Z'),
    });
  });

  it('takes a length in words after in or within (3 days, 2 weeks, 4 hours), due in front or not', () => {
    const in3d = new Date('2026-12-01T09:00:00Z');
    expect(ok('Write runbook entry due in 3 days')).toEqual({ text: 'Write runbook entry', owner: null, dueAt: in3d });
    expect(ok('Write runbook entry in 3 days @bob')).toMatchObject({ text: 'Write runbook entry', dueAt: in3d });
    expect(ok('Write runbook entry within 1 day').dueAt).toEqual(new Date('2026-11-29T09:00:00Z'));
    expect(ok('Add alerts on pool usage in 2 weeks').dueAt).toEqual(new Date('2026-12-12T09:00:00Z'));
    expect(ok('Page the owner in 4 hours')).toMatchObject({
      text: 'Page the owner',
      dueAt: new Date(NOW.getTime() + 4 * 3_600_000),
    });
    expect(ok('Rotate keys due in 3d').text).toBe('Rotate keys');
    // Not a due date: a length that says how much, not when.
    expect(ok('Cut deploy time by 2 hours')).toEqual({ text: 'Cut deploy time by 2 hours', owner: null, dueAt: null });
    expect(ok('Keep 3 days of logs')).toEqual({ text: 'Keep 3 days of logs', owner: null, dueAt: null });
    expect(error('Write runbook entry in 0 days')).toMatch(/is no time from now/);
  });

  it('takes due on before a weekday as due; on alone stays in the text', () => {
    expect(ok('Rotate keys due on friday @bob')).toEqual({
      text: 'Rotate keys',
      owner: { name: 'bob' },
      dueAt: new Date('2026-12-04T09:00:00Z'),
    });
    expect(ok('Review what broke on friday').dueAt).toBeNull();
  });

  it('refuses a due date it cannot read after due or by, naming the forms it takes, rather than keeping it as text', () => {
    for (const typed of [
      'due yesterday',
      'due today',
      'by eod',
      'due next week',
      'by end of week',
      'due end of the month',
      'due 31/12',
      'due dec 31',
      'due in 2 months',
      'due in 999 years',
      'due this friday',
      'by someday',
      'by soon',
      'due next sprint',
      'by next quarter',
      'by tbd',
    ]) {
      expect(error(`Rotate keys ${typed}`)).toBe(
        `\`${typed}\` is not a due date I can read: write it as 2026-12-05, \`3d\`, \`tomorrow\`, \`by friday\`, \`by monday 17:00\` (UTC) or \`in 2 weeks\` (a due day alone is at 09:00 UTC), or leave it out. Nothing was added.`,
      );
    }
    expect(error('Rotate keys due next week @bob')).toMatch(/^`due next week` is not a due date I can read/);
    // After an owner, by or due and one word can be nothing but a due date.
    expect(error('fix it @nobody by someday')).toMatch(/^`by someday` is not a due date I can read/);
    expect(error('fix it <@U0BOB> due whenevs')).toMatch(/^`due whenevs` is not a due date I can read/);
    expect(error('fix it @bob by half')).toMatch(/^`by half` is not a due date I can read/);
    // Text that only looks alike stays text.
    for (const text of [
      'Investigate the outage due to cache',
      'Complete the due diligence',
      'Cut deploy time by 50%',
      'Cut latency by 2x',
      'Reduce errors by next release',
      'Fix the bug due to a race in v2.3',
    ])
      expect(ok(text)).toEqual({ text, owner: null, dueAt: null });
  });

  it('gives as its example a date a week ahead of when it was typed, never one already past', () => {
    const later = new Date('2027-03-30T23:59:00Z');
    const refused = (raw: string) => {
      const r = parseActionItem(raw, later);
      if (r.ok) throw new Error(`parsed: ${JSON.stringify(r.item)}`);
      return r.error;
    };
    expect(refused('Rotate the key 2027-02-30')).toBe(
      '`2027-02-30` is not a date; write the due date as YYYY-MM-DD, e.g. 2027-04-06.',
    );
    expect(refused('Rotate the key due:someday')).toMatch(/write due:2027-04-06, due:3d/);
    expect(refused('Rotate the key by someday')).toMatch(/write it as 2027-04-06, `3d`/);
    expect(refused('   ')).toMatch(/e\.g\. Add pool monitoring @alice 2027-04-06\.$/);
    expect(refused('Rotate the key 0d')).toMatch(/\(`3d`, `tomorrow`, `2027-04-06`\)/);
  });

  it('refuses due: before a word that is no day, naming the forms it takes', () => {
    expect(error('Rotate the key due:someday')).toMatch(/due:2026-12-05, due:3d or due:friday/);
  });
});

describe('an owner before a due phrase of several words (typed at 15:30 UTC on Saturday 2026-11-28)', () => {
  it('reads a day and a time of day (UTC), with the owner before them', () => {
    expect(ok('Audit keys @on-call by monday 17:00')).toEqual({
      text: 'Audit keys',
      owner: { name: 'on-call' },
      dueAt: new Date('2026-11-30T17:00:00Z'),
    });
    expect(ok('Audit keys @on-call tomorrow 17:00')).toMatchObject({
      owner: { name: 'on-call' },
      dueAt: new Date('2026-11-29T17:00:00Z'),
    });
    expect(ok('Audit keys <@U0BOB> 2026-12-02 08:30 UTC')).toMatchObject({
      text: 'Audit keys',
      owner: { id: 'U0BOB' },
      dueAt: new Date('2026-12-02T08:30:00Z'),
    });
    expect(ok('Audit keys by friday at 17:00 @bob')).toMatchObject({
      text: 'Audit keys',
      owner: { name: 'bob' },
      dueAt: new Date('2026-12-04T17:00:00Z'),
    });
    expect(ok('Audit keys @bob today 18:00').dueAt).toEqual(new Date('2026-11-28T18:00:00Z'));
    // Today's weekday: today when the time is still to come, else next week's.
    expect(ok('Audit keys @bob by saturday 17:00').dueAt).toEqual(new Date('2026-11-28T17:00:00Z'));
    expect(ok('Audit keys @bob by sat 09:00').dueAt).toEqual(new Date('2026-12-05T09:00:00Z'));
  });

  it('reads a length in words straight after the owner, and minutes after in', () => {
    expect(ok('Audit keys @on-call 2 days')).toMatchObject({
      text: 'Audit keys',
      owner: { name: 'on-call' },
      dueAt: new Date('2026-11-30T09:00:00Z'),
    });
    expect(ok('Audit keys @on-call in 90 minutes')).toMatchObject({
      text: 'Audit keys',
      owner: { name: 'on-call' },
      dueAt: new Date('2026-11-28T17:00:00Z'),
    });
  });

  it('refuses a time of day already past, and what it cannot read after the owner, never dropping them', () => {
    expect(error('Audit keys @bob today 09:00')).toMatch(/already past/);
    expect(error('Audit keys @on-call by mon eod')).toMatch(
      /^`by mon eod` is not a due date I can read.*Nothing was added\.$/,
    );
    expect(error('Audit keys @on-call at noon')).toMatch(/^`at noon` is not a due date I can read/);
    // A mention inside the text, with no time after it, is text.
    expect(ok('Ask @bob about the cache')).toEqual({ text: 'Ask @bob about the cache', owner: null, dueAt: null });
    expect(ok('Review what broke on friday 17:00').dueAt).toBeNull();
  });

  it('reads a time of day alone after by or due, or at after the owner, as today at that time (UTC) while it is to come', () => {
    const five = new Date('2026-11-28T17:00:00Z');
    expect(ok('Rotate the key @bob by 5pm')).toEqual({ text: 'Rotate the key', owner: { name: 'bob' }, dueAt: five });
    expect(ok('Rotate the key by 17:00 UTC @bob')).toMatchObject({ text: 'Rotate the key', dueAt: five });
    expect(ok('Rotate the key @bob at 5 pm')).toMatchObject({ text: 'Rotate the key', dueAt: five });
    expect(ok('Rotate the key due 17:00')).toMatchObject({ text: 'Rotate the key', dueAt: five });
    expect(error('Rotate the key @bob by 9am')).toMatch(
      /^`by 9am` is a time already past today \(it is 2026-11-28 15:30 UTC\).*`tomorrow 09:00`.*Nothing was added\.$/,
    );
    expect(error('Rotate the key by 13pm')).toMatch(/^`13pm` is not a time: .*Nothing was added\.$/);
    // Without by, due or an owner before it, a time is part of the text.
    expect(ok('Call the vendor at 5pm')).toEqual({ text: 'Call the vendor at 5pm', owner: null, dueAt: null });
  });

  it('reads a 12-hour time after a due day as its 24-hour form (UTC)', () => {
    expect(ok('Fix the cache @bob by friday 5pm')).toEqual({
      text: 'Fix the cache',
      owner: { name: 'bob' },
      dueAt: new Date('2026-12-04T17:00:00Z'),
    });
    expect(ok('Fix the cache @bob tomorrow 5:30 pm').dueAt).toEqual(new Date('2026-11-29T17:30:00Z'));
    expect(ok('Fix the cache @bob due 2026-12-10 9am').dueAt).toEqual(new Date('2026-12-10T09:00:00Z'));
    expect(ok('Fix the cache @bob by monday 5pm UTC').dueAt).toEqual(new Date('2026-11-30T17:00:00Z'));
    expect(ok('Fix the cache @bob by monday 5 PM UTC').dueAt).toEqual(new Date('2026-11-30T17:00:00Z'));
    expect(ok('Fix the cache by fri at 9:15a.m. @bob')).toMatchObject({
      text: 'Fix the cache',
      owner: { name: 'bob' },
      dueAt: new Date('2026-12-04T09:15:00Z'),
    });
    expect(ok('Fix the cache @bob by mon 12am').dueAt).toEqual(new Date('2026-11-30T00:00:00Z'));
    // Today's weekday (Saturday, 15:30): today when the time is still to come, else next week's.
    expect(ok('Fix the cache @bob by saturday 5pm').dueAt).toEqual(new Date('2026-11-28T17:00:00Z'));
    expect(ok('Fix the cache @bob by saturday 9am').dueAt).toEqual(new Date('2026-12-05T09:00:00Z'));
    expect(error('Fix the cache @bob today 9am')).toMatch(/already past/);
  });

  it('refuses a 12-hour time that is none after a due day, saying what is wrong; elsewhere it stays text', () => {
    expect(error('Fix the cache @bob by friday 13pm')).toBe(
      '`13pm` is not a time: with am or pm the hour runs from 1 to 12; write `1pm`, or `13:00` on the 24-hour clock. Nothing was added.',
    );
    expect(error('Fix the cache by friday 13pm')).toMatch(/^`13pm` is not a time: .*Nothing was added\.$/);
    expect(error('Fix the cache tomorrow 0 am @bob')).toMatch(
      /^`0am` is not a time: .*midnight is `12am`.*Nothing was added\.$/,
    );
    expect(error('Fix the cache due 2026-12-10 6:75pm')).toMatch(
      /^`6:75pm` is not a time: the minutes run from 00 to 59/,
    );
    // A 12-hour time (right or not) in the text, not after a due day, is text.
    expect(ok('Check the 5pm cron job @bob')).toEqual({
      text: 'Check the 5pm cron job',
      owner: { name: 'bob' },
      dueAt: null,
    });
    expect(ok('Check the 5 pm cron job')).toEqual({ text: 'Check the 5 pm cron job', owner: null, dueAt: null });
    expect(ok('Move the 13pm job off friday 13pm').dueAt).toBeNull();
    expect(ok('Review what broke on friday 5pm').dueAt).toBeNull();
  });

  it("takes today's date as due by the end of today, not at 09:00 already past", () => {
    expect(ok('Review pool sizing @bob 2026-11-28').dueAt).toEqual(new Date('2026-11-28T23:59:00Z'));
  });
});
