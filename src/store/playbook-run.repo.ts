import type { PlaybookRun, StepEventKind } from '../incidents/playbook-host.js';
import type { Queryable } from './db.js';

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

const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));

const toRun = (r: RunRow): PlaybookRun => ({
  id: Number(r.id),
  teamId: r.team_id,
  playbookId: r.playbook_id,
  channelId: r.channel_id,
  messageTs: r.message_ts,
  startedBy: r.started_by,
  startedAt: date(r.started_at),
  completedAt: r.completed_at === null ? null : date(r.completed_at),
});

/**
 * Records a playbook run outside an incident; null when this request key already started one (a Slack retry, a
 * double submit).
 */
export async function insertPlaybookRun(
  q: Queryable,
  r: { teamId: string; playbookId: string; channelId: string; startedBy: string; requestKey: string },
  /** How long its process holds it while it posts its checklist (renewPlaybookRunPost), before the sweep may. */
  postLeaseMs: number,
): Promise<PlaybookRun | null> {
  const { rows } = await q.query<RunRow>(
    `INSERT INTO playbook_runs (team_id, playbook_id, channel_id, started_by, request_key, message_lease_until)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6::double precision / 1000))
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
 * Records where a run's checklist message went, unless one is recorded already (a process taking over a post it
 * thought dead recorded its own first): the run's message then, this one or the one recorded before; null when the run
 * is gone.
 */
export async function setPlaybookRunMessage(q: Queryable, id: number, ts: string): Promise<string | null> {
  const { rows } = await q.query<{ message_ts: string | null }>(
    `WITH kept AS (
       UPDATE playbook_runs SET message_ts = $2, message_lease_until = NULL
        WHERE id = $1 AND message_ts IS NULL RETURNING message_ts
     )
     SELECT message_ts FROM kept
     UNION ALL
     SELECT message_ts FROM playbook_runs WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM kept)`,
    [id, ts],
  );
  return rows[0]?.message_ts ?? null;
}

/*
 * A run's checklist message while it is being posted (migration 093): the posting process holds the run
 * (message_lease_until), renewing its hold while Slack takes the post. A run with no message whose hold ran out (its
 * process died, or its post's answer was lost) is the timer loop's sweep's (PlaybookRunMessages).
 */

const UNPOSTED = 'message_ts IS NULL AND message_lease_until <= now()';

/** The timer loop's look before its sweep (see `sweepWhen`): a run's checklist may be up unrecorded, or not up. */
export const RUN_CHECKLISTS_UNPOSTED = `EXISTS (SELECT 1 FROM playbook_runs WHERE ${UNPOSTED})`;

const leaseFor = (param: string) => `now() + make_interval(secs => ${param}::double precision / 1000)`;

/** Its process is still posting its checklist: held `leaseMs` more. */
export async function renewPlaybookRunPost(q: Queryable, id: number, leaseMs: number): Promise<void> {
  await q.query(
    `UPDATE playbook_runs SET message_lease_until = ${leaseFor('$2')}
      WHERE id = $1 AND message_ts IS NULL AND message_lease_until IS NOT NULL`,
    [id, leaseMs],
  );
}

/** Its post's answer was lost (Slack may have taken it): left to the sweep now, rather than once its hold runs out. */
export async function releasePlaybookRunPost(q: Queryable, id: number): Promise<void> {
  await q.query(
    `UPDATE playbook_runs SET message_lease_until = now()
      WHERE id = $1 AND message_ts IS NULL AND message_lease_until IS NOT NULL`,
    [id],
  );
}

/**
 * Runs with no message whose hold ran out, claimed by one process at a time (SKIP LOCKED), each held `leaseMs` (a
 * process that dies leaves it to another after that), its attempt counted: `attempts` so far, this one included.
 */
export async function claimUnpostedRuns(
  q: Queryable,
  limit: number,
  leaseMs: number,
): Promise<(PlaybookRun & { attempts: number })[]> {
  const { rows } = await q.query<RunRow & { message_attempts: number }>(
    `UPDATE playbook_runs SET message_lease_until = ${leaseFor('$2')}, message_attempts = message_attempts + 1
      WHERE id IN (
        SELECT id FROM playbook_runs WHERE ${UNPOSTED} ORDER BY message_lease_until LIMIT $1 FOR UPDATE SKIP LOCKED
      )
      RETURNING *`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({ ...toRun(r), attempts: Number(r.message_attempts) }));
}

/** Looked for (or posted) again no sooner than `at` (Slack failed the last attempt). */
export async function retryPlaybookRunPostAt(q: Queryable, id: number, at: Date): Promise<void> {
  await q.query(
    'UPDATE playbook_runs SET message_lease_until = $2 WHERE id = $1 AND message_ts IS NULL AND message_lease_until IS NOT NULL',
    [id, at],
  );
}

/** Given up: its checklist neither found nor posted after the sweep's attempts; the sweep leaves it (logged). */
export async function givePlaybookRunPostUp(q: Queryable, id: number): Promise<void> {
  await q.query(
    'UPDATE playbook_runs SET message_lease_until = NULL, message_given_up_at = now() WHERE id = $1 AND message_ts IS NULL',
    [id],
  );
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
    at: date(r.at),
    actorId: r.actor_id,
    kind: r.kind,
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : r.details,
  }));
}
