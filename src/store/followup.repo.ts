import type { IncidentNotice } from '../incidents/ports.js';
import type { Queryable } from './db.js';

/** What a committed change still has to show in Slack (see migration 046). */
export interface FollowupRow {
  id: number;
  incidentId: number;
  notice: IncidentNotice;
  /** The pages the change answered (or, reopened, those said resolved) are shown so. */
  pages: boolean;
  /** The change resolved the incident: what follows a resolution is done. */
  resolved: boolean;
  /** The notice was posted already. */
  noticeDone: boolean;
  attempts: number;
}

const secs = (ms: number) => ms / 1000;

/** The notice's times, kept as ISO text in JSON, read back as dates. */
const DATE_KEYS = new Set(['nextUpdateAt', 'lastHeard']);
const revive = (notice: unknown): IncidentNotice =>
  JSON.parse(JSON.stringify(notice), (key, value) =>
    DATE_KEYS.has(key) && typeof value === 'string' ? new Date(value) : value,
  ) as IncidentNotice;

/** Writes what `notice`'s change still has to show, held by `owner` for `leaseMs`; its id. */
export async function insertFollowup(
  q: Queryable,
  f: { incidentId: number; notice: IncidentNotice; pages: boolean; resolved: boolean },
  owner: string,
  leaseMs: number,
): Promise<number> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO change_followups (incident_id, notice, pages, resolved, owner, lease_until)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING id`,
    [f.incidentId, JSON.stringify(f.notice), f.pages, f.resolved, owner, secs(leaseMs)],
  );
  return Number(rows[0]!.id);
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
    notice: unknown;
    pages: boolean;
    resolved: boolean;
    notice_done: boolean;
    attempts: number;
  }>(
    `UPDATE change_followups SET owner = $1, lease_until = now() + make_interval(secs => $2), attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM change_followups WHERE lease_until <= now()
       ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING id, incident_id, notice, pages, resolved, notice_done, attempts`,
    [owner, secs(leaseMs), limit],
  );
  return rows
    .map((r) => ({
      id: Number(r.id),
      incidentId: Number(r.incident_id),
      notice: revive(r.notice),
      pages: r.pages,
      resolved: r.resolved,
      noticeDone: r.notice_done,
      attempts: Number(r.attempts),
    }))
    .sort((a, b) => a.id - b.id);
}
