/**
 * Known values, and their escaped, URL-encoded and base64 forms, in hex dumps (`xxd`, `hexdump -C`, `od -A x -t x1z`;
 * `hexdump`, `od -x` and `xxd -e`, whose words are little-endian): the bytes of a run of dump lines are read as one
 * stream, so that a value is found wherever the dump's lines cut it (an offset column and an ASCII column between its
 * pieces), and masked in the hex column and in the ASCII column at the right. A search of the bytes (Buffer.indexOf),
 * no pattern; text with no dump line costs one pattern test.
 */

import { maskSpans, WORDS } from './mask-text.js';

/** A known value looked for in hex dumps (see known-values.ts, which builds them). */
export interface DumpValue {
  bytes: Buffer;
  /** Masked only where no letter, digit or `_` is next to it: a word or a region (see known-values.ts's tokenOnly). */
  token: boolean;
  /** The shortest start of it masked when the dump ends after it (see maskWrapped); Infinity: never. */
  unfinished: number;
}

/**
 * The fewest bytes of a value's start ending a dump that hold its lines back for the rest (see openDumpFrom): one, its
 * first byte. Only a dump's last line so far can hold, and a dump's line ends in a given byte once in 256 or so (a
 * value and its forms start with a few bytes: its own first, `%`, `\`, its base64's): the hold is rare and costs a
 * wait for the next output, where a start not held shows.
 */
const DUMP_MIN_HEAD = 1;

/** Some line of `text` is a dump line: an offset, blanks, and two hex digits. */
const ANY_DUMP_LINE = /^[ \t]*[0-9A-Fa-f]{4,16}:?[ \t]+[0-9A-Fa-f]{2}/m;
/** A dump line's offset column (xxd's ends in a colon; od's is octal), and the blanks after it. */
const OFFSET = /^[ \t]*[0-9A-Fa-f]{4,16}:?[ \t]+/;

/** One line of a dump: its bytes as printed, where each one's two hex digits are, and its ASCII column if any. */
interface DumpLine {
  /** Hex digits a group (2 for bytes, 4 for xxd's default two-byte groups). */
  width: number;
  bytes: number[];
  /** Where each byte's hex digits start in the line. */
  hexAt: number[];
  /** Where the ASCII column's first character is, or -1. */
  ascii: number;
}

/** A hex digit's value, or -1. */
function digit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

const isBlank = (code: number): boolean => code === 32 || code === 9;

/**
 * Where the byte printed `j`th of `count` in groups of `group` bytes is in the data when each group is little-endian:
 * in its group, as far from the group's end as it is from its start (and the other way round).
 */
function swappedAt(j: number, group: number, count: number): number {
  const start = j - (j % group);
  return start + Math.min(group, count - start) - 1 - (j - start);
}

/**
 * True when `line` shows `count` of `bytes` as the ASCII column does (xxd, hexdump -C, od's `z`) from `at`: in the
 * order printed, or with groups of `group` bytes little-endian (`xxd -e`).
 */
function showsBytes(line: string, at: number, bytes: readonly number[], count: number, group: number): boolean {
  let printed = true;
  for (let b = 0; b < count && printed; b++) printed = line.charCodeAt(at + b) === shownAs(bytes[b]!);
  if (printed || group < 2) return printed;
  for (let b = 0; b < count; b++)
    if (line.charCodeAt(at + b) !== shownAs(bytes[swappedAt(b, group, count)]!)) return false;
  return true;
}

/** The character code the ASCII column shows a byte as: itself when printable ASCII, else `.`. */
function shownAs(byte: number): number {
  return byte >= 0x20 && byte < 0x7f ? byte : 46;
}

/** The line read as a line of a hex dump, or null. */
function dumpLine(line: string): DumpLine | null {
  const offset = OFFSET.exec(line);
  if (!offset) return null;
  const end = line.endsWith('\r') ? line.length - 1 : line.length;
  const dump: DumpLine = { width: 0, bytes: [], hexAt: [], ascii: -1 };
  // The groups of hex digits, each of `width` (a shorter one, xxd's last of an odd byte count, ends them): for each,
  // the bytes up to its end and where it ends in the line.
  const groups: [bytes: number, at: number][] = [];
  let p = offset[0].length;
  while (p < end) {
    let q = p;
    while (q < end && !isBlank(line.charCodeAt(q))) q++;
    const length = q - p;
    if (length % 2 !== 0 || length > 16 || (dump.width > 0 && length > dump.width)) break;
    let hex = true;
    for (let c = p; c < q && hex; c++) hex = digit(line.charCodeAt(c)) >= 0;
    if (!hex) break;
    dump.width ||= length;
    for (let c = p; c < q; c += 2) {
      dump.bytes.push(digit(line.charCodeAt(c)) * 16 + digit(line.charCodeAt(c + 1)));
      dump.hexAt.push(c);
    }
    groups.push([dump.bytes.length, q]);
    while (q < end && isBlank(line.charCodeAt(q))) q++;
    p = q;
    if (length < dump.width) break;
  }
  if (groups.length === 0) return null;
  // The ASCII column shows the bytes of the hex before it; where it looks like hex, it was read as hex too. It starts
  // after two blanks or more, or after a bar or od's `>`.
  for (let k = groups.length; k >= 1; k--) {
    const [count, hexEnd] = groups[k - 1]!;
    if (!(isBlank(line.charCodeAt(hexEnd)) && isBlank(line.charCodeAt(hexEnd + 1)))) continue;
    for (const [open, close] of ['  ', '||', '><']) {
      const [opens, closes] = [open === ' ' ? 0 : 1, close === ' ' ? 0 : 1];
      const at = end - count - closes;
      if (at - opens <= hexEnd || (opens && line[at - 1] !== open) || (closes && line[end - 1] !== close)) continue;
      if (!showsBytes(line, at, dump.bytes, count, dump.width / 2)) continue;
      dump.bytes.length = dump.hexAt.length = count;
      dump.ascii = at;
      return dump;
    }
  }
  // No ASCII column (hexdump's and od's words), or something else after the hex: its bytes are still the dump's.
  return dump;
}

/**
 * True when dump line `next` goes on with the dump `line` is of: groups as wide, or narrower on its last line (xxd's
 * last line of one byte shows `39`, not `3900`).
 */
const goesOn = (line: DumpLine, next: DumpLine | null | undefined): boolean => !!next && next.width <= line.width;

/** The bytes of a run of dump lines, in the order the dumped data has them, with where each one is shown. */
interface Stream {
  bytes: Buffer;
  line: Int32Array;
  hexAt: Int32Array;
  /** -1 where the line has no ASCII column. */
  asciiAt: Int32Array;
}

/**
 * The run of dump lines `parsed` (line `first` on) as a stream: in the order it prints the bytes, or with each group's
 * bytes the other way round (`swapped`: hexdump's and `od -x`'s two-byte words, little-endian, print `3373` for `s3`).
 */
function stream(parsed: readonly DumpLine[], first: number, swapped: boolean): Stream {
  const total = parsed.reduce((sum, dump) => sum + dump.bytes.length, 0);
  const s: Stream = {
    bytes: Buffer.allocUnsafe(total),
    line: new Int32Array(total),
    hexAt: new Int32Array(total),
    asciiAt: new Int32Array(total),
  };
  let base = 0;
  for (const [n, dump] of parsed.entries()) {
    for (let j = 0; j < dump.bytes.length; j++) {
      const at = swapped ? swappedAt(j, dump.width / 2, dump.bytes.length) : j;
      s.bytes[base + at] = dump.bytes[j]!;
      s.line[base + at] = first + n;
      s.hexAt[base + at] = dump.hexAt[j]!;
      s.asciiAt[base + at] = dump.ascii < 0 ? -1 : dump.ascii + at;
    }
    base += dump.bytes.length;
  }
  return s;
}

/** The streams a run of dump lines may hold: the bytes as printed, and, in groups of two bytes or more, swapped. */
const streams = (parsed: readonly DumpLine[], first: number): Stream[] =>
  parsed[0]!.width > 2 ? [stream(parsed, first, false), stream(parsed, first, true)] : [stream(parsed, first, false)];

const WORD_BYTE = /[A-Za-z0-9_]/;
const isWordByte = (byte: number | undefined): boolean =>
  byte !== undefined && WORD_BYTE.test(String.fromCharCode(byte));

/**
 * Spans ([start, end) by line) of the bytes `from`..`to` of a stream: on each line, from the first of their hex digits
 * to the last (the blanks between, and in a group the bytes of other data beside them, with them), and the same in the
 * ASCII column.
 */
function addSpans(spans: Map<number, [number, number][]>, s: Stream, from: number, to: number): void {
  for (let b = from; b < to; ) {
    const line = s.line[b]!;
    let [hexFrom, hexTo, asciiFrom, asciiTo] = [Infinity, -Infinity, Infinity, -Infinity];
    for (; b < to && s.line[b] === line; b++) {
      [hexFrom, hexTo] = [Math.min(hexFrom, s.hexAt[b]!), Math.max(hexTo, s.hexAt[b]! + 2)];
      if (s.asciiAt[b]! >= 0)
        [asciiFrom, asciiTo] = [Math.min(asciiFrom, s.asciiAt[b]!), Math.max(asciiTo, s.asciiAt[b]! + 1)];
    }
    const found = spans.get(line) ?? [];
    found.push([hexFrom, hexTo]);
    if (asciiTo >= 0) found.push([asciiFrom, asciiTo]);
    spans.set(line, found);
  }
}

/** The length of the longest start of `v` (from `min` bytes, shorter than it) that ends `bytes`; 0 when none does. */
function startEnding(bytes: Buffer, v: Buffer, min: number): number {
  for (let k = Math.min(v.length - 1, bytes.length); k >= min; k--) {
    if (v[k - 1] === bytes[bytes.length - 1] && bytes.subarray(bytes.length - k).equals(v.subarray(0, k))) return k;
  }
  return 0;
}

/**
 * Known values in the hex dumps of `text`, masked wherever a dump's lines cut them, hex and ASCII columns alike; a
 * value's start ending a dump when a line that is not of it follows (with `atEnd`, the output's end) is masked when it
 * is `unfinished` bytes or more and not ordinary words. `before`, the lines released before (see maskWrapped), only to find a value starting
 * there.
 */
export function maskDumps(text: string, values: readonly DumpValue[], before?: string, atEnd = false): string {
  if (values.length === 0 || !ANY_DUMP_LINE.test(text)) return text;
  const skip = before === undefined ? 0 : before.split('\n').length;
  const lines = before === undefined ? text.split('\n') : [...before.split('\n'), ...text.split('\n')];
  const spans = new Map<number, [number, number][]>();
  const parsed = lines.map(dumpLine);
  for (let i = 0; i < lines.length; ) {
    const head = parsed[i];
    if (!head) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < lines.length && goesOn(parsed[j - 1]!, parsed[j])) j++;
    // A run ending where a line not of it follows, or where the output ends: a value's start there is all there is.
    const ended = j < lines.length || atEnd;
    for (const s of streams(parsed.slice(i, j) as DumpLine[], i)) {
      for (const v of values) {
        for (let at = s.bytes.indexOf(v.bytes); at >= 0; at = s.bytes.indexOf(v.bytes, at + 1)) {
          if (v.token && (isWordByte(s.bytes[at - 1]) || isWordByte(s.bytes[at + v.bytes.length]))) continue;
          addSpans(spans, s, at, at + v.bytes.length);
        }
        if (ended && Number.isFinite(v.unfinished)) {
          // Not ordinary words (`password` of `password-Winter-2026`), as a wrapped value's start.
          const k = startEnding(s.bytes, v.bytes, v.unfinished);
          if (k > 0 && !WORDS.test(v.bytes.subarray(0, k).toString('utf8')))
            addSpans(spans, s, s.bytes.length - k, s.bytes.length);
        }
      }
    }
    i = j;
  }
  for (let i = 0; i < skip; i++) spans.delete(i);
  if (spans.size === 0) return text;
  maskSpans(lines, spans);
  return lines.slice(skip).join('\n');
}

/**
 * The first of the last lines of a dump that end in a start of a value (DUMP_MIN_HEAD bytes or more) whose rest is not
 * in `lines` yet: the redactor holds them back until it comes, as openWrapFrom's. -1 when there is none.
 */
export function openDumpFrom(lines: readonly string[], values: readonly DumpValue[]): number {
  if (values.length === 0) return -1;
  const last = lines.length > 0 ? dumpLine(lines[lines.length - 1]!) : null;
  if (!last) return -1;
  const longest = Math.max(...values.map((v) => v.bytes.length));
  const run = [last];
  let bytes = last.bytes.length;
  // Back as far as twice the longest value's bytes (a start, and the value whole before it), however many lines that
  // is: a fixed count of lines (64, 1,024 bytes of xxd) let the start of a longer value go unheld, its lines out
  // before its rest came.
  for (let i = lines.length - 2; i >= 0 && bytes < 2 * longest; i--) {
    const dump = dumpLine(lines[i]!);
    if (!dump || !goesOn(dump, run[0])) break;
    run.unshift(dump);
    bytes += dump.bytes.length;
  }
  let from = -1;
  const all = streams(run, lines.length - run.length);
  for (const s of all) {
    for (const v of values) {
      const k = startEnding(s.bytes, v.bytes, DUMP_MIN_HEAD);
      if (k > 0) from = from < 0 ? s.line[s.bytes.length - k]! : Math.min(from, s.line[s.bytes.length - k]!);
    }
  }
  if (from < 0) return from;
  // A value whole across the first line held (`Zx9…sZx9` ending in a start of itself; a value read in the bytes as
  // printed, a start in them swapped): held from its first line, or the lines of it before would go out alone, its
  // rest held back, and show it. The last one that starts before the line is the one that may reach into it.
  for (const s of all) {
    const at = s.line.indexOf(from);
    for (const v of values) {
      const whole = at > 0 ? s.bytes.lastIndexOf(v.bytes, at - 1) : -1;
      if (whole >= 0 && whole + v.bytes.length > at) from = Math.min(from, s.line[whole]!);
    }
  }
  return from;
}
