import { createPostgresDatabase } from '../store/db.js';
import { statusOfIncident } from '../store/incident.repo.js';
import type { FrontIncidents } from './ack-front.protocol.js';

/**
 * Connections the front's pool for incidents opens at most (one read per resolve form, and per status update form
 * saying Resolved).
 */
const FRONT_INCIDENT_CONNECTIONS = 2;
/**
 * How long the front waits for a connection, then for the read: past it the form goes to the bot, which answers as
 * before. Well inside Slack's 3 s, leaving the bot the rest.
 */
const READ_WAIT_MS = 800;

/** Whether an incident is resolved, as the front reads it, and how to let go of the database. */
export interface FrontIncidentReader {
  /** True: resolved; false: not; null: not known (no such incident, or the database did not answer in time). */
  resolved(incidentId: number): Promise<boolean | null>;
  close(): Promise<void>;
}

/**
 * The front's read of an incident's status, with a small pool of its own: one connection kept open, so that a form's
 * answer does not wait for one to be set up.
 */
export function frontIncidentReader(init: FrontIncidents): FrontIncidentReader {
  const db = createPostgresDatabase(init.connection, {
    max: FRONT_INCIDENT_CONNECTIONS,
    min: 1,
    prepare: init.prepare,
    connectionTimeoutMillis: READ_WAIT_MS,
    queryTimeoutMillis: READ_WAIT_MS,
  });
  return {
    async resolved(incidentId) {
      try {
        const status = await statusOfIncident(db, incidentId);
        return status === null ? null : status === 'resolved';
      } catch {
        return null;
      }
    },
    close: () => db.close(),
  };
}
