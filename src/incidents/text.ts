/**
 * Text a person types (a title, a status update, a summary, a reason, a step parameter) is cleaned here, once, before
 * it is stored. Postgres refuses a NUL byte in `text` and in `jsonb`, and a lone UTF-16 surrogate in `jsonb`; other
 * control characters are invisible noise in Slack. Every parser of typed text goes through `cleanText`.
 */

/**
 * C0 controls, DEL and C1 controls. Tab (U+0009), line feed (U+000A) and carriage return (U+000D) are listed apart:
 * multi-line text keeps tabs and line breaks.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this module removes.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]+/g;
/**
 * Terminal escape sequences, whole: CSI (`ESC [ 31 m`, colours and cursor moves) and OSC (`ESC ] … BEL`, titles and
 * links). Dropping only the ESC left `[31m` in the text.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what this removes.
const TERMINAL_ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const LINE_BREAKS = /\r\n?/g;
/** A run of line breaks, whatever their kind (`\r\n` from Windows, `\r`, `\n`, blank lines between). */
const BREAK_RUNS = /[\n\r]+/g;

/** Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069), LRM, RLM and ALM. */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
/**
 * The bidi controls that reorder a span of text until their pop (embeddings, overrides, isolates): `db down \u202Eevil`
 * reads backwards from there on. The marks LRM and RLM, which a right-to-left writer may need, reorder nothing.
 */
const BIDI_SPANS = /[\u202A-\u202E\u2066-\u2069]/g;

/**
 * What shows nothing on its own: white space, default-ignorable code points (zero-width spaces and joiners, word
 * joiner, BOM, soft hyphen, variation selectors, Hangul fillers, tags, bidi controls), format and control characters,
 * combining marks without a base, and the blank braille pattern.
 */
const INVISIBLE = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{M}\u2800]*$/u;

export interface CleanTextOptions {
  /** Keep tabs and line breaks (a status update's fields); otherwise each becomes a space. */
  multiline?: boolean;
  /**
   * Keep the bidi controls (dropBidiSpans later): a parser that must tell text of only invisible characters from no
   * text at all (`/incident sev1 <RLO>` is a title that shows nothing, not `sev1` alone).
   */
  keepBidi?: boolean;
}

/**
 * Text as the person typed it, from text Slack sends in a slash command: Slack escapes `&`, `<` and `>` there, so that
 * `<…>` is always its own markup (a mention, a link). The markup is kept; only the three entities are read back
 * (`p99 &gt; 2s` was a title shown as `p99 &amp;gt; 2s`, and a channel named `inc-18-p99-gt-2s`).
 */
export function unescapeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * The text without control characters (NUL among them; one between two words leaves a space), without the bidi
 * controls that reorder what follows them (a status update announced in the incidents channel and on the status page
 * must read as written), and with any lone surrogate replaced by U+FFFD; line breaks
 * become `\n`. Single-line text gets a space for each tab and one for each run of line breaks (a Windows `\r\n` is one
 * break, not two spaces). Nothing else changes: trimming and collapsing spaces are each parser's business.
 */
export function cleanText(raw: string, { multiline = false, keepBidi = false }: CleanTextOptions = {}): string {
  // Between two words a control is a gap (`db\0down` is "db down", not "dbdown"); elsewhere it is dropped.
  const text = (keepBidi ? raw : dropBidiSpans(raw))
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(TERMINAL_ESCAPES, '')
    .replace(CONTROL, (run: string, at: number, whole: string) =>
      at > 0 && /\S/.test(whole[at - 1]!) && /\S/.test(whole[at + run.length] ?? '') ? ' ' : '',
    );
  return multiline ? text.replace(LINE_BREAKS, '\n') : text.replace(BREAK_RUNS, ' ').replaceAll('\t', ' ');
}

/** The text without the bidi controls that reorder a span (cleanText drops them unless told to keep them). */
export function dropBidiSpans(text: string): string {
  return text.replace(BIDI_SPANS, '');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this module removes.
const ANY_CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

/**
 * Whether single-line text holds any control character (tabs and line breaks too), a bidi control that reorders text
 * (a command shown in one order and run in another) or a lone surrogate: a value that must be taken exactly as typed
 * (a step parameter) is refused for it rather than changed.
 */
export function hasControlCharacters(raw: string): boolean {
  LONE_SURROGATE.lastIndex = 0;
  BIDI_SPANS.lastIndex = 0;
  return ANY_CONTROL.test(raw) || LONE_SURROGATE.test(raw) || BIDI_SPANS.test(raw);
}

/** A title as it is stored: clean, single-line, without bidi controls (which could reorder how it reads). */
export function cleanTitle(raw: string): string {
  return cleanText(raw).replace(BIDI_CONTROLS, '');
}

/**
 * At most `max` characters (code points), ending with an ellipsis when cut. Only the start of a long text is read:
 * 2 * max UTF-16 units hold at least max characters, so a longer text is cut either way.
 */
export function cutToChars(s: string, max: number): string {
  if (s.length <= max) return s; // no more characters than UTF-16 units: nothing to cut (and no array to build)
  const chars = [...s.slice(0, 2 * max)];
  return s.length > 2 * max || chars.length > max ? `${chars.slice(0, Math.max(0, max - 1)).join('')}…` : s;
}

/** Whether the text shows nothing: empty, or only white space and invisible characters. */
export function isBlank(text: string): boolean {
  return INVISIBLE.test(text);
}

/**
 * A JSON body's text as Postgres can store it, in `text` and in `jsonb`: a NUL and a lone surrogate, which it
 * refuses, become U+FFFD (so that two keys differing only there stay two). Everything else is kept as sent.
 */
export function storableText(raw: string): string {
  return raw.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * Whether JSON text may hold what `storableText` replaces: a NUL or a surrogate can only come in as an escape (JSON
 * refuses raw control characters, and decoding UTF-8 never yields a lone surrogate), so a body without `\u0000` or
 * `\uD8..`–`\uDF..` needs no walk. A surrogate pair (an escaped emoji) is a false alarm, caught by the walk.
 */
export const mayHoldUnstorable = (json: string): boolean => /\\u(?:0000|[dD][89a-fA-F])/.test(json);

/** A parsed JSON value with every string in it, keys too, storable (storableText). */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[storableText(k)] = storableJson(v);
    return out;
  }
  return value;
}
