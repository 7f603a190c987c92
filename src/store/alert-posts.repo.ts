import type { JoinedWhy } from '../incidents/alert-types.js';
import type { Queryable } from './db.js';

/*
 * Where the alert steps' posts went: each storm post claimed once (alert_step_posts), the messages telling that alerts
 * joined an incident (alert_joined_messages) or fired again and joined another (alert_fired_elsewhere_messages), and
 * the offers to resolve (alert_incidents.offer_channel, offer_ts).
 */

const ms = (n: number) => n / 1000;

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
