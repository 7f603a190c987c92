import { formatDuration } from 'date-fns/formatDuration';

/** Durations as written in the runbook file: `30s`, `15m`, `4h`, `1d`, `1h30m`, `500ms`. */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Written as a duration (`2h`, `1h30m`, `0d`), any case: what parseDuration reads, and the shape of a length of
 * nothing (`0h`) it gives none for, which the commands refuse as no time rather than keep as words.
 */
export const LENGTH_SHAPE = /^(\d+(ms|s|m|h|d))+$/i;

/** A length typed below zero (`-1h`, with a hyphen, a minus sign or an en dash, as phones type it): refused as none. */
export function isNegativeLength(word: string): boolean {
  return /^[-\u2212\u2013]/.test(word) && LENGTH_SHAPE.test(word.slice(1));
}

export function parseDuration(text: string): number | null {
  const s = text.trim().toLowerCase();
  if (!LENGTH_SHAPE.test(s)) return null;
  let total = 0;
  for (const m of s.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return total > 0 ? total : null;
}

/**
 * The longest duration a runbook file may write (a response time, a heartbeat, an alert's duration): a year. Longer is
 * a slip of the keyboard, and past about 178 million years no date or database interval holds it.
 */
export const MAX_RUNBOOK_DURATION_MS = 366 * UNIT_MS.d;

/** A runbook file's duration in ms, or what is wrong with it (for its message). */
export function runbookDuration(text: string): { ms: number } | { problem: string } {
  const ms = parseDuration(text);
  if (ms === null) return { problem: `"${text}" is not a duration; write e.g. 30s, 15m, 4h or 1h30m` };
  if (ms > MAX_RUNBOOK_DURATION_MS) return { problem: `"${text}" is longer than a year: write at most 366d` };
  return { ms };
}

/**
 * 900000 -> "15 minutes", 3600000 -> "1 hour", 5400000 -> "1 hour 30 minutes", 1000 -> "1 second": the one way a
 * length of time is put in words (response times, escalation reasons, time to acknowledge). date-fns does the
 * plurals; parts under a second are dropped unless that is all there is.
 */
export function describeDuration(ms: number): string {
  if (ms === 0) return '0 seconds';
  if (ms < UNIT_MS.s) return `${ms} ms`;
  let rest = ms;
  const take = (size: number) => {
    const n = Math.floor(rest / size);
    rest -= n * size;
    return n;
  };
  const days = take(UNIT_MS.d);
  const hours = take(UNIT_MS.h);
  const minutes = take(UNIT_MS.m);
  const seconds = take(UNIT_MS.s);
  return formatDuration({ days, hours, minutes, seconds }, { delimiter: ' ' });
}
