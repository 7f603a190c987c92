import { type AlertDbRow, type AlertRow, toAlert } from './alert.repo.js';
import { AI_SELECT, type AlertIncidentDbRow, type AlertIncidentRow, toAlertIncident } from './alert-incident.repo.js';
import { holdsEvery, LEVEL_ORDER } from './alert-list.repo.js';
import type { Queryable, StatementPart } from './db.js';

/*
 * An incident card's alerts: the refresh due when their repeats are to show (alert_incidents.card_due_at), and the
 * alert section's rows, counts and order.
 */

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const ms = (n: number) => n / 1000;

/** The alert loop's look before its sweep (see `sweepWhen`): a card is due to show its alerts' repeats. */
const CARD_DUE = "card_due_at <= clock_timestamp() AND incident_id IS NOT NULL AND state = 'declared'";
export const CARDS_DUE = `EXISTS (SELECT 1 FROM alert_incidents WHERE ${CARD_DUE})`;

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
