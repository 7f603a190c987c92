import { ACTION_ITEM_MAX, type OwnerRef } from '../incidents/action-items.js';
import { cleanText, isBlank } from '../incidents/text.js';
import { LENGTH_SHAPE, parseDuration } from '../runbook/duration.js';

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

export const ACTION_ITEM_FORM = 'TEXT [@owner] [due: YYYY-MM-DD, 3d, tomorrow or by friday]';

const MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/;
const NAME = /^@([\p{L}\p{N}._-]{1,80})$/u;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
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
      return { kind: 'error', error: `\`${word}\` is not a date; write the due date as YYYY-MM-DD, e.g. 2026-12-01.` };
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    if (Date.UTC(y, m - 1, d) < today)
      return {
        kind: 'error',
        error: `The due date ${word} is in the past; give one to come (a date, \`3d\`, \`tomorrow\` or \`by friday\`), or leave it out.`,
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
      error: `\`${word}\` is no time from now; give a due date to come (\`3d\`, \`tomorrow\`, \`2026-12-01\`), or leave it out.`,
    };
  if (word !== raw)
    return { kind: 'error', error: `\`${raw}\` is not a due date; write due:2026-12-01, due:3d or due:friday.` };
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
    if (!unit || !count || !/^\d{1,4}$/.test(count) || (before !== 'in' && before !== 'within')) continue;
    const ms = Number(count) * unit;
    // Hours stay hours (`in 24 hours` is a time from now); days and weeks are days (that day at 09:00 UTC).
    const length = unit < DAY_MS ? `${ms / 3_600_000}h` : `${ms / DAY_MS}d`;
    words.splice(end - 3, 3, 'in', length);
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
  lengthInWords(words);
  dueOn(words);
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
  const unread = dueAt ? null : unreadDue(words);
  if (unread)
    return {
      ok: false,
      error: `\`${unread}\` is not a due date I can read: write it as 2026-12-01, \`3d\`, \`tomorrow\`, \`by friday\` or \`in 2 weeks\` (a due day is at 09:00 UTC), or leave it out. Nothing was added.`,
    };
  const text = words.join(' ');
  if (!text || isBlank(text))
    return {
      ok: false,
      error: `An action item needs a text: \`${ACTION_ITEM_FORM}\`, e.g. Add pool monitoring @alice 2026-12-01.`,
    };
  const other = NOT_AN_ITEM.find(([re]) => re.test(text));
  if (other && !owner && !dueAt) return { ok: false, error: `${other[1]} (Nothing was added.)` };
  if ([...text].length > ACTION_ITEM_MAX)
    return { ok: false, error: `Keep an action item to ${ACTION_ITEM_MAX} characters (it has ${[...text].length}).` };
  return { ok: true, item: { text, owner, dueAt } };
}
