import type { PageDmAt, PageDmState } from '../incidents/ports.js';
import type { Database, Queryable } from './db.js';
import { DRAWN_BEHIND, PAGE_ACKNOWLEDGED } from './page-predicates.js';

/*
 * Page direct messages (page_deliveries' and notification_jobs' dm_* columns): those still open or behind their page,
 * what each was last drawn with, and the lease of drawing them (PageDmRedraw).
 */

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
