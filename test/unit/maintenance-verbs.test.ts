/**
 * `/incident maintenance <verb>`: each verb and alias runs what it names and answers as it always has, and an unknown
 * verb is answered with the usage, masked. The maintenance service is a stand-in recording what it was asked.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Ctx } from '../../src/commands/incident.command.js';
import {
  MAINTENANCE_USAGE,
  MAINTENANCE_VERBS,
  maintenanceCommand,
  maintenanceVerb,
  typedEnd,
} from '../../src/commands/maintenance.command.js';
import { SUBCOMMANDS } from '../../src/commands/subcommands.js';

const USAGE =
  '`/incident maintenance schedule` shows the next windows; `/incident maintenance start [window or title] [for 2h | until 04:00]` opens one now (e.g. `start quarterly for 3h`); `/incident maintenance end` closes it.';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Runs `/incident maintenance <what>` against a stand-in service: what it answered and what the service was asked. */
async function run(what: string | null): Promise<{ told: string[]; asked: string[] }> {
  const told: string[] = [];
  const asked: string[] = [];
  const maintenance = {
    schedule: async () => {
      asked.push('schedule');
      return { open: [], next: [], byHand: [] };
    },
    start: async (arg: string | null, userId: string, channelId: string) => {
      asked.push(`start ${arg} ${userId} ${channelId}`);
      return { title: arg ?? 'Maintenance', channelId: 'C0MAINT' };
    },
    postStart: async () => null,
    end: async (userId: string) => {
      asked.push(`end ${userId}`);
      const nothing = { checklist: null, incidents: [] };
      return [
        { window: { title: 'Weekly' }, summary: nothing },
        { window: { title: 'db <upgrade>' }, summary: nothing },
      ];
    },
    masked: (text: string) => text.replace('hunter2', '***'),
  };
  const c = {
    deps: { maintenance },
    tell: async (m: unknown) => {
      told.push(typeof m === 'string' ? m : JSON.stringify(m));
    },
    userId: 'U0ALICE',
    channelId: 'C0HERE',
  } as unknown as Ctx;
  await maintenanceCommand(what, c);
  return { told, asked };
}

describe('/incident maintenance verbs', () => {
  it.each([null, '', 'schedule', 'next', 'SCHEDULE'])('%j shows the schedule', async (what) => {
    const { told, asked } = await run(what);
    expect(asked).toEqual(['schedule']);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/^\*Maintenance windows\* \(UTC\)\nThe runbook file has no maintenance windows/);
  });

  it.each(['start', 'open', 'Start'])('%s opens a window, with what follows as its window or title', async (verb) => {
    expect(await run(`${verb} db   upgrade`)).toEqual({
      asked: ['start db upgrade U0ALICE C0HERE'],
      told: [
        ':construction: *db upgrade* is open from now until `/incident maintenance end`; its start and checklist are posted in <#C0MAINT>.',
      ],
    });
    expect((await run(verb)).asked).toEqual(['start null U0ALICE C0HERE']);
  });

  it.each(['end', 'close', 'stop', 'finish', 'END'])('%s ends the open window', async (verb) => {
    expect(await run(verb)).toEqual({
      asked: ['end U0ALICE'],
      told: [
        ':white_check_mark: Ended *Weekly*.\nNo incident was declared during it.\n:white_check_mark: Ended *db &lt;upgrade&gt;*.\nNo incident was declared during it.',
      ],
    });
  });

  it('answers an unknown verb with the usage, the verb masked', async () => {
    expect(await run('sideways now')).toEqual({
      asked: [],
      told: [`:warning: \`sideways\` is not a maintenance command. ${USAGE}`],
    });
    expect((await run('hunter2')).told).toEqual([`:warning: \`***\` is not a maintenance command. ${USAGE}`]);
  });
});

describe('the table of maintenance verbs', () => {
  const words = MAINTENANCE_VERBS.flatMap((v) => [v.name, ...v.aliases]);

  it('takes each word for one verb only', () => {
    expect(new Set(words).size).toBe(words.length);
    for (const v of MAINTENANCE_VERBS) for (const w of [v.name, ...v.aliases]) expect(maintenanceVerb(w)).toBe(v);
  });

  it("names every verb in the usage, in /incident help's line, and every verb and alias in README's row", () => {
    const help = SUBCOMMANDS.maintenance.usage;
    const row = readme.split('\n').find((l) => l.startsWith('| `/incident maintenance '));
    expect(row).toBeDefined();
    for (const v of MAINTENANCE_VERBS) {
      expect(MAINTENANCE_USAGE, `${v.name} in the usage`).toContain(`\`/incident maintenance ${v.name}`);
      expect(help, `${v.name} in the help line`).toMatch(new RegExp(`^\`/incident maintenance [^\`]*\\b${v.name}\\b`));
      for (const w of [v.name, ...v.aliases]) expect(row, `${w} in README's row`).toMatch(new RegExp(`\\b${w}\\b`));
    }
  });
});

describe('the end typed after a window opened by hand', () => {
  const now = new Date('2026-12-03T20:30:00Z');
  const end = (arg: string) => typedEnd(arg, now);

  it.each([
    ['db upgrade for 2h', 'db upgrade', '2026-12-03T22:30:00.000Z'],
    ['quarterly for 1h30m', 'quarterly', '2026-12-03T22:00:00.000Z'],
    ['db upgrade FOR 90m', 'db upgrade', '2026-12-03T22:00:00.000Z'],
    ['db upgrade until 04:00', 'db upgrade', '2026-12-04T04:00:00.000Z'],
    ['db upgrade until 21:15', 'db upgrade', '2026-12-03T21:15:00.000Z'],
    ['for 2h', null, '2026-12-03T22:30:00.000Z'],
    // The length alone at the end, as people type it.
    ['db upgrade 2h', 'db upgrade', '2026-12-03T22:30:00.000Z'],
    ['quarterly 90m', 'quarterly', '2026-12-03T22:00:00.000Z'],
    ['3h', null, '2026-12-03T23:30:00.000Z'],
  ])('%j: the title, and the end as typed', (typed, what, at) => {
    expect(end(typed)).toEqual({ what, endsAt: new Date(at) });
  });

  it('words after `for` that are no length stay in the title; nothing typed is no end', () => {
    expect(end('downtime for billing')).toEqual({ what: 'downtime for billing', endsAt: null });
    expect(typedEnd(null, now)).toEqual({ what: null, endsAt: null });
    expect(end('quarterly')).toEqual({ what: 'quarterly', endsAt: null });
  });

  it('a length of nothing or past 7 days, or an until that is no time, is refused saying what to write', () => {
    expect(() => end('db for 0h')).toThrow(/`for 0h` is no time at all: .*`for 2h`/);
    expect(() => end('db for 8d')).toThrow(/longer than a window opened by hand may be \(7 days\)/);
    expect(() => end('db until noon')).toThrow(/`until noon` is not a time: write `until 04:00` \(UTC\)/);
    expect(() => end('db until 25:00')).toThrow(/is not a time/);
  });

  it('a negative length is refused saying so, not taken into the title of a window without an end', () => {
    expect(() => end('db for -1h')).toThrow(/^`for -1h` is not a length of time: .*`for 2h`/);
    expect(() => end('db upgrade -90m')).toThrow(/^`-90m` is not a length of time/);
    // A minus sign, as overrides read it (a phone's keyboard).
    expect(() => end('db for \u22121h')).toThrow(/^`for \u22121h` is not a length of time/);
    // A title may hold a hyphen and a number that is no length.
    expect(end('db-2 upgrade')).toEqual({ what: 'db-2 upgrade', endsAt: null });
  });

  it('an until that passed less than 12 hours ago today is refused, not a window of almost a day; tomorrow and a zone are read', () => {
    expect(() => end('hotfix until 20:00')).toThrow(
      "20:00 UTC has passed today (30 minutes ago); for tomorrow's, write `until tomorrow 20:00`. No window was opened.",
    );
    expect(end('hotfix until tomorrow 20:00')).toEqual({ what: 'hotfix', endsAt: new Date('2026-12-04T20:00:00Z') });
    expect(end('hotfix until 23:30 UTC')).toEqual({ what: 'hotfix', endsAt: new Date('2026-12-03T23:30:00Z') });
    expect(end('hotfix until 23:30Z')).toEqual({ what: 'hotfix', endsAt: new Date('2026-12-03T23:30:00Z') });
    expect(end('hotfix until 18:00 America/New_York')).toEqual({
      what: 'hotfix',
      endsAt: new Date('2026-12-03T23:00:00Z'),
    });
    expect(end('hotfix until 2026-12-04 01:00')).toEqual({ what: 'hotfix', endsAt: new Date('2026-12-04T01:00:00Z') });
    // Passed more than 12 hours ago: the next one, tomorrow morning's, as a window until early morning is meant.
    expect(end('hotfix until 08:00')).toEqual({ what: 'hotfix', endsAt: new Date('2026-12-04T08:00:00Z') });
    expect(() => end('hotfix until 18:00 Mars/Olympus')).toThrow(/`Mars\/Olympus` is not a time zone the bot reads/);
  });

  it('an until on the 12-hour clock is read as the 24-hour one is; an hour it has not is refused saying why', () => {
    expect(end('hotfix until 10:30pm')).toEqual({ what: 'hotfix', endsAt: new Date('2026-12-03T22:30:00Z') });
    expect(end('hotfix until 11 PM')).toEqual({ what: 'hotfix', endsAt: new Date('2026-12-03T23:00:00Z') });
    expect(end('hotfix until 9pm UTC')).toEqual({ what: 'hotfix', endsAt: new Date('2026-12-03T21:00:00Z') });
    // Midnight: passed more than 12 hours ago, so tonight's.
    expect(end('hotfix until 12am')).toEqual({ what: 'hotfix', endsAt: new Date('2026-12-04T00:00:00Z') });
    expect(end('hotfix until tomorrow 12pm')).toEqual({ what: 'hotfix', endsAt: new Date('2026-12-04T12:00:00Z') });
    expect(() => end('hotfix until 8pm')).toThrow(/^20:00 UTC has passed today \(30 minutes ago\)/);
    expect(() => end('db until 13pm')).toThrow(
      /^`13pm` is not a time: with am or pm the hour runs from 1 to 12; write `1pm`, or `13:00` on the 24-hour clock\. No window was opened\.$/,
    );
    expect(() => end('db until 6:75pm')).toThrow(/^`6:75pm` is not a time: the minutes run from 00 to 59/);
    expect(() => end('db until 0am')).toThrow(/^`0am` is not a time: .*midnight is `12am`/);
  });

  it('two ends are refused naming both, whichever comes first; `for` words before one end stay in the title', () => {
    expect(() => end('db upgrade for 2h until 03:00')).toThrow(
      /^`for 2h` and `until 03:00` are two ends: give the window one, a length \(`for 2h`\) or a time \(`until 04:00`\)\.$/,
    );
    expect(() => end('db upgrade until 03:00 for 2h')).toThrow(/`until 03:00` and `for 2h` are two ends/);
    expect(() => end('db upgrade 2h until 03:00')).toThrow(/^`2h` and `until 03:00` are two ends/);
    expect(() => end('db upgrade until 03:00 2h')).toThrow(/^`until 03:00` and `2h` are two ends/);
    expect(() => end('db 0h')).toThrow(/^`0h` is no time at all/);
    expect(() => end('db 8d')).toThrow(/^`8d` is longer than a window opened by hand may be/);
    expect(end('downtime for billing for 2h')).toEqual({
      what: 'downtime for billing',
      endsAt: new Date('2026-12-03T22:30:00.000Z'),
    });
  });

  it('is said in the answer: until when, how long, and that end closes it sooner', async () => {
    const told: string[] = [];
    const c = {
      deps: {
        maintenance: {
          start: async (what: string | null, _u: string, _c: string, endsAt: Date | null) => ({
            title: what ?? 'Maintenance',
            channelId: 'C0MAINT',
            endsAt,
          }),
          postStart: async () => null,
        },
        // Slack gives no time zone: `until` is read in UTC.
        notes: { timeZoneOf: async () => null },
      },
      tell: async (m: string) => {
        told.push(m);
      },
      userId: 'U0ALICE',
      channelId: 'C0HERE',
    } as unknown as Ctx;
    await maintenanceCommand('start db upgrade for 2h', c);
    expect(told[0]).toMatch(
      /^:construction: \*db upgrade\* is open from now until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(2 hours; `\/incident maintenance end` ends it sooner\); its start and checklist are posted in <#C0MAINT>\.$/,
    );
    // Until a time of day: how long in whole minutes, not to the second.
    const at = new Date(Date.now() + 90 * 60_000);
    const hhmm = `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`;
    await maintenanceCommand(`start db upgrade until ${hhmm}`, c);
    expect(told[1]).toMatch(/ \(1 hour (29|30) minutes; `\/incident maintenance end` ends it sooner\)/);
  });
});
