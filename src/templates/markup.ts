/** Escaping for HTML and XML (the status page and its feed). Every piece of text that is not markup goes through it. */

/** Characters XML 1.0 does not allow at all (control characters but tab and line breaks, lone surrogates, U+FFFE/F). */
const NOT_XML =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what XML forbids.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text (or an attribute value) for HTML or XML: `& < > " '` as entities, characters XML forbids dropped. */
export function escapeMarkup(s: string): string {
  return s
    .replace(NOT_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A template literal tag that escapes every interpolated value unless it is `Markup` already. */
export class Markup {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

type Part = string | number | Markup | null | undefined | false | readonly Part[];

const piece = (v: Part): string => {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Markup) return v.html;
  if (Array.isArray(v)) return v.map(piece).join('');
  return escapeMarkup(String(v));
};

/** `html\`<p>${text}</p>\``: the text escaped, nested `html` (or arrays of it) kept as markup. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Markup {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += piece(v) + (strings[i + 1] ?? '');
  });
  return new Markup(out);
}
