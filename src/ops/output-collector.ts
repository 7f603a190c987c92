import { createHash } from 'node:crypto';
import type { FoundLines } from '../runbook/look-for.js';
import { escapeAt, withoutEscapes } from './mask-text.js';

/**
 * Keeps what a command printed, already redacted, within fixed memory:
 * - the head of the output, up to `maxFullBytes` (cut on a line boundary), for a file or a log;
 * - a rolling tail, the last lines that fit in `maxTailChars`, for a Slack message;
 * - a sha256 of everything (kept or not), so two runs can be compared and a stored copy checked;
 * - with `lookFor`, the lines it picks (the runbook's `| grep "ERROR"`): how many of how many, and the last of them that
 *   fit in `maxFoundChars`, read from the same redacted text, over all of the output (kept or not).
 */

export interface OutputCollectorOptions {
  maxTailChars: number;
  maxFullBytes: number;
  /** Whether a line (as a reader sees it: without terminal escapes) is one to look for. */
  lookFor?: (line: string) => boolean;
  /** Room for the last lines found (each cut at FOUND_LINE_MAX). Default 2 900. */
  maxFoundChars?: number;
  /**
   * Masks the tail again once it is shown as a terminal shows it (terminalView): a carriage return or a backspace can
   * put together on screen a value the output never held in one piece.
   */
  remask?: (text: string) => string;
}

/** Longest line kept of a line found; past it, its start and an ellipsis. */
export const FOUND_LINE_MAX = 400;
/** Longest stretch of one line read for what a step looks for: the rest of a longer line is not read. */
const READ_LINE_MAX = 64 * 1024;

export interface CollectedOutput {
  tail: string;
  full: string;
  truncated: boolean;
  /** UTF-8 bytes of redacted output seen, kept or not. */
  redactedBytes: number;
  digest: string;
  /** Set when the collector was given `lookFor`. */
  found?: FoundLines;
}

export interface OutputCollector {
  push(text: string): void;
  /** The last complete lines that fit in maxTailChars, without the final newline. */
  tail(): string;
  /** With `lookFor`: the complete lines read so far, how many it picked, and the last of them. */
  found(): FoundLines | undefined;
  finish(): CollectedOutput;
}

export function createOutputCollector({
  maxTailChars,
  maxFullBytes,
  lookFor,
  maxFoundChars = 2_900,
  remask = (text) => text,
}: OutputCollectorOptions): OutputCollector {
  const shown = (raw: string): string => {
    const view = terminalView(raw);
    if (view === raw) return raw;
    // Masked before it is cut: a cut could leave a secret's end alone, which masking would no longer know.
    const masked = remask(view);
    return masked.length > maxTailChars ? tailOf(masked, false, maxTailChars) : masked;
  };
  const hash = createHash('sha256');
  const lines = lookFor ? createLineFinder(lookFor, maxFoundChars) : null;
  const head: string[] = [];
  let headBytes = 0;
  let redactedBytes = 0;
  let truncated = false;
  // The recent text; once trimmed it keeps two characters more than the tail needs, so that we can still tell
  // whether its first kept character starts a line.
  let recent = '';
  let trimmed = false;

  const keepHead = (text: string, bytes: number): void => {
    if (truncated) return;
    if (headBytes + bytes <= maxFullBytes) {
      head.push(text);
      headBytes += bytes;
      return;
    }
    truncated = true;
    // Cut on the last line boundary of the whole head, not only of this chunk: the head kept so far may end inside a
    // line that this chunk finishes past the room left (which chunk a line ends in depends on the pipe).
    const fit = cutOnLine(head.join('') + text, maxFullBytes);
    head.length = 0;
    head.push(fit);
    headBytes = Buffer.byteLength(fit);
  };

  return {
    push(raw) {
      if (raw === '') return;
      // A NUL byte (a binary payload logged raw) cannot be stored in Postgres text: the run would never be recorded.
      // Shown as ␀, the same in the message, the file, the tail kept and the digest.
      const text = raw.includes('\u0000') ? raw.replaceAll('\u0000', '\u2400') : raw;
      const bytes = Buffer.byteLength(text);
      redactedBytes += bytes;
      hash.update(text);
      lines?.push(text);
      keepHead(text, bytes);
      recent += text;
      if (recent.length > maxTailChars * 2 + 2) {
        recent = recent.slice(-(maxTailChars + 2));
        trimmed = true;
      }
    },
    tail() {
      return shown(tailOf(recent, trimmed, maxTailChars));
    },
    found() {
      return lines?.sofar();
    },
    finish() {
      const raw = tailOf(recent, trimmed, maxTailChars);
      const tail = shown(raw);
      let full = head.join('');
      if (truncated) {
        const marker = `[output truncated: kept the first ${headBytes} of ${redactedBytes} bytes; the last lines follow]`;
        full = `${full}${full === '' || full.endsWith('\n') ? '' : '\n'}${marker}\n${raw}`;
      }
      return {
        tail,
        full,
        truncated,
        redactedBytes,
        digest: hash.digest('hex'),
        ...(lines ? { found: lines.finish() } : {}),
      };
    },
  };
}

/**
 * Output as a terminal would leave it on screen, for the tail a Slack message shows: colours and other escape sequences
 * dropped, a carriage return going back to the line's start so that a progress bar shows its last state, a backspace
 * going back one character, a CRLF line end a line end, other control characters (a BEL) dropped; tabs and ␀ stay.
 * The cursor moves of a display redrawn in place (docker pull's layers, pip's and tqdm's bars) are followed, so that
 * each of its lines shows its last state once: up (`ESC[2A`, `ESC[F`), down (`ESC[B`, `ESC[E`, and a line feed onto a
 * line already printed), to a column (`ESC[G`), right and left (`ESC[C`, `ESC[D`), and the line erased from the
 * cursor (`ESC[K`) or whole (`ESC[2K`). The screen is the text given: the cursor goes no higher than its first line and
 * no lower than its last. What depends on the window's size is not followed (a move to a row, `ESC[H`; erasing the
 * screen, `ESC[J`), nor `ESC[1K`.
 *
 * Linear in the text's length (each line is turned into cells and back at most once or twice, however often the
 * cursor comes back to it), and at most twice as long: blanks put before a character written past a line's end (a
 * cursor moved right or onto a shorter line) are at most as many as the characters given.
 */
export function terminalView(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for.
  if (!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) return text;
  const screen = new Screen(text.length);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for.
  const control = /[\u0000-\u0008\u000a-\u001f\u007f]/g;
  let from = 0;
  for (let m = control.exec(text); m !== null; m = control.exec(text)) {
    const at = m.index;
    if (at > from) screen.write(text.slice(from, at));
    from = at + 1;
    const c = text.charCodeAt(at);
    if (c === 10) screen.lineFeed();
    else if (c === 13) screen.column(0);
    else if (c === 8) screen.left(1);
    else if (c === 27) {
      const sequence = escapeAt(text, at);
      if (sequence !== undefined) {
        from = at + sequence.length;
        control.lastIndex = from;
        screen.escape(sequence);
      }
    }
    // Any other control character (a BEL, an ESC that starts no sequence) shows nothing.
  }
  if (from < text.length) screen.write(text.slice(from));
  return screen.text();
}

/** The escape sequences terminalView follows: a cursor move or a line's erasure, with at most one number. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: an escape sequence is what this reads.
const CURSOR_SEQUENCE = /^\u001b\[(\d*)([A-GK])$/;

/** The screen terminalView draws on: its lines, and the cursor. */
class Screen {
  /**
   * Each line as its characters (one a column) while it is the last one or once the cursor came back to write on it,
   * else as a string: the last line becomes one when a line feed adds a line below it, and never again after.
   */
  private readonly rows: (string | string[])[] = [[]];
  private row = 0;
  private col = 0;

  /** `padding`: how many blanks may still be put before a character written past a line's end. */
  constructor(private padding: number) {}

  private cells(): string[] {
    const line = this.rows[this.row]!;
    if (typeof line !== 'string') return line;
    const cells = Array.from(line);
    this.rows[this.row] = cells;
    return cells;
  }

  write(run: string): void {
    const cells = this.cells();
    if (this.col > cells.length) {
      const blanks = Math.min(this.col - cells.length, this.padding);
      this.padding -= blanks;
      for (let i = 0; i < blanks; i++) cells.push(' ');
      this.col = cells.length;
    }
    for (const ch of run) cells[this.col++] = ch;
  }

  lineFeed(): void {
    this.col = 0;
    if (this.row === this.rows.length - 1) {
      const line = this.rows[this.row]!;
      if (typeof line !== 'string') this.rows[this.row] = line.join('');
      this.rows.push([]);
    }
    this.row += 1;
  }

  column(col: number): void {
    this.col = col;
  }

  left(n: number): void {
    this.col = Math.max(0, this.col - n);
  }

  escape(sequence: string): void {
    const m = CURSOR_SEQUENCE.exec(sequence);
    if (!m) return;
    const given = m[1] ? Number(m[1]) : 0;
    // A move of 0 is a move of 1, as for a terminal.
    const n = Math.max(1, given);
    switch (m[2]) {
      case 'A':
      case 'F':
        this.row = Math.max(0, this.row - n);
        break;
      case 'B':
      case 'E':
        this.row = Math.min(this.rows.length - 1, this.row + n);
        break;
      case 'C':
        this.col += n;
        break;
      case 'D':
        this.left(n);
        break;
      case 'G':
        this.col = n - 1;
        break;
      case 'K':
        if (given === 0) {
          const cells = this.cells();
          if (this.col < cells.length) cells.length = this.col;
        } else if (given === 2) this.rows[this.row] = [];
        break;
    }
    if (m[2] === 'E' || m[2] === 'F') this.col = 0;
  }

  text(): string {
    return this.rows.map((line) => (typeof line === 'string' ? line : line.join(''))).join('\n');
  }
}

/**
 * A line found, as shown: without control characters (a BEL, a progress bar's carriage returns, ␀ stays); tabs kept.
 *
 * Not terminalView, on purpose. A line is found by what it printed, every version of it (as `grep` reads a log), one
 * line at a time over all of the output, and counted as one of the lines printed: following its carriage returns would
 * show a version overwritten by one without what it looks for (`ERROR upload 10%\r 100%` shown as ` 100%…`, the
 * reason it was found gone), and a cursor moved up redraws a line read and counted before, which a reader of lines
 * one at a time (with no screen, and unbounded output) cannot go back to. So the line shown is the line matched, its
 * control characters dropped; the tail, a screen of the last lines, is what a terminal would show.
 */
function printable(line: string): string {
  let clean = true;
  for (let i = 0; i < line.length && clean; i++) {
    const c = line.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) clean = false;
  }
  if (clean) return line;
  let out = '';
  for (const ch of line) {
    const c = ch.charCodeAt(0);
    if (c === 9 || (c >= 32 && c !== 127)) out += ch;
  }
  return out;
}

/** Reads text as it comes, a line at a time, keeping the count of lines and the last of those `lookFor` picks. */
function createLineFinder(lookFor: (line: string) => boolean, maxChars: number) {
  let partial = '';
  // The line being read is past READ_LINE_MAX: the rest of it is not read.
  let overlong = false;
  let total = 0;
  let matched = 0;
  const last: string[] = [];
  let lastChars = 0;
  const see = (raw: string): void => {
    total += 1;
    const line = withoutEscapes(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    if (!lookFor(line)) return;
    matched += 1;
    const shown = printable(line);
    const kept = shown.length > FOUND_LINE_MAX ? `${shown.slice(0, FOUND_LINE_MAX - 1)}…` : shown;
    last.push(kept);
    lastChars += kept.length + 1;
    while (lastChars > maxChars && last.length > 1) lastChars -= last.shift()!.length + 1;
  };
  const add = (piece: string): void => {
    if (overlong) return;
    partial += piece;
    if (partial.length > READ_LINE_MAX) {
      partial = partial.slice(0, READ_LINE_MAX);
      overlong = true;
    }
  };
  return {
    push(text: string): void {
      let from = 0;
      for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', from)) {
        add(text.slice(from, at));
        see(partial);
        partial = '';
        overlong = false;
        from = at + 1;
      }
      add(text.slice(from));
    },
    sofar(): FoundLines {
      return { matched, total, last: [...last] };
    },
    finish(): FoundLines {
      if (partial !== '' || overlong) see(partial);
      partial = '';
      overlong = false;
      return { matched, total, last: [...last] };
    },
  };
}

/** The last lines of `text` that fit in `max` characters; a single longer line keeps its end, after an ellipsis. */
export function tailOf(text: string, trimmed: boolean, max: number): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (!trimmed && body.length <= max) return body;
  const start = body.length - max;
  if (start <= 0) return body;
  // If the character before `start` is a newline, the cut already falls on a line boundary.
  const newline = body.indexOf('\n', start - 1);
  if (newline === -1) return `…${body.slice(body.length - max + 1)}`;
  return body.slice(newline + 1);
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes that ends with a newline (or any prefix if none). */
function cutOnLine(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  const prefix = Buffer.from(text).subarray(0, maxBytes).toString('utf8');
  const newline = prefix.lastIndexOf('\n');
  if (newline !== -1) return prefix.slice(0, newline + 1);
  // No line ends in the room left: keep what fits, minus a character the byte cut may have split.
  return prefix.endsWith('\uFFFD') ? prefix.slice(0, -1) : prefix;
}
