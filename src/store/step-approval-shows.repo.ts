import type { ApprovalDm } from '../incidents/ports.js';
import type { Queryable } from './db.js';

const SHOW_DUE = 'show_due_at <= now()';

/** The timer loop's look before its sweep (see `sweepWhen`): an approval request closed is due to be shown so again. */
export const CLOSED_TO_SHOW = `EXISTS (SELECT 1 FROM step_approvals WHERE ${SHOW_DUE})`;

/**
 * Approval requests closed unrun whose messages are due to be shown closed again (see migration 060): claimed by one
 * process at a time (SKIP LOCKED), each leased for `leaseMs` (a process that dies leaves it to another after that),
 * its attempt counted. Returns their ids and attempts so far, this one included.
 */
export async function claimClosedToShow(
  q: Queryable,
  limit: number,
  leaseMs: number,
): Promise<{ id: number; attempts: number }[]> {
  const { rows } = await q.query<{ id: number; show_attempts: number }>(
    `UPDATE step_approvals SET show_due_at = now() + make_interval(secs => $2::double precision / 1000),
            show_attempts = show_attempts + 1
      WHERE id IN (SELECT id FROM step_approvals WHERE ${SHOW_DUE}
                    ORDER BY show_due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING id, show_attempts`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({ id: Number(r.id), attempts: Number(r.show_attempts) }));
}

/**
 * A request shown closed everywhere (or given up on): the sweep leaves it. `dms`: the direct messages it was shown
 * closed in; when others were recorded since (sent while it closed), it stays due, to be shown in those too.
 */
export async function closedShown(q: Queryable, id: number, dms?: readonly ApprovalDm[]): Promise<void> {
  if (dms === undefined) {
    await q.query('UPDATE step_approvals SET show_due_at = NULL WHERE id = $1', [id]);
    return;
  }
  await q.query(
    `UPDATE step_approvals SET show_due_at = NULL WHERE id = $1 AND COALESCE(dms, '[]'::jsonb) = $2::jsonb`,
    [id, JSON.stringify(dms)],
  );
}

/** Shown again no sooner than `at` (Slack refused an update). */
export async function showClosedAgainAt(q: Queryable, id: number, at: Date): Promise<void> {
  await q.query('UPDATE step_approvals SET show_due_at = $2 WHERE id = $1 AND show_due_at IS NOT NULL', [id, at]);
}
