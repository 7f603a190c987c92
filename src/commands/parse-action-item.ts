import { ACTION_ITEM_MAX, type OwnerRef } from '../incidents/action-items.js';
import { cleanText, isBlank } from '../incidents/text.js';
import { LENGTH_SHAPE, parseDuration } from '../runbook/duration.js';
import { type ClockTime, clockOf, joinMeridiem } from './parse-clock.js';

/** An action item as typed: `Add pool monitoring @alice 2026-12-01` or `Rotate the key <@U0123ABC> in 3d`. */
export interface ParsedActionItem {
  text: string;
  owner: OwnerRef | null;
  dueAt: Date | null;
}

export type ActionItemParse = { ok: true; item: ParsedActionItem } | { ok: false; error: string };

/** The hour (UTC) a due date given as a day stands for: the start of that working day. */
export const DUE_DAY_HOUR_UTC = 9;
const DAY_MS = 86_400_000;

export const ACTION_ITEM_FORM =
  'TEXT [@owner] [due: YYYY-MM-DD, 3d, tomorrow, by friday or by friday 17:00 (or 5pm) UTC]';

const MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/;
const NAME = /^@([\p{L}\p{N}._-]{1,80})$/u;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A day and a time of day, UTC: `2026-12-07T17:00` (what dayAndTime makes of `by monday 17:00`). */
const DAY_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]?\d|2[0-3]):([0-5]\d)$/;
/** A due date given as today's date is due by its end: 23:59 UTC. */
const END_OF_DAY_MS = (23 * 60 + 59) * 60_000;
const utcText = (t: Date) => `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const ymd = (t: Date) => t.toISOString().slice(0, 10);
/** Texts that are another subcommand typed after `action` (`/incident action list`), with what to type instead. */
const NOT_AN_ITEM: readonly [RegExp, string][] = [
  [/^(list|ls|show|all)$/i, 'To see the open action items, type `/incident actions`.'],
  [
    /^(done|complete|close|finish)\s+#?\d+$/i,
    'Action items are closed with their *Done* button: `/incident actions` lists the open ones, each with one.',
  ],
];

type Token = { kind: 'owner'; owner: OwnerRef } | { kind: 'due'; at: Date } | { kind: 'error'; error: string };

/** A weekday's names as typed (full, or short), to its number (Sunday 0). */
const WEEKDAYS = new Map<string, number>([
  ...['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].flatMap(
    (d, i): [string, number][] => [
      [d, i],
      [d.slice(0, 3), i],
    ],
  ),
  ['tues', 2],
  ['thur', 4],
  ['thurs', 4],
]);

/** Words that may stand before a due day (`by friday`, `due tomorrow`); taken with it. */
const BEFORE_A_DAY = new Set(['by', 'due']);

/**
 * A day named in words (at 09:00 UTC): `tomorrow`, or a weekday (`friday`, `fri`: the next one after today). A
 * weekday only when `marked` (after `due:`, `due` or `by`: `Review what broke on friday` names a past day, not a due
 * date); `tomorrow` alone too. Null when the word names no day.
 */
function namedDay(word: string, now: Date, marked: boolean): Date | null {
  const w = word.toLowerCase();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), DUE_DAY_HOUR_UTC);
  if (w === 'tomorrow') return new Date(today + 86_400_000);
  const day = marked ? WEEKDAYS.get(w) : undefined;
  if (day === undefined) return null;
  const ahead = (day - now.getUTCDay() + 7) % 7 || 7;
  return new Date(today + ahead * 86_400_000);
}

/** A date a week from now (YYYY-MM-DD, UTC) for the examples a refusal gives: never one already past. */
export function exampleDay(now: Date): string {
  return new Date(now.getTime() + 7 * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A date (`2026-12-01`, at 09:00 UTC), a day in words (`tomorrow`, `by friday`; see namedDay) or a duration from now
 * (`2s`, `4h`, `48h`, `1h30m`; days, `3d`, are that day at 09:00 UTC), with `due:` in front or not. `before` is the
 * word typed before it.
 */
function dueToken(raw: string, now: Date, before: string | undefined): Token | null {
  const word = raw.replace(/^due:/i, '');
  // Marked as a due day: `due:friday`, `by friday`, or straight after the owner (`@bob friday`), where the form puts it.
  const marked =
    word !== raw || BEFORE_A_DAY.has(before?.toLowerCase() ?? '') || (before !== undefined && isOwner(before));
  const named = namedDay(word, now, marked);
  if (named) return { kind: 'due', at: named };
  const day = DAY.exec(word);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const at = new Date(Date.UTC(y, m - 1, d, DUE_DAY_HOUR_UTC));
    if (at.getUTCFullYear() !== y || at.getUTCMonth() !== m - 1 || at.getUTCDate() !== d)
      return {
        kind: 'error',
        error: `\`${word}\` is not a date; write the due date as YYYY-MM-DD, e.g. ${exampleDay(now)}.`,
      };
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    if (Date.UTC(y, m - 1, d) < today)
      return {
        kind: 'error',
        error: `The due date ${word} is in the past; give one to come (a date, \`3d\`, \`tomorrow\` or \`by friday\`), or leave it out.`,
      };
    // Today's date: by the end of today (23:59 UTC), not 09:00 already past and overdue as soon as it is added.
    if (Date.UTC(y, m - 1, d) === today) return { kind: 'due', at: new Date(today + END_OF_DAY_MS) };
    return { kind: 'due', at };
  }
  const dayTime = DAY_TIME.exec(word);
  if (dayTime) {
    // `2026-12-07T17:00`, or a day and a time typed as two words (see dayAndTime): that moment, UTC.
    const [y, m, d, h, mi] = dayTime.slice(1).map(Number) as [number, number, number, number, number];
    const at = new Date(Date.UTC(y, m - 1, d, h, mi));
    if (at.getUTCDate() !== d || at.getUTCMonth() !== m - 1)
      return {
        kind: 'error',
        error: `\`${word}\` is not a date; write the due date as YYYY-MM-DD, e.g. ${exampleDay(now)}.`,
      };
    if (at.getTime() <= now.getTime())
      return {
        kind: 'error',
        error: `The due time ${utcText(at)} is already past (it is ${utcText(now)}); give one to come, e.g. \`tomorrow 17:00\`, or leave it out. Nothing was added.`,
      };
    return { kind: 'due', at };
  }
  const ms = parseDuration(word);
  if (ms !== null && /^\d+d$/i.test(word)) {
    // Days (`3d`, `in 3 days`, `in 2 weeks`): that day, at 09:00 UTC as every due day, not at the time it was typed.
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), DUE_DAY_HOUR_UTC);
    return { kind: 'due', at: new Date(today + ms) };
  }
  if (ms !== null) return { kind: 'due', at: new Date(now.getTime() + ms) };
  // Shaped as a length but of none (`0d`): a due date meant, not a word of the text (nor the owner before it).
  if (LENGTH_SHAPE.test(word))
    return {
      kind: 'error',
      error: `\`${word}\` is no time from now; give a due date to come (\`3d\`, \`tomorrow\`, \`${exampleDay(now)}\`), or leave it out.`,
    };
  if (word !== raw)
    return {
      kind: 'error',
      error: `\`${raw}\` is not a due date; write due:${exampleDay(now)}, due:3d or due:friday.`,
    };
  return null;
}

/** `@here`, `@channel`, `@everyone` as typed or as Slack sends them, and user groups: many people, never an owner. */
const NOT_PERSON =
  /^(?:@(here|channel|everyone)|<!(here|channel|everyone)(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>)$/i;

/** Whether a word names one person (a mention or `@name`), as an owner is typed. */
const isOwner = (word: string) => ownerToken(word)?.kind === 'owner';

function ownerToken(raw: string): Token | null {
  const many = NOT_PERSON.exec(raw);
  if (many) {
    const shown = (many[1] ?? many[2]) ? `@${many[1] ?? many[2]}` : (many[3] ?? 'a user group');
    return {
      kind: 'error',
      error: `\`${shown}\` is not a person: an action item has one owner. Mention one, e.g. \`@alice\`, or leave the owner out.`,
    };
  }
  const mention = MENTION.exec(raw);
  if (mention) return { kind: 'owner', owner: { id: mention[1]! } };
  const name = NAME.exec(raw);
  if (name) return { kind: 'owner', owner: { name: name[1]! } };
  return null;
}

/** A length in words, as a count and a unit: `3 days`, `2 weeks`, `4 hours`. */
const UNIT_WORDS: ReadonlyMap<string, number> = new Map([
  ['minute', 60_000],
  ['minutes', 60_000],
  ['min', 60_000],
  ['mins', 60_000],
  ['hour', 3_600_000],
  ['hours', 3_600_000],
  ['day', 86_400_000],
  ['days', 86_400_000],
  ['week', 7 * 86_400_000],
  ['weeks', 7 * 86_400_000],
]);

/**
 * `in 3 days`, `due in 2 weeks`, `within 4 hours` at the end (or before an owner): the two words of the length made
 * one (`3d`, `14d`, `4h`), as dueToken reads it. Only after `in` or `within`: `Cut deploy time by 2 hours` is text.
 */
function lengthInWords(words: string[]): void {
  for (const end of [words.length, words.length - 1]) {
    const unit = UNIT_WORDS.get(words[end - 1]?.toLowerCase() ?? '');
    const count = words[end - 2];
    const before = words[end - 3]?.toLowerCase();
    // After `in`/`within`, or straight after the owner, where the form puts the due date (`@bob 2 days`).
    const afterOwner = isOwner(words[end - 3] ?? '');
    if (!unit || !count || !/^\d{1,4}$/.test(count) || (before !== 'in' && before !== 'within' && !afterOwner))
      continue;
    const ms = Number(count) * unit;
    // Minutes and hours stay so (`in 90 minutes` is a time from now); days and weeks are days (that day at 09:00 UTC).
    const length = unit < 3_600_000 ? `${ms / 60_000}m` : unit < DAY_MS ? `${ms / 3_600_000}h` : `${ms / DAY_MS}d`;
    if (afterOwner) words.splice(end - 2, 2, length);
    else words.splice(end - 3, 3, 'in', length);
    return;
  }
}

/** The weekdays' names as typed (WEEKDAYS), as alternatives in a pattern. */
const DAY_WORDS = [...WEEKDAYS.keys()].join('|');
/** What reads as a due date after `due` or `by` though it is none this parser knows: said, not kept as text. */
const DUE_LIKE = new RegExp(
  `^(?:yesterday|today|tonight|eod|eow|eom|asap|soon|someday|sometime|later|whenever|never|tbd|(?:next|this|last)\\s+(?:week|month|quarter|year|sprint|${DAY_WORDS})|end\\s+of\\s+(?:the\\s+)?(?:day|week|month|year)|on\\s+(?:${DAY_WORDS}))$`,
  'i',
);
/** After `due` only (`by 2x` is text): a length in words this parser does not take (`in 2 months`), or a date written another way (`31/12`, `dec 31`). */
const DUE_ONLY_LIKE =
  /^(?:(?:in|within)\s+\d+\s+\S+|\S*\d\S*(?:\s+\S+)?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?)$/i;

/**
 * The due date typed at the end that this parser cannot read (`due next week`, `due yesterday`, `due 31/12`, `by
 * eod`), as typed from `due` or `by`; null when the end reads as text (`due to a bad cache`, `by half`).
 */
function unreadDue(words: readonly string[]): string | null {
  for (let k = 1; k <= 4 && k < words.length; k++) {
    const before = words[words.length - k - 1]!;
    const tail = words.slice(-k).join(' ');
    // Straight after the owner, where the form puts the due date (`fix it @bob next week`, `@bob eod`).
    if (isOwner(before) && DUE_LIKE.test(tail)) return tail;
    const marker = before.toLowerCase().replace(/:$/, '');
    if (marker !== 'due' && marker !== 'by') continue;
    // After an owner (`fix it @bob by someday`), `by` or `due` and one word can only be a due date.
    const afterOwner = k === 1 && isOwner(words[words.length - 3] ?? '');
    if (afterOwner || DUE_LIKE.test(tail) || (marker === 'due' && DUE_ONLY_LIKE.test(tail))) return `${before} ${tail}`;
  }
  return null;
}

/**
 * A due day and a time of day at the end (or before an owner) made one word, `YYYY-MM-DDTHH:MM` (UTC), as dueToken
 * reads it: `tomorrow 17:00`, `by monday 17:00`, `friday at 09:30`, `2026-12-07 17:00`, `today 18:00`, on the 12-hour
 * clock too (`by friday 5pm`, `tomorrow 5:30 pm`, `2026-12-10 9am`; read by clockOf), with `UTC` or `Z` after the time
 * or not. A weekday only when marked, as namedDay takes it. A 12-hour time that is none after a due day (`by friday
 * 13pm`) is a due date meant: what is wrong with it, said; elsewhere (`the 13pm cron`) it stays text.
 */
function dayAndTime(words: string[], now: Date): string | null {
  for (const end of [words.length, words.length - 1]) {
    let last = end - 1;
    if (/^(utc|z)$/i.test(words[last] ?? '')) last--;
    // `5 pm` typed apart is one time (`5pm`); joined here only, so the text keeps what was typed.
    const apart = last >= 1 ? joinMeridiem(words.slice(last - 1, last + 1)) : [];
    const clockAt = apart.length === 1 ? last - 1 : last;
    const typed = apart.length === 1 ? apart[0]! : (words[last] ?? '');
    const clock = clockOf(typed);
    if (!clock) continue;
    let dayAt = clockAt - 1;
    if (words[dayAt]?.toLowerCase() === 'at') dayAt--;
    const dayWord = words[dayAt]?.replace(/^due:/i, '');
    if (!dayWord) continue;
    if (BEFORE_A_DAY.has(dayWord.toLowerCase())) return timeToday(words, dayAt, end, typed, clock, now);
    // `@bob at 5pm`: straight after the owner, where the form puts the due date.
    if (dayAt < clockAt - 1 && isOwner(words[dayAt]!)) return timeToday(words, dayAt + 1, end, typed, clock, now);
    const before = words[dayAt - 1];
    const marked =
      dayWord !== words[dayAt] ||
      BEFORE_A_DAY.has(before?.toLowerCase() ?? '') ||
      (before !== undefined && isOwner(before)) ||
      dayAt === 0;
    const minutes = 'problem' in clock ? 0 : clock.h * 60 + clock.m;
    const todayUtc = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), DUE_DAY_HOUR_UTC);
    // Today's weekday with a time still to come today (`by saturday 17:00` typed on Saturday at 15:30) is today.
    const laterToday =
      marked &&
      WEEKDAYS.get(dayWord.toLowerCase()) === now.getUTCDay() &&
      minutes > now.getUTCHours() * 60 + now.getUTCMinutes();
    const day =
      dayWord.toLowerCase() === 'today' || laterToday
        ? ymd(new Date(todayUtc))
        : DAY.test(dayWord)
          ? dayWord
          : (() => {
              const named = namedDay(dayWord, now, marked);
              return named ? ymd(named) : null;
            })();
    if (!day) continue;
    if ('problem' in clock) return `\`${typed}\` is not a time: ${clock.problem}. Nothing was added.`;
    const time = `${String(clock.h).padStart(2, '0')}:${String(clock.m).padStart(2, '0')}`;
    words.splice(dayAt, end - dayAt, `${day}T${time}`);
    return null;
  }
  return null;
}

/**
 * A time of day alone after `by` or `due` (`by 5pm`, `due 17:00 UTC`) or `at` after the owner (`@bob at 5pm`), the
 * words from `dayAt` to `end`: today at that time (UTC), while it is still to come, made one word as dayAndTime makes
 * a day and a time. A time already past, or one that is none (`by 13pm`), is said; nothing is added.
 */
function timeToday(
  words: string[],
  dayAt: number,
  end: number,
  typed: string,
  clock: ClockTime | { problem: string },
  now: Date,
): string | null {
  if ('problem' in clock) return `\`${typed}\` is not a time: ${clock.problem}. Nothing was added.`;
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), clock.h, clock.m));
  const time = at.toISOString().slice(11, 16);
  if (at.getTime() <= now.getTime())
    return `\`${words.slice(dayAt, end).join(' ')}\` is a time already past today (it is ${utcText(now)}): give one to come, e.g. \`tomorrow ${time}\` or \`by friday ${time}\` (UTC), or leave it out. Nothing was added.`;
  words.splice(dayAt, end - dayAt, `${ymd(at)}T${time}`);
  return null;
}

/** Words after an owner that are meant as a due date, though not one this parser reads (`by mon 5pm`, `at noon`). */
const WHEN_LIKE = new RegExp(
  `^(?:by|due|due:|before|until|till|within|tomorrow|today|tonight|eod|eow|asap|${DAY_WORDS})$`,
  'i',
);
/**
 * A time of day or a length as typed (`17:00`, `5pm`, `noon`, `3d`), or a count before a unit word (`2 days`, `90
 * mins`).
 */
const TIME_LIKE = /^(?:\d{1,2}:\d{2}\S*|\d{1,2}(?:am|pm)|\d+[smhdw]|noon|midnight)$/i;

/**
 * Several words after a mention near the end that are not read (`@bob by monday 5pm`): a due date meant there, as
 * typed from the word after the owner; null when they read as text (`ask @bob about the cache`).
 */
function unreadAfterOwner(words: readonly string[]): string | null {
  for (let i = Math.max(1, words.length - 6); i < words.length - 1; i++) {
    if (!isOwner(words[i]!)) continue;
    const tail = words.slice(i + 1);
    const timed = tail.some(
      (w, k) =>
        TIME_LIKE.test(w) || (/^\d+$/.test(w) && /^(?:min|minute|hour|day|week|month)s?$/i.test(tail[k + 1] ?? '')),
    );
    if (WHEN_LIKE.test(tail[0]!) || timed) return tail.join(' ');
  }
  return null;
}

/**
 * `due: 3d`, `due: friday 17:00`, as the form's hint writes it (`[due: YYYY-MM-DD, 3d …]`): `due:` and the word after
 * it made one (`due:3d`), as dueToken reads it. Not an owner after it (`due: @bob` names no date).
 */
function dueColonApart(words: string[]): void {
  for (let k = words.length - 2; k >= 0; k--)
    if (/^due:$/i.test(words[k]!) && !isOwner(words[k + 1]!)) words.splice(k, 2, `${words[k]}${words[k + 1]}`);
}

/** `due on friday` (at the end, or before an owner) is `due friday`: `on` alone stays text (`what broke on friday`). */
function dueOn(words: string[]): void {
  for (const end of [words.length, words.length - 1]) {
    if (words[end - 2]?.toLowerCase() === 'on' && words[end - 3]?.toLowerCase() === 'due') {
      words.splice(end - 2, 1);
      return;
    }
  }
}

/**
 * Reads one action item: its text, then optionally an owner (a mention, or `@name` to look up) and a due date or
 * duration, in either order, at the end. Errors are sentences for the person who typed it.
 */
export function parseActionItem(raw: string, now: Date): ActionItemParse {
  const words = cleanText(raw).replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  dueColonApart(words);
  lengthInWords(words);
  dueOn(words);
  const badClock = dayAndTime(words, now);
  if (badClock) return { ok: false, error: badClock };
  let owner: OwnerRef | null = null;
  let dueAt: Date | null = null;
  let ownerWord: string | null = null;
  let dueWord: string | null = null;
  for (let taken = 0; taken < 2 && words.length > 0; taken++) {
    const last = words.at(-1)!;
    const t: Token | null = (!owner && ownerToken(last)) || (!dueAt && dueToken(last, now, words.at(-2))) || null;
    if (!t) break;
    if (t.kind === 'error') return { ok: false, error: t.error };
    words.pop();
    if (t.kind === 'owner') {
      owner = t.owner;
      ownerWord = last;
    } else {
      dueAt = t.at;
      dueWord = last;
      // "in 3d", "by friday", "due tomorrow", "due in 3d"
      if (words.length > 1 && ['in', ...BEFORE_A_DAY].includes(words.at(-1)!.toLowerCase())) {
        const marker = words.pop()!.toLowerCase();
        if (marker === 'in' && words.length > 1 && words.at(-1)!.toLowerCase() === 'due') words.pop();
      }
    }
  }
  // One more owner, or one more due date, just before those taken: two of them typed, of which only one would be kept
  // (the other left in the text, as if part of it).
  const before = words.at(-1);
  const again = before && owner ? ownerToken(before) : null;
  if (again?.kind === 'owner' && ownerWord) {
    return {
      ok: false,
      error: `An action item has one owner, and this one names two (\`${before}\` and \`${ownerWord}\`). Add one item per owner, each with its own owner at the end, e.g. ${words.slice(0, -1).join(' ')} ${ownerWord}.`,
    };
  }
  const dueAgain = before && dueAt ? dueToken(before, now, words.at(-2)) : null;
  if (dueAgain?.kind === 'due' && dueWord) {
    return {
      ok: false,
      error: `An action item has one due date, and this one names two (\`${before}\` and \`${dueWord}\`). Keep one, e.g. ${words.slice(0, -1).join(' ')} ${dueWord}.`,
    };
  }
  const unread = dueAt ? null : (unreadDue(words) ?? (owner ? null : unreadAfterOwner(words)));
  if (unread)
    return {
      ok: false,
      error: `\`${unread}\` is not a due date I can read: write it as ${exampleDay(now)}, \`3d\`, \`tomorrow\`, \`by friday\`, \`by monday 17:00\` (UTC) or \`in 2 weeks\` (a due day alone is at 09:00 UTC), or leave it out. Nothing was added.`,
    };
  const text = words.join(' ');
  if (!text || isBlank(text))
    return {
      ok: false,
      error: `An action item needs a text: \`${ACTION_ITEM_FORM}\`, e.g. Add pool monitoring @alice ${exampleDay(now)}.`,
    };
  const other = NOT_AN_ITEM.find(([re]) => re.test(text));
  if (other && !owner && !dueAt) return { ok: false, error: `${other[1]} (Nothing was added.)` };
  if ([...text].length > ACTION_ITEM_MAX)
    return { ok: false, error: `Keep an action item to ${ACTION_ITEM_MAX} characters (it has ${[...text].length}).` };
  return { ok: true, item: { text, owner, dueAt } };
}
