import { describeDuration } from '../runbook/duration.js';
import { DomainError } from './errors.js';
import type { WallTime } from './oncall.service.js';
import { atLocal, localParts } from './rotation.js';

/**
 * A time of day typed alone (`until 17:30`) that passed less than this long ago today is refused, not read as
 * tomorrow's: typed at 17:38, `until 17:30` is a slip or a stale command, never a window of almost a day.
 */
export const PASSED_TODAY_MS = 12 * 3_600_000;

const hhmm = (w: WallTime) => `${String(w.time.h).padStart(2, '0')}:${String(w.time.m).padStart(2, '0')}`;

/** A time of day in a zone as said back: `22:00 UTC`, `17:30 (America/New_York)`. */
export const zonedClock = (w: WallTime, timeZone: string) =>
  timeZone === 'UTC' ? `${hhmm(w)} UTC` : `${hhmm(w)} (${timeZone})`;

/**
 * The instant a typed wall-clock time stands for, read in its own zone if it names one (`18:00 Europe/London`), else
 * in `timeZone`: a day and time as given; `tomorrow 18:00` that time tomorrow (from `now`); a time alone its next
 * occurrence after `after`. Read from now (`after` is `now`), a time alone that passed less than PASSED_TODAY_MS ago
 * is refused with what to write for tomorrow's (`word` is how it was typed: `until`, `from`); `nothing` ends it.
 */
export function resolveWallTime(
  w: WallTime,
  timeZone: string,
  after: Date,
  now: Date,
  word: string,
  nothing: string,
): Date {
  const tz = w.zone ?? timeZone;
  if (w.date) return atLocal(w.date.y, w.date.mo, w.date.d, w.time, tz);
  if (w.tomorrow) {
    const n = localParts(now, tz);
    return atLocal(n.y, n.mo, n.d + 1, w.time, tz);
  }
  const p = localParts(after, tz);
  if (w.weekday !== undefined) {
    // `saturday 23:00`: that time on the next Saturday from `after`, the same day's if it is still to come.
    const on = atLocal(p.y, p.mo, p.d + ((w.weekday - p.dow + 7) % 7), w.time, tz);
    return on > after ? on : atLocal(p.y, p.mo, p.d + ((w.weekday - p.dow + 7) % 7) + 7, w.time, tz);
  }
  const today = atLocal(p.y, p.mo, p.d, w.time, tz);
  if (today > after) return today;
  const ago = after.getTime() - today.getTime();
  if (after.getTime() === now.getTime() && ago < PASSED_TODAY_MS) {
    const minutes = Math.max(1, Math.floor(ago / 60_000));
    throw new DomainError(
      'time_passed',
      `${zonedClock(w, tz)} has passed today (${describeDuration(minutes * 60_000)} ago); for tomorrow's, write \`${word} tomorrow ${hhmm(w)}${w.zone ? ` ${w.zone}` : ''}\`. ${nothing}`,
    );
  }
  return atLocal(p.y, p.mo, p.d + 1, w.time, tz);
}
