import type {
  AlertFormat,
  AlertLevel,
  AlertStatus,
  AlertView,
  IncomingAlert,
  JoinedWhy,
} from '../incidents/alert-types.js';
import type { Severity } from '../incidents/severity.js';
import type { IncidentStatus } from '../incidents/types.js';
import { jsonOf, type Queryable, type StatementPart } from './db.js';
import { visibleTo } from './incident-members.repo.js';

const toDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));
const toDateOrNull = (v: Date | string | null) => (v === null ? null : toDate(v));
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const ms = (n: number) => n / 1000;

/** The alert loop's look before its sweep (see `sweepWhen`): a card is due to show its alerts' repeats. */
const CARD_DUE = "card_due_at <= clock_timestamp() AND incident_id IS NOT NULL AND state = 'declared'";
export const CARDS_DUE = `EXISTS (SELECT 1 FROM alert_incidents WHERE ${CARD_DUE})`;

/** The alert loop's look before its sweep: an alert a maintenance window held back is still firing. */
export const HELD_BACK = "EXISTS (SELECT 1 FROM alerts WHERE maintenance AND status = 'firing')";

// --- Alert incidents ---------------------------------------------------------------------------------------------

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

interface AlertIncidentDbRow {
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

const toAlertIncident = (r: AlertIncidentDbRow): AlertIncidentRow => ({
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

const AI_SELECT = `SELECT ai.*, ai.repeats_at::text AS repeats_text, i.status AS incident_status,
  i.private AS incident_private FROM alert_incidents ai LEFT JOIN incidents i ON i.id = ai.incident_id`;
/** Still taking alerts: being declared, or declared and its incident not resolved. */
const AI_OPEN = `(ai.state = 'declaring' OR (ai.state = 'declared' AND i.id IS NOT NULL AND i.status <> 'resolved'))`;

/** Critical alerts first, then warnings, then info: an incident's lists put what it is about before what came along. */
const LEVEL_ORDER = "CASE a.level WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END";

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

/** Where the incidents channel was told that alerts of new names joined a storm's incident, with the alerts shown. */
export async function recordJoinedMessage(
  q: Queryable,
  m: {
    incidentId: number;
    source: string;
    channel: string;
    ts: string;
    alertIds: readonly number[];
    why?: JoinedWhy | undefined;
  },
): Promise<void> {
  // Once a message: a retry of its step records it only if the attempt that posted it did not.
  await q.query(
    `INSERT INTO alert_joined_messages (incident_id, source, channel, ts, alert_ids, why)
     SELECT $1, $2, $3, $4, $5, $6
     WHERE NOT EXISTS (SELECT 1 FROM alert_joined_messages WHERE incident_id = $1 AND channel = $3 AND ts = $4)`,
    [m.incidentId, m.source, m.channel, m.ts, m.alertIds, m.why ?? null],
  );
}

/**
 * A claim of a storm step's post older than this and not posted was left by a process killed between the claim and
 * the post (a post, with Slack's own retries, takes far less): the step's retry takes it over and posts.
 */
export const STEP_POST_CLAIM_STALE_MS = 2 * 60_000;

/**
 * Claims a storm step's post in one place (`key`: the step and the place) before it is made: `mine` when no earlier
 * attempt claimed it, or one claimed it more than STEP_POST_CLAIM_STALE_MS ago and never posted (its process was
 * killed: this one posts; `retakenFrom`: when that one claimed it, for the post it may have made before it died to be
 * looked for); `posted` when one made it; `pending` while an attempt that claimed it lately may still be posting
 * (`retryInMs`: when the claim is stale, for the step to look again then).
 */
export async function claimStepPost(
  q: Queryable,
  key: string,
): Promise<{ kind: 'mine'; retakenFrom?: Date } | { kind: 'posted' } | { kind: 'pending'; retryInMs: number }> {
  const { rows } = await q.query<{ mine: boolean; posted: boolean; wait_ms: string | number; was: Date | null }>(
    `WITH earlier AS (SELECT claimed_at FROM alert_step_posts WHERE key = $1),
     claimed AS (
       INSERT INTO alert_step_posts (key) VALUES ($1)
       ON CONFLICT (key) DO UPDATE SET claimed_at = now()
         WHERE NOT alert_step_posts.posted
           AND alert_step_posts.claimed_at < now() - make_interval(secs => $2)
       RETURNING key
     )
     SELECT true AS mine, false AS posted, 0 AS wait_ms, (SELECT claimed_at FROM earlier) AS was FROM claimed
     UNION ALL
     SELECT false, posted,
            GREATEST(0, ceil(extract(epoch FROM claimed_at + make_interval(secs => $2) - now()) * 1000)), NULL
       FROM alert_step_posts WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM claimed)`,
    [key, ms(STEP_POST_CLAIM_STALE_MS)],
  );
  const r = rows[0];
  if (!r || r.mine) return r?.was ? { kind: 'mine', retakenFrom: new Date(r.was) } : { kind: 'mine' };
  return r.posted ? { kind: 'posted' } : { kind: 'pending', retryInMs: Number(r.wait_ms) };
}

/** Where a claimed post went, once Slack took it (null: there was nowhere to post); posted either way. */
export async function keepStepPost(q: Queryable, key: string, at: { channel: string; ts: string } | null) {
  await q.query('UPDATE alert_step_posts SET channel = $2, ts = $3, posted = true WHERE key = $1', [
    key,
    at?.channel ?? null,
    at?.ts ?? null,
  ]);
}

/** Where an earlier attempt's claimed post went (null: not kept, or nowhere to post). */
export async function keptStepPost(q: Queryable, key: string): Promise<{ channel: string; ts: string } | null> {
  const { rows } = await q.query<{ channel: string | null; ts: string | null }>(
    'SELECT channel, ts FROM alert_step_posts WHERE key = $1',
    [key],
  );
  const r = rows[0];
  return r?.channel && r.ts ? { channel: r.channel, ts: r.ts } : null;
}

/** Gives a claim back: Slack refused the post, so the step's retry makes it. */
export async function releaseStepPost(q: Queryable, key: string): Promise<void> {
  await q.query('DELETE FROM alert_step_posts WHERE key = $1', [key]);
}

/** Where a resolved incident's channel was told its alerts fired again and joined another (its Reopen showing). */
export async function recordFiredElsewhere(
  q: Queryable,
  m: { incidentId: number; joinedIncidentId: number; channel: string; ts: string; alertIds: readonly number[] },
): Promise<void> {
  await q.query(
    `INSERT INTO alert_fired_elsewhere_messages (incident_id, joined_incident_id, channel, ts, alert_ids)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, ts) DO NOTHING`,
    [m.incidentId, m.joinedIncidentId, m.channel, m.ts, m.alertIds],
  );
}

/**
 * The messages of recordFiredElsewhere in an incident's channel still showing Reopen. Read, not taken: each is marked
 * closed (firedElsewhereClosed) once Slack shows it closed, so that a process killed (or refused by Slack) before
 * then leaves it for the reopening's follow-up to close (two processes closing one say the same).
 */
export async function openFiredElsewhere(
  q: Queryable,
  incidentId: number,
): Promise<{ channel: string; ts: string; joinedIncidentId: number; alertIds: number[] }[]> {
  const { rows } = await q.query<{ channel: string; ts: string; joined_incident_id: number; alert_ids: number[] }>(
    `SELECT channel, ts, joined_incident_id, alert_ids FROM alert_fired_elsewhere_messages
      WHERE incident_id = $1 AND closed_at IS NULL ORDER BY id`,
    [incidentId],
  );
  return rows.map((r) => ({
    channel: r.channel,
    ts: r.ts,
    joinedIncidentId: Number(r.joined_incident_id),
    alertIds: r.alert_ids.map(Number),
  }));
}

/** A message of openFiredElsewhere shows who reopened its incident now, not Reopen. */
export async function firedElsewhereClosed(q: Queryable, ref: { channel: string; ts: string }): Promise<void> {
  await q.query(
    'UPDATE alert_fired_elsewhere_messages SET closed_at = now() WHERE channel = $1 AND ts = $2 AND closed_at IS NULL',
    [ref.channel, ref.ts],
  );
}

/**
 * A storm's incidents-channel message claimed to be posted (claimStormMessage `new`) is held by the posting step while
 * Slack takes it, however long (renewStormMessageClaim, a third of this apart): not renewed for this long, it was left
 * by a process that died, and the storm's next step takes it over.
 */
export const STORM_MESSAGE_CLAIM_STALE_MS = 30_000;

/**
 * The incidents channel's message of a source's storm (alert_storm_messages), for a storm step sending its alerts to
 * `incidentId`: `new` when none was told within `windowMs`, or one being posted was refused by Slack, is this step's
 * own (`mark`: its claim of the post, tried again), or was given up (its claim not renewed for
 * STORM_MESSAGE_CLAIM_STALE_MS: its process died; `retakenFrom`: that claim and when it was made, for the post it may
 * have made to be looked for; so too for a post Slack answered with an error, which it may have taken: see
 * stormMessageRefused, even this step's own), claimed for this step to post, with the incidents it was sent to, in order (those
 * listed before it keep their place: a step refused, then tried again after another, is not listed after it); else
 * `ongoing`, the storm's message (null while another step posts it: waited for) with the incidents it was sent to, in
 * order, this one last. Asked again for an incident already in the list (a step's retry, the storm since moved on),
 * it keeps its place, as movePrivateStorm's do.
 */
export async function claimStormMessage(
  q: Queryable,
  source: string,
  incidentId: number,
  windowMs: number,
  mark: string,
): Promise<
  | { kind: 'new'; incidents: number[]; retakenFrom?: { mark: string; since: Date } }
  | { kind: 'ongoing'; at: { channel: string; ts: string } | null; incidents: number[]; replied: boolean }
> {
  const claimed = await q.query<{ incidents: number[]; was: string | null; was_since: Date | null }>(
    `WITH earlier AS (
       SELECT posting, posting_since FROM alert_storm_messages
        WHERE source = $1 AND ts IS NULL AND (posting <> $4 OR refused_at IS NOT NULL)
          AND told_at >= now() - make_interval(secs => $3)
     )
     INSERT INTO alert_storm_messages AS m (source, incidents, posting, posting_since, posting_at)
     VALUES ($1, ARRAY[$2::int], $4, now(), now())
     ON CONFLICT (source) DO UPDATE SET channel = NULL, ts = NULL, refused_at = NULL, replied = false, told_at = now(),
       posting = $4, posting_since = now(), posting_at = now(),
       incidents = CASE
         WHEN m.told_at < now() - make_interval(secs => $3) THEN ARRAY[$2::int]
         WHEN $2::int = ANY(m.incidents) THEN m.incidents
         ELSE m.incidents || $2::int END
       WHERE m.told_at < now() - make_interval(secs => $3)
          OR (m.ts IS NULL AND (m.refused_at IS NOT NULL OR m.posting = $4
                OR coalesce(m.posting_at, m.told_at) < now() - make_interval(secs => $5)))
     RETURNING incidents, (SELECT posting FROM earlier) AS was, (SELECT posting_since FROM earlier) AS was_since`,
    [source, incidentId, ms(windowMs), mark, ms(STORM_MESSAGE_CLAIM_STALE_MS)],
  );
  const mine = claimed.rows[0];
  if (mine)
    return {
      kind: 'new',
      incidents: mine.incidents.map(Number),
      ...(mine.was && mine.was_since ? { retakenFrom: { mark: mine.was, since: new Date(mine.was_since) } } : {}),
    };
  const { rows } = await q.query<{ channel: string | null; ts: string | null; incidents: number[]; replied: boolean }>(
    `UPDATE alert_storm_messages
        SET incidents = CASE WHEN $2::int = ANY(incidents) THEN incidents ELSE incidents || $2::int END,
            told_at = now()
      WHERE source = $1 RETURNING channel, ts, incidents, replied`,
    [source, incidentId],
  );
  const r = rows[0];
  return {
    kind: 'ongoing',
    at: r?.channel && r.ts ? { channel: r.channel, ts: r.ts } : null,
    incidents: (r?.incidents ?? []).map(Number),
    replied: r?.replied === true,
  };
}

/**
 * The step posting a storm's message (claimStormMessage `new`, `mark` its claim) still posts it: Slack has not answered
 * yet. False when the claim is not its own any more (taken over: see STORM_MESSAGE_CLAIM_STALE_MS), or the message is up.
 */
export async function renewStormMessageClaim(q: Queryable, source: string, mark: string): Promise<boolean> {
  const { rows } = await q.query(
    `UPDATE alert_storm_messages SET posting_at = now()
      WHERE source = $1 AND posting = $2 AND ts IS NULL AND refused_at IS NULL RETURNING source`,
    [source, mark],
  );
  return rows.length > 0;
}

/**
 * A storm's message claimed to be posted (claimStormMessage `new`, `mark` its claim) was not: Slack refused it, or the
 * step left it to a later incident of the list. Kept with its incidents, for the next step of the storm to post at
 * once. `tried`: Slack was asked and answered an error (or none), as it may for a post it took, its answer lost: the
 * claim is kept, for the next step (this one's retry too) to look for that post first (claimStormMessage
 * `retakenFrom`). Nothing when the claim is not the step's any more (another step took it over, or a message is up).
 */
export async function stormMessageRefused(q: Queryable, source: string, mark: string, tried: boolean): Promise<void> {
  await q.query(
    `UPDATE alert_storm_messages SET refused_at = now(), posting_at = NULL, posting = CASE WHEN $3 THEN posting END
      WHERE source = $1 AND ts IS NULL AND posting = $2`,
    [source, mark, tried],
  );
}

/**
 * A private storm (alert_private_storms) now sends its alerts to `incidentId`: the incident it sent them to before
 * (null: none within `windowMs`, or this is its first). Asked again for the same incident (a step's retry), the same
 * answer: an incident already in the list keeps its place.
 */
export async function movePrivateStorm(
  q: Queryable,
  source: string,
  incidentId: number,
  windowMs: number,
): Promise<number | null> {
  const { rows } = await q.query<{ incidents: number[] }>(
    `INSERT INTO alert_private_storms (source, incidents) VALUES ($1, ARRAY[$2::int])
     ON CONFLICT (source) DO UPDATE SET
       incidents = CASE
         WHEN alert_private_storms.told_at < now() - make_interval(secs => $3) THEN ARRAY[$2::int]
         WHEN $2::int = ANY(alert_private_storms.incidents) THEN alert_private_storms.incidents
         ELSE alert_private_storms.incidents || $2::int END,
       told_at = now()
     RETURNING incidents`,
    [source, incidentId, ms(windowMs)],
  );
  const list = (rows[0]?.incidents ?? []).map(Number);
  const at = list.indexOf(incidentId);
  return at > 0 ? list[at - 1]! : null;
}

/**
 * A move of a source's storm was told in the thread of its incidents-channel message `at` (alert_storm_messages): said
 * once Slack took the reply (or it was found there after a crash), never before, so that the message says its thread
 * tells when it changed only when the thread has something to tell.
 */
export async function stormMessageReplied(
  q: Queryable,
  source: string,
  at: { channel: string; ts: string },
): Promise<void> {
  await q.query(
    'UPDATE alert_storm_messages SET replied = true WHERE source = $1 AND channel = $2 AND ts = $3 AND NOT replied',
    [source, at.channel, at.ts],
  );
}

/**
 * A source's storm while it goes on (its last change told less than `windowMs` ago): its incidents-channel message
 * (null while it is posted, or refused), the incidents it was sent to, in order (the last: its incident now), and
 * whether a move was told in the message's thread (stormMessageReplied). `pending`: not up, and a step posts it
 * (claimStormMessage takes it over once refused, or its claim is stale). Null: no storm goes on.
 */
export async function stormMessageNow(
  q: Queryable,
  source: string,
  windowMs: number,
): Promise<{
  at: { channel: string; ts: string } | null;
  incidents: number[];
  replied: boolean;
  pending: boolean;
} | null> {
  const { rows } = await q.query<{
    channel: string | null;
    ts: string | null;
    incidents: number[];
    replied: boolean;
    pending: boolean;
  }>(
    `SELECT channel, ts, incidents, replied,
       (ts IS NULL AND refused_at IS NULL
         AND coalesce(posting_at, told_at) >= now() - make_interval(secs => $3)) AS pending
     FROM alert_storm_messages WHERE source = $1 AND told_at > now() - make_interval(secs => $2)`,
    [source, ms(windowMs), ms(STORM_MESSAGE_CLAIM_STALE_MS)],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    at: r.channel && r.ts ? { channel: r.channel, ts: r.ts } : null,
    incidents: r.incidents.map(Number),
    replied: r.replied,
    pending: r.pending,
  };
}

/** The incidents channel's message of a source's storm (alert_storm_messages), once posted; null: none. */
export async function stormMessageOf(q: Queryable, source: string): Promise<{ channel: string; ts: string } | null> {
  const { rows } = await q.query<{ channel: string | null; ts: string | null }>(
    'SELECT channel, ts FROM alert_storm_messages WHERE source = $1',
    [source],
  );
  const r = rows[0];
  return r?.channel && r.ts ? { channel: r.channel, ts: r.ts } : null;
}

/**
 * Where a storm's message went once posted by the step of `incidentId` (null: nowhere to post: the claim is given
 * back), or where a post found after a crash is (its step's, or that of the step it took over from). The first post
 * recorded is the storm's message: false, not recorded, when another is already (a post its step made while the step
 * it took over from, only slow, posted too), for the post to be retired. Recorded while none is, even if the claim is
 * another step's now: that step may have found this post and be about to keep it, or posts its own and then finds this
 * one recorded. An earlier storm's late post is not recorded in a new storm it is no part of.
 */
export async function keepStormMessage(
  q: Queryable,
  source: string,
  at: { channel: string; ts: string } | null,
  incidentId: number,
): Promise<boolean> {
  if (!at) {
    await q.query('DELETE FROM alert_storm_messages WHERE source = $1 AND ts IS NULL AND $2::int = ANY(incidents)', [
      source,
      incidentId,
    ]);
    return true;
  }
  const { rows } = await q.query(
    `UPDATE alert_storm_messages SET channel = $2, ts = $3, refused_at = NULL, posting = NULL, posting_at = NULL
      WHERE source = $1 AND ((ts IS NULL AND $4::int = ANY(incidents)) OR (channel = $2 AND ts = $3))
     RETURNING source`,
    [source, at.channel, at.ts, incidentId],
  );
  return rows.length > 0;
}

/**
 * A post of a source's storm message that is one too many (keepStormMessage did not record it) is to be deleted
 * (alert_storm_withdrawals): recorded before the deletion is asked for, until Slack takes it (stormPostWithdrawn).
 */
export async function withdrawStormPostLater(
  q: Queryable,
  source: string,
  at: { channel: string; ts: string },
): Promise<void> {
  await q.query(
    'INSERT INTO alert_storm_withdrawals (channel, ts, source) VALUES ($1, $2, $3) ON CONFLICT (channel, ts) DO NOTHING',
    [at.channel, at.ts, source],
  );
}

/**
 * The posts of a source's storm message left to delete (withdrawStormPostLater), oldest first; never the storm's
 * message as recorded (a post recorded since is no longer one too many: dropped from the list here).
 */
export async function stormPostsToWithdraw(q: Queryable, source: string): Promise<{ channel: string; ts: string }[]> {
  await q.query(
    `DELETE FROM alert_storm_withdrawals w USING alert_storm_messages m
      WHERE w.source = $1 AND m.source = $1 AND m.channel = w.channel AND m.ts = w.ts`,
    [source],
  );
  const { rows } = await q.query<{ channel: string; ts: string }>(
    'SELECT channel, ts FROM alert_storm_withdrawals WHERE source = $1 ORDER BY recorded_at, ts',
    [source],
  );
  return rows;
}

/** A post of a storm's message to delete (withdrawStormPostLater) is gone: Slack took its deletion. */
export async function stormPostWithdrawn(q: Queryable, at: { channel: string; ts: string }): Promise<void> {
  await q.query('DELETE FROM alert_storm_withdrawals WHERE channel = $1 AND ts = $2', [at.channel, at.ts]);
}

/** The messages telling that alerts joined an incident (recordJoinedMessage) that show any of these alerts. */
export async function joinedMessagesShowing(
  q: Queryable,
  incidentId: number,
  alertIds: readonly number[],
): Promise<{ source: string; channel: string; ts: string; alertIds: number[]; why?: JoinedWhy }[]> {
  const { rows } = await q.query<{
    source: string;
    channel: string;
    ts: string;
    alert_ids: number[];
    why: JoinedWhy | null;
  }>(
    `SELECT source, channel, ts, alert_ids, why FROM alert_joined_messages
      WHERE incident_id = $1 AND alert_ids && $2::int[] ORDER BY id`,
    [incidentId, alertIds],
  );
  return rows.map((r) => ({
    source: r.source,
    channel: r.channel,
    ts: r.ts,
    alertIds: r.alert_ids.map(Number),
    ...(r.why ? { why: r.why } : {}),
  }));
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

export async function setAllResolved(q: Queryable, id: number, resolved: boolean): Promise<void> {
  await q.query(
    `UPDATE alert_incidents SET all_resolved_at = CASE WHEN $2 THEN clock_timestamp() ELSE NULL END WHERE id = $1`,
    [id, resolved],
  );
}

/** Whether an offer to resolve an incident (every alert resolved, with Resolve incident) stands in its channel. */
export async function hasResolveOffer(q: Queryable, incidentId: number): Promise<boolean> {
  const { rows } = await q.query(
    'SELECT 1 FROM alert_incidents WHERE incident_id = $1 AND offer_ts IS NOT NULL LIMIT 1',
    [incidentId],
  );
  return rows.length > 0;
}

/** Where an alert incident's offer to resolve (every alert resolved, with Resolve incident) was posted. */
export async function recordResolveOffer(
  q: Queryable,
  id: number,
  ref: { channel: string; ts: string },
): Promise<void> {
  await q.query('UPDATE alert_incidents SET offer_channel = $2, offer_ts = $3 WHERE id = $1', [
    id,
    ref.channel,
    ref.ts,
  ]);
}

/**
 * The offers to resolve that no longer stand, taken (cleared, so that one is updated once whichever process takes it):
 * an alert incident's (`{ alertIncident }`: one of its alerts fired again) or every one of an incident's (`{ incident }`:
 * it was resolved).
 */
export async function takeResolveOffers(
  q: Queryable,
  of: { alertIncident: number } | { incident: number },
): Promise<{ channel: string; ts: string }[]> {
  const [column, id] = 'alertIncident' in of ? ['id', of.alertIncident] : ['incident_id', of.incident];
  const { rows } = await q.query<{ channel: string; ts: string }>(
    `WITH o AS (
       SELECT id, offer_channel, offer_ts FROM alert_incidents
       WHERE ${column} = $1 AND offer_ts IS NOT NULL FOR UPDATE SKIP LOCKED
     )
     UPDATE alert_incidents ai SET offer_channel = NULL, offer_ts = NULL FROM o WHERE ai.id = o.id
     RETURNING o.offer_channel AS channel, o.offer_ts AS ts`,
    [id],
  );
  return rows;
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
 * Alert incidents whose cards are to show repeats of their alerts: a refresh due `afterMs` from now, unless one is
 * due sooner already; and the time of these repeats (`repeats_at`), which a card showing them clears the refresh by.
 */
export async function cardDueLater(q: Queryable, ids: number[], afterMs: number): Promise<void> {
  if (ids.length === 0) return;
  await q.query(
    `UPDATE alert_incidents
     SET card_due_at = CASE WHEN card_due_at IS NULL OR card_due_at > clock_timestamp() + make_interval(secs => $2)
                            THEN clock_timestamp() + make_interval(secs => $2) ELSE card_due_at END,
         repeats_at = clock_timestamp()
     WHERE id = ANY($1::int[])`,
    [ids, ms(afterMs)],
  );
}

/**
 * Cards now in Slack as rendered from a read that saw these alert incidents' repeats (`repeatsAt`, read with the
 * card): their refresh for repeats is no longer due, unless repeats recorded since moved the time. One statement.
 */
export async function cardsShowRepeats(q: Queryable, seen: { id: number; repeatsAt: string | null }[]): Promise<void> {
  if (seen.length === 0) return;
  await q.query(
    `UPDATE alert_incidents a SET card_due_at = NULL
     FROM unnest($1::int[], $2::text[]) AS s (id, repeats_at)
     WHERE a.id = s.id AND a.card_due_at IS NOT NULL AND a.repeats_at IS NOT DISTINCT FROM s.repeats_at::timestamptz`,
    [seen.map((s) => s.id), seen.map((s) => s.repeatsAt)],
  );
}

/**
 * Claims up to `limit` due card refreshes for `leaseMs` (the due time moves to the lease's end, so a process that
 * dies before refreshing leaves them to the next): each alert incident's id, its incident and the claim's due time.
 */
export async function claimDueCards(
  q: Queryable,
  limit: number,
  leaseMs: number,
): Promise<{ id: number; incidentId: number; claim: string }[]> {
  const { rows } = await q.query<{ id: number; incident_id: number; claim: string }>(
    `UPDATE alert_incidents SET card_due_at = clock_timestamp() + make_interval(secs => $2)
     WHERE id IN (
       SELECT id FROM alert_incidents WHERE ${CARD_DUE}
       ORDER BY card_due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING id, incident_id, card_due_at::text AS claim`,
    [limit, ms(leaseMs)],
  );
  // The claim is the due time to the microsecond, as text: a Date would lose the microseconds it is compared by.
  return rows.map((r) => ({ id: Number(r.id), incidentId: Number(r.incident_id), claim: r.claim }));
}

/** A claimed card refresh done: no longer due, unless a later change made it due again (sooner than the lease). */
export async function cardRefreshed(q: Queryable, id: number, claim: string): Promise<void> {
  await q.query('UPDATE alert_incidents SET card_due_at = NULL WHERE id = $1 AND card_due_at = $2::timestamptz', [
    id,
    claim,
  ]);
}

/** How many of an alert incident's alerts fire and how many there are. */
/**
 * The alert `a` holds every word of the text array parameter `param` (lower case; none: every alert does): in its
 * name, summary, state, level, service, metric, value, source or labels (as `key=value`), its fields also as
 * `key=value` whatever its format (`service=api`). `/incident alerts node-12 firing`.
 */
const holdsEvery = (param: string) =>
  `NOT EXISTS (SELECT 1 FROM unnest(${param}::text[]) AS w(word) WHERE strpos(lower(concat_ws(' ', a.name, a.summary,
     a.status, a.level, a.service, a.metric, a.value, a.source,
     'source=' || a.source, 'service=' || a.service, 'metric=' || a.metric, 'level=' || a.level, 'status=' || a.status,
     (SELECT string_agg(l.k || '=' || l.v, ' ') FROM jsonb_each_text(a.labels) AS l(k, v)))), w.word) = 0)`;

/**
 * How many alerts some alert incidents have, and how many fire (`firingInfo`: of those, the info alerts, which keep no
 * incident open); with `words`, of those holding every word.
 */
export async function alertCounts(q: Queryable, alertIncidentIds: number[], words: readonly string[] = []) {
  const { rows } = await q.query<{ firing: string | number; total: string | number; info: string | number }>(
    `SELECT count(*) FILTER (WHERE a.status = 'firing') AS firing, count(*) AS total,
       count(*) FILTER (WHERE a.status = 'firing' AND a.level = 'info') AS info
     FROM alerts a WHERE a.alert_incident_id = ANY($1::int[])${words.length > 0 ? ` AND ${holdsEvery('$2')}` : ''}`,
    words.length > 0 ? [alertIncidentIds, words] : [alertIncidentIds],
  );
  return {
    firing: Number(rows[0]?.firing ?? 0),
    total: Number(rows[0]?.total ?? 0),
    firingInfo: Number(rows[0]?.info ?? 0),
  };
}

// --- Alerts ------------------------------------------------------------------------------------------------------

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

interface AlertDbRow {
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

const toAlert = (r: AlertDbRow): AlertRow => ({
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
 * Alerts held back by a maintenance window that still fire (each alert's latest row; the oldest first, at most
 * `limit`): once no window holds one, it is released (AlertRecorder.releaseFromMaintenance). A small partial index
 * (021) finds them, so asking on every round of the alert loop costs next to nothing when there are none.
 */
export async function heldBackAlerts(q: Queryable, limit: number): Promise<AlertRow[]> {
  const { rows } = await q.query<AlertDbRow>(
    `SELECT a.* FROM alerts a
     WHERE a.maintenance AND a.status = 'firing'
       AND NOT EXISTS (SELECT 1 FROM alerts b WHERE b.source = a.source AND b.format = a.format AND b.fingerprint = a.fingerprint AND b.id > a.id)
     ORDER BY a.id LIMIT $1`,
    [limit],
  );
  return rows.map(toAlert);
}

/** No longer held back by a maintenance window. */
export async function clearMaintenance(q: Queryable, alertIds: number[]): Promise<void> {
  if (alertIds.length === 0) return;
  await q.query('UPDATE alerts SET maintenance = false WHERE id = ANY($1::int[])', [alertIds]);
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
 * Of these incidents, those with alerts whose every alert incident has all its alerts resolved (monitoring no longer
 * sees the trouble): one statement.
 */
/**
 * A scalar subquery for whether every alert of incident `$param` has resolved (as incidentsWithAlertsAllResolved
 * reads it; null when it has no alerts), for a statement of another aggregate that shows what follows from it.
 */
export const alertsAllResolvedOf = (param: string) =>
  `(SELECT bool_and(all_resolved_at IS NOT NULL) FROM alert_incidents WHERE incident_id = ${param})`;

export async function incidentsWithAlertsAllResolved(
  q: Queryable,
  incidentIds: readonly number[],
): Promise<Set<number>> {
  if (incidentIds.length === 0) return new Set();
  const { rows } = await q.query<{ incident_id: number | string }>(
    `SELECT incident_id FROM alert_incidents WHERE incident_id = ANY($1::int[])
     GROUP BY incident_id HAVING bool_and(all_resolved_at IS NOT NULL)`,
    [incidentIds],
  );
  return new Set(rows.map((r) => Number(r.incident_id)));
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

/**
 * The notice led by `lead` is live: one of the alerts shown in it (`more`: but these) fires outside any incident.
 * A group's warnings join a live notice; a notice that is not live is over.
 */
const liveNotice = (lead: string, more = '') =>
  `EXISTS (SELECT 1 FROM alerts m WHERE (m.id = ${lead}.id OR m.notice_lead = ${lead}.id) ${more}
     AND m.status = 'firing' AND m.alert_incident_id IS NULL)`;

/**
 * Plans an alert's notice, and returns the alert whose notice it is shown in (its lead). A group's alerts of one level
 * share a notice while it is live: while one of its alerts fires outside any incident. So a delivery of 100 warnings
 * is one notice listing them; a warning of the group after the notice's are all resolved or declared gets a new one.
 * Called under the group's lock (deliveries of a group are recorded one at a time).
 */
export async function planNotice(
  q: Queryable,
  alert: Pick<AlertRow, 'id' | 'source' | 'groupKey' | 'level'>,
): Promise<number> {
  const { rows } = await q.query<{ lead: number }>(
    `WITH lead AS (
       SELECT l.id, l.notice_channel, l.notice_ts FROM alerts l
       WHERE l.source = $2 AND l.group_key = $3 AND l.level = $4 AND l.notice_planned AND l.notice_lead IS NULL
         AND l.id <> $1 AND ${liveNotice('l', 'AND m.id <> $1')}
       ORDER BY l.id DESC LIMIT 1)
     UPDATE alerts a SET notice_planned = true, notice_lead = lead.id,
       notice_channel = coalesce(lead.notice_channel, a.notice_channel), notice_ts = coalesce(lead.notice_ts, a.notice_ts)
     FROM (SELECT 1) one LEFT JOIN lead ON true
     WHERE a.id = $1
     RETURNING coalesce(a.notice_lead, a.id) AS lead`,
    [alert.id, alert.source, alert.groupKey, alert.level],
  );
  return Number(rows[0]?.lead ?? alert.id);
}

/**
 * Keeps what the source left out of a group's latest delivery (`leftOut`) on the notices it concerns: `leads` (those
 * being posted or updated), and the group's live notice. The leads whose count changed (their notice to update).
 */
export async function keepNoticeLeftOut(
  q: Queryable,
  source: string,
  groupKey: string,
  leftOut: number,
  leads: readonly number[],
): Promise<number[]> {
  const { rows } = await q.query<{ id: number }>(
    `UPDATE alerts l SET notice_left_out = $3
     WHERE l.notice_left_out <> $3 AND (l.id = ANY($4::int[]) OR (
       l.source = $1 AND l.group_key = $2 AND l.notice_planned AND l.notice_lead IS NULL AND ${liveNotice('l')}))
     RETURNING l.id`,
    [source, groupKey, leftOut, [...leads]],
  );
  return rows.map((r) => Number(r.id));
}

/** A notice was posted: recorded on its lead and every alert shown in it. */
export async function recordNotice(q: Queryable, leadId: number, channel: string, ts: string): Promise<void> {
  await q.query('UPDATE alerts SET notice_channel = $2, notice_ts = $3 WHERE id = $1 OR notice_lead = $1', [
    leadId,
    channel,
    ts,
  ]);
}

/** Where the lead's security notice was sent whole (see AlertRow.noticeDms). */
export async function recordNoticeDms(
  q: Queryable,
  leadId: number,
  dms: readonly { channel: string; ts: string }[],
): Promise<void> {
  await q.query('UPDATE alerts SET notice_dms = $2 WHERE id = $1', [leadId, JSON.stringify(dms)]);
}

/** What tells whether each alert of a lead's notice is a security matter (its row, name and summary), all of them. */
export async function alertsOfNoticeTitles(
  q: Queryable,
  leadId: number,
): Promise<{ rule: string | null; name: string; summary: string }[]> {
  const { rows } = await q.query<{ rule: string | null; name: string; summary: string }>(
    'SELECT DISTINCT rule, name, summary FROM alerts WHERE id = $1 OR notice_lead = $1',
    [leadId],
  );
  return rows;
}

/**
 * The alerts a lead's notice shows: each of its alerts (by fingerprint) as it is now, its latest row (an alert that
 * resolved and fired again is one alert, firing), the firing first, then in the order they came; at most `limit`, and
 * how many there are and fire.
 */
export async function alertsOfNotice(
  q: Queryable,
  leadId: number,
  limit: number,
): Promise<{ alerts: AlertRow[]; total: number; firing: number }> {
  const { rows } = await q.query<AlertDbRow & { total: string | number; firing_total: string | number }>(
    `WITH latest AS (
       SELECT DISTINCT ON (a.format, a.fingerprint) a.* FROM alerts a
       WHERE a.id = $1 OR a.notice_lead = $1 ORDER BY a.format, a.fingerprint, a.id DESC)
     SELECT l.*, count(*) OVER () AS total, count(*) FILTER (WHERE l.status = 'firing') OVER () AS firing_total
     FROM latest l ORDER BY l.status = 'firing' DESC, l.id LIMIT $2`,
    [leadId, limit],
  );
  return {
    alerts: rows.map(toAlert),
    total: Number(rows[0]?.total ?? 0),
    firing: Number(rows[0]?.firing_total ?? 0),
  };
}

/** What tells whether an alert is a security matter: its row, name and summary (alertTitle of them). */
export interface AlertTitleRow {
  rule: string | null;
  name: string;
  summary: string;
}

/**
 * Which alerts are firing now (the `$except` rows' left out): each fingerprint's latest alert, when it fires.
 * firingAlerts and firingTitlesHolding share it.
 */
const firingNowWhere = (
  except: string,
) => `a.status = 'firing' AND (a.rule IS NULL OR NOT a.rule = ANY(${except}::text[]))
       AND NOT EXISTS (SELECT 1 FROM alerts b WHERE b.source = a.source AND b.format = a.format AND b.fingerprint = a.fingerprint AND b.id > a.id)`;

/**
 * The row, name and summary of each alert firing now in no incident that holds every word (lower case), once each:
 * what tells which of them are security alerts, for firingAlerts to leave out (`unseen`) before it counts them.
 */
export async function firingTitlesHolding(
  q: Queryable,
  exceptRules: readonly string[],
  words: readonly string[],
): Promise<AlertTitleRow[]> {
  const { rows } = await q.query<AlertTitleRow>(
    `SELECT DISTINCT a.rule, a.name, a.summary
     FROM alerts a
     LEFT JOIN alert_incidents ai ON ai.id = a.alert_incident_id AND ai.state = 'declared'
     LEFT JOIN incidents i ON i.id = ai.incident_id
     WHERE i.id IS NULL AND ${firingNowWhere('$1')} AND ${holdsEvery('$2')}`,
    [exceptRules, words],
  );
  return rows;
}

/**
 * The alerts firing now, whatever their source: each fingerprint's latest alert when it is firing, the most severe
 * level first, then the latest seen; at most `limit`, and how many there are. With each, the incident it is in and
 * whether `userId` may see that incident (a private one only its people).
 */
export async function firingAlerts(
  q: Queryable,
  userId: string | null,
  limit: number,
  /** Rows whose alerts are left out (heartbeats: they always fire). */
  exceptRules: readonly string[] = [],
  /**
   * Only those holding every word (lower case), from the `from`th of them (counted from 1). An alert of a private
   * incident `userId` may not see matches no word: which words its text holds is what it is private for.
   */
  query: { words: readonly string[]; from: number } = { words: [], from: 1 },
  /**
   * Alerts in no incident left out by their row, name and summary (those firingTitlesHolding found that read as a
   * security matter): before they are counted and paged, so that neither a count nor a page says one holds the words.
   */
  unseen: readonly AlertTitleRow[] = [],
) {
  const { rows } = await q.query<
    AlertDbRow & {
      incident_number: number | null;
      incident_channel: string | null;
      incident_status: IncidentStatus | null;
      incident_visible: boolean;
      firing_total: string | number;
    }
  >(
    `SELECT a.*, i.number AS incident_number, i.channel_id AS incident_channel, i.status AS incident_status,
            (i.id IS NULL OR ${visibleTo('$1')}) AS incident_visible, count(*) OVER () AS firing_total
     FROM alerts a
     LEFT JOIN alert_incidents ai ON ai.id = a.alert_incident_id AND ai.state = 'declared'
     LEFT JOIN incidents i ON i.id = ai.incident_id
     WHERE ${firingNowWhere('$3')}
       AND (cardinality($4::text[]) = 0 OR ((i.id IS NULL OR ${visibleTo('$1')}) AND ${holdsEvery('$4')}))
       AND (i.id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM unnest($6::text[], $7::text[], $8::text[]) AS u(rule, name, summary)
         WHERE u.rule IS NOT DISTINCT FROM a.rule AND u.name = a.name AND u.summary = a.summary))
     ORDER BY ${LEVEL_ORDER}, a.last_seen DESC, a.id DESC
     LIMIT $2 OFFSET $5`,
    [
      userId,
      limit,
      exceptRules,
      query.words,
      query.from - 1,
      unseen.map((u) => u.rule),
      unseen.map((u) => u.name),
      unseen.map((u) => u.summary),
    ],
  );
  // Asked from past the end: how many there are all the same (the window counts only the rows it returns).
  const total: number =
    rows.length === 0 && query.from > 1
      ? (await firingAlerts(q, userId, 1, exceptRules, { words: query.words, from: 1 }, unseen)).total
      : Number(rows[0]?.firing_total ?? 0);
  return {
    total,
    alerts: rows.map((r) => ({
      alert: toAlert(r),
      incident:
        r.incident_number === null
          ? null
          : {
              number: Number(r.incident_number),
              channelId: r.incident_channel,
              resolved: r.incident_status === 'resolved',
              visible: r.incident_visible,
            },
    })),
  };
}

/**
 * The order of a card's alerts (and so of a page's, and of `/incident alerts` in the incident's channel): the alerts of
 * the group that opened the incident first (a storm's joined groups after them: 300 joined alerts hid the two that
 * opened it; a group people added by hand is not one); then firing before resolved; critical before warning before
 * info (nine info alerts of a group hid the critical one that opened it); the opening group's in the order they came
 * (the one it is titled after first: a page for "node-0 down, and 149 more" named node-149, node-148 and node-147),
 * the others latest first.
 */
const OPENING = 'ai.attached_by IS NULL AND a.source = ai.source AND a.group_key = ai.group_key';
const CARD_ORDER = `(${OPENING}) DESC, (a.status = 'firing') DESC, ${LEVEL_ORDER},
  CASE WHEN ${OPENING} THEN a.id END, a.last_seen DESC, a.id DESC`;

/** Alerts of some alert incidents: firing first, then the latest seen; at most `limit`, and how many there are. */
export async function alertsOf(
  q: Queryable,
  alertIncidentIds: number[],
  limit: number,
  /** Only those holding every word (lower case), from the `from`th of them (counted from 1). */
  query: { words: readonly string[]; from: number } = { words: [], from: 1 },
): Promise<{
  alerts: AlertRow[];
  firing: number;
  total: number;
  firingInfo: number;
  matches: { firing: number; total: number } | null;
}> {
  if (alertIncidentIds.length === 0) return { alerts: [], firing: 0, total: 0, firingInfo: 0, matches: null };
  const { rows } = await q.query<AlertDbRow>(
    // As the card lists them (CARD_ORDER).
    `SELECT a.* FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
     WHERE a.alert_incident_id = ANY($1::int[]) AND ${holdsEvery('$4')}
     ORDER BY ${CARD_ORDER}
     LIMIT $2 OFFSET $3`,
    [alertIncidentIds, limit, query.from - 1, query.words],
  );
  const counts = await alertCounts(q, alertIncidentIds);
  const matches = query.words.length > 0 ? await alertCounts(q, alertIncidentIds, query.words) : null;
  return { alerts: rows.map(toAlert), ...counts, matches };
}

/** What the card's alert section is made of: the incident's alert incidents, its first alerts, and their counts. */
export interface AlertSectionRows {
  alertIncidents: AlertIncidentRow[];
  alerts: AlertRow[];
  firing: number;
  total: number;
  /** Of the firing, the info alerts (they keep no incident open). */
  firingInfo: number;
}

/**
 * The alert section's rows (alertIncidentsOf, then alertsOf their alerts) as part of another repository's statement,
 * e.g. the card's section facts: one round trip for the card's sections. Read back with alertSectionRowsOf.
 */
export function alertSectionPart(incidentId: number, limit: number): (first: number) => StatementPart {
  return (first) => {
    const [incident, max] = [`$${first}`, `$${first + 1}`];
    return {
      with: '',
      params: [incidentId, limit],
      select: `(SELECT json_build_object(
         'ais', (SELECT json_agg(x ORDER BY x.id) FROM (${AI_SELECT} WHERE ai.incident_id = ${incident}) x),
         'alerts', (SELECT json_agg(a ORDER BY a.n) FROM (
            SELECT a.*, row_number() OVER (ORDER BY ${CARD_ORDER}) AS n
            FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
            WHERE ai.incident_id = ${incident}
            ORDER BY ${CARD_ORDER} LIMIT ${max}) a),
         'counts', (SELECT json_build_object('firing', count(*) FILTER (WHERE a.status = 'firing'), 'total', count(*),
            'info', count(*) FILTER (WHERE a.status = 'firing' AND a.level = 'info'))
            FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id WHERE ai.incident_id = ${incident})))`,
    };
  };
}

/** The alert section's rows on their own (one statement); null when the incident has no alerts. */
export async function alertSectionRows(
  q: Queryable,
  incidentId: number,
  limit: number,
): Promise<AlertSectionRows | null> {
  const part = alertSectionPart(incidentId, limit)(1);
  const { rows } = await q.query<{ more: unknown }>(`SELECT ${part.select} AS more`, part.params);
  const r = alertSectionRowsOf(rows[0]?.more);
  return r.alertIncidents.length > 0 ? r : null;
}

/** What alertSectionPart selected. */
export function alertSectionRowsOf(selected: unknown): AlertSectionRows {
  const v = json(
    selected as
      | string
      | {
          ais: AlertIncidentDbRow[] | null;
          alerts: AlertDbRow[] | null;
          counts: { firing: number; total: number; info?: number };
        },
  );
  return {
    alertIncidents: (v.ais ?? []).map(toAlertIncident),
    alerts: (v.alerts ?? []).map(toAlert),
    firing: Number(v.counts.firing),
    total: Number(v.counts.total),
    firingInfo: Number(v.counts.info ?? 0),
  };
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
