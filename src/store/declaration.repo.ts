import type { Queryable } from './db.js';

/** A declaration not yet finished: its incident, how many times a lease on it was taken, the steps done. */
export interface DeclarationRow {
  incidentId: number;
  attempts: number;
  done: string[];
}

const secs = (ms: number) => ms / 1000;

/** Records a declaration in progress, held by `owner` for `leaseMs`. */
export async function startDeclaration(q: Queryable, incidentId: number, owner: string, leaseMs: number) {
  await q.query(
    `INSERT INTO declarations (incident_id, owner, lease_until) VALUES ($1, $2, now() + make_interval(secs => $3))`,
    [incidentId, owner, secs(leaseMs)],
  );
}

/** Extends the owner's lease; false when the declaration is no longer its own (taken over, or gone). */
export async function renewDeclaration(q: Queryable, incidentId: number, owner: string, leaseMs: number) {
  const { rows } = await q.query(
    `UPDATE declarations SET lease_until = now() + make_interval(secs => $3)
     WHERE incident_id = $1 AND owner = $2 RETURNING incident_id`,
    [incidentId, owner, secs(leaseMs)],
  );
  return rows.length > 0;
}

/**
 * Locks the declaration row until the transaction ends, if `owner` still holds it: after this, no other process can
 * take it over. False when it was taken over or is gone.
 */
export async function holdDeclaration(q: Queryable, incidentId: number, owner: string): Promise<boolean> {
  const { rows } = await q.query<{ owner: string }>(
    'SELECT owner FROM declarations WHERE incident_id = $1 FOR UPDATE',
    [incidentId],
  );
  return rows[0]?.owner === owner;
}

/**
 * Takes at most `limit` declarations whose lease ran out, for `owner` and `leaseMs`: the process that held them died
 * or lost the database. Rows another process is taking are skipped.
 */
export async function claimStaleDeclarations(
  q: Queryable,
  owner: string,
  limit: number,
  leaseMs: number,
): Promise<DeclarationRow[]> {
  const { rows } = await q.query<{ incident_id: number; attempts: number; done: string[] }>(
    `UPDATE declarations SET owner = $1, lease_until = now() + make_interval(secs => $2), attempts = attempts + 1
     WHERE incident_id IN (
       SELECT incident_id FROM declarations WHERE lease_until <= now()
       ORDER BY lease_until LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING incident_id, attempts, done`,
    [owner, secs(leaseMs), limit],
  );
  return rows.map((r) => ({ incidentId: Number(r.incident_id), attempts: Number(r.attempts), done: r.done ?? [] }));
}

/** The declaration is finished: forgets it (if `owner` still holds it); whether it did. */
export async function endDeclaration(q: Queryable, incidentId: number, owner: string): Promise<boolean> {
  const { rows } = await q.query('DELETE FROM declarations WHERE incident_id = $1 AND owner = $2 RETURNING 1', [
    incidentId,
    owner,
  ]);
  return rows.length > 0;
}

/** Records that a step of the declaration was done (or tried and reported), so nobody does it again. */
export async function markDeclarationStep(q: Queryable, incidentId: number, step: string): Promise<void> {
  await q.query('UPDATE declarations SET done = array_append(done, $2) WHERE incident_id = $1', [incidentId, step]);
}
