/**
 * The values the bot knows are secret (what it passed in a command's environment, its own tokens), and how each is
 * found in output: as it is, in the forms programs print it (URL-encoded, JSON-, shell-, HTML- or Python-escaped,
 * base64, either Unicode normal form, hex: see value-forms.ts), in another case when that cannot be ordinary text,
 * with terminal escape sequences inside it, after its own variable's name when it is short, and wrapped across lines.
 * redact.ts applies them before its pattern rules.
 */

import { escapeRegExp } from '../runbook/regexp.js';
import { type DumpValue, maskDumps } from './hex-dumps.js';
import { MASK, WORDS, withoutEscapes } from './mask-text.js';
import { base64Forms, textForms } from './value-forms.js';
import {
  BASE64,
  HEX,
  maskWrapped,
  WRAP_MIN_VALUE,
  type WrapKind,
  type WrapValue,
  wrapValue,
} from './wrapped-values.js';

export { openDumpFrom } from './hex-dumps.js';
export { MASK, withoutEscapes } from './mask-text.js';
export { openWrapFrom } from './wrapped-values.js';
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
  /**
   * The values' hex with blanks or colons between its bytes (`od -t x1`, `xxd`'s groups, `hexdump -C`), in any case;
   * null when there is none.
   */
  spacedHex: RegExp | null;
  /** The other values masked wherever they appear, in their own case; null when none is long enough. */
  pattern: RegExp | null;
  /**
   * The values that are words or a region (see `tokenOnly`), masked as whole tokens, in their own case; and every
   * value not masked in any case, in the other cases text prints it in (see `caseVariants`), as a whole token too.
   */
  tokens: RegExp | null;
  /**
   * The values, their hex and their base64 forms, masked when wrapped across lines: a terminal's width, `fold`,
   * `base64`'s 76 columns, a wrapped table cell (see maskWrapped). Base64 forms are cut anywhere, however short.
   */
  wrapped: readonly WrapValue[];
  /**
   * The values' bytes, and those of their escaped, URL-encoded and base64 forms, masked in hex dumps (`xxd`,
   * `hexdump -C`) wherever a dump's lines cut them (see maskDumps).
   */
  dumped: readonly DumpValue[];
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
 * The shortest value masked in any case (`${VAR^^}`, `tr a-z A-Z`) wherever it is, inside a longer word too; shorter
 * ones there are too often ordinary text, and are masked in another case only as a whole token (see `caseVariants`).
 */
const CASELESS_MIN_VALUE = 10;

/**
 * True when a value is masked in any case: it has letters, is long enough, and is not words, which in another case are
 * ordinary text (a heading in capitals, a title). A passphrase of words is masked only in its own case.
 */
function caseless(value: string): boolean {
  return value.length >= CASELESS_MIN_VALUE && value.toUpperCase() !== value.toLowerCase() && !WORDS.test(value);
}

/**
 * A value as text prints it in another case, other than its own: lower-cased, upper-cased (`${VAR^^}`, `tr a-z A-Z`,
 * a heading), capitalized, and each word capitalized. Not any mix of cases (`pRoDuCtIoN`), which no program prints.
 * A value under CASELESS_MIN_VALUE or of words is masked so only as a whole token: `PRODUCTIONIZE` and `XHUNTER2`
 * are other words, and a short run inside one is too often there by chance.
 */
function caseVariants(value: string): string[] {
  const lower = value.toLowerCase();
  const capitalized = lower.charAt(0).toUpperCase() + lower.slice(1);
  const titled = lower.replace(
    /(^|[^\p{L}])(\p{L})/gu,
    (_match, before: string, letter: string) => before + letter.toUpperCase(),
  );
  return [...new Set([lower, value.toUpperCase(), capitalized, titled])].filter((variant) => variant !== value);
}

/** What may be between two bytes of spaced hex: one blank or two (hexdump -C's middle), a colon, or nothing (a group). */
const HEX_BYTE_GAP = '(?: {1,2}|:)?';

/** A cloud region or zone's name: `us-east-1`, `us-central1`, `europe-west4`, `us-gov-west-1`. */
const REGION = /^[a-z]{2,}(?:-[a-z]+){1,3}-?[0-9]{1,2}$/;

/** What glues a token-only value to a longer word or identifier (as gluedBefore and gluedAfter in wrapped-values.ts). */
const IDENTIFIER_GLUE_BEFORE = '[\\p{L}\\p{N}_]|[\\p{L}\\p{N}]-';
const IDENTIFIER_GLUE_AFTER = '[\\p{L}\\p{N}_]|-[\\p{L}\\p{N}]';

/**
 * True when a value is ordinary words (see WORDS) or a region's name: masked only as a whole token, not glued to a
 * further letter or digit on either side, nor joined to one by `_` or `-` (part of an identifier), so that
 * `productionize`, `us-east-1a`, `production_db` and `prod-production` still show, not cut to `***_db`. A value that
 * is not (a password, a key) is masked wherever it is, inside a longer word or identifier too.
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
export interface KnownValuesOptions {
  /**
   * Values that, when they came with their variable's name, are masked only where they follow it (`NAME=value`), as
   * short ones are: for text a person types, where a host or region name is ordinary words (see typedCredential).
   */
  namedOnly?: (value: string) => boolean;
}

/**
 * Whether a value reads like a credential rather than a name: 12 characters or more, not words or a region, with a
 * digit, a symbol or both cases (`tok-4f9…`, `AKIA…`). `production-db.internal`, `eu-west-1`, `prod` are names.
 */
export function typedCredential(value: string): boolean {
  return (
    value.length >= 12 &&
    !tokenOnly(value) &&
    (/\p{N}/u.test(value) || /[^\p{L}\p{N}\s._/:-]/u.test(value) || (/\p{Lu}/u.test(value) && /\p{Ll}/u.test(value)))
  );
}

export function knownValues(values: readonly KnownSecret[], opts: KnownValuesOptions = {}): KnownValues | null {
  const pieces = new Set<string>();
  const anyCase = new Set<string>();
  const tokens = new Set<string>();
  const spacedHex = new Set<string>();
  const named = new Set<string>();
  // Each value looked for wrapped: whether it is short (cut only where `cutsAt` says), whether only as a whole token.
  const wrapped = new Map<string, WrapKind>();
  const dumped = new Map<string, DumpValue>();
  let longestNamed = 0;
  for (const known of values) {
    const { name, value } = typeof known === 'string' ? { name: null, value: known } : known;
    const whole = value.trim();
    const short =
      whole !== '' &&
      (whole.length < MIN_KNOWN_VALUE_CHARS || (name !== null && (opts.namedOnly?.(whole) ?? false))) &&
      !/[\r\n]/.test(whole);
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
      const forms = textForms(piece);
      for (const form of forms) (tokenOnly(piece) ? tokens : caseless(piece) ? anyCase : pieces).add(form);
      // Upper-cased, lower-cased or capitalized (`EU-WEST-1`, `PRODUCTION`, `HUNTER2`): as a whole token only.
      if (!caseless(piece))
        for (const variant of caseVariants(piece)) for (const form of textForms(variant)) tokens.add(form);
      // `xxd -p`, `od`, Python's .hex(): in either case, and wrapped (xxd -p's 60 columns); `\x68\x75` escapes.
      const hex = Buffer.from(piece, 'utf8').toString('hex');
      anyCase.add(hex).add(hex.replace(/../g, '\\x$&'));
      spacedHex.add(hex.match(/../g)!.join(HEX_BYTE_GAP));
      wrapped.set(hex, HEX).set(hex.toUpperCase(), HEX);
      const base64 = base64Forms(piece);
      for (const form of base64) {
        pieces.add(form);
        // Cut anywhere, however short (`base64` wraps at 76 columns wherever that falls): the characters of a value's
        // base64 are as random as the value, so all of them across a wrap are as unlikely by chance as unwrapped.
        wrapped.set(form, BASE64);
      }
      const token = tokenOnly(piece);
      // A start of a word or region value is ordinary text (`product` of `production`): never masked unfinished.
      const unfinished = token ? Number.POSITIVE_INFINITY : MIN_KNOWN_VALUE_CHARS;
      if (!wrapped.has(piece))
        wrapped.set(piece, { short: piece.length < WRAP_MIN_VALUE, token, unfinished, encoded: false });
      if (!dumped.has(piece)) dumped.set(piece, { bytes: Buffer.from(piece, 'utf8'), token, unfinished });
      // Escaped, URL-encoded or in base64 in a hex dump (a request body, a config file, a Kubernetes secret dumped): the
      // dump shows the form's bytes.
      for (const form of forms)
        if (!dumped.has(form)) dumped.set(form, { bytes: Buffer.from(form, 'utf8'), token, unfinished });
      for (const form of base64)
        if (!dumped.has(form))
          dumped.set(form, { bytes: Buffer.from(form, 'utf8'), token: false, unfinished: BASE64.unfinished });
      // In the other cases text prints it in, wrapped and in hex dumps too: as the value where it is masked in any case,
      // else only whole and as a whole token (as `tokens` masks it unwrapped), never unfinished (`PASSWORD` of
      // `PASSWORD-…` is a word).
      const inAnyCase = caseless(piece);
      const variantKind = {
        token: token || !inAnyCase,
        unfinished: inAnyCase ? unfinished : Number.POSITIVE_INFINITY,
      };
      for (const variant of caseVariants(piece)) {
        if (!wrapped.has(variant))
          wrapped.set(variant, { short: variant.length < WRAP_MIN_VALUE, ...variantKind, encoded: false });
        if (!dumped.has(variant)) dumped.set(variant, { bytes: Buffer.from(variant, 'utf8'), ...variantKind });
      }
    }
  }
  if (pieces.size === 0 && anyCase.size === 0 && tokens.size === 0 && named.size === 0) return null;
  const sorted = [...pieces].sort((a, b) => b.length - a.length);
  const sortedAnyCase = [...anyCase].sort((a, b) => b.length - a.length);
  const sortedTokens = [...tokens].sort((a, b) => b.length - a.length);
  return {
    caseless: sortedAnyCase.length ? new RegExp(sortedAnyCase.map(escapeRegExp).join('|'), 'gi') : null,
    spacedHex: spacedHex.size ? new RegExp([...spacedHex].join('|'), 'gi') : null,
    pattern: sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : null,
    tokens: sortedTokens.length
      ? new RegExp(
          `(?<!${IDENTIFIER_GLUE_BEFORE})(?:${sortedTokens.map(escapeRegExp).join('|')})(?!${IDENTIFIER_GLUE_AFTER})`,
          'gu',
        )
      : null,
    wrapped: [...wrapped.entries()].map(wrapValue),
    dumped: [...dumped.values()],
    // Case aside (`atom_region: iad`), and the end of a value is a quote, a blank or a separator, or the line's end.
    named: named.size ? new RegExp(`(?:${[...named].join('|')})(?=["']?(?:[\\s&,;)}\\]]|$))`, 'gim') : null,
    longest: Math.max(
      sorted[0]?.length ?? 0,
      sortedAnyCase[0]?.length ?? 0,
      sortedTokens[0]?.length ?? 0,
      // Spaced hex: each byte and two blanks after it.
      Math.max(0, ...[...spacedHex].map((form) => form.split(HEX_BYTE_GAP).length * 4)),
      longestNamed,
    ),
  };
}

/** `text` with the known values masked: whole, then wrapped across lines, then the short ones after their names. */
function maskForms(text: string, known: KnownValues, before?: string, atEnd = false): string {
  // Hex dumps first, read as bytes before a pattern masks part of one line's hex.
  const dumps = maskDumps(text, known.dumped, before, atEnd);
  // Any case next: a value in its own case may be part of one (`123456` of `ABC-SECRET-123456`) and cut it short.
  const anyCase = known.caseless ? dumps.replace(known.caseless, MASK) : dumps;
  const spaced = known.spacedHex ? anyCase.replace(known.spacedHex, MASK) : anyCase;
  const own = known.pattern ? spaced.replace(known.pattern, MASK) : spaced;
  const bare = known.tokens ? own.replace(known.tokens, MASK) : own;
  const unwrapped = known.wrapped.length ? maskWrapped(bare, known.wrapped, before, atEnd) : bare;
  const named = known.named ? unwrapped.replace(known.named, MASK) : unwrapped;
  // Two values' base64 back to back: the one or two characters between the masks carry bits of both.
  return named.includes(MASK) ? named.replace(BETWEEN_MASKS, MASK) : named;
}

/** One or two base64 characters between two masks (see maskForms). */
const BETWEEN_MASKS = /\*\*\*[A-Za-z0-9+/_-]{1,2}(?=\*\*\*)/g;

/**
 * `text` with the known values masked; `before` is the line or lines output before it, already released (see
 * maskWrapped: a wrap's start too short to hold a line back for, or released without waiting for its rest). A colouring tool may put an escape sequence inside a value (`s3cr ESC[31m et…`)
 * that the reader then sees whole: the values are looked for in the text without escape sequences, and a line where
 * one is found there is given as masked without them (its colours go with the secret; other lines keep theirs). A line
 * with escape sequences is also masked as it is: a malformed sequence may eat a value's first character
 * (`ESC[31s3cret…`) that the file attached still holds, and a value found whole keeps the line's colours.
 */
export function maskKnown(text: string, known: KnownValues, before?: string, atEnd = false): string {
  const seen = withoutEscapes(text);
  const seenMasked = maskForms(seen, known, before === undefined ? undefined : withoutEscapes(before), atEnd);
  if (seen === text) return seenMasked;
  const lines = text.split('\n');
  const seenLines = seen.split('\n');
  const out = seenMasked.split('\n');
  // Only the lines with escape sequences differ from what was masked; they are masked as they are, in one pass. Where
  // that masks all that was found without them, the line keeps its colours.
  const coloured = lines.flatMap((line, i) => (line !== seenLines[i] ? [i] : []));
  const masked = maskForms(coloured.map((i) => lines[i]).join('\n'), known, undefined, atEnd).split('\n');
  for (const [n, i] of coloured.entries()) {
    if (out[i] === seenLines[i] || withoutEscapes(masked[n]!) === out[i]) out[i] = masked[n]!;
  }
  return out.join('\n');
}
