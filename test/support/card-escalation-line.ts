import type { EscalationView } from '../../src/incidents/ports.js';
import type { SeverityDefs } from '../../src/incidents/severity.js';
import type { Incident } from '../../src/incidents/types.js';
import { renderIncidentCard } from '../../src/templates/incident-card.js';

/** The card's escalation line (its last context block), as drawn from a view, as JSON. */
export const escalationLineOf = (incident: Incident, view: EscalationView, severities: SeverityDefs) => {
  const blocks = renderIncidentCard(incident, new Date(), severities, view).blocks;
  return JSON.stringify(blocks.filter((b) => b.type === 'context').at(-1) ?? null);
};
