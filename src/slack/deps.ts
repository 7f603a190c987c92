import type { IncidentService } from '../incidents/incident.service.js';

/** What listeners may use: services only, never the database or Slack client directly. */
export interface ListenerDeps {
  incidents: IncidentService;
}
