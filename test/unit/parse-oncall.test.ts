import { describe, expect, it } from 'vitest';
import { parseOnCall, typedMoment, wallTimeOf } from '../../src/commands/parse-oncall.js';

describe('parseOnCall', () => {
  it('reads the board, a person, overrides and swaps', () => {
    expect(parseOnCall('')).toEqual({ ok: true, command: { kind: 'board' } });
    // As people ask it.
    for (const asked of ['now', 'who', 'Who is on call?', 'who is on call now', 'list', 'show all'])
      expect(parseOnCall(asked)).toEqual({ ok: true, command: { kind: 'board' } });
    expect(parseOnCall('who @alice')).toMatchObject({ ok: false });
    // `/incident who is on call` (who: a name of the subcommand) leaves it `is on call`.
    expect(parseOnCall('is on call?')).toEqual({ ok: true, command: { kind: 'board' } });
    expect(parseOnCall('<@U0ALICE|alice>')).toEqual({ ok: true, command: { kind: 'person', who: { id: 'U0ALICE' } } });
    expect(parseOnCall('@alice')).toEqual({ ok: true, command: { kind: 'person', who: { name: 'alice' } } });
    expect(parseOnCall('<@U0ALICE|alice> tomorrow')).toEqual({
      ok: true,
      command: { kind: 'person', who: { id: 'U0ALICE' }, at: { kind: 'wall', day: { kind: 'tomorrow' }, time: null } },
    });
    expect(parseOnCall('@alice next week')).toEqual({
      ok: true,
      command: { kind: 'person', who: { name: 'alice' }, at: { kind: 'in', ms: 7 * 86_400_000 } },
    });
    expect(parseOnCall('@alice on call?')).toEqual({ ok: true, command: { kind: 'person', who: { name: 'alice' } } });
    expect(parseOnCall('@alice friday 25:00')).toMatchObject({
      ok: false,
      error: expect.stringContaining('`25:00` is not a time'),
    });
    expect(parseOnCall('@alice please')).toMatchObject({ ok: false, error: expect.stringContaining('does not take') });
    expect(parseOnCall('override <@U0BOB> 2h')).toEqual({
      ok: true,
      command: {
        kind: 'override',
        who: { id: 'U0BOB' },
        role: null,
        start: null,
        end: { kind: 'for', ms: 7_200_000 },
      },
    });
    expect(parseOnCall('override @bob senior devops for 30m')).toMatchObject({
      ok: true,
      command: { role: 'senior devops', end: { kind: 'for', ms: 1_800_000 } },
    });
    expect(parseOnCall('override <@U0BOB> on_call until 18:00')).toMatchObject({
      command: { role: 'on_call', end: { kind: 'until', date: null, time: { h: 18, m: 0 } } },
    });
    expect(parseOnCall('override <@U0BOB> until 2026-12-01 09:00')).toMatchObject({
      command: { role: null, end: { kind: 'until', date: { y: 2026, mo: 11, d: 1 }, time: { h: 9, m: 0 } } },
    });
    expect(parseOnCall('override <@U0BOB> from 20:00 until 23:30')).toMatchObject({
      command: {
        role: null,
        start: { date: null, time: { h: 20, m: 0 } },
        end: { kind: 'until', date: null, time: { h: 23, m: 30 } },
      },
    });
    expect(parseOnCall('override <@U0BOB> senior devops from 2026-12-01 09:00 for 8h')).toMatchObject({
      command: {
        role: 'senior devops',
        start: { date: { y: 2026, mo: 11, d: 1 }, time: { h: 9, m: 0 } },
        end: { kind: 'for', ms: 8 * 3_600_000 },
      },
    });
    expect(parseOnCall('swap <@U0A1> <@U0B1> from 08:00 for 1h')).toMatchObject({
      command: { kind: 'swap', start: { time: { h: 8, m: 0 } }, end: { kind: 'for', ms: 3_600_000 } },
    });
    expect(parseOnCall('override <@U0BOB> 2h')).toMatchObject({ command: { start: null } });
    expect(parseOnCall('swap <@U0A1> <@U0B1> 1d')).toMatchObject({
      command: { kind: 'swap', who: { id: 'U0A1' }, other: { id: 'U0B1' }, end: { kind: 'for', ms: 86_400_000 } },
    });
  });

  it('takes the people wherever they come after override or swap (the time or the role first)', () => {
    const override = {
      ok: true,
      command: { kind: 'override', who: { name: 'bob' }, role: null, start: null, end: { kind: 'for', ms: 7_200_000 } },
    };
    expect(parseOnCall('override 2h @bob')).toEqual(override);
    expect(parseOnCall('override for 2h @bob')).toEqual(override);
    expect(parseOnCall('override on_call until 18:00 <@U0BOB>')).toMatchObject({
      command: { who: { id: 'U0BOB' }, role: 'on_call', end: { kind: 'until', time: { h: 18, m: 0 } } },
    });
    expect(parseOnCall('swap @alice 2h @bob')).toMatchObject({
      command: { kind: 'swap', who: { name: 'alice' }, other: { name: 'bob' }, role: null, end: { ms: 7_200_000 } },
    });
  });

  it('says a length of nothing (0h) is no time, instead of asking how long', () => {
    for (const text of ['override @bob 0h', 'override @bob for 0m', 'override @bob from 20:00 for 0h']) {
      const r = parseOnCall(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/`0[hm]` is no time at all/);
    }
  });

  it('reads who is on call at a moment to come, as people ask it', () => {
    const board = (at: unknown) => ({ ok: true, command: { kind: 'board', at } });
    const wall = (day: unknown, time: unknown) => board({ kind: 'wall', day, time });
    expect(parseOnCall('tomorrow')).toEqual(wall({ kind: 'tomorrow' }, null));
    // `/incident who is on call tomorrow at 9:00?` (who: a name of the subcommand).
    expect(parseOnCall('is on call tomorrow at 9:00?')).toEqual(wall({ kind: 'tomorrow' }, { h: 9, m: 0 }));
    expect(parseOnCall('at 18:00')).toEqual(wall(null, { h: 18, m: 0 }));
    expect(parseOnCall('18:30')).toEqual(wall(null, { h: 18, m: 30 }));
    expect(parseOnCall('who is on call on Friday')).toEqual(wall({ kind: 'weekday', dow: 5 }, null));
    expect(parseOnCall('sat 07:15')).toEqual(wall({ kind: 'weekday', dow: 6 }, { h: 7, m: 15 }));
    expect(parseOnCall('on 2026-12-24 20:00')).toEqual(wall({ kind: 'date', y: 2026, mo: 11, d: 24 }, { h: 20, m: 0 }));
    expect(parseOnCall('in 8h')).toEqual(board({ kind: 'in', ms: 8 * 3_600_000 }));
    expect(parseOnCall('who is on call next week?')).toEqual(board({ kind: 'in', ms: 7 * 86_400_000 }));
  });

  it('says what is wrong, with the forms', () => {
    for (const [text, error] of [
      ['override 2h', 'Name the person after `override`'],
      ['override <@U0BOB>', 'Say how long'],
      ['override <@U0BOB> until tea time', '`until tea time` is not a time'],
      ['override <@U0BOB> until 2026-02-30 09:00', '`2026-02-30` is not a date'],
      ['swap <@U0A1> 2h', 'A swap names two people'],
      ['override <@U0BOB> from 20:00', 'Say when it ends after the start'],
      ['override <@U0BOB> from tonight until 23:00', '`from tonight` is not a time'],
      ['override <@U0BOB> from 20:00 until later', '`until later` is not a time'],
      ['override <@U0BOB> from 20:00 for ever', 'Say how long'],
      ['override <@U0BOB> from 2026-13-01 09:00 for 1h', '`2026-13-01` is not a date'],
      ['whom', '`/incident oncall` does not take `whom`'],
      ['is on call next month', '`/incident oncall` does not take `is on call next month`'],
      ['tomorrow at tea time', '`tea time` is not a time'],
      ['at 25:00', '`25:00` is not a time'],
      ['who is on call at noon', '`noon` is not a time'],
      ['on 2026-02-30', '`2026-02-30` is not a date'],
      ['in 0h', '`in 0h` is no time from now'],
    ] as const) {
      const r = parseOnCall(text);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error).toContain(error);
        expect(r.error).toContain('Forms:');
      }
    }
  });

  describe('an override with a length and an end both, or a zone', () => {
    it('says both were given and to keep one, rather than taking the length for a role', () => {
      for (const typed of [
        'override @bob for 30m until 20:00',
        'override @bob 30m until 20:00',
        'override @bob until 20:00 for 30m',
      ])
        expect(parseOnCall(typed)).toMatchObject({
          ok: false,
          error: expect.stringMatching(
            /^`(for )?30m` and `until 20:00` are both given: an override has one end\. Keep one/,
          ),
        });
    });

    it('reads until tomorrow and a zone after the time', () => {
      expect(parseOnCall('override @bob until tomorrow 17:30')).toMatchObject({
        ok: true,
        command: { end: { kind: 'until', date: null, time: { h: 17, m: 30 }, tomorrow: true } },
      });
      expect(parseOnCall('override @bob until 18:00 Europe/London')).toMatchObject({
        ok: true,
        command: { role: null, end: { kind: 'until', time: { h: 18, m: 0 }, zone: 'Europe/London' } },
      });
    });
  });
});

describe('typedMoment: one reader of a typed moment, for the board and for an override', () => {
  // Each form, as the board reads it (`/incident oncall at …`) and as an override's end does (`until …`).
  const forms: [string, object][] = [
    ['18:00', { date: null, time: { h: 18, m: 0 } }],
    ['18:00 Europe/London', { date: null, time: { h: 18, m: 0 }, zone: 'Europe/London' }],
    ['18:00 UTC', { date: null, time: { h: 18, m: 0 }, zone: 'UTC' }],
    ['18:00Z', { date: null, time: { h: 18, m: 0 }, zone: 'UTC' }],
    ['tomorrow 09:00', { date: null, time: { h: 9, m: 0 }, tomorrow: true }],
    ['saturday 23:00', { date: null, time: { h: 23, m: 0 }, weekday: 6 }],
    ['fri 09:00 America/New_York', { date: null, time: { h: 9, m: 0 }, weekday: 5, zone: 'America/New_York' }],
    ['2026-12-01 09:00', { date: { y: 2026, mo: 11, d: 1 }, time: { h: 9, m: 0 } }],
    ['2026-12-01T09:00', { date: { y: 2026, mo: 11, d: 1 }, time: { h: 9, m: 0 } }],
  ];
  it.each(forms)('`%s` is the same moment on the board and in an override', (typed, wall) => {
    expect(wallTimeOf(typed, 'until')).toEqual(wall);
    const board = parseOnCall(`at ${typed}`);
    expect(board.ok).toBe(true);
    const m = typedMoment(typed.split(' '));
    if (!m || 'error' in m) throw new Error(`\`${typed}\` was not read`);
    // The board's moment carries the zone only when one was typed.
    const at = { kind: 'wall', day: m.day, time: m.time, ...(m.zone ? { zone: m.zone } : {}) };
    expect(board).toEqual({ ok: true, command: { kind: 'board', at } });
  });
  it('reads `at 18:00 Europe/London` on the board, and `until saturday 23:00` in an override', () => {
    expect(parseOnCall('at 18:00 Europe/London')).toEqual({
      ok: true,
      command: { kind: 'board', at: { kind: 'wall', day: null, time: { h: 18, m: 0 }, zone: 'Europe/London' } },
    });
    expect(parseOnCall('override @bob until saturday 23:00')).toMatchObject({
      ok: true,
      command: { kind: 'override', end: { kind: 'until', weekday: 6, time: { h: 23, m: 0 } } },
    });
  });
  it('says what is wrong the same way in both', () => {
    expect(parseOnCall('at 25:00')).toMatchObject({
      ok: false,
      error: expect.stringContaining('`25:00` is not a time'),
    });
    expect(wallTimeOf('25:00', 'until')).toContain('`until 25:00` is not a time');
    expect(parseOnCall('2026-02-30 09:00')).toMatchObject({
      ok: false,
      error: expect.stringContaining('`2026-02-30` is not a date'),
    });
    expect(wallTimeOf('2026-02-30 09:00', 'until')).toBe('`2026-02-30` is not a date.');
    // No moment at all: not read as one (the person's words, an override).
    expect(typedMoment(['override', '@bob', '2h'])).toBeNull();
  });
});

describe('a zone typed after a time that is no zone the bot reads', () => {
  it('names the zone, not the time, as what is wrong, and the IANA name to write for a common abbreviation', () => {
    expect(wallTimeOf('18:00 PST', 'until')).toBe(
      '`PST` is not a time zone the bot reads: write `until 18:00 America/Los_Angeles` (a zone as `Europe/London` is written, or `UTC`).',
    );
    const est = parseOnCall('override @bob until tomorrow 18:00 est');
    expect(est).toMatchObject({ ok: false, error: expect.stringContaining('`est` is not a time zone the bot reads') });
    expect(est).toMatchObject({ error: expect.stringContaining('`until tomorrow 18:00 America/New_York`') });
    expect(est).toMatchObject({ error: expect.not.stringContaining('is not a time:') });
    expect(parseOnCall('at 09:00 CET')).toMatchObject({
      ok: false,
      error: expect.stringContaining('`CET` is not a time zone the bot reads: write `09:00 Europe/Berlin`'),
    });
  });
  it('says the same of a misspelt zone name and of an offset, with no guess', () => {
    expect(wallTimeOf('18:00 Europe/Londn', 'from')).toBe(
      '`Europe/Londn` is not a time zone the bot reads: write it as `Europe/London` or `America/New_York` is written, or `UTC`.',
    );
    expect(parseOnCall('override @bob from 20:00 +02:00 until 23:00')).toMatchObject({
      ok: false,
      error: expect.stringContaining('`+02:00` is not a time zone the bot reads'),
    });
    expect(parseOnCall('friday 09:00 UTC+2')).toMatchObject({
      ok: false,
      error: expect.stringContaining('`UTC+2` is not a time zone the bot reads'),
    });
    // An abbreviation with no one zone (India, Ireland, Israel) gets no guess.
    expect(wallTimeOf('18:00 IST', 'until')).toBe(
      '`IST` is not a time zone the bot reads: write it as `Europe/London` or `America/New_York` is written, or `UTC`.',
    );
    // Words that are no zone after a time are still no time, as before.
    expect(wallTimeOf('18:00 sharp please', 'until')).toContain('`until 18:00 sharp please` is not a time');
  });
});

describe('a length taken away, or under a minute, is said to be no length of time', () => {
  it('says `-1h` is not a length of time and what to write, not the generic "Say how long"', () => {
    for (const [text, word] of [
      ['override @bob -1h', '-1h'],
      ['override @bob for -30m', '-30m'],
      ['override @bob on_call -2h', '-2h'],
      ['override -1h @bob', '-1h'],
      ['swap @alice @bob -1h', '-1h'],
      ['override @bob from 20:00 for -1h', '-1h'],
    ] as const) {
      const r = parseOnCall(text);
      expect(r).toMatchObject({
        ok: false,
        error: expect.stringContaining(
          `\`${word}\` is not a length of time: an override lasts at least a minute; write \`for 2h\` or \`until 18:00\`.`,
        ),
      });
      expect(r).toMatchObject({ error: expect.not.stringContaining('Say how long') });
    }
  });

  it('says a length under a minute is shorter than an override may be; a minute is one', () => {
    for (const text of ['override @bob 30s', 'override @bob for 500ms', 'override @bob from 20:00 for 59s'])
      expect(parseOnCall(text)).toMatchObject({
        ok: false,
        error: expect.stringMatching(
          /^`\d+m?s` is shorter than an override may be: an override lasts at least a minute;/,
        ),
      });
    expect(parseOnCall('override @bob 1m')).toMatchObject({ ok: true, command: { end: { kind: 'for', ms: 60_000 } } });
    expect(parseOnCall('override @bob for 90s')).toMatchObject({ ok: true, command: { end: { ms: 90_000 } } });
    // A length of nothing keeps its own words.
    expect(parseOnCall('override @bob for 0h')).toMatchObject({
      error: expect.stringContaining('`0h` is no time at all'),
    });
  });
});

describe('12-hour times with am or pm, wherever a 24-hour time is read', () => {
  it.each([
    ['6pm', 18, 0],
    ['6PM', 18, 0],
    ['6:30pm', 18, 30],
    ['6 pm', 18, 0],
    ['6:30 PM', 18, 30],
    ['9am', 9, 0],
    ['9 a.m.', 9, 0],
    ['12am', 0, 0],
    ['12:15am', 0, 15],
    ['12pm', 12, 0],
    ['12:30pm', 12, 30],
    ['11:59pm', 23, 59],
  ])('`%s` is %i:%i after until and from, on the board and for a person', (typed, h, m) => {
    const time = { h, m };
    expect(wallTimeOf(typed, 'until')).toEqual({ date: null, time });
    expect(wallTimeOf(typed, 'from')).toEqual({ date: null, time });
    expect(parseOnCall(`override @bob until ${typed}`)).toMatchObject({
      ok: true,
      command: { kind: 'override', role: null, start: null, end: { kind: 'until', time } },
    });
    expect(parseOnCall(`override @bob from ${typed} for 2h`)).toMatchObject({
      ok: true,
      command: { start: { time }, end: { kind: 'for', ms: 7_200_000 } },
    });
    expect(parseOnCall(`at ${typed}`)).toEqual({
      ok: true,
      command: { kind: 'board', at: { kind: 'wall', day: null, time } },
    });
    expect(parseOnCall(`@alice tomorrow ${typed}`)).toEqual({
      ok: true,
      command: { kind: 'person', who: { name: 'alice' }, at: { kind: 'wall', day: { kind: 'tomorrow' }, time } },
    });
  });

  it('takes a day before and a zone after a 12-hour time, and a role before until', () => {
    expect(wallTimeOf('tomorrow 6pm', 'until')).toEqual({ date: null, time: { h: 18, m: 0 }, tomorrow: true });
    expect(wallTimeOf('friday 9:30 am Europe/London', 'until')).toEqual({
      date: null,
      time: { h: 9, m: 30 },
      weekday: 5,
      zone: 'Europe/London',
    });
    expect(wallTimeOf('2026-12-01 6 pm UTC', 'until')).toEqual({
      date: { y: 2026, mo: 11, d: 1 },
      time: { h: 18, m: 0 },
      zone: 'UTC',
    });
    expect(parseOnCall('override @bob on_call from 6pm until 11:30pm')).toMatchObject({
      ok: true,
      command: { role: 'on_call', start: { time: { h: 18, m: 0 } }, end: { kind: 'until', time: { h: 23, m: 30 } } },
    });
    expect(parseOnCall('6pm')).toMatchObject({ ok: true, command: { kind: 'board', at: { time: { h: 18, m: 0 } } } });
    // A zone the bot does not read after one is what is wrong, as after 18:00.
    expect(wallTimeOf('6pm PST', 'until')).toBe(
      '`PST` is not a time zone the bot reads: write `until 6pm America/Los_Angeles` (a zone as `Europe/London` is written, or `UTC`).',
    );
  });

  it('refuses an hour or minutes a 12-hour clock has not, saying why and what to write', () => {
    for (const [typed, why] of [
      ['13pm', 'with am or pm the hour runs from 1 to 12; write `1pm`, or `13:00` on the 24-hour clock'],
      ['0am', 'with am or pm the hour runs from 1 to 12; midnight is `12am` (or `00:00`), noon `12pm`'],
      ['6:75pm', 'the minutes run from 00 to 59, e.g. `6:45pm`'],
      ['18:00pm', 'with am or pm the hour runs from 1 to 12; write `6:00pm`, or `18:00` on the 24-hour clock'],
      ['25am', 'with am or pm the hour runs from 1 to 12, e.g. `6pm` or `9:30am`'],
    ] as const) {
      const said = `\`${typed}\` is not a time: ${why}.`;
      expect(wallTimeOf(typed, 'until')).toBe(said);
      for (const text of [`override @bob until ${typed}`, `override @bob from ${typed} for 1h`, `at ${typed}`, typed])
        expect(parseOnCall(text)).toMatchObject({ ok: false, error: expect.stringContaining(said) });
    }
    expect(wallTimeOf('13 pm', 'until')).toBe(
      '`13pm` is not a time: with am or pm the hour runs from 1 to 12; write `1pm`, or `13:00` on the 24-hour clock.',
    );
  });
});

describe('a time of day typed with no `until` or `from`', () => {
  it('says it is a time, and how to write an end or a start then, rather than "Say how long"', () => {
    for (const [text, typed, what] of [
      ['override @bob 18:00', '18:00', 'override'],
      ['override @bob 6pm', '6pm', 'override'],
      ['override @bob 6 pm', '6 pm', 'override'],
      ['override <@U0BOB> on_call 6:30PM', '6:30PM', 'override'],
      ['override @bob for 18:00', '18:00', 'override'],
      ['override @bob at 6pm', '6pm', 'override'],
      ['override 6pm @bob', '6pm', 'override'],
      ['swap @alice @bob 6pm', '6pm', 'swap'],
    ] as const) {
      const r = parseOnCall(text);
      expect(r).toMatchObject({
        ok: false,
        error: expect.stringContaining(
          `\`${typed}\` is a time of day: write \`until ${typed}\` for the ${what} to end then, or \`from ${typed} for 2h\` for one that starts then. Nothing was recorded.`,
        ),
      });
      expect(r).toMatchObject({ error: expect.not.stringContaining('Say how long') });
    }
    expect(parseOnCall('override @bob tomorrow 09:00')).toMatchObject({
      ok: false,
      error: expect.stringContaining(
        '`tomorrow 09:00` is a day and time: write `until tomorrow 09:00` for the override to end then, or `from tomorrow 09:00 for 2h` for one that starts then.',
      ),
    });
    expect(parseOnCall('swap @alice @bob friday 6pm UTC')).toMatchObject({
      ok: false,
      error: expect.stringContaining('write `until friday 6pm UTC` for the swap to end then'),
    });
  });

  it('says what is wrong with a 12-hour time that is none, or a zone it does not read', () => {
    expect(parseOnCall('override @bob 13pm')).toMatchObject({
      ok: false,
      error: expect.stringContaining(
        '`13pm` is not a time: with am or pm the hour runs from 1 to 12; write `1pm`, or `13:00` on the 24-hour clock. Nothing was recorded.',
      ),
    });
    expect(parseOnCall('override @bob 6pm PST')).toMatchObject({
      ok: false,
      error: expect.stringContaining('`PST` is not a time zone the bot reads: write `until 6pm America/Los_Angeles`'),
    });
  });

  it('says a day alone is a day with no time, and how to write an end or a start on it', () => {
    for (const [text, typed, what] of [
      ['override @bob friday', 'friday', 'override'],
      ['override @bob tomorrow', 'tomorrow', 'override'],
      ['override @bob 2026-12-10', '2026-12-10', 'override'],
      ['override @bob senior devops fri', 'fri', 'override'],
      ['swap @alice @bob friday', 'friday', 'swap'],
    ] as const) {
      expect(parseOnCall(text)).toMatchObject({
        ok: false,
        error: expect.stringContaining(
          `\`${typed}\` is a day with no time: write \`until ${typed} 09:00\` for the ${what} to end then, or \`from ${typed} 09:00 for 8h\` for one that starts then. Nothing was recorded.`,
        ),
      });
    }
  });

  it('leaves what is no time as before', () => {
    expect(parseOnCall('override @bob soon')).toMatchObject({
      ok: false,
      error: expect.stringContaining('Say how long'),
    });
  });
});
