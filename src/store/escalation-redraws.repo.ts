import type { Queryable } from './db.js';
import { OTHER_COMMANDER, PAGE_ACKNOWLEDGED } from './page-predicates.js';

/*
 * The escalation timers that show things again: page direct messages (`redraw_pages`) and the incident's card
 * (`redraw_card`), written on a change, a hand-off or a failed refresh, and the card's redraw ended or moved.
 */

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

/** The key of the card's redraw (`redraw_card`) that the end of the paging job `jobId` writes (see announcePage). */
export const cardRedrawKey = (jobId: number) => `redraw_card@job:${jobId}`;

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
