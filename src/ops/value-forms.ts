/**
 * The forms in which programs print a known value (see known-values.ts, which masks them): escaped for JSON, a shell,
 * a URL, HTML or a Python repr, in either Unicode normal form, and in base64.
 */

/**
 * The shortest base64 run of a value masked: shorter ones match by chance in other base64. Seven is what a 6-character
 * value leaves at byte offset 1 or 2 (its first and last characters carry bits of the bytes around it); 42 bits of a
 * random value, as unlikely to show by chance in other output as the 48 of eight.
 */
const BASE64_MIN_CHARS = 7;

const hex = (code: number, width: number): string => code.toString(16).padStart(width, '0');
const u4 = (c: string): string => `\\u${hex(c.charCodeAt(0), 4)}`;

/** What bash's `printf %q` puts a backslash before (its sh_backslash_quote); `~` and `#` only starting the word. */
const SHELL_SPECIAL = /[ \t'"\\|&;()<>!{}*[\]?^$`,]/g;

/** As bash's `printf %q` prints a word (`correct\ horse`, `a\&b`). */
function shellQuoted(value: string): string {
  const quoted = value.replace(SHELL_SPECIAL, '\\$&');
  return /^[~#]/.test(quoted) ? `\\${quoted}` : quoted;
}

/** Percent-encoded as Python's quote(value, safe='') does: all but `A-Z a-z 0-9 - _ . ~` (`!` as `%21` too). */
function percentStrict(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${hex(c.charCodeAt(0), 2).toUpperCase()}`);
}

/** HTML-escaped (`&amp;`, `&lt;`, `&gt;`), with the quotes as given. */
function htmlEscaped(value: string, quot: string, apos: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, quot)
    .replace(/'/g, apos);
}

/** As Python's ascii() (and Python 2's repr) prints a string: `\xe9` for Latin-1, `\uXXXX` and `\UXXXXXXXX` past it. */
function pythonAscii(value: string): string {
  let out = '';
  for (const c of value) {
    const code = c.codePointAt(0)!;
    if (c === '\\') out += '\\\\';
    else if (code >= 0x20 && code < 0x7f) out += c;
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`;
    else out += code <= 0xffff ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
  }
  return out;
}

/** As Python prints the value's UTF-8 bytes (`b'cl\xc3\xa9'`): `\xNN` for each byte past printable ASCII. */
function pythonBytes(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte === 0x5c) out += '\\\\';
    else out += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${hex(byte, 2)}`;
  }
  return out;
}

/**
 * Text as a Markdown document writes it to carry no raw HTML (the post-mortem's): `<` as its entity (no tag, comment or
 * autolink starts without it), and `&` only where it would start an entity (`&lt;` typed stays as typed). `>` alone
 * starts no HTML, and stays readable (`p99 > 2s`). Here because known-value masking must find a value in this form.
 */
export const markdownText = (v: string) =>
  v.replace(/&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)/g, '&amp;').replace(/</g, '&lt;');

/**
 * A value as programs print it, in both Unicode normal forms: as it is; in a JSON string (`\\` and `\"` escaped; every
 * character past ASCII as `\uXXXX`, as Python's json.dumps writes it; `&`, `<`, `>` as `\u0026`, `\u003c`, `\u003e`,
 * as Go's encoding/json; `/` as `\/`, as PHP's); URL-encoded (encodeURIComponent, Python's quote with `/` kept or not,
 * and with `+` for a blank; with its hex in lower case too); as bash's `printf %q`; HTML-escaped; as Python's ascii()
 * and a repr of its UTF-8 bytes; as a Markdown document writes text, in prose and in a table cell; and each escaped form JSON-escaped once more (a JSON string inside a JSON string).
 * A Set: a form the same as the value (or as another form) is there once.
 */
export function textForms(value: string): Set<string> {
  const forms = new Set<string>();
  for (const v of new Set([value, value.normalize('NFC'), value.normalize('NFD')])) {
    const json = JSON.stringify(v).slice(1, -1);
    const ascii = json.replace(/[^ -~]/g, u4);
    const strict = percentStrict(v);
    forms
      .add(v)
      .add(json)
      .add(ascii)
      .add(json.replace(/[&<>]/g, u4))
      .add(json.replace(/\//g, '\\/'))
      .add(ascii.replace(/\//g, '\\/'))
      .add(encodeURIComponent(v))
      .add(encodeURIComponent(v).replace(/%20/g, '+'))
      .add(strict)
      .add(strict.replace(/%2F/g, '/'))
      .add(strict.replace(/%20/g, '+'))
      .add(shellQuoted(v))
      .add(htmlEscaped(v, '&quot;', '&#39;'))
      .add(htmlEscaped(v, '&#34;', '&#39;'))
      .add(htmlEscaped(v, '&quot;', '&#x27;'))
      // As a Markdown document writes people's text (the post-mortem's; see markdownText), quotes as they are; in a
      // table cell, `\` doubled and `|` escaped too.
      .add(markdownText(v))
      .add(markdownText(v).replace(/\\/g, '\\\\').replace(/\|/g, '\\|'))
      // As documents written before it were (`&`, `<` and `>` all as entities), in prose and in a table cell.
      .add(htmlEscaped(v, '"', "'"))
      .add(htmlEscaped(v, '"', "'").replace(/\\/g, '\\\\').replace(/\|/g, '\\|'))
      .add(pythonAscii(v))
      .add(pythonBytes(v));
  }
  for (const form of [...forms]) {
    // A JSON string inside another JSON string (a log line's `msg` holding a serialized body): escaped twice over.
    if (/[\\"]/.test(form)) forms.add(JSON.stringify(form).slice(1, -1));
    // Percent-encoding in lower-case hex (`%2f`), as some encoders write it.
    if (/%[0-9A-F]{2}/.test(form)) forms.add(form.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
  }
  return forms;
}

/**
 * A value as base64 (standard and URL-safe) wherever it starts in the encoded bytes (`user:token` in a Basic header,
 * a Kubernetes secret's data): for each of the three byte offsets, the characters that depend on the value's bytes
 * alone, without padding.
 */
const urlSafe = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_');

export function base64Forms(value: string): string[] {
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
    out.push(stable, urlSafe(stable));
    // The value ending the encoded bytes (alone, or last): its last character and the padding are its own too, and
    // masking only the stable part showed them (`***E=`).
    if (to < encoded.length) {
      const end = encoded.slice(from);
      const padding = '='.repeat(3 - ((shift + bytes.length) % 3));
      out.push(`${end}${padding}`, end, urlSafe(end));
    }
  }
  return out;
}
