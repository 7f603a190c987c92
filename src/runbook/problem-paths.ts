import { type Place, pathSegments } from './yaml-places.js';

/**
 * A problem's path as a person editing the file reads it. The checks write `alerts.2.level`: zod's path, counting list
 * entries from 0. A person counts from 1 and finds a row by its name, so an entry of a list is said as its noun, its
 * number from 1 and, where it has one, its name: `alerts row 3 ("HighErrorRate"), level`. Mapping keys stay as
 * written (`severities.SEV-1.respond_within`): they are the words in the file.
 */

/** What an entry of a list is called, by the key of the list; any other list's entries are items. */
const NOUNS: Readonly<Record<string, string>> = {
  alerts: 'row',
  detection: 'step',
  mitigation: 'step',
  resolution: 'step',
  before: 'step',
  during: 'step',
  after: 'step',
  tasks: 'step',
  run: 'argument',
};

/**
 * Lists whose entries are named by their number alone, never quoted: a command's arguments, where a value meant to be
 * typed when the step runs (a password, a URL with one) may have been written by mistake, and start-up output is logged.
 */
const UNQUOTED = new Set(['run']);

/** The keys that name a list entry that is a mapping, the first one it has: a row's name, a step's text. */
const NAMING_KEYS = ['name', 'text', 'title'] as const;

const LABEL_MAX = 40;

/**
 * What a printed line must not hold as it is: control characters (but the tab and line breaks a message is laid out
 * with), bidi controls and other invisible format characters (U+202E turns the rest of a log line around), line and
 * paragraph separators. The zero-width joiner is left: it joins emoji (👩‍💻), and shows nothing of its own.
 */
const UNPRINTABLE = /(?![\t\n\u200D])[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/** Text for a log line: each character UNPRINTABLE names shown as its escape (`\u202e`), the rest as written. */
export function visibleText(s: string): string {
  return s.replace(UNPRINTABLE, (c) => {
    const hex = c.codePointAt(0)!.toString(16);
    return hex.length > 4 ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
  });
}

const quoted = (s: string) =>
  visibleText(JSON.stringify([...s].length > LABEL_MAX ? `${[...s].slice(0, LABEL_MAX).join('')}…` : s));

/** How an entry names itself: a mapping by its name (or text, title), a plain value by itself; else nothing. */
function labelOf(entry: unknown): { label: string; plain: boolean } | null {
  if (typeof entry === 'string' && entry.trim()) return { label: quoted(entry.trim()), plain: true };
  if (typeof entry === 'number') return { label: String(entry), plain: true };
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return null;
  for (const key of NAMING_KEYS) {
    const v = (entry as Record<string, unknown>)[key];
    if (typeof v === 'string' && v.trim()) return { label: quoted(v.trim()), plain: false };
  }
  return null;
}

/**
 * `alerts.2.level` -> `alerts row 3 ("HighErrorRate"), level`, read against the data the path is in (only a segment
 * that indexes a list in the data is a list entry: a playbook or window key of digits stays a key). A plain entry (a
 * role in `order`, a contact) is named by its value unless `said` already quotes it.
 */
export function shownPath(path: string, data: unknown, said = ''): string {
  const parts: string[] = [];
  let current = '';
  let node: unknown = data;
  let listKey = '';
  for (const segment of pathSegments(path)) {
    if (Array.isArray(node) && /^\d+$/.test(segment)) {
      const entry: unknown = node[Number(segment)];
      const named = UNQUOTED.has(listKey) ? null : labelOf(entry);
      const label = named && !(named.plain && said.includes(named.label)) ? ` (${named.label})` : '';
      current += ` ${NOUNS[listKey] ?? 'item'} ${Number(segment) + 1}${label}`;
      parts.push(current);
      current = '';
      node = entry;
      continue;
    }
    current = current ? `${current}.${segment}` : segment;
    listKey = segment;
    node =
      node && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined;
  }
  if (current) parts.push(current);
  return parts.join(', ');
}

/**
 * A problem as the start prints it: `path: message` with its path as shownPath says it and its line after it
 * (`alerts row 3 ("HighErrorRate"), level (line 1031): …`, or `near line 12` when the entry is missing and the line is
 * that of the one that should hold it). A problem without a path is returned as it is.
 */
export function shownProblem(problem: string, data: unknown, locate?: (path: string[]) => Place | null): string {
  const m = /^([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*): /.exec(problem);
  if (!m?.[1]) return problem;
  const rest = problem.slice(m[1].length);
  const place = locate?.(pathSegments(m[1]));
  const line = place ? ` (${place.exact ? '' : 'near '}line ${place.line})` : '';
  return `${shownPath(m[1], data, rest)}${line}${rest}`;
}
