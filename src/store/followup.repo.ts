import type { IncidentNotice } from '../incidents/ports.js';
import type { Incident } from '../incidents/types.js';
import type { Queryable, StatementPart } from './db.js';

/** What a committed change still has to show in Slack (see migration 046). */
export interface FollowupRow {
  id: number;
  incidentId: number;
  /** The incident as the change left it. */
  incident: Incident;
  notice: IncidentNotice;
  /** The pages the change answered (or, reopened, those said resolved) are shown so. */
  pages: boolean;
  /** The change resolved the incident: what follows a resolution is done. */
  resolved: boolean;
  /** The notice was posted already. */
  noticeDone: boolean;
  attempts: number;
  /** When the change was made (its transaction). */
  createdAt: Date;
}

const secs = (ms: number) => ms / 1000;

const STALE = 'lease_until <= now()';

/** The timer loop's look before its sweep (see `sweepWhen`): a change's follow-up whose lease ran out is there. */
export const STALE_FOLLOWUPS = `EXISTS (SELECT 1 FROM change_followups WHERE ${STALE})`;

/**
 * The times of a notice and of an incident, kept as ISO text in JSON, read back as dates: the notice's own, and every
 * `…At` field of the incident (createdAt, resolvedAt, nextUpdateAt…).
 */
const DATE_KEYS = new Set(['lastHeard']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const revive = <T>(value: unknown): T =>
  JSON.parse(JSON.stringify(value), (key, v) =>
    (DATE_KEYS.has(key) || key.endsWith('At')) && typeof v === 'string' && ISO.test(v) ? new Date(v) : v,
  ) as T;

/** Writes what `notice`'s change still has to show, held by `owner` for `leaseMs`; its id. */
export async function insertFollowup(
  q: Queryable,
  f: { incident: Incident; notice: IncidentNotice; pages: boolean; resolved: boolean },
  owner: string,
  leaseMs: number,
): Promise<number> {
  const part = insertFollowupPart(1, f, owner, leaseMs);
  const { rows } = await q.query<{ id: string }>(`WITH ${part.with} SELECT ${part.select} AS id`, part.params);
  return Number(rows[0]!.id);
}

/**
 * insertFollowup as part of the statement that writes the change (see StatementPart), its parameters numbered from
 * `first`; selects the follow-up's id.
 */
export function insertFollowupPart(
  first: number,
  f: { incident: Incident; notice: IncidentNotice; pages: boolean; resolved: boolean },
  owner: string,
  leaseMs: number,
): StatementPart {
  const p = (n: number) => `$${first + n}`;
  return {
    with: `followup AS (INSERT INTO change_followups (incident_id, incident, notice, pages, resolved, owner, lease_until)
      VALUES (${p(0)}, ${p(1)}::jsonb, ${p(2)}::jsonb, ${p(3)}, ${p(4)}, ${p(5)}, now() + make_interval(secs => ${p(6)}))
      RETURNING id)`,
    params: [
      f.incident.id,
      JSON.stringify(f.incident),
      JSON.stringify(f.notice),
      f.pages,
      f.resolved,
      owner,
      secs(leaseMs),
    ],
    select: '(SELECT id FROM followup)',
  };
}

/** Extends `owner`'s lease on the follow-up while it shows it; false when it is no longer its own (or gone). */
export async function renewFollowup(q: Queryable, id: number, owner: string, leaseMs: number): Promise<boolean> {
  const { rows } = await q.query(
    `UPDATE change_followups SET lease_until = now() + make_interval(secs => $3)
     WHERE id = $1 AND owner = $2 RETURNING id`,
    [id, owner, secs(leaseMs)],
  );
  return rows.length > 0;
}

/** The notice was posted. */
export async function markFollowupNotice(q: Queryable, id: number): Promise<void> {
  await q.query('UPDATE change_followups SET notice_done = true WHERE id = $1', [id]);
}

/** All of it was shown: forgets it, if `owner` still holds it. */
export async function endFollowup(q: Queryable, id: number, owner: string): Promise<void> {
  await q.query('DELETE FROM change_followups WHERE id = $1 AND owner = $2', [id, owner]);
}

/**
 * Takes at most `limit` follow-ups whose lease ran out (the process that held them died, or lost the database), for
 * `owner` and `leaseMs`, oldest first; rows another process is taking are skipped.
 */
export async function claimStaleFollowups(
  q: Queryable,
  owner: string,
  limit: number,
  leaseMs: number,
): Promise<FollowupRow[]> {
  const { rows } = await q.query<{
    id: string;
    incident_id: number;
    incident: unknown;
    notice: unknown;
    pages: boolean;
    resolved: boolean;
    notice_done: boolean;
    attempts: number;
    created_at: Date;
  }>(
    `UPDATE change_followups SET owner = $1, lease_until = now() + make_interval(secs => $2), attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM change_followups WHERE ${STALE}
       ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING id, incident_id, incident, notice, pages, resolved, notice_done, attempts, created_at`,
    [owner, secs(leaseMs), limit],
  );
  return rows
    .map((r) => ({
      id: Number(r.id),
      incidentId: Number(r.incident_id),
      incident: revive<Incident>(r.incident),
      notice: revive<IncidentNotice>(r.notice),
      pages: r.pages,
      resolved: r.resolved,
      noticeDone: r.notice_done,
      attempts: Number(r.attempts),
      createdAt: new Date(r.created_at),
    }))
    .sort((a, b) => a.id - b.id);
}
