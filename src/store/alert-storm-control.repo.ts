import type { Severity } from '../incidents/severity.js';
import {
  AI_OPEN,
  AI_SELECT,
  type AlertIncidentDbRow,
  type AlertIncidentRow,
  type Side,
  toAlertIncident,
} from './alert-incident.repo.js';
import type { Queryable } from './db.js';

/*
 * Storm control's reads and marks of alert incidents: where a source's further alerts go, how many incidents its
 * alerts opened lately (the cap), a storm's moves (alert_incidents.storm, storm_moved_at) and its past-cap note.
 */

const ms = (n: number) => n / 1000;

/**
 * The open alert incident of a source where a storm's further critical alerts go. The storm's own, once it has one
 * (marked a storm within the last `stormWindowMs`): a storm's alerts stay together, however the declarations of the
 * incidents beside it end. Else the latest the bot opened, as people see it, by incident number: incidents recorded
 * together are declared side by side, so the one recorded last is not always numbered last. One still being
 * declared, numbered yet or not, is the latest (the last recorded first).
 */
export async function latestOpenAlertIncidentOfSource(
  q: Queryable,
  source: string,
  stormWindowMs: number,
  /** Whether one may be joined: its row, and whether its incident is private (null: not declared yet). Default: any. */
  fits: (ai: AlertIncidentRow, isPrivate: boolean | null) => boolean = () => true,
): Promise<AlertIncidentRow | null> {
  // The latest few: a source has few open incidents (storm control), and the one wanted is among the latest.
  const { rows } = await q.query<AlertIncidentDbRow>(
    `${AI_SELECT} WHERE ai.source = $1 AND ai.declared_by IS NULL AND ${AI_OPEN}
     ORDER BY (ai.storm AND ai.created_at > clock_timestamp() - make_interval(secs => $2)) DESC,
       ai.state = 'declaring' DESC, i.number DESC NULLS FIRST, ai.id DESC LIMIT 50`,
    [source, ms(stormWindowMs)],
  );
  for (const r of rows) {
    const ai = toAlertIncident(r);
    if (fits(ai, r.incident_private ?? null)) return ai;
  }
  return null;
}

/**
 * An open alert incident of a source that a storm's further critical alert may join (see openAlertIncidentsOfSource):
 * whether its incident is private (null: not declared yet), its severity now (its incident's, which people may have
 * changed, else the one it is being declared with), and the names and runbook rows of the alerts it holds (its
 * incident's, with those of its other alert incidents).
 */
export interface StormCandidate {
  ai: AlertIncidentRow;
  isPrivate: boolean | null;
  severity: Severity;
  names: Set<string>;
  rules: Set<string>;
  /**
   * The storm's incident: the one the source's incidents-channel storm message names now (alert_storm_messages, while
   * the storm goes on), for a private incident the one its private storm joins now (alert_private_storms: the
   * incidents channel hears nothing of it), or the one this recording made it; where its alerts of no open incident's
   * alert go.
   */
  storm: boolean;
  /**
   * Storm control sent the storm to it, or away from it, within the return gap (ALERTS_STORM_RETURN_GAP), or the step
   * telling that it joined it (or came back) is not carried out yet, however long ago (a gap shorter than a step takes):
   * the storm coming back to it now is a flap, not told again (that step tells it).
   */
  movedLately: boolean;
}

/**
 * The open alert incidents of a source the bot opened (not those people declared or added), in the order a storm
 * joins them (that of latestOpenAlertIncidentOfSource: the storm's own, then one being declared, then by number,
 * latest first), each with the names and rows of its alerts: storm control sends an alert, by preference, to one
 * that has alerts of its name, and never to one less severe than it. At most 50: a source has few open (the cap).
 */
export async function openAlertIncidentsOfSource(
  q: Queryable,
  source: string,
  stormWindowMs: number,
  /** A storm back at one it moved to or from within this long is a flap (StormCandidate.movedLately). */
  returnGapMs: number,
): Promise<StormCandidate[]> {
  const { rows } = await q.query<
    AlertIncidentDbRow & {
      incident_severity: number | null;
      alert_names: string[];
      alert_rules: string[];
      storm_incident: boolean | null;
      moved_lately: boolean;
    }
  >(
    `SELECT o.*,
       o.incident_id = CASE WHEN o.incident_private
         THEN (SELECT p.incidents[array_upper(p.incidents, 1)] FROM alert_private_storms p
                WHERE p.source = $1 AND p.told_at > now() - make_interval(secs => $2))
         ELSE (SELECT m.incidents[array_upper(m.incidents, 1)] FROM alert_storm_messages m
                WHERE m.source = $1 AND m.told_at > now() - make_interval(secs => $2)) END AS storm_incident,
       (coalesce(o.storm_moved_at > now() - make_interval(secs => $3), false)
         -- A storm step of it (joining it, or back at it) not carried out yet: a return now would be told before it.
         OR EXISTS (SELECT 1 FROM alert_deliveries d, jsonb_array_elements(d.plan) WITH ORDINALITY AS s(step, n)
                     WHERE d.state = 'recorded' AND d.source = $1 AND s.step->>'kind' = 'storm'
                       AND s.step->>'alertIncident' = o.id::text AND NOT s.step ? 'quiet'
                       AND NOT (n::int - 1) = ANY(d.done))) AS moved_lately,
       ARRAY(SELECT DISTINCT a.name FROM alerts a WHERE a.alert_incident_id = ANY(o.ais)) AS alert_names,
       ARRAY(SELECT DISTINCT a.rule FROM alerts a WHERE a.alert_incident_id = ANY(o.ais) AND a.rule IS NOT NULL)
         AS alert_rules
     FROM (
       SELECT ai.*, ai.repeats_at::text AS repeats_text, i.status AS incident_status, i.private AS incident_private,
         i.severity AS incident_severity,
         CASE WHEN ai.incident_id IS NULL THEN ARRAY[ai.id]
           ELSE ARRAY(SELECT x.id FROM alert_incidents x WHERE x.incident_id = ai.incident_id) END AS ais,
         (ai.storm AND ai.created_at > clock_timestamp() - make_interval(secs => $2)) AS storm_now,
         i.number AS incident_number
       FROM alert_incidents ai LEFT JOIN incidents i ON i.id = ai.incident_id
       WHERE ai.source = $1 AND ai.declared_by IS NULL AND ${AI_OPEN}
       ORDER BY storm_now DESC, ai.state = 'declaring' DESC, i.number DESC NULLS FIRST, ai.id DESC LIMIT 50
     ) o
     ORDER BY o.storm_now DESC, o.state = 'declaring' DESC, o.incident_number DESC NULLS FIRST, o.id DESC`,
    [source, ms(stormWindowMs), ms(returnGapMs)],
  );
  return rows.map((r) => ({
    ai: toAlertIncident(r),
    isPrivate: r.incident_private ?? null,
    severity: Number(r.incident_severity ?? r.severity) as Severity,
    names: new Set(r.alert_names),
    rules: new Set(r.alert_rules),
    storm: r.storm_incident === true,
    movedLately: r.moved_lately === true,
  }));
}

/**
 * Incidents the bot opened from a source's alerts in the last `windowMs` (given up ones do not count), on each side:
 * a security alert's private incident does not use up the cap of public ones, nor the reverse. `sideOf`: the side of
 * an alert incident (whether its incident is private; null: not declared yet).
 */
export async function countRecentAlertIncidentsBySide(
  q: Queryable,
  source: string,
  windowMs: number,
  sideOf: (ai: AlertIncidentRow, isPrivate: boolean | null) => Side,
): Promise<Record<Side, number>> {
  // A few rows: storm control keeps them few.
  const { rows } = await q.query<AlertIncidentDbRow>(
    `${AI_SELECT} WHERE ai.source = $1 AND ai.declared_by IS NULL AND ai.state <> 'failed'
       AND ai.created_at > clock_timestamp() - make_interval(secs => $2)`,
    [source, ms(windowMs)],
  );
  const counts: Record<Side, number> = { public: 0, private: 0 };
  for (const r of rows) counts[sideOf(toAlertIncident(r), r.incident_private ?? null)] += 1;
  return counts;
}

/** Incidents the bot opened from a source's alerts in the last `windowMs` (given up ones do not count). */
export async function countRecentAlertIncidents(q: Queryable, source: string, windowMs: number): Promise<number> {
  const { rows } = await q.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM alert_incidents
     WHERE source = $1 AND declared_by IS NULL AND state <> 'failed'
       AND created_at > clock_timestamp() - make_interval(secs => $2)`,
    [source, ms(windowMs)],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Marks an alert incident a storm's; returns its incident as the update finds it under the row's lock (null: not linked
 * yet, so its declaration, linking it after, reads the mark: see linkIncidentReadingAlerts).
 */
export async function markStorm(q: Queryable, id: number): Promise<number | null> {
  const { rows } = await q.query<{ incident_id: number | null }>(
    'UPDATE alert_incidents SET storm = true WHERE id = $1 RETURNING incident_id',
    [id],
  );
  const linked = rows[0]?.incident_id;
  return linked === null || linked === undefined ? null : Number(linked);
}

/**
 * Storm control sent a storm's further alerts to alert incident `to` (marked a storm's), away from `from` (the one they
 * went to before, if open), now (storm_moved_at, for ALERTS_STORM_RETURN_GAP); `back`: a return to `to` told again,
 * counted. In one statement. `to`'s incident (null: not linked yet) and its returns told.
 */
export async function stormMoved(
  q: Queryable,
  to: number,
  from: number | null,
  back: boolean,
): Promise<{ incidentId: number | null; returns: number }> {
  const { rows } = await q.query<{ id: number; incident_id: number | null; storm_returns: number }>(
    `UPDATE alert_incidents
        SET storm_moved_at = now(),
            storm = storm OR id = $1,
            storm_returns = storm_returns + CASE WHEN id = $1 AND $3::boolean THEN 1 ELSE 0 END
      WHERE id = $1 OR id = $2 RETURNING id, incident_id, storm_returns`,
    [to, from, back],
  );
  const r = rows.find((x) => Number(x.id) === to);
  return {
    incidentId: r?.incident_id === null || r?.incident_id === undefined ? null : Number(r.incident_id),
    returns: Number(r?.storm_returns ?? 0),
  };
}

/**
 * A storm went back to `incidentId`, already in its list (alert_storm_messages, or alert_private_storms for a private
 * one) while it goes on: moved to the end, the storm's incident again, in the order of the storm's moves (its step,
 * and a retry of it, find it there). Nothing when it is not in the list (its step makes a new one), or last already.
 * Whether it was moved.
 */
export async function moveStormBack(
  q: Queryable,
  list: 'public' | 'private',
  source: string,
  incidentId: number,
  windowMs: number,
): Promise<boolean> {
  const table = list === 'public' ? 'alert_storm_messages' : 'alert_private_storms';
  const { rows } = await q.query(
    `UPDATE ${table} SET incidents = array_append(array_remove(incidents, $2::int), $2::int)
      WHERE source = $1 AND $2::int = ANY(incidents) AND incidents[array_upper(incidents, 1)] <> $2::int
        AND told_at > now() - make_interval(secs => $3)
      RETURNING 1`,
    [source, incidentId, ms(windowMs)],
  );
  return rows.length > 0;
}

/**
 * Notes on an incident's timeline that storm control opened it past the cap, once: recorded ahead of telling its
 * channels (so a retry of the step never tells them twice), under a per-incident lock. The note's id; null when it is
 * there already (told, or being told, by an earlier attempt).
 */
export async function recordPastCapNote(tx: Queryable, incidentId: number, text: string): Promise<number | null> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`past-cap:${incidentId}`]);
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO incident_events (incident_id, kind, actor_id, details)
     SELECT $1, 'note', NULL, $2::jsonb
     WHERE NOT EXISTS (SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = 'note' AND details->>'text' = $3)
     RETURNING id`,
    [incidentId, JSON.stringify({ text }), text],
  );
  return rows[0] ? Number(rows[0].id) : null;
}
