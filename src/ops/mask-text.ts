/** What a masked secret becomes, and the helpers the value maskers share: the text as a reader sees it, span masking. */

export const MASK = '***';

/** Words as text prints them (`deploy`, `Deploy`, `DEPLOY`), blank-separated. */
export const WORDS = /^(?:\p{Lu}?\p{Ll}+|\p{Lu}+)(?:\s+(?:\p{Lu}?\p{Ll}+|\p{Lu}+))*$/u;

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

const ESCAPE_AT = new RegExp(TERMINAL_ESCAPES.source, 'y');

/** The escape sequence (as withoutEscapes drops it) that starts at `at` in `text`, if one does. */
export function escapeAt(text: string, at: number): string | undefined {
  ESCAPE_AT.lastIndex = at;
  return ESCAPE_AT.exec(text)?.[0];
}

/**
 * `lines` with each line's spans ([start, end) offsets) masked, in place: overlapping or touching spans (two values,
 * or a value and its wrap's piece) as one `***`. A span that is already no more than a mask is left as it is.
 */
export function maskSpans(lines: string[], spans: ReadonlyMap<number, readonly (readonly [number, number])[]>): void {
  for (const [i, ranges] of spans) {
    const merged: [number, number][] = [];
    for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
      const last = merged[merged.length - 1];
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    }
    let line = lines[i]!;
    // From the right, so earlier offsets stay right.
    for (const [start, end] of merged.reverse()) {
      if (line.slice(start, end) === MASK) continue;
      line = `${line.slice(0, start)}${MASK}${line.slice(end)}`;
    }
    lines[i] = line;
  }
}
