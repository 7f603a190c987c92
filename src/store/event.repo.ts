import type { IncidentEvent, IncidentEventKind } from '../incidents/types.js';
import { type Queryable, toDate } from './db.js';

interface EventRow {
  id: number;
  incident_id: number;
  at: Date | string;
  actor_id: string | null;
  kind: string;
  details: Record<string, unknown> | string;
}

export async function insertEvent(
  q: Queryable,
  incidentId: number,
  kind: IncidentEventKind,
  actorId: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await q.query('INSERT INTO incident_events (incident_id, kind, actor_id, details) VALUES ($1, $2, $3, $4)', [
    incidentId,
    kind,
    actorId,
    JSON.stringify(details),
  ]);
}

/**
 * A message said in the incident's channel, as a note on its timeline at the time it was said (never later than
 * now), once: null when that message is on the timeline already.
 */
export async function insertMessageNote(
  q: Queryable,
  incidentId: number,
  actorId: string,
  saidAt: Date,
  details: { text: string; author: string | null; message_ts: string; link: string | null },
): Promise<number | null> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO incident_events (incident_id, kind, actor_id, details, at)
     SELECT $1, 'note', $2, $3::jsonb, least($4::timestamptz, clock_timestamp())
     WHERE NOT EXISTS (SELECT 1 FROM incident_events
                       WHERE incident_id = $1 AND kind = 'note' AND details->>'message_ts' = $5)
     RETURNING id`,
    [incidentId, actorId, JSON.stringify({ ...details, source: 'message' }), saidAt, details.message_ts],
  );
  return rows[0] ? Number(rows[0].id) : null;
}

/** Several events of one incident in one statement, in the order given. */
export async function insertEvents(
  q: Queryable,
  incidentId: number,
  events: readonly { kind: IncidentEventKind; actorId: string | null; details?: Record<string, unknown> }[],
): Promise<void> {
  if (events.length === 0) return;
  await q.query(
    `INSERT INTO incident_events (incident_id, kind, actor_id, details)
     SELECT $1, e.kind, e.actor, e.details::jsonb
     FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(kind, actor, details, n) ORDER BY e.n`,
    [
      incidentId,
      events.map((e) => e.kind),
      events.map((e) => e.actorId),
      events.map((e) => JSON.stringify(e.details ?? {})),
    ],
  );
}

/**
 * Records the bot's offer to raise an incident to `severity` (a critical alert outranked it), unless an offer at least
 * as severe stands: one made since the incident's severity last changed. Returns the event's id, or null when one
 * stands. Run in a transaction: the incident's lock is taken first, so two deliveries at once make one offer.
 */
export async function recordRaiseOffer(
  tx: Queryable,
  incidentId: number,
  severity: number,
  details: Record<string, unknown>,
): Promise<number | null> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`raise-offer:${incidentId}`]);
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO incident_events (incident_id, kind, actor_id, details)
     SELECT $1, 'raise_offered', NULL, $3::jsonb
     WHERE NOT EXISTS (
       SELECT 1 FROM incident_events o
       WHERE o.incident_id = $1 AND o.kind = 'raise_offered' AND (o.details->>'severity')::int <= $2
         AND NOT EXISTS (SELECT 1 FROM incident_events s WHERE s.incident_id = $1 AND s.kind = 'severity_changed'
                         AND (s.at, s.id) > (o.at, o.id)))
     RETURNING id`,
    [incidentId, severity, JSON.stringify({ ...details, severity })],
  );
  return rows[0] ? Number(rows[0].id) : null;
}

/** Removes an event recorded ahead of what it records, when that could not be done (a post Slack refused). */
export async function deleteEvent(q: Queryable, id: number): Promise<void> {
  await q.query('DELETE FROM incident_events WHERE id = $1', [id]);
}

/** Whether the incident's timeline has an event of this kind (`made_public`: the incident was private before). */
export async function hasEvent(q: Queryable, incidentId: number, kind: IncidentEventKind): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = $2 LIMIT 1', [
    incidentId,
    kind,
  ]);
  return rows.length > 0;
}

/** Whether the incident has an event of `kind` at or after `since` (its last reopening, say). */
export async function hasEventSince(
  q: Queryable,
  incidentId: number,
  kind: IncidentEventKind,
  since: Date,
): Promise<boolean> {
  const { rows } = await q.query(
    'SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = $2 AND at >= $3 LIMIT 1',
    [incidentId, kind, since],
  );
  return rows.length > 0;
}

export async function listEvents(q: Queryable, incidentId: number): Promise<IncidentEvent[]> {
  const { rows } = await q.query<EventRow>('SELECT * FROM incident_events WHERE incident_id = $1 ORDER BY at, id', [
    incidentId,
  ]);
  return rows.map((r) => ({
    id: Number(r.id),
    incidentId: Number(r.incident_id),
    at: toDate(r.at),
    actorId: r.actor_id,
    kind: r.kind as IncidentEventKind,
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : r.details,
  }));
}

/**
 * The incident's row taken first (FOR KEY SHARE, as a timeline event's foreign key would), as part of a statement that
 * writes an incident's event and its escalation or notification jobs: a change of the incident locks it first and its
 * jobs after, so work that writes an event and a job must take them in that order too, or the two wait on each other
 * ("deadlock detected": the event's key lock behind the change's, the change's job update behind this one's).
 *
 * `incidentFirst` is the common table expression that takes the row (the incident's id in `param`); every
 * sub-statement that writes is gated on INCIDENT_FIRST, an uncorrelated test over it that the server evaluates once,
 * before that sub-statement touches a row: so whichever runs first takes the incident before any job. One statement,
 * no transaction around it: one round trip, not four. With the incident gone nothing is written.
 */
export function incidentFirst(param: string): string {
  return `incident_first AS MATERIALIZED (SELECT 1 FROM incidents WHERE id = ${param} FOR KEY SHARE)`;
}
export const INCIDENT_FIRST = 'EXISTS (SELECT 1 FROM incident_first)';
