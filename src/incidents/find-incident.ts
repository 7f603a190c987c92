import type { Queryable } from '../store/db.js';
import { getIncident, incidentIdIssued } from '../store/incident.repo.js';
import { IncidentNotFoundError } from './errors.js';
import type { Incident } from './types.js';

/**
 * The refusal for an id that names no incident: "There is no such incident." when it was never given (made up,
 * mistyped), "That incident no longer exists." when it was.
 */
export async function incidentNotFound(q: Queryable, id: number): Promise<IncidentNotFoundError> {
  return new IncidentNotFoundError(await incidentIdIssued(q, id));
}

/** The incident with this id (locked, in a transaction, with `forUpdate`), else the refusal that says which is so. */
export async function incidentOrThrow(q: Queryable, id: number, opts: { forUpdate?: boolean } = {}): Promise<Incident> {
  const incident = await getIncident(q, id, opts);
  if (!incident) throw await incidentNotFound(q, id);
  return incident;
}
