import { type AlertDbRow, type AlertRow, toAlert } from './alert.repo.js';
import type { Queryable } from './db.js';

/*
 * Alert notices (warnings and info outside any incident): which alerts a group's notice shows (its lead), where it was
 * posted, and what it says was left out (alerts.notice_*).
 */

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
