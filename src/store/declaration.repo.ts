import type { Incident } from '../incidents/types.js';
import type { Queryable } from './db.js';
import { INSERT_INCIDENT, type IncidentRow, type NewIncident, newIncidentParams, toIncident } from './incident.repo.js';

/** A declaration not yet finished: its incident, how many times a lease on it was taken, the steps done. */
export interface DeclarationRow {
  incidentId: number;
  attempts: number;
  done: string[];
}

const secs = (ms: number) => ms / 1000;

const STALE = 'lease_until <= now()';

/** The timer loop's look before its sweep (see `sweepWhen`): a declaration whose lease ran out is there. */
export const STALE_DECLARATIONS = `EXISTS (SELECT 1 FROM declarations WHERE ${STALE})`;

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
       SELECT incident_id FROM declarations WHERE ${STALE}
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

/**
 * A new incident still being declared (out of sight, numbered later), its `declared` event with `details`, and its
 * declaration held by `owner` for `leaseMs`: one statement.
 */
export async function insertDeclaring(
  q: Queryable,
  n: NewIncident,
  details: Record<string, unknown>,
  owner: string,
  leaseMs: number,
): Promise<Incident> {
  const { rows } = await q.query<IncidentRow>(
    `WITH i AS (${INSERT_INCIDENT}), e AS (
       INSERT INTO incident_events (incident_id, kind, actor_id, details) SELECT id, 'declared', $5, $10::jsonb FROM i
     ), d AS (
       INSERT INTO declarations (incident_id, owner, lease_until) SELECT id, $11, now() + make_interval(secs => $12) FROM i
     )
     SELECT * FROM i`,
    [...newIncidentParams(n, true), JSON.stringify(details), owner, secs(leaseMs)],
  );
  return toIncident(rows[0]!);
}

/**
 * Makes a declared incident whole with its channel, if `owner` still holds its declaration, and records the
 * `channel_created` event: one statement. The declaration's row stays locked until the transaction ends, so no other
 * process can take it over after this. Null when it was taken over, is gone, or the incident is no longer declaring.
 */
export async function markDeclaredHeld(
  q: Queryable,
  id: number,
  owner: string,
  channel: { channelId: string; channelName: string },
): Promise<Incident | null> {
  const { rows } = await q.query<IncidentRow>(
    `WITH held AS MATERIALIZED (SELECT owner FROM declarations WHERE incident_id = $1 FOR UPDATE),
     w AS (
       UPDATE incidents SET declaring = false, channel_id = $2, channel_name = $3
       WHERE id = $1 AND declaring AND (SELECT owner FROM held) = $4
       RETURNING *
     ), e AS (
       INSERT INTO incident_events (incident_id, kind, actor_id, details) SELECT id, 'channel_created', NULL, $5::jsonb FROM w
     )
     SELECT * FROM w`,
    [id, channel.channelId, channel.channelName, owner, JSON.stringify(channel)],
  );
  return rows[0] ? toIncident(rows[0]) : null;
}
