/**
 * Masks secrets in command output before it goes anywhere (Slack, logs, the database).
 *
 * What is masked, and what it becomes:
 * - `NAME=value` / `NAME: value` at the start of a line (what `atom-cli secrets list` and `env` print) when NAME
 *   looks like a secret name (contains KEY, SECRET, TOKEN, PASS, PWD, DSN, PRIVATE, CREDENTIAL, SIGNATURE, COOKIE,
 *   SALT; or URL/URI and the value carries credentials) -> `NAME=***` (the name is kept);
 * - the same `NAME=value` inside a line or a query string (`?api_key=...&token=...`) and JSON `"password": "..."`;
 * - credentials in URLs of any scheme: `postgresql://user:pass@host` -> `postgresql://user:***@host`;
 * - Anthropic `sk-ant-...` -> `sk-ant-***`, OpenAI `sk-...` / `sk-proj-...` -> `sk-***`;
 * - Slack `xoxb-` / `xoxp-` / `xoxa-` / `xoxe-` / `xoxr-` / `xoxs-` / `xoxo-` / `xapp-` tokens -> `xoxb-***`;
 * - AWS access key ids `AKIA...` / `ASIA...` -> `AKIA***`, the value after `aws_secret_access_key`, and a bare
 *   40-character secret access key (see `looksLikeAwsSecret`: a git SHA is kept) -> `***`;
 * - Stripe `sk_live_` / `sk_test_` / `rk_live_` / `rk_test_` -> `sk_live_***`, webhook secrets `whsec_***`;
 * - GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`) and JWTs (`eyJ...eyJ...`);
 * - other providers' keys by their shape (gitleaks' rules): Google `AIza...`, npm `npm_...`, SendGrid `SG.x.y`,
 *   Vault `hvs.` / `hvb.`, GitLab `glpat-` / `gldt-` / `glrt-` / `glptt-`, PyPI `pypi-AgE...`, DigitalOcean
 *   `dop_v1_`, Hugging Face `hf_`, Shopify `shpat_` / `shpca_` / `shppa_` / `shpss_` -> the prefix and `***`; a Slack
 *   incoming webhook's path (`https://hooks.slack.com/services/***`);
 * - a long option naming a secret, with `=` or a blank (`--password=...`, `--token ...`), and a user's password in
 *   `-u user:pass` / `--user user:pass` (curl's) -> `***`;
 * - `Authorization: Bearer|Basic|Token ...`, `X-Api-Key: ...`, and `Bearer <token>` anywhere;
 * - PEM private key blocks: the body between BEGIN and END becomes one `***` line;
 * - the value column of a secrets table (`NAME  DIGEST  VALUE` then rows, see secrets-table.ts) -> `***`.
 *
 * It errs on the side of masking too much (`BYPASS_CACHE=true` is masked): an over-masked line costs a responder
 * a second look, a leaked key costs a rotation. Rules work line by line and never across a newline, so the
 * streaming redactor can apply them to whole blocks of complete lines at once; only a PEM block and a secrets table
 * span lines, and the redactor keeps state for them.
 */

import { escapeRegExp } from '../runbook/regexp.js';
import { holdsTableHeader, type TableColumns, tableHeader, valueStart } from './secrets-table.js';

export const MASK = '***';

const SECRET_NAME_WORDS = /KEY|SECRET|TOKEN|PASS|PWD|DSN|PRIVATE|CREDENTIAL|SIGNATURE|COOKIE|SALT/i;
const NOT_SECRET_NAMES = new Set(['PWD', 'OLDPWD']);
const URL_NAME = /UR[LI]/i;
const URL_WITH_CREDENTIALS = /:\/\/[^\s/@]+@/;

/** True when a variable name looks like it holds a secret (`OPENAI_API_KEY`, `db_password`, `SENTRY_DSN`). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME_WORDS.test(name) && !NOT_SECRET_NAMES.has(name.toUpperCase());
}

function shouldMaskValue(name: string, value: string): boolean {
  if (value === '' || value === MASK || value === `"${MASK}"` || value === `'${MASK}'`) return false;
  if (isSecretName(name)) return true;
  return URL_NAME.test(name) && URL_WITH_CREDENTIALS.test(value);
}

/**
 * An AWS secret access key is 40 characters of base64 (`A-Z a-z 0-9 / +`) with nothing around it. So is a git SHA
 * (40 lowercase hex) and many a word or path: a key is told apart by mixing upper case, lower case and digits, which
 * a random 40-character key does all but about once in a thousand, and a SHA (one case only) never does.
 */
function looksLikeAwsSecret(candidate: string): boolean {
  return /[A-Z]/.test(candidate) && /[a-z]/.test(candidate) && /[0-9]/.test(candidate);
}

/** What String.prototype.replace passes: the match, the groups, then offset and the whole text. */
type Replacer = (match: string, ...args: never[]) => string;

const NAME_CHAR = /[A-Za-z0-9_.-]/;
const NAME_START = /[A-Za-z_]/;
const NAME_BOUNDARY = /[\s,;{(&?|]/;
const MAX_NAME_CHARS = 128;

/** Replacer for `=value` matches: masks the value when the name just before the `=` looks secret. */
function maskAssignment(match: string, value: string, offset: number, text: string): string {
  let start = offset;
  const limit = Math.max(0, offset - MAX_NAME_CHARS);
  while (start > limit && NAME_CHAR.test(text.charAt(start - 1))) start -= 1;
  // A command line's long option (`--password=...`) names its value as a variable does.
  let nameStart = start;
  while (text.charAt(nameStart) === '-' && nameStart < start + 2) nameStart += 1;
  const name = text.slice(nameStart, offset);
  if (!NAME_START.test(name.charAt(0))) return match;
  if (start > 0 && !NAME_BOUNDARY.test(text.charAt(start - 1))) return match;
  return shouldMaskValue(name, value) ? `=${MASK}` : match;
}

/** Other providers' keys (gitleaks' rules): the prefix kept, as a pattern, and the body that follows it. */
const PROVIDER_KEYS: readonly (readonly [prefix: string, body: string])[] = [
  ['AIza', '[0-9A-Za-z_-]{35}'], // Google API key
  ['npm_', '[A-Za-z0-9]{36}'],
  ['SG\\.', '[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}'], // SendGrid
  ['hv[sb]\\.', '[A-Za-z0-9_-]{24,}'], // Vault
  ['gl(?:pat|dt|rt|ptt)-', '[A-Za-z0-9_-]{20,}'], // GitLab
  ['pypi-', 'AgE[A-Za-z0-9_-]{50,}'],
  ['dop_v1_', '[a-f0-9]{64}'], // DigitalOcean
  ['hf_', '[A-Za-z]{34}'], // Hugging Face
  ['shp(?:at|ca|pa|ss)_', '[a-fA-F0-9]{32}'], // Shopify
];
const PROVIDER_PREFIX = new RegExp(`^(?:${PROVIDER_KEYS.map(([p]) => p).join('|')})`);

interface Rule {
  pattern: RegExp;
  replace: string | Replacer;
}

const RULES: readonly Rule[] = [
  // A PEM private key on one line (escaped newlines in JSON or an env file).
  {
    pattern: /(-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----)[^\r\n]*?(-----END \2PRIVATE KEY-----)/g,
    replace: `$1${MASK}$3`,
  },
  // NAME=value or NAME: value at the start of a line; the whole rest of the line is the value.
  {
    pattern: /^([ \t]*(?:export[ \t]+)?["']?)([A-Za-z_][A-Za-z0-9_.-]*)(["']?[ \t]*[=:][ \t]*)([^\r\n]+)/gm,
    replace: (match: string, lead: string, name: string, sep: string, value: string) =>
      shouldMaskValue(name, value.trim()) ? `${lead}${name}${sep}${MASK}` : match,
  },
  // JSON: "password": "value"
  {
    pattern: /("([A-Za-z0-9_.-]+)"[ \t]*:[ \t]*)"((?:[^"\\\r\n]|\\.)*)"/g,
    replace: (match: string, lead: string, name: string, value: string) =>
      shouldMaskValue(name, value) ? `${lead}"${MASK}"` : match,
  },
  // NAME=value inside a line, in a query string or a command line. The pattern starts at the `=` (a literal is
  // found fast) and the replacer reads the name backwards: scanning every word for a name is several times slower.
  { pattern: /=("[^"\r\n]*"|'[^'\r\n]*'|[^\s&,;'"]+)/g, replace: maskAssignment },
  // Credentials in a URL, any scheme: the password goes up to the last @ before the path.
  { pattern: /(:\/\/[^\s:/@?#]*):[^\s/?#]*@/g, replace: `$1:${MASK}@` },
  { pattern: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{8,}/g, replace: `sk-ant-${MASK}` },
  { pattern: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{16,}/g, replace: `sk-${MASK}` },
  { pattern: /(?<![A-Za-z0-9])(xox[abeoprs]|xapp)-[A-Za-z0-9-]{4,}/g, replace: `$1-${MASK}` },
  { pattern: /(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g, replace: `$1${MASK}` },
  { pattern: /(aws_secret_access_key["']?[ \t]*[=:][ \t]*["']?)[A-Za-z0-9/+=]{16,}/gi, replace: `$1${MASK}` },
  // A bare AWS secret access key: exactly 40 base64 characters, not part of a longer token or blob.
  {
    pattern: /(?<![A-Za-z0-9/+_.-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-])/g,
    replace: (match: string) => (looksLikeAwsSecret(match) ? MASK : match),
  },
  { pattern: /(?<![A-Za-z0-9])([sr]k_(?:live|test)_)[A-Za-z0-9]{8,}/g, replace: `$1${MASK}` },
  { pattern: /(?<![A-Za-z0-9])whsec_[A-Za-z0-9+/=]{8,}/g, replace: `whsec_${MASK}` },
  { pattern: /(?<![A-Za-z0-9])(gh[oprsu]_)[A-Za-z0-9]{20,}/g, replace: `$1${MASK}` },
  { pattern: /(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{20,}/g, replace: `github_pat_${MASK}` },
  { pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, replace: MASK },
  // Other providers' keys, each by its prefix and body (one pass for all); the prefix is kept.
  {
    pattern: new RegExp(`(?<![A-Za-z0-9_.-])(?:${PROVIDER_KEYS.map(([p, body]) => p + body).join('|')})`, 'g'),
    replace: (match: string) => `${PROVIDER_PREFIX.exec(match)?.[0] ?? ''}${MASK}`,
  },
  { pattern: /(https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9/_-]+/g, replace: `$1${MASK}` },
  // A long option naming a secret, then its value after a blank: `--password hunter2`, `--token "abc"`. The name ends
  // with the secret's word (`--db-password`, `--access-token`), so that a flag (`--private`, `--no-password`) or a
  // count (`--token-limit 5`) keeps its next word; spelled out in the pattern, which then matches only there.
  {
    pattern:
      /(?<![A-Za-z0-9_-])(--(?!no-)(?:[A-Za-z0-9_.-]*[-_.])?(?:password|passwd|pass|pwd|passphrase|token|secret|api[-_]?key|access[-_]?key|secret[-_]?key|credentials?)[ \t]+)(?:"[^"\r\n]*"|'[^'\r\n]*'|[^\s"'-][^\s"']*)/gi,
    replace: `$1${MASK}`,
  },
  // curl's `-u user:password` / `--user user:password`.
  { pattern: /((?:^|[ \t])(?:-u|--user)[ \t=]+["']?[^\s:"']+:)[^\s"']+/gm, replace: `$1${MASK}` },
  {
    pattern: /(authorization["']?[ \t]*[:=][ \t]*["']?)(?:(Bearer|Basic|Token|Digest|Bot)[ \t]+)?[^\s"',]+/gi,
    replace: (_match: string, lead: string, scheme: string | undefined) =>
      `${lead}${scheme ? `${scheme} ` : ''}${MASK}`,
  },
  { pattern: /((?:x-)?api[-_]?key["']?[ \t]*:[ \t]*["']?)[^\s"',]+/gi, replace: `$1${MASK}` },
  { pattern: /\b(Bearer[ \t]+)[A-Za-z0-9._~+/=-]{8,}/g, replace: `$1${MASK}` },
];

function applyRules(text: string): string {
  let out = text;
  for (const rule of RULES) {
    // A string replacement keeps `$1`; a function gets the groups. Both keep the text when nothing matches.
    out =
      typeof rule.replace === 'string'
        ? out.replace(rule.pattern, rule.replace)
        : out.replace(rule.pattern, rule.replace as (substring: string, ...args: unknown[]) => string);
  }
  return out;
}

const PRIVATE_KEY_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const PRIVATE_KEY_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/;

/** A row of a secrets table with its value (and what follows it on the line) masked; see secrets-table.ts. */
function maskTableRow(line: string, columns: TableColumns): string {
  const start = valueStart(line, columns);
  if (start === null) return applyRules(line);
  const end = line.endsWith('\r') ? line.length - 1 : line.length;
  return `${applyRules(line.slice(0, start))}${MASK}${line.slice(end)}`;
}

export interface Redactor {
  /** Takes the next chunk; returns the redacted complete lines (ending in `\n`), or '' while a line is open. */
  push(chunk: string): string;
  /** Returns the redacted remainder (the last line, without a newline). Call once at the end. */
  flush(): string;
}

export interface RedactorOptions {
  /**
   * A line longer than this is cut (at the last blank if there is one in its second half) so memory stays bounded.
   * A secret found by a pattern that straddles such a cut may be only partly masked; a known value never is.
   * Default 64 KiB.
   */
  maxLineChars?: number;
  /** Values the caller knows are secret, masked wherever they appear (see `knownValues`). */
  known?: readonly KnownSecret[];
}

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

interface KnownValues {
  /** The values masked wherever they appear; null when none is long enough. */
  pattern: RegExp | null;
  /**
   * The values (and their base64 forms) long enough to be masked when wrapped across lines: a terminal's width,
   * `fold`, `base64`'s 76 columns, a wrapped table cell (see maskWrapped).
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
  return `${v}(?<=(?<![A-Za-z0-9_.-])["']?${escapeRegExp(name)}["']?${blanks}[=:]${blanks}["']?${v})`;
}

/** The shortest value looked for wrapped across lines (a shorter one could be ordinary text split by chance). */
const WRAP_MIN_VALUE = 12;
/** The shortest start of a value at a line's end that begins a wrap. */
const WRAP_MIN_HEAD = 3;
/** The most lines a wrapped value is looked for across (a 2,000-character value at 40 columns). */
const WRAP_MAX_LINES = 64;
/** The shortest base64 run of a value masked: shorter ones match by chance in other base64. */
const BASE64_MIN_CHARS = 8;

/** A value looked for wrapped across lines, with where each of its characters is in it (to find a wrap's start). */
interface WrapValue {
  value: string;
  at: ReadonlyMap<string, readonly number[]>;
}

function wrapValue(value: string): WrapValue {
  const at = new Map<string, number[]>();
  for (let p = 0; p < value.length; p++) at.set(value[p]!, [...(at.get(value[p]!) ?? []), p]);
  return { value, at };
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
  v: string,
): [number, number, number][] | 'open' | null {
  const spans: [number, number, number][] = [];
  const first = lines[i]!;
  let pos = k;
  for (let j = i + 1; j < lines.length; j++) {
    const line = lines[j]!;
    // Where the line's text starts: after its indent, or after the prefix it shares with the first line and an indent.
    let shared = 0;
    while (shared < from && shared < line.length && line[shared] === first[shared]) shared++;
    const starts = [...new Set([indentOf(line, 0), indentOf(line, shared)])];
    const rest = v.slice(pos);
    const whole = starts.find((start) => line.startsWith(rest, start));
    if (whole !== undefined) {
      spans.push([j, whole, whole + rest.length]);
      return spans;
    }
    let piece: [number, number] | undefined;
    for (const start of starts) {
      const end = textEnds(line).find((e) => e > start && rest.startsWith(line.slice(start, e)));
      if (end !== undefined) piece = [start, end];
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
function openWrapFrom(lines: readonly string[], values: readonly WrapValue[]): number {
  for (let i = Math.max(0, lines.length - WRAP_MAX_LINES); i < lines.length; i++) {
    for (const w of values) {
      const head = headAt(lines[i]!, w);
      if (head && wrappedFrom(lines, i, head.from, head.k, w.value) === 'open') return i;
    }
  }
  return -1;
}

/** Where a line's text starts from `at` on, past blanks. */
function indentOf(line: string, at: number): number {
  let start = at;
  while (start < line.length && (line[start] === ' ' || line[start] === '\t')) start++;
  return start;
}

/** The length of the longest start of a value that ends `line` (at least WRAP_MIN_HEAD), with where it begins. */
function headAt(line: string, w: WrapValue): { from: number; k: number; end: number } | null {
  for (const end of textEnds(line)) {
    const ats = w.at.get(line[end - 1] ?? '') ?? [];
    // The longest first: a value whose start repeats a character is matched as far as it goes.
    for (let n = ats.length - 1; n >= 0; n--) {
      const k = ats[n]! + 1;
      if (k < WRAP_MIN_HEAD || k >= w.value.length || k > end) continue;
      if (line.startsWith(w.value.slice(0, k), end - k)) return { from: end - k, k, end };
    }
  }
  return null;
}

/**
 * Values wrapped across lines, masked: a start of one ending a line (at least WRAP_MIN_HEAD characters), the rest
 * starting the next (after its indent, or the prefix the first line has too), and any line between them that is
 * wholly a piece of it. Only the whole value is masked, never a line's end that merely looks like a value's start (a
 * line ending `password` with a secret starting so). String searches by a value's characters, no pattern: a pattern
 * of every split of every value was too slow for 50 MB of output.
 */
function maskWrapped(text: string, values: readonly WrapValue[]): string {
  const lines = text.split('\n');
  const spans = new Map<number, [number, number][]>();
  for (let i = 0; i < lines.length - 1; i++) {
    for (const w of values) {
      const head = headAt(lines[i]!, w);
      if (!head) continue;
      const rest = wrappedFrom(lines, i, head.from, head.k, w.value);
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
  return lines.join('\n');
}

/**
 * A value as programs print it: as it is, URL-encoded (a connection string), in a JSON string (`\\` and `\"` escaped,
 * and, as Python's json.dumps writes it, every character past ASCII as `\\uXXXX`), and in both Unicode normal forms.
 */
function textForms(value: string): Set<string> {
  const json = JSON.stringify(value).slice(1, -1);
  const ascii = json.replace(/[^ -~]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return new Set([value, encodeURIComponent(value), json, ascii, value.normalize('NFC'), value.normalize('NFD')]);
}

/**
 * A value as base64 (standard and URL-safe) wherever it starts in the encoded bytes (`user:token` in a Basic header,
 * a Kubernetes secret's data): for each of the three byte offsets, the characters that depend on the value's bytes
 * alone, without padding.
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    // The first characters carry bits of the bytes before; the last, unless it ends a group, of the bytes after.
    const from = Math.ceil((shift * 8) / 6);
    const to = (shift + bytes.length) % 3 === 0 ? encoded.length : encoded.length - 1;
    const stable = encoded.slice(from, to);
    if (stable.length < BASE64_MIN_CHARS) continue;
    out.push(stable, stable.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/**
 * The patterns for values the bot knows are secret (what it passed in a command's environment, its own tokens).
 * Each line of a value is a piece of its own, so masking still works line by line, and a value's URL-encoded form
 * (as it appears in a connection string) is masked too. Longest first, so a value containing another goes whole.
 * A value under MIN_KNOWN_VALUE_CHARS, given with its variable's name, goes in the named pattern instead.
 */
function knownValues(values: readonly KnownSecret[]): KnownValues | null {
  const pieces = new Set<string>();
  const named = new Set<string>();
  const wrapped = new Set<string>();
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
      for (const form of textForms(piece)) pieces.add(form);
      for (const form of base64Forms(piece)) {
        pieces.add(form);
        if (form.length >= WRAP_MIN_VALUE) wrapped.add(form);
      }
      if (piece.length >= WRAP_MIN_VALUE) wrapped.add(piece);
    }
  }
  if (pieces.size === 0 && named.size === 0) return null;
  const sorted = [...pieces].sort((a, b) => b.length - a.length);
  return {
    pattern: sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : null,
    wrapped: [...wrapped].map(wrapValue),
    // Case aside (`atom_region: iad`), and the end of a value is a quote, a blank or a separator, or the line's end.
    named: named.size ? new RegExp(`(?:${[...named].join('|')})(?=["']?(?:[\\s&,;)}\\]]|$))`, 'gim') : null,
    longest: Math.max(sorted[0]?.length ?? 0, longestNamed),
  };
}

/**
 * Redacts a stream line by line: a secret split across two chunks is masked because nothing is released until its
 * line is complete. Feed it decoded text (use a StringDecoder so a UTF-8 character is never split).
 *
 * Two things span lines, so the redactor keeps state between chunks for them: a PEM private key (the lines between
 * BEGIN and END), and a secrets table (after a `NAME  DIGEST  VALUE` header, the value column of every row, up to
 * the next blank line).
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  return makeRedactor(options.maxLineChars ?? 64 * 1024, knownValues(options.known ?? []));
}

function makeRedactor(maxLineChars: number, known: KnownValues | null): Redactor {
  // Known values go first, before a rule can mask part of one and leave the rest unrecognizable.
  const maskKnown = (text: string): string => {
    if (!known) return text;
    const bare = known.pattern ? text.replace(known.pattern, MASK) : text;
    const unwrapped = known.wrapped.length ? maskWrapped(bare, known.wrapped) : bare;
    return known.named ? unwrapped.replace(known.named, MASK) : unwrapped;
  };
  let pending = '';
  let inPrivateKey = false;
  let privateKeyMasked = false;
  let table: TableColumns | null = null;

  /** The line redacted, or null for a line of a PEM body past its first (the body shows as one `***` line). */
  const redactLine = (line: string): string | null => {
    if (inPrivateKey) {
      const end = line.match(PRIVATE_KEY_END);
      if (end) {
        inPrivateKey = false;
        return end[0] + applyRules(line.slice((end.index ?? 0) + end[0].length));
      }
      if (privateKeyMasked) return null;
      privateKeyMasked = true;
      return MASK;
    }
    const begin = PRIVATE_KEY_END.test(line) ? null : line.match(PRIVATE_KEY_BEGIN);
    if (begin) {
      // Whatever follows the BEGIN marker on its line is key material.
      inPrivateKey = true;
      privateKeyMasked = false;
      return applyRules(line.slice(0, begin.index)) + begin[0];
    }
    if (table) {
      if (line.trim() === '') {
        table = null;
        return line;
      }
      return maskTableRow(line, table);
    }
    table = tableHeader(line);
    return applyRules(line);
  };

  const redactBlock = (text: string): string => {
    const block = maskKnown(text);
    if (!inPrivateKey && table === null && !block.includes('PRIVATE KEY-----') && !holdsTableHeader(block)) {
      return applyRules(block);
    }
    // Slow path, only around PEM blocks and secrets tables: walk the lines and keep state across calls.
    const lines = block.split('\n');
    const out: string[] = [];
    for (const [index, line] of lines.entries()) {
      const isLast = index === lines.length - 1;
      if (isLast && line === '') {
        out.push('');
        continue;
      }
      const redacted = redactLine(line);
      if (redacted !== null) out.push(redacted);
    }
    return out.join('\n');
  };

  return {
    push(chunk) {
      pending += chunk;
      const cut = pending.lastIndexOf('\n');
      if (cut !== -1) {
        let complete = pending.slice(0, cut + 1);
        pending = pending.slice(cut + 1);
        // Lines where a wrapped value starts whose rest has not come yet wait for the next output, which may carry it.
        // Never while the line still coming is overlong: memory stays bounded (it is cut below, as any).
        if (known?.wrapped.length && pending.length <= maxLineChars) {
          const lines = complete.slice(0, -1).split('\n');
          const hold = openWrapFrom(lines, known.wrapped);
          if (hold >= 0) {
            pending = `${lines.slice(hold).join('\n')}\n${pending}`;
            complete = lines.slice(0, hold).reduce((text, line) => `${text}${line}\n`, '');
            if (complete === '') return '';
          }
        }
        return redactBlock(complete);
      }
      if (pending.length <= maxLineChars) return '';
      // Mask the known values now, and keep back enough that one still arriving is not cut in two.
      pending = maskKnown(pending);
      const blank = Math.max(pending.lastIndexOf(' '), pending.lastIndexOf('\t'));
      const hold = (known?.longest ?? 1) - 1;
      const at = Math.max(
        1,
        blank >= maxLineChars / 2
          ? Math.min(blank + 1, pending.length - hold)
          : pending.length - Math.max(Math.min(512, Math.floor(maxLineChars / 2)), hold),
      );
      const head = pending.slice(0, at);
      pending = pending.slice(at);
      return redactBlock(head);
    },
    flush() {
      const rest = pending;
      pending = '';
      return rest === '' ? '' : redactBlock(rest);
    },
  };
}

/** Masks every secret in `text`. Same rules as the streaming redactor. */
export function redact(text: string): string {
  const redactor = createRedactor({ maxLineChars: Number.POSITIVE_INFINITY });
  return redactor.push(text) + redactor.flush();
}

/** `redact` that also masks the `known` values; the pattern is built once, for many texts (`argv.map(...)`). */
export function redactWith(known: readonly KnownSecret[]): (text: string) => string {
  const values = knownValues(known);
  return (text) => {
    const redactor = makeRedactor(Number.POSITIVE_INFINITY, values);
    return redactor.push(text) + redactor.flush();
  };
}
