import type { Queryable } from './db.js';

/*
 * A source's storm while it goes on: its incidents-channel message and the incidents it was sent to
 * (alert_storm_messages), a private storm's incidents (alert_private_storms), and the message's posts one too many,
 * to delete (alert_storm_withdrawals).
 */

const ms = (n: number) => n / 1000;

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
  // Whether the step takes the message to post (`m`: the row as it is once locked): the storm's window has passed, or
  // none is up and the one being posted was refused, is this step's own, or was left (its claim gone stale).
  const take = `m.told_at < now() - make_interval(secs => $3)
     OR (m.ts IS NULL AND (m.refused_at IS NOT NULL OR m.posting = $4
           OR coalesce(m.posting_at, m.told_at) < now() - make_interval(secs => $5)))`;
  // Whether a claim is taken over (`retakenFrom`), its post to be looked for: the row taken is this storm's, no message
  // up, and its claim another step's, or one Slack answered with an error (this step's own too).
  const retaken = `(${take}) AND m.ts IS NULL AND m.told_at >= now() - make_interval(secs => $3)
     AND (m.posting <> $4 OR m.refused_at IS NOT NULL)`;
  // One statement, so that two replicas' steps cannot both take the message, nor one find the row gone between two:
  // the row is inserted, or locked and updated either way (taken: claimed anew; else only told of this incident).
  // Taken is read back from the row as updated: one left untaken with no message up is another step's claim (its
  // posting is not $4: this step's own would be taken), and one with its message up has a ts. The claim taken over is
  // kept in the row by the same update (retaken_from, retaken_since: the locked row's, not this statement's snapshot,
  // which misses a row another replica inserted or changed while this one waited on it) and read back with it.
  const { rows } = await q.query<{
    incidents: number[];
    channel: string | null;
    ts: string | null;
    replied: boolean;
    taken: boolean;
    was: string | null;
    was_since: Date | null;
  }>(
    `INSERT INTO alert_storm_messages AS m (source, incidents, posting, posting_since, posting_at)
     VALUES ($1, ARRAY[$2::int], $4, now(), now())
     ON CONFLICT (source) DO UPDATE
       SET (channel, ts, refused_at, replied, posting, posting_since, posting_at, told_at, incidents, retaken_from,
            retaken_since) = (
         SELECT CASE WHEN c.take THEN NULL ELSE m.channel END,
                CASE WHEN c.take THEN NULL ELSE m.ts END,
                CASE WHEN c.take THEN NULL ELSE m.refused_at END,
                CASE WHEN c.take THEN false ELSE m.replied END,
                CASE WHEN c.take THEN $4 ELSE m.posting END,
                CASE WHEN c.take THEN now() ELSE m.posting_since END,
                CASE WHEN c.take THEN now() ELSE m.posting_at END,
                now(),
                CASE
                  WHEN m.told_at < now() - make_interval(secs => $3) THEN ARRAY[$2::int]
                  WHEN $2::int = ANY(m.incidents) THEN m.incidents
                  ELSE m.incidents || $2::int END,
                CASE WHEN c.retaken THEN m.posting END,
                CASE WHEN c.retaken THEN m.posting_since END
           FROM (SELECT coalesce(${take}, false) AS take, coalesce(${retaken}, false) AS retaken) AS c)
     RETURNING incidents, channel, ts, replied, coalesce(posting = $4 AND ts IS NULL, false) AS taken,
       retaken_from AS was, retaken_since AS was_since`,
    [source, incidentId, ms(windowMs), mark, ms(STORM_MESSAGE_CLAIM_STALE_MS)],
  );
  const r = rows[0];
  if (!r) throw new Error(`claimStormMessage: no row for ${source}`);
  if (r.taken)
    return {
      kind: 'new',
      incidents: r.incidents.map(Number),
      ...(r.was && r.was_since ? { retakenFrom: { mark: r.was, since: new Date(r.was_since) } } : {}),
    };
  return {
    kind: 'ongoing',
    at: r.channel && r.ts ? { channel: r.channel, ts: r.ts } : null,
    incidents: r.incidents.map(Number),
    replied: r.replied === true,
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
 * (alert_storm_withdrawals): recorded before the deletion is asked for, until Slack takes it (stormPostWithdrawn). Due
 * for the alert loop's sweep (claimStormWithdrawals) after `firstRetryMs`: the step deletes it at once, and a refusal,
 * or its process dying first, leaves it to the sweep.
 */
export async function withdrawStormPostLater(
  q: Queryable,
  source: string,
  at: { channel: string; ts: string },
  firstRetryMs: number,
): Promise<void> {
  await q.query(
    `INSERT INTO alert_storm_withdrawals (channel, ts, source, due_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4)) ON CONFLICT (channel, ts) DO NOTHING`,
    [at.channel, at.ts, source, ms(firstRetryMs)],
  );
}

const WITHDRAWAL_DUE = 'due_at <= now()';

/** The alert loop's look before its sweep (see `sweepWhen`): a post of a storm's message one too many is due. */
export const STORM_WITHDRAWALS_DUE = `EXISTS (SELECT 1 FROM alert_storm_withdrawals WHERE ${WITHDRAWAL_DUE})`;

/**
 * Posts of storms' messages one too many that are due (withdrawStormPostLater, stormWithdrawalDueAt), claimed by one
 * process at a time (SKIP LOCKED), each leased for `leaseMs` (moved on: a process that dies leaves it to another after
 * that), its attempt counted: `attempts`, this one included. One recorded as its storm's message since (found after a
 * crash, kept) is no longer one too many: dropped, not claimed.
 */
export async function claimStormWithdrawals(
  q: Queryable,
  limit: number,
  leaseMs: number,
): Promise<{ source: string; channel: string; ts: string; attempts: number }[]> {
  const recorded = `EXISTS (SELECT 1 FROM alert_storm_messages m
      WHERE m.source = w.source AND m.channel = w.channel AND m.ts = w.ts)`;
  const { rows } = await q.query<{ source: string; channel: string; ts: string; attempts: number }>(
    `WITH kept AS (
       DELETE FROM alert_storm_withdrawals w WHERE w.${WITHDRAWAL_DUE} AND ${recorded}
     )
     UPDATE alert_storm_withdrawals SET due_at = now() + make_interval(secs => $2), attempts = attempts + 1
      WHERE (channel, ts) IN (
        SELECT channel, ts FROM alert_storm_withdrawals w WHERE w.${WITHDRAWAL_DUE} AND NOT ${recorded}
         ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING source, channel, ts, attempts`,
    [limit, ms(leaseMs)],
  );
  return rows.map((r) => ({ source: r.source, channel: r.channel, ts: r.ts, attempts: Number(r.attempts) }));
}

/** A post of a storm's message to delete, refused by Slack again: tried again at `at`. */
export async function stormWithdrawalDueAt(q: Queryable, at: { channel: string; ts: string }, when: Date) {
  await q.query('UPDATE alert_storm_withdrawals SET due_at = $3 WHERE channel = $1 AND ts = $2', [
    at.channel,
    at.ts,
    when,
  ]);
}

/**
 * A post of a storm's message to delete (withdrawStormPostLater) is gone: Slack took its deletion (or it was given up:
 * see StormWithdrawals).
 */
export async function stormPostWithdrawn(q: Queryable, at: { channel: string; ts: string }): Promise<void> {
  await q.query('DELETE FROM alert_storm_withdrawals WHERE channel = $1 AND ts = $2', [at.channel, at.ts]);
}
