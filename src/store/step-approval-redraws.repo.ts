import type { ApprovalDm } from '../incidents/ports.js';
import type { Queryable } from './db.js';
import { CLOSED_SHOW_GRACE_S } from './step-run.repo.js';

const REDRAW_DUE = 'show_due_at <= now()';

/** The timer loop's look before its sweep (see `sweepWhen`): an approval request is due to be drawn again. */
export const APPROVALS_TO_REDRAW = `EXISTS (SELECT 1 FROM step_approvals WHERE ${REDRAW_DUE})`;

/**
 * Approval requests closed or decided whose messages are due to be drawn again (see migrations 060 and 050): claimed by one
 * process at a time (SKIP LOCKED), each leased for `leaseMs` (a process that dies leaves it to another after that),
 * its attempt counted. Returns their ids and attempts so far, this one included.
 */
export async function claimApprovalRedraws(
  q: Queryable,
  limit: number,
  leaseMs: number,
): Promise<{ id: number; attempts: number }[]> {
  const { rows } = await q.query<{ id: number; show_attempts: number }>(
    `UPDATE step_approvals SET show_due_at = now() + make_interval(secs => $2::double precision / 1000),
            show_attempts = show_attempts + 1
      WHERE id IN (SELECT id FROM step_approvals WHERE ${REDRAW_DUE}
                    ORDER BY show_due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING id, show_attempts`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({ id: Number(r.id), attempts: Number(r.show_attempts) }));
}

/**
 * A request drawn as it is (or given up on: no `drawn`): the sweep leaves it. `drawn.dms`: the direct messages it was
 * drawn in; when others were recorded since (sent while it was closed or decided), it stays due, to be drawn in those
 * too. `drawn.message`: its channel message was drawn too; when not (a decided one's DMs only), one whose channel
 * message is behind (see approvalBehind) stays due, to be drawn there too.
 */
export async function approvalRedrawn(
  q: Queryable,
  id: number,
  drawn?: { dms: readonly ApprovalDm[]; message: boolean },
): Promise<void> {
  if (drawn === undefined) {
    await q.query('UPDATE step_approvals SET show_due_at = NULL, message_behind = false WHERE id = $1', [id]);
    return;
  }
  await q.query(
    `UPDATE step_approvals
        SET show_due_at = CASE WHEN COALESCE(dms, '[]'::jsonb) = $2::jsonb AND ($3::boolean OR NOT message_behind) THEN NULL
                               ELSE show_due_at END,
            message_behind = message_behind AND NOT $3::boolean
      WHERE id = $1`,
    [id, JSON.stringify(drawn.dms), drawn.message],
  );
}

/**
 * A decided request whose decision's drawing Slack refused somewhere (its channel message, or a direct message): due
 * to be drawn again everywhere by the sweep, its channel message included, after CLOSED_SHOW_GRACE_S (or when it was
 * due already), with its attempts counted afresh.
 */
export async function approvalBehind(q: Queryable, id: number): Promise<void> {
  await q.query(
    `UPDATE step_approvals
        SET message_behind = true,
            show_attempts = CASE WHEN show_due_at IS NULL THEN 0 ELSE show_attempts END,
            show_due_at = COALESCE(show_due_at, now() + make_interval(secs => ${CLOSED_SHOW_GRACE_S}))
      WHERE id = $1 AND state IN ('approved', 'denied')`,
    [id],
  );
}

/** Drawn again no sooner than `at` (Slack refused an update). */
export async function redrawApprovalAgainAt(q: Queryable, id: number, at: Date): Promise<void> {
  await q.query('UPDATE step_approvals SET show_due_at = $2 WHERE id = $1 AND show_due_at IS NOT NULL', [id, at]);
}
