import { type Database, type Queryable, type StatementPart, toDate } from './db.js';
import { INCIDENT_FIRST, incidentFirst } from './event.repo.js';
import { PAGE_SENT } from './page-predicates.js';

/*
 * Escalation timers (escalation_jobs): made to match an incident's due times (syncJobs) or by hand, claimed when due by
 * the timer loop under a lease, and ended, retried or deferred. What pages record is in page.repo.ts, the timers that
 * redraw page DMs and the card in escalation-redraws.repo.ts.
 */

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

/** A timer the incident's state asks for. */
export interface DesiredJob {
  key: string;
  rule: string;
  role: string | null;
  dueAt: Date;
}

/**
 * How syncJobs treats the timers it finds: `movable` rules follow the incident's due times, `kept` rules' pending
 * timers (made by hand) are not cancelled, and a cancelled timer of a `revive` rule that the incident asks for again
 * is made pending again, with its new due time (every rule, for the change that reopens a resolved incident; the RTO's
 * rules, for a procedure with an RTO attached again).
 */
export interface SyncRules {
  movable: ReadonlySet<string>;
  kept: ReadonlySet<string>;
  revive?: ReadonlySet<string>;
}

/**
 * Makes the stored timers of one incident match `desired` (call inside the transaction that changed the incident):
 * adds missing ones (a key already used, done or cancelled, is not added again: once per reason; a cancelled one is
 * revived when the incident is reopened, see SyncRules), moves the due time of pending ones whose rule is `movable`,
 * cancels pending ones whose reason is gone (except those of the rules in `kept`: timers made by hand that the incident
 * still keeps; those a live process holds, which it ends itself: see LEASED; and those owing the announcement of a page
 * that went out, made due now: see OWES_ANNOUNCEMENT). Returns the earliest pending due time.
 */
export async function syncJobs(
  q: Queryable,
  incidentId: number,
  desired: DesiredJob[],
  rules: SyncRules,
): Promise<Date | null> {
  const part = syncJobsPart('$1', 2, desired, rules);
  const { rows } = await q.query<{ next_due: Date | string | null }>(
    `WITH ${part.with} SELECT ${part.select} AS next_due`,
    [incidentId, ...part.params],
  );
  return nextDueOf(rows[0]?.next_due ?? null);
}

/** The earliest due time `syncJobsPart` selects, as a Date. */
export function nextDueOf(v: unknown): Date | null {
  return v === null || v === undefined ? null : toDate(v as Date | string);
}

/**
 * `syncJobs` as part of another statement (the one that writes the incident's change): `incident` is the parameter
 * that holds the incident's id, `first` the number of the first parameter of this part. Every part of a statement
 * sees the jobs as they were before it, so the moved, added and cancelled sets are disjoint and the last SELECT reads
 * the untouched pending ones. Selects the earliest pending due time (null: none).
 */
export function syncJobsPart(incident: string, first: number, desired: DesiredJob[], rules: SyncRules): StatementPart {
  const [key, rule, role, due, movable, kept, revived] = [0, 1, 2, 3, 4, 5, 6].map((i) => `$${first + i}`);
  // A pending job `j` whose reason is gone, that no live process holds: cancelled, or made due to announce a page.
  const gone = `j.incident_id = ${incident} AND j.state = 'pending' AND j.key <> ALL (${key}::text[])
         AND j.rule <> ALL (${kept}::text[]) AND NOT ${LEASED('j')}`;
  return {
    with: `sync_d AS (
       SELECT * FROM unnest(${key}::text[], ${rule}::text[], ${role}::text[], ${due}::timestamptz[], ${movable}::boolean[])
         AS d (key, rule, role, due_at, movable)
     ), sync_added AS (
       INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
       SELECT ${incident}, d.key, d.rule, d.role, d.due_at FROM sync_d d
       ON CONFLICT (incident_id, key) DO NOTHING
       RETURNING due_at
     ), sync_revived AS (
       UPDATE escalation_jobs j SET state = 'pending', due_at = d.due_at, attempts = 0, locked_until = NULL,
         last_error = NULL, finished_at = NULL
       FROM sync_d d
       WHERE j.incident_id = ${incident} AND j.key = d.key AND j.state = 'cancelled' AND d.rule = ANY (${revived}::text[])
       RETURNING j.due_at
     ), sync_moved AS (
       UPDATE escalation_jobs j SET due_at = d.due_at FROM sync_d d
       WHERE j.incident_id = ${incident} AND j.key = d.key AND j.state = 'pending' AND d.movable
         AND j.fired_at IS NULL AND j.due_at <> d.due_at
       RETURNING j.id, j.due_at
     ), sync_cancelled AS (
       UPDATE escalation_jobs j SET state = 'cancelled', finished_at = now()
       WHERE ${gone} AND NOT ${OWES_ANNOUNCEMENT('j')}
       RETURNING j.id
     ), sync_owed AS (
       UPDATE escalation_jobs j SET due_at = least(j.due_at, now())
       WHERE ${gone} AND ${OWES_ANNOUNCEMENT('j')}
       RETURNING j.id, j.due_at
     )`,
    select: `least(
       (SELECT min(due_at) FROM sync_added),
       (SELECT min(due_at) FROM sync_revived),
       (SELECT min(due_at) FROM sync_moved),
       (SELECT min(due_at) FROM sync_owed),
       (SELECT min(j.due_at) FROM escalation_jobs j
        WHERE j.incident_id = ${incident} AND j.state = 'pending' AND j.id NOT IN (SELECT id FROM sync_moved)
          AND j.id NOT IN (SELECT id FROM sync_cancelled) AND j.id NOT IN (SELECT id FROM sync_owed)))`,
    params: [
      desired.map((d) => d.key),
      desired.map((d) => d.rule),
      desired.map((d) => d.role),
      desired.map((d) => d.dueAt.toISOString()),
      desired.map((d) => rules.movable.has(d.rule)),
      [...rules.kept],
      [...(rules.revive ?? [])],
    ],
  };
}

/** A by-hand escalation; false when that role was already escalated to by hand. */
export async function insertManualJob(
  q: Queryable,
  incidentId: number,
  role: string,
  requestedBy: string,
  /** A person paged by name again: a timer of its own (its key names when), beside the first one's. */
  again?: Date,
): Promise<boolean> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at, requested_by)
     VALUES ($1, $2, 'manual', $3, now(), $4) ON CONFLICT (incident_id, key) DO NOTHING RETURNING id`,
    [incidentId, `manual:${role}${again ? `:again:${again.toISOString()}` : ''}`, role, requestedBy],
  );
  return rows.length === 1;
}

/**
 * Job `j` is held by a live process (its lease not run out): being carried out now, its page perhaps on its way. A
 * change that no longer asks for it leaves it to that process, which decides under the incident's lock before each page
 * whether it is still wanted and ends it (endCalledOff), or to the claim that takes it once the lease runs out.
 */
const LEASED = (j: string) => `(${j}.locked_until IS NOT NULL AND ${j}.locked_until >= clock_timestamp())`;

/**
 * Job `j` has a page that went out and is not announced yet: it reached someone while another of its DMs (or its line
 * in the channel) failed, and the job waits for its retry. A change that no longer asks for the job does not cancel it
 * (the page would never be said: no line in the channel, no `paged` on the timeline, the job cancelled though someone
 * was paged): it is made due now, and its claim announces that page without paging anyone (see claimDue).
 */
const OWES_ANNOUNCEMENT = (j: string) =>
  `EXISTS (SELECT 1 FROM pages op WHERE op.job_id = ${j}.id AND op.announced_at IS NULL AND ${PAGE_SENT('op')})`;

/** A job due now that no process holds (its lease run out, or never taken). */
const JOB_DUE = `j.state = 'pending' AND j.due_at <= clock_timestamp()
  AND (j.locked_until IS NULL OR j.locked_until < clock_timestamp())`;

/**
 * Claims up to `limit` due jobs, earliest first, for this process, in one statement: locks each job and its incident
 * for the transaction (SKIP LOCKED: a job whose row or incident another transaction holds is left for later, and the
 * statement never waits, so it cannot deadlock with a change to an incident), and sets a lease (`locked_until`) so
 * that another process skips them after the commit; a process that dies mid-job (kill -9) only delays them until the
 * lease runs out. `fired_at` is the first time a job was taken. In the same statement: when the next pending job not
 * claimed by it is due (as `nextDueAt` says), so the timer loop need not ask. The jobs of the incidents `held` are
 * neither claimed nor counted as next (they wait for what holds them, which wakes the loop).
 */
export async function claimDueJobs(
  q: Queryable,
  limit: number,
  leaseMs: number,
  held: readonly number[] = [],
): Promise<{ jobs: EscalationJob[]; nextDueAt: Date | null }> {
  const { rows } = await q.query<Partial<JobRow> & { next_due: Date | string | null }>(
    `WITH due AS (
       SELECT j.id FROM escalation_jobs j JOIN incidents i ON i.id = j.incident_id
       WHERE ${JOB_DUE} AND NOT (j.incident_id = ANY($3::int[]))
       ORDER BY j.due_at
       LIMIT $1
       FOR UPDATE OF j, i SKIP LOCKED
     ), claimed AS (
       UPDATE escalation_jobs
       SET locked_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000),
           attempts = attempts + 1,
           fired_at = coalesce(fired_at, clock_timestamp())
       WHERE id IN (SELECT id FROM due)
       RETURNING *
     )
     SELECT c.*, n.next_due FROM (
       SELECT min(greatest(due_at, coalesce(locked_until, due_at))) AS next_due FROM escalation_jobs
       WHERE state = 'pending' AND id NOT IN (SELECT id FROM due) AND NOT (incident_id = ANY($3::int[]))
     ) n LEFT JOIN claimed c ON true`,
    [limit, leaseMs, held],
  );
  const next = rows[0]?.next_due ?? null;
  const jobs = rows
    .filter((r): r is JobRow & { next_due: Date | string | null } => r.id !== null && r.id !== undefined)
    .map(toJob)
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.id - b.id);
  return { jobs, nextDueAt: next === null ? null : toDate(next) };
}

/** When the next pending job is due, leased ones when their lease ends: the loop's sleep, asked two ways below. */
const NEXT_PENDING =
  "SELECT min(greatest(due_at, coalesce(locked_until, due_at))) FROM escalation_jobs WHERE state = 'pending'";

/**
 * Whether a job is due now (as `claimDueJobs` would take it, but for the locks it skips), and when the next pending
 * one is: one statement outside a transaction, for a loop with nothing due to skip the claim's. The jobs of the
 * incidents `held` count for neither.
 */
export async function peekDueJobs(
  q: Queryable,
  held: readonly number[] = [],
): Promise<{ due: boolean; nextDueAt: Date | null }> {
  const { rows } = await q.query<{ due: boolean; at: Date | string | null }>(
    `SELECT EXISTS (SELECT 1 FROM escalation_jobs j WHERE ${JOB_DUE} AND NOT (j.incident_id = ANY($1::int[]))) AS due,
            (${NEXT_PENDING} AND NOT (incident_id = ANY($1::int[]))) AS at`,
    [held],
  );
  const at = rows[0]?.at ?? null;
  return { due: rows[0]?.due === true, nextDueAt: at === null ? null : toDate(at) };
}

/** When the next pending job is due (including ones leased by a process that may have died). */
export async function nextDueAt(q: Queryable): Promise<Date | null> {
  const { rows } = await q.query<{ at: Date | string | null }>(`SELECT (${NEXT_PENDING}) AS at`);
  const at = rows[0]?.at ?? null;
  return at === null ? null : toDate(at);
}

export async function cancelJobs(q: Queryable, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await q.query(
    `UPDATE escalation_jobs SET state = 'cancelled', finished_at = now(), locked_until = NULL WHERE id = ANY($1::int[])`,
    [ids],
  );
}

/** A reminder job is done: its timeline event and the job's end, in one statement. */
export async function finishReminder(
  db: Database,
  jobId: number,
  event: { incidentId: number; details: Record<string, unknown> },
): Promise<void> {
  await db.query(
    `WITH ${incidentFirst('$2')}, ev AS (
       INSERT INTO incident_events (incident_id, kind, actor_id, details)
       SELECT $2, 'reminder_sent', NULL, $3::jsonb WHERE ${INCIDENT_FIRST}
     )
     UPDATE escalation_jobs SET state = 'done', finished_at = now(), locked_until = NULL
     WHERE id = $1 AND ${INCIDENT_FIRST}`,
    [jobId, event.incidentId, JSON.stringify(event.details)],
  );
}

/**
 * A claimed paging job that its incident, changed since the claim (acknowledged, resolved), no longer asks for: ended
 * before its next page goes (call under the incident's lock, after deciding so). Done when a page of it went out (the
 * timeline and the card say whom it paged: it ran), else cancelled (called off before it paged anyone, as the claim
 * cancels a job whose reason is gone). Only while it is still that attempt (`attempts` as claimed, still pending).
 */
export async function endCalledOff(q: Queryable, id: number, attempts: number): Promise<void> {
  await q.query(
    `UPDATE escalation_jobs j
     SET state = CASE WHEN EXISTS (SELECT 1 FROM pages p WHERE p.job_id = j.id AND ${PAGE_SENT('p')})
                      THEN 'done' ELSE 'cancelled' END,
         finished_at = now(), locked_until = NULL
     WHERE j.id = $1 AND j.attempts = $2 AND j.state = 'pending'`,
    [id, attempts],
  );
}

export async function finishJob(q: Queryable, id: number, state: 'done' | 'cancelled'): Promise<void> {
  await q.query('UPDATE escalation_jobs SET state = $2, finished_at = now(), locked_until = NULL WHERE id = $1', [
    id,
    state,
  ]);
}

/**
 * A failed attempt of a job: due again at `dueAt`, its lease given up. Only while it is still that attempt (`attempts`
 * as claimed, still pending): an attempt rescheduled late must not move a job another process has claimed since.
 * `byPage`: a paging job's pages that failed in that attempt, each with its own error (Slack's answer), by page id:
 * recorded on each (pages.failure), so that the card says each page's own while its job tries again, not the job's.
 */
export async function retryJob(
  q: Queryable,
  id: number,
  attempts: number,
  dueAt: Date,
  error: string,
  byPage: ReadonlyMap<number, string> = new Map(),
): Promise<void> {
  await q.query(
    `WITH retried AS (
       UPDATE escalation_jobs SET due_at = $2, locked_until = NULL, last_error = $3
       WHERE id = $1 AND attempts = $4 AND state = 'pending'
       RETURNING id
     )
     UPDATE pages p SET failure = e.error
     FROM unnest($5::int[], $6::text[]) AS e (page_id, error)
     WHERE p.id = e.page_id AND p.job_id IN (SELECT id FROM retried)`,
    [id, dueAt, error.slice(0, 1000), attempts, [...byPage.keys()], [...byPage.values()].map((e) => e.slice(0, 1000))],
  );
}

/**
 * An attempt of a job that could not do its work yet for a reason that is not a failure (a redraw finding its page DMs
 * held by another redraw): due again at `dueAt`, its lease given up, and the attempt not counted (its claim's count
 * taken back), so waiting spends none of its tries. Only while it is still that attempt, as retryJob.
 */
export async function deferJob(q: Queryable, id: number, attempts: number, dueAt: Date): Promise<void> {
  await q.query(
    `UPDATE escalation_jobs SET due_at = $2, locked_until = NULL, attempts = attempts - 1
     WHERE id = $1 AND attempts = $3 AND state = 'pending'`,
    [id, dueAt, attempts],
  );
}

/**
 * The latest escalation to a role by hand, not cancelled, made within the last `withinMs` (by the database's clock,
 * the one that stamped it): who asked, and when.
 */
export async function lastManualRequest(
  q: Queryable,
  incidentId: number,
  withinMs: number,
): Promise<{ role: string; requestedBy: string | null; at: Date } | null> {
  const { rows } = await q.query<{ role: string; requested_by: string | null; created_at: Date | string }>(
    `SELECT role, requested_by, created_at FROM escalation_jobs
     WHERE incident_id = $1 AND rule = 'manual' AND state <> 'cancelled'
       AND created_at > clock_timestamp() - make_interval(secs => $2::double precision / 1000)
     ORDER BY created_at DESC, id DESC LIMIT 1`,
    [incidentId, withinMs],
  );
  const r = rows[0];
  return r ? { role: r.role, requestedBy: r.requested_by, at: toDate(r.created_at) } : null;
}

/**
 * Keeps the lease of jobs this process is still running, so no other process takes them over mid-job. Only a lease
 * still held: a job that failed gave its lease up when it was rescheduled (retryJob), and a heartbeat that read its id
 * before then must not lease it again, or its retry waits for the whole lease instead of its backoff.
 */
export async function extendLeases(q: Queryable, ids: number[], leaseMs: number): Promise<void> {
  if (ids.length === 0) return;
  await q.query(
    `UPDATE escalation_jobs SET locked_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000)
     WHERE id = ANY($1::int[]) AND state = 'pending' AND locked_until IS NOT NULL`,
    [ids, leaseMs],
  );
}
