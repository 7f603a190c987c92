import type { RunnableStep } from '../runbook/playbooks.js';
import type { Queryable } from './db.js';

export type StepRunState = 'running' | 'succeeded' | 'failed' | 'timed_out' | 'not_found' | 'refused';

export interface StepRun {
  id: number;
  incidentId: number;
  playbookId: string;
  stepKey: string;
  kind: RunnableStep['type'];
  target: string[];
  requestedBy: string;
  state: StepRunState;
  threadTs: string | null;
}

interface Row {
  id: number;
  incident_id: number;
  playbook_id: string;
  step_key: string;
  kind: RunnableStep['type'];
  target: string[] | string;
  requested_by: string;
  state: StepRunState;
  thread_ts: string | null;
}

const toRun = (r: Row): StepRun => ({
  id: Number(r.id),
  incidentId: Number(r.incident_id),
  playbookId: r.playbook_id,
  stepKey: r.step_key,
  kind: r.kind,
  target: typeof r.target === 'string' ? (JSON.parse(r.target) as string[]) : r.target,
  requestedBy: r.requested_by,
  state: r.state,
  threadTs: r.thread_ts,
});

/** Which step of which incident, what it runs (redacted) and who asked. */
export type StepRunInput = Pick<StepRun, 'incidentId' | 'playbookId' | 'stepKey' | 'kind' | 'target' | 'requestedBy'>;

/** Starts a run; null when the same step is already running for this incident. */
export async function insertRunningStep(q: Queryable, r: StepRunInput): Promise<StepRun | null> {
  const { rows } = await q.query<Row>(
    `INSERT INTO step_runs (incident_id, playbook_id, step_key, kind, target, requested_by, state)
     VALUES ($1, $2, $3, $4, $5, $6, 'running')
     ON CONFLICT (incident_id, playbook_id, step_key) WHERE state = 'running' DO NOTHING
     RETURNING *`,
    [r.incidentId, r.playbookId, r.stepKey, r.kind, JSON.stringify(r.target), r.requestedBy],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

export async function findRunningStep(
  q: Queryable,
  incidentId: number,
  playbookId: string,
  stepKey: string,
): Promise<StepRun | null> {
  const { rows } = await q.query<Row>(
    `SELECT * FROM step_runs WHERE incident_id = $1 AND playbook_id = $2 AND step_key = $3 AND state = 'running'`,
    [incidentId, playbookId, stepKey],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

export async function setRunThread(q: Queryable, id: number, threadTs: string): Promise<void> {
  await q.query('UPDATE step_runs SET thread_ts = $2 WHERE id = $1', [id, threadTs]);
}

export async function finishStepRun(
  q: Queryable,
  id: number,
  f: { state: StepRunState; exitCode: number | null; durationMs: number; digest: string | null; tail: string },
): Promise<void> {
  await q.query(
    `UPDATE step_runs SET state = $2, exit_code = $3, duration_ms = $4, output_digest = $5, output_tail = $6,
       finished_at = now() WHERE id = $1`,
    [id, f.state, f.exitCode, Math.round(f.durationMs), f.digest, f.tail.slice(-4000)],
  );
}

/** A refused attempt (no role, bad parameters) is recorded too. */
export async function insertRefusedStep(q: Queryable, r: StepRunInput & { refusal: string }): Promise<void> {
  await q.query(
    `INSERT INTO step_runs (incident_id, playbook_id, step_key, kind, target, requested_by, state, refusal, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'refused', $7, now())`,
    [r.incidentId, r.playbookId, r.stepKey, r.kind, JSON.stringify(r.target), r.requestedBy, r.refusal],
  );
}

export async function attachPlaybook(
  q: Queryable,
  incidentId: number,
  playbookId: string,
  attachedBy: string | null,
): Promise<boolean> {
  const { rows } = await q.query<{ playbook_id: string }>(
    `INSERT INTO incident_playbooks (incident_id, playbook_id, attached_by) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING RETURNING playbook_id`,
    [incidentId, playbookId, attachedBy],
  );
  return rows.length === 1;
}

export async function setPlaybookMessage(
  q: Queryable,
  incidentId: number,
  playbookId: string,
  ts: string,
): Promise<void> {
  await q.query('UPDATE incident_playbooks SET message_ts = $3 WHERE incident_id = $1 AND playbook_id = $2', [
    incidentId,
    playbookId,
    ts,
  ]);
}

export async function playbookMessage(q: Queryable, incidentId: number, playbookId: string): Promise<string | null> {
  const { rows } = await q.query<{ message_ts: string | null }>(
    'SELECT message_ts FROM incident_playbooks WHERE incident_id = $1 AND playbook_id = $2',
    [incidentId, playbookId],
  );
  return rows[0]?.message_ts ?? null;
}

export interface StepApproval {
  id: number;
  incidentId: number;
  playbookId: string;
  stepKey: string;
  params: Record<string, string>;
  requestedBy: string;
  state: 'pending' | 'approved' | 'denied';
  decidedBy: string | null;
  reason: string | null;
  messageTs: string | null;
}

interface ApprovalRow {
  id: number;
  incident_id: number;
  playbook_id: string;
  step_key: string;
  params: Record<string, string> | string;
  requested_by: string;
  state: StepApproval['state'];
  decided_by: string | null;
  reason: string | null;
  message_ts: string | null;
}

const toApproval = (r: ApprovalRow): StepApproval => ({
  id: Number(r.id),
  incidentId: Number(r.incident_id),
  playbookId: r.playbook_id,
  stepKey: r.step_key,
  params: typeof r.params === 'string' ? (JSON.parse(r.params) as Record<string, string>) : r.params,
  requestedBy: r.requested_by,
  state: r.state,
  decidedBy: r.decided_by,
  reason: r.reason,
  messageTs: r.message_ts,
});

export async function insertApproval(
  q: Queryable,
  a: { incidentId: number; playbookId: string; stepKey: string; params: Record<string, string>; requestedBy: string },
): Promise<StepApproval> {
  const { rows } = await q.query<ApprovalRow>(
    `INSERT INTO step_approvals (incident_id, playbook_id, step_key, params, requested_by)
     VALUES ($1, $2, $3, $4, $5) RETURNING *`,
    [a.incidentId, a.playbookId, a.stepKey, JSON.stringify(a.params), a.requestedBy],
  );
  return toApproval(rows[0]!);
}

export async function getApproval(q: Queryable, id: number): Promise<StepApproval | null> {
  const { rows } = await q.query<ApprovalRow>('SELECT * FROM step_approvals WHERE id = $1', [id]);
  return rows[0] ? toApproval(rows[0]) : null;
}

/** Decides a pending request; null when it was already decided (a second click, or someone faster). */
export async function decideApproval(
  q: Queryable,
  id: number,
  state: 'approved' | 'denied',
  decidedBy: string,
  reason: string | null,
): Promise<StepApproval | null> {
  const { rows } = await q.query<ApprovalRow>(
    `UPDATE step_approvals SET state = $2, decided_by = $3, reason = $4, decided_at = now()
     WHERE id = $1 AND state = 'pending' RETURNING *`,
    [id, state, decidedBy, reason],
  );
  return rows[0] ? toApproval(rows[0]) : null;
}

export async function setApprovalMessage(q: Queryable, id: number, ts: string): Promise<void> {
  await q.query('UPDATE step_approvals SET message_ts = $2 WHERE id = $1', [id, ts]);
}
