/**
 * The values the bot knows are secret (what it passed in a command's environment, its own tokens), and how each is
 * found in output: as it is, in the forms programs print it (URL-encoded, JSON-, shell-, HTML- or Python-escaped,
 * base64, either Unicode normal form, hex: see value-forms.ts), in another case when that cannot be ordinary text,
 * with terminal escape sequences inside it, after its own variable's name when it is short, and wrapped across lines.
 * redact.ts applies them before its pattern rules.
 */

import { escapeRegExp } from '../runbook/regexp.js';
import { base64Forms, textForms } from './value-forms.js';

export const MASK = '***';
/**
 * A value the bot knows is secret: bare (its own tokens and passwords), or with the name of the variable it was given
 * to a command as (COMMAND_ENV), so that a value too short to mask everywhere is masked as that variable's value.
 */
export type KnownSecret = string | { readonly name: string; readonly value: string };

/** The variables of a command's environment as known secrets, each with its name. */
export function namedSecrets(env: Readonly<Record<string, string>>): KnownSecret[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

/**
 * Known values shorter than this are not masked wherever they appear: a 3-letter region or a `true` would mask
 * ordinary words all over the output. One that came with its variable's name is still masked where it shows as that
 * variable's value: `NAME=value`, `NAME: value`, `"NAME": "value"` (quoted or not, in a line, a command line or a
 * query string). Printed bare, a value this short is left as it is. (The pattern rules still apply.)
 */
export const MIN_KNOWN_VALUE_CHARS = 6;

export interface KnownValues {
  /** The values masked wherever they appear, in any case (see `caseless`), and their hex; null when there is none. */
  caseless: RegExp | null;
  /** The other values masked wherever they appear, in their own case; null when none is long enough. */
  pattern: RegExp | null;
  /** The values that are words or a region (see `tokenOnly`), masked as whole tokens, in their own case. */
  tokens: RegExp | null;
  /**
   * The values, their hex and their base64 forms, masked when wrapped across lines: a terminal's width, `fold`,
   * `base64`'s 76 columns, a wrapped table cell (see maskWrapped). Base64 forms are cut anywhere, however short.
   */
  wrapped: readonly WrapValue[];
  /** The short values, masked where they follow their own variable's name. */
  named: RegExp | null;
  /** Length of the longest piece or named form: a cut of an overlong line keeps at least this much back. */
  longest: number;
}

/** Blanks allowed around a named value's `=` or `:`; bounded, so that a cut of an overlong line can hold it back. */
const NAMED_BLANKS = 4;
/** What a named form adds to its name and value at most: quotes around each, blanks, the `=` or `:`. */
const NAMED_EXTRA = 2 * NAMED_BLANKS + 4;
/** A variable name that can be written in a pattern as it is. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * The short value where its own name is before it (`NAME=value`, `"NAME": "value"`): the value, then a look back for
 * the name, so that the engine tries the name only where the value is. The name must start a word: `MY_NAME=value`
 * is another variable.
 */
function namedForm(name: string, value: string): string {
  const blanks = `[ \\t]{0,${NAMED_BLANKS}}`;
  const v = escapeRegExp(value);
  // Also a table of variables (`NAME<tab>value`), and the long option a program takes it as (`--name=value`).
  const option = `--${name.toLowerCase().replace(/_/g, '-')}`;
  const names = `(?:${escapeRegExp(name)}|${escapeRegExp(option)})`;
  return `${v}(?<=(?<![A-Za-z0-9_.-])["']?${names}["']?(?:${blanks}[=:]${blanks}|\\t+)["']?${v})`;
}

/**
 * A value this long is looked for wrapped anywhere, its start ending a line however short it is (one character): the
 * rest, 11 characters of it or more, must start the next line. A shorter value (MIN_KNOWN_VALUE_CHARS or more) is
 * looked for only where each of its pieces is WRAP_MIN_HEAD characters or more and each cut falls inside a run of
 * letters or of digits: `password` ending a line and `1` or `123` starting the next is ordinary text, not `password123`.
 */
const WRAP_MIN_VALUE = 12;
/** The shortest piece of a short value in a wrap; and the shortest start of any value that holds a line back. */
const WRAP_MIN_HEAD = 3;
/** The most lines a wrapped value is looked for across (a 2,000-character value at 40 columns). */
const WRAP_MAX_LINES = 64;

/** A value looked for wrapped across lines, with where each of its characters is in it (to find a wrap's start). */
interface WrapValue {
  value: string;
  at: ReadonlyMap<string, readonly number[]>;
  /** Under WRAP_MIN_VALUE: cut only where `cutsAt` says. */
  short: boolean;
  /** Masked only as a whole token (see `tokenOnly`). */
  token: boolean;
}

type WrapKind = Pick<WrapValue, 'short' | 'token'>;
/** A value's hex or base64: cut anywhere, masked inside a longer word too. */
const ENCODED: WrapKind = { short: false, token: false };

function wrapValue([value, { short, token }]: [string, WrapKind]): WrapValue {
  const at = new Map<string, number[]>();
  for (let p = 0; p < value.length; p++) at.set(value[p]!, [...(at.get(value[p]!) ?? []), p]);
  return { value, at, short, token };
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

/** True when a character (or the text's end, undefined) would glue a word value to a longer word. */
const glued = (c: string | undefined): boolean => c !== undefined && WORD_CHAR.test(c);

const CHAR_CLASS = [/\p{L}/u, /\p{N}/u];

/** True when a wrap may cut `w` before its character `pos` (see WRAP_MIN_VALUE). */
function cutsAt(w: WrapValue, pos: number, piece: number): boolean {
  if (!w.short) return true;
  if (piece < WRAP_MIN_HEAD || w.value.length - pos < WRAP_MIN_HEAD) return false;
  const [before, after] = [w.value[pos - 1]!, w.value[pos]!];
  return CHAR_CLASS.some((c) => c.test(before) && c.test(after));
}

/** Where a line's text ends: before trailing blanks, and before a continuation mark (`\`, quoted-printable's `=`). */
function textEnds(line: string): number[] {
  const end = line.replace(/[ \t\r]+$/, '').length;
  return end > 0 && (line[end - 1] === '\\' || line[end - 1] === '=') ? [end, end - 1] : [end];
}

/**
 * The pieces of a value wrapped from line `i` on (its start ending line `i` at `from`, `k` characters of it), as
 * [line, start, end] spans, or null when the following lines do not carry the rest. A following line may repeat the
 * first line's prefix (a log's timestamp, `kubectl logs`' pod name) and be indented; a line in the middle holds
 * nothing but a piece of the value.
 */
function wrappedFrom(
  lines: readonly string[],
  i: number,
  from: number,
  k: number,
  w: WrapValue,
): [number, number, number][] | 'open' | null {
  const v = w.value;
  const spans: [number, number, number][] = [];
  const first = lines[i]!;
  let pos = k;
  for (let j = i + 1; j < lines.length; j++) {
    const line = lines[j]!;
    // Where the line's text starts: after its indent, or after the prefix it shares with the first line and an indent;
    // the same prefix but for its digits too (a log's timestamp: same length and shape, another time).
    const starts = [...new Set([indentOf(line, 0), indentOf(line, shared(line, first, from, false))])];
    const shaped = shared(line, first, from, true);
    if (!starts.includes(indentOf(line, shaped))) starts.push(indentOf(line, shaped));
    const rest = v.slice(pos);
    const whole = starts.find(
      (start) => line.startsWith(rest, start) && !(w.token && glued(line[start + rest.length])),
    );
    if (whole !== undefined) {
      spans.push([j, whole, whole + rest.length]);
      return spans;
    }
    let piece: [number, number] | undefined;
    for (const start of starts) {
      const end = textEnds(line).find((e) => e > start && rest.startsWith(line.slice(start, e)));
      if (end !== undefined && cutsAt(w, pos + end - start, end - start)) piece = [start, end];
    }
    if (!piece) return null;
    spans.push([j, piece[0], piece[1]]);
    pos += piece[1] - piece[0];
  }
  // The lines ran out with the value not yet whole: its rest may be in lines still to come.
  return 'open';
}

/**
 * The first of the last lines where a wrapped value starts whose rest is not in `lines` yet (it may come with the
 * next output): the redactor holds those lines back until it does, or the output ends. -1 when there is none.
 */
export function openWrapFrom(lines: readonly string[], values: readonly WrapValue[]): number {
  // As the reader sees them: a value's start may be coloured, with a reset after it.
  const from = Math.max(0, lines.length - WRAP_MAX_LINES);
  const last = lines.slice(from).map(withoutEscapes);
  for (let i = 0; i < last.length; i++) {
    for (const w of values) {
      // Not for a start under WRAP_MIN_HEAD: every line ending in a value's first letter would wait for more output.
      const head = headAt(last[i]!, w, undefined, WRAP_MIN_HEAD);
      if (head && wrappedFrom(last, i, head.from, head.k, w) === 'open') return from + i;
    }
  }
  return -1;
}

const DIGIT = /[0-9]/;

/** How many first characters of `line` are those of `first` (up to `max`); with `digits`, any digit for a digit. */
function shared(line: string, first: string, max: number, digits: boolean): number {
  let n = 0;
  while (
    n < max &&
    n < line.length &&
    (line[n] === first[n] || (digits && DIGIT.test(line[n]!) && DIGIT.test(first[n] ?? '')))
  )
    n++;
  return n;
}

/** Where a line's text starts from `at` on, past blanks. */
function indentOf(line: string, at: number): number {
  let start = at;
  while (start < line.length && (line[start] === ' ' || line[start] === '\t')) start++;
  return start;
}

/** The length of the longest start of a value that ends `line` (at least `minHead`), with where it begins. */
function headAt(
  line: string,
  w: WrapValue,
  ends = textEnds(line),
  minHead = 1,
): { from: number; k: number; end: number } | null {
  for (const end of ends) {
    const ats = w.at.get(line[end - 1] ?? '') ?? [];
    // The longest first: a value whose start repeats a character is matched as far as it goes.
    for (let n = ats.length - 1; n >= 0; n--) {
      const k = ats[n]! + 1;
      if (k < minHead || k >= w.value.length || k > end || !cutsAt(w, k, k)) continue;
      if (w.token && glued(line[end - k - 1])) continue;
      if (line.startsWith(w.value.slice(0, k), end - k)) return { from: end - k, k, end };
    }
  }
  return null;
}

/**
 * Values wrapped across lines, masked: a start of one ending a line (see WRAP_MIN_VALUE for how short), the rest
 * starting the next (after its indent, or the prefix the first line has too), and any line between them that is
 * wholly a piece of it. Only the whole value is masked, never a line's end that merely looks like a value's start (a
 * line ending `password` with a secret starting so). String searches by a value's characters, no pattern: a pattern
 * of every split of every value was too slow for 50 MB of output.
 */
function maskWrapped(text: string, values: readonly WrapValue[], before?: string): string {
  // The line released before, if any, only to find a wrap's start on it: its rest in `text` is masked.
  const lines = before === undefined ? text.split('\n') : [before, ...text.split('\n')];
  const spans = new Map<number, [number, number][]>();
  for (let i = 0; i < lines.length - 1; i++) {
    const ends = textEnds(lines[i]!);
    for (const w of values) {
      const head = headAt(lines[i]!, w, ends);
      if (!head) continue;
      const rest = wrappedFrom(lines, i, head.from, head.k, w);
      if (rest === null || rest === 'open') continue;
      for (const [line, start, end] of [[i, head.from, head.end] as [number, number, number], ...rest])
        spans.set(line, [...(spans.get(line) ?? []), [start, end]]);
    }
  }
  if (spans.size === 0) return text;
  for (const [i, ranges] of spans) {
    let line = lines[i]!;
    // From the right, so earlier offsets stay right; overlapping ranges (two values) as one.
    for (const [start, end] of ranges.sort((a, b) => b[0] - a[0])) {
      if (line.slice(start, end).includes(MASK) && end - start <= MASK.length) continue;
      line = `${line.slice(0, start)}${MASK}${line.slice(end)}`;
    }
    lines[i] = line;
  }
  return (before === undefined ? lines : lines.slice(1)).join('\n');
}

/** The shortest value masked in any case (`${VAR^^}`, `tr a-z A-Z`); shorter ones are too often ordinary text. */
const CASELESS_MIN_VALUE = 10;
/** Words as text prints them (`deploy`, `Deploy`, `DEPLOY`), blank-separated. */
const WORDS = /^(?:\p{Lu}?\p{Ll}+|\p{Lu}+)(?:\s+(?:\p{Lu}?\p{Ll}+|\p{Lu}+))*$/u;

/**
 * True when a value is masked in any case: it has letters, is long enough, and is not words, which in another case are
 * ordinary text (a heading in capitals, a title). A passphrase of words is masked only in its own case.
 */
function caseless(value: string): boolean {
  return value.length >= CASELESS_MIN_VALUE && value.toUpperCase() !== value.toLowerCase() && !WORDS.test(value);
}

/** A cloud region or zone's name: `us-east-1`, `us-central1`, `europe-west4`, `us-gov-west-1`. */
const REGION = /^[a-z]{2,}(?:-[a-z]+){1,3}-?[0-9]{1,2}$/;

/**
 * True when a value is ordinary words (see WORDS) or a region's name: masked only as a whole token, not glued to a
 * further letter or digit on either side, so that `productionize` or `us-east-1a` still show. A value that is not
 * (a password, a key) is masked wherever it is, inside a longer word too.
 */
function tokenOnly(value: string): boolean {
  return WORDS.test(value) || REGION.test(value);
}

/**
 * The patterns for values the bot knows are secret (what it passed in a command's environment, its own tokens).
 * Each line of a value is a piece of its own, so masking still works line by line, and a value's URL-encoded form
 * (as it appears in a connection string) is masked too. Longest first, so a value containing another goes whole.
 * A value under MIN_KNOWN_VALUE_CHARS, given with its variable's name, goes in the named pattern instead.
 */
export function knownValues(values: readonly KnownSecret[]): KnownValues | null {
  const pieces = new Set<string>();
  const anyCase = new Set<string>();
  const tokens = new Set<string>();
  const named = new Set<string>();
  // Each value looked for wrapped: whether it is short (cut only where `cutsAt` says), whether only as a whole token.
  const wrapped = new Map<string, WrapKind>();
  let longestNamed = 0;
  for (const known of values) {
    const { name, value } = typeof known === 'string' ? { name: null, value: known } : known;
    const whole = value.trim();
    const short = whole !== '' && whole.length < MIN_KNOWN_VALUE_CHARS && !/[\r\n]/.test(whole);
    if (name !== null && short && PLAIN_NAME.test(name)) {
      for (const form of new Set([whole, encodeURIComponent(whole)])) {
        named.add(namedForm(name, form));
        longestNamed = Math.max(longestNamed, name.length + form.length + NAMED_EXTRA);
      }
      continue;
    }
    for (const line of value.split(/\r?\n/)) {
      const piece = line.trim();
      if (piece.length < MIN_KNOWN_VALUE_CHARS) continue;
      for (const form of textForms(piece)) (tokenOnly(piece) ? tokens : caseless(piece) ? anyCase : pieces).add(form);
      // `xxd -p`, `od`, Python's .hex(): in either case, and wrapped (xxd -p's 60 columns).
      const hex = Buffer.from(piece, 'utf8').toString('hex');
      anyCase.add(hex);
      wrapped.set(hex, ENCODED).set(hex.toUpperCase(), ENCODED);
      for (const form of base64Forms(piece)) {
        pieces.add(form);
        // Cut anywhere, however short (`base64` wraps at 76 columns wherever that falls): the characters of a value's
        // base64 are as random as the value, so all of them across a wrap are as unlikely by chance as unwrapped.
        wrapped.set(form, ENCODED);
      }
      if (!wrapped.has(piece)) wrapped.set(piece, { short: piece.length < WRAP_MIN_VALUE, token: tokenOnly(piece) });
    }
  }
  if (pieces.size === 0 && anyCase.size === 0 && tokens.size === 0 && named.size === 0) return null;
  const sorted = [...pieces].sort((a, b) => b.length - a.length);
  const sortedAnyCase = [...anyCase].sort((a, b) => b.length - a.length);
  const sortedTokens = [...tokens].sort((a, b) => b.length - a.length);
  return {
    caseless: sortedAnyCase.length ? new RegExp(sortedAnyCase.map(escapeRegExp).join('|'), 'gi') : null,
    pattern: sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : null,
    tokens: sortedTokens.length
      ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${sortedTokens.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`, 'gu')
      : null,
    wrapped: [...wrapped.entries()].map(wrapValue),
    // Case aside (`atom_region: iad`), and the end of a value is a quote, a blank or a separator, or the line's end.
    named: named.size ? new RegExp(`(?:${[...named].join('|')})(?=["']?(?:[\\s&,;)}\\]]|$))`, 'gim') : null,
    longest: Math.max(
      sorted[0]?.length ?? 0,
      sortedAnyCase[0]?.length ?? 0,
      sortedTokens[0]?.length ?? 0,
      longestNamed,
    ),
  };
}

/** `text` with the known values masked: whole, then wrapped across lines, then the short ones after their names. */
function maskForms(text: string, known: KnownValues, before?: string): string {
  // Any case first: a value in its own case may be part of one (`123456` of `ABC-SECRET-123456`) and cut it short.
  const anyCase = known.caseless ? text.replace(known.caseless, MASK) : text;
  const own = known.pattern ? anyCase.replace(known.pattern, MASK) : anyCase;
  const bare = known.tokens ? own.replace(known.tokens, MASK) : own;
  const unwrapped = known.wrapped.length ? maskWrapped(bare, known.wrapped, before) : bare;
  return known.named ? unwrapped.replace(known.named, MASK) : unwrapped;
}

/**
 * Terminal escape sequences, as a terminal (and the Slack rendering of output) drops them: CSI (`ESC [ 31 m`, colours),
 * OSC (`ESC ] … BEL`, titles and links) and a character set's designation (`ESC ( B`, half of `tput sgr0`). Unlike
 * src/incidents/text.ts's, an OSC never runs past a line's end here: the lines of the text without them must be the
 * lines of the text.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what this finds.
const TERMINAL_ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b\n]*(?:\u0007|\u001b\\)?|\u001b[()*+][ -~]/g;

/** The text as a reader sees it: without terminal escape sequences. */
export function withoutEscapes(text: string): string {
  return text.includes('\u001b') ? text.replace(TERMINAL_ESCAPES, '') : text;
}

/**
 * `text` with the known values masked; `before` is the line output before it, already released (see maskWrapped: a
 * wrap's start too short to hold a line back for). A colouring tool may put an escape sequence inside a value (`s3cr ESC[31m et…`)
 * that the reader then sees whole: the values are looked for in the text without escape sequences, and a line where
 * one is found there is given as masked without them (its colours go with the secret; other lines keep theirs). A line
 * with escape sequences is also masked as it is: a malformed sequence may eat a value's first character
 * (`ESC[31s3cret…`) that the file attached still holds, and a value found whole keeps the line's colours.
 */
export function maskKnown(text: string, known: KnownValues, before?: string): string {
  const seen = withoutEscapes(text);
  const seenMasked = maskForms(seen, known, before === undefined ? undefined : withoutEscapes(before));
  if (seen === text) return seenMasked;
  const lines = text.split('\n');
  const seenLines = seen.split('\n');
  const out = seenMasked.split('\n');
  // Only the lines with escape sequences differ from what was masked; they are masked as they are, in one pass. Where
  // that masks all that was found without them, the line keeps its colours.
  const coloured = lines.flatMap((line, i) => (line !== seenLines[i] ? [i] : []));
  const masked = maskForms(coloured.map((i) => lines[i]).join('\n'), known).split('\n');
  for (const [n, i] of coloured.entries()) {
    if (out[i] === seenLines[i] || withoutEscapes(masked[n]!) === out[i]) out[i] = masked[n]!;
  }
  return out.join('\n');
}
