/** Milliseconds of each unit a person may name, by the words and letters they write it with. */
const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** One amount and its unit, then what may join it to the next: `30 minutes`, `1h`, `an hour and`, `2 hrs,`. */
const PART = /(\d+|an?)\s*([a-z]+)\s*(?:,|and)?\s*/y;

/**
 * A time from now as a person types it: `30m`, `in 30 minutes`, `30 min`, `1 hour`, `in 1h`, `+45m`, `an hour`,
 * `1 hour 30 minutes`, `1h30m`, `2 hours from now`. Milliseconds, or null when it is not one (or comes to nothing).
 */
export function parseFromNow(typed: string): number | null {
  const t = typed
    .trim()
    .toLowerCase()
    .replace(/^(in|\+)\s*/, '')
    .replace(/\s*from now$/, '');
  if (!t) return null;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < t.length) {
    const at = PART.lastIndex;
    const m = PART.exec(t);
    if (!m || m.index !== at) return null;
    const unit = UNIT_MS[m[2]!];
    if (unit === undefined) return null;
    total += (/^\d+$/.test(m[1]!) ? Number(m[1]) : 1) * unit;
  }
  return total > 0 ? total : null;
}
