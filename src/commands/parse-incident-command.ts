import { parseSeverityToken, type Severity } from '../incidents/severity.js';

export const TITLE_MAX = 150;
export const RESOLVE_SUMMARY_MAX = 300;

export type IncidentCommand =
  | { kind: 'help' }
  | { kind: 'declare'; severity: Severity; title: string }
  | { kind: 'set_severity'; severity: Severity }
  | { kind: 'list' }
  | { kind: 'ack' }
  | { kind: 'update' }
  | { kind: 'mitigated' }
  | { kind: 'resolve'; summary: string | null }
  | { kind: 'status' }
  | { kind: 'timeline' }
  | { kind: 'impact' }
  | { kind: 'data_loss' }
  | { kind: 'escalate' }
  | { kind: 'playbook'; name: string | null }
  | { kind: 'rollback' };

export type ParseResult = { ok: true; command: IncidentCommand } | { ok: false; error: string };

const SUBCOMMANDS: Record<string, IncidentCommand['kind']> = {
  help: 'help',
  list: 'list',
  ls: 'list',
  ack: 'ack',
  acknowledge: 'ack',
  update: 'update',
  mitigated: 'mitigated',
  mitigate: 'mitigated',
  resolve: 'resolve',
  resolved: 'resolve',
  status: 'status',
  timeline: 'timeline',
  impact: 'impact',
  'customer-impact': 'impact',
  'data-loss': 'data_loss',
  dataloss: 'data_loss',
  escalate: 'escalate',
  page: 'escalate',
  playbook: 'playbook',
  playbooks: 'playbook',
  rollback: 'rollback',
};

/**
 * Parses the text after `/incident`. `sev1 db down` declares; `sev0` alone changes severity (inside an incident
 * channel); the words above are subcommands. Errors are sentences for the person who typed it.
 */
export function parseIncidentCommand(raw: string): ParseResult {
  // `sev 1 db down` is read as `sev1 db down`.
  const text = raw
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(sev)[ ](\d+)(?=\s|$)/i, '$1$2');
  if (!text) return { ok: true, command: { kind: 'help' } };
  const space = text.indexOf(' ');
  const first = space === -1 ? text : text.slice(0, space);
  const rest = space === -1 ? '' : text.slice(space + 1).trim();

  const sev = parseSeverityToken(first);
  if (sev.ok) {
    if (!rest) return { ok: true, command: { kind: 'set_severity', severity: sev.severity } };
    if ([...rest].length > TITLE_MAX) {
      return {
        ok: false,
        error: `The title is ${[...rest].length} characters long; keep it to ${TITLE_MAX} or fewer (details go in status updates).`,
      };
    }
    return { ok: true, command: { kind: 'declare', severity: sev.severity, title: rest } };
  }
  if (sev.looksLikeSeverity) {
    return {
      ok: false,
      error: `\`${first}\` is not a severity. Use sev0, sev1, sev2 or sev3 (SEV-0 is the most severe).`,
    };
  }

  const kind = SUBCOMMANDS[first.toLowerCase()];
  if (!kind) {
    return {
      ok: false,
      error: `I don't know \`${first}\`. To declare an incident, start with its severity: \`/incident sev1 ${text}\`.`,
    };
  }
  if (kind === 'resolve') {
    if ([...rest].length > RESOLVE_SUMMARY_MAX) {
      return {
        ok: false,
        error: `Keep the resolve summary to ${RESOLVE_SUMMARY_MAX} characters; details go in the post-mortem.`,
      };
    }
    return { ok: true, command: { kind: 'resolve', summary: rest || null } };
  }
  if (kind === 'playbook') return { ok: true, command: { kind: 'playbook', name: rest || null } };
  if (rest && kind !== 'help') {
    return { ok: false, error: `\`/incident ${first.toLowerCase()}\` takes nothing after it.` };
  }
  return { ok: true, command: { kind } as IncidentCommand };
}
