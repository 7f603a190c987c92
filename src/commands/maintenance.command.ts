import { DomainError } from '../incidents/errors.js';
import { resolveWallTime } from '../incidents/typed-time.js';
import { describeDuration, isNegativeLength, LENGTH_SHAPE, parseDuration } from '../runbook/duration.js';
import { renderMaintenanceEnded, renderMaintenanceSchedule } from '../templates/maintenance.js';
import { theirClock } from '../templates/oncall.js';
import { boldName, channelLink } from '../templates/text.js';
import type { Ctx } from './incident.command.js';
import { typedMoment, wallTimeOf, zoneProblem } from './parse-oncall.js';

/** A verb of `/incident maintenance`: a row of MAINTENANCE_VERBS. */
export interface MaintenanceVerb {
  /** What is typed; the one shown in the usage. */
  name: string;
  /** Other words people type for it (`stop` for `end`). */
  aliases: readonly string[];
  /** Its part of the usage: the form in backticks, then what it does. */
  usage: string;
  /** What it does, given what follows the verb (null when nothing does). */
  run: (arg: string | null, c: Ctx) => Promise<void>;
}

/**
 * The verbs of `/incident maintenance`, in the order of the usage; the first is what the command alone does. The
 * parser and the usage are derived from this table; `/incident help`'s line and README's row are checked against it
 * (test/unit/maintenance-verbs.test.ts).
 */
export const MAINTENANCE_VERBS: readonly MaintenanceVerb[] = [
  {
    name: 'schedule',
    aliases: ['next'],
    usage: '`/incident maintenance schedule` shows the next windows',
    run: async (_arg, c) => {
      await c.tell(renderMaintenanceSchedule(await c.deps.maintenance.schedule(), new Date()));
    },
  },
  {
    name: 'start',
    aliases: ['open'],
    usage:
      '`/incident maintenance start [window or title] [for 2h | until 04:00]` opens one now (e.g. `start quarterly for 3h`)',
    run: async (arg, c) => {
      const now = new Date();
      // `until 04:00` is the typing person's 04:00 (their Slack time zone), as `/incident oncall` reads times; UTC
      // when Slack does not say. A zone typed after the time (`until 18:00 UTC`) wins.
      const byClock = /\buntil\s+(?:\S+\s+){0,3}\S*\d:\d/i.test(arg ?? '');
      // Any end is said back on their clock too (`for 2h` as well), so their zone is read whenever the words may hold
      // one (`until`, or a digit of a length); a title alone asks Slack nothing.
      const mayEnd = /\buntil\b|\d/i.test(arg ?? '');
      const zone = mayEnd ? ((await c.deps.notes.timeZoneOf(c.userId)) ?? 'UTC') : 'UTC';
      const { what, endsAt } = typedEnd(arg, now, zone);
      const w = await c.deps.maintenance.start(what, c.userId, c.channelId, endsAt);
      const failed = await c.deps.maintenance.postStart(w);
      const where = w.channelId ? ` in ${channelLink(w.channelId)}` : '';
      // A length as typed (`for 90m`); until a time of day, how long to it in whole minutes, not to the second.
      const left = w.endsAt ? w.endsAt.getTime() - now.getTime() : 0;
      const length = byClock ? Math.max(60_000, Math.round(left / 60_000) * 60_000) : left;
      // Said on their clock, then in UTC as the window's posts say it: once, whatever zone was typed.
      const ends = w.endsAt
        ? `until ${theirClock(w.endsAt, zone)} (${describeDuration(length)}; \`/incident maintenance end\` ends it sooner)`
        : 'until `/incident maintenance end`';
      const opened = `:construction: ${boldName(w.title, 100)} is open from now ${ends}`;
      await c.tell(
        failed
          ? `${opened}, but its start could not be posted${where}: ${failed.message.replace(/\.$/, '')}. The bot tries again every half minute; meanwhile, tell people in that channel yourself.`
          : `${opened}; its start and checklist are posted${where}.`,
      );
    },
  },
  {
    name: 'end',
    aliases: ['close', 'stop', 'finish'],
    usage: '`/incident maintenance end` closes it',
    run: async (_arg, c) => {
      const ended = await c.deps.maintenance.end(c.userId);
      await c.tell(renderMaintenanceEnded(ended));
    },
  },
];

/** The longest a window opened by hand may be given: past that, a length is more likely a slip than meant. */
const MAX_WINDOW_MS = 7 * 86_400_000;

/**
 * The end typed after a window's name or title, taken off it: `for 2h` (a length, `2h`, `90m`, `1h30m`, with `for`
 * or without) or `until 04:00` (in `timeZone`, the typing person's, UTC when unknown: the next 04:00 to come). Nothing of the kind:
 * no end (the window stays open until `/incident maintenance end`). `for` before words that are no length stays in the
 * title.
 */
export function typedEnd(
  arg: string | null,
  now: Date,
  timeZone = 'UTC',
): { what: string | null; endsAt: Date | null } {
  const typed = takeEnd(arg, now, timeZone);
  // `for 2h until 03:00`: two ends, and the first would stay in the title. Said, not guessed.
  const inner = typed.endsAt && typed.what ? takeEnd(typed.what, now, timeZone) : null;
  if (inner?.endsAt) {
    // Each end as typed: what taking it off left out.
    const words = (arg ?? '').split(/\s+/).filter(Boolean);
    const [kept, before] = [(inner.what ?? '').split(/\s+/).filter(Boolean), typed.what!.split(/\s+/)];
    const [first, second] = [words.slice(kept.length, before.length).join(' '), words.slice(before.length).join(' ')];
    throw new DomainError(
      'maintenance_ends',
      `\`${first}\` and \`${second}\` are two ends: give the window one, a length (\`for 2h\`) or a time (\`until 04:00\`).`,
    );
  }
  return typed;
}

/** typedEnd's reading of one end, the last two words. */
function takeEnd(arg: string | null, now: Date, timeZone: string): { what: string | null; endsAt: Date | null } {
  const words = (arg ?? '').split(/\s+/).filter(Boolean);
  const n = words.length;
  const word = words[n - 2]?.toLowerCase();
  const last = words[n - 1] ?? '';
  const title = (k: number) => words.slice(0, n - k).join(' ') || null;
  // `for -1h`: a length below zero would otherwise stay in the title of a window with no end.
  if (isNegativeLength(last))
    throw new DomainError(
      'maintenance_length',
      `\`${word === 'for' ? `for ${last}` : last}\` is not a length of time: give the window a length to come, e.g. \`for 2h\` or \`for 90m\`.`,
    );
  // `for 2h`, or the length alone at the end (`start db upgrade 2h`): a title does not end in one.
  if (LENGTH_SHAPE.test(last)) {
    const ms = parseDuration(last);
    const typedLength = word === 'for' ? `for ${last}` : last;
    if (ms === null)
      throw new DomainError(
        'maintenance_length',
        `\`${typedLength}\` is no time at all: give the window a length, e.g. \`for 2h\` or \`for 90m\`.`,
      );
    if (ms > MAX_WINDOW_MS)
      throw new DomainError(
        'maintenance_length',
        `\`${typedLength}\` is longer than a window opened by hand may be (7 days). Give a shorter length, or leave it out and end the window with \`/incident maintenance end\`.`,
      );
    return { what: title(word === 'for' ? 2 : 1), endsAt: new Date(now.getTime() + ms) };
  }
  // `until 04:00`, `until 6pm`, `until tomorrow 04:00`, `until 23:30 UTC`, `until 18:00 Europe/London`,
  // `until 2026-12-01 09:00`.
  const until = words.findLastIndex((w, i) => i >= n - 4 && w.toLowerCase() === 'until');
  if (until !== -1) {
    const after = words.slice(until + 1);
    const wall = wallTimeOf(after.join(' '), 'until');
    if (typeof wall !== 'string') {
      const endsAt = resolveWallTime(wall, timeZone, now, now, 'until', 'No window was opened.');
      if (endsAt.getTime() <= now.getTime())
        throw new DomainError(
          'maintenance_until',
          `\`until ${after.join(' ')}\` is in the past (${theirClock(endsAt, timeZone)}): no window was opened. Give a time to come, or a length such as \`for 2h\`.`,
        );
      return { what: title(n - until), endsAt };
    }
    // `until 04:00 PST`: a time, then a zone not read; the zone is what is wrong.
    const typed = typedMoment(after);
    if (typed && 'error' in typed && typed.error === 'zone')
      throw new DomainError(
        'maintenance_until',
        `${zoneProblem(typed.text, `until ${typed.moment}`)} No window was opened.`,
      );
    // `until 13pm`, `until 6:75pm`: a 12-hour time that is none; what is wrong with it is said.
    if (typed && 'error' in typed && typed.error === 'clock')
      throw new DomainError(
        'maintenance_until',
        `\`${typed.text}\` is not a time: ${typed.problem}. No window was opened.`,
      );
    // One word after `until` can only be meant as the end; more that hold a time of day too.
    if (after.length === 1 || after.some((w) => /\d:\d/.test(w)))
      throw new DomainError(
        'maintenance_until',
        // Each zone named once: theirs (how a time alone is read), and another for the example of a zone typed.
        `\`until ${after.join(' ')}\` is not a time: write \`until 04:00\` (${timeZone === 'UTC' ? 'UTC' : `your time zone, ${timeZone}`}), \`until tomorrow 04:00\`, \`until 18:00 ${timeZone === 'UTC' ? 'Europe/London' : 'UTC'}\`, or a length such as \`for 2h\`.`,
      );
  }
  return { what: arg, endsAt: null };
}

/** Said with a verb that is not one. */
export const MAINTENANCE_USAGE = `${MAINTENANCE_VERBS.map((v) => v.usage).join('; ')}.`;

/** The verb typed (any case), by its name or an alias. */
export function maintenanceVerb(typed: string): MaintenanceVerb | undefined {
  const word = typed.toLowerCase();
  return MAINTENANCE_VERBS.find((v) => v.name === word || v.aliases.includes(word));
}

/** `/incident maintenance [verb] [what follows]`: the verb's row runs; none typed is the first row's. */
export async function maintenanceCommand(what: string | null, c: Ctx): Promise<void> {
  const [typed, ...rest] = (what ?? '').trim().split(/\s+/).filter(Boolean);
  const arg = rest.join(' ') || null;
  const verb = typed === undefined ? MAINTENANCE_VERBS[0] : maintenanceVerb(typed);
  if (!verb) {
    await c.tell(
      `:warning: \`${c.deps.maintenance.masked(typed ?? '')}\` is not a maintenance command. ${MAINTENANCE_USAGE}`,
    );
    return;
  }
  await verb.run(arg, c);
}
