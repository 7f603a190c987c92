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
} from '../../src/commands/maintenance.command.js';
import { SUBCOMMANDS } from '../../src/commands/subcommands.js';

const USAGE =
  '`/incident maintenance schedule` shows the next windows; `/incident maintenance start [window or title]` opens one now (e.g. `start quarterly`); `/incident maintenance end` closes it.';

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
    end: async (userId: string) => {
      asked.push(`end ${userId}`);
      return [{ title: 'Weekly' }, { title: 'db <upgrade>' }];
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
      told: [':white_check_mark: Ended *Weekly*, *db &lt;upgrade&gt;*.'],
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
