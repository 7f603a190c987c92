import type { OwnerRef } from '../incidents/action-items.js';
import type { BoardMoment, OverrideEnd, WallTime } from '../incidents/oncall.service.js';
import { isTimeZone } from '../incidents/rotation.js';
import { isNegativeLength, LENGTH_SHAPE, parseDuration } from '../runbook/duration.js';
import { clockOf, isClock, joinMeridiem } from './parse-clock.js';
import { parsePerson } from './parse-person.js';

/** `/incident oncall …` as typed: the board (now, or at a moment), a person's shifts, an override or a swap. */
export type OnCallCommand =
  | { kind: 'board'; at?: BoardMoment }
  | { kind: 'person'; who: OwnerRef; at?: BoardMoment }
  | { kind: 'override'; who: OwnerRef; role: string | null; start: WallTime | null; end: OverrideEnd }
  | { kind: 'swap'; who: OwnerRef; other: OwnerRef; role: string | null; start: WallTime | null; end: OverrideEnd }
  /** The overrides and swaps on now or to come, numbered. */
  | { kind: 'overrides' }
  /** Cancels override or swap number `id`. */
  | { kind: 'cancel'; id: number };

export type OnCallParse = { ok: true; command: OnCallCommand } | { ok: false; error: string };

/**
 * The on-call subcommands led by a word of their own, one row each: the words that name it, how what follows the word
 * is read (a command, or a sentence saying what is wrong), and its form in the usage. A new one is a row here and its
 * handler in the command's table of them (incident.command.ts).
 */
interface OnCallWordSpec {
  names: readonly string[];
  read(rest: readonly string[], word: string): OnCallCommand | string;
  form: string;
}

export const ONCALL_SUBCOMMANDS = {
  overrides: {
    names: ['overrides', 'swaps'],
    read: (rest, word) =>
      rest.length > 0 ? `\`/incident oncall ${word}\` takes nothing after it.` : { kind: 'overrides' },
    form: '`/incident oncall overrides` (the overrides and swaps now and to come, numbered)',
  },
  cancel: {
    names: ['cancel'],
    read: (rest) => {
      const n = /^#?(\d{1,9})$/.exec(rest[0] ?? '');
      if (!n || rest.length > 1)
        return 'Name the override or swap to cancel by its number: `/incident oncall cancel 12` (`/incident oncall overrides` lists them).';
      return { kind: 'cancel', id: Number(n[1]) };
    },
    form: '`/incident oncall cancel 12` (cancels override or swap #12)',
  },
} as const satisfies Record<string, OnCallWordSpec>;

export type OnCallWordKind = keyof typeof ONCALL_SUBCOMMANDS;

const ONCALL_WORD_ROWS = Object.values(ONCALL_SUBCOMMANDS) as OnCallWordSpec[];

export const ONCALL_FORMS =
  '`/incident oncall` (who is on call; `tomorrow`, `at 18:00`, `friday 09:00`, `2026-12-01 09:00`, `in 8h` for later), ' +
  '`/incident oncall @person` (their shifts; `@person tomorrow` from then), ' +
  '`/incident oncall override @person [role] 2h` (or `until 18:00`, `until 2026-12-01 09:00`; ' +
  'later: `from 20:00 until 23:00`, `from 2026-12-01 09:00 for 8h`), ' +
  '`/incident oncall swap @a @b [role] 2h`, ' +
  ONCALL_WORD_ROWS.map((r) => r.form).join(', ');

const person = (raw: string | undefined) => parsePerson(raw, 'on call is one person at a time');

/** A zone typed after a time: `UTC`, `Z`, `GMT`, or an IANA name the runtime knows (`Europe/London`), as it names it. */
function zoneOf(word: string): string | null {
  if (/^(utc|z|gmt)$/i.test(word)) return 'UTC';
  if (!word.includes('/') || !isTimeZone(word)) return null;
  return new Intl.DateTimeFormat('en', { timeZone: word }).resolvedOptions().timeZone;
}

/**
 * Zone abbreviations people type after a time (`18:00 PST`), which the bot does not read as zones (PST is wrong half
 * the year, IST is three zones): the IANA zone each suggests, null where one abbreviation names several.
 */
const ABBREVIATED_ZONES = new Map<string, string | null>([
  ...['pst', 'pdt', 'pt'].map((a): [string, string] => [a, 'America/Los_Angeles']),
  ...['mst', 'mdt', 'mt'].map((a): [string, string] => [a, 'America/Denver']),
  ...['cdt', 'ct'].map((a): [string, string] => [a, 'America/Chicago']),
  ...['est', 'edt', 'et'].map((a): [string, string] => [a, 'America/New_York']),
  ...['akst', 'akdt'].map((a): [string, string] => [a, 'America/Anchorage']),
  ['hst', 'Pacific/Honolulu'],
  ['bst', 'Europe/London'],
  ...['cet', 'cest'].map((a): [string, string] => [a, 'Europe/Berlin']),
  ...['wet', 'west'].map((a): [string, string] => [a, 'Europe/Lisbon']),
  ...['eet', 'eest'].map((a): [string, string] => [a, 'Europe/Athens']),
  ['jst', 'Asia/Tokyo'],
  ['kst', 'Asia/Seoul'],
  ['sgt', 'Asia/Singapore'],
  ['hkt', 'Asia/Hong_Kong'],
  ...['aest', 'aedt'].map((a): [string, string] => [a, 'Australia/Sydney']),
  ...['nzst', 'nzdt'].map((a): [string, string] => [a, 'Pacific/Auckland']),
  ...['ist', 'cst', 'ast'].map((a): [string, null] => [a, null]),
]);

/**
 * A word after a time meant as a zone the bot does not read: an abbreviation (`PST`, `est`, or any in capitals ending
 * in T), an IANA-like name the runtime does not know (`Europe/Londn`), an offset (`+02:00`, `UTC+2`).
 */
const looksLikeZone = (word: string) =>
  ABBREVIATED_ZONES.has(word.toLowerCase()) ||
  /^[A-Z]{2,4}T$/.test(word) ||
  word.includes('/') ||
  /^(utc|gmt)?[+-]\d{1,2}(:?\d{2})?$/i.test(word);

/** What to say of a zone the bot does not read, typed after `moment` (the words before it, e.g. `until 18:00`). */
export function zoneProblem(zone: string, moment: string): string {
  const iana = ABBREVIATED_ZONES.get(zone.toLowerCase());
  return iana
    ? `\`${zone}\` is not a time zone the bot reads: write \`${moment} ${iana}\` (a zone as \`Europe/London\` is written, or \`UTC\`).`
    : `\`${zone}\` is not a time zone the bot reads: write it as \`Europe/London\` or \`America/New_York\` is written, or \`UTC\`.`;
}

const WEEKDAY_NUMBERS = new Map<string, number>(
  ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].flatMap((d, i): [string, number][] => [
    [d, i],
    [d.slice(0, 3), i],
  ]),
);

type MomentDay = Exclude<Extract<BoardMoment, { kind: 'wall' }>['day'], null>;

/** A moment as typed: its day (if one is named), its time of day (if one is), and a zone typed after it. */
export interface TypedMoment {
  day: MomentDay | null;
  time: { h: number; m: number } | null;
  zone: string | null;
}

/**
 * The one reader of a typed moment, for the board (`at 18:00`, `friday 09:00`) and for an override's start and end
 * (`until saturday 23:00`): `[at|on] [day [at]] [time] [zone]`, a day being `tomorrow`, a weekday (`friday`, `fri`)
 * or `2026-12-01` (also `2026-12-01T09:00`), a time `HH:MM[Z]` or a 12-hour one (`6pm`, `6:30 pm`, `12am`), a zone
 * `UTC`, `Z`, `GMT` or an IANA name (`Europe/London`). Null: the words are no moment (neither a day nor a time, nor
 * `at`); an error names what is wrong (its `text` the words that are not a time, or the date that is no date; for a
 * 12-hour time that is none, `problem` says why).
 */
export function typedMoment(
  words: readonly string[],
):
  | TypedMoment
  | { error: 'time' | 'date'; text: string }
  | { error: 'clock'; text: string; problem: string }
  | { error: 'zone'; text: string; moment: string }
  | null {
  let ws = joinMeridiem(words.map((w) => w.replace(/\?$/, '')).filter(Boolean));
  const lead = ws[0]?.toLowerCase();
  if (lead === 'at' || lead === 'on') ws = ws.slice(1);
  const joined = /^(\d{4}-\d{2}-\d{2})t(.+)$/i.exec(ws[0] ?? '');
  if (joined) ws = [joined[1]!, joined[2]!, ...ws.slice(1)];
  let zone = ws.length > 1 ? zoneOf(ws.at(-1)!) : null;
  if (zone) ws = ws.slice(0, -1);
  const first = ws[0]?.toLowerCase() ?? '';
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(first);
  let day: MomentDay | null = null;
  if (first === 'tomorrow') day = { kind: 'tomorrow' };
  else if (WEEKDAY_NUMBERS.has(first)) day = { kind: 'weekday', dow: WEEKDAY_NUMBERS.get(first)! };
  else if (date) {
    const [y, mo, d] = [Number(date[1]), Number(date[2]) - 1, Number(date[3])];
    const check = new Date(Date.UTC(y, mo, d));
    if (check.getUTCMonth() !== mo || check.getUTCDate() !== d) return { error: 'date', text: first };
    day = { kind: 'date', y, mo, d };
  }
  const clock = day ? ws.slice(ws[1]?.toLowerCase() === 'at' ? 2 : 1) : ws;
  if (clock.length === 0) return day ? { day, time: null, zone } : null;
  const t = clock.length === 1 ? clockOf(clock[0]!) : null;
  // `18:00 PST`, `18:00 Europe/Londn`: a time, then a zone the bot does not read; the zone is what is wrong.
  if (clock.length === 2 && isClock(clock[0]!) && looksLikeZone(clock[1]!))
    return { error: 'zone', text: clock[1]!, moment: ws.slice(0, -1).join(' ') };
  // After a day or `at`, what follows can only be meant as the time.
  if (!t) return day || lead === 'at' ? { error: 'time', text: clock.join(' ') } : null;
  // `13pm`, `0am`, `6:75pm`: meant as a time, whatever came before it; what is wrong with it is said.
  if ('problem' in t) return { error: 'clock', text: clock[0]!, problem: t.problem };
  if (t.utc) {
    if (zone) return { error: 'time', text: clock.join(' ') };
    zone = 'UTC';
  }
  return { day, time: { h: t.h, m: t.m }, zone };
}

/**
 * A moment with a time (`18:00`, `6pm`, `tomorrow 18:00`, `saturday 23:00`, `2026-12-01 09:00`, each with a zone
 * after it or not: `18:00 UTC`, `18:00Z`, `18:00 Europe/London`), read by typedMoment: a wall-clock time, read in the zone
 * typed, else the typing person's (or the rotation's).
 */
export function wallTimeOf(text: string, word: 'until' | 'from'): WallTime | string {
  const m = typedMoment(text.trim().split(/\s+/));
  if (m && 'error' in m && m.error === 'date') return `\`${m.text}\` is not a date.`;
  if (m && 'error' in m && m.error === 'zone') return zoneProblem(m.text, `${word} ${m.moment}`);
  if (m && 'error' in m && m.error === 'clock') return `\`${m.text}\` is not a time: ${m.problem}.`;
  if (!m || 'error' in m || !m.time)
    return `\`${word} ${text}\` is not a time: write \`${word} 18:00\`, \`${word} tomorrow 18:00\`, \`${word} friday 18:00\`, \`${word} 18:00 UTC\` or \`${word} 2026-12-01 09:00\`.`;
  const { day, time, zone } = m;
  return {
    date: day?.kind === 'date' ? { y: day.y, mo: day.mo, d: day.d } : null,
    time,
    ...(day?.kind === 'tomorrow' ? { tomorrow: true } : {}),
    ...(day?.kind === 'weekday' ? { weekday: day.dow } : {}),
    ...(zone ? { zone } : {}),
  };
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
  const ms = rest.length === 1 ? overrideLength(rest[0]!) : null;
  return ms === null ? howLong(rest.at(-1)) : { kind: 'for', ms };
}

/** The shortest override: a minute (its start and end are said, and read, to the minute). */
const MIN_OVERRIDE_MS = 60_000;

/** An override's length as typed (`2h`, `90m`): null when it is none, or shorter than a minute (howLong says so). */
function overrideLength(word: string): number | null {
  const ms = parseDuration(word);
  return ms !== null && ms >= MIN_OVERRIDE_MS ? ms : null;
}

/**
 * What to say of a length that is missing or not one: a length of nothing (`0h`), one taken away (`-1h`) or under a
 * minute (`30s`) says so.
 */
function howLong(word: string | undefined): string {
  if (word && LENGTH_SHAPE.test(word)) {
    const ms = parseDuration(word);
    if (ms !== null && ms < MIN_OVERRIDE_MS)
      return `\`${word}\` is shorter than an override may be: an override lasts at least a minute; write \`for 2h\` or \`until 18:00\`.`;
    return `\`${word}\` is no time at all: say how long the override lasts, e.g. \`2h\`, \`30m\` or \`until 18:00\`.`;
  }
  if (word && isNegativeLength(word))
    return `\`${word}\` is not a length of time: an override lasts at least a minute; write \`for 2h\` or \`until 18:00\`.`;
  return HOW_LONG;
}

type Timing = { role: string | null; start: WallTime | null; end: OverrideEnd };

/**
 * A time of day (`18:00`, `6pm`, `6 pm`), a day and time (`tomorrow 09:00`) or a day alone (`friday`) at the end
 * with no `until` or `from` before it, read by typedMoment: meant as when the override (or swap) ends or starts, so
 * that is what to say, rather than "Say how long"; a 12-hour time that is none (`13pm`) or a zone the bot does not
 * read, what is wrong with it. Null when the words end in no time.
 */
function timeWithoutWord(words: readonly string[], what: 'override' | 'swap'): string | null {
  for (let i = 0; i < words.length; i++) {
    const tail = words.slice(i);
    const m = typedMoment(tail);
    if (!m) continue;
    if ('error' in m) {
      if (m.error === 'clock') return `\`${m.text}\` is not a time: ${m.problem}. Nothing was recorded.`;
      if (m.error === 'zone') return `${zoneProblem(m.text, `until ${m.moment}`)} Nothing was recorded.`;
      continue;
    }
    const typed = (/^(at|on)$/i.test(tail[0]!) ? tail.slice(1) : tail).join(' ');
    // `friday`, `tomorrow`, `2026-12-10`: a day meant as the end or the start, its time of day not said.
    if (!m.time && m.day && !m.zone)
      return `\`${typed}\` is a day with no time: write \`until ${typed} 09:00\` for the ${what} to end then, or \`from ${typed} 09:00 for 8h\` for one that starts then. Nothing was recorded.`;
    if (!m.time) continue;
    return `\`${typed}\` is ${m.day ? 'a day and time' : 'a time of day'}: write \`until ${typed}\` for the ${what} to end then, or \`from ${typed} for 2h\` for one that starts then. Nothing was recorded.`;
  }
  return null;
}

/**
 * The role words and the time after the people: `[role] 2h`, `[role] for 2h`, `[role] until 18:00`, and, for one
 * that starts later, `[role] from 20:00 until 23:00` or `[role] from 2026-12-01 09:00 for 8h`.
 */
function roleAndTiming(words: string[], what: 'override' | 'swap'): Timing | string {
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
  const ms = last ? overrideLength(last) : null;
  if (ms === null) {
    // `override @bob 6pm`: a time of day, meant as an end (or a start), though neither was said.
    const time = timeWithoutWord(words, what);
    if (time) return time;
    // `override @bob 2h senior devops`: a length was given, the role after it (the role comes before the time).
    const length = words.findIndex((w) => parseDuration(w) !== null);
    if (length !== -1 && length < words.length - 1) {
      const after = words.slice(length + 1).join(' ');
      const before = words.slice(0, length + 1).join(' ');
      return `The role goes before the time: \`${after}\` after \`${words[length]}\` is not read. Type \`${after} ${before}\` (the role, then how long). Nothing was recorded.`;
    }
    return howLong(last);
  }
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

/**
 * A moment typed after the asking words (`at 18:00`, `tomorrow`, `tomorrow at 09:00`, `friday 18:00`, `on
 * 2026-12-05 09:00`, `at 18:00 Europe/London`, `in 8h`, `next week`), read by typedMoment as an override's times
 * are; null when the words are no moment; a sentence when they are one badly.
 */
function boardMoment(words: readonly string[]): BoardMoment | string | null {
  const ws = words.map((w) => w.toLowerCase().replace(/\?$/, '')).filter(Boolean);
  if (ws[0] === 'in' && ws.length === 2) {
    const ms = parseDuration(ws[1]!);
    if (ms !== null && ms > 0) return { kind: 'in', ms };
    return LENGTH_SHAPE.test(ws[1]!) ? `\`in ${ws[1]}\` is no time from now: write a length, e.g. \`in 8h\`.` : null;
  }
  if (ws.join(' ') === 'next week') return { kind: 'in', ms: 7 * 86_400_000 };
  const m = typedMoment(words);
  if (!m) return null;
  if ('error' in m)
    return m.error === 'zone'
      ? zoneProblem(m.text, m.moment)
      : m.error === 'date'
        ? `\`${m.text}\` is not a date.`
        : m.error === 'clock'
          ? `\`${m.text}\` is not a time: ${m.problem}.`
          : `\`${m.text}\` is not a time: write it as \`18:00\` (or \`18:00 Europe/London\`).`;
  return { kind: 'wall', day: m.day, time: m.time, ...(m.zone ? { zone: m.zone } : {}) };
}

/** Reads what follows `/incident oncall`. Errors are sentences for the person who typed it. */
export function parseOnCall(raw: string | null): OnCallParse {
  const words = (raw ?? '').trim().split(/\s+/).filter(Boolean);
  const first = words[0]?.toLowerCase();
  if (!first || words.every((w) => ASKING.has(w.toLowerCase()))) return { ok: true, command: { kind: 'board' } };
  const bad = (error: string): OnCallParse => ({ ok: false, error: `${error}\nForms: ${ONCALL_FORMS}` });
  const row = ONCALL_WORD_ROWS.find((r) => r.names.includes(first));
  if (row) {
    const read = row.read(words.slice(1), first);
    return typeof read === 'string' ? bad(read) : { ok: true, command: read };
  }
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
    const rest = roleAndTiming(words.slice(first === 'swap' ? 3 : 2), first);
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
