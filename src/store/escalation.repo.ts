import type { PageDmAt, PageDmState } from '../incidents/ports.js';
import type { PagedIncident } from '../incidents/types.js';
import { alertsAllResolvedOf } from './alert-incident.repo.js';
import { type Database, jsonOf, type Queryable, type StatementPart } from './db.js';
import { INCIDENT_FIRST, incidentFirst } from './event.repo.js';
import { type IncidentRow, toIncident } from './incident.repo.js';

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
 * Page `p` went out: the channel was told of it (its record's end), or one of its direct messages reached someone (the
 * job may be retrying the others). A page is recorded when its job is claimed, before any message: till then it is
 * not paged, only being paged.
 */
const PAGE_SENT = (p: string) =>
  `(${p}.announced_at IS NOT NULL
    OR EXISTS (SELECT 1 FROM page_deliveries sd WHERE sd.page_id = ${p}.id AND NOT sd.unreachable))`;

/**
 * Page `p` counts as paging its role: it went out, or it is going out (its job still pending: being sent, or tried
 * again after a failure). A role whose page is being sent is counted so that Escalate now and a round do not page it
 * a second time once that page gets through. Not a page whose job ended before it went: called off (acknowledged,
 * resolved meanwhile) or given up (failed try after try: giveUpPages). Those are not paged, and may be paged again.
 */
const PAGE_COUNTS = (p: string) =>
  `(${PAGE_SENT(p)}
    OR EXISTS (SELECT 1 FROM escalation_jobs cj WHERE cj.id = ${p}.job_id AND cj.state = 'pending'))`;

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
 * still keeps). Returns the earliest pending due time.
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
       WHERE j.incident_id = ${incident} AND j.state = 'pending' AND j.key <> ALL (${key}::text[])
         AND j.rule <> ALL (${kept}::text[])
       RETURNING j.id
     )`,
    select: `least(
       (SELECT min(due_at) FROM sync_added),
       (SELECT min(due_at) FROM sync_revived),
       (SELECT min(due_at) FROM sync_moved),
       (SELECT min(j.due_at) FROM escalation_jobs j
        WHERE j.incident_id = ${incident} AND j.state = 'pending'
          AND j.id NOT IN (SELECT id FROM sync_moved) AND j.id NOT IN (SELECT id FROM sync_cancelled)))`,
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

/** A page a job decided on, as stored: whether the channel has been told, and who has been reached already. */
export interface StoredPage {
  id: number;
  incidentId: number;
  jobId: number;
  role: string;
  announced: boolean;
  /** Whom its direct messages reached, or were tried on and could not reach (`unreachable`). */
  deliveredTo: Set<string>;
  /** Those of `deliveredTo` its direct messages could not reach (Slack said user_not_found …): not paged by it. */
  unreachable: Set<string>;
  /** When the page was first tried: its row is made in the claim that first fires its job, before any message. */
  createdAt: Date;
  /** It went out or is going out (PAGE_COUNTS): not a page called off or given up before it went. */
  counts: boolean;
}

/** The pages of some incidents, with their deliveries (a retried job knows whom it reached before). */
export async function pagesOfIncidents(q: Queryable, incidentIds: number[]): Promise<StoredPage[]> {
  if (incidentIds.length === 0) return [];
  const { rows } = await q.query<{
    id: number;
    incident_id: number;
    job_id: number;
    role: string;
    announced_at: Date | string | null;
    created_at: Date | string;
    delivered: string[] | null;
    unreachable: string[] | null;
    counts: boolean;
  }>(
    `SELECT p.id, p.incident_id, p.job_id, p.role, p.announced_at, p.created_at,
            (SELECT array_agg(d.user_id) FROM page_deliveries d WHERE d.page_id = p.id) AS delivered,
            (SELECT array_agg(d.user_id) FROM page_deliveries d WHERE d.page_id = p.id AND d.unreachable)
              AS unreachable,
            ${PAGE_COUNTS('p')} AS counts
     FROM pages p WHERE p.incident_id = ANY($1::int[]) ORDER BY p.id`,
    [incidentIds],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    incidentId: Number(r.incident_id),
    jobId: Number(r.job_id),
    role: r.role,
    announced: r.announced_at !== null,
    deliveredTo: new Set(r.delivered ?? []),
    unreachable: new Set(r.unreachable ?? []),
    createdAt: toDate(r.created_at),
    counts: r.counts === true,
  }));
}

/** Records the roles jobs page, in one statement (new ones only: the caller holds the jobs' locks); returns them. */
export async function insertPages(
  q: Queryable,
  pages: { incidentId: number; jobId: number; role: string; rule: string }[],
): Promise<{ id: number; jobId: number; role: string }[]> {
  if (pages.length === 0) return [];
  const { rows } = await q.query<{ id: number; job_id: number; role: string }>(
    `INSERT INTO pages (incident_id, job_id, role, rule)
     SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::text[])
     RETURNING id, job_id, role`,
    [pages.map((p) => p.incidentId), pages.map((p) => p.jobId), pages.map((p) => p.role), pages.map((p) => p.rule)],
  );
  return rows.map((r) => ({ id: Number(r.id), jobId: Number(r.job_id), role: r.role }));
}

export async function cancelJobs(q: Queryable, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await q.query(
    `UPDATE escalation_jobs SET state = 'cancelled', finished_at = now(), locked_until = NULL WHERE id = ANY($1::int[])`,
    [ids],
  );
}

/**
 * The people the incident's pages other than `pageId` reached (or tried to reach) since `since` (its last opening): who
 * a page by hand of a role does not page again.
 */
export async function pagedPeopleSince(
  q: Queryable,
  incidentId: number,
  pageId: number,
  since: Date,
): Promise<Set<string>> {
  const { rows } = await q.query<{ user_id: string }>(
    `SELECT DISTINCT d.user_id FROM page_deliveries d JOIN pages p ON p.id = d.page_id
     WHERE p.incident_id = $1 AND p.id <> $2 AND p.created_at >= $3 AND NOT d.unreachable`,
    [incidentId, pageId, since],
  );
  return new Set(rows.map((r) => r.user_id));
}

/**
 * Records whom a page reached (or tried to reach), with where its direct message is when it was sent (`dms`) and the
 * severity it shows (`severity`: the incident's as the page was drawn; a later change shows it again). True when a DM
 * it records is behind the incident already (a change made while the page was on its way, whose timer found nothing
 * of it to show): then a `redraw_pages` timer due now, written with it, shows it. With `more`, what the DMs leave for
 * the page's notify: rules too (pageNotificationsPart): one round trip in all.
 */
export async function recordDeliveries(
  q: Queryable,
  pageId: number,
  userIds: string[],
  dms: ReadonlyMap<string, PageDmAt> = new Map(),
  /** Those of `userIds` the page could not reach: recorded as tried, not as paged. */
  unreachable: ReadonlySet<string> = new Set(),
  severity: number | null = null,
  /** The role its DMs offer to escalate to ('' for none; see pageDmDrawn). */
  escalateTo: string | null = null,
  /** The commander that Escalate to … was chosen with ('' for none; null for a page without one). */
  commander: string | null = null,
  /** What else the page's DMs leave, written in the same statement (its notify: rules' records: pageNotificationsPart). */
  more?: (first: number) => StatementPart,
  /**
   * The people its DMs still failed for on its job's last try, with Slack's answer, when it reached someone: recorded
   * on the page as never reached by it (pages.missed, failure).
   */
  missed?: { userIds: string[]; error: string },
): Promise<boolean> {
  if (userIds.length === 0 && !more && !missed) return false;
  const part = more?.(11);
  // Drawn before a change that its timer has shown already (the page was on its way): a timer of its own shows it.
  const { rows } = await q.query<{ late: boolean }>(
    `WITH ${part?.with ? `${part.with}, ` : ''}ins AS (
       INSERT INTO page_deliveries (page_id, user_id, dm_channel, dm_ts, unreachable, dm_severity, dm_escalate_to,
                                   dm_commander)
       SELECT $1, u.user_id, u.channel, u.ts, u.unreachable, $6::smallint, $7::text, $8::text
       FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[]) AS u (user_id, channel, ts, unreachable)
       ON CONFLICT DO NOTHING
       RETURNING dm_ts, dm_severity, dm_escalate_to, dm_commander
     ), late AS (
       INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
       SELECT p.incident_id, 'redraw_pages@late:' || p.id || ':' || clock_timestamp(), 'redraw_pages', NULL, now()
       FROM pages p JOIN incidents i ON i.id = p.incident_id
       WHERE p.id = $1 AND i.status <> 'resolved'
         AND EXISTS (SELECT 1 FROM ins WHERE ins.dm_ts IS NOT NULL
                     AND (${PAGE_ACKNOWLEDGED} OR ${DRAWN_BEHIND('ins', 'i')}))
       ON CONFLICT (incident_id, key) DO NOTHING
       RETURNING id
     ), missed AS (
       UPDATE pages SET missed = $9::text[], failure = $10::text WHERE id = $1 AND $9::text[] IS NOT NULL
     )
     SELECT EXISTS (SELECT 1 FROM late) AS late`,
    [
      pageId,
      userIds,
      userIds.map((u) => dms.get(u)?.channel ?? null),
      userIds.map((u) => dms.get(u)?.ts ?? null),
      userIds.map((u) => unreachable.has(u)),
      severity,
      escalateTo,
      commander,
      missed?.userIds ?? null,
      missed ? missed.error.slice(0, 1000) : null,
      ...(part?.params ?? []),
    ],
  );
  return rows[0]?.late === true;
}

/**
 * Whether a first page DM drawn with the commander `drawnWith` (a column; null: not recorded, not compared) was drawn
 * with another commander than incident `i`'s now: its Escalate to … may pass over the wrong role (see
 * EscalationService.nextEscalation).
 */
const OTHER_COMMANDER = (drawnWith: string, i: string) =>
  `(${drawnWith} IS NOT NULL AND ${drawnWith} <> coalesce(${i}.commander_id, ''))`;

/**
 * A role an escalation may not offer again for the incident `i` (in a query that has it): paged (or being paged:
 * PAGE_COUNTS) in its current opening, or asked for by hand and not paged yet (as takenRoles reads).
 */
const TAKEN_ROLE = (role: string, i: string) =>
  `(EXISTS (SELECT 1 FROM pages tp WHERE tp.incident_id = ${i}.id AND tp.role = ${role}
            AND tp.created_at >= coalesce(${i}.reopened_at, ${i}.created_at) AND ${PAGE_COUNTS('tp')})
    OR EXISTS (SELECT 1 FROM escalation_jobs tj WHERE tj.incident_id = ${i}.id AND tj.rule = 'manual'
               AND tj.state = 'pending' AND tj.role = ${role}))`;

/**
 * Whether a page's first direct message drawn with `d`'s recorded columns (dm_severity, dm_escalate_to, dm_commander)
 * shows incident `i` as it was before a change: another severity, an Escalate to … of a role paged since in this
 * opening (or asked for by hand), or an Escalate to … chosen with another commander.
 */
const DRAWN_BEHIND = (d: string, i: string) =>
  `(${d}.dm_severity IS DISTINCT FROM ${i}.severity
    OR (${d}.dm_escalate_to <> '' AND ${TAKEN_ROLE(`${d}.dm_escalate_to`, i)})
    OR ${OTHER_COMMANDER(`${d}.dm_commander`, i)})`;

/**
 * A timer that shows the incident's page direct messages again (`redraw_pages`) under `key`, due now, made by hand
 * (a person acknowledging their own page; a page of more roles, by the claim that records it). Nothing when that key
 * was used already, nor, given `offering`, when no DM still open offers to escalate to one of those roles (a page of
 * them leaves none behind). True when it was written.
 */
export async function insertRedrawJob(
  q: Queryable,
  incidentId: number,
  key: string,
  { offering }: { offering?: readonly string[] } = {},
): Promise<boolean> {
  const { rows } = await q.query(
    `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
     SELECT $1, $2, 'redraw_pages', NULL, now()
     WHERE $3::text[] IS NULL OR EXISTS (
       SELECT 1 FROM page_deliveries d JOIN pages p ON p.id = d.page_id
       WHERE p.incident_id = $1 AND d.dm_ts IS NOT NULL AND d.dm_state = 'open' AND d.dm_gone IS NULL
         AND d.dm_escalate_to = ANY ($3::text[]))
     ON CONFLICT (incident_id, key) DO NOTHING
     RETURNING id`,
    [incidentId, key, offering ? [...offering] : null],
  );
  return rows.length === 1;
}

/**
 * A timer that shows the incident's page direct messages again (`redraw_pages`), due now, written with a change of
 * command (in its transaction, the incident's row as the change leaves it): only when a DM still open was drawn with
 * another commander (its Escalate to … passes over the roles the commander is on call for). True when it was written.
 */
export async function insertCommandRedrawJob(q: Queryable, incidentId: number): Promise<boolean> {
  const { rows } = await q.query(
    `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
     SELECT i.id, 'redraw_pages@command:' || clock_timestamp(), 'redraw_pages', NULL, now()
     FROM incidents i
     WHERE i.id = $1 AND i.status <> 'resolved' AND EXISTS (
       SELECT 1 FROM page_deliveries d JOIN pages p ON p.id = d.page_id
       WHERE p.incident_id = i.id AND d.dm_ts IS NOT NULL AND d.dm_state = 'open' AND d.dm_gone IS NULL
         AND NOT ${PAGE_ACKNOWLEDGED} AND ${OTHER_COMMANDER('d.dm_commander', 'i')})
     ON CONFLICT (incident_id, key) DO NOTHING
     RETURNING id`,
    [incidentId],
  );
  return rows.length === 1;
}

/**
 * Timers that show page direct messages again (`redraw_pages`, due now), written when the people on call changed (a
 * hand-off past: a rotation's, an override or a swap starting or ending): one for each open incident with a role's
 * page DM still open that someone runs (its commander, or who acknowledged it), since its Escalate to … passes over a
 * role whose people on call all run the incident (see EscalationService.nextEscalation). The timer draws only those
 * whose Escalate to … changed (PageDmRedraw). Returns how many were written.
 */
export async function insertOnCallRedrawJobs(q: Queryable): Promise<number> {
  const { rows } = await q.query(
    `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
     SELECT i.id, 'redraw_pages@oncall:' || clock_timestamp(), 'redraw_pages', NULL, now()
     FROM incidents i
     WHERE i.status <> 'resolved' AND (i.commander_id IS NOT NULL OR i.acknowledged_by IS NOT NULL) AND EXISTS (
       SELECT 1 FROM page_deliveries d JOIN pages p ON p.id = d.page_id
       WHERE p.incident_id = i.id AND d.dm_ts IS NOT NULL AND d.dm_state = 'open' AND d.dm_gone IS NULL
         AND d.dm_escalate_to IS NOT NULL AND NOT ${PAGE_ACKNOWLEDGED})
     ON CONFLICT (incident_id, key) DO NOTHING
     RETURNING id`,
  );
  return rows.length;
}

/**
 * A timer that shows the incident's card again (`redraw_card`), due at `dueAt`: written when a fired timer's refresh of
 * the card failed. One pending at a time per incident (it shows the card as the incident is when it fires).
 */
export async function insertCardRedrawJob(q: Queryable, incidentId: number, dueAt: Date): Promise<void> {
  await q.query(
    `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
     SELECT $1, 'redraw_card@' || clock_timestamp(), 'redraw_card', NULL, $2
     WHERE NOT EXISTS (SELECT 1 FROM escalation_jobs
                       WHERE incident_id = $1 AND rule = 'redraw_card' AND state = 'pending' AND attempts = 0)
     ON CONFLICT (incident_id, key) DO NOTHING`,
    [incidentId, dueAt],
  );
}

/**
 * Whether page `p` of incident `i` was acknowledged: by the person paged (the page's own acknowledgement), or by the
 * incident's, when the page came before it (a page made after it is answered only by its own).
 */
const PAGE_ACKNOWLEDGED =
  '(p.acknowledged_at IS NOT NULL OR (i.acknowledged_at IS NOT NULL AND p.created_at <= i.acknowledged_at))';

/** A page's direct message still showing its page as open (nobody answered it): what it was sent for. */
export interface OpenPageDm extends PageDmAt {
  pageId: number;
  jobId: number;
  userId: string;
  /** A later Slack step of the page (its notification job's id); null for the page's first DM. */
  step: number | null;
  role: string;
  rule: string;
  requestedBy: string | null;
  /** Why it was paged, as the channel was told when it went (null: not recorded). */
  reason: string | null;
  /**
   * The role its Escalate to … offered as it was last drawn ('' for none); null for a later Slack step (none) or a DM
   * drawn before this was recorded (not compared).
   */
  drawnEscalateTo: string | null;
  /**
   * Behind the incident as the database tells: drawn with a severity other than the incident's now (or not known), an
   * Escalate to … of a role paged since in this opening (or asked for by hand), or one chosen with another commander
   * (its Escalate to … passed over other roles). Who is on call is not in the database: see PageDmRedraw.
   */
  behind: boolean;
}

/**
 * The incident's page direct messages that still show their page open (not acknowledged, the incident neither
 * acknowledged since nor resolved): what a change of the incident they show (its severity) updates, each with whether
 * it is behind the incident as recorded (`behind`), which the change's timer shows again.
 */
export async function openPageDms(q: Queryable, incidentId: number): Promise<OpenPageDm[]> {
  const { rows } = await q.query<{
    page_id: number;
    job_id: number;
    user_id: string;
    step: number | null;
    dm_channel: string;
    dm_ts: string;
    role: string;
    rule: string;
    requested_by: string | null;
    reason: string | null;
    drawn_escalate_to: string | null;
    behind: boolean;
  }>(
    `WITH dms AS (
       SELECT d.page_id, d.user_id, NULL::int AS step, d.dm_channel, d.dm_ts, d.dm_severity, d.dm_escalate_to,
              d.dm_commander
       FROM page_deliveries d JOIN pages p ON p.id = d.page_id
       WHERE p.incident_id = $1 AND d.dm_ts IS NOT NULL AND d.dm_state = 'open' AND d.dm_gone IS NULL
       UNION ALL
       SELECT n.page_id, n.user_id, n.id, n.dm_channel, n.dm_ts, n.dm_severity, NULL::text, NULL::text
       FROM notification_jobs n
       WHERE n.incident_id = $1 AND n.page_id IS NOT NULL AND n.dm_ts IS NOT NULL AND n.dm_state = 'open'
         AND n.dm_gone IS NULL
     )
     SELECT p.id AS page_id, p.job_id, dms.user_id, dms.step, dms.dm_channel, dms.dm_ts, p.role, p.rule,
            j.requested_by,
            (SELECT e.details->>'reason' FROM incident_events e
             WHERE e.incident_id = p.incident_id AND e.kind = 'paged' AND e.details->>'role' = p.role
               AND e.details->>'rule' = p.rule AND e.at >= p.created_at
             ORDER BY e.at LIMIT 1) AS reason,
            dms.dm_escalate_to AS drawn_escalate_to, ${DRAWN_BEHIND('dms', 'i')} AS behind
     FROM dms JOIN pages p ON p.id = dms.page_id
     JOIN incidents i ON i.id = p.incident_id
     JOIN escalation_jobs j ON j.id = p.job_id
     WHERE i.status <> 'resolved' AND NOT ${PAGE_ACKNOWLEDGED}
     ORDER BY p.id, dms.user_id, dms.step NULLS FIRST`,
    [incidentId],
  );
  return rows.map((r) => ({
    pageId: Number(r.page_id),
    jobId: Number(r.job_id),
    userId: r.user_id,
    step: r.step === null ? null : Number(r.step),
    channel: r.dm_channel,
    ts: r.dm_ts,
    role: r.role,
    rule: r.rule,
    requestedBy: r.requested_by,
    reason: r.reason,
    drawnEscalateTo: r.drawn_escalate_to,
    behind: r.behind === true,
  }));
}

/** A page's direct message that shows less than its page's state: to update (see `pageDmsBehind`). */
export interface PageDmBehind extends PageDmAt {
  pageId: number;
  userId: string;
  /** The page's later Slack step this DM is (its notification job), or null for the page's first DM. */
  step: number | null;
  role: string;
  state: Exclude<PageDmState, 'open'>;
  /** Who answered it: the page's own acknowledgement, else the incident's, or who resolved it. */
  by: string | null;
  at: Date;
}

/**
 * The incident's page direct messages (each page's first DM, and its later Slack steps') whose page has been answered
 * since they were last shown: resolved (the incident is), or acknowledged (by the person paged, or by the incident's
 * acknowledgement when the page came before it; a page made after it is answered only by its own). One statement; a
 * DM without a ts (sent before its place was recorded, or found by a retry) is not among them.
 */
export async function pageDmsBehind(q: Queryable, incidentId: number): Promise<PageDmBehind[]> {
  const { rows } = await q.query<{
    page_id: number;
    user_id: string;
    step: number | null;
    dm_channel: string;
    dm_ts: string;
    role: string;
    state: Exclude<PageDmState, 'open'>;
    by: string | null;
    at: Date;
  }>(
    `WITH pg AS (
       SELECT p.id AS page_id, p.role, s.state,
              CASE s.state WHEN 'resolved' THEN i.resolved_by WHEN 'reopened' THEN i.reopened_by
                   ELSE coalesce(p.acknowledged_by, i.acknowledged_by) END AS by,
              CASE s.state WHEN 'resolved' THEN i.resolved_at WHEN 'reopened' THEN i.reopened_at
                   ELSE coalesce(p.acknowledged_at, i.acknowledged_at) END AS at
       FROM pages p JOIN incidents i ON i.id = p.incident_id
       CROSS JOIN LATERAL (
         SELECT CASE WHEN i.status = 'resolved' THEN 'resolved'
                     WHEN ${PAGE_ACKNOWLEDGED} THEN 'acknowledged'
                     WHEN i.reopened_at IS NOT NULL THEN 'reopened'
                     ELSE 'open' END AS state
       ) s
       WHERE p.incident_id = $1
     ), dms AS (
       SELECT d.page_id, d.user_id, NULL::int AS step, d.dm_channel, d.dm_ts, d.dm_state
       FROM page_deliveries d JOIN pg ON pg.page_id = d.page_id WHERE d.dm_ts IS NOT NULL AND d.dm_gone IS NULL
       UNION ALL
       SELECT n.page_id, n.user_id, n.id, n.dm_channel, n.dm_ts, n.dm_state
       FROM notification_jobs n WHERE n.incident_id = $1 AND n.dm_ts IS NOT NULL AND n.dm_gone IS NULL
     )
     SELECT dms.page_id, dms.user_id, dms.step, dms.dm_channel, dms.dm_ts, pg.role, pg.state, pg.by, pg.at
     FROM dms JOIN pg ON pg.page_id = dms.page_id
     WHERE pg.state <> 'open' AND pg.state <> dms.dm_state
       -- Reopened: only a DM that said it was resolved says so (one sent since still shows its page).
       AND NOT (pg.state = 'reopened' AND dms.dm_state = 'open')
     ORDER BY dms.page_id, dms.user_id, dms.step NULLS FIRST`,
    [incidentId],
  );
  return rows.map((r) => ({
    pageId: Number(r.page_id),
    userId: r.user_id,
    step: r.step === null ? null : Number(r.step),
    channel: r.dm_channel,
    ts: r.dm_ts,
    role: r.role,
    state: r.state,
    by: r.by,
    at: r.at,
  }));
}

/**
 * A page's direct message (its first, or the later Slack step `step`'s) was drawn again, showing `severity`, and (a
 * first DM) offering to escalate to `escalateTo` ('' for none), chosen with `commander` ('' for none; null for a page
 * by name, which offers none).
 *
 * A first DM is recorded under the incident's row (FOR SHARE, taken before the record's statement reads anything): it
 * was drawn from the incident as read before Slack took it, and a change made meanwhile (a hand-over) decides whether
 * the DMs need drawing again from what is recorded. Without the lock each could miss the other: the change, reading
 * the DM as recorded before this drawing (drawn with the commander it hands back to, say), wrote no timer, while this
 * record, read before the change committed, saw nothing newer; the DM was left offering to escalate to the role of
 * the commander. With it, a change under way is waited for and read by the record, and a change after it reads the
 * record. True when the DM is behind the incident as recorded: then a `redraw_pages` timer due now, written with it,
 * shows it again (its redraw holds the DM until it gives it up, and is waited for: see PageDmRedraw.redrawPages).
 */
export async function pageDmDrawn(
  db: Database,
  dm: Pick<OpenPageDm, 'pageId' | 'userId' | 'step'>,
  severity: number,
  escalateTo = '',
  commander: string | null = null,
): Promise<boolean> {
  if (dm.step !== null) {
    // A later Slack step shows only the severity, which changes with a timer of its own (written with the change).
    await db.query('UPDATE notification_jobs SET dm_severity = $2, dm_drawing_until = NULL WHERE id = $1', [
      dm.step,
      severity,
    ]);
    return false;
  }
  return db.transaction(async (tx) => {
    await tx.query('SELECT 1 FROM incidents i JOIN pages p ON p.incident_id = i.id WHERE p.id = $1 FOR SHARE OF i', [
      dm.pageId,
    ]);
    // A statement of its own, after the lock: it reads the incident as any change before it left it.
    const { rows } = await tx.query<{ late: boolean }>(
      `WITH drawn AS (
         UPDATE page_deliveries SET dm_severity = $3, dm_escalate_to = $4, dm_commander = $5, dm_drawing_until = NULL
         WHERE page_id = $1 AND user_id = $2
         RETURNING page_id, dm_state, dm_gone, dm_severity, dm_escalate_to, dm_commander
       ), late AS (
         INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
         SELECT p.incident_id, 'redraw_pages@late:' || p.id || ':' || clock_timestamp(), 'redraw_pages', NULL, now()
         FROM drawn JOIN pages p ON p.id = drawn.page_id JOIN incidents i ON i.id = p.incident_id
         WHERE i.status <> 'resolved' AND drawn.dm_state = 'open' AND drawn.dm_gone IS NULL
           AND NOT ${PAGE_ACKNOWLEDGED} AND ${DRAWN_BEHIND('drawn', 'i')}
         ON CONFLICT (incident_id, key) DO NOTHING
         RETURNING id
       )
       SELECT EXISTS (SELECT 1 FROM late) AS late`,
      [dm.pageId, dm.userId, severity, escalateTo, commander],
    );
    return rows[0]?.late === true;
  });
}

/** A page's direct message (its first, or the later Slack step `step`'s) now shows `state`. */
export async function pageDmShown(
  q: Queryable,
  dm: Pick<PageDmBehind, 'pageId' | 'userId' | 'step'>,
  state: PageDmState,
): Promise<void> {
  if (dm.step === null)
    await q.query(
      'UPDATE page_deliveries SET dm_state = $3, dm_drawing_until = NULL WHERE page_id = $1 AND user_id = $2',
      [dm.pageId, dm.userId, state],
    );
  else
    await q.query('UPDATE notification_jobs SET dm_state = $2, dm_drawing_until = NULL WHERE id = $1', [
      dm.step,
      state,
    ]);
}

/**
 * A page's direct message (its first, or the later Slack step `step`'s) Slack will never update, as it answered
 * (`message_not_found` …): no redraw reads it again.
 */
export async function pageDmGone(
  q: Queryable,
  dm: Pick<PageDmBehind, 'pageId' | 'userId' | 'step'>,
  slackError: string,
): Promise<void> {
  if (dm.step === null)
    await q.query(
      'UPDATE page_deliveries SET dm_gone = $3, dm_drawing_until = NULL WHERE page_id = $1 AND user_id = $2',
      [dm.pageId, dm.userId, slackError],
    );
  else
    await q.query('UPDATE notification_jobs SET dm_gone = $2, dm_drawing_until = NULL WHERE id = $1', [
      dm.step,
      slackError,
    ]);
}

/** A page's direct message: its first (`step` null) or a later Slack step's. */
export type PageDmKey = Pick<OpenPageDm, 'pageId' | 'userId' | 'step'>;

/** One key for a page's direct message (see PageDmKey). */
export const pageDmKey = (dm: PageDmKey): string => `${dm.pageId}:${dm.userId}:${dm.step ?? ''}`;

const dmArrays = (dms: readonly PageDmKey[]) => [
  dms.map((d) => d.pageId),
  dms.map((d) => d.userId),
  dms.map((d) => d.step),
];

/**
 * Takes the lease of drawing `dms` for `leaseMs` (see migration 064), those no other redraw holds: their keys
 * (pageDmKey). One statement.
 */
export async function claimPageDms(q: Queryable, dms: readonly PageDmKey[], leaseMs: number): Promise<Set<string>> {
  if (dms.length === 0) return new Set();
  const { rows } = await q.query<{ page_id: number; user_id: string; step: number | null }>(
    `WITH d AS (SELECT * FROM unnest($1::int[], $2::text[], $3::int[]) AS d (page_id, user_id, step)),
     first_dm AS (
       UPDATE page_deliveries x
       SET dm_drawing_until = clock_timestamp() + make_interval(secs => $4::double precision / 1000)
       FROM d WHERE d.step IS NULL AND x.page_id = d.page_id AND x.user_id = d.user_id
         AND (x.dm_drawing_until IS NULL OR x.dm_drawing_until < clock_timestamp())
       RETURNING x.page_id, x.user_id, NULL::int AS step
     ), step_dm AS (
       UPDATE notification_jobs n
       SET dm_drawing_until = clock_timestamp() + make_interval(secs => $4::double precision / 1000)
       FROM d WHERE d.step IS NOT NULL AND n.id = d.step
         AND (n.dm_drawing_until IS NULL OR n.dm_drawing_until < clock_timestamp())
       RETURNING n.page_id, n.user_id, n.id AS step
     )
     SELECT * FROM first_dm UNION ALL SELECT * FROM step_dm`,
    [...dmArrays(dms), leaseMs],
  );
  return new Set(
    rows.map((r) =>
      pageDmKey({ pageId: Number(r.page_id), userId: r.user_id, step: r.step === null ? null : Number(r.step) }),
    ),
  );
}

/** Gives up the lease of drawing `dms` (claimPageDms). One statement. */
export async function releasePageDms(q: Queryable, dms: readonly PageDmKey[]): Promise<void> {
  if (dms.length === 0) return;
  await q.query(
    `WITH d AS (SELECT * FROM unnest($1::int[], $2::text[], $3::int[]) AS d (page_id, user_id, step)),
     first_dm AS (
       UPDATE page_deliveries x SET dm_drawing_until = NULL
       FROM d WHERE d.step IS NULL AND x.page_id = d.page_id AND x.user_id = d.user_id
     )
     UPDATE notification_jobs n SET dm_drawing_until = NULL FROM d WHERE d.step IS NOT NULL AND n.id = d.step`,
    dmArrays(dms),
  );
}

/** The key of the card's redraw (`redraw_card`) that the end of the paging job `jobId` writes (see announcePage). */
export const cardRedrawKey = (jobId: number) => `redraw_card@job:${jobId}`;

/** What a `page_failed` timer's key is, before its paging job's id (pageFailedKey; failedPagesOf reads it back). */
const PAGE_FAILED_KEY_PREFIX = 'page_failed@job:';

/** The key of the timer telling that paging job `jobId`'s pages failed (see giveUpPages): once per job. */
export const pageFailedKey = (jobId: number) => `${PAGE_FAILED_KEY_PREFIX}${jobId}`;

/** A `page_failed` timer's job id, read back from its key exactly as pageFailedKey writes it; null for any other. */
function pageFailedJobOf(key: string): number | null {
  if (!key.startsWith(PAGE_FAILED_KEY_PREFIX)) return null;
  const id = key.slice(PAGE_FAILED_KEY_PREFIX.length);
  // The id as written (no sign, no leading zero), within an `integer` column's range.
  if (!/^(0|[1-9][0-9]{0,9})$/.test(id) || Number(id) > 2_147_483_647) return null;
  return Number(id);
}

/**
 * The pages a `page_failed` timer (its `key`, pageFailedKey) tells of: those of its job given up before they went out,
 * with Slack's last answer, and those that went out with people their DMs never reached (`missed`, with Slack's answer).
 * Found by the job's id (the pages' `(job_id, role)` key is their index), read back from the key.
 */
export async function failedPagesOf(
  q: Queryable,
  incidentId: number,
  key: string,
): Promise<{ role: string; error: string | null; missed?: string[] }[]> {
  const jobId = pageFailedJobOf(key);
  if (jobId === null) return [];
  const { rows } = await q.query<{ role: string; failure: string | null; missed: string[] | null; failed: boolean }>(
    `SELECT role, failure, missed, failed_at IS NOT NULL AS failed FROM pages
     WHERE job_id = $2 AND incident_id = $1
       AND (failed_at IS NOT NULL OR cardinality(missed) > 0)
     ORDER BY created_at, id`,
    [incidentId, jobId],
  );
  return rows.map((r) => ({
    role: r.role,
    error: r.failure,
    ...(r.failed || !r.missed?.length ? {} : { missed: r.missed }),
  }));
}

/**
 * The channel has been told about a page: its timeline event, the mark that stops a retried job from saying it
 * again, and the card's refresh after it (`redraw_card`, key cardRedrawKey of `cardJobId`, the paging job: one timer
 * for all its pages, written again by each), and for a job's last page (`finishJobId`) the job's end: one statement,
 * so all or none are written. That timer is due now and held by this process for `cardLeaseMs`, which refreshes the
 * card after the job's last page and then ends it (cardShown); a process that stops first, between two pages of the
 * job too, leaves it to any other once its lease runs out, so every page sent is shown on the card. The job's last page
 * (`finishJobId`) also writes the timer telling that a page of the job never reached some of its people (pages.missed:
 * `page_failed`, pageFailedKey, due now), and returns whether it did.
 */
export async function announcePage(
  db: Database,
  pageId: number,
  event: { incidentId: number; kind: 'paged' | 'page_skipped'; details: Record<string, unknown> },
  finishJobId: number | null,
  {
    drop = false,
    cardLeaseMs = 10_000,
    cardJobId = finishJobId,
  }: {
    /**
     * The page reached nobody new (a role paged by hand whose people were all paged already): its row goes, so that
     * the card does not count the role as paged once more; the timeline keeps what was asked and why.
     */
    drop?: boolean;
    cardLeaseMs?: number;
    /** The paging job whose card timer the page writes (again); null: none. Its last page's by default. */
    cardJobId?: number | null;
  } = {},
): Promise<boolean> {
  // The incident first, then the jobs (see incidentFirst): in the statement itself.
  const { rows } = await db.query<{ told: boolean }>(
    `WITH ${incidentFirst('$2')}, ev AS (
       INSERT INTO incident_events (incident_id, kind, actor_id, details)
       SELECT $2, $3, NULL, $4::jsonb WHERE ${INCIDENT_FIRST}
     ), fin AS (
       UPDATE escalation_jobs SET state = 'done', finished_at = now(), locked_until = NULL
       WHERE id = $5 AND ${INCIDENT_FIRST}
     ), card AS (
       INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at, locked_until)
       SELECT $2, $8::text, 'redraw_card', NULL, now(),
              clock_timestamp() + make_interval(secs => $7::double precision / 1000)
       WHERE $8::text IS NOT NULL AND ${INCIDENT_FIRST}
       ON CONFLICT (incident_id, key) DO UPDATE
       SET state = 'pending', due_at = EXCLUDED.due_at, locked_until = EXCLUDED.locked_until, attempts = 0,
           fired_at = NULL, finished_at = NULL, last_error = NULL
     ), gone AS (
       DELETE FROM pages WHERE id = $1 AND $6::boolean AND ${INCIDENT_FIRST}
     ), told AS (
       INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
       SELECT $2, $9::text, 'page_failed', NULL, now()
       WHERE $9::text IS NOT NULL AND ${INCIDENT_FIRST}
         AND EXISTS (SELECT 1 FROM pages mp WHERE mp.job_id = $5::int AND cardinality(mp.missed) > 0)
       ON CONFLICT (incident_id, key) DO NOTHING
       RETURNING id
     ), upd AS (
       UPDATE pages SET announced_at = now(), skipped = ($3 = 'page_skipped')
       WHERE id = $1 AND NOT $6::boolean AND ${INCIDENT_FIRST}
     )
     SELECT EXISTS (SELECT 1 FROM told) AS told`,
    [
      pageId,
      event.incidentId,
      event.kind,
      JSON.stringify(event.details),
      finishJobId,
      drop,
      cardLeaseMs,
      cardJobId === null ? null : cardRedrawKey(cardJobId),
      finishJobId === null ? null : pageFailedKey(finishJobId),
    ],
  );
  return rows[0]?.told === true;
}

/** The card's redraw `key` (see announcePage) is done: the card was shown after it was written. */
export async function cardShown(q: Queryable, incidentId: number, key: string): Promise<void> {
  await q.query(
    `UPDATE escalation_jobs SET state = 'done', finished_at = now(), locked_until = NULL
     WHERE incident_id = $1 AND key = $2 AND state = 'pending'`,
    [incidentId, key],
  );
}

/**
 * The card's redraw `key` (see announcePage) was not shown by the process that wrote it: due at `dueAt`, for any
 * process. False when it is no longer this process's to move (ended, or taken by a process its lease ran out for).
 */
export async function cardNotShown(q: Queryable, incidentId: number, key: string, dueAt: Date): Promise<boolean> {
  const { rows } = await q.query(
    `UPDATE escalation_jobs SET due_at = $3, locked_until = NULL
     WHERE incident_id = $1 AND key = $2 AND state = 'pending' AND attempts = 0
     RETURNING id`,
    [incidentId, key, dueAt],
  );
  return rows.length > 0;
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
 * A paging job given up after failing try after try (`attempts` as claimed, still pending: not one another process
 * claimed since): ended (cancelled), its pages that had not gone out recorded failed with `error`, the timeline told,
 * and the card's refresh written (a `redraw_card` timer due now, `cardKey`, held by this process for `cardLeaseMs`,
 * as announcePage's), and, when a page failed or one that went out never reached some of its people (pages.missed),
 * the timer that tells the channel and the commander so (`page_failed`, pageFailedKey: once per job, due now): one
 * statement. Returns the roles of the pages recorded failed, and whether that timer was written; none, and not, when
 * it was not that attempt. `byPage`: each page's own error (Slack's answer to its last try), by page id; a page not in
 * it (its last try cut short before Slack answered it: the database failing, say) keeps the error an earlier try
 * recorded on it (retryJob), and only a page with none is recorded failed with `error`. The timeline's entry lists the roles (`roles`) with each one's error (`errors`,
 * in the same order; `error`, the job's, is what an entry written before each kept its own says for all).
 */
export async function giveUpPages(
  db: Database,
  job: { id: number; incidentId: number; attempts: number; rule: string },
  error: string,
  cardKey: string,
  cardLeaseMs: number,
  byPage: ReadonlyMap<number, string> = new Map(),
): Promise<{ roles: string[]; told: boolean }> {
  const { rows } = await db.query<{ roles: string[] | null; told: boolean }>(
    `WITH ${incidentFirst('$2')}, fin AS (
       UPDATE escalation_jobs SET state = 'cancelled', finished_at = now(), locked_until = NULL, last_error = $3
       WHERE id = $1 AND attempts = $4 AND state = 'pending' AND ${INCIDENT_FIRST}
       RETURNING id
     ), failed AS (
       UPDATE pages p SET failed_at = now(), failure = coalesce(
         (SELECT e.error FROM unnest($9::int[], $10::text[]) AS e (page_id, error) WHERE e.page_id = p.id), p.failure,
         $3)
       WHERE p.job_id IN (SELECT id FROM fin) AND NOT ${PAGE_SENT('p')}
       RETURNING p.id, p.role, p.failure
     ), ev AS (
       INSERT INTO incident_events (incident_id, kind, actor_id, details)
       SELECT $2, 'page_failed', NULL, jsonb_build_object('roles', array_agg(role ORDER BY id),
              'errors', array_agg(failure ORDER BY id), 'rule', $5::text, 'error', $3::text)
       FROM failed HAVING count(*) > 0
     ), card AS (
       INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at, locked_until)
       SELECT $2, $6::text, 'redraw_card', NULL, now(),
              clock_timestamp() + make_interval(secs => $7::double precision / 1000)
       WHERE EXISTS (SELECT 1 FROM fin)
       ON CONFLICT (incident_id, key) DO UPDATE
       SET state = 'pending', due_at = EXCLUDED.due_at, locked_until = EXCLUDED.locked_until, attempts = 0,
           fired_at = NULL, finished_at = NULL, last_error = NULL
     ), told AS (
       INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
       SELECT $2, $8::text, 'page_failed', NULL, now()
       WHERE EXISTS (SELECT 1 FROM failed)
          OR EXISTS (SELECT 1 FROM pages mp WHERE mp.job_id IN (SELECT id FROM fin) AND cardinality(mp.missed) > 0)
       ON CONFLICT (incident_id, key) DO NOTHING
       RETURNING id
     )
     SELECT (SELECT array_agg(role) FROM failed) AS roles, EXISTS (SELECT 1 FROM told) AS told`,
    [
      job.id,
      job.incidentId,
      error.slice(0, 1000),
      job.attempts,
      job.rule,
      cardKey,
      cardLeaseMs,
      pageFailedKey(job.id),
      [...byPage.keys()],
      [...byPage.values()].map((e) => e.slice(0, 1000)),
    ],
  );
  return { roles: rows[0]?.roles ?? [], told: rows[0]?.told === true };
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
 * The roles an escalation may not offer again: paged for the incident or being paged (PAGE_COUNTS: not a page called
 * off or given up before it went), or asked for by hand and not yet paged (a pending `manual` job). One statement.
 */
export async function takenRoles(q: Queryable, incidentId: number, since?: Date): Promise<Set<string>> {
  // `since`: the incident's last opening; a role paged before it (before a resolution) may be paged again.
  const { rows } = await q.query<{ role: string }>(
    `SELECT role FROM pages p WHERE incident_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2)
       AND ${PAGE_COUNTS('p')}
     UNION
     SELECT role FROM escalation_jobs WHERE incident_id = $1 AND rule = 'manual' AND state = 'pending'`,
    [incidentId, since ?? null],
  );
  return new Set(rows.map((r) => r.role));
}

export interface EscalationSummary {
  /** `skipped`: the role had no contacts (nobody was paged). */
  /**
   * `declarer`: the declarer, on call for the role, reached by their own declaration and sent no page (the declaration's
   * page records them as reached; see EscalationService.page). `declarerOnly`: nobody else was reached by that page
   * (the role's only person is the declarer): no page was sent at all.
   */
  /**
   * `going`: not gone out yet, its job still to send it (`error`: why its last try failed, when one did); `failed`:
   * given up before it went (giveUpPages), with the last error. A page called off before it went is not here.
   */
  paged: {
    role: string;
    rule: string;
    at: Date;
    skipped: boolean;
    declarer?: string;
    declarerOnly?: boolean;
    going?: { error: string | null };
    failed?: { error: string | null };
    /** It went out, and its DMs to these people failed till its job's last try (pages.missed): never reached by it. */
    missed?: { userIds: string[]; error: string | null };
  }[];
  next: { role: string | null; rule: string; dueAt: Date } | null;
  /** The other timers due with `next` (within a second of it): a round of nobody acknowledging and another rule. */
  alsoDue: { role: string | null; rule: string; dueAt: Date }[];
  /** Roles escalated to by hand whose page has not gone out yet. */
  requested: string[];
  /** Every alert of the incident has resolved (false for an incident without alerts). */
  alertsAllResolved: boolean;
}

/**
 * What the card shows: who has been paged, and the next pending page with its time (one statement). Timers of the
 * `reminders` rules page nobody and are not a next page.
 */
/** How many pending timers the card's summary reads: the next, and those due with it. */
const NEXT_READ = 4;
/** Timers due this close to the next one are due with it (the card names them together). */
const DUE_TOGETHER_MS = 1000;

export async function escalationSummary(
  q: Queryable,
  incidentId: number,
  reminders: readonly string[],
  more?: (first: number) => StatementPart,
): Promise<EscalationSummary & { more?: unknown }> {
  const part = more?.(3);
  const { rows } = await q.query<{
    paged:
      | {
          role: string;
          rule: string;
          at: string;
          skipped: boolean;
          declarer: string | null;
          others: boolean;
          sent: boolean;
          failed: boolean;
          error: string | null;
          missed: string[] | null;
        }[]
      | string
      | null;
    next: { role: string | null; rule: string; due_at: string }[] | string | null;
    requested: string[] | null;
    quiet: boolean | null;
    more?: unknown;
  }>(
    `${part?.with ? `WITH ${part.with} ` : ''}SELECT
       (SELECT json_agg(json_build_object('role', p.role, 'rule', p.rule, 'at', p.created_at, 'skipped', p.skipped,
          'declarer', CASE WHEN p.rule = 'declared' THEN (
            SELECT d.user_id FROM page_deliveries d JOIN incidents i ON i.id = p.incident_id
            WHERE d.page_id = p.id AND d.user_id = i.reporter_id) END,
          'others', EXISTS (SELECT 1 FROM page_deliveries d JOIN incidents i ON i.id = p.incident_id
            WHERE d.page_id = p.id AND d.user_id <> i.reporter_id),
          'sent', ${PAGE_SENT('p')}, 'failed', p.failed_at IS NOT NULL, 'error', coalesce(p.failure, j.last_error),
          'missed', p.missed)
          ORDER BY p.created_at, p.id)
        FROM pages p JOIN escalation_jobs j ON j.id = p.job_id
        WHERE p.incident_id = $1 AND (${PAGE_COUNTS('p')} OR p.failed_at IS NOT NULL)) AS paged,
       (SELECT json_agg(n ORDER BY n.due_at, n.id) FROM (
          SELECT id, role, rule, due_at FROM escalation_jobs
          WHERE incident_id = $1 AND state = 'pending' AND rule <> ALL($2::text[]) AND fired_at IS NULL
          ORDER BY due_at, id LIMIT ${NEXT_READ}) n) AS next,
       (SELECT array_agg(role) FROM escalation_jobs
        WHERE incident_id = $1 AND rule = 'manual' AND state = 'pending') AS requested,
       ${alertsAllResolvedOf('$1')} AS quiet
       ${part ? `, ${part.select} AS more` : ''}`,
    [incidentId, reminders, ...(part?.params ?? [])],
  );
  const paged = jsonOf(rows[0]?.paged) ?? [];
  const due = (jsonOf(rows[0]?.next) ?? []).map((n) => ({ role: n.role, rule: n.rule, dueAt: new Date(n.due_at) }));
  const [next] = due;
  return {
    paged: paged.map((r) => ({
      role: r.role,
      rule: r.rule,
      at: new Date(r.at),
      skipped: r.skipped === true,
      ...(r.declarer ? { declarer: r.declarer, ...(r.others ? {} : { declarerOnly: true }) } : {}),
      ...(r.sent ? {} : r.failed ? { failed: { error: r.error } } : { going: { error: r.error } }),
      ...(r.sent && r.missed?.length ? { missed: { userIds: r.missed, error: r.error } } : {}),
    })),
    next: next ?? null,
    alsoDue: next ? due.slice(1).filter((d) => d.dueAt.getTime() - next.dueAt.getTime() < DUE_TOGETHER_MS) : [],
    requested: rows[0]?.requested ?? [],
    alertsAllResolved: rows[0]?.quiet === true,
    ...(part ? { more: rows[0]?.more } : {}),
  };
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
 * The latest time a role was paged, or asked for by hand or being paged and not gone out yet (`pending`): by which
 * rule, and who asked for a by-hand escalation. Null when the role has not been paged (a page called off or given up
 * before it went is not one: PAGE_COUNTS).
 */
export async function latestPageOf(
  q: Queryable,
  incidentId: number,
  role: string,
  /** The incident's last opening: a page before it (before a resolution) is not read. */
  since?: Date,
): Promise<{
  rule: string;
  requestedBy: string | null;
  at: Date;
  pending: boolean;
  skipped: boolean;
  /** Whom the page reached, in the order it did. */
  deliveredTo: string[];
  /** Whom it was tried on and could not reach (Slack said user_disabled …). */
  unreachable: string[];
} | null> {
  const { rows } = await q.query<{
    rule: string;
    requested_by: string | null;
    at: Date | string;
    pending: boolean;
    skipped: boolean | null;
    delivered: string[] | null;
    unreachable: string[] | null;
  }>(
    `SELECT j.rule, j.requested_by, coalesce(p.created_at, j.created_at) AS at,
            p.id IS NULL OR NOT ${PAGE_SENT('p')} AS pending, p.skipped,
            (SELECT array_agg(d.user_id ORDER BY d.delivered_at) FROM page_deliveries d
             WHERE d.page_id = p.id AND NOT d.unreachable) AS delivered,
            (SELECT array_agg(d.user_id ORDER BY d.delivered_at) FROM page_deliveries d
             WHERE d.page_id = p.id AND d.unreachable) AS unreachable
     FROM escalation_jobs j LEFT JOIN pages p ON p.job_id = j.id AND p.role = $2 AND ${PAGE_COUNTS('p')}
     WHERE j.incident_id = $1
       AND (p.id IS NOT NULL OR (j.rule = 'manual' AND j.role = $2 AND j.state = 'pending'))
       AND ($3::timestamptz IS NULL OR p.id IS NULL OR p.created_at >= $3)
     ORDER BY at DESC LIMIT 1`,
    [incidentId, role, since ?? null],
  );
  const r = rows[0];
  return r
    ? {
        rule: r.rule,
        requestedBy: r.requested_by,
        at: toDate(r.at),
        pending: r.pending,
        skipped: r.skipped === true,
        deliveredTo: r.delivered ?? [],
        unreachable: r.unreachable ?? [],
      }
    : null;
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

/**
 * The open incidents (whole ones) whose pages reached `userId`, the latest paged first, at most `limit`: what someone
 * typing `/incident ack` in the bot's direct messages, where their pages came, means.
 */
export async function pagedIncidentsOf(
  q: Queryable,
  teamId: string,
  userId: string,
  limit = 10,
): Promise<PagedIncident[]> {
  const { rows } = await q.query<IncidentRow & { unanswered: boolean }>(
    `SELECT i.*, bool_or(NOT ${PAGE_ACKNOWLEDGED}) AS unanswered,
            max(p.created_at) AS last_paged
     FROM incidents i JOIN pages p ON p.incident_id = i.id
     WHERE i.team_id = $1 AND i.status <> 'resolved' AND i.channel_id IS NOT NULL AND NOT i.declaring
       AND EXISTS (SELECT 1 FROM page_deliveries d WHERE d.page_id = p.id AND d.user_id = $2)
     GROUP BY i.id ORDER BY last_paged DESC LIMIT $3`,
    [teamId, userId, limit],
  );
  return rows.map((r) => ({ incident: toIncident(r), unanswered: r.unanswered }));
}
