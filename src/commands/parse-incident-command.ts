import { parseSeverityToken, SEVERITIES, type Severity, type SeverityNames } from '../incidents/severity.js';
import { slips } from '../incidents/slips.js';
import { cleanText, cleanTitle, dropBidiSpans, isBlank, unescapeSlackText } from '../incidents/text.js';
import { INCIDENT_STATUSES, type IncidentStatus } from '../incidents/types.js';
import type { StatusUpdatePrefill } from '../templates/modals.js';
import { type IncidentCommand, SUBCOMMAND_ROWS, type SubcommandKind, type SubcommandSpec } from './subcommands.js';

export { type IncidentCommand, RESOLVE_SUMMARY_MAX, TITLE_MAX } from './subcommands.js';

/**
 * A command, or what is wrong with it; `kind` is the subcommand the mistake was made in, when it is known (its usage
 * line is then answer enough; text that names no subcommand is answered with what was meant and where the rest is).
 */
export type ParseResult = { ok: true; command: IncidentCommand } | { ok: false; error: string; kind?: SubcommandKind };

/** A result of the row `kind`: a mistake is marked as made in it. */
const inRow = (kind: SubcommandKind, r: ParseResult): ParseResult => (r.ok || r.kind ? r : { ...r, kind });

/** Every name and alias of the table, lower case, to its row. */
const BY_NAME = new Map(SUBCOMMAND_ROWS.flatMap(([kind, spec]) => spec.names.map((n) => [n, [kind, spec]] as const)));

/** The rows chosen by a leading severity: the one that takes a text (declare) and the one that does not. */
const BY_SEVERITY = {
  withText: SUBCOMMAND_ROWS.find(([, s]) => s.args === 'severity' && s.text)!,
  alone: SUBCOMMAND_ROWS.find(([, s]) => s.args === 'severity' && !s.text)!,
};

const NO_TITLE = 'Write a title after the severity, e.g. `/incident sev1 db down`.';
const NO_VISIBLE_TITLE =
  'The title shows nothing: it is only invisible characters. Write a title after the severity, e.g. `/incident sev1 db down`.';

/** The row's command with its text, or the error for a text it cannot take. */
function withText(kind: SubcommandKind, spec: SubcommandSpec, typed: string, rest: string, extra = {}): ParseResult {
  if (!spec.text) {
    if (rest && spec.args === 'none')
      return { ok: false, error: spec.afterIt?.(rest) ?? `\`/incident ${typed}\` takes nothing after it.` };
    return { ok: true, command: { kind, ...extra } as IncidentCommand };
  }
  // Flags come first (`--private db down`): each a boolean field, false when absent.
  const flags: Record<string, boolean> = Object.fromEntries((spec.flags ?? []).map((f) => [f, false]));
  let body = rest;
  for (;;) {
    const m = /^--([a-z-]+)(?:\s+|$)/i.exec(body);
    if (!m) break;
    const flag = m[1]!.toLowerCase();
    if (!(flag in flags)) {
      const known = (spec.flags ?? []).map((f) => `\`--${f}\``).join(', ');
      return {
        ok: false,
        error: `\`--${flag}\` is not a flag of \`/incident ${typed}\`${known ? `; it takes ${known}` : ''}.`,
      };
    }
    flags[flag] = true;
    body = body.slice(m[0].length);
  }
  // A known flag is read wherever it stands and however its dashes were typed: at the end (`db down --private`), or
  // with the dash a phone or a Mac makes of `--` (`—private`, `–private`), or one dash. Left in the title, a private
  // declaration was announced, title and all, in the incidents channel.
  for (const flag of Object.keys(flags)) {
    const anywhere = new RegExp(`(^|\\s)(?:--|[-\u2013\u2014\u2212]{1,2})${flag}(?=\\s|$)`, 'gi');
    if (!anywhere.test(body)) continue;
    flags[flag] = true;
    body = body.replace(anywhere, '$1');
  }
  extra = { ...extra, ...flags };
  // Bidi controls could make a title read as something else; a title that shows nothing is no title.
  // A separator typed after the severity (`SEV-1 - api slow`, `sev1: db down`) is not the title's first word.
  const text =
    spec.text.field === 'title'
      ? cleanTitle(body)
          .replace(/\s+/g, ' ')
          .trim()
          .replace(/^[-\u2013\u2014:|]+ /, '')
      : dropBidiSpans(body);
  if (spec.text.required !== undefined && isBlank(text)) {
    const invisible = text ? `The ${spec.text.field} shows nothing: it is only invisible characters. ` : '';
    return { ok: false, error: `${invisible}${spec.text.required}` };
  }
  // A declaration needs a title; the declare form takes none (it asks), but not one that shows nothing either.
  if (spec.text.field === 'title' && isBlank(text) && (text || spec.args === 'severity'))
    return { ok: false, error: text ? NO_VISIBLE_TITLE : NO_TITLE };
  const length = [...text].length;
  if (spec.text.max !== undefined && length > spec.text.max) {
    return { ok: false, error: spec.text.tooLong?.(length) ?? `Keep it to ${spec.text.max} characters.` };
  }
  return { ok: true, command: { kind, ...extra, [spec.text.field]: text || null } as IncidentCommand };
}

/**
 * The words of status pages' phases (Atlassian Statuspage, incident.io: Investigating, Identified, Monitoring,
 * Resolved) for the runbook's statuses: the cause found is still investigating, a fix being watched is mitigated.
 */
const STATUS_PAGE_WORDS: ReadonlyMap<string, IncidentStatus> = new Map([
  ['identified', 'investigating'],
  ['monitoring', 'mitigated'],
]);

/**
 * `/incident update [status] [text]` as the form's first answers: a first word naming a status (`mitigated`,
 * `investigating`, `resolved`, with or without a colon) chooses it, and the rest is the current status. A status
 * page's word for one (`identified`, `monitoring`) chooses that status and stays in the text: it says more.
 */
export function statusUpdatePrefill(text: string | null): StatusUpdatePrefill {
  // The status word read as a keyword is (NFKC: `ｍｉｔｉｇａｔｅｄ` typed full width is `mitigated`); the rest as typed.
  const lead = /^\s*\S+/.exec(text ?? '')?.[0] ?? '';
  const typed = `${lead.normalize('NFKC')}${(text ?? '').slice(lead.length)}`;
  const m = /^\s*([a-z]+):?(?:\s+|$)/i.exec(typed);
  const word = m?.[1]?.toLowerCase();
  const own = (INCIDENT_STATUSES as readonly string[]).includes(word ?? '') ? (word as IncidentStatus) : undefined;
  const status = own ?? (word ? STATUS_PAGE_WORDS.get(word) : undefined);
  const rest = (own ? typed.slice(m![0].length) : (text ?? '')).trim();
  return { ...(status ? { status } : {}), ...(rest ? { currentStatus: rest } : {}) };
}

/** The level the runbook calls `word` (`critical` for SEV-0), case aside; undefined when none is. */
const severityNamed = (word: string, names?: SeverityNames): Severity | undefined =>
  names ? SEVERITIES.find((s) => names[s].toLowerCase() === word.toLowerCase()) : undefined;

/** Whether `typed` is `word` with one slip of the fingers: a letter missing, added, wrong, or two swapped. */
function oneSlipFrom(typed: string, word: string): boolean {
  if (typed === word) return false;
  if (typed.length === word.length) {
    const diff = [...typed].flatMap((c, i) => (c === word[i] ? [] : [i]));
    if (diff.length === 1) return true;
    const [i, j] = diff;
    return diff.length === 2 && j === i! + 1 && typed[i!] === word[j] && typed[j] === word[i!];
  }
  const [short, long] = typed.length < word.length ? [typed, word] : [word, typed];
  if (long.length - short.length !== 1) return false;
  return [...long].some((_, i) => long.slice(0, i) + long.slice(i + 1) === short);
}

/** Words people reach for that are no subcommand, with what does what they mean. */
const WORDS_MEANT: Readonly<Record<string, (rest: string) => string>> = Object.fromEntries(
  ['invite', 'add', 'call', 'ping', 'summon', 'notify'].map((w) => [
    w,
    (rest: string) =>
      `To bring someone in, page them: \`/incident page ${rest || '@alice'}\` (a page with Acknowledge, and they are added to the channel), or add them without a page with Slack's own \`/invite ${rest || '@alice'}\`.`,
  ]),
);

/** The most subcommands a mistake suggests: a short answer, `/incident help` has the rest. */
const NEAREST_MAX = 3;

/**
 * The subcommands a word is near, closest first, at most NEAREST_MAX, each by its name nearest the word: one slip of
 * the fingers (`ackk`, `resolev`; `resolvd` is a slip from both `resolve` and `resolved`, one subcommand), two in a
 * longer word (`escalte`, `playbok`), or the start of a name (`time`, `esc`). Empty when none is.
 */
function subcommandsNear(word: string): { name: string; takesText: boolean }[] {
  const typed = word.normalize('NFKC').toLowerCase();
  if (typed.length < 3) return [];
  const most = typed.length <= 4 ? 1 : 2;
  const near = SUBCOMMAND_ROWS.flatMap(([, spec]) => {
    const scored = spec.names
      .filter((n) => n.length >= 3 && n !== typed)
      .map((n) => ({ n, d: n.startsWith(typed) ? 0.5 : slips(typed, n) }))
      .filter((x) => x.d <= most)
      .sort((a, b) => a.d - b.d);
    return scored.length ? [{ ...scored[0]!, takesText: spec.args !== 'none' }] : [];
  });
  return near
    .sort((a, b) => a.d - b.d)
    .slice(0, NEAREST_MAX)
    .map((x) => ({ name: x.n, takesText: x.takesText }));
}

/** `/incident a`, `/incident a b` or `/incident c`, each with what followed the word when it takes a text. */
function orList(near: readonly { name: string; takesText: boolean }[], rest: string): string {
  const forms = near.map((n) => `\`/incident ${[n.name, n.takesText ? rest : ''].filter(Boolean).join(' ')}\``);
  return forms.length < 2 ? (forms[0] ?? '') : `${forms.slice(0, -1).join(', ')} or ${forms.at(-1)}`;
}

/**
 * What a declaration typed another way should have been: `p1 db down` (another tool's priorities), `s1 db down`,
 * `critical db down` (the runbook's name of a level), `db down sev1` (the severity last). Undefined when it looks like
 * none of those.
 */
function declarationHint(typed: string, rest: string, text: string, names?: SeverityNames): string | undefined {
  const command = (s: Severity, title: string) => `\`/incident sev${s} ${title || '<title>'}\``;
  const levels = 'Severities are sev0, sev1, sev2 and sev3 (SEV-0 is the most severe)';
  // Read as a title is often written (`P1: api down`, `Critical - db`), as a severity is (`sev1: db down`).
  const first = typed.replace(/[:,;.]+$/, '') || typed;
  const title = rest.replace(/^[-–—:|]+\s*/, '');
  const priority = /^p(\d)$/i.exec(first);
  if (priority) {
    const s = Math.min(Number(priority[1]), 3) as Severity;
    return `\`${first}\` is not a severity here. ${levels}: ${command(s, title)}.`;
  }
  // `s1 db down`, as SEV-1 is said aloud: asked, not declared. Only s0..s2: `s3 bucket down` is about AWS S3.
  const short = /^s[-_]?([0-2])$/i.exec(first);
  if (short) {
    const s = Number(short[1]) as Severity;
    return `\`${first}\` is not a severity. Did you mean ${title ? command(s, title) : `\`/incident sev${s}\``}? ${levels}.`;
  }
  const named = severityNamed(first, names);
  if (named !== undefined && names) {
    return (
      `\`${first}\` is not how a severity is typed. ${levels}; the runbook calls SEV-${named} ${names[named]}: ` +
      `${command(named, title)}.`
    );
  }
  const typo = /^(s[a-z]{0,3})[-_]?([0-3])$/i.exec(first);
  if (typo && oneSlipFrom(typo[1]!.toLowerCase(), 'sev'))
    return `\`${first}\` is not a severity. ${levels}: ${command(Number(typo[2]) as Severity, title)}.`;
  const words = text.split(' ');
  const last = words.length > 1 ? parseSeverityToken(words[words.length - 1]!) : undefined;
  if (last?.ok) return `Put the severity first: ${command(last.severity, words.slice(0, -1).join(' '))}.`;
  return undefined;
}

/**
 * A leading severity as one word: `sev 1` is `sev1` (and `sev1:` too), and one typed full width (`ｓｅｖ１`, as a Chinese or Japanese
 * keyboard types it) is read as `sev1` too (NFKC). Only the severity is normalised: the title stays as typed.
 */
const joinSeverity = (s: string) => {
  const words = s.split(' ');
  const one = words[0]!.normalize('NFKC');
  // A colon after it (`SEV1: db down`, as incident titles are often written) is not part of the severity.
  if (/^sev[-_]?\d+:?$/i.test(one)) return [one.replace(/:$/, ''), ...words.slice(1)].join(' ');
  const two = words.length > 1 ? `${one}${words[1]!.normalize('NFKC')}` : '';
  if (/^sev\d+:?$/i.test(two)) return [two.replace(/:$/, ''), ...words.slice(2)].join(' ');
  return s;
};
/**
 * `/incident severity sev1`: the severity alone, as `sev1`, `1`, `SEV-1` or the runbook's name of the level
 * (`critical`). A title after it is not a declaration here: the answer says how to declare.
 */
function namedSeverity(
  [kind, spec]: readonly [SubcommandKind, SubcommandSpec],
  typed: string,
  rest: string,
  names?: SeverityNames,
): ParseResult {
  const levels = 'Use sev0, sev1, sev2 or sev3 (SEV-0 is the most severe)';
  if (!rest)
    return {
      ok: false,
      error: `Say which severity: \`/incident ${typed} sev1\`, or just \`/incident sev1\`. ${levels}.`,
    };
  const words = joinSeverity(rest).split(' ');
  const word = words[0]!.normalize('NFKC');
  const byName = severityNamed(word, names);
  const token = parseSeverityToken(/^\d+$/.test(word) ? `sev${word}` : word);
  const severity = token.ok ? token.severity : byName;
  if (severity === undefined) return { ok: false, error: `\`${words[0]}\` is not a severity. ${levels}.` };
  if (words.length > 1) {
    return {
      ok: false,
      error: `\`/incident ${typed} sev${severity}\` takes nothing after the severity. To declare an incident, start with it: \`/incident sev${severity} ${words.slice(1).join(' ')}\`.`,
    };
  }
  return withText(kind, spec, typed, '', { severity, named: true });
}

/** The flags a text starts with (`--private `), maybe none. */
const LEADING_FLAGS = /^(?:--[a-z-]+(?:\s+|$))*/i;

/**
 * Parses the text after `/incident`. `sev1 db down` declares; `sev0` alone changes severity (inside an incident
 * channel); the names in SUBCOMMANDS are subcommands. Errors are sentences for the person who typed it. The text is
 * one line: control characters are dropped and every run of white space is one space.
 */
export function parseIncidentCommand(raw: string, names?: SeverityNames): ParseResult {
  return parseTyped(unescapeSlackText(raw), names);
}

/** The text as typed (Slack's entities read back once). */
function parseTyped(raw: string, names?: SeverityNames): ParseResult {
  // `sev 1 db down` is read as `sev1 db down`. Control characters (a NUL, which Postgres refuses) are dropped.
  const text = joinSeverity(cleanText(raw, { keepBidi: true }).replace(/\s+/g, ' ').trim());
  if (!text) return { ok: true, command: { kind: 'help' } };
  const space = text.indexOf(' ');
  const first = space === -1 ? text : text.slice(0, space);
  const rest = space === -1 ? '' : text.slice(space + 1).trim();

  const sev = parseSeverityToken(first);
  if (sev.ok) {
    const [kind, spec] = rest ? BY_SEVERITY.withText : BY_SEVERITY.alone;
    return inRow(kind, withText(kind, spec, first, rest, { severity: sev.severity }));
  }
  // A subcommand typed full width (`ｌｉｓｔ`) is the subcommand; so is one with punctuation after it (`resolve:
  // rolled back`, `ack.`), as a severity may have (`sev1: db down`). A question mark only after one that asks
  // (`who?`, `list?`): `resolved? no` is asked, not a resolution to make.
  const typedName = first.normalize('NFKC').toLowerCase();
  const bareName = typedName.replace(/[:,;.!?]+$/, '');
  const bare = bareName ? BY_NAME.get(bareName) : undefined;
  const asks = (r: NonNullable<typeof bare>) => r[1].whenDown === 'read' || r[0] === 'oncall';
  const name = BY_NAME.has(typedName) || !bare || (/\?$/.test(typedName) && !asks(bare)) ? typedName : bareName;
  const row = BY_NAME.get(name);
  if (sev.looksLikeSeverity && !row) {
    return {
      ok: false,
      error: `\`${first}\` is not a severity. Use sev0, sev1, sev2 or sev3 (SEV-0 is the most severe).`,
      kind: (rest ? BY_SEVERITY.withText : BY_SEVERITY.alone)[0],
    };
  }

  // A flag of the declaration typed as the first word, without its dashes (`private sev2 payroll leak`): the
  // declaration with it (`sev2 --private payroll leak`).
  const flag = BY_SEVERITY.withText[1].flags?.find((f) => f === first.normalize('NFKC').toLowerCase());
  if (!row && flag) {
    const after = joinSeverity(rest);
    const space = after.indexOf(' ');
    const word = space === -1 ? after : after.slice(0, space);
    if (parseSeverityToken(word).ok)
      return parseTyped(`${word} --${flag} ${space === -1 ? '' : after.slice(space + 1)}`.trim(), names);
    return {
      ok: false,
      error: `To declare a ${flag} incident, start with its severity: \`/incident sev1 --${flag} ${rest || '<title>'}\`.`,
      kind: BY_SEVERITY.withText[0],
    };
  }

  if (!row) {
    const word = WORDS_MEANT[first.normalize('NFKC').toLowerCase()];
    if (word) return { ok: false, error: `I don't know \`${first}\`. ${word(rest)}` };
    // A declaration typed another way is answered with the command meant and the declaration's usage line.
    const hint = declarationHint(first, rest, text, names);
    if (hint) return { ok: false, error: hint, kind: BY_SEVERITY.withText[0] };
    const meant = subcommandsNear(first);
    return {
      ok: false,
      error: meant.length
        ? `I don't know \`${first}\`. Did you mean ${orList(meant, rest)}? To declare an incident instead, start with its severity: \`/incident sev1 ${text}\`.`
        : `I don't know \`${first}\`. To declare an incident, start with its severity: \`/incident sev1 ${text}\` (or \`/incident declare ${text}\` to choose it in a form).`,
    };
  }
  // A row chosen by its name that takes a severity (`severity sev1`): the severity, and nothing after it.
  if (row[1].args === 'severity') return inRow(row[0], namedSeverity(row, name, rest, names));
  if (row[1].severityFirst) {
    // Flags may come before or after the severity: `declare --private sev1 x` is `declare sev1 --private x`.
    const flags = LEADING_FLAGS.exec(rest)![0];
    const after = joinSeverity(rest.slice(flags.length));
    const space = after.indexOf(' ');
    const word = space === -1 ? after : after.slice(0, space);
    const text = space === -1 ? '' : after.slice(space + 1);
    const lead = parseSeverityToken(word);
    // `declare sev1` (with flags only): the form, that severity chosen.
    if (lead.ok && LEADING_FLAGS.exec(text)![0] === text)
      return inRow(
        row[0],
        withText(row[0], row[1], name, `${flags}${text}`.trim(), {
          severity: lead.severity,
        }),
      );
    // `declare p2 db down` (another tool's priority) is answered as `/incident p2 db down` is, not titled "p2 db down".
    const hint = /^(?:p\d|s[-_]?[0-2])[:,;.]?$/i.test(word)
      ? declarationHint(word, text, `${word} ${text}`.trim(), names)
      : undefined;
    if (hint) return { ok: false, error: hint, kind: BY_SEVERITY.withText[0] };
    // `declare sev1 db down` is the declaration; `declare sev7 …` gets its answer. `declare severe latency` is a title.
    if (lead.ok || /^sev[-_]?\d+$/i.test(word)) {
      const typed = parseTyped(`${word} ${flags}${text}`.trim(), names);
      return inRow(
        row[0],
        typed.ok && typed.command.kind === 'declare'
          ? { ok: true, command: { ...typed.command, explicit: true } }
          : typed,
      );
    }
  }
  return inRow(row[0], withText(row[0], row[1], name, rest));
}
