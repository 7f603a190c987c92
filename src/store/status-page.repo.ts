import type { Severity } from '../incidents/severity.js';
import type { PublicUpdate } from '../incidents/status-page.js';
import type { IncidentStatus } from '../incidents/types.js';
import { type Queryable, toDate, toDateOrNull } from './db.js';

/**
 * The public status page's SQL. Only these columns are ever read for it: an incident's id, title, severity, status
 * and times, and its published updates (status_page_updates). Nothing else of the record (people, commands, outputs,
 * internal notes, unpublished updates) is selected, so nothing else can reach the page.
 */

interface UpdateRow {
  incident_id: number;
  at: Date | string;
  status: string;
  affected: string;
  current_impact: string;
  current_status: string;
  next_update_at: Date | string | null;
}

const toUpdate = (r: UpdateRow): PublicUpdate => ({
  at: toDate(r.at),
  status: r.status as IncidentStatus,
  affected: r.affected,
  currentImpact: r.current_impact,
  currentStatus: r.current_status,
  nextUpdateAt: toDateOrNull(r.next_update_at),
});

/** Records a published update (in the transaction of the status update it comes from). */
export async function insertPublicUpdate(q: Queryable, incidentId: number, u: PublicUpdate): Promise<void> {
  await q.query(
    `INSERT INTO status_page_updates (incident_id, at, status, affected, current_impact, current_status, next_update_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [incidentId, u.at, u.status, u.affected, u.currentImpact, u.currentStatus, u.nextUpdateAt],
  );
}

/** An incident as the status page may read it. */
export interface PublicIncidentRow {
  id: number;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  startedAt: Date;
  resolvedAt: Date | null;
  latest: PublicUpdate | null;
  /** Opened by the bot from alerts on its own: public only once an update is published. */
  fromAlerts: boolean;
  /** When its first update was published; null while none has been. */
  firstPublishedAt: Date | null;
}

/**
 * The incidents the page lists: whole ones (declared, with their channel) that are open or were resolved since
 * `resolvedSince`, and public: of a level in `publicLevels`, or with an update published. Open ones first (most
 * severe, then newest), then the resolved ones, latest resolved first; each with its latest published update.
 *
 * An incident the bot opened from alerts on its own is titled with the alert's summary, monitoring's words (hosts,
 * metrics, thresholds): it is listed only once a person has published an update of it, under what they wrote as
 * AFFECTED, never its title.
 */
export async function listPublicIncidents(
  q: Queryable,
  opts: { publicLevels: readonly number[]; resolvedSince: Date; limit: number },
): Promise<PublicIncidentRow[]> {
  const { rows } = await q.query<
    {
      id: number;
      title: string;
      severity: number;
      status: string;
      created_at: Date | string;
      resolved_at: Date | string | null;
      update_at: Date | string | null;
      from_alerts: boolean;
      first_published_at: Date | string | null;
    } & Omit<UpdateRow, 'at' | 'incident_id' | 'status'> & { update_status: string | null }
  >(
    `SELECT i.id, CASE WHEN a.from_alerts THEN u.affected ELSE i.title END AS title, i.severity, i.status,
            i.created_at, i.resolved_at,
            u.at AS update_at, u.status AS update_status, u.affected, u.current_impact, u.current_status,
            u.next_update_at, a.from_alerts,
            (SELECT min(f.at) FROM status_page_updates f WHERE f.incident_id = i.id) AS first_published_at
     FROM incidents i
     LEFT JOIN LATERAL (
       SELECT s.at, s.status, s.affected, s.current_impact, s.current_status, s.next_update_at
       FROM status_page_updates s WHERE s.incident_id = i.id ORDER BY s.at DESC, s.id DESC LIMIT 1
     ) u ON true
     CROSS JOIN LATERAL (
       SELECT EXISTS (
         SELECT 1 FROM alert_incidents ai WHERE ai.incident_id = i.id AND ai.declared_by IS NULL
       ) AS from_alerts
     ) a
     WHERE NOT i.declaring AND i.channel_id IS NOT NULL AND NOT i.private
       AND (i.status <> 'resolved' OR i.resolved_at >= $2)
       AND (u.at IS NOT NULL OR (i.severity = ANY($1::int[]) AND NOT a.from_alerts))
     ORDER BY (i.status = 'resolved'), CASE WHEN i.status = 'resolved' THEN NULL ELSE i.severity END,
              i.resolved_at DESC NULLS FIRST, i.created_at DESC
     LIMIT $3`,
    [opts.publicLevels, opts.resolvedSince, opts.limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    title: r.title,
    severity: Number(r.severity) as Severity,
    status: r.status as IncidentStatus,
    startedAt: toDate(r.created_at),
    resolvedAt: toDateOrNull(r.resolved_at),
    latest:
      r.update_at === null
        ? null
        : toUpdate({ ...r, incident_id: r.id, at: r.update_at, status: r.update_status ?? r.status }),
    fromAlerts: r.from_alerts === true,
    firstPublishedAt: toDateOrNull(r.first_published_at),
  }));
}

/** The published updates of these incidents, newest first, at most `limit` (the feed's entries). */
export async function listPublicUpdates(
  q: Queryable,
  incidentIds: readonly number[],
  limit: number,
): Promise<(PublicUpdate & { id: number; incidentId: number })[]> {
  if (incidentIds.length === 0) return [];
  const { rows } = await q.query<UpdateRow & { id: number }>(
    `SELECT id, incident_id, at, status, affected, current_impact, current_status, next_update_at
     FROM status_page_updates WHERE incident_id = ANY($1::int[]) ORDER BY at DESC, id DESC LIMIT $2`,
    [incidentIds, limit],
  );
  return rows.map((r) => ({ id: Number(r.id), incidentId: Number(r.incident_id), ...toUpdate(r) }));
}

/**
 * Each reopening of these incidents (`/incident reopen`): when, and when the resolution it undid was made (its event
 * keeps it), oldest first.
 */
export async function listReopenings(
  q: Queryable,
  incidentIds: readonly number[],
): Promise<{ incidentId: number; at: Date; undoneResolutionAt: Date | null }[]> {
  if (incidentIds.length === 0) return [];
  const { rows } = await q.query<{ incident_id: number; at: Date | string; resolved_at: string | null }>(
    `SELECT incident_id, at, details->>'resolvedAt' AS resolved_at
     FROM incident_events WHERE kind = 'reopened' AND incident_id = ANY($1::int[]) ORDER BY at, id`,
    [incidentIds],
  );
  return rows.map((r) => ({
    incidentId: Number(r.incident_id),
    at: toDate(r.at),
    undoneResolutionAt: r.resolved_at ? toDateOrNull(r.resolved_at) : null,
  }));
}

/**
 * Each change of these incidents' severity (`/incident severity`): when, from which level to which, oldest first. The
 * page reads what an incident's level was at a moment from them: a feed entry keeps the impact it was published with.
 */
export async function listSeverityChanges(
  q: Queryable,
  incidentIds: readonly number[],
): Promise<{ incidentId: number; at: Date; from: Severity; to: Severity }[]> {
  if (incidentIds.length === 0) return [];
  const { rows } = await q.query<{ incident_id: number; at: Date | string; from: string; to: string }>(
    `SELECT incident_id, at, details->>'from' AS "from", details->>'to' AS "to"
     FROM incident_events WHERE kind = 'severity_changed' AND incident_id = ANY($1::int[])
       AND details ? 'from' AND details ? 'to'
     ORDER BY at, id`,
    [incidentIds],
  );
  return rows.map((r) => ({
    incidentId: Number(r.incident_id),
    at: toDate(r.at),
    from: Number(r.from) as Severity,
    to: Number(r.to) as Severity,
  }));
}
