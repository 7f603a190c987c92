import type { IncidentService } from '../incidents/incident.service.js';
import type { WorkGate } from './work-gate.js';

/** What listeners may use: services only, never the database or Slack client directly. */
export interface ListenerDeps {
  incidents: IncidentService;
  /** Admission control for work done after the ack. */
  gate: WorkGate;
}
