import type { AlertFormat, AlertLevel, AlertStatus, AlertView, IncomingAlert } from '../incidents/alert-types.js';
import { AI_SELECT, type AlertIncidentDbRow, type AlertIncidentRow, toAlertIncident } from './alert-incident.repo.js';
import { jsonOf, type Queryable, toDate } from './db.js';

/*
 * Alerts (alerts): their rows, as a delivery records and changes them, and as the declaring of an incident links and
 * reads them. Alert incidents are in alert-incident.repo.ts; the notices, the lists, the card and the maintenance
 * holds in alert-notice, alert-list, alert-card and alert-held-back.repo.ts.
 */

const toDateOrNull = (v: Date | string | null) => (v === null ? null : toDate(v));
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export interface AlertRow extends AlertView {
  /** With its source and fingerprint, its identity: a generic key is never taken for an Alertmanager fingerprint. */
  format: AlertFormat;
  fingerprint: string;
  groupKey: string;
  /** The start of its current firing and its end, as its source said (null: the source gives none, or not yet). */
  startsAt: Date | null;
  endsAt: Date | null;
  rule: string | null;
  labels: Record<string, string>;
  alertIncidentId: number | null;
  lastDeliveryId: number;
  noticePlanned: boolean;
  notice: { channel: string; ts: string } | null;
  /** Where a security alert's notice was sent whole to on-call (on its lead); null: none sent. */
  noticeDms: { channel: string; ts: string }[] | null;
  /** The alert whose notice this one is shown in (a group's alerts share one); null: its own, or none. */
  noticeLead: number | null;
  /** On a notice's lead: how many alerts of the group its source left out of the latest delivery. */
  noticeLeftOut: number;
}

export interface AlertDbRow {
  id: number;
  source: string;
  format: AlertFormat;
  fingerprint: string;
  group_key: string;
  name: string;
  level: AlertLevel;
  rule: string | null;
  status: AlertStatus;
  summary: string;
  service: string | null;
  metric: string | null;
  value: string | null;
  threshold: string | null;
  url: string | null;
  runbook_url?: string | null;
  silence_url?: string | null;
  dashboard_url?: string | null;
  description?: string | null;
  labels: Record<string, string> | string;
  alert_incident_id: number | null;
  first_seen: Date | string;
  last_seen: Date | string;
  resolved_at: Date | string | null;
  fired_again_at?: Date | string | null;
  starts_at: Date | string | null;
  ends_at: Date | string | null;
  count: number;
  last_delivery_id: number | string;
  maintenance: boolean;
  notice_planned: boolean;
  notice_channel: string | null;
  /** Absent in rows a replica older than migration 048 selected. */
  notice_dms?: { channel: string; ts: string }[] | string | null;
  notice_ts: string | null;
  notice_lead?: number | null;
  notice_left_out?: number | null;
}

export const toAlert = (r: AlertDbRow): AlertRow => ({
  id: Number(r.id),
  source: r.source,
  format: r.format,
  fingerprint: r.fingerprint,
  groupKey: r.group_key,
  name: r.name,
  level: r.level,
  rule: r.rule,
  status: r.status,
  summary: r.summary,
  service: r.service,
  metric: r.metric,
  value: r.value,
  threshold: r.threshold,
  url: r.url,
  runbookUrl: r.runbook_url ?? null,
  silenceUrl: r.silence_url ?? null,
  dashboardUrl: r.dashboard_url ?? null,
  description: r.description ?? null,
  labels: json(r.labels),
  alertIncidentId: r.alert_incident_id === null ? null : Number(r.alert_incident_id),
  firstSeen: toDate(r.first_seen),
  lastSeen: toDate(r.last_seen),
  resolvedAt: toDateOrNull(r.resolved_at),
  firedAgainAt: toDateOrNull(r.fired_again_at ?? null),
  startsAt: toDateOrNull(r.starts_at ?? null),
  endsAt: toDateOrNull(r.ends_at ?? null),
  count: Number(r.count),
  lastDeliveryId: Number(r.last_delivery_id),
  maintenance: r.maintenance,
  noticePlanned: r.notice_planned,
  notice: r.notice_channel && r.notice_ts ? { channel: r.notice_channel, ts: r.notice_ts } : null,
  noticeDms: jsonOf(r.notice_dms ?? null),
  noticeLead: r.notice_lead === null || r.notice_lead === undefined ? null : Number(r.notice_lead),
  noticeLeftOut: Number(r.notice_left_out ?? 0),
});

/** An alert's identity: its source, its format and its fingerprint (Alertmanager's) or key (the generic format's). */
export interface AlertIdentity {
  source: string;
  format: AlertFormat;
  fingerprint: string;
}

/** The key of an alert's identity in the maps the batch reads return. */
export const alertKey = (k: AlertIdentity) => `${k.format}\u0000${k.source}\u0000${k.fingerprint}`;

/**
 * Several alerts' latest rows (each with its alert incident and that incident's status) at once, keyed by alertKey;
 * an alert never seen is not in the map.
 */
export async function latestAlerts(
  q: Queryable,
  keys: readonly AlertIdentity[],
): Promise<Map<string, { alert: AlertRow; alertIncident: AlertIncidentRow | null }>> {
  const found = new Map<string, { alert: AlertRow; alertIncident: AlertIncidentRow | null }>();
  if (keys.length === 0) return found;
  const { rows } = await q.query<AlertDbRow & { ai: AlertIncidentDbRow | string | null }>(
    `SELECT l.* FROM unnest($1::text[], $2::text[], $3::text[]) AS k(source, format, fingerprint)
     CROSS JOIN LATERAL (
       SELECT a.*, (SELECT row_to_json(x) FROM (${AI_SELECT} WHERE ai.id = a.alert_incident_id) x) AS ai
       FROM alerts a WHERE a.source = k.source AND a.format = k.format AND a.fingerprint = k.fingerprint
       ORDER BY a.id DESC LIMIT 1) AS l`,
    [keys.map((k) => k.source), keys.map((k) => k.format), keys.map((k) => k.fingerprint)],
  );
  for (const r of rows) {
    found.set(alertKey(r), {
      alert: toAlert(r),
      alertIncident: r.ai === null ? null : toAlertIncident(json(r.ai)),
    });
  }
  return found;
}

export async function getAlert(q: Queryable, id: number): Promise<AlertRow | null> {
  const { rows } = await q.query<AlertDbRow>('SELECT * FROM alerts WHERE id = $1', [id]);
  return rows[0] ? toAlert(rows[0]) : null;
}

/** Alerts by id, in the order of `ids` (those that are gone left out), in one statement. */
export async function getAlerts(q: Queryable, ids: readonly number[]): Promise<AlertRow[]> {
  const { rows } = await q.query<AlertDbRow>(
    'SELECT * FROM alerts WHERE id = ANY($1::int[]) ORDER BY array_position($1::int[], id)',
    [ids],
  );
  return rows.map(toAlert);
}

/**
 * Of `names`, those an alert of the alert incident, or of its incident once declared (any of its alert incidents),
 * already has, leaving out the alerts `except` (those joining it now): what is not among them is new to it.
 */
export async function namesInIncident(
  q: Queryable,
  of: { alertIncident: number; incident: number | null },
  names: readonly string[],
  except: readonly number[],
): Promise<Set<string>> {
  const { rows } = await q.query<{ name: string }>(
    `SELECT DISTINCT a.name FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
     WHERE (ai.id = $1 OR ai.incident_id = $2) AND a.name = ANY($3::text[]) AND a.id <> ALL($4::int[])`,
    [of.alertIncident, of.incident, names, except],
  );
  return new Set(rows.map((r) => r.name));
}

/** The fields a delivery sets on an alert's row. */
const alertValues = (a: IncomingAlert) => [
  a.name,
  a.level,
  a.rule,
  a.status,
  a.summary,
  a.service,
  a.metric,
  a.value,
  a.threshold,
  a.url,
  JSON.stringify(a.labels),
];

/**
 * A new alert's row. `seenAt` is when its delivery was received (the inbox row's time, however late it is recorded:
 * after a database outage, a busy loop). First seen: the source's start when it gave one (never later than `seenAt`:
 * clocks differ), else `seenAt`; last seen `seenAt`; resolved (a first delivery that says so): the source's end
 * likewise.
 */
export async function insertAlert(
  q: Queryable,
  source: string,
  format: AlertFormat,
  groupKey: string,
  a: IncomingAlert,
  deliveryId: number,
  maintenance: boolean,
  seenAt: Date,
): Promise<AlertRow> {
  const { rows } = await q.query<AlertDbRow>(
    `INSERT INTO alerts (name, level, rule, status, summary, service, metric, value, threshold, url, labels,
       source, fingerprint, group_key, last_delivery_id, maintenance, starts_at, ends_at, runbook_url, silence_url, count,
       first_seen, last_seen, resolved_at, format, dashboard_url, description)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15, $16, $17, $18, $19, $20,
       CASE WHEN $4 = 'firing' THEN 1 ELSE 0 END,
       least(coalesce($17::timestamptz, $21::timestamptz), $21::timestamptz), $21::timestamptz,
       CASE WHEN $4 = 'resolved' THEN least(coalesce($18::timestamptz, $21::timestamptz), $21::timestamptz) END, $22,
       $23, $24)
     RETURNING *`,
    [
      ...alertValues(a),
      source,
      a.fingerprint,
      groupKey,
      deliveryId,
      maintenance,
      a.startsAt,
      a.endsAt,
      a.runbookUrl ?? null,
      a.silenceUrl ?? null,
      seenAt,
      format,
      a.dashboardUrl ?? null,
      a.description ?? null,
    ],
  );
  return toAlert(rows[0]!);
}

/**
 * Deliveries seen again for alerts, several deliveries of an alert folded into one change (a batch's, recorded
 * together): the fields of its last delivery, `firings` more to its count, last seen when that delivery was received
 * (`seenAt`, however late it is recorded), first seen no later than a start its source gave. Resolved: since the
 * first resolution after its last firing, which is the row's own time when `stillResolved` (the alert was resolved
 * before the batch and every delivery of it said so), else the source's end (never later than `seenAt`), else
 * `seenAt`.
 */
export interface AlertChange {
  id: number;
  alert: IncomingAlert;
  deliveryId: number;
  firings: number;
  stillResolved: boolean;
  /** Held back by a maintenance window (as the last firing delivery found; a resolution keeps the row's). */
  maintenance: boolean;
  /** When the last of its deliveries was received (its inbox row's time). */
  seenAt: Date;
}

/** Changes of alerts (see AlertChange) in one statement. */
export async function updateAlerts(q: Queryable, changes: readonly AlertChange[]): Promise<void> {
  if (changes.length === 0) return;
  const col = <T>(f: (c: AlertChange) => T) => changes.map(f);
  await q.query(
    `UPDATE alerts a SET name = u.name, level = u.level, rule = u.rule, status = u.status, summary = u.summary,
       service = u.service, metric = u.metric, value = u.value, threshold = u.threshold, url = u.url,
       runbook_url = u.runbook_url, silence_url = u.silence_url, dashboard_url = u.dashboard_url, labels = u.labels::jsonb,
       description = coalesce(u.description, a.description),
       last_delivery_id = u.delivery,
       last_seen = greatest(a.last_seen, u.seen_at),
       count = a.count + u.firings,
       resolved_at = CASE WHEN u.status = 'resolved'
         THEN CASE WHEN u.still_resolved THEN coalesce(a.resolved_at, u.seen_at)
           ELSE least(coalesce(u.ends_at, u.seen_at), u.seen_at) END END,
       maintenance = u.maintenance,
       starts_at = coalesce(u.starts_at, a.starts_at), ends_at = u.ends_at,
       first_seen = least(a.first_seen, coalesce(u.starts_at, a.first_seen))
     FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
       $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::int[], $15::bool[], $16::bool[],
       $17::timestamptz[], $18::timestamptz[], $19::text[], $20::text[], $21::timestamptz[], $22::text[], $23::text[])
       AS u(id, name, level, rule, status, summary, service, metric, value, threshold, url, labels, delivery, firings,
         still_resolved, maintenance, starts_at, ends_at, runbook_url, silence_url, seen_at, dashboard_url, description)
     WHERE a.id = u.id`,
    [
      col((c) => c.id),
      col((c) => c.alert.name),
      col((c) => c.alert.level),
      col((c) => c.alert.rule),
      col((c) => c.alert.status),
      col((c) => c.alert.summary),
      col((c) => c.alert.service),
      col((c) => c.alert.metric),
      col((c) => c.alert.value),
      col((c) => c.alert.threshold),
      col((c) => c.alert.url),
      col((c) => JSON.stringify(c.alert.labels)),
      col((c) => c.deliveryId),
      col((c) => c.firings),
      col((c) => c.stillResolved),
      col((c) => c.maintenance),
      col((c) => c.alert.startsAt),
      col((c) => c.alert.endsAt),
      col((c) => c.alert.runbookUrl ?? null),
      col((c) => c.alert.silenceUrl ?? null),
      col((c) => c.seenAt),
      col((c) => c.alert.dashboardUrl ?? null),
      col((c) => c.alert.description ?? null),
    ],
  );
}

/**
 * Closes the row of an alert still firing in a resolved incident, as its next firing starts a new row (`at`: when that
 * was heard): the row is no longer followed, and says when it fired again (see AlertView.firedAgainAt).
 */
export async function closeFiredAgain(q: Queryable, alertId: number, at: Date): Promise<void> {
  await q.query(
    `UPDATE alerts SET status = 'resolved', resolved_at = $2, fired_again_at = $2 WHERE id = $1 AND status = 'firing'`,
    [alertId, at],
  );
}

/**
 * Puts each alert in its alert incident (alert incident id by alert id), in one statement. An alert in an incident is
 * held back by no maintenance window (it is declared: its card must not say otherwise).
 */
export async function linkAlerts(q: Queryable, links: ReadonlyMap<number, number>): Promise<void> {
  if (links.size === 0) return;
  await q.query(
    `UPDATE alerts a SET alert_incident_id = l.ai, maintenance = false
     FROM unnest($1::int[], $2::int[]) AS l(id, ai) WHERE a.id = l.id`,
    [[...links.keys()], [...links.values()]],
  );
}

/**
 * The incident the same alert (source, format, fingerprint) was in before this row of it: its firing before, in an
 * incident since resolved (a row starts again when its incident is over). Null: it was in none.
 */
export async function earlierIncidentOf(
  q: Queryable,
  alert: Pick<AlertRow, 'id' | 'source' | 'format' | 'fingerprint'>,
): Promise<number | null> {
  const { rows } = await q.query<{ incident_id: number }>(
    `SELECT ai.incident_id FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
     WHERE a.source = $1 AND a.format = $2 AND a.fingerprint = $3 AND a.id < $4 AND ai.incident_id IS NOT NULL
     ORDER BY a.id DESC LIMIT 1`,
    [alert.source, alert.format, alert.fingerprint, alert.id],
  );
  return rows[0] ? Number(rows[0].incident_id) : null;
}

/**
 * The firing alerts of a group in no incident (a person declaring from one takes them all): one whose declaring failed
 * is in none; one still firing in an incident resolved meanwhile stays on that incident's record.
 */
export async function looseAlertsOfGroup(q: Queryable, source: string, groupKey: string): Promise<AlertRow[]> {
  const { rows } = await q.query<AlertDbRow>(
    `SELECT a.* FROM alerts a LEFT JOIN alert_incidents ai ON ai.id = a.alert_incident_id
     WHERE a.source = $1 AND a.group_key = $2 AND a.status = 'firing'
       AND (a.alert_incident_id IS NULL OR ai.state = 'failed')
       AND a.id = (SELECT max(b.id) FROM alerts b WHERE b.source = a.source AND b.format = a.format AND b.fingerprint = a.fingerprint)`,
    [source, groupKey],
  );
  return rows.map(toAlert);
}

/** Whether an incident holds an info alert (in any of its alert incidents), firing or resolved. */
export async function hasInfoAlert(q: Queryable, incidentId: number): Promise<boolean> {
  const { rows } = await q.query(
    `SELECT 1 FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
      WHERE ai.incident_id = $1 AND a.level = 'info' LIMIT 1`,
    [incidentId],
  );
  return rows.length > 0;
}

/**
 * Links an alert incident being declared to its incident's row and, in the same statement, reads what
 * `alertsOfAlertIncident` reads: its alerts, oldest first. Null when another declaration linked it first.
 */
export async function linkIncidentReadingAlerts(
  q: Queryable,
  id: number,
  incidentId: number,
): Promise<{ alerts: AlertRow[]; storm: boolean } | null> {
  const { rows } = await q.query<Partial<AlertDbRow> & { linked: number; linked_storm: boolean }>(
    `WITH l AS (
       UPDATE alert_incidents SET incident_id = $2 WHERE id = $1 AND incident_id IS NULL AND state = 'declaring'
       RETURNING id, storm
     )
     SELECT l.id AS linked, l.storm AS linked_storm, a.* FROM l LEFT JOIN alerts a ON a.alert_incident_id = l.id
     ORDER BY a.id`,
    [id, incidentId],
  );
  if (rows.length === 0) return null;
  return {
    alerts: rows
      .filter((r): r is AlertDbRow & { linked: number; linked_storm: boolean } => r.id !== null && r.id !== undefined)
      .map(toAlert),
    // As the link finds it under the row's lock: a storm marked it before (markStorm then found it unlinked).
    storm: rows[0]!.linked_storm === true,
  };
}

/** Every alert event of the incident's timeline needs: the alerts linked, with their state. */
export async function alertsOfAlertIncident(q: Queryable, alertIncidentId: number): Promise<AlertRow[]> {
  const { rows } = await q.query<AlertDbRow>('SELECT * FROM alerts WHERE alert_incident_id = $1 ORDER BY id', [
    alertIncidentId,
  ]);
  return rows.map(toAlert);
}
