import type { Phrase } from '../incidents/errors.js';
import type { HostRef } from '../incidents/playbook-host.js';
import type { ApprovalDm } from '../incidents/ports.js';
import { jsonOf, type Queryable } from './db.js';
import { ownerColumn, ownerOf, ownerValues } from './owner.js';
import type { StepRunState } from './step-run.repo.js';

/*
 * Approval requests (step_approvals): a second person's go-ahead for a step that needs one, where it was posted and
 * sent, its decision or closing, and when the timer loop's sweep draws it again.
 */

export interface StepApproval {
  id: number;
  host: HostRef;
  playbookId: string;
  stepKey: string;
  params: Record<string, string>;
  requestedBy: string;
  state: 'pending' | 'approved' | 'denied' | 'closed';
  /** Why a request nobody decided was closed (state `closed`): who (decidedBy) and the skip's reason (reason). */
  closedWhy: ApprovalClosedWhy | null;
  decidedBy: string | null;
  reason: string | null;
  messageTs: string | null;
  /** Where it was sent to approvers in direct messages (empty: none, or not yet). */
  dms: ApprovalDm[];
  /** Approved, but its run could not start (the step already running, say): why, as the approver was told. */
  notRun: Phrase | null;
  /** The person who decided was not in the channel: the bot added them to it to decide. */
  addedToDecide: boolean;
  /**
   * Closed or decided, and its channel message may still show an older state (Slack refused the closing's or the
   * decision's update, or its process stopped first): the sweep draws it too (see migrations 073 and 082). Not behind,
   * the sweep draws its direct messages only.
   */
  messageBehind: boolean;
  /**
   * The latest marking of its channel message as behind (see migration 076): a drawing that read this one clears it
   * (approvalRedrawn, approvalBehind), not a newer one made while it drew.
   */
  behindMark: number;
}

/** Why a request that waited was closed without a decision: it no longer stands, so it runs nothing. */
export type ApprovalClosedWhy = 'step_skipped' | 'step_done' | 'playbook_detached' | 'incident_resolved';

interface ApprovalRow {
  id: number;
  incident_id: number | null;
  run_id: number | null;
  playbook_id: string;
  step_key: string;
  params: Record<string, string> | string;
  requested_by: string;
  state: StepApproval['state'];
  closed_why: ApprovalClosedWhy | null;
  decided_by: string | null;
  reason: string | null;
  message_ts: string | null;
  dms: ApprovalDm[] | string | null;
  not_run?: Phrase | string | null;
  added_to_decide?: boolean | null;
  message_behind?: boolean | null;
  behind_mark?: number | null;
}

const toApproval = (r: ApprovalRow): StepApproval => ({
  id: Number(r.id),
  host: ownerOf(r),
  playbookId: r.playbook_id,
  stepKey: r.step_key,
  params: typeof r.params === 'string' ? (JSON.parse(r.params) as Record<string, string>) : r.params,
  requestedBy: r.requested_by,
  state: r.state,
  closedWhy: r.closed_why ?? null,
  decidedBy: r.decided_by,
  reason: r.reason,
  messageTs: r.message_ts,
  dms: jsonOf<ApprovalDm[]>(r.dms) ?? [],
  notRun: jsonOf<Phrase>(r.not_run),
  addedToDecide: r.added_to_decide === true,
  messageBehind: r.message_behind === true,
  behindMark: Number(r.behind_mark ?? 0),
});

export async function insertApproval(
  q: Queryable,
  a: { host: HostRef; playbookId: string; stepKey: string; params: Record<string, string>; requestedBy: string },
): Promise<StepApproval> {
  const { rows } = await q.query<ApprovalRow>(
    `INSERT INTO step_approvals (incident_id, run_id, playbook_id, step_key, params, requested_by)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [...ownerValues(a.host), a.playbookId, a.stepKey, JSON.stringify(a.params), a.requestedBy],
  );
  return toApproval(rows[0]!);
}

/**
 * The request still waiting for a decision on this step with these same values, if any. Takes a lock on the step's
 * requests until the transaction ends, so that two requests made at once (a double press) find each other.
 */
export async function lockPendingApproval(
  q: Queryable,
  a: { host: HostRef; playbookId: string; stepKey: string; params: Record<string, string> },
): Promise<StepApproval | null> {
  await lockStepApprovals(q, a.host, a.playbookId, a.stepKey);
  const { rows } = await q.query<ApprovalRow>(
    `SELECT * FROM step_approvals
      WHERE ${ownerColumn(a.host)} = $1 AND playbook_id = $2 AND step_key = $3 AND state = 'pending' AND params = $4::jsonb
      ORDER BY id LIMIT 1`,
    [a.host.id, a.playbookId, a.stepKey, JSON.stringify(a.params)],
  );
  return rows[0] ? toApproval(rows[0]) : null;
}

/**
 * Takes the lock on a step's approval requests until the transaction ends: a request, a decision and a tick (skip or
 * done) of the same step are then one before the other, never interleaved.
 */
export async function lockStepApprovals(q: Queryable, host: HostRef, playbookId: string, stepKey: string) {
  await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
    `step_approval:${host.kind}:${host.id}:${playbookId}:${stepKey}`,
  ]);
}

/**
 * How long after closing a request the timer loop's sweep shows it closed again, unless the closing process showed it
 * everywhere first (a process that died meanwhile, or Slack refusing an update).
 */
export const CLOSED_SHOW_GRACE_S = 30;

/**
 * Closes the requests still waiting on a step (or on every step of a playbook: stepKey null), for `why`; returns them
 * closed, each due to be shown so by the sweep (see claimApprovalRedraws), its channel message marked behind (the sweep
 * draws it too), unless shown first. Take lockStepApprovals first for one step.
 */
/** What closing asks: whose requests, of which playbook and step (null: every one), why, by whom. */
export interface ApprovalClosing {
  host: HostRef;
  playbookId: string | null;
  stepKey: string | null;
  why: ApprovalClosedWhy;
  by: string | null;
  reason: string | null;
}

export async function closePendingApprovals(q: Queryable, c: ApprovalClosing): Promise<StepApproval[]> {
  const { rows } = await q.query<ApprovalRow>(
    `UPDATE step_approvals SET state = 'closed', closed_why = $4, decided_by = $5, reason = $6, decided_at = now(),
            message_behind = true, behind_mark = behind_mark + 1,
            show_due_at = now() + make_interval(secs => ${CLOSED_SHOW_GRACE_S})
      WHERE ${ownerColumn(c.host)} = $1 AND ($2::text IS NULL OR playbook_id = $2) AND ($3::text IS NULL OR step_key = $3)
        AND state = 'pending'
      RETURNING *`,
    [c.host.id, c.playbookId, c.stepKey, c.why, c.by, c.reason],
  );
  return rows.map(toApproval);
}

export async function getApproval(q: Queryable, id: number): Promise<StepApproval | null> {
  const { rows } = await q.query<ApprovalRow>('SELECT * FROM step_approvals WHERE id = $1', [id]);
  return rows[0] ? toApproval(rows[0]) : null;
}

/**
 * Decides a pending request (`added`: the bot added the person to the channel to decide); null when it was already
 * decided (a second click, or someone faster). Due to be drawn again everywhere by the sweep, its channel message
 * included (see claimApprovalRedraws), unless the decision draws it first: a process that stops before it does
 * leaves no live Approve button behind.
 */
export async function decideApproval(
  q: Queryable,
  id: number,
  d: { state: 'approved' | 'denied'; decidedBy: string; reason: string | null; added: boolean },
): Promise<StepApproval | null> {
  const { rows } = await q.query<ApprovalRow>(
    `UPDATE step_approvals SET state = $2, decided_by = $3, reason = $4, added_to_decide = $5, decided_at = now(),
            message_behind = true, behind_mark = behind_mark + 1,
            show_due_at = COALESCE(show_due_at, now() + make_interval(secs => ${CLOSED_SHOW_GRACE_S}))
     WHERE id = $1 AND state = 'pending' RETURNING *`,
    [id, d.state, d.decidedBy, d.reason, d.added],
  );
  return rows[0] ? toApproval(rows[0]) : null;
}

/** An approved request whose run could not start: why, for every drawing of it to say. */
export async function setApprovalNotRun(q: Queryable, id: number, why: Phrase): Promise<void> {
  await q.query("UPDATE step_approvals SET not_run = $2 WHERE id = $1 AND state = 'approved'", [
    id,
    JSON.stringify(why),
  ]);
}

/** The run that carried out an approved request, as it is now (its last, should there be more than one). */
export interface ApprovedRun {
  id: number;
  state: StepRunState;
  exitCode: number | null;
  /** Its message, where its output is; null when it could not be posted. */
  threadTs: string | null;
  /** It failed killed by this signal, one the bot did not send (RunView.signal); null otherwise. */
  signal?: string | null;
}

/**
 * A request as it is to be drawn now, in one statement: the request, and the run that carried it out (null: none,
 * or not yet).
 */
export async function getApprovalDrawing(
  q: Queryable,
  id: number,
): Promise<{ approval: StepApproval; ran: ApprovedRun | null } | null> {
  const { rows } = await q.query<ApprovalRow & { ran: ApprovedRun | string | null }>(
    `SELECT a.*, (SELECT json_build_object('id', r.id, 'state', r.state, 'exitCode', r.exit_code,
                                           'threadTs', r.thread_ts,
                                           'signal', CASE WHEN r.state = 'failed' THEN r.end_shown ->> 'signal' END)
                    FROM step_runs r WHERE r.approval_id = a.id ORDER BY r.id DESC LIMIT 1) AS ran
       FROM step_approvals a WHERE a.id = $1`,
    [id],
  );
  const r = rows[0];
  if (!r) return null;
  const ran = jsonOf<ApprovedRun>(r.ran);
  return { approval: toApproval(r), ran: ran ? { ...ran, id: Number(ran.id) } : null };
}

export async function setApprovalMessage(q: Queryable, id: number, ts: string): Promise<void> {
  await q.query('UPDATE step_approvals SET message_ts = $2 WHERE id = $1', [id, ts]);
}

/**
 * Records where a request was sent in direct messages. A request closed or decided meanwhile (its closing or decision
 * showed it in the messages recorded then, which were not these) is due to be shown again by the sweep (see
 * claimApprovalRedraws), unless the sender shows these so first.
 */
export async function setApprovalDms(q: Queryable, id: number, dms: ApprovalDm[]): Promise<void> {
  await q.query(
    `UPDATE step_approvals SET dms = $2,
            show_due_at = CASE WHEN state <> 'pending'
                               THEN COALESCE(show_due_at, now() + make_interval(secs => ${CLOSED_SHOW_GRACE_S}))
                               ELSE show_due_at END
      WHERE id = $1`,
    [id, JSON.stringify(dms)],
  );
}

// The timer loop's redraws (ApprovalRedraws) of requests whose messages may still show an older state.

const REDRAW_DUE = 'show_due_at <= now()';

/** The timer loop's look before its sweep (see `sweepWhen`): an approval request is due to be drawn again. */
export const APPROVALS_TO_REDRAW = `EXISTS (SELECT 1 FROM step_approvals WHERE ${REDRAW_DUE})`;

/**
 * Approval requests closed or decided whose messages are due to be drawn again (see migrations 060 and 050): claimed by one
 * process at a time (SKIP LOCKED), each leased for `leaseMs` (a process that dies leaves it to another after that),
 * its attempt counted. Returns their ids, attempts so far (this one included), and behind marks as claimed (see
 * approvalGivenUp).
 */
export async function claimApprovalRedraws(
  q: Queryable,
  limit: number,
  leaseMs: number,
): Promise<{ id: number; attempts: number; mark: number }[]> {
  const { rows } = await q.query<{ id: number; show_attempts: number; behind_mark: number }>(
    `UPDATE step_approvals SET show_due_at = now() + make_interval(secs => $2::double precision / 1000),
            show_attempts = show_attempts + 1
      WHERE id IN (SELECT id FROM step_approvals WHERE ${REDRAW_DUE}
                    ORDER BY show_due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING id, show_attempts, behind_mark`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({ id: Number(r.id), attempts: Number(r.show_attempts), mark: Number(r.behind_mark) }));
}

/** What a drawing drew: the direct messages, whether the channel message too, and the behind mark it read first. */
export interface ApprovalDrawn {
  dms: readonly ApprovalDm[];
  message: boolean;
  /** The request's behindMark as the drawing read it before it drew (StepApproval.behindMark). */
  mark: number;
}

/**
 * A request drawn as it is: the sweep leaves it. `drawn.dms`: the direct messages it was drawn in; when others were
 * recorded since (sent while it was closed or decided), it stays due, to be drawn in those too. `drawn.message`: its
 * channel message was drawn too; when not (a closed or decided one's DMs only), one whose channel message is behind
 * (see approvalBehind, closePendingApprovals) stays due, to be drawn there too. Only the behind mark the drawing read
 * (`drawn.mark`) is cleared: one made while it drew (another drawing, perhaps of a newer state, that Slack refused)
 * stays, and the request stays due for it.
 */
export async function approvalRedrawn(q: Queryable, id: number, drawn: ApprovalDrawn): Promise<void> {
  await q.query(
    `UPDATE step_approvals
        SET show_due_at = CASE WHEN COALESCE(dms, '[]'::jsonb) = $2::jsonb
                                    AND (($3::boolean AND behind_mark = $4) OR NOT message_behind) THEN NULL
                               ELSE show_due_at END,
            message_behind = message_behind AND NOT ($3::boolean AND behind_mark = $4)
      WHERE id = $1`,
    [id, JSON.stringify(drawn.dms), drawn.message, drawn.mark],
  );
}

/**
 * A closed or decided request whose channel message a drawing drew, Slack taking it, while it refused a direct
 * message: the channel message's behind mark the drawing read (`mark`) is cleared, and the request left due (for the
 * sweep to draw its direct messages only). A newer mark, made while it drew, stays.
 */
export async function approvalMessageDrawn(q: Queryable, id: number, mark: number): Promise<void> {
  await q.query('UPDATE step_approvals SET message_behind = false WHERE id = $1 AND behind_mark = $2', [id, mark]);
}

/**
 * A request the sweep gave up on (Slack refused it too many times, or its incident or run is no longer there to draw it
 * in): left as it is, its behind mark `mark` (the newest the sweep read) cleared. A newer mark, made while the sweep
 * drew (another drawing, of a newer state, that Slack refused), is a new state to draw: the request stays due for it,
 * its attempts counted afresh.
 */
export async function approvalGivenUp(q: Queryable, id: number, mark: number): Promise<void> {
  await q.query(
    `UPDATE step_approvals
        SET show_due_at = CASE WHEN message_behind AND behind_mark <> $2 THEN COALESCE(show_due_at, now()) END,
            show_attempts = CASE WHEN message_behind AND behind_mark <> $2 THEN 0 ELSE show_attempts END,
            message_behind = message_behind AND behind_mark <> $2
      WHERE id = $1`,
    [id, mark],
  );
}

/**
 * A decided request whose decision's drawing Slack refused somewhere: due to be drawn again by the sweep after
 * CLOSED_SHOW_GRACE_S (or when it was due already), with its attempts counted afresh. Its channel message is marked
 * behind (the sweep draws it too) only when Slack refused that one (`drawn.message` false). A refused direct message
 * is another message: the channel message the drawing drew is not behind for it, and the mark the drawing read
 * (`drawn.mark`) is cleared as approvalRedrawn clears it; the sweep then draws the direct messages only.
 */
export async function approvalBehind(
  q: Queryable,
  id: number,
  drawn: { message: boolean; mark: number },
): Promise<void> {
  await q.query(
    `UPDATE step_approvals
        SET message_behind = CASE WHEN NOT $2::boolean THEN true
                                  WHEN behind_mark = $3 THEN false
                                  ELSE message_behind END,
            behind_mark = behind_mark + CASE WHEN $2::boolean THEN 0 ELSE 1 END,
            show_attempts = CASE WHEN show_due_at IS NULL THEN 0 ELSE show_attempts END,
            show_due_at = COALESCE(show_due_at, now() + make_interval(secs => ${CLOSED_SHOW_GRACE_S}))
      WHERE id = $1 AND state IN ('approved', 'denied')`,
    [id, drawn.message, drawn.mark],
  );
}

/** Drawn again no sooner than `at` (Slack refused an update). */
export async function redrawApprovalAgainAt(q: Queryable, id: number, at: Date): Promise<void> {
  await q.query('UPDATE step_approvals SET show_due_at = $2 WHERE id = $1 AND show_due_at IS NOT NULL', [id, at]);
}

/**
 * An approved request whose run ended with nobody left to draw it (its process died: the run recorded lost): its
 * channel message and direct messages are due to be drawn now by the sweep (ApprovalRedraws), its attempts counted
 * afresh; they still say it is running.
 */
export async function approvalRunEnded(q: Queryable, id: number): Promise<void> {
  await q.query(
    `UPDATE step_approvals
        SET message_behind = true, behind_mark = behind_mark + 1, show_attempts = 0, show_due_at = now()
      WHERE id = $1 AND state = 'approved'`,
    [id],
  );
}
