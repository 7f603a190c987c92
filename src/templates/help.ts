import type { SeverityDefs } from '../incidents/severity.js';
import type { Message } from './incident-card.js';
import { renderSeverityLevels } from './severities.js';

/**
 * `/incident help`, or the usage shown after a mistake: `usage` is the subcommand table's usage text; with
 * `severities`, the runbook's levels follow it. Pure.
 */
export function renderHelp(usage: string, problem?: string, severities?: SeverityDefs): Message {
  const full = severities ? `${usage}\n\n${renderSeverityLevels(severities)}` : usage;
  const text = problem ? `:warning: ${problem}\n\n${full}` : full;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
