import type { SeverityDefs } from '../incidents/severity.js';
import type { Message } from './incident-card.js';
import { renderSeverityLevels } from './severities.js';

export const USAGE = [
  '*Declare an incident*',
  '`/incident sev1 db down` — severity `sev0`..`sev3` (SEV-0 most severe), then a title of up to 150 characters.',
  '',
  '*Anywhere*',
  '`/incident list` — open incidents',
  '`/incident help` — this message',
  '',
  '*Inside an incident channel*',
  '`/incident sev0` — change the severity',
  '`/incident ack` — acknowledge and become commander',
  '`/incident update` — post a status update (the runbook communication template)',
  '`/incident mitigated` — mark mitigated',
  '`/incident resolve [summary]` — resolve with a one-line summary',
  '`/incident impact` — flag customer impact (pages the engineering manager)',
  '`/incident data-loss` — flag a data-loss risk (pages the CTO)',
  '`/incident escalate` — page the next role in the contact order now',
  '`/incident playbook [name]` — list the playbooks, or attach one (its steps get Run buttons)',
  '`/incident rollback` — list recent deployments with a one-click roll back (also the Roll back button)',
  '`/incident status` — show the incident card (only to you)',
  '`/incident timeline` — everything that happened, in order',
].join('\n');

/** `/incident help`, or the usage shown after a mistake; with `severities`, the runbook's levels after it. Pure. */
export function renderHelp(problem?: string, severities?: SeverityDefs): Message {
  const usage = severities ? `${USAGE}\n\n${renderSeverityLevels(severities)}` : USAGE;
  const text = problem ? `:warning: ${problem}\n\n${usage}` : usage;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
