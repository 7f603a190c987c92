import type { NeverReached, PageDmAt } from '../incidents/ports.js';
import type { PagedIncident } from '../incidents/types.js';
import { type Database, type Queryable, type StatementPart, toDate } from './db.js';
import { cardRedrawKey } from './escalation-redraws.repo.js';
import { INCIDENT_FIRST, incidentFirst } from './event.repo.js';
import { type IncidentRow, toIncident } from './incident.repo.js';
import { pageFailedKey, UNREACHABLE_OF_JOB } from './page-failure.repo.js';
import { DRAWN_BEHIND, PAGE_ACKNOWLEDGED, PAGE_COUNTS, PAGE_SENT } from './page-predicates.js';

/*
 * Pages (pages, page_deliveries): the roles a paging job pages, whom each reached, the channel told of it, and what is
 * read back from them (the roles taken, a role's latest page, the incidents that paged someone). Their direct messages'
 * redraws are in page-dm.repo.ts, their failures in page-failure.repo.ts.
 */

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
  /** Slack's answer for each of `unreachable` whose answer was kept (user_not_found …). */
  unreachableWhy: Map<string, string>;
  /** When the page was first tried: its row is made in the claim that first fires its job, before any message. */
  createdAt: Date;
  /** It went out or is going out (PAGE_COUNTS): not a page called off or given up before it went. */
  counts: boolean;
  /** Slack's answer to its last try that failed (its job retried for it: retryJob), null when none. */
  failure: string | null;
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
    unreachable_errors: (string | null)[] | null;
    counts: boolean;
    failure: string | null;
  }>(
    `SELECT p.id, p.incident_id, p.job_id, p.role, p.announced_at, p.created_at, p.failure,
            (SELECT array_agg(d.user_id) FROM page_deliveries d WHERE d.page_id = p.id) AS delivered,
            (SELECT array_agg(d.user_id ORDER BY d.user_id) FROM page_deliveries d
             WHERE d.page_id = p.id AND d.unreachable) AS unreachable,
            (SELECT array_agg(d.unreachable_error ORDER BY d.user_id) FROM page_deliveries d
             WHERE d.page_id = p.id AND d.unreachable) AS unreachable_errors,
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
    unreachableWhy: new Map(
      (r.unreachable ?? []).flatMap((u, i) => {
        const error = r.unreachable_errors?.[i];
        return error ? [[u, error] as const] : [];
      }),
    ),
    createdAt: toDate(r.created_at),
    counts: r.counts === true,
    failure: r.failure,
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
  /**
   * Those of `userIds` the page could not reach, with Slack's answer when known (user_not_found …): recorded as
   * tried, not as paged.
   */
  unreachable: ReadonlySet<string> | ReadonlyMap<string, string | null> = new Map(),
  severity: number | null = null,
  /** The role its DMs offer to escalate to ('' for none; see pageDmDrawn). */
  escalateTo: string | null = null,
  /** The commander that Escalate to … was chosen with ('' for none; null for a page without one). */
  commander: string | null = null,
  /** What else the page's DMs leave, written in the same statement (its notify: rules' records: pageNotificationsPart). */
  more?: (first: number) => StatementPart,
  /**
   * The people its DMs still failed for on its job's last try, each with Slack's answer, when it reached someone:
   * recorded on the page as never reached by it (pages.missed, missed_errors; failure: the first's).
   */
  missed?: NeverReached,
): Promise<boolean> {
  if (userIds.length === 0 && !more && !missed) return false;
  const part = more?.(13);
  // Drawn before a change that its timer has shown already (the page was on its way): a timer of its own shows it.
  const { rows } = await q.query<{ late: boolean }>(
    `WITH ${part?.with ? `${part.with}, ` : ''}ins AS (
       INSERT INTO page_deliveries (page_id, user_id, dm_channel, dm_ts, unreachable, dm_severity, dm_escalate_to,
                                   dm_commander, unreachable_error)
       SELECT $1, u.user_id, u.channel, u.ts, u.unreachable, $6::smallint, $7::text, $8::text, u.error
       FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[], $12::text[])
         AS u (user_id, channel, ts, unreachable, error)
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
       UPDATE pages SET missed = $9::text[], failure = $10::text, missed_errors = $11::text[]
       WHERE id = $1 AND $9::text[] IS NOT NULL
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
      missed?.errors[0]?.slice(0, 1000) ?? null,
      missed ? missed.errors.map((e) => e?.slice(0, 1000) ?? null) : null,
      userIds.map((u) => ('get' in unreachable ? unreachable.get(u)?.slice(0, 1000) : null) ?? null),
      ...(part?.params ?? []),
    ],
  );
  return rows[0]?.late === true;
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
         AND (EXISTS (SELECT 1 FROM pages mp WHERE mp.job_id = $5::int AND cardinality(mp.missed) > 0)
              OR ${UNREACHABLE_OF_JOB('$5::int')})
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
  /** Slack's answer for each of `unreachable` (same order; null: not kept). */
  unreachableErrors: (string | null)[];
} | null> {
  const { rows } = await q.query<{
    rule: string;
    requested_by: string | null;
    at: Date | string;
    pending: boolean;
    skipped: boolean | null;
    delivered: string[] | null;
    unreachable: string[] | null;
    unreachable_errors: (string | null)[] | null;
  }>(
    `SELECT j.rule, j.requested_by, coalesce(p.created_at, j.created_at) AS at,
            p.id IS NULL OR NOT ${PAGE_SENT('p')} AS pending, p.skipped,
            (SELECT array_agg(d.user_id ORDER BY d.delivered_at) FROM page_deliveries d
             WHERE d.page_id = p.id AND NOT d.unreachable) AS delivered,
            (SELECT array_agg(d.user_id ORDER BY d.delivered_at, d.user_id) FROM page_deliveries d
             WHERE d.page_id = p.id AND d.unreachable) AS unreachable,
            (SELECT array_agg(d.unreachable_error ORDER BY d.delivered_at, d.user_id) FROM page_deliveries d
             WHERE d.page_id = p.id AND d.unreachable) AS unreachable_errors
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
        unreachableErrors: (r.unreachable ?? []).map((_, i) => r.unreachable_errors?.[i] ?? null),
      }
    : null;
}

/**
 * The open incidents (whole ones) whose pages reached `userId`, the latest paged first, at most `limit`: what someone
 * typing `/incident ack` in the bot's direct messages, where their pages came, means. A page Slack could not deliver
 * to them (an unreachable delivery) came nowhere: it is not theirs.
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
       AND EXISTS (SELECT 1 FROM page_deliveries d WHERE d.page_id = p.id AND d.user_id = $2 AND NOT d.unreachable)
     GROUP BY i.id ORDER BY last_paged DESC LIMIT $3`,
    [teamId, userId, limit],
  );
  return rows.map((r) => ({ incident: toIncident(r), unanswered: r.unanswered }));
}
