import type { NeverReached } from '../incidents/ports.js';
import type { Database, Queryable } from './db.js';
import { INCIDENT_FIRST, incidentFirst } from './event.repo.js';
import { PAGE_SENT } from './page-predicates.js';

/*
 * Pages that failed: a paging job given up (giveUpPages), and the `page_failed` timer that tells of it and of the
 * people a page never reached (pageFailedKey, failedPagesOf).
 */

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
 * The people a page never reached (pages.missed) with each one's answer (pages.missed_errors, in the same order); a
 * row written before those were kept has one answer, `failure`, for all of them.
 */
export function neverReachedOf(
  userIds: string[],
  errors: readonly (string | null)[] | null,
  failure: string | null,
): NeverReached {
  return { userIds, errors: userIds.map((_, i) => (errors ? (errors[i] ?? null) : failure)) };
}

/**
 * The pages a `page_failed` timer (its `key`, pageFailedKey) tells of: those of its job given up before they went out,
 * with Slack's last answer (`failed`), those that went out with people their DMs never reached (`missed`, with Slack's
 * answer), and those with people Slack said cannot be messaged at all (`unreachable`: page_deliveries.unreachable, with
 * its answer; `reachedNobody`: nobody else of the page was reached). Found by the job's id (the pages' `(job_id, role)`
 * key is their index), read back from the key.
 */
export async function failedPagesOf(
  q: Queryable,
  incidentId: number,
  key: string,
): Promise<
  {
    role: string;
    error: string | null;
    failed: boolean;
    missed?: NeverReached;
    unreachable?: NeverReached & { reachedNobody: boolean };
  }[]
> {
  const jobId = pageFailedJobOf(key);
  if (jobId === null) return [];
  // Each page's deliveries read once (a lateral aggregate, one row for a page with none too): whom it could not reach,
  // with Slack's answers in the same order, and whether it reached anyone.
  const { rows } = await q.query<{
    role: string;
    failure: string | null;
    missed: string[] | null;
    missed_errors: (string | null)[] | null;
    failed: boolean;
    unreachable: string[] | null;
    unreachable_errors: (string | null)[] | null;
    reached: boolean;
  }>(
    `SELECT p.role, p.failure, p.missed, p.missed_errors, p.failed_at IS NOT NULL AS failed,
            u.unreachable, u.unreachable_errors, u.reached
     FROM pages p
     CROSS JOIN LATERAL (
       SELECT array_agg(d.user_id ORDER BY d.delivered_at, d.user_id) FILTER (WHERE d.unreachable) AS unreachable,
              array_agg(d.unreachable_error ORDER BY d.delivered_at, d.user_id) FILTER (WHERE d.unreachable)
                AS unreachable_errors,
              coalesce(bool_or(NOT d.unreachable), false) AS reached
       FROM page_deliveries d WHERE d.page_id = p.id
     ) u
     WHERE p.job_id = $2 AND p.incident_id = $1
       AND (p.failed_at IS NOT NULL OR cardinality(p.missed) > 0 OR u.unreachable IS NOT NULL)
     ORDER BY p.created_at, p.id`,
    [incidentId, jobId],
  );
  return rows.map((r) => ({
    role: r.role,
    error: r.failure,
    failed: r.failed,
    ...(r.failed || !r.missed?.length ? {} : { missed: neverReachedOf(r.missed, r.missed_errors, r.failure) }),
    ...(r.unreachable?.length
      ? {
          unreachable: {
            ...neverReachedOf(r.unreachable, r.unreachable_errors ?? [], null),
            reachedNobody: !r.reached,
          },
        }
      : {}),
  }));
}

/** A page of paging job `job` (SQL) with someone Slack said cannot be messaged at all: its page_failed notice names them. */
export const UNREACHABLE_OF_JOB = (job: string) =>
  `EXISTS (SELECT 1 FROM pages up JOIN page_deliveries ud ON ud.page_id = up.id
           WHERE up.job_id = ${job} AND ud.unreachable)`;

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
          OR (EXISTS (SELECT 1 FROM fin) AND ${UNREACHABLE_OF_JOB('$1')})
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
