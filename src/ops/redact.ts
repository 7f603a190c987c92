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

import {
  type KnownSecret,
  type KnownValues,
  knownValues,
  MASK,
  maskKnown,
  openDumpFrom,
  openWrapFrom,
  typedCredential,
} from './known-values.js';
import { holdsTableHeader, type TableColumns, tableHeader, valueStart } from './secrets-table.js';

export { type KnownSecret, MASK, MIN_KNOWN_VALUE_CHARS, namedSecrets } from './known-values.js';

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

/**
 * Credentials told apart by their shape alone: a provider's prefix and body (OpenAI and Anthropic `sk-…`, Slack
 * `xoxb-…`, AWS `AKIA…`, Stripe `sk_live_…`, GitHub `ghp_…`, the providers of PROVIDER_KEYS), a JWT, a Slack
 * webhook's path. No word of a sentence has such a shape: what a person types is masked by them too (typedTextMask).
 * In RULES' order: the first four come before the AWS secret's rules, the others after them.
 */
const PREFIXED_KEYS: readonly Rule[] = [
  { pattern: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{8,}/g, replace: `sk-ant-${MASK}` },
  { pattern: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{16,}/g, replace: `sk-${MASK}` },
  { pattern: /(?<![A-Za-z0-9])(xox[abeoprs]|xapp)-[A-Za-z0-9-]{4,}/g, replace: `$1-${MASK}` },
  { pattern: /(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g, replace: `$1${MASK}` },
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
];

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
  ...PREFIXED_KEYS.slice(0, 4),
  { pattern: /(aws_secret_access_key["']?[ \t]*[=:][ \t]*["']?)[A-Za-z0-9/+=]{16,}/gi, replace: `$1${MASK}` },
  // A bare AWS secret access key: exactly 40 base64 characters, not part of a longer token or blob.
  {
    pattern: /(?<![A-Za-z0-9/+_.-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-])/g,
    replace: (match: string) => (looksLikeAwsSecret(match) ? MASK : match),
  },
  ...PREFIXED_KEYS.slice(4),
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

function applyRules(text: string, rules: readonly Rule[] = RULES): string {
  let out = text;
  for (const rule of rules) {
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
  /** True while complete lines are held back for the start of a known value at their end (see `release`). */
  holding(): boolean;
  /**
   * Returns the held lines, redacted as they are, without waiting for the rest of the value (the caller's time limit
   * on a hold: a command that hangs after them would otherwise never show them). The value's start they end with is
   * masked when it is 6 characters or more and not ordinary words (see maskWrapped); its rest is masked when it comes, on
   * however many lines, a line that goes on with it held back in turn.
   */
  release(): string;
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
  // `atEnd`: the text ends the output, so a value's start ending it will not be followed by its rest.
  const maskKnownValues = (text: string, before?: string, atEnd = false): string =>
    known ? maskKnown(text, known, before, atEnd) : text;
  // The last line released, kept for the start of a value wrapped too early in it to be held back (see maskKnown); the
  // lines from a wrap's start when they were released without waiting for its rest (see releaseComplete).
  let released: string | undefined;
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

  const redactBlock = (text: string, before?: string, atEnd = false): string => {
    const block = maskKnownValues(text, before, atEnd);
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

  /**
   * The complete lines pending, redacted and released; the line still coming stays. What is kept of them for the next
   * output (`released`): the last line, or with `open` (released without waiting, see `release`) the lines from the
   * start of a value (wrapped, or in a hex dump) whose rest has not come, so that its rest is masked when it comes.
   */
  const releaseComplete = (complete: string, open = false): string => {
    const out = redactBlock(complete, released);
    const lines = complete.slice(0, -1).split('\n');
    const context = released === undefined ? lines : [...released.split('\n'), ...lines];
    const from = open ? openFrom(context) : -1;
    released = from >= 0 ? context.slice(from).join('\n') : lines[lines.length - 1];
    return out;
  };

  /** The first of the last `lines` where a known value starts whose rest has not come (wrapped, or in a hex dump). */
  const openFrom = (lines: readonly string[]): number => {
    if (!known) return -1;
    const [wrap, dump] = [openWrapFrom(lines, known.wrapped), openDumpFrom(lines, known.dumped)];
    return wrap < 0 || dump < 0 ? Math.max(wrap, dump) : Math.min(wrap, dump);
  };

  return {
    push(chunk) {
      pending += chunk;
      const cut = pending.lastIndexOf('\n');
      if (cut !== -1) {
        let complete = pending.slice(0, cut + 1);
        pending = pending.slice(cut + 1);
        // Lines where a wrapped value (or one in a hex dump) starts whose rest has not come yet wait for the next
        // output, which may carry it.
        // Never while the line still coming is overlong: memory stays bounded (it is cut below, as any).
        if (known && (known.wrapped.length || known.dumped.length) && pending.length <= maxLineChars) {
          const lines = complete.slice(0, -1).split('\n');
          // A value may have started in lines released without waiting for its rest (see `release`): these lines, if
          // they go on with it, wait for its rest too.
          const before = released?.split('\n').length ?? 0;
          const open = openFrom(before ? [...released!.split('\n'), ...lines] : lines);
          if (open >= 0) {
            const hold = Math.max(0, open - before);
            pending = `${lines.slice(hold).join('\n')}\n${pending}`;
            complete = lines.slice(0, hold).reduce((text, line) => `${text}${line}\n`, '');
            if (complete === '') return '';
          }
        }
        return releaseComplete(complete);
      }
      if (pending.length <= maxLineChars) return '';
      // Mask the known values now, and keep back enough that one still arriving is not cut in two.
      pending = maskKnownValues(pending, released);
      released = undefined;
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
      return rest === '' ? '' : redactBlock(rest, released, true);
    },
    holding() {
      return pending.includes('\n');
    },
    release() {
      const cut = pending.lastIndexOf('\n');
      if (cut === -1) return '';
      const complete = pending.slice(0, cut + 1);
      pending = pending.slice(cut + 1);
      return releaseComplete(complete, true);
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

/**
 * Masks the `known` values alone, as command output masks them (every form, wrapped, a short one after its name), not
 * the secret patterns: for what a person types that is posted and stored (a status update, a resolution summary, a
 * post-mortem, a title), where a pattern would cut what they write about a `password=` flag or a URL. A value that reads
 * as a name rather than a credential (a host, a region, `production`; see typedCredential) is masked only after its own
 * variable's name: "eu-west-1 is down" is what a person means to post. Built once, for many texts.
 */
export function knownValuesMask(known: readonly KnownSecret[]): (text: string) => string {
  const values = knownValues(known, { namedOnly: (value) => !typedCredential(value) });
  return (text) => (values ? maskKnown(text, values, undefined, true) : text);
}

/** A private key pasted whole, on however many lines: its body masked (typed text is masked whole, not by lines). */
const PRIVATE_KEY_BLOCK = /(-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----)[\s\S]*?(-----END \2PRIVATE KEY-----)/g;

/**
 * What a person types that is posted and stored (a title, a status update, a resolution summary, a post-mortem, an
 * action item, a note): the known values masked (knownValuesMask), and the credentials told apart by their shape alone
 * (PREFIXED_KEYS: `sk_live_…`, `ghp_…`, `xoxb-…`, `AKIA…`, a JWT …; a private key's body), which nobody means to post
 * and no sentence holds. "api key sk_live_… leaked" would otherwise name the key in a channel's name, which Slack keeps.
 * Not the other patterns of command output (see knownValuesMask). Built once, for many texts.
 */
export function typedTextMask(known: readonly KnownSecret[]): (text: string) => string {
  const maskValues = knownValuesMask(known);
  // The same texts are masked again and again as incidents are read and shown (a title, on every card and Home
  // tab): each is masked once, while the last TYPED_MASKS_KEPT stay kept.
  const masked = new Map<string, string>();
  return (text) => {
    const kept = masked.get(text);
    if (kept !== undefined) return kept;
    const out = applyRules(maskValues(text).replace(PRIVATE_KEY_BLOCK, `$1${MASK}$3`), PREFIXED_KEYS);
    if (masked.size >= TYPED_MASKS_KEPT) masked.clear();
    if (text.length <= TYPED_MASK_KEPT_CHARS) masked.set(text, out);
    return out;
  };
}

/** How many masked texts typedTextMask keeps, and the longest it keeps (a title is 150, a status field up to 2900). */
const TYPED_MASKS_KEPT = 1000;
const TYPED_MASK_KEPT_CHARS = 3000;
