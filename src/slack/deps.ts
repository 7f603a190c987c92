import type { IncidentService } from '../incidents/incident.service.js';
import type { PlaybookService } from '../incidents/playbook.service.js';
import type { WorkGate } from './work-gate.js';

/** What listeners may use: services only, never the database or Slack client directly. */
export interface ListenerDeps {
  incidents: IncidentService;
  playbooks: PlaybookService;
  /** Admission control for work done after the ack. */
  gate: WorkGate;
}
