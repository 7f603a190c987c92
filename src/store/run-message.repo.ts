import type { Queryable } from './db.js';
import { type EndedRow, type EndedRun, RUN_SHOW_GRACE_S, toEndedRun } from './step-run.repo.js';

/*
 * Run messages due to be drawn again (step_runs.show_due_at, migration 079): a run recorded lost or stopped whose
 * message may still say "Running" (Slack refused the update, or the process died before it drew it). The timer loop's
 * sweep (RunMessageRedraws) draws them until one drawing takes.
 */

const DUE = 'show_due_at <= now()';

/** The timer loop's look before its sweep (see `sweepWhen`): a run's message is due to be drawn again. */
export const RUN_MESSAGES_TO_REDRAW = `EXISTS (SELECT 1 FROM step_runs WHERE ${DUE})`;

/**
 * Runs whose messages are due to be drawn again, claimed by one process at a time (SKIP LOCKED), each leased for
 * `leaseMs` (a process that dies leaves it to another after that), its attempt counted: `attempts` so far, this one
 * included. Each with the mark it read (EndedRun.mark), for runMessageDrawn.
 */
export async function claimRunMessages(
  q: Queryable,
  limit: number,
  leaseMs: number,
): Promise<(EndedRun & { attempts: number })[]> {
  const { rows } = await q.query<EndedRow & { show_attempts: number }>(
    `UPDATE step_runs SET show_due_at = now() + make_interval(secs => $2::double precision / 1000),
            show_attempts = show_attempts + 1
      WHERE id IN (SELECT id FROM step_runs WHERE ${DUE} ORDER BY show_due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({ ...toEndedRun(r), attempts: Number(r.show_attempts) }));
}

/**
 * A run's message drawn as it ended (Slack took it), or given up on: the sweep leaves it. Only the mark the drawing
 * read clears it: one made while it drew (the run's real end recorded over `lost` by its process come back) stays.
 */
export async function runMessageDrawn(q: Queryable, id: number, mark: number): Promise<void> {
  await q.query('UPDATE step_runs SET show_due_at = NULL, checklist_due = NULL WHERE id = $1 AND show_mark = $2', [
    id,
    mark,
  ]);
}

/**
 * A run recorded lost whose playbook's checklist Slack would not redraw (LostRuns): due for the sweep
 * (RunMessageRedraws) to draw it, after its message's drawing or look-up when that is due too (`also`: the sweep's
 * attempts and waits as they are), else alone (`only`: due after RUN_SHOW_GRACE_S, its attempts counted anew).
 */
export async function redrawChecklistLater(q: Queryable, id: number): Promise<void> {
  await q.query(
    `UPDATE step_runs
        SET checklist_due = CASE WHEN show_due_at IS NULL THEN 'only' ELSE 'also' END,
            show_attempts = CASE WHEN show_due_at IS NULL THEN 0 ELSE show_attempts END,
            show_due_at = COALESCE(show_due_at, now() + make_interval(secs => ${RUN_SHOW_GRACE_S}))
      WHERE id = $1`,
    [id],
  );
}

/** Its message drawn (or looked for), its checklist still refused: only the checklist is left due. */
export async function onlyChecklistDue(q: Queryable, id: number, mark: number): Promise<void> {
  await q.query(
    "UPDATE step_runs SET checklist_due = 'only' WHERE id = $1 AND show_mark = $2 AND checklist_due = 'also'",
    [id, mark],
  );
}

/**
 * A run with no message on the record whose look-up kept failing (its attempts spent), given up: marked so with `why`
 * (Slack's last answer), never looked up again (lookForRunMessageLater, RunMessageRedraws). Kept due for its checklist
 * to be drawn saying why (held `holdMs` by the caller drawing it now; its attempts counted anew), until a drawing
 * clears it (runMessageDrawn). Only the mark the look-up read marks it, as runMessageDrawn. A message found meanwhile
 * (thread_ts) is not marked, and the sweep leaves it.
 */
export async function giveRunMessageUp(
  q: Queryable,
  id: number,
  mark: number,
  why: string,
  holdMs: number,
): Promise<void> {
  await q.query(
    `UPDATE step_runs
        SET show_due_at = CASE WHEN thread_ts IS NULL THEN now() + make_interval(secs => $4::double precision / 1000) END,
            show_attempts = 0,
            message_given_up_at = CASE WHEN thread_ts IS NULL THEN now() END,
            message_given_up_why = CASE WHEN thread_ts IS NULL THEN $3 END
      WHERE id = $1 AND show_mark = $2`,
    [id, mark, why, holdMs],
  );
}

/** Drawn again no sooner than `at` (Slack refused the update). */
export async function redrawRunMessageAt(q: Queryable, id: number, at: Date): Promise<void> {
  await q.query('UPDATE step_runs SET show_due_at = $2 WHERE id = $1 AND show_due_at IS NOT NULL', [id, at]);
}

/**
 * A run ended with no message on the record whose look-up in Slack failed (its history unreadable: a missing scope,
 * rate limited): due to be looked for again by the sweep (RunMessageRedraws), with its redraws' attempts and waits.
 * Not one whose look-up was given up (giveRunMessageUp).
 */
export async function lookForRunMessageLater(q: Queryable, id: number): Promise<void> {
  await q.query(
    `UPDATE step_runs
        SET show_due_at = now() + make_interval(secs => ${RUN_SHOW_GRACE_S}), show_attempts = 0, show_mark = show_mark + 1
      WHERE id = $1 AND thread_ts IS NULL AND state <> 'running' AND message_given_up_at IS NULL`,
    [id],
  );
}
