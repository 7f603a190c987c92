import { z } from 'zod';
import { describeDuration, parseDuration } from './duration.js';
import { type Playbook, type PlaybookStep, steps, toStep } from './playbooks.js';

/**
 * The runbook's Maintenance Windows: when each scheduled window opens and closes (UTC), its task list, the notice
 * ahead of it, and the maintenance process (Before, During, After) every window runs as a checklist. Also the
 * setting for private (security) incidents. Schedules are data; `nextOccurrence` reads them (pure).
 */

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const ORDINALS = { first: 1, second: 2, third: 3, fourth: 4, last: -1 } as const;

/** When a window opens and how long it lasts. Times of day are minutes after midnight UTC. */
export type MaintenanceSchedule =
  /** Every `everyMs` (counted from the Unix epoch) for `forMs`: short periods, for trying the bot out and for tests. */
  | { kind: 'interval'; everyMs: number; forMs: number }
  /** Every week on `weekday` (0 = Sunday), from `fromMin` to `toMin` (past midnight when not after fromMin). */
  | { kind: 'weekly'; weekday: number; fromMin: number; toMin: number }
  /** The nth (1–4, or -1 for the last) `weekday` of each month (or of `months` only, 1–12). */
  | { kind: 'monthly'; nth: number; weekday: number; fromMin: number; toMin: number; months: number[] | null };

export interface MaintenanceWindowDef {
  /** Its key in the file (`weekly`): `/incident maintenance start weekly` opens it by hand. */
  key: string;
  title: string;
  /** Null: the runbook gives no day or time, so it is opened by hand. */
  schedule: MaintenanceSchedule | null;
  /** The playbook its checklist is: Before, its tasks then During, After. */
  playbookId: string;
}

export interface Maintenance {
  /** How long before a scheduled window the notice is posted ("notify users 24 hours in advance"). */
  noticeBeforeMs: number;
  /** Where notices and checklists go; null: INCIDENTS_CHANNEL. */
  channel: string | null;
  windows: MaintenanceWindowDef[];
  /**
   * The checklists of a window that takes in smaller ones (the monthly window on the first Sunday takes in the weekly
   * one): by `combinedKey(larger, taken in)`, the id of the playbook with both task lists.
   */
  combined: Readonly<Record<string, string>>;
  /** The checklist of a window opened by hand under a title of its own (the process without a task list). */
  processPlaybookId: string | null;
}

export const PRIVATE_ANNOUNCE = ['none', 'notice'] as const;
export type PrivateAnnounce = (typeof PRIVATE_ANNOUNCE)[number];

/** Whether the incidents channel hears nothing of a private incident (nor of a security alert): `none`, the default. */
export const announcesNothing = (announce: PrivateAnnounce | undefined): boolean => (announce ?? 'none') === 'none';

/** `private_incidents:`: what the incidents channel hears of a private incident (nothing, or that one exists). */
export const privateIncidentsSchema = z.object({ announce: z.enum(PRIVATE_ANNOUNCE).default('none') }).strict();

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const time = z
  .string()
  .regex(TIME, 'must be a time of day in UTC such as 02:00')
  .transform((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3)));

const duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a duration; write e.g. 10s, 30m, 24h or 1d` });
    return z.NEVER;
  }
  return ms;
});

const EVERY_HELP =
  'must be a weekday (sunday), an nth weekday of the month (first sunday, last friday), or a duration (10s)';

/** `every`: a weekday, an nth weekday, or a duration; read once the rest of the schedule is known. */
function readEvery(every: string): { weekday: number; nth: number | null } | { everyMs: number } | null {
  const words = every.trim().toLowerCase().split(/\s+/);
  const day = (w: string | undefined) => WEEKDAYS.indexOf(w?.replace(/s$/, '') as (typeof WEEKDAYS)[number]);
  if (words.length === 1 && day(words[0]) >= 0) return { weekday: day(words[0]), nth: null };
  if (words.length === 2 && words[0]! in ORDINALS && day(words[1]) >= 0)
    return { weekday: day(words[1]), nth: ORDINALS[words[0] as keyof typeof ORDINALS] };
  const ms = parseDuration(every);
  return ms === null ? null : { everyMs: ms };
}

const scheduleSchema = z
  .object({
    every: z.string().min(1),
    from: time.optional(),
    to: time.optional(),
    for: duration.optional(),
    months: z.array(z.number().int().min(1).max(12)).min(1).optional(),
  })
  .strict()
  .transform((s, ctx): MaintenanceSchedule => {
    const issue = (path: string, message: string) => {
      ctx.addIssue({ code: 'custom', path: [path], message });
      return z.NEVER;
    };
    const every = readEvery(s.every);
    if (!every) return issue('every', EVERY_HELP);
    if ('everyMs' in every) {
      if (s.for === undefined) return issue('for', 'a window every <duration> says how long it lasts: for: 4s');
      if (s.for >= every.everyMs) return issue('for', 'must be shorter than the time between windows');
      if (s.from !== undefined || s.to !== undefined || s.months)
        return issue('every', 'a window every <duration> takes for, not from, to or months');
      return { kind: 'interval', everyMs: every.everyMs, forMs: s.for };
    }
    if (s.from === undefined || s.to === undefined)
      return issue(
        s.from === undefined ? 'from' : 'to',
        'a weekly or monthly window says from and to (UTC), e.g. 02:00',
      );
    if (s.for !== undefined) return issue('for', 'a weekly or monthly window takes from and to, not for');
    if (s.from === s.to) return issue('to', 'must differ from from');
    if (every.nth === null) {
      if (s.months) return issue('months', 'months go with an nth weekday of the month (first sunday)');
      return { kind: 'weekly', weekday: every.weekday, fromMin: s.from, toMin: s.to };
    }
    return {
      kind: 'monthly',
      nth: every.nth,
      weekday: every.weekday,
      fromMin: s.from,
      toMin: s.to,
      months: s.months ?? null,
    };
  });

const windowSchema = z
  .object({
    title: z.string().trim().min(1).max(100),
    schedule: scheduleSchema.optional(),
    tasks: steps,
  })
  .strict();

export const maintenanceSchema = z
  .object({
    notice_before: duration.default(24 * 3_600_000),
    channel: z
      .string()
      .regex(/^[CG][A-Z0-9]{2,}$/, 'must be a channel ID such as C0123456789')
      .optional(),
    process: z.object({ before: steps, during: steps, after: steps }).strict().optional(),
    windows: z
      .record(z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'window keys are lowercase words like weekly'), windowSchema)
      .default({}),
  })
  .strict();

type MaintenanceInput = z.output<typeof maintenanceSchema>;

const MAINTENANCE_LABELS = { detection: 'Before', mitigation: 'During', resolution: 'After' } as const;

/** The maintenance section as the bot uses it, and the playbooks its checklists are (appended to the file's). */
export function toMaintenance(m: MaintenanceInput | undefined): { maintenance: Maintenance; playbooks: Playbook[] } {
  if (!m)
    return {
      maintenance: {
        noticeBeforeMs: 24 * 3_600_000,
        channel: null,
        windows: [],
        combined: {},
        processPlaybookId: null,
      },
      playbooks: [],
    };
  const before = (m.process?.before ?? []).map(toStep);
  const during = (m.process?.during ?? []).map(toStep);
  const after = (m.process?.after ?? []).map(toStep);
  const playbook = (id: string, title: string, tasks: PlaybookStep[]): Playbook => ({
    id,
    title,
    kind: 'procedure',
    match: [],
    symptoms: [],
    detection: before,
    mitigation: [...tasks, ...during],
    resolution: after,
    prevention: [],
    outsideIncident: { channel: m.channel ?? null },
    phaseLabels: MAINTENANCE_LABELS,
  });
  const windows = Object.entries(m.windows).map(([key, w]) => ({
    key,
    title: w.title,
    schedule: w.schedule ?? null,
    playbookId: `maintenance-${key}`,
    tasks: w.tasks.map(toStep),
  }));
  const playbooks = windows.map((w) =>
    playbook(w.playbookId, w.schedule ? `${w.title} (${describeSchedule(w.schedule)})` : w.title, w.tasks),
  );
  // A window that may take in smaller ones gets a checklist for each set of them it may take in: its own tasks, then
  // theirs, each task saying its window.
  const combined: Record<string, string> = {};
  const titled = (w: (typeof windows)[number]) =>
    w.tasks.map((t): PlaybookStep => ({ ...t, text: `${w.title}: ${t.text}` }));
  for (const big of windows) {
    const fits = windows.filter((small) => small !== big && mayTakeIn(big, small));
    for (const set of subsets(fits)) {
      const key = combinedKey(
        big.key,
        set.map((w) => w.key),
      );
      const id = `maintenance-${key}`;
      combined[key] = id;
      const title = `${big.title} with ${set.map((w) => w.title).join(', ')}`;
      playbooks.push({
        ...playbook(id, title, [...titled(big), ...set.flatMap(titled)]),
        unlisted: true,
      });
    }
  }
  const withProcess = m.process !== undefined;
  if (withProcess) playbooks.push(playbook('maintenance', 'Maintenance Process', []));
  return {
    maintenance: {
      noticeBeforeMs: m.notice_before,
      channel: m.channel ?? null,
      windows: windows.map(({ tasks: _, ...w }) => w),
      combined,
      processPlaybookId: withProcess ? 'maintenance' : null,
    },
    playbooks,
  };
}

/** The key of a window with the windows it takes in (`monthly+weekly`), in the file's order of keys. */
export const combinedKey = (larger: string, takenIn: readonly string[]) => [larger, ...[...takenIn].sort()].join('+');

/** Every non-empty subset (at most 4 windows are considered: 15 sets). */
function subsets<T>(items: readonly T[]): T[][] {
  const some = items.slice(0, 4);
  const out: T[][] = [];
  for (let mask = 1; mask < 1 << some.length; mask++) out.push(some.filter((_, i) => mask & (1 << i)));
  return out;
}

/** How long an occurrence of a schedule lasts. */
export function scheduleLengthMs(s: MaintenanceSchedule): number {
  if (s.kind === 'interval') return s.forMs;
  return (s.toMin > s.fromMin ? s.toMin - s.fromMin : s.toMin + 1440 - s.fromMin) * 60_000;
}

/**
 * Whether window `big` is the one that takes `small` in when an occurrence of each overlaps that way: the longer one
 * (of two as long, the first key). Pure.
 */
export function takesPrecedence(
  big: { key: string; schedule: MaintenanceSchedule | null },
  small: { key: string; schedule: MaintenanceSchedule | null },
): boolean {
  if (!big.schedule || !small.schedule || big.key === small.key) return false;
  const a = scheduleLengthMs(big.schedule);
  const b = scheduleLengthMs(small.schedule);
  return a > b || (a === b && big.key < small.key);
}

/** Whether an occurrence of `big` may ever hold a whole occurrence of `small` (read from the schedules alone). */
function mayTakeIn(
  big: { key: string; schedule: MaintenanceSchedule | null },
  small: { key: string; schedule: MaintenanceSchedule | null },
): boolean {
  const b = big.schedule;
  const s = small.schedule;
  if (!b || !s || !takesPrecedence(big, small)) return false;
  if (b.kind === 'interval' || s.kind === 'interval') return b.kind === 'interval' && s.kind === 'interval';
  const within =
    b.fromMin <= s.fromMin && scheduleLengthMs(s) + (s.fromMin - b.fromMin) * 60_000 <= scheduleLengthMs(b);
  return within && b.weekday === s.weekday;
}

/**
 * The occurrence of `big` that holds the whole occurrence `occ` of another window, if one does: `big`'s occurrence
 * open at occ's start (or the next, which then cannot hold it). Pure.
 */
export function holding(
  big: MaintenanceSchedule,
  occ: { startsAt: Date; endsAt: Date },
): { startsAt: Date; endsAt: Date } | null {
  const b = nextOccurrence(big, occ.startsAt);
  return b.startsAt <= occ.startsAt && b.endsAt >= occ.endsAt ? b : null;
}

const hhmm = (min: number) => `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
const dayName = (d: number) => WEEKDAYS[d]!.charAt(0).toUpperCase() + WEEKDAYS[d]!.slice(1);
const NTH = { 1: 'first', 2: 'second', 3: 'third', 4: 'fourth', [-1]: 'last' } as Record<number, string>;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Sundays 02:00–04:00 UTC", "first Sunday of the month 02:00–06:00 UTC", "every 10 seconds for 4 seconds". */
export function describeSchedule(s: MaintenanceSchedule): string {
  if (s.kind === 'interval') return `every ${describeDuration(s.everyMs)} for ${describeDuration(s.forMs)}`;
  const hours = `${hhmm(s.fromMin)}–${hhmm(s.toMin)} UTC`;
  if (s.kind === 'weekly') return `${dayName(s.weekday)}s ${hours}`;
  const of = s.months ? `of ${s.months.map((m) => MONTHS[m - 1]).join(', ')}` : 'of the month';
  return `${NTH[s.nth]} ${dayName(s.weekday)} ${of} ${hours}`;
}

const DAY_MS = 86_400_000;

/** A window's span on the day starting at `dayStart` (midnight UTC). */
function span(dayStart: number, fromMin: number, toMin: number): { startsAt: Date; endsAt: Date } {
  const start = dayStart + fromMin * 60_000;
  const end = dayStart + toMin * 60_000 + (toMin <= fromMin ? DAY_MS : 0);
  return { startsAt: new Date(start), endsAt: new Date(end) };
}

/** The nth (or last, -1) `weekday` of a month, as the day of the month. */
function nthWeekday(year: number, month: number, nth: number, weekday: number): number {
  if (nth > 0) {
    const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
    return 1 + ((weekday - first + 7) % 7) + (nth - 1) * 7;
  }
  const lastDay = new Date(Date.UTC(year, month + 1, 0));
  return lastDay.getUTCDate() - ((lastDay.getUTCDay() - weekday + 7) % 7);
}

/** The window open at `at` or, when none is, the next one: the first occurrence that ends after `at`. */
export function nextOccurrence(s: MaintenanceSchedule, at: Date): { startsAt: Date; endsAt: Date } {
  const t = at.getTime();
  if (s.kind === 'interval') {
    const start = Math.floor(t / s.everyMs) * s.everyMs;
    const from = start + s.forMs > t ? start : start + s.everyMs;
    return { startsAt: new Date(from), endsAt: new Date(from + s.forMs) };
  }
  const today = Math.floor(t / DAY_MS) * DAY_MS;
  if (s.kind === 'weekly') {
    // From yesterday (a window past midnight may still be open), the first that ends after `at`.
    for (let d = -1; d <= 8; d++) {
      const day = today + d * DAY_MS;
      if (new Date(day).getUTCDay() !== s.weekday) continue;
      const w = span(day, s.fromMin, s.toMin);
      if (w.endsAt.getTime() > t) return w;
    }
  } else {
    const now = new Date(today - DAY_MS);
    for (let m = 0; m < 14 * 12; m++) {
      const year = now.getUTCFullYear() + Math.floor((now.getUTCMonth() + m) / 12);
      const month = (now.getUTCMonth() + m) % 12;
      if (s.months && !s.months.includes(month + 1)) continue;
      const day = Date.UTC(year, month, nthWeekday(year, month, s.nth, s.weekday));
      const w = span(day, s.fromMin, s.toMin);
      if (w.endsAt.getTime() > t) return w;
    }
  }
  throw new Error('no maintenance window found within the search range');
}

/** The playbook ids the maintenance section makes must not be the file's own; checked on the raw data. */
export function maintenanceProblems(data: unknown): string[] {
  const d = data as { maintenance?: { windows?: unknown; process?: unknown }; playbooks?: unknown } | null;
  if (!d?.maintenance || typeof d.maintenance !== 'object' || !d.playbooks || typeof d.playbooks !== 'object')
    return [];
  const windows = d.maintenance.windows && typeof d.maintenance.windows === 'object' ? d.maintenance.windows : {};
  const made = [...Object.keys(windows).map((k) => [`maintenance-${k}`, `maintenance.windows.${k}`])];
  if (d.maintenance.process) made.push(['maintenance', 'maintenance.process']);
  return made
    .filter(([id]) => Object.hasOwn(d.playbooks as object, id!))
    .map(([id, path]) => `${path}: its checklist is the playbook "${id}", which playbooks already has; rename one`);
}
