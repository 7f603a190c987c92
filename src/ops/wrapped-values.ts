/**
 * Known values wrapped across lines (a terminal's width, `fold`, `base64`'s 76 columns, a wrapped table cell, a log
 * line's prefix repeated): found by a value's characters, no pattern, and held back in a stream while a value's start
 * ends the last line (see known-values.ts, which builds the values, and redact.ts, which holds).
 */

import { maskSpans, WORDS, withoutEscapes } from './mask-text.js';

/**
 * A value this long is looked for wrapped anywhere, its start ending a line however short it is (one character): the
 * rest, 11 characters of it or more, must start the next line. A shorter value (MIN_KNOWN_VALUE_CHARS or more) is
 * looked for only where each of its pieces is WRAP_MIN_HEAD characters or more and each cut falls inside a run of
 * letters or of digits: `password` ending a line and `1` or `123` starting the next is ordinary text, not `password123`.
 */
export const WRAP_MIN_VALUE = 12;
/** The shortest piece of a short value in a wrap; and the shortest start of any value that holds a line back. */
const WRAP_MIN_HEAD = 3;
/** The most lines a wrapped value is looked for across (a 2,000-character value at 40 columns). */
const WRAP_MAX_LINES = 64;

/** A value looked for wrapped across lines, with where each of its characters is in it (to find a wrap's start). */
export interface WrapValue {
  value: string;
  at: ReadonlyMap<string, readonly number[]>;
  /** Under WRAP_MIN_VALUE: cut only where `cutsAt` says. */
  short: boolean;
  /** Masked only as a whole token (see `tokenOnly`). */
  token: boolean;
  /**
   * The shortest start of it masked when its rest does not follow (see maskWrapped): what is shown of a secret whose
   * rest never came. Infinity: never (a word's start is ordinary text).
   */
  unfinished: number;
  /** A hex or base64 form: its start holds a line back only from WRAP_MIN_HEAD characters (see openWrapFrom). */
  encoded: boolean;
}

export type WrapKind = Pick<WrapValue, 'short' | 'token' | 'unfinished' | 'encoded'>;
/** A value's hex: cut anywhere, masked inside a longer word too; unfinished from 6 bytes on. */
export const HEX: WrapKind = { short: false, token: false, unfinished: 12, encoded: true };
/** A value's base64: as its hex; unfinished from 8 characters (6 bytes) on. */
export const BASE64: WrapKind = { short: false, token: false, unfinished: 8, encoded: true };

export function wrapValue([value, kind]: [string, WrapKind]): WrapValue {
  const at = new Map<string, number[]>();
  for (let p = 0; p < value.length; p++) at.set(value[p]!, [...(at.get(value[p]!) ?? []), p]);
  return { value, at, ...kind };
}

const WORD_CHAR = /[\p{L}\p{N}]/u;
const isWordChar = (c: string | undefined): boolean => c !== undefined && WORD_CHAR.test(c);

/**
 * True when what is after a token-only value at `at` would glue it to a longer word or identifier: a letter or digit,
 * an `_`, or a `-` with a letter or digit after it (`production_db`, `us-east-1-replica`). See known-values.ts's IDENTIFIER_GLUE_AFTER.
 */
const gluedAfter = (line: string, at: number): boolean =>
  isWordChar(line[at]) || line[at] === '_' || (line[at] === '-' && isWordChar(line[at + 1]));

/** As gluedAfter, for what is before a value that starts at `at`. */
const gluedBefore = (line: string, at: number): boolean =>
  isWordChar(line[at - 1]) || line[at - 1] === '_' || (line[at - 1] === '-' && isWordChar(line[at - 2]));

const CHAR_CLASS = [/\p{L}/u, /\p{N}/u];

/** True when a wrap may cut `w` before its character `pos` (see WRAP_MIN_VALUE). */
function cutsAt(w: WrapValue, pos: number, piece: number): boolean {
  if (!w.short) return true;
  if (piece < WRAP_MIN_HEAD || w.value.length - pastBlanks(w.value, pos) < WRAP_MIN_HEAD) return false;
  const [before, after] = [w.value[pos - 1]!, w.value[pos]!];
  // At a blank between words (a passphrase wrapped where a line breaks text), or inside a run of letters or digits.
  return BLANK.test(after) || CHAR_CLASS.some((c) => c.test(before) && c.test(after));
}

const BLANK = /[ \t]/;

/**
 * Where a value's rest starts on the next line when a wrap cuts it at `pos`: past the blanks there, which a wrap at a
 * blank drops, leaves ending the line (where textEnds does not count it) or puts before the rest (as an indent).
 */
function pastBlanks(value: string, pos: number): number {
  let at = pos;
  while (at < value.length && BLANK.test(value[at]!)) at++;
  return at;
}

/** Where a line's text ends: before trailing blanks, and before a continuation mark (`\`, quoted-printable's `=`). */
function textEnds(line: string): number[] {
  const end = line.replace(/[ \t\r]+$/, '').length;
  return end > 0 && (line[end - 1] === '\\' || line[end - 1] === '=') ? [end, end - 1] : [end];
}

/**
 * The pieces of a value wrapped from line `i` on (its start ending line `i` at `from`, `k` characters of it), as
 * [line, start, end] spans, with how much of the value the start and they show (`pos`) and how they end: `whole`, the
 * rest is there; `open`, the lines ran out before it (it may come with the next output); `broken`, a line that does
 * not carry it follows. A following line may repeat the
 * first line's prefix (a log's timestamp, `kubectl logs`' pod name) and be indented; a line in the middle holds
 * nothing but a piece of the value.
 */
interface Wrap {
  spans: [number, number, number][];
  pos: number;
  end: 'whole' | 'open' | 'broken';
}

function wrappedFrom(lines: readonly string[], i: number, from: number, k: number, w: WrapValue): Wrap {
  const v = w.value;
  const spans: [number, number, number][] = [];
  const first = lines[i]!;
  let pos = pastBlanks(v, k);
  for (let j = i + 1; j < lines.length; j++) {
    const line = lines[j]!;
    // Where the line's text starts: after its indent, or after the prefix it shares with the first line and an indent;
    // the same prefix but for its digits too (a log's timestamp: same length and shape, another time).
    const same = shared(line, first, from, false);
    const starts = [...new Set([indentOf(line, 0), indentOf(line, same)])];
    const shaped = shared(line, first, from, true);
    if (!starts.includes(indentOf(line, shaped))) starts.push(indentOf(line, shaped));
    const rest = v.slice(pos);
    overshot(line, same, rest, starts);
    if (shaped !== same) overshot(line, shaped, rest, starts);
    const whole = starts.find(
      (start) => line.startsWith(rest, start) && !(w.token && gluedAfter(line, start + rest.length)),
    );
    if (whole !== undefined) {
      spans.push([j, whole, whole + rest.length]);
      return { spans, pos: v.length, end: 'whole' };
    }
    let piece: [number, number] | undefined;
    for (const start of starts) {
      const end = textEnds(line).find((e) => e > start && rest.startsWith(line.slice(start, e)));
      if (end !== undefined && cutsAt(w, pos + end - start, end - start)) piece = [start, end];
    }
    if (!piece) return { spans, pos, end: 'broken' };
    spans.push([j, piece[0], piece[1]]);
    pos = pastBlanks(v, pos + piece[1] - piece[0]);
  }
  // The lines ran out with the value not yet whole: its rest may be in lines still to come.
  return { spans, pos, end: 'open' };
}

/**
 * The first of the last lines where a wrapped value starts whose rest is not in `lines` yet (it may come with the
 * next output): the redactor holds those lines back until it does, or the output ends. -1 when there is none.
 */
export function openWrapFrom(lines: readonly string[], values: readonly WrapValue[]): number {
  // As the reader sees them: a value's start may be coloured, with a reset after it.
  const from = Math.max(0, lines.length - WRAP_MAX_LINES);
  const last = lines.slice(from).map(withoutEscapes);
  // The values found whole so far: the line each starts on and the line it ends on.
  const whole: [number, number][] = [];
  for (let i = 0; i < last.length; i++) {
    const ends = textEnds(last[i]!);
    for (const w of endingIn(last[i]!, ends, values)) {
      // A start under WRAP_MIN_HEAD only where it begins a word (after a blank, `=`, a quote; a value printed as a
      // terminal wraps it): every line ending in a value's first letter would wait for more output, and hex or base64
      // runs are words of their own.
      for (const head of headsAt(last[i]!, w, ends, w.encoded ? WRAP_MIN_HEAD : 1)) {
        if (head.k < WRAP_MIN_HEAD && isWordChar(last[i]![head.from - 1])) continue;
        const wrap = wrappedFrom(last, i, head.from, head.k, w);
        if (wrap.end === 'whole') whole.push([i, wrap.spans[wrap.spans.length - 1]![0]]);
        if (wrap.end !== 'open') continue;
        // A value whole up to this line (one that ends in a start of itself, `Zx9…sZx9`) is held from its first line:
        // its lines before would go out alone, and its end, held back with the start, would then be shown.
        let start = i;
        for (const [first, end] of whole) if (end >= i) start = Math.min(start, first);
        return from + start;
      }
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

/**
 * Adds to `starts` where the rest may start inside the prefix `line` shares with the first line (its first `n`
 * characters): the rest's first characters may be the same as those after the first line's prefix (`[pod] token: hun`
 * then `[pod] ter2abc`: the shared prefix is `[pod] t`, the rest starts before its `t`).
 */
function overshot(line: string, n: number, rest: string, starts: number[]): void {
  const first = rest.charCodeAt(0);
  for (let p = n - 1; p >= Math.max(0, n - rest.length); p--) {
    if (line.charCodeAt(p) === first && line.startsWith(rest.slice(0, n - p), p) && !starts.includes(p)) starts.push(p);
  }
}

/** Where a line's text starts from `at` on, past blanks. */
function indentOf(line: string, at: number): number {
  let start = at;
  while (start < line.length && (line[start] === ' ' || line[start] === '\t')) start++;
  return start;
}

/**
 * The starts of a value that end `line` (each at least `minHead` long), with where each begins: the longest first. A
 * value whose start repeats (`ab12ab12-…`, much hex) may end a line in more than one way, and only one of them may be
 * the start whose rest the next line holds (`ab12ab12` then `ab12-…`: the start is `ab12`).
 */
function headsAt(line: string, w: WrapValue, ends = textEnds(line), minHead = 1): readonly Head[] {
  // An array only where there is a start: this runs for every line and value (a generator was too slow for 50 MB).
  let heads: Head[] | undefined;
  for (const end of ends) {
    const ats = w.at.get(line[end - 1] ?? '');
    if (!ats) continue;
    for (let n = ats.length - 1; n >= 0; n--) {
      const k = ats[n]! + 1;
      if (k < minHead || k >= w.value.length || k > end || !cutsAt(w, k, k)) continue;
      if (w.token && gluedBefore(line, end - k)) continue;
      if (!line.startsWith(w.value.slice(0, k), end - k)) continue;
      heads ??= [];
      heads.push({ from: end - k, k, end });
    }
  }
  return heads ?? NO_HEADS;
}

/** For each list of values, the values that hold each character: built once per list (see endingIn). */
const BY_CHARACTER = new WeakMap<readonly WrapValue[], Map<string, WrapValue[]>>();

/**
 * The values a line whose text ends at `ends` may end in a start of: those that hold its last character. One lookup
 * a line, not one a line and value: with each value's hex, base64 and case variants there are tens of them.
 */
function endingIn(line: string, ends: readonly number[], values: readonly WrapValue[]): readonly WrapValue[] {
  let byCharacter = BY_CHARACTER.get(values);
  if (!byCharacter) {
    byCharacter = new Map();
    for (const w of values) for (const c of w.at.keys()) byCharacter.set(c, [...(byCharacter.get(c) ?? []), w]);
    BY_CHARACTER.set(values, byCharacter);
  }
  if (ends.length === 1) return byCharacter.get(line[ends[0]! - 1] ?? '') ?? NO_VALUES;
  return values.filter((w) => ends.some((end) => w.at.has(line[end - 1] ?? '')));
}

const NO_VALUES: readonly WrapValue[] = [];

/** A start of a value ending a line: where it begins, how many characters of the value, where it ends. */
interface Head {
  from: number;
  k: number;
  end: number;
}

const NO_HEADS: readonly Head[] = [];

/**
 * Values wrapped across lines, masked: a start of one ending a line (see WRAP_MIN_VALUE for how short), the rest
 * starting the next (after its indent, or the prefix the first line has too), and any line between them that is
 * wholly a piece of it. String searches by a value's characters, no pattern: a pattern of every split of every value
 * was too slow for 50 MB of output.
 *
 * A start whose rest does not follow (a line after it that does not carry it; with `atEnd`, the output's end) is
 * masked too when it shows `unfinished` characters of the value or more and they are not ordinary words: a command
 * killed, or that printed something else, after the first part of a secret. A line that merely ends in a word a
 * secret starts with (`password` of `password-Winter-2026`) is left as it is; so is a line that ends in the start of
 * a value and is the last of `text` without `atEnd` (an overlong line's cut: its rest is in the next text).
 *
 * `before`: the lines released before `text`, only to find a wrap's start on them (a start too short to hold its line
 * back, or lines released without waiting for the rest): the pieces of it in `text` are masked as any.
 */
export function maskWrapped(text: string, values: readonly WrapValue[], before?: string, atEnd = false): string {
  const skip = before === undefined ? 0 : before.split('\n').length;
  const lines = before === undefined ? text.split('\n') : [...before.split('\n'), ...text.split('\n')];
  const spans = new Map<number, [number, number][]>();
  for (let i = 0; i < (atEnd ? lines.length : lines.length - 1); i++) {
    const ends = textEnds(lines[i]!);
    const candidates = endingIn(lines[i]!, ends, values);
    // Of the starts the line ends in (of a value, or of values one another's start: a value and its case variant), the
    // ones whose rest follows whole; when none does, each shown unfinished.
    // Made only where a line ends in a start: this runs for every line.
    let whole: [number, number, number][] | undefined;
    let unfinished: [number, number, number][] | undefined;
    for (const w of candidates) {
      for (const head of headsAt(lines[i]!, w, ends)) {
        const wrap = wrappedFrom(lines, i, head.from, head.k, w);
        const pieces: [number, number, number][] = [[i, head.from, head.end], ...wrap.spans];
        if (wrap.end === 'whole') {
          whole ??= [];
          whole.push(...pieces);
          break;
        }
        const ended = wrap.end === 'broken' || atEnd;
        const shown = w.value.slice(0, wrap.pos);
        if (!ended || shown.length < w.unfinished || WORDS.test(shown)) continue;
        unfinished ??= [];
        unfinished.push(...pieces);
      }
    }
    for (const [line, start, end] of whole ?? unfinished ?? [])
      spans.set(line, [...(spans.get(line) ?? []), [start, end]]);
  }
  if (spans.size === 0) return text;
  maskSpans(lines, spans);
  return lines.slice(skip).join('\n');
}
