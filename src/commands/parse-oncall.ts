import type { OwnerRef } from '../incidents/action-items.js';
import type { BoardMoment, OverrideEnd, WallTime } from '../incidents/oncall.service.js';
import { isTimeZone } from '../incidents/rotation.js';
import { LENGTH_SHAPE, parseDuration } from '../runbook/duration.js';
import { parsePerson } from './parse-person.js';

/** `/incident oncall …` as typed: the board (now, or at a moment), a person's shifts, an override or a swap. */
export type OnCallCommand =
  | { kind: 'board'; at?: BoardMoment }
  | { kind: 'person'; who: OwnerRef; at?: BoardMoment }
  | { kind: 'override'; who: OwnerRef; role: string | null; start: WallTime | null; end: OverrideEnd }
  | { kind: 'swap'; who: OwnerRef; other: OwnerRef; role: string | null; start: WallTime | null; end: OverrideEnd };

export type OnCallParse = { ok: true; command: OnCallCommand } | { ok: false; error: string };

export const ONCALL_FORMS =
  '`/incident oncall` (who is on call; `tomorrow`, `at 18:00`, `friday 09:00`, `2026-12-01 09:00`, `in 8h` for later), ' +
  '`/incident oncall @person` (their shifts; `@person tomorrow` from then), ' +
  '`/incident oncall override @person [role] 2h` (or `until 18:00`, `until 2026-12-01 09:00`; ' +
  'later: `from 20:00 until 23:00`, `from 2026-12-01 09:00 for 8h`), ' +
  '`/incident oncall swap @a @b [role] 2h`';

const person = (raw: string | undefined) => parsePerson(raw, 'on call is one person at a time');

/** A zone typed after a time: `UTC`, `Z`, `GMT`, or an IANA name the runtime knows (`Europe/London`), as it names it. */
function zoneOf(word: string): string | null {
  if (/^(utc|z|gmt)$/i.test(word)) return 'UTC';
  if (!word.includes('/') || !isTimeZone(word)) return null;
  return new Intl.DateTimeFormat('en', { timeZone: word }).resolvedOptions().timeZone;
}

/**
 * `18:00`, `tomorrow 18:00`, `2026-12-01 09:00`, `2026-12-01T09:00`, each with a zone after it or not (`18:00 UTC`,
 * `18:00Z`, `18:00 Europe/London`): a wall-clock time, read in the zone typed, else the rotation's (the command's).
 */
export function wallTimeOf(text: string, word: 'until' | 'from'): WallTime | string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const tomorrow = words[0]?.toLowerCase() === 'tomorrow';
  if (tomorrow) words.shift();
  let zone = words.length > 1 ? zoneOf(words.at(-1)!) : null;
  if (zone) words.pop();
  let body = words.join(' ');
  if (!zone && /\dz$/i.test(body)) {
    zone = 'UTC';
    body = body.slice(0, -1);
  }
  const m = /^(?:(\d{4})-(\d{2})-(\d{2})[ T])?([01]?\d|2[0-3]):([0-5]\d)$/.exec(body);
  if (!m || (tomorrow && m[1]))
    return `\`${word} ${text}\` is not a time: write \`${word} 18:00\`, \`${word} tomorrow 18:00\`, \`${word} 18:00 UTC\` or \`${word} 2026-12-01 09:00\`.`;
  const time = { h: Number(m[4]), m: Number(m[5]) };
  const typed = { ...(tomorrow ? { tomorrow } : {}), ...(zone ? { zone } : {}) };
  if (!m[1]) return { date: null, time, ...typed };
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const check = new Date(Date.UTC(y, mo, d));
  if (check.getUTCMonth() !== mo || check.getUTCDate() !== d) return `\`${m[1]}-${m[2]}-${m[3]}\` is not a date.`;
  return { date: { y, mo, d }, time, ...typed };
}

const HOW_LONG = 'Say how long: a length (`2h`, `30m`, `1d`) or `until 18:00` / `until 2026-12-01 09:00`.';

/** The end as typed after the start (or the role): `2h`, `for 2h`, `until 18:00`, `until 2026-12-01 09:00`. */
export function endOf(words: string[]): OverrideEnd | string {
  const first = words[0]?.toLowerCase();
  if (first === 'until') {
    const w = wallTimeOf(words.slice(1).join(' '), 'until');
    return typeof w === 'string' ? w : { kind: 'until', ...w };
  }
  const rest = first === 'for' ? words.slice(1) : words;
  const ms = rest.length === 1 ? parseDuration(rest[0]!) : null;
  return ms === null ? howLong(rest.at(-1)) : { kind: 'for', ms };
}

/** What to say of a length that is missing or not one; a length of nothing says so. */
function howLong(word: string | undefined): string {
  if (word && LENGTH_SHAPE.test(word))
    return `\`${word}\` is no time at all: say how long the override lasts, e.g. \`2h\`, \`30m\` or \`until 18:00\`.`;
  return HOW_LONG;
}

type Timing = { role: string | null; start: WallTime | null; end: OverrideEnd };

/**
 * The role words and the time after the people: `[role] 2h`, `[role] for 2h`, `[role] until 18:00`, and, for one
 * that starts later, `[role] from 20:00 until 23:00` or `[role] from 2026-12-01 09:00 for 8h`.
 */
function roleAndTiming(words: string[]): Timing | string {
  const lower = words.map((w) => w.toLowerCase());
  const from = lower.indexOf('from');
  const role = (ws: string[]) => (ws.length ? ws.join(' ') : null);
  if (from !== -1) {
    const after = lower.slice(from + 1);
    const stop = after.findIndex((w) => w === 'until' || w === 'for');
    if (stop === -1)
      return 'Say when it ends after the start: `from 20:00 until 23:00` or `from 2026-12-01 09:00 for 8h`.';
    const start = wallTimeOf(words.slice(from + 1, from + 1 + stop).join(' '), 'from');
    if (typeof start === 'string') return start;
    const end = endOf(words.slice(from + 1 + stop));
    if (typeof end === 'string') return end;
    return { role: role(words.slice(0, from)), start, end };
  }
  const until = lower.indexOf('until');
  if (until !== -1) {
    // `for 30m until 20:00`, `until 20:00 for 30m`: a length and an end, of which one would be taken for a role.
    const before = words.slice(0, until);
    const lengthBefore = before.length > 0 && LENGTH_SHAPE.test(before.at(-1)!);
    const forAfter = lower.indexOf('for', until);
    if (lengthBefore || forAfter !== -1) {
      const length = lengthBefore
        ? before.slice(lower[until - 2] === 'for' ? -2 : -1).join(' ')
        : words.slice(forAfter).join(' ');
      const end = words.slice(until, forAfter === -1 ? undefined : forAfter).join(' ');
      return `\`${length}\` and \`${end}\` are both given: an override has one end. Keep one, a length (\`${length}\`) or a time (\`${end}\`). Nothing was recorded.`;
    }
    const end = endOf(words.slice(until));
    return typeof end === 'string' ? end : { role: role(words.slice(0, until)), start: null, end };
  }
  const last = words.at(-1);
  const ms = last ? parseDuration(last) : null;
  if (ms === null) return howLong(last);
  const roleWords = words.slice(0, -1);
  if (roleWords.at(-1)?.toLowerCase() === 'for') roleWords.pop();
  return { role: role(roleWords), start: null, end: { kind: 'for', ms } };
}

/**
 * Moves the people named after the verb (`override 2h @bob`, `swap @a 2h @b`) to just after it, in the order typed,
 * so the time and the role may come before them. Role and time words never start with @ or <@.
 */
function peopleFirst(words: string[], count: number): void {
  const at: number[] = [];
  for (let i = 1; i < words.length && at.length < count; i++) if (person(words[i]) !== null) at.push(i);
  const people = at.map((i) => words[i]!);
  for (const i of at.reverse()) words.splice(i, 1);
  words.splice(1, 0, ...people);
}

/**
 * Words that only ask who is on call now, as `/incident oncall` alone does (`now`, `who`, `who is on call?`, `list`),
 * and `is on call`, what is left of `/incident who is on call` (`who` names the subcommand).
 */
const ASKING = new Set([
  ...['now', 'who', "who's", 'whos', 'list', 'ls', 'board', 'show', 'all'],
  ...['is', 'on', 'call', 'on-call', 'oncall', 'today', 'right', '?', 'call?', 'now?'],
]);

const WEEKDAY_NUMBERS = new Map<string, number>(
  ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].flatMap((d, i): [string, number][] => [
    [d, i],
    [d.slice(0, 3), i],
  ]),
);

/**
 * A moment typed after the asking words (`at 18:00`, `tomorrow`, `tomorrow at 09:00`, `friday 18:00`, `on
 * 2026-12-05 09:00`, `in 8h`, `next week`); null when the words are no moment; a sentence when they are one badly.
 */
function boardMoment(words: readonly string[]): BoardMoment | string | null {
  const ws = words.map((w) => w.toLowerCase().replace(/\?$/, '')).filter(Boolean);
  if (ws[0] === 'in' && ws.length === 2) {
    const ms = parseDuration(ws[1]!);
    if (ms !== null && ms > 0) return { kind: 'in', ms };
    return LENGTH_SHAPE.test(ws[1]!) ? `\`in ${ws[1]}\` is no time from now: write a length, e.g. \`in 8h\`.` : null;
  }
  if (ws.join(' ') === 'next week') return { kind: 'in', ms: 7 * 86_400_000 };
  const rest = ws[0] === 'at' || ws[0] === 'on' ? ws.slice(1) : ws;
  let day: Extract<BoardMoment, { kind: 'wall' }>['day'] = null;
  let at = 0;
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(rest[0] ?? '');
  if (rest[0] === 'tomorrow') day = { kind: 'tomorrow' };
  else if (rest[0] && WEEKDAY_NUMBERS.has(rest[0])) day = { kind: 'weekday', dow: WEEKDAY_NUMBERS.get(rest[0])! };
  else if (date) {
    const [y, mo, d] = [Number(date[1]), Number(date[2]) - 1, Number(date[3])];
    const check = new Date(Date.UTC(y, mo, d));
    if (check.getUTCMonth() !== mo || check.getUTCDate() !== d) return `\`${rest[0]}\` is not a date.`;
    day = { kind: 'date', y, mo, d };
  }
  if (day) at = rest[1] === 'at' ? 2 : 1;
  const clock = rest.slice(at);
  if (clock.length === 0) return day ? { kind: 'wall', day, time: null } : null;
  const t = clock.length === 1 ? /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(clock[0]!) : null;
  // After a day or `at`, what follows can only be meant as the time.
  if (!t) return day || ws[0] === 'at' ? `\`${clock.join(' ')}\` is not a time: write it as \`18:00\`.` : null;
  return { kind: 'wall', day, time: { h: Number(t[1]), m: Number(t[2]) } };
}

/** Reads what follows `/incident oncall`. Errors are sentences for the person who typed it. */
export function parseOnCall(raw: string | null): OnCallParse {
  const words = (raw ?? '').trim().split(/\s+/).filter(Boolean);
  const first = words[0]?.toLowerCase();
  if (!first || words.every((w) => ASKING.has(w.toLowerCase()))) return { ok: true, command: { kind: 'board' } };
  const bad = (error: string): OnCallParse => ({ ok: false, error: `${error}\nForms: ${ONCALL_FORMS}` });
  // Who is on call later: the asking words (`who is on call`), then a moment.
  const asking = words.findIndex((w) => !ASKING.has(w.toLowerCase()));
  const moment = boardMoment(words.slice(asking));
  if (typeof moment === 'string') return bad(moment);
  if (moment) return { ok: true, command: { kind: 'board', at: moment } };
  if (first === 'override' || first === 'swap') {
    peopleFirst(words, first === 'swap' ? 2 : 1);
    const who = person(words[1]);
    if (typeof who === 'string') return bad(who);
    if (!who)
      return bad(
        `Name the person after \`${first}\` with @, e.g. \`/incident oncall ${first} @alice${first === 'swap' ? ' @bob' : ''} 2h\`.`,
      );
    const other = first === 'swap' ? person(words[2]) : null;
    if (typeof other === 'string') return bad(other);
    if (first === 'swap' && !other) return bad('A swap names two people: `/incident oncall swap @alice @bob 2h`.');
    const rest = roleAndTiming(words.slice(first === 'swap' ? 3 : 2));
    if (typeof rest === 'string') return bad(rest);
    return {
      ok: true,
      command: other ? { kind: 'swap', who, other, ...rest } : { kind: 'override', who, ...rest },
    };
  }
  const who = person(words[0]);
  if (typeof who === 'string') return bad(who);
  if (who && words.length === 1) return { ok: true, command: { kind: 'person', who } };
  // Their shifts from a moment on (`@alice tomorrow`, `@alice next week`, `@alice is on call friday?`).
  if (who) {
    const after = words.slice(1);
    const from = after.findIndex((w) => !ASKING.has(w.toLowerCase()));
    const at = from < 0 ? null : boardMoment(after.slice(from));
    if (typeof at === 'string') return bad(at);
    if (from < 0) return { ok: true, command: { kind: 'person', who } };
    if (at) return { ok: true, command: { kind: 'person', who, at } };
  }
  return bad(`\`/incident oncall\` does not take \`${words.join(' ')}\`.`);
}
