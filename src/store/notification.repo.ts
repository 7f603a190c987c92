import type { PageDmAt } from '../incidents/ports.js';
import type { NotifyVia } from '../runbook/people.js';
import { type Database, type Queryable, type StatementPart, toDate } from './db.js';
import { INCIDENT_FIRST, incidentFirst } from './event.repo.js';

export type NotifyAction = 'notify' | 'acknowledge' | 'resolve';
export type DeliveryOutcome = 'sent' | 'failed' | 'skipped';

/** A claimed notification timer, with what its decision needs: the page's time and the incident as it is now. */
export interface NotificationJob {
  id: number;
  incidentId: number;
  pageId: number | null;
  key: string;
  role: string;
  userId: string | null;
  via: NotifyVia;
  action: NotifyAction;
  dedupKey: string | null;
  dueAt: Date;
  attempts: number;
  /** When the page was sent (null for acknowledge and resolve). */
  pagedAt: Date | null;
  /** Why the page was sent (the escalation rule), for the message. */
  rule: string | null;
  /** Whether PagerDuty has acknowledged this role's incident since the page. */
  acknowledgedInPagerDuty: boolean;
}

interface JobRow {
  id: number;
  incident_id: number;
  page_id: number | null;
  key: string;
  role: string;
  user_id: string | null;
  via: NotifyVia;
  action: NotifyAction;
  dedup_key: string | null;
  due_at: Date | string;
  attempts: number;
  paged_at: Date | string | null;
  rule: string | null;
  pd_acknowledged: boolean;
}

const NOTIFICATION_DUE = `n.state = 'pending' AND n.due_at <= clock_timestamp()
  AND (n.locked_until IS NULL OR n.locked_until < clock_timestamp())`;

/** The timer loop's look before its sweep (see `sweepWhen`): a notification step is due and nobody holds it. */
export const NOTIFICATIONS_DUE = `EXISTS (SELECT 1 FROM notification_jobs n WHERE ${NOTIFICATION_DUE})`;

/** A step of a rule for one person paged: how long after the page it is due. */
export interface StepRow {
  incidentId: number;
  pageId: number;
  key: string;
  role: string;
  userId: string;
  via: NotifyVia;
  afterMs: number;
  dedupKey: string;
}

/**
 * What a page's Slack DMs leave for its notify: rules, as part of the statement that records whom the page reached
 * (recordDeliveries: one round trip for both): the DMs that reached `reached`, as deliveries (once per page and
 * person), and the page's later steps (`steps`), due that long after the page was recorded (so a page retried later
 * keeps its times), each once: a key already used is never added again. The steps' ids follow the order of `steps`
 * (the runbook's), which orders steps due at the same time: a join's rows come in no order of their own (the
 * planner's choice, which changed with the tables' statistics). Selects nothing of its own.
 */
export function pageNotificationsPart(
  page: { incidentId: number; pageId: number; role: string },
  reached: readonly string[],
  steps: readonly StepRow[],
): (first: number) => StatementPart {
  return (first) => {
    const [incident, pageId, role, users] = [0, 1, 2, 3].map((i) => `$${first + i}`);
    const s = (i: number) => `$${first + 4 + i}`;
    return {
      with: `page_dms AS (
         INSERT INTO notification_deliveries (incident_id, page_id, role, user_id, via, outcome)
         SELECT ${incident}::int, ${pageId}::int, ${role}::text, u, 'slack', 'sent' FROM unnest(${users}::text[]) AS u
         ON CONFLICT DO NOTHING
       ), page_steps AS (
         INSERT INTO notification_jobs (incident_id, page_id, key, role, user_id, via, dedup_key, due_at)
         SELECT s.incident_id, s.page_id, s.key, s.role, s.user_id, s.via, s.dedup_key,
                p.created_at + make_interval(secs => s.after_ms::double precision / 1000)
         FROM unnest(${s(0)}::int[], ${s(1)}::int[], ${s(2)}::text[], ${s(3)}::text[], ${s(4)}::text[], ${s(5)}::text[],
                     ${s(6)}::text[], ${s(7)}::bigint[])
           WITH ORDINALITY AS s (incident_id, page_id, key, role, user_id, via, dedup_key, after_ms, ord)
         JOIN pages p ON p.id = s.page_id
         ORDER BY s.ord
         ON CONFLICT (incident_id, key) DO NOTHING
       )`,
      params: [
        page.incidentId,
        page.pageId,
        page.role,
        [...reached],
        steps.map((x) => x.incidentId),
        steps.map((x) => x.pageId),
        steps.map((x) => x.key),
        steps.map((x) => x.role),
        steps.map((x) => x.userId),
        steps.map((x) => x.via),
        steps.map((x) => x.dedupKey),
        steps.map((x) => x.afterMs),
      ],
      select: 'NULL',
    };
  };
}

/**
 * Claims up to `limit` due notification timers in one statement: locks each and its incident for the transaction
 * (SKIP LOCKED: never waits, so it cannot deadlock with a change to the incident) and leases them, so another process
 * skips them after the commit; a process that dies mid-send only delays them until the lease ends. An acknowledge or
 * resolve waits while a trigger for the same PagerDuty incident is being sent, so PagerDuty hears them in order.
 */
export async function claimDueNotifications(q: Queryable, limit: number, leaseMs: number): Promise<NotificationJob[]> {
  const { rows } = await q.query<JobRow>(
    `WITH due AS (
       SELECT n.id FROM notification_jobs n JOIN incidents i ON i.id = n.incident_id
       WHERE ${NOTIFICATION_DUE}
         AND (n.action = 'notify' OR NOT EXISTS (
           SELECT 1 FROM notification_jobs t
           WHERE t.incident_id = n.incident_id AND t.dedup_key = n.dedup_key AND t.action = 'notify'
             AND t.via = 'pagerduty' AND t.state = 'pending' AND t.locked_until > clock_timestamp()))
       ORDER BY n.due_at, n.id
       LIMIT $1
       FOR UPDATE OF n, i SKIP LOCKED
     ), claimed AS (
       UPDATE notification_jobs
       SET locked_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000),
           attempts = attempts + 1
       WHERE id IN (SELECT id FROM due)
       RETURNING *
     )
     SELECT c.*, p.created_at AS paged_at, p.rule,
            EXISTS (SELECT 1 FROM pagerduty_incidents d
                    WHERE d.dedup_key = c.dedup_key AND d.acknowledged_at >= p.created_at) AS pd_acknowledged
     FROM claimed c LEFT JOIN pages p ON p.id = c.page_id`,
    [limit, leaseMs],
  );
  return rows
    .map(
      (r): NotificationJob => ({
        id: Number(r.id),
        incidentId: Number(r.incident_id),
        pageId: r.page_id === null ? null : Number(r.page_id),
        key: r.key,
        role: r.role,
        userId: r.user_id,
        via: r.via,
        action: r.action,
        dedupKey: r.dedup_key,
        dueAt: toDate(r.due_at),
        attempts: Number(r.attempts),
        pagedAt: r.paged_at === null ? null : toDate(r.paged_at),
        rule: r.rule,
        acknowledgedInPagerDuty: r.pd_acknowledged,
      }),
    )
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.id - b.id);
}

export async function cancelNotifications(q: Queryable, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await q.query(
    `UPDATE notification_jobs SET state = 'cancelled', finished_at = now(), locked_until = NULL
     WHERE id = ANY($1::int[]) AND state = 'pending'`,
    [ids],
  );
}

/** Keeps the leases of timers this process is still sending (only leases still held: see extendLeases). */
export async function extendNotificationLeases(q: Queryable, ids: number[], leaseMs: number): Promise<void> {
  if (ids.length === 0) return;
  await q.query(
    `UPDATE notification_jobs SET locked_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000)
     WHERE id = ANY($1::int[]) AND state = 'pending' AND locked_until IS NOT NULL`,
    [ids, leaseMs],
  );
}

/** A failed attempt: try again at `dueAt`. */
export async function retryNotification(q: Queryable, id: number, dueAt: Date, error: string): Promise<void> {
  await q.query(
    `UPDATE notification_jobs SET due_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1 AND state = 'pending'`,
    [id, dueAt, error.slice(0, 1000)],
  );
}

/**
 * A timer's end, in one statement: its delivery (outcome and detail), its timeline event, and its state, so that all
 * or none are written and a timer finished is never sent again.
 */
export async function finishNotification(
  db: Database,
  job: NotificationJob,
  outcome: DeliveryOutcome,
  detail: string | null,
  event: { kind: string; details: Record<string, unknown> } | null,
  /** Where a Slack step's direct message is, to show it answered later (see pageDmsBehind). */
  dm?: PageDmAt,
): Promise<void> {
  // The incident first, as a change of it does (then its notification jobs): see incidentFirst. In the statement
  // itself: one round trip.
  await db.query(
    `WITH ${incidentFirst('$2')}, d AS (
       INSERT INTO notification_deliveries (incident_id, page_id, job_id, role, user_id, via, action, outcome, detail, attempts)
       SELECT $2, $3, $1, $4, $5, $6, $7, $8, $9, $10 WHERE ${INCIDENT_FIRST} ON CONFLICT DO NOTHING
     ), ev AS (
       INSERT INTO incident_events (incident_id, kind, actor_id, details)
       SELECT $2, $11, NULL, $12::jsonb WHERE $11::text IS NOT NULL AND ${INCIDENT_FIRST}
     )
     UPDATE notification_jobs
     SET state = $13, finished_at = now(), locked_until = NULL, last_error = CASE WHEN $8 = 'sent' THEN NULL ELSE $9 END,
         dm_channel = coalesce($14, dm_channel), dm_ts = coalesce($15, dm_ts)
     WHERE id = $1 AND ${INCIDENT_FIRST}`,
    [
      job.id,
      job.incidentId,
      job.pageId,
      job.role,
      job.userId,
      job.via,
      job.action,
      outcome,
      detail?.slice(0, 1000) ?? null,
      job.attempts,
      event?.kind ?? null,
      JSON.stringify(event?.details ?? {}),
      outcome === 'failed' ? 'failed' : 'done',
      dm?.channel ?? null,
      dm?.ts ?? null,
    ],
  );
}

/** PagerDuty took a trigger for this incident and role. */
export async function recordTriggered(
  q: Queryable,
  t: { dedupKey: string; incidentId: number; role: string },
): Promise<void> {
  await q.query(
    // A trigger on a key whose PagerDuty incident was resolved opens a new one there: its acknowledgement and
    // resolution start again, so that the new incident's acknowledgement stops the new page's steps.
    `INSERT INTO pagerduty_incidents (dedup_key, incident_id, role) VALUES ($1, $2, $3)
     ON CONFLICT (dedup_key) DO UPDATE
       SET triggered_at = now(), acknowledged_at = NULL, acknowledged_by = NULL, acknowledged_user = NULL,
           resolved_at = NULL, ack_handling_until = NULL, ack_told_at = NULL
       WHERE pagerduty_incidents.resolved_at IS NOT NULL`,
    [t.dedupKey, t.incidentId, t.role],
  );
}

/** PagerDuty took an acknowledge or resolve the bot sent. */
export async function recordSentAction(
  q: Queryable,
  dedupKey: string,
  action: 'acknowledge' | 'resolve',
): Promise<void> {
  await q.query(
    action === 'acknowledge'
      ? `UPDATE pagerduty_incidents SET acknowledged_at = coalesce(acknowledged_at, now()) WHERE dedup_key = $1`
      : `UPDATE pagerduty_incidents SET resolved_at = coalesce(resolved_at, now()) WHERE dedup_key = $1`,
    [dedupKey],
  );
}

export interface PagerDutyIncident {
  dedupKey: string;
  incidentId: number;
  role: string;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
  /** When its acknowledgement was told in the channel (by whichever delivery of it did). */
  ackToldAt: Date | null;
  /** Whether a delivery of its acknowledgement is being handled now, on any replica (its hold not run out). */
  ackHandling: boolean;
}

/** The PagerDuty incident the bot opened under this dedup key, locked for the transaction; null: not one of ours. */
export async function lockPagerDutyIncident(q: Queryable, dedupKey: string): Promise<PagerDutyIncident | null> {
  const { rows } = await q.query<{
    dedup_key: string;
    incident_id: number;
    role: string;
    acknowledged_at: Date | string | null;
    resolved_at: Date | string | null;
    ack_told_at: Date | string | null;
    ack_handling: boolean | null;
  }>(
    `SELECT *, ack_handling_until > clock_timestamp() AS ack_handling FROM pagerduty_incidents WHERE dedup_key = $1
     FOR UPDATE`,
    [dedupKey],
  );
  const r = rows[0];
  return r
    ? {
        dedupKey: r.dedup_key,
        incidentId: Number(r.incident_id),
        role: r.role,
        acknowledgedAt: r.acknowledged_at === null ? null : toDate(r.acknowledged_at),
        resolvedAt: r.resolved_at === null ? null : toDate(r.resolved_at),
        ackToldAt: r.ack_told_at === null ? null : toDate(r.ack_told_at),
        ackHandling: r.ack_handling === true,
      }
    : null;
}

/**
 * A delivery of the acknowledgement holds it while it tells it (for `holdMs`, on the database's clock): a copy arriving
 * at another replica meanwhile waits; one arriving after a crash takes it over once the hold runs out.
 */
export async function holdPagerDutyAck(q: Queryable, dedupKey: string, holdMs: number): Promise<void> {
  await q.query(
    `UPDATE pagerduty_incidents
     SET ack_handling_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000)
     WHERE dedup_key = $1`,
    [dedupKey, holdMs],
  );
}

/**
 * The delivery holding the acknowledgement is done: `told`, it was told in the channel (later copies are ignored); not
 * told (it failed), a resend may take it over at once.
 */
export async function releasePagerDutyAck(q: Queryable, dedupKey: string, told: boolean): Promise<void> {
  await q.query(
    `UPDATE pagerduty_incidents SET ack_handling_until = NULL,
       ack_told_at = CASE WHEN $2 THEN coalesce(ack_told_at, now()) ELSE ack_told_at END
     WHERE dedup_key = $1`,
    [dedupKey, told],
  );
}

/** PagerDuty says someone acknowledged: recorded, and the role's remaining steps cancelled. */
export async function recordPagerDutyAcknowledged(
  q: Queryable,
  dedupKey: string,
  by: { name: string; userId: string | null },
): Promise<number> {
  await q.query(
    `UPDATE pagerduty_incidents SET acknowledged_at = now(), acknowledged_by = $2, acknowledged_user = $3
     WHERE dedup_key = $1`,
    [dedupKey, by.name, by.userId],
  );
  return cancelPendingSteps(q, dedupKey);
}

/**
 * PagerDuty says someone resolved the role's PagerDuty incident: recorded, and the role's remaining steps cancelled
 * (people resolve it there to stop being paged; a later page of the role triggers it again).
 */
export async function recordPagerDutyResolved(q: Queryable, dedupKey: string): Promise<number> {
  await q.query('UPDATE pagerduty_incidents SET resolved_at = coalesce(resolved_at, now()) WHERE dedup_key = $1', [
    dedupKey,
  ]);
  return cancelPendingSteps(q, dedupKey);
}

/** The role's steps not yet sent (its dedup key's), cancelled; how many. */
async function cancelPendingSteps(q: Queryable, dedupKey: string): Promise<number> {
  const { rows } = await q.query(
    `UPDATE notification_jobs SET state = 'cancelled', finished_at = now(), locked_until = NULL
     WHERE dedup_key = $1 AND action = 'notify' AND state = 'pending' RETURNING id`,
    [dedupKey],
  );
  return rows.length;
}

/**
 * Inside the transaction that changed the incident: an acknowledgement stops the remaining steps of the pages sent
 * before it, and asks PagerDuty to acknowledge what they triggered; a resolution stops every step, and resolves every
 * PagerDuty incident the incident opened. A trigger being sent right now counts as sent. Returns whether anything is
 * due now.
 */
export async function syncNotifications(
  q: Queryable,
  incident: { id: number; status: string; acknowledgedAt: Date | null },
): Promise<boolean> {
  const resolved = incident.status === 'resolved';
  if (!resolved && !incident.acknowledgedAt) return false;
  const ackAt = resolved ? null : incident.acknowledgedAt;
  const action = resolved ? 'resolve' : 'acknowledge';
  // One statement: the steps stopped (pending, not being sent) and those followed up in PagerDuty (sent, or being
  // sent) are apart, so both read the jobs as they were before it.
  const { rows } = await q.query<{ n: number }>(
    `WITH stop AS (
       UPDATE notification_jobs n SET state = 'cancelled', finished_at = now(), locked_until = NULL
       FROM pages p
       WHERE n.incident_id = $1 AND n.action = 'notify' AND n.state = 'pending'
         AND (n.locked_until IS NULL OR n.locked_until < clock_timestamp())
         AND p.id = n.page_id AND ($3::timestamptz IS NULL OR p.created_at <= $3)
       RETURNING n.id
     ), follow AS (
       INSERT INTO notification_jobs (incident_id, key, role, via, action, dedup_key, due_at)
       -- Keyed by the PagerDuty incident (its trigger's time too): a reopened incident paged again triggers the role's
       -- key again, a new incident there, which its next resolution resolves; the first resolve's key would take it.
       SELECT DISTINCT ON (n.dedup_key) n.incident_id,
              'pd:' || $2 || ':' || n.dedup_key || coalesce(':' || (extract(epoch FROM d.triggered_at) * 1e6)::bigint, ''),
              n.role, 'pagerduty', $2, n.dedup_key, now()
       FROM notification_jobs n JOIN pages p ON p.id = n.page_id
       LEFT JOIN pagerduty_incidents d ON d.dedup_key = n.dedup_key
       WHERE n.incident_id = $1 AND n.via = 'pagerduty' AND n.action = 'notify'
         AND (n.state = 'done' OR (n.state = 'pending' AND n.locked_until > clock_timestamp()))
         AND ($3::timestamptz IS NULL OR p.created_at <= $3)
         AND ($2 = 'resolve' OR d.acknowledged_at IS NULL)
         AND (d.resolved_at IS NULL)
       ON CONFLICT (incident_id, key) DO NOTHING
       RETURNING id
     )
     SELECT ((SELECT count(*) FROM stop) + (SELECT count(*) FROM follow))::int AS n`,
    [incident.id, action, ackAt],
  );
  return (rows[0]?.n ?? 0) > 0;
}

/** One method's outcome for one person on one page, for the card. */
export interface PageDelivery {
  pageId: number;
  role: string;
  userId: string | null;
  via: NotifyVia;
  outcome: DeliveryOutcome;
  at: Date;
}

interface PageDeliveryDbRow {
  page_id: number;
  role: string;
  user_id: string | null;
  via: NotifyVia;
  outcome: DeliveryOutcome;
  at: Date | string;
}

/**
 * Every page delivery of an incident (the DMs and the later steps), oldest first, as part of another repository's
 * statement (the card's escalation summary: one round trip): what it selects is read back with pageDeliveriesOf.
 */
export function pageDeliveriesPart(incidentId: number): (first: number) => StatementPart {
  return (first) => ({
    with: '',
    params: [incidentId],
    select: `(SELECT json_agg(json_build_object('page_id', page_id, 'role', role, 'user_id', user_id, 'via', via,
       'outcome', outcome, 'at', at) ORDER BY at, id) FROM notification_deliveries
       WHERE incident_id = $${first} AND action = 'notify' AND page_id IS NOT NULL)`,
  });
}

/** What pageDeliveriesPart selected. */
export function pageDeliveriesOf(selected: unknown): PageDelivery[] {
  if (selected === null || selected === undefined) return [];
  const rows = (typeof selected === 'string' ? JSON.parse(selected) : selected) as PageDeliveryDbRow[];
  return toPageDeliveries(rows);
}

function toPageDeliveries(rows: readonly PageDeliveryDbRow[]): PageDelivery[] {
  return rows.map((r) => ({
    pageId: Number(r.page_id),
    role: r.role,
    userId: r.user_id,
    via: r.via,
    outcome: r.outcome,
    at: toDate(r.at),
  }));
}

/** The people whose PagerDuty steps under this dedup key were sent (or are being sent): whose services to follow up. */
export async function pagerdutyRecipients(q: Queryable, incidentId: number, dedupKey: string): Promise<string[]> {
  const { rows } = await q.query<{ user_id: string }>(
    `SELECT DISTINCT user_id FROM notification_jobs
     WHERE incident_id = $1 AND dedup_key = $2 AND via = 'pagerduty' AND action = 'notify' AND user_id IS NOT NULL
       AND (state = 'done' OR (state = 'pending' AND attempts > 0))`,
    [incidentId, dedupKey],
  );
  return rows.map((r) => r.user_id);
}

/**
 * Whether acknowledgeOwnPages would find anything: a page of the incident (acknowledged, not resolved) made after its
 * acknowledgement, not acknowledged itself, that reached `userId` (see acknowledgeOwnPages). One statement, without a
 * lock: most clicks of Acknowledge find none, and need no transaction to say so.
 */
export async function hasOwnPagesToAcknowledge(q: Queryable, incidentId: number, userId: string): Promise<boolean> {
  const { rows } = await q.query<{ any: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM incidents i JOIN pages p ON p.incident_id = i.id
       WHERE i.id = $1 AND i.status <> 'resolved' AND i.acknowledged_at IS NOT NULL
         AND p.acknowledged_at IS NULL AND p.created_at > i.acknowledged_at
         AND (EXISTS (SELECT 1 FROM page_deliveries d WHERE d.page_id = p.id AND d.user_id = $2 AND NOT d.unreachable)
              OR EXISTS (SELECT 1 FROM notification_jobs n WHERE n.page_id = p.id AND n.user_id = $2))) AS any`,
    [incidentId, userId],
  );
  return rows[0]?.any ?? false;
}

/**
 * The person acknowledged their own page: the pages of the incident that reached them (a DM Slack delivered, or steps
 * scheduled for them; a DM Slack could not deliver, an unreachable delivery, did not reach them) sent after the
 * incident's acknowledgement (`after`; earlier ones stopped with it) and not acknowledged yet are marked; their steps
 * still to come stop (one being sent right now counts as sent); PagerDuty is asked to acknowledge what they
 * triggered, once per page and role. Returns the pages marked.
 */
export async function acknowledgeOwnPages(
  q: Queryable,
  incidentId: number,
  userId: string,
  after: Date,
): Promise<{ pageId: number; role: string }[]> {
  const { rows } = await q.query<{ id: number; role: string }>(
    `UPDATE pages p SET acknowledged_at = clock_timestamp(), acknowledged_by = $2
     WHERE p.incident_id = $1 AND p.acknowledged_at IS NULL AND p.created_at > $3
       AND (EXISTS (SELECT 1 FROM page_deliveries d WHERE d.page_id = p.id AND d.user_id = $2 AND NOT d.unreachable)
            OR EXISTS (SELECT 1 FROM notification_jobs n WHERE n.page_id = p.id AND n.user_id = $2))
     RETURNING p.id, p.role`,
    [incidentId, userId, after],
  );
  const pageIds = rows.map((r) => Number(r.id));
  if (pageIds.length === 0) return [];
  await q.query(
    `UPDATE notification_jobs SET state = 'cancelled', finished_at = now(), locked_until = NULL
     WHERE page_id = ANY($1::int[]) AND action = 'notify' AND state = 'pending'
       AND (locked_until IS NULL OR locked_until < clock_timestamp())`,
    [pageIds],
  );
  await q.query(
    `INSERT INTO notification_jobs (incident_id, key, role, via, action, dedup_key, due_at)
     SELECT DISTINCT ON (n.dedup_key) n.incident_id, 'pd:acknowledge:page:' || n.page_id || ':' || n.dedup_key, n.role,
            'pagerduty', 'acknowledge', n.dedup_key, now()
     FROM notification_jobs n LEFT JOIN pagerduty_incidents d ON d.dedup_key = n.dedup_key
     WHERE n.page_id = ANY($1::int[]) AND n.via = 'pagerduty' AND n.action = 'notify'
       AND (n.state = 'done' OR (n.state = 'pending' AND n.locked_until > clock_timestamp()))
       AND d.acknowledged_at IS NULL AND d.resolved_at IS NULL
     ON CONFLICT (incident_id, key) DO NOTHING`,
    [pageIds],
  );
  return rows.map((r) => ({ pageId: Number(r.id), role: r.role }));
}
