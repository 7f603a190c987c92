/**
 * On-call rotations, as PagerDuty and Grafana OnCall schedules behave: who is on call at a moment is computed from the
 * runbook file's rotation (people in order, hand-off day and time in a time zone, shift length, an anchor) and the
 * overrides and swaps people made, never stored. Hand-offs keep their wall-clock time in the rotation's time zone
 * across daylight-saving changes (a weekly shift then lasts 167 or 169 hours). A hand-off time the clocks skip that
 * day happens when they have jumped (02:30 on the spring-forward night in New York is 03:30 EDT); one they repeat,
 * at its first occurrence. Pure: no I/O, no Slack.
 */
import { TZDate } from '@date-fns/tz';

/** Day names as the runbook file writes them, in `Date.getDay()` order. */
export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** How long a shift lasts: a calendar day or week (same wall-clock hand-off), or a fixed length of time. */
export type Shift = { kind: 'daily' } | { kind: 'weekly'; day: number } | { kind: 'every'; ms: number };

export interface ClockTime {
  h: number;
  m: number;
}

/** One layer of a rotation: its people take turns, one shift each. */
export interface RotationLayer {
  people: readonly string[];
  shift: Shift;
  /** The hand-off's time of day, in `timeZone` (unused by fixed-length shifts once anchored). */
  time: ClockTime;
  timeZone: string;
  /** The hand-off at which `people[0]` takes over; earlier and later shifts follow the order from there. */
  anchor: Date;
}

/** A second layer (a daytime shadow): paged besides the first while its hours hold. */
export interface ExtraLayer extends RotationLayer {
  name: string;
  /** Local hours it is on (`to` before `from`: overnight); null: all day. */
  hours: { from: ClockTime; to: ClockTime } | null;
  /** Local days it is on (`Date.getDay()` numbers); null: every day. */
  days: readonly number[] | null;
}

export interface Rotation extends RotationLayer {
  /** Where hand-off notices go (a channel ID); null: the incidents channel. */
  handoffChannel: string | null;
  layer: ExtraLayer | null;
}

/** A time range made by hand: someone takes the shift (`override`), or two people trade theirs (`swap`). */
export interface Override {
  id: number;
  role: string;
  kind: 'override' | 'swap';
  /** Who takes over (override), or one of the two who trade (swap). */
  userId: string;
  /** The other one of a swap; null for an override. */
  otherId: string | null;
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  createdAt: Date;
}

/** Who is on call at a moment, and why. */
export interface OnCall {
  userId: string;
  via: 'rotation' | 'override' | 'swap';
  /** The override or swap that put them there. */
  override: Override | null;
}

/** A stretch of time one person is on call for the same reason. */
export interface Segment extends OnCall {
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;

interface LocalParts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  dow: number;
}

/** The wall-clock reading of an instant in a time zone. */
export function localParts(t: Date, timeZone: string): LocalParts {
  const z = new TZDate(t.getTime(), timeZone);
  return { y: z.getFullYear(), mo: z.getMonth(), d: z.getDate(), h: z.getHours(), mi: z.getMinutes(), dow: z.getDay() };
}

/** How far the zone's clock is ahead of UTC at an instant, in ms. */
const offsetAt = (ms: number, timeZone: string) => -new TZDate(ms, timeZone).getTimezoneOffset() * 60_000;

/**
 * The instant a wall-clock reading stands for (days past the month's end roll over, as Date's do). A reading the
 * clocks repeat (autumn) is its first occurrence; one they skip (spring) is read on the clock before the change, so
 * it falls after the jump (02:30 on New York's spring-forward night is 03:30 EDT). TZDate alone took the second of
 * two repeated readings in zones east of UTC (London's 01:30 on 25 Oct 2026 as 01:30Z, not 00:30Z).
 */
export function atLocal(y: number, mo: number, d: number, time: ClockTime, timeZone: string): Date {
  const wall = Date.UTC(y, mo, d, time.h, time.m);
  // The zone's offsets a day either side: a reading is at most one clock change from both.
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const fits = [wall - before, wall - after].filter((t) => offsetAt(t, timeZone) === wall - t);
  return new Date(fits.length ? Math.min(...fits) : wall - before);
}

/** Days since 1970-01-01 of a calendar date (no time zone: a count of dates). */
const dayNumber = (y: number, mo: number, d: number) => Math.round(Date.UTC(y, mo, d) / DAY_MS);

/** Whether a time zone name is one this runtime knows (IANA names such as Europe/London, and UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The hand-off at or before `t` (its instant and local day number), ignoring the anchor. */
function handoffAtOrBefore(layer: Omit<RotationLayer, 'anchor' | 'people'>, t: Date): { at: Date; day: number } {
  const { shift, time, timeZone } = layer;
  if (shift.kind === 'every') throw new Error('fixed-length shifts have no calendar hand-off');
  const p = localParts(t, timeZone);
  const step = shift.kind === 'weekly' ? 7 : 1;
  let d = shift.kind === 'weekly' ? p.d - ((p.dow - shift.day + 7) % 7) : p.d;
  let at = atLocal(p.y, p.mo, d, time, timeZone);
  if (at > t) {
    d -= step;
    at = atLocal(p.y, p.mo, d, time, timeZone);
  }
  return { at, day: dayNumber(p.y, p.mo, d) };
}

/** The first hand-off at or after `start`: where a calendar rotation anchors its order. */
export function firstHandoffFrom(layer: Omit<RotationLayer, 'anchor' | 'people'>, start: Date): Date {
  if (layer.shift.kind === 'every') return start;
  const before = handoffAtOrBefore(layer, start);
  if (before.at.getTime() === start.getTime()) return start;
  return nextHandoff(layer, before.day);
}

/** The hand-off that follows the one of local day number `day`. */
function nextHandoff(layer: Omit<RotationLayer, 'anchor' | 'people'>, day: number): Date {
  const step = layer.shift.kind === 'weekly' ? 7 : 1;
  const date = new Date((day + step) * DAY_MS);
  return atLocal(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), layer.time, layer.timeZone);
}

/** The shift that holds `t`: its number from the anchor (negative before it), start and end. */
export function shiftAt(layer: RotationLayer, t: Date): { index: number; start: Date; end: Date } {
  const { shift } = layer;
  if (shift.kind === 'every') {
    const index = Math.floor((t.getTime() - layer.anchor.getTime()) / shift.ms);
    const start = new Date(layer.anchor.getTime() + index * shift.ms);
    return { index, start, end: new Date(start.getTime() + shift.ms) };
  }
  const step = shift.kind === 'weekly' ? 7 : 1;
  const a = localParts(layer.anchor, layer.timeZone);
  const here = handoffAtOrBefore(layer, t);
  const index = Math.round((here.day - dayNumber(a.y, a.mo, a.d)) / step);
  return { index, start: here.at, end: nextHandoff(layer, here.day) };
}

const mod = (n: number, m: number) => ((n % m) + m) % m;

/** Who the layer's order puts on call at `t`. */
export function scheduledAt(layer: RotationLayer, t: Date): string {
  return layer.people[mod(shiftAt(layer, t).index, layer.people.length)]!;
}

const minutes = (c: ClockTime) => c.h * 60 + c.m;

/** Whether the second layer is on at `t` (its hours and days, in its time zone). */
export function layerActive(layer: ExtraLayer, t: Date): boolean {
  const p = localParts(t, layer.timeZone);
  if (layer.days && !layer.days.includes(p.dow)) return false;
  if (!layer.hours) return true;
  const now = p.h * 60 + p.mi;
  const from = minutes(layer.hours.from);
  const to = minutes(layer.hours.to);
  return from < to ? now >= from && now < to : now >= from || now < to;
}

/** The stretches of time the second layer is on (its days and hours, in its time zone) within `[from, to)`. */
export function layerWindows(layer: ExtraLayer, from: Date, to: Date): { start: Date; end: Date }[] {
  const out: { start: Date; end: Date }[] = [];
  const p = localParts(from, layer.timeZone);
  const midnight = { h: 0, m: 0 };
  // From the day before: a window that wraps midnight may have begun then.
  for (let k = -1; ; k++) {
    const dayStart = atLocal(p.y, p.mo, p.d + k, midnight, layer.timeZone);
    if (dayStart >= to) break;
    const dow = new Date(Date.UTC(p.y, p.mo, p.d + k)).getUTCDay();
    if (layer.days && !layer.days.includes(dow)) continue;
    const at = (c: ClockTime, plus = 0) => atLocal(p.y, p.mo, p.d + k + plus, c, layer.timeZone);
    const h = layer.hours;
    const pieces: [Date, Date][] = !h
      ? [[dayStart, at(midnight, 1)]]
      : minutes(h.from) < minutes(h.to)
        ? [[at(h.from), at(h.to)]]
        : [
            [dayStart, at(h.to)],
            [at(h.from), at(midnight, 1)],
          ];
    for (const [a, b] of pieces) {
      const start = a < from ? from : a;
      const end = b > to ? to : b;
      if (start >= end) continue;
      const last = out.at(-1);
      if (last && last.end.getTime() === start.getTime()) last.end = end;
      else out.push({ start, end });
    }
  }
  return out;
}

/** Who the second layer has on within `[from, to)`: its people's stretches while its hours hold, at most `limit`. */
export function layerSegments(
  layer: ExtraLayer,
  from: Date,
  to: Date,
  limit = 100,
): { userId: string; start: Date; end: Date }[] {
  const out: { userId: string; start: Date; end: Date }[] = [];
  for (const w of layerWindows(layer, from, to)) {
    for (const s of segments(layer, [], w.start, w.end, limit)) {
      const last = out.at(-1);
      if (last && last.userId === s.userId && last.end.getTime() === s.start.getTime()) last.end = s.end;
      else if (out.length < limit) out.push({ userId: s.userId, start: s.start, end: s.end });
      else return out;
    }
  }
  return out;
}

const byCreation = (a: Override, b: Override) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id;
const holds = (o: Override, t: Date) => o.startsAt <= t && t < o.endsAt;

/**
 * Who is on call at `t`: the rotation's person, traded by the swaps that hold then (oldest first), unless an override
 * holds then (the latest made wins, as in PagerDuty).
 */
export function onCallAt(rotation: RotationLayer, overrides: readonly Override[], t: Date): OnCall {
  const now = overrides.filter((o) => holds(o, t)).sort(byCreation);
  const taken = now.filter((o) => o.kind === 'override').at(-1);
  if (taken) return { userId: taken.userId, via: 'override', override: taken };
  let userId = scheduledAt(rotation, t);
  let swap: Override | null = null;
  for (const o of now) {
    if (o.kind !== 'swap' || !o.otherId) continue;
    if (userId === o.userId) userId = o.otherId;
    else if (userId === o.otherId) userId = o.userId;
    else continue;
    swap = o;
  }
  return swap ? { userId, via: 'swap', override: swap } : { userId, via: 'rotation', override: null };
}

/** Pieces of time looked at, at most, by one call of `segments` (a `3s` rotation over 14 days has 400,000). */
const MAX_PIECES = 20_000;

/**
 * Who is on call from `from` until `to`, as stretches of one person for one reason (adjacent shifts of the same
 * person are one stretch), at most `limit` of them. The last one ends at `to` when nothing changes before it.
 */
export function segments(
  rotation: RotationLayer,
  overrides: readonly Override[],
  from: Date,
  to: Date,
  limit = 100,
): Segment[] {
  const out: Segment[] = [];
  const edges = overrides.flatMap((o) => [o.startsAt.getTime(), o.endsAt.getTime()]);
  let cursor = from;
  for (let pieces = 0; cursor < to && pieces < MAX_PIECES; pieces++) {
    const shiftEnd = shiftAt(rotation, cursor).end.getTime();
    const nextEdge = Math.min(shiftEnd, to.getTime(), ...edges.filter((e) => e > cursor.getTime()));
    const end = new Date(nextEdge);
    const who = onCallAt(rotation, overrides, cursor);
    const last = out.at(-1);
    if (last && last.userId === who.userId && last.via === who.via && last.override?.id === who.override?.id) {
      last.end = end;
    } else {
      if (out.length === limit) break;
      out.push({ ...who, start: cursor, end });
    }
    cursor = end;
  }
  return out;
}

/** A change of the person on call (not of the reason): what a hand-off notice announces. */
export interface Handoff {
  at: Date;
  from: OnCall;
  to: OnCall;
}

/** The hand-offs (the person changes) in `(after, until]`, in order. */
export function handoffsBetween(
  rotation: RotationLayer,
  overrides: readonly Override[],
  after: Date,
  until: Date,
  limit = 20,
): Handoff[] {
  const segs = segments(rotation, overrides, after, new Date(until.getTime() + 1), limit * 4 + 1);
  const out: Handoff[] = [];
  for (let i = 1; i < segs.length && out.length < limit; i++) {
    const prev = segs[i - 1]!;
    const next = segs[i]!;
    if (prev.userId !== next.userId && next.start > after && next.start <= until)
      out.push({ at: next.start, from: prev, to: next });
  }
  return out;
}

/** Whom a role pages at `t`: the person on call, the second layer's while on, then the fixed contacts; no repeats. */
export function pageesAt(
  role: { contacts: readonly string[]; rotation?: Rotation | null },
  overrides: readonly Override[],
  t: Date,
): string[] {
  const out: string[] = [];
  const { rotation } = role;
  if (rotation) {
    out.push(onCallAt(rotation, overrides, t).userId);
    if (rotation.layer && layerActive(rotation.layer, t)) out.push(scheduledAt(rotation.layer, t));
  }
  out.push(...role.contacts);
  return [...new Set(out)];
}
