import type { Queryable } from './db.js';

/*
 * On-call's copies of a withdrawn notice due to be drawn withdrawn (alerts.notice_dms_due_at, migration 082): Slack
 * refused their update as the notice was withdrawn. The alert loop's sweep (NoticeDmWithdrawals) draws them until
 * Slack takes it.
 */

const DUE = 'notice_dms_due_at <= now()';

/** The alert loop's look before its sweep (see `sweepWhen`): a withdrawn notice's copies are due to be drawn. */
export const NOTICE_DMS_DUE = `EXISTS (SELECT 1 FROM alerts WHERE ${DUE})`;

/** A lead's copies are drawn (again) at `at`; a marking while they are due keeps its attempts, a new one counts anew. */
export async function noticeDmsDueAt(q: Queryable, leadId: number, at: Date): Promise<void> {
  await q.query(
    `UPDATE alerts SET notice_dms_attempts = CASE WHEN notice_dms_due_at IS NULL THEN 0 ELSE notice_dms_attempts END,
       notice_dms_due_at = $2
     WHERE id = $1`,
    [leadId, at],
  );
}

/**
 * Leads whose copies are due, claimed by one process at a time (SKIP LOCKED), each leased for `leaseMs` (a process that
 * dies leaves it to another after that), its attempt counted: `attempts` so far, this one included.
 */
export async function claimNoticeDms(
  q: Queryable,
  limit: number,
  leaseMs: number,
): Promise<{ leadId: number; attempts: number }[]> {
  const { rows } = await q.query<{ id: number | string; notice_dms_attempts: number }>(
    `UPDATE alerts SET notice_dms_due_at = now() + make_interval(secs => $2::double precision / 1000),
            notice_dms_attempts = notice_dms_attempts + 1
      WHERE id IN (SELECT id FROM alerts WHERE ${DUE} ORDER BY notice_dms_due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING id, notice_dms_attempts`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({ leadId: Number(r.id), attempts: Number(r.notice_dms_attempts) }));
}

/** The lead's copies show what they must (Slack took them, or there is nothing to draw): the sweep leaves them. */
export async function noticeDmsDrawn(q: Queryable, leadId: number): Promise<void> {
  await q.query('UPDATE alerts SET notice_dms_due_at = NULL, notice_dms_attempts = 0 WHERE id = $1', [leadId]);
}
