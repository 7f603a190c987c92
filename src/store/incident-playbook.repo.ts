import type { HostRef } from '../incidents/playbook-host.js';
import {
  type ChecklistClaim,
  type ClaimedChecklist,
  claimed,
  claimUnpostedChecklists,
  leaseFor,
} from './checklist-post.repo.js';
import { type Queryable, toDate, toDateOrNull } from './db.js';

/**
 * The playbooks attached to incidents (incident_playbooks): attached and detached, their message in the channel and the
 * page of steps it is turned to. A standalone run's playbook message (playbook_runs) is turned the same way.
 */
/**
 * Remembers the page of its steps a host's playbook message was turned to (see migration 068): its redraws show it.
 * A run's only for its own playbook (the one its message shows).
 */
export async function setPlaybookPage(q: Queryable, host: HostRef, playbookId: string, page: number): Promise<void> {
  await q.query(
    host.kind === 'incident'
      ? 'UPDATE incident_playbooks SET message_page = $3 WHERE incident_id = $1 AND playbook_id = $2'
      : 'UPDATE playbook_runs SET message_page = $3 WHERE id = $1 AND playbook_id = $2',
    [host.id, playbookId, page],
  );
}

/**
 * Attaches a playbook to an incident, or again once it was detached, and records it (`playbook_attached`, with
 * `details`) in the same statement; false when it is attached already (nothing recorded). Its ticks and runs stay the
 * incident's, so a playbook attached again shows where it was left. Its checklist message is to be posted: the
 * attachment is held `postLeaseMs` (renewChecklistPost) by the process posting it, then it is the sweep's.
 */
export async function attachPlaybook(
  q: Queryable,
  incidentId: number,
  playbookId: string,
  attachedBy: string | null,
  details: Record<string, unknown>,
  postLeaseMs: number,
): Promise<boolean> {
  const { rows } = await q.query<{ playbook_id: string }>(
    `WITH a AS (
       INSERT INTO incident_playbooks (incident_id, playbook_id, attached_by, message_lease_until)
       VALUES ($1, $2, $3, ${leaseFor('$5')})
       ON CONFLICT (incident_id, playbook_id) DO UPDATE
         SET attached_by = EXCLUDED.attached_by, attached_at = now(), detached_at = NULL, detached_by = NULL,
             message_ts = NULL, message_page = NULL, message_lease_until = EXCLUDED.message_lease_until,
             message_attempts = 0, message_given_up_at = NULL,
             message_given_up_why = NULL, tell_due_at = NULL, tell_attempts = 0
         WHERE incident_playbooks.detached_at IS NOT NULL
       RETURNING playbook_id
     ), e AS (
       INSERT INTO incident_events (incident_id, kind, actor_id, details)
       SELECT $1, 'playbook_attached', $3, $4::jsonb FROM a
     )
     SELECT playbook_id FROM a`,
    [incidentId, playbookId, attachedBy, JSON.stringify(details), postLeaseMs],
  );
  return rows.length === 1;
}

/**
 * A playbook attached to an incident: who attached it, its message, and whether it was detached since; and the runbook
 * rows of the alerts that opened the incident (or joined it), in the order they did: where a playbook nobody attached
 * came from, when one of those rows names it.
 */
export interface AttachedPlaybook {
  playbookId: string;
  attachedBy: string | null;
  alertRules: string[];
  messageTs: string | null;
  /** Which attachment this is (when it was attached, to the microsecond): its checklist message's marker names it. */
  attachment: string;
  detachedAt: Date | null;
  detachedBy: string | null;
}

export interface AttachedRow {
  playbook_id: string;
  attached_by: string | null;
  message_ts: string | null;
  attachment: string;
  detached_at: Date | string | null;
  detached_by: string | null;
  alert_rules: string[] | null;
}

/** Which attachment of a playbook a row is (attached again, another): when it was attached, as exact text. */
const ATTACHMENT = "to_char(attached_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS')";

/** One incident's attachment of a playbook as AttachedRow, by SQL expressions: also read with a checklist's records. */
export const ATTACHED = (incident: string, playbook: string, forUpdate = false) =>
  `SELECT playbook_id, attached_by, message_ts, ${ATTACHMENT} AS attachment, detached_at, detached_by,
     CASE WHEN attached_by IS NULL THEN ARRAY(
       SELECT ai.rule FROM alert_incidents ai WHERE ai.incident_id = ${incident} AND ai.rule IS NOT NULL ORDER BY ai.id)
     END AS alert_rules
   FROM incident_playbooks
   WHERE incident_id = ${incident} AND playbook_id = ${playbook}${forUpdate ? ' FOR UPDATE' : ''}`;

export const toAttached = (r: AttachedRow): AttachedPlaybook => ({
  playbookId: r.playbook_id,
  attachedBy: r.attached_by,
  alertRules: r.alert_rules ?? [],
  messageTs: r.message_ts,
  attachment: r.attachment,
  detachedAt: toDateOrNull(r.detached_at),
  detachedBy: r.detached_by,
});

export async function getAttachedPlaybook(
  q: Queryable,
  incidentId: number,
  playbookId: string,
  forUpdate = false,
): Promise<AttachedPlaybook | null> {
  const { rows } = await q.query<AttachedRow>(ATTACHED('$1', '$2', forUpdate), [incidentId, playbookId]);
  return rows[0] ? toAttached(rows[0]) : null;
}

/** The ids of the playbooks attached to the incident now (not detached), in the order they were attached. */
export async function attachedPlaybookIds(q: Queryable, incidentId: number): Promise<string[]> {
  const { rows } = await q.query<{ playbook_id: string }>(
    'SELECT playbook_id FROM incident_playbooks WHERE incident_id = $1 AND detached_at IS NULL ORDER BY attached_at, playbook_id',
    [incidentId],
  );
  return rows.map((r) => r.playbook_id);
}

/** Detaches a playbook from its incident; false when it was not attached, or already detached. */
export async function detachPlaybook(
  q: Queryable,
  incidentId: number,
  playbookId: string,
  detachedBy: string,
): Promise<boolean> {
  const { rows } = await q.query(
    `UPDATE incident_playbooks SET detached_at = now(), detached_by = $3
     WHERE incident_id = $1 AND playbook_id = $2 AND detached_at IS NULL RETURNING playbook_id`,
    [incidentId, playbookId, detachedBy],
  );
  return rows.length === 1;
}

/** An attachment whose checklist message is not on the record, claimed for the sweep (see ChecklistMessages). */
export interface UnpostedAttachment extends ClaimedChecklist {
  incidentId: number;
  playbookId: string;
  attachment: string;
  attachedAt: Date;
  /** Who attached it (null: the bot, suggesting it). */
  attachedBy: string | null;
}

/**
 * Attachments with no checklist message whose hold ran out (or given up, their person yet to be told: `what`), claimed
 * for the sweep (see claimUnpostedChecklists).
 */
export async function claimUnpostedAttachments(
  q: Queryable,
  limit: number,
  leaseMs: number,
  what: ChecklistClaim = 'post',
): Promise<UnpostedAttachment[]> {
  const rows = await claimUnpostedChecklists<{
    incident_id: number;
    playbook_id: string;
    attached_at: Date | string;
    attached_by: string | null;
    attachment: string;
  }>(q, 'attached', limit, leaseMs, `${ATTACHMENT} AS attachment`, what);
  return rows.map((r) => ({
    incidentId: Number(r.incident_id),
    playbookId: r.playbook_id,
    attachment: r.attachment,
    attachedAt: toDate(r.attached_at),
    attachedBy: r.attached_by,
    ...claimed(r),
  }));
}

export async function playbookMessage(q: Queryable, incidentId: number, playbookId: string): Promise<string | null> {
  const { rows } = await q.query<{ message_ts: string | null }>(
    'SELECT message_ts FROM incident_playbooks WHERE incident_id = $1 AND playbook_id = $2',
    [incidentId, playbookId],
  );
  return rows[0]?.message_ts ?? null;
}
