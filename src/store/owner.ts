import type { HostRef } from '../incidents/playbook-host.js';

/**
 * The column that says whose a step's run, approval or tick is: `incident_id` for an incident's playbook, `run_id` for
 * a playbook run outside an incident. Chosen from the host's kind, never from input, so it may be put in SQL text.
 */
export function ownerColumn(ref: HostRef): 'incident_id' | 'run_id' {
  return ref.kind === 'incident' ? 'incident_id' : 'run_id';
}

/** Both owner columns' values for an INSERT, in the order (incident_id, run_id). */
export function ownerValues(ref: HostRef): [number | null, number | null] {
  return ref.kind === 'incident' ? [ref.id, null] : [null, ref.id];
}

/** The host of a row that has both owner columns. */
export function ownerOf(row: { incident_id: number | null; run_id?: number | null }): HostRef {
  return row.incident_id !== null && row.incident_id !== undefined
    ? { kind: 'incident', id: Number(row.incident_id) }
    : { kind: 'run', id: Number(row.run_id) };
}
