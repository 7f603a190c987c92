import type { Override } from '../incidents/rotation.js';
import type { Queryable } from './db.js';

interface OverrideRow {
  id: number;
  role: string;
  kind: 'override' | 'swap';
  user_id: string;
  other_id: string | null;
  starts_at: Date;
  ends_at: Date;
  created_by: string;
  created_at: Date;
}

const toOverride = (r: OverrideRow): Override => ({
  id: Number(r.id),
  role: r.role,
  kind: r.kind,
  userId: r.user_id,
  otherId: r.other_id,
  startsAt: new Date(r.starts_at),
  endsAt: new Date(r.ends_at),
  createdBy: r.created_by,
  createdAt: new Date(r.created_at),
});

export type NewOverride = Pick<Override, 'role' | 'kind' | 'userId' | 'otherId' | 'startsAt' | 'endsAt' | 'createdBy'>;

export async function insertOverride(q: Queryable, o: NewOverride): Promise<Override> {
  const { rows } = await q.query<OverrideRow>(
    `INSERT INTO oncall_overrides (role, kind, user_id, other_id, starts_at, ends_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
    [o.role, o.kind, o.userId, o.otherId, o.startsAt, o.endsAt, o.createdBy],
  );
  return toOverride(rows[0]!);
}

/**
 * Overrides and swaps that end after `after` (those that still matter), of every role, oldest made first. One
 * cancelled before it started is none; one cancelled after it started counts until it was (its end).
 */
export async function overridesEndingAfter(q: Queryable, after: Date): Promise<Override[]> {
  const { rows } = await q.query<OverrideRow>(
    `SELECT * FROM oncall_overrides WHERE ends_at > $1 AND (cancelled_at IS NULL OR starts_at < cancelled_at)
     ORDER BY created_at, id`,
    [after],
  );
  return rows.map(toOverride);
}

/** What became of a cancellation: the override as it was, and as it is now (null: no such number). */
export type CancelledOverride =
  | { kind: 'cancelled'; before: Override; after: Override }
  | { kind: 'over'; override: Override; cancelledBy: string | null }
  | { kind: 'unknown' };

/**
 * Cancels an override or a swap not over yet: one that started ends at `now`, one to come is kept, cancelled. Under a
 * row lock, so two people cancelling at once cancel it once (the second is told it is over).
 */
export async function cancelOverride(q: Queryable, id: number, by: string, now: Date): Promise<CancelledOverride> {
  const { rows } = await q.query<OverrideRow & { cancelled_by: string | null; cancelled_at: Date | null }>(
    'SELECT * FROM oncall_overrides WHERE id = $1 FOR UPDATE',
    [id],
  );
  const row = rows[0];
  if (!row) return { kind: 'unknown' };
  const before = toOverride(row);
  if (row.cancelled_at || before.endsAt <= now)
    return { kind: 'over', override: before, cancelledBy: row.cancelled_by };
  const { rows: updated } = await q.query<OverrideRow>(
    `UPDATE oncall_overrides SET cancelled_at = $2, cancelled_by = $3,
       ends_at = CASE WHEN starts_at < $2 THEN $2 ELSE ends_at END
     WHERE id = $1 RETURNING *`,
    [id, now, by],
  );
  return { kind: 'cancelled', before, after: toOverride(updated[0]!) };
}

/**
 * One hand-off notice as a sweep claimed it: a write for the people it named does nothing once it names others. Both
 * people: a notice renewed for a new outgoing person (renewHandoff), the incoming one the same, is another notice, and
 * a sweep still holding the old claim must not mark it sent, done, held or to retry.
 */
export type HandoffKey = Pick<HandoffRow, 'role' | 'handoffAt' | 'outgoingId' | 'incomingId'>;

/** The SQL that picks the row of `key` (role, handoff_at, outgoing_id, incoming_id as $1, $2, $out, $in). */
const KEYED = (out: number, inc: number) =>
  `role = $1 AND handoff_at = $2 AND outgoing_id IS NOT DISTINCT FROM $${out} AND incoming_id = $${inc}`;

export interface HandoffRow {
  role: string;
  handoffAt: Date;
  outgoingId: string | null;
  incomingId: string;
  channelPosted: boolean;
  dmSent: boolean;
  /** The outgoing person's direct message, sent at the hand-off itself. */
  outgoingDmSent: boolean;
  /** A hand-off that no longer happens: its channel line taken back, its incoming person told. */
  withdrawnPosted: boolean;
  withdrawnDmSent: boolean;
  /** Taken back, wholly or in part: told again, as new, if its hand-off happens after all. */
  withdrawn: boolean;
  /** Who was told earlier as handing over, when an override or a swap since changed only that (see renewHandoff). */
  replacedOutgoingId: string | null;
  /**
   * Who has heard of this hand-off (the channel, the incoming person) and not been told it is off since, whatever
   * renewals for another outgoing person happened between: those a take-back tells.
   */
  channelTold: boolean;
  dmTold: boolean;
  /** Who the channel, the incoming person, was told hands over (while told): the one a take-back to them names. */
  channelToldOutgoingId: string | null;
  dmToldOutgoingId: string | null;
  attempts: number;
  /** The claim's lease as the database wrote it (exact, as text): what renewHandoffLeases extends, while it stands. */
  lease: string;
}

/**
 * Records the notices of coming hand-offs; a hand-off already recorded (by any replica) is left as it is, unless it
 * changed and is still to come: someone else takes over or hands over at it (an override or a swap made since), or it
 * was taken back and happens after all. Its notice is then let go (claimable at once, even when done or held for the
 * hand-off), for the sweep to take it back and tell the new one, or tell it again (see renewHandoff).
 * Not one a sweep is sending now (claimed: attempts counted) nor one waiting to retry: they come round by themselves.
 */
export async function recordHandoffs(
  q: Queryable,
  handoffs: readonly { role: string; at: Date; outgoingId: string | null; incomingId: string }[],
): Promise<number> {
  if (handoffs.length === 0) return 0;
  const { rows } = await q.query(
    `INSERT INTO oncall_handoffs (role, handoff_at, outgoing_id, incoming_id)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[])
     ON CONFLICT (role, handoff_at) DO UPDATE SET leased_until = NULL, done_at = NULL
     WHERE (oncall_handoffs.incoming_id <> excluded.incoming_id
         OR oncall_handoffs.outgoing_id IS DISTINCT FROM excluded.outgoing_id OR oncall_handoffs.withdrawn_at IS NOT NULL)
       AND oncall_handoffs.handoff_at > clock_timestamp()
       AND (oncall_handoffs.done_at IS NOT NULL OR oncall_handoffs.attempts = 0)
     RETURNING role`,
    [
      handoffs.map((h) => h.role),
      handoffs.map((h) => h.at),
      handoffs.map((h) => h.outgoingId),
      handoffs.map((h) => h.incomingId),
    ],
  );
  return rows.length;
}

/** Claims hand-off notices not sent yet (none another replica holds), for `leaseMs`. */
export async function claimHandoffs(q: Queryable, limit: number, leaseMs: number): Promise<HandoffRow[]> {
  const { rows } = await q.query<{
    role: string;
    handoff_at: Date;
    outgoing_id: string | null;
    incoming_id: string;
    channel_posted_at: Date | null;
    dm_sent_at: Date | null;
    outgoing_dm_sent_at: Date | null;
    withdrawn_channel_at: Date | null;
    withdrawn_dm_at: Date | null;
    withdrawn_at: Date | null;
    replaced_outgoing_id: string | null;
    channel_told_at: Date | null;
    dm_told_at: Date | null;
    channel_told_outgoing_id: string | null;
    dm_told_outgoing_id: string | null;
    attempts: number;
    lease: string;
  }>(
    `WITH due AS (
       SELECT role, handoff_at FROM oncall_handoffs
       WHERE done_at IS NULL AND (leased_until IS NULL OR leased_until < clock_timestamp())
       ORDER BY handoff_at LIMIT $1
       FOR UPDATE SKIP LOCKED
     )
     UPDATE oncall_handoffs h
     SET leased_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000),
         attempts = h.attempts + 1
     FROM due WHERE h.role = due.role AND h.handoff_at = due.handoff_at
     RETURNING h.*, h.leased_until::text AS lease`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({
    role: r.role,
    handoffAt: new Date(r.handoff_at),
    outgoingId: r.outgoing_id,
    incomingId: r.incoming_id,
    channelPosted: r.channel_posted_at !== null,
    dmSent: r.dm_sent_at !== null,
    outgoingDmSent: r.outgoing_dm_sent_at !== null,
    withdrawnPosted: r.withdrawn_channel_at !== null,
    withdrawnDmSent: r.withdrawn_dm_at !== null,
    withdrawn: r.withdrawn_at !== null || r.withdrawn_channel_at !== null || r.withdrawn_dm_at !== null,
    replacedOutgoingId: r.replaced_outgoing_id,
    channelTold: r.channel_told_at !== null,
    dmTold: r.dm_told_at !== null,
    channelToldOutgoingId: r.channel_told_outgoing_id,
    dmToldOutgoingId: r.dm_told_outgoing_id,
    attempts: Number(r.attempts),
    lease: r.lease,
  }));
}

/**
 * Extends the claims of notices a sweep is still handling (`claims`: each with the lease its claim or the last
 * renewal wrote) to `leaseMs` from now, so that no other replica claims one and sends its parts again while Slack is
 * slow. Only a lease still as it was written: one the notice's own hold, retry, end or renewal replaced (or a release,
 * or another replica's claim once it ran out) is left as it is, so a hold for the hand-off is never pushed past it.
 * Returns the claims extended, with their new lease.
 */
export async function renewHandoffLeases(
  q: Queryable,
  claims: readonly { role: string; handoffAt: Date; lease: string }[],
  leaseMs: number,
): Promise<{ role: string; handoffAt: Date; lease: string }[]> {
  if (claims.length === 0) return [];
  const { rows } = await q.query<{ role: string; handoff_at: Date; lease: string }>(
    `UPDATE oncall_handoffs h
     SET leased_until = clock_timestamp() + make_interval(secs => $4::double precision / 1000)
     FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS c (role, handoff_at, lease)
     WHERE h.role = c.role AND h.handoff_at = c.handoff_at AND h.leased_until = c.lease AND h.done_at IS NULL
     RETURNING h.role, h.handoff_at, h.leased_until::text AS lease`,
    [claims.map((c) => c.role), claims.map((c) => c.handoffAt), claims.map((c) => c.lease), leaseMs],
  );
  return rows.map((r) => ({ role: r.role, handoffAt: new Date(r.handoff_at), lease: r.lease }));
}

/**
 * Marks a part of a hand-off notice sent (`channel`, the incoming person's `dm`, the `outgoing` person's), or the
 * whole notice done (given up on, or sent; `withdrawn`: taken back, its hand-off no longer happening). The channel and
 * the incoming person count as told from their part sent until their part of a take-back is (`withdrawn_channel`,
 * `withdrawn_dm`), told of the outgoing person the notice names as that part is sent (the last one told).
 */
export async function markHandoff(
  q: Queryable,
  key: HandoffKey,
  part: 'channel' | 'dm' | 'outgoing' | 'withdrawn_channel' | 'withdrawn_dm' | 'done' | 'withdrawn',
  error?: string,
): Promise<void> {
  const set = {
    channel: `channel_posted_at = clock_timestamp(), channel_told_at = coalesce(channel_told_at, clock_timestamp()),
      channel_told_outgoing_id = outgoing_id`,
    dm: `dm_sent_at = clock_timestamp(), dm_told_at = coalesce(dm_told_at, clock_timestamp()),
      dm_told_outgoing_id = outgoing_id`,
    outgoing: 'outgoing_dm_sent_at = clock_timestamp()',
    withdrawn_channel:
      'withdrawn_channel_at = clock_timestamp(), channel_told_at = NULL, channel_told_outgoing_id = NULL',
    withdrawn_dm: 'withdrawn_dm_at = clock_timestamp(), dm_told_at = NULL, dm_told_outgoing_id = NULL',
    done: 'done_at = clock_timestamp(), leased_until = NULL',
    withdrawn: 'withdrawn_at = clock_timestamp(), done_at = clock_timestamp(), leased_until = NULL',
  }[part];
  // Done only while still claimed: released since (an override cancelled meanwhile: releaseHandoffs), the row is
  // claimed again and the sweep finds whether its hand-off still happens.
  await q.query(
    `UPDATE oncall_handoffs SET ${set}, last_error = coalesce($3, last_error)
     WHERE ${KEYED(5, 4)}${part === 'done' || part === 'withdrawn' ? ' AND leased_until IS NOT NULL' : ''}`,
    [key.role, key.handoffAt, error ?? null, key.incomingId, key.outgoingId],
  );
}

/** A failed attempt: tried again once `retryAt` comes. */
export async function retryHandoff(q: Queryable, key: HandoffKey, retryAt: Date, error: string): Promise<void> {
  await q.query(
    `UPDATE oncall_handoffs SET leased_until = $3, last_error = $4
     WHERE ${KEYED(6, 5)} AND leased_until IS NOT NULL`,
    [key.role, key.handoffAt, retryAt, error, key.incomingId, key.outgoingId],
  );
}

/**
 * The part still to send waits for the hand-off itself: no replica claims the notice again before `until`. Only while
 * the sweep's claim holds it: a notice released since (its override cancelled as it was being sent) is claimed again at
 * once, and taken back if its hand-off no longer happens, not held until the hand-off.
 */
export async function holdHandoff(q: Queryable, key: HandoffKey, until: Date): Promise<void> {
  await q.query(
    `UPDATE oncall_handoffs SET leased_until = $3, attempts = 0
     WHERE ${KEYED(5, 4)} AND done_at IS NULL AND leased_until IS NOT NULL`,
    [key.role, key.handoffAt, until, key.incomingId, key.outgoingId],
  );
}

/**
 * A hand-off whose notice no longer says it as it stands: the row becomes the notice of the hand-off as it stands,
 * nothing of it sent yet, claimable at once, to be told as new. Someone else takes over (its notice taken back first);
 * it was taken back and happens after all; or only who hands over changed: then the person told earlier is kept
 * (`replaced_outgoing_id`), for the notice to say it is not them (one told to nobody yet is just corrected). Only from
 * the people it named, and only once (a second replica that got there first has renewed it already: the row names
 * these people, not taken back; nothing happens twice). Who was told of the hand-off (channel_told_at, dm_told_at) is
 * kept while the incoming person stays: a take-back before the notice is told again tells them all the same. An
 * audience told exactly the hand-off as it stands again (the outgoing person changed and changed back: C, B, C; or taken
 * back from the other audience only, and happening after all) has its part sent already: it hears nothing twice.
 */
export async function renewHandoff(
  q: Queryable,
  key: HandoffKey,
  next: { outgoingId: string | null; incomingId: string },
): Promise<void> {
  await q.query(
    `UPDATE oncall_handoffs SET outgoing_id = $4, incoming_id = $5,
       replaced_outgoing_id = CASE
         WHEN incoming_id <> $5 OR $4::text IS NULL OR withdrawn_at IS NOT NULL OR withdrawn_channel_at IS NOT NULL
           OR withdrawn_dm_at IS NOT NULL THEN NULL
         WHEN channel_posted_at IS NOT NULL OR dm_sent_at IS NOT NULL THEN nullif(outgoing_id, $4)
         ELSE nullif(replaced_outgoing_id, $4) END,
       channel_told_at = CASE WHEN incoming_id = $5 THEN channel_told_at END,
       dm_told_at = CASE WHEN incoming_id = $5 THEN dm_told_at END,
       channel_told_outgoing_id = CASE WHEN incoming_id = $5 THEN channel_told_outgoing_id END,
       dm_told_outgoing_id = CASE WHEN incoming_id = $5 THEN dm_told_outgoing_id END,
       channel_posted_at = CASE WHEN incoming_id = $5 AND channel_told_at IS NOT NULL
         AND channel_told_outgoing_id IS NOT DISTINCT FROM $4 THEN channel_told_at END,
       dm_sent_at = CASE WHEN incoming_id = $5 AND dm_told_at IS NOT NULL
         AND dm_told_outgoing_id IS NOT DISTINCT FROM $4 THEN dm_told_at END,
       outgoing_dm_sent_at = NULL, withdrawn_channel_at = NULL,
       withdrawn_dm_at = NULL, withdrawn_at = NULL, done_at = NULL, leased_until = NULL, attempts = 0, last_error = $6
     WHERE ${KEYED(7, 3)}
       AND NOT (incoming_id = $5 AND outgoing_id IS NOT DISTINCT FROM $4 AND withdrawn_at IS NULL
         AND withdrawn_channel_at IS NULL AND withdrawn_dm_at IS NULL)`,
    [
      key.role,
      key.handoffAt,
      key.incomingId,
      next.outgoingId,
      next.incomingId,
      next.incomingId === key.incomingId
        ? `told again: ${next.outgoingId ?? 'nobody'} hands over to ${next.incomingId} then`
        : `taken back from ${key.incomingId}: ${next.incomingId} takes over then instead`,
      key.outgoingId,
    ],
  );
}

/**
 * The notices of a role's hand-offs from `from` to `to` are claimable at once (a hold for the hand-off itself let go):
 * an override or a swap cancelled, the sweep finds which no longer happen and takes them back now. Those not done yet,
 * and those done already whose hand-off is still to come (one with nobody handing over is done once the channel and
 * the incoming person are told): claimed again, one that still happens has nothing left to send, and is done again.
 */
export async function releaseHandoffs(q: Queryable, role: string, from: Date, to: Date): Promise<void> {
  await q.query(
    `UPDATE oncall_handoffs SET leased_until = NULL, done_at = NULL
     WHERE role = $1 AND handoff_at >= $2 AND handoff_at <= $3
       AND (done_at IS NULL OR handoff_at > clock_timestamp())`,
    [role, from, to],
  );
}

/** Hand-offs past whose open incidents' cards are not redrawn yet (any replica may redraw them: it does no harm twice). */
export async function cardRedrawsDue(q: Queryable, limit: number): Promise<{ role: string; handoffAt: Date }[]> {
  const { rows } = await q.query<{ role: string; handoff_at: Date | string }>(
    `SELECT role, handoff_at FROM oncall_handoffs WHERE cards_redrawn_at IS NULL AND handoff_at <= now()
     ORDER BY handoff_at LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ role: r.role, handoffAt: new Date(r.handoff_at) }));
}

/** Marks hand-offs' cards redrawn. */
export async function markCardsRedrawn(
  q: Queryable,
  rows: readonly { role: string; handoffAt: Date }[],
): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `UPDATE oncall_handoffs h SET cards_redrawn_at = now()
     FROM unnest($1::text[], $2::timestamptz[]) AS d(role, handoff_at)
     WHERE h.role = d.role AND h.handoff_at = d.handoff_at`,
    [rows.map((r) => r.role), rows.map((r) => r.handoffAt)],
  );
}
