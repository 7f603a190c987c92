import { type JobSpec, MOVABLE_RULES } from '../incidents/escalation-policy.js';
import type { Queryable } from './db.js';

export interface EscalationJob {
  id: number;
  incidentId: number;
  key: string;
  rule: string;
  role: string | null;
  dueAt: Date;
  state: 'pending' | 'done' | 'cancelled';
  attempts: number;
  firedAt: Date | null;
  requestedBy: string | null;
}

interface JobRow {
  id: number;
  incident_id: number;
  key: string;
  rule: string;
  role: string | null;
  due_at: Date | string;
  state: EscalationJob['state'];
  attempts: number;
  fired_at: Date | string | null;
  requested_by: string | null;
}

const toDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));
const toJob = (r: JobRow): EscalationJob => ({
  id: Number(r.id),
  incidentId: Number(r.incident_id),
  key: r.key,
  rule: r.rule,
  role: r.role,
  dueAt: toDate(r.due_at),
  state: r.state,
  attempts: Number(r.attempts),
  firedAt: r.fired_at === null ? null : toDate(r.fired_at),
  requestedBy: r.requested_by,
});

/**
 * Makes the stored timers of one incident match `desired` (call inside the transaction that changed the incident):
 * adds missing ones (a key already used, even done or cancelled, is never added again: once per reason), moves the
 * due time of movable pending ones, cancels pending ones whose reason is gone. Returns the earliest pending due time.
 */
export async function syncJobs(
  q: Queryable,
  incidentId: number,
  desired: JobSpec[],
  keepManual: boolean,
): Promise<Date | null> {
  const { rows } = await q.query<JobRow>('SELECT * FROM escalation_jobs WHERE incident_id = $1', [incidentId]);
  const existing = new Map(rows.map((r) => [r.key, toJob(r)]));
  const wanted = new Set(desired.map((d) => d.key));
  for (const d of desired) {
    const e = existing.get(d.key);
    if (!e) {
      await q.query(
        `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (incident_id, key) DO NOTHING`,
        [incidentId, d.key, d.rule, d.role, d.dueAt],
      );
    } else if (e.state === 'pending' && MOVABLE_RULES.has(d.rule) && e.dueAt.getTime() !== d.dueAt.getTime()) {
      await q.query('UPDATE escalation_jobs SET due_at = $2 WHERE id = $1', [e.id, d.dueAt]);
    }
  }
  for (const e of existing.values()) {
    if (e.state !== 'pending') continue;
    const keep = e.rule === 'manual' ? keepManual : wanted.has(e.key);
    if (!keep) {
      await q.query(`UPDATE escalation_jobs SET state = 'cancelled', finished_at = now() WHERE id = $1`, [e.id]);
    }
  }
  const next = await q.query<{ due_at: Date | string | null }>(
    `SELECT min(due_at) AS due_at FROM escalation_jobs WHERE incident_id = $1 AND state = 'pending'`,
    [incidentId],
  );
  const due = next.rows[0]?.due_at ?? null;
  return due === null ? null : toDate(due);
}

/** A by-hand escalation; false when that role was already escalated to by hand. */
export async function insertManualJob(
  q: Queryable,
  incidentId: number,
  role: string,
  requestedBy: string,
): Promise<boolean> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at, requested_by)
     VALUES ($1, $2, 'manual', $3, now(), $4) ON CONFLICT (incident_id, key) DO NOTHING RETURNING id`,
    [incidentId, `manual:${role}`, role, requestedBy],
  );
  return rows.length === 1;
}

/**
 * Claims due jobs for this worker: a lease (`locked_until`) so that a second process skips them, and a process that
 * dies mid-job (kill -9) only delays them until the lease runs out.
 */
export async function claimDueJobs(q: Queryable, limit: number, leaseMs: number): Promise<EscalationJob[]> {
  const { rows } = await q.query<JobRow>(
    `UPDATE escalation_jobs j
     SET locked_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000),
         attempts = j.attempts + 1,
         fired_at = coalesce(j.fired_at, clock_timestamp())
     WHERE j.id IN (
       SELECT id FROM escalation_jobs
       WHERE state = 'pending' AND due_at <= clock_timestamp() AND (locked_until IS NULL OR locked_until < clock_timestamp())
       ORDER BY due_at
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     )
     RETURNING j.*`,
    [limit, leaseMs],
  );
  return rows.map(toJob).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
}

/** When the next pending job is due (including ones leased by a process that may have died). */
export async function nextDueAt(q: Queryable): Promise<Date | null> {
  const { rows } = await q.query<{ at: Date | string | null }>(
    `SELECT min(greatest(due_at, coalesce(locked_until, due_at))) AS at FROM escalation_jobs WHERE state = 'pending'`,
  );
  const at = rows[0]?.at ?? null;
  return at === null ? null : toDate(at);
}

export async function finishJob(q: Queryable, id: number, state: 'done' | 'cancelled'): Promise<void> {
  await q.query('UPDATE escalation_jobs SET state = $2, finished_at = now(), locked_until = NULL WHERE id = $1', [
    id,
    state,
  ]);
}

/** A failed attempt: try again at `dueAt`. */
export async function retryJob(q: Queryable, id: number, dueAt: Date, error: string): Promise<void> {
  await q.query('UPDATE escalation_jobs SET due_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1', [
    id,
    dueAt,
    error.slice(0, 1000),
  ]);
}

export async function getJobForUpdate(q: Queryable, id: number): Promise<EscalationJob | null> {
  const { rows } = await q.query<JobRow>('SELECT * FROM escalation_jobs WHERE id = $1 FOR UPDATE', [id]);
  return rows[0] ? toJob(rows[0]) : null;
}

export async function pagedRoles(q: Queryable, incidentId: number): Promise<Set<string>> {
  const { rows } = await q.query<{ role: string }>('SELECT DISTINCT role FROM pages WHERE incident_id = $1', [
    incidentId,
  ]);
  return new Set(rows.map((r) => r.role));
}

/** Records that a job pages a role (idempotent); returns the page id. */
export async function upsertPage(
  q: Queryable,
  incidentId: number,
  jobId: number,
  role: string,
  rule: string,
): Promise<number> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO pages (incident_id, job_id, role, rule) VALUES ($1, $2, $3, $4)
     ON CONFLICT (job_id, role) DO UPDATE SET role = EXCLUDED.role RETURNING id`,
    [incidentId, jobId, role, rule],
  );
  return Number(rows[0]!.id);
}

export async function deliveredTo(q: Queryable, pageId: number): Promise<Set<string>> {
  const { rows } = await q.query<{ user_id: string }>('SELECT user_id FROM page_deliveries WHERE page_id = $1', [
    pageId,
  ]);
  return new Set(rows.map((r) => r.user_id));
}

export async function recordDelivery(q: Queryable, pageId: number, userId: string): Promise<void> {
  await q.query('INSERT INTO page_deliveries (page_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
    pageId,
    userId,
  ]);
}

export interface EscalationSummary {
  paged: { role: string; rule: string; at: Date }[];
  next: { role: string | null; rule: string; dueAt: Date } | null;
}

/** What the card shows: who has been paged, and the next pending page with its time. */
export async function escalationSummary(q: Queryable, incidentId: number): Promise<EscalationSummary> {
  const paged = await q.query<{ role: string; rule: string; created_at: Date | string }>(
    'SELECT role, rule, created_at FROM pages WHERE incident_id = $1 ORDER BY created_at, id',
    [incidentId],
  );
  const next = await q.query<{ role: string | null; rule: string; due_at: Date | string }>(
    `SELECT role, rule, due_at FROM escalation_jobs
     WHERE incident_id = $1 AND state = 'pending' AND rule <> 'next_update' AND fired_at IS NULL
     ORDER BY due_at LIMIT 1`,
    [incidentId],
  );
  const n = next.rows[0];
  return {
    paged: paged.rows.map((r) => ({ role: r.role, rule: r.rule, at: toDate(r.created_at) })),
    next: n ? { role: n.role, rule: n.rule, dueAt: toDate(n.due_at) } : null,
  };
}

export async function pageAnnounced(q: Queryable, pageId: number): Promise<boolean> {
  const { rows } = await q.query<{ announced_at: Date | null }>('SELECT announced_at FROM pages WHERE id = $1', [
    pageId,
  ]);
  return Boolean(rows[0]?.announced_at);
}

export async function markPageAnnounced(q: Queryable, pageId: number): Promise<void> {
  await q.query('UPDATE pages SET announced_at = now() WHERE id = $1', [pageId]);
}

export async function pendingManualRoles(q: Queryable, incidentId: number): Promise<Set<string>> {
  const { rows } = await q.query<{ role: string }>(
    `SELECT role FROM escalation_jobs WHERE incident_id = $1 AND rule = 'manual' AND state = 'pending'`,
    [incidentId],
  );
  return new Set(rows.map((r) => r.role));
}

/** Keeps the lease of jobs this process is still running, so no other process takes them over mid-job. */
export async function extendLeases(q: Queryable, ids: number[], leaseMs: number): Promise<void> {
  if (ids.length === 0) return;
  await q.query(
    `UPDATE escalation_jobs SET locked_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000)
     WHERE id = ANY($1::int[]) AND state = 'pending'`,
    [ids, leaseMs],
  );
}
