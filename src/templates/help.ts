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
  return { text, blocks: sectionsOf(text).map((t) => ({ type: 'section', text: { type: 'mrkdwn', text: t } })) };
}

/** Slack's limit on a section's text. */
const SECTION_MAX = 3000;

/** The text cut at line ends into sections within Slack's limit (a line longer than it is cut at the limit). */
function sectionsOf(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    for (let rest = line; ; ) {
      const piece = rest.slice(0, SECTION_MAX);
      rest = rest.slice(SECTION_MAX);
      const joined = cur ? `${cur}\n${piece}` : piece;
      if (joined.length <= SECTION_MAX) cur = joined;
      else {
        out.push(cur);
        cur = piece;
      }
      if (!rest) break;
    }
  }
  if (cur || out.length === 0) out.push(cur);
  return out;
}
