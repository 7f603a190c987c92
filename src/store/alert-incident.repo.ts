import type { Severity } from '../incidents/severity.js';
import type { IncidentStatus } from '../incidents/types.js';
import { type Queryable, toDate } from './db.js';

/*
 * Alert incidents (alert_incidents): a group's alerts on their way to an incident, or in one; what their rows are, how
 * they are found, opened and kept. Storm control's reads and marks are in alert-storm-control.repo.ts, the card's in
 * alert-card.repo.ts.
 */

const toDateOrNull = (v: Date | string | null) => (v === null ? null : toDate(v));

export interface AlertIncidentRow {
  id: number;
  source: string;
  groupKey: string;
  state: 'declaring' | 'declared' | 'failed';
  incidentId: number | null;
  previousIncidentId: number | null;
  title: string;
  severity: Severity;
  rule: string | null;
  declaredBy: string | null;
  /** Who added its group's alerts to an incident already open (Add to incident); null: it opened its incident. */
  attachedBy: string | null;
  storm: boolean;
  /** Opened for security alerts (their side private): its incident is declared private whatever its title reads. */
  security: boolean;
  allResolvedAt: Date | null;
  createdAt: Date;
  /** The incident's status, when it has one. */
  incidentStatus: IncidentStatus | null;
  /** Whether a refresh of the card is due (repeats recorded and not shown yet, or one being made). */
  cardDue: boolean;
  /** When repeats were last recorded, as the database wrote it (to the microsecond); null when never. */
  repeatsAt: string | null;
  /**
   * How many alerts the source left out of the latest delivery of each group whose alerts are in it (its own, and for
   * a storm the groups that joined it), in all (Alertmanager's max_alerts; see keepGroupTruncated).
   */
  truncated: number;
}

export interface AlertIncidentDbRow {
  id: number;
  source: string;
  group_key: string;
  state: AlertIncidentRow['state'];
  incident_id: number | null;
  previous_incident_id: number | null;
  title: string;
  severity: number;
  rule: string | null;
  declared_by: string | null;
  /** Absent in rows a replica older than migration 042 selected. */
  attached_by?: string | null;
  storm: boolean;
  /** Absent in rows a replica older than migration 047 selected. */
  security?: boolean | null;
  all_resolved_at: Date | string | null;
  created_at: Date | string;
  incident_status: IncidentStatus | null;
  card_due_at: Date | string | null;
  repeats_text: string | null;
  /** Whether its incident is private (null: none yet). */
  incident_private?: boolean | null;
  /** Absent in rows a replica older than migration 024 selected. */
  truncated?: number | null;
}

export const toAlertIncident = (r: AlertIncidentDbRow): AlertIncidentRow => ({
  id: Number(r.id),
  source: r.source,
  groupKey: r.group_key,
  state: r.state,
  incidentId: r.incident_id === null ? null : Number(r.incident_id),
  previousIncidentId: r.previous_incident_id === null ? null : Number(r.previous_incident_id),
  title: r.title,
  severity: Number(r.severity) as Severity,
  rule: r.rule,
  declaredBy: r.declared_by,
  attachedBy: r.attached_by ?? null,
  storm: r.storm,
  security: r.security === true,
  allResolvedAt: toDateOrNull(r.all_resolved_at),
  createdAt: toDate(r.created_at),
  incidentStatus: r.incident_status,
  cardDue: r.card_due_at !== null && r.card_due_at !== undefined,
  repeatsAt: r.repeats_text ?? null,
  truncated: Number(r.truncated ?? 0),
});

export const AI_SELECT = `SELECT ai.*, ai.repeats_at::text AS repeats_text, i.status AS incident_status,
  i.private AS incident_private FROM alert_incidents ai LEFT JOIN incidents i ON i.id = ai.incident_id`;
/** Still taking alerts: being declared, or declared and its incident not resolved. */
export const AI_OPEN = `(ai.state = 'declaring' OR (ai.state = 'declared' AND i.id IS NOT NULL AND i.status <> 'resolved'))`;

export async function getAlertIncident(q: Queryable, id: number): Promise<AlertIncidentRow | null> {
  const { rows } = await q.query<AlertIncidentDbRow>(`${AI_SELECT} WHERE ai.id = $1`, [id]);
  return rows[0] ? toAlertIncident(rows[0]) : null;
}

/** The alert incidents of an incident (usually one), oldest first. */
export async function alertIncidentsOf(q: Queryable, incidentId: number): Promise<AlertIncidentRow[]> {
  const { rows } = await q.query<AlertIncidentDbRow>(`${AI_SELECT} WHERE ai.incident_id = $1 ORDER BY ai.id`, [
    incidentId,
  ]);
  return rows.map(toAlertIncident);
}

/**
 * The sources of an incident's alerts, each once, in the order its card names them (that of its alert incidents,
 * oldest first: alertIncidentsOf); none for an incident that has no alerts. One small statement on the incident's
 * alert incidents (their incident_id index), for its announcement, which names only them.
 */
export async function alertSourcesOf(q: Queryable, incidentId: number): Promise<string[]> {
  // Alerts people added to it later (Add to incident) did not open it.
  const { rows } = await q.query<{ source: string }>(
    'SELECT source FROM alert_incidents WHERE incident_id = $1 AND attached_by IS NULL GROUP BY source ORDER BY min(id)',
    [incidentId],
  );
  return rows.map((r) => r.source);
}

/** Which incidents an alert may join: a security alert only a private one, any other only a public one. */
export type Side = 'public' | 'private';

/**
 * The open alert incidents of several groups at once, on each side (each group's latest there), keyed by ownKey; a
 * group without one on a side is not in the map. The group's own first; else one its alerts are in (a storm's, opened
 * for another group of the source): several alerts of one group go to one incident, during the storm and after it.
 * `sideOf`: the side of an alert incident (whether its incident is private; null: not declared yet).
 */
export async function openAlertIncidentsOfGroups(
  q: Queryable,
  groups: readonly { source: string; groupKey: string }[],
  sideOf: (ai: AlertIncidentRow, isPrivate: boolean | null) => Side,
): Promise<Map<string, AlertIncidentRow>> {
  const found = new Map<string, AlertIncidentRow>();
  if (groups.length === 0) return found;
  const { rows } = await q.query<AlertIncidentDbRow & { g_source: string; g_key: string }>(
    `SELECT g.source AS g_source, g.group_key AS g_key, o.* FROM unnest($1::text[], $2::text[]) AS g(source, group_key)
     CROSS JOIN LATERAL (
       ${AI_SELECT} WHERE ai.source = g.source AND ${AI_OPEN}
         AND (ai.group_key = g.group_key OR ai.id IN (SELECT a.alert_incident_id FROM alerts a
           WHERE a.source = g.source AND a.group_key = g.group_key AND a.alert_incident_id IS NOT NULL))
       ORDER BY ai.group_key = g.group_key DESC, ai.id DESC LIMIT 8) AS o
     ORDER BY o.group_key = g.group_key DESC, o.id DESC`,
    [groups.map((g) => g.source), groups.map((g) => g.groupKey)],
  );
  for (const r of rows) {
    const ai = toAlertIncident(r);
    const key = ownKey(r.g_source, r.g_key, sideOf(ai, r.incident_private ?? null));
    if (!found.has(key)) found.set(key, ai);
  }
  return found;
}

/** The key of a group's open alert incident on a side, in the map openAlertIncidentsOfGroups returns. */
export const ownKey = (source: string, groupKey: string, side: Side) => `${pairKey(source, groupKey)}\u0000${side}`;

/** The key of a (source, group key) pair in the maps the batch reads return (an alert's: alertKey). */
export const pairKey = (source: string, key: string) => `${source}\u0000${key}`;

export interface NewAlertIncident {
  source: string;
  groupKey: string;
  title: string;
  severity: Severity;
  rule: string | null;
  previousIncidentId: number | null;
  /**
   * Declared by a person (from a warning's notice): declared at once, with its incident; `attached`: added to an
   * incident already open (Add to incident), not its opening.
   */
  declaredBy?: { userId: string; incidentId: number; attached?: boolean };
  /** Opened for security alerts (see AlertIncidentRow.security). */
  security?: boolean;
}

export async function insertAlertIncident(q: Queryable, n: NewAlertIncident): Promise<number> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO alert_incidents (source, group_key, title, severity, rule, previous_incident_id, declared_by,
       incident_id, state, attached_by, security)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
    [
      n.source,
      n.groupKey,
      n.title,
      n.severity,
      n.rule,
      n.previousIncidentId,
      n.declaredBy?.userId ?? null,
      n.declaredBy?.incidentId ?? null,
      n.declaredBy ? 'declared' : 'declaring',
      n.declaredBy?.attached ? n.declaredBy.userId : null,
      n.security === true,
    ],
  );
  return Number(rows[0]!.id);
}

/**
 * Deletes an alert incident people added to an incident (Add to an open incident), its alerts left in none (their
 * link is set null by the foreign key). Whether it was there, added by hand.
 */
export async function deleteAttached(q: Queryable, alertIncidentId: number): Promise<boolean> {
  const { rows } = await q.query('DELETE FROM alert_incidents WHERE id = $1 AND attached_by IS NOT NULL RETURNING id', [
    alertIncidentId,
  ]);
  return rows.length > 0;
}

/**
 * What a group's latest delivery said of the alerts its source left out, kept for the alert incident its alerts are
 * in (its own, or a storm's it joined), with the alert incident's `truncated` their sum (see AlertIncidentRow). One
 * statement; nothing written for a group that never left any out. The new sum when it changed, else null.
 */
export async function keepGroupTruncated(
  q: Queryable,
  alertIncidentId: number,
  group: { source: string; groupKey: string },
  truncated: number,
): Promise<number | null> {
  const { rows } = await q.query<{ truncated: number }>(
    `WITH kept AS (
       INSERT INTO alert_group_truncations AS t (alert_incident_id, source, group_key, truncated)
       SELECT $1, $2, $3, $4::int
        WHERE $4::int > 0 OR EXISTS (SELECT 1 FROM alert_group_truncations
                                      WHERE alert_incident_id = $1 AND source = $2 AND group_key = $3)
       ON CONFLICT (alert_incident_id, source, group_key) DO UPDATE SET truncated = EXCLUDED.truncated
        WHERE t.truncated <> EXCLUDED.truncated
       RETURNING 1)
     UPDATE alert_incidents SET truncated = $4::int + (
         SELECT coalesce(sum(g.truncated), 0)::int FROM alert_group_truncations g
          WHERE g.alert_incident_id = $1 AND (g.source, g.group_key) <> ($2, $3))
      WHERE id = $1 AND EXISTS (SELECT 1 FROM kept)
      RETURNING truncated`,
    [alertIncidentId, group.source, group.groupKey, truncated],
  );
  return rows[0] ? Number(rows[0].truncated) : null;
}

/**
 * A group's alerts left a storm's alert incident (`from`) for one declared apart (`to`): what its latest delivery said
 * of the alerts its source left out goes with them, and both sums follow (the storm's card no longer counts them). One
 * statement; nothing for a group that left none out.
 */
export async function moveGroupTruncated(
  q: Queryable,
  from: number,
  to: number,
  group: { source: string; groupKey: string },
): Promise<void> {
  await q.query(
    `WITH moved AS (
       UPDATE alert_group_truncations SET alert_incident_id = $2
        WHERE alert_incident_id = $1 AND source = $3 AND group_key = $4
       RETURNING truncated)
     UPDATE alert_incidents ai
        SET truncated = greatest(0, ai.truncated + CASE WHEN ai.id = $1 THEN -m.truncated ELSE m.truncated END)
       FROM moved m WHERE ai.id IN ($1, $2)`,
    [from, to, group.source, group.groupKey],
  );
}

/** New titles of alert incidents not declared yet (see retitle), in one statement. */
export async function setAlertIncidentTitles(q: Queryable, titles: readonly { id: number; title: string }[]) {
  if (titles.length === 0) return;
  await q.query(
    `UPDATE alert_incidents ai SET title = t.title FROM unnest($1::int[], $2::text[]) AS t(id, title)
     WHERE ai.id = t.id AND ai.state = 'declaring'`,
    [titles.map((t) => t.id), titles.map((t) => t.title)],
  );
}

export async function setAlertIncidentState(q: Queryable, id: number, state: AlertIncidentRow['state']) {
  await q.query('UPDATE alert_incidents SET state = $2 WHERE id = $1', [id, state]);
}

/**
 * Marks an alert incident declared once the given advisory locks are free (a group's, then its source's: the order
 * the recording takes them), in one statement: its own transaction holds them until it commits.
 */
export async function markDeclaredUnderLocks(
  q: Queryable,
  id: number,
  groupLock: string,
  sourceLock: string,
): Promise<void> {
  await q.query(
    `WITH locked AS MATERIALIZED (
       SELECT pg_advisory_xact_lock(hashtext($2)) AS g, pg_advisory_xact_lock(hashtext($3)) AS s
     )
     UPDATE alert_incidents SET state = 'declared' WHERE id = $1 AND EXISTS (SELECT 1 FROM locked)`,
    [id, groupLock, sourceLock],
  );
}

export async function setAllResolved(q: Queryable, id: number, resolved: boolean): Promise<void> {
  await q.query(
    `UPDATE alert_incidents SET all_resolved_at = CASE WHEN $2 THEN clock_timestamp() ELSE NULL END WHERE id = $1`,
    [id, resolved],
  );
}

/**
 * Whether the alert incidents of one incident (grouped by it) say monitoring no longer sees its trouble: it was opened
 * from alerts (one of them has no attached_by) and every one has all its alerts resolved. An incident a person declared
 * is never so, whatever became of the alerts people added to it: a person saw that trouble, not monitoring.
 */
const ALL_RESOLVED = 'bool_and(all_resolved_at IS NOT NULL) AND bool_or(attached_by IS NULL)';

/**
 * A scalar subquery for whether every alert of incident `$param`, opened from alerts, has resolved (as
 * incidentsWithAlertsAllResolved reads it; null when it has no alerts), for a statement of another aggregate that shows
 * what follows from it.
 */
export const alertsAllResolvedOf = (param: string) =>
  `(SELECT ${ALL_RESOLVED} FROM alert_incidents WHERE incident_id = ${param})`;

/**
 * Of these incidents, those opened from alerts whose every alert incident has all its alerts resolved (monitoring no
 * longer sees the trouble; see ALL_RESOLVED): one statement.
 */
export async function incidentsWithAlertsAllResolved(
  q: Queryable,
  incidentIds: readonly number[],
): Promise<Set<number>> {
  if (incidentIds.length === 0) return new Set();
  const { rows } = await q.query<{ incident_id: number | string }>(
    `SELECT incident_id FROM alert_incidents WHERE incident_id = ANY($1::int[])
     GROUP BY incident_id HAVING ${ALL_RESOLVED}`,
    [incidentIds],
  );
  return new Set(rows.map((r) => Number(r.incident_id)));
}
