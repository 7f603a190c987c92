import type { PlaybookRun, StepEventKind } from '../incidents/playbook-host.js';
import {
  type ChecklistClaim,
  type ClaimedChecklist,
  claimed,
  claimUnpostedChecklists,
  leaseFor,
} from './checklist-post.repo.js';
import { type Queryable, toDate, toDateOrNull } from './db.js';

interface RunRow {
  id: number;
  team_id: string;
  playbook_id: string;
  channel_id: string;
  message_ts: string | null;
  started_by: string;
  started_at: Date | string;
  completed_at: Date | string | null;
}

const toRun = (r: RunRow): PlaybookRun => ({
  id: Number(r.id),
  teamId: r.team_id,
  playbookId: r.playbook_id,
  channelId: r.channel_id,
  messageTs: r.message_ts,
  startedBy: r.started_by,
  startedAt: toDate(r.started_at),
  completedAt: toDateOrNull(r.completed_at),
});

/**
 * Records a playbook run outside an incident; null when this request key already started one (a Slack retry, a
 * double submit).
 */
export async function insertPlaybookRun(
  q: Queryable,
  r: { teamId: string; playbookId: string; channelId: string; startedBy: string; requestKey: string },
  /** How long its process holds it while it posts its checklist (renewChecklistPost), before the sweep may. */
  postLeaseMs: number,
): Promise<PlaybookRun | null> {
  const { rows } = await q.query<RunRow>(
    `INSERT INTO playbook_runs (team_id, playbook_id, channel_id, started_by, request_key, message_lease_until)
     VALUES ($1, $2, $3, $4, $5, ${leaseFor('$6')})
     ON CONFLICT (request_key) DO NOTHING RETURNING *`,
    [r.teamId, r.playbookId, r.channelId, r.startedBy, r.requestKey, postLeaseMs],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

export async function getPlaybookRun(q: Queryable, id: number): Promise<PlaybookRun | null> {
  const { rows } = await q.query<RunRow>('SELECT * FROM playbook_runs WHERE id = $1', [id]);
  return rows[0] ? toRun(rows[0]) : null;
}

export async function getPlaybookRunByRequest(q: Queryable, requestKey: string): Promise<PlaybookRun | null> {
  const { rows } = await q.query<RunRow>('SELECT * FROM playbook_runs WHERE request_key = $1', [requestKey]);
  return rows[0] ? toRun(rows[0]) : null;
}

/**
 * Runs with no checklist message whose hold ran out (or given up, their starter yet to be told: `what`), claimed for the
 * sweep (see claimUnpostedChecklists).
 */
export async function claimUnpostedRuns(
  q: Queryable,
  limit: number,
  leaseMs: number,
  what: ChecklistClaim = 'post',
): Promise<(PlaybookRun & ClaimedChecklist)[]> {
  const rows = await claimUnpostedChecklists<RunRow>(q, 'run', limit, leaseMs, '', what);
  return rows.map((r) => ({ ...toRun(r), ...claimed(r) }));
}

/** Removes a run that never got its message (its channel refused it): no half-made record is kept. */
export async function deletePlaybookRun(q: Queryable, id: number): Promise<void> {
  await q.query('DELETE FROM playbook_runs WHERE id = $1 AND message_ts IS NULL', [id]);
}

/**
 * Marks a run complete (every step done or skipped) or not; true when that changed it. The row is the run's own, so
 * two ticks that complete it at once record it once.
 */
export async function setPlaybookRunCompleted(q: Queryable, id: number, complete: boolean): Promise<boolean> {
  const { rows } = await q.query(
    complete
      ? 'UPDATE playbook_runs SET completed_at = now() WHERE id = $1 AND completed_at IS NULL RETURNING id'
      : 'UPDATE playbook_runs SET completed_at = NULL WHERE id = $1 AND completed_at IS NOT NULL RETURNING id',
    [id],
  );
  return rows.length === 1;
}

/** What a run's timeline records: the steps' events, and the run starting and completing. */
export type RunEventKind = 'run_started' | 'run_completed' | StepEventKind;

export interface RunEvent {
  id: number;
  runId: number;
  at: Date;
  actorId: string | null;
  kind: RunEventKind;
  details: Record<string, unknown>;
}

export async function insertRunEvent(
  q: Queryable,
  runId: number,
  kind: RunEventKind,
  actorId: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await q.query('INSERT INTO playbook_run_events (run_id, kind, actor_id, details) VALUES ($1, $2, $3, $4)', [
    runId,
    kind,
    actorId,
    JSON.stringify(details),
  ]);
}

export async function listRunEvents(q: Queryable, runId: number): Promise<RunEvent[]> {
  const { rows } = await q.query<{
    id: number;
    run_id: number;
    at: Date | string;
    actor_id: string | null;
    kind: RunEventKind;
    details: Record<string, unknown> | string;
  }>('SELECT * FROM playbook_run_events WHERE run_id = $1 ORDER BY at, id', [runId]);
  return rows.map((r) => ({
    id: Number(r.id),
    runId: Number(r.run_id),
    at: toDate(r.at),
    actorId: r.actor_id,
    kind: r.kind,
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : r.details,
  }));
}
