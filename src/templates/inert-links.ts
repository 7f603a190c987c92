/**
 * Links in what people wrote, for a Markdown document: an http(s) or mailto link stays a link; any other (a
 * `javascript:`, `data:` or `vbscript:` URL, a relative one) is shown as the text it is, inert; an image is a link.
 */

/** Where a link may go: what a reader's click should open. */
const SAFE_DESTINATION = /^(?:https?:\/\/|mailto:)/i;

/** A scheme that runs or embeds something, written bare: a renderer that links bare URLs must not link it. */
const LIVE_SCHEME = /(?<![A-Za-z0-9+.-])(javascript|vbscript|data)(?=:)/gi;

/** CommonMark's backslash escape: a backslash before ASCII punctuation stands for that character. */
const ESCAPED = /\\([!-/:-@[-`{-~])/g;

/** How many backslashes end `text` before `at`. */
function backslashesBefore(text: string, at: number): number {
  let n = 0;
  while (at - n - 1 >= 0 && text.charAt(at - n - 1) === '\\') n += 1;
  return n;
}

/**
 * Markdown text (one line, or more) with every link whose destination is not http(s) or mailto made plain text: the
 * `]` that closes its text before `(` (an inline link or image) or `:` (a reference definition) is escaped, so no link
 * is made, and the text reads as typed. A destination is read as CommonMark reads it (after blanks, backslash escapes
 * undone); one on the next line counts as none (not safe). A bare `javascript:`, `vbscript:` or `data:` has its colon
 * escaped, which a renderer shows as typed but links nowhere. Entities are not decoded: the text is expected to have
 * its `&` escaped already (see noHtml), so no entity of theirs spells a scheme. Pure.
 */
export function inertLinks(text: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(']', 0); at !== -1; at = text.indexOf(']', at + 1)) {
    const next = text.charAt(at + 1);
    if (next !== '(' && next !== ':') continue;
    if (backslashesBefore(text, at) % 2 === 1) continue;
    const destination = /^[ \t]*(\S*)/.exec(text.slice(at + 2))?.[1] ?? '';
    if (SAFE_DESTINATION.test(destination.replace(ESCAPED, '$1'))) continue;
    out += `${text.slice(from, at)}\\`;
    from = at;
  }
  return inertImages((out + text.slice(from)).replace(LIVE_SCHEME, '$1\\'));
}

/**
 * Every image (`![alt](url)`, `![alt][ref]`) made a link: its `!` escaped, so a reader shows it as typed and fetches
 * nothing as the document opens (a remote image in an alert's summary or a status update is a tracking pixel, seen
 * by whoever reads the post-mortem). The link it holds stays a link, as any other (inertLinks). Pure.
 */
function inertImages(text: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf('![', 0); at !== -1; at = text.indexOf('![', at + 2)) {
    if (backslashesBefore(text, at) % 2 === 1) continue;
    out += `${text.slice(from, at)}\\`;
    from = at;
  }
  return out + text.slice(from);
}
