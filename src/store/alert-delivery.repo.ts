import type { AlertDelivery, AlertStep, IncomingAlert } from '../incidents/alert-types.js';
import { type Queryable, toDate } from './db.js';

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const ms = (n: number) => n / 1000;

/**
 * What a row of the inbox holds: a delivery in one of the hooks' formats, or a plan the bot made itself (no alerts,
 * recorded already) for alerts released from a maintenance window (`maintenance_over`) or a heartbeat gone quiet or
 * back (`heartbeat`).
 */
export type InboxFormat = AlertDelivery['format'] | PlanFormat;
export type PlanFormat = 'maintenance_over' | 'heartbeat';

/** The alert inbox: each delivery the hooks accepted, its plan and how far it got. */
export interface DeliveryRow {
  id: number;
  source: string;
  format: InboxFormat;
  groupKey: string;
  alerts: IncomingAlert[];
  state: 'received' | 'recorded' | 'done' | 'failed';
  plan: AlertStep[];
  done: number[];
  attempts: number;
  receivedAt: Date;
  /** Alerts of the group the source left out of this delivery (Alertmanager's truncatedAlerts). */
  truncated: number;
}

interface DeliveryDbRow {
  id: number | string;
  source: string;
  format: InboxFormat;
  group_key: string;
  alerts: IncomingAlert[] | string;
  state: DeliveryRow['state'];
  plan: AlertStep[] | string;
  done: number[] | null;
  attempts: number;
  received_at: Date | string;
  truncated?: number | null;
}

const toDelivery = (r: DeliveryDbRow): DeliveryRow => ({
  id: Number(r.id),
  source: r.source,
  format: r.format,
  groupKey: r.group_key,
  alerts: json(r.alerts),
  state: r.state,
  plan: json(r.plan),
  done: (r.done ?? []).map(Number),
  attempts: Number(r.attempts),
  receivedAt: toDate(r.received_at),
  truncated: Number(r.truncated ?? 0),
});

/**
 * Writes an accepted delivery, in one statement. The same body from the same source received within
 * `duplicateWindowMs` is a retry of it: nothing is written and the earlier delivery's id comes back. In the generic
 * format, only while no other body of its key came after it: a check's body carries no time, so "firing", "resolved",
 * "firing" within the window is a flapping alert firing again, not a resend (it was dropped as one). An Alertmanager
 * group's bodies carry their alerts' times (a new firing, a new `startsAt`), and a late copy from an HA peer after a
 * newer body must stay a copy. With `retriesOnly` (the hash is of the sender's id of the delivery, the same on its
 * retries and on nothing else), a copy stays a copy whatever came after it.
 */
export async function insertDelivery(
  q: Queryable,
  d: AlertDelivery,
  bodyHash: string,
  duplicateWindowMs: number,
  o: { retriesOnly?: boolean } = {},
): Promise<{ id: number; duplicate: boolean }> {
  const { rows } = await q.query<{ id: number | string | null }>(
    // The delivery's id is taken first and kept with its body's hash: a resend is answered with it (019).
    `WITH seen AS (
       INSERT INTO alert_delivery_hashes AS h (source, body_hash, until, delivery_id)
       VALUES ($1, $4, clock_timestamp() + make_interval(secs => $6), nextval('alert_deliveries_id_seq'))
       ON CONFLICT (source, body_hash) DO UPDATE SET until = EXCLUDED.until, delivery_id = EXCLUDED.delivery_id
         WHERE h.until < clock_timestamp()
           OR ($8 AND EXISTS (SELECT 1 FROM alert_deliveries d
                              WHERE d.id > h.delivery_id AND d.source = $1 AND d.group_key = $3))
       RETURNING delivery_id
     ), written AS (
       INSERT INTO alert_deliveries (id, source, format, group_key, body_hash, alerts, truncated) OVERRIDING SYSTEM VALUE
       SELECT seen.delivery_id, $1, $2, $3, $4, $5::jsonb, $7 FROM seen
       RETURNING id
     )
     SELECT (SELECT id FROM written) AS id`,
    [
      d.source,
      d.format,
      d.groupKey,
      bodyHash,
      JSON.stringify(d.alerts),
      ms(duplicateWindowMs),
      d.truncated ?? 0,
      d.format === 'generic' && !o.retriesOnly,
    ],
  );
  if (rows[0]?.id != null) return { id: Number(rows[0].id), duplicate: false };
  const { rows: same } = await q.query<{ id: number | string | null }>(
    // A hash written by a replica older than 019 (a rolling upgrade) has no id: looked up the old way, rarely.
    `SELECT coalesce(h.delivery_id,
       (SELECT max(d.id) FROM alert_deliveries d WHERE d.source = h.source AND d.body_hash = h.body_hash)) AS id
     FROM alert_delivery_hashes h WHERE h.source = $1 AND h.body_hash = $2`,
    [d.source, bodyHash],
  );
  return { id: Number(same[0]?.id ?? 0), duplicate: true };
}

/**
 * Takes a proof good for one delivery (its hash, kept beside the bodies' hashes) for `windowMs`: null when it was free,
 * else the id of the delivery it came with before (0 when unknown). In the transaction that writes the delivery.
 */
export async function claimProof(
  tx: Queryable,
  source: string,
  proofHash: string,
  windowMs: number,
): Promise<number | null> {
  const { rows } = await tx.query(
    `INSERT INTO alert_delivery_hashes AS h (source, body_hash, until, delivery_id)
     VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3), NULL)
     ON CONFLICT (source, body_hash) DO UPDATE SET until = EXCLUDED.until, delivery_id = NULL
       WHERE h.until < clock_timestamp()
     RETURNING 1`,
    [source, proofHash, ms(windowMs)],
  );
  if (rows.length > 0) return null;
  const { rows: before } = await tx.query<{ id: number | string | null }>(
    'SELECT delivery_id AS id FROM alert_delivery_hashes WHERE source = $1 AND body_hash = $2',
    [source, proofHash],
  );
  return Number(before[0]?.id ?? 0);
}

/** The delivery a proof taken by claimProof came with: a replay of it is answered with its id. */
export async function proofDelivered(tx: Queryable, source: string, proofHash: string, id: number): Promise<void> {
  await tx.query('UPDATE alert_delivery_hashes SET delivery_id = $3 WHERE source = $1 AND body_hash = $2', [
    source,
    proofHash,
    id,
  ]);
}

/**
 * A plan the bot made itself (alerts of a group released from a maintenance window), held by a row of the inbox as a
 * recorded delivery's is: any process's alert loop claims it and carries it out, each step once, as it does theirs.
 * Written in the transaction that made the plan, so the plan and what it was made from are kept together or not at
 * all. `madeFrom` names what it was made from (kept as the row's body_hash: there is no body).
 */
export async function insertPlan(
  q: Queryable,
  group: { source: string; groupKey: string },
  plan: AlertStep[],
  madeFrom: string,
  format: PlanFormat = 'maintenance_over',
): Promise<number> {
  const { rows } = await q.query<{ id: number | string }>(
    `INSERT INTO alert_deliveries (source, format, group_key, body_hash, alerts, state, plan)
     VALUES ($1, $5, $2, $3, '[]'::jsonb, 'recorded', $4::jsonb) RETURNING id`,
    [group.source, group.groupKey, madeFrom, JSON.stringify(plan), format],
  );
  return Number(rows[0]!.id);
}

/** Forgets the bodies whose window has passed (the table keeps only the recent ones). */
export async function forgetOldHashes(q: Queryable): Promise<void> {
  await q.query('DELETE FROM alert_delivery_hashes WHERE until < clock_timestamp()');
}

/**
 * Deletes deliveries finished (done or failed) more than `retentionMs` ago, at most `batch` at a time; returns how
 * many. Their alerts stay in `alerts`, the incidents' timelines keep what they did: only the inbox's copy goes. The
 * storm steps' post records claimed as long ago go too (at most `batch`).
 */
export async function purgeFinishedDeliveries(q: Queryable, retentionMs: number, batch = 5000): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM alert_deliveries WHERE id IN (
         SELECT id FROM alert_deliveries
         WHERE state IN ('done', 'failed') AND finished_at < clock_timestamp() - make_interval(secs => $1)
         LIMIT $2)
       RETURNING 1),
     -- A storm step's posts (alert_step_posts) are looked up by its retries, which end within the hour: kept as long.
     posts AS (
       DELETE FROM alert_step_posts WHERE key IN (
         SELECT key FROM alert_step_posts WHERE claimed_at < clock_timestamp() - make_interval(secs => $1)
         LIMIT $2)
       RETURNING 1)
     SELECT (SELECT count(*)::int FROM gone) AS n, (SELECT count(*) FROM posts) AS posts`,
    [retentionMs / 1000, batch],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Deliveries claimed together: a group's deliveries not yet recorded, in the order they came (recorded in one
 * transaction), or one recorded delivery whose plan is left to carry out. `id` is the first one's.
 */
export interface DeliveryBatch {
  id: number;
  deliveries: DeliveryRow[];
}

/** What a claim took, and when the next delivery it left is due (null: none is waiting). */
export interface DeliveryClaim {
  batches: DeliveryBatch[];
  nextDueAt: Date | null;
}

/**
 * The waiting deliveries `d` that can be due by themselves (at their due time, or when their lease ends if claimed): a
 * recorded one (its plan left to carry out) and the first of its group not yet recorded. One waiting behind an earlier
 * one of its group is not (it comes with that one, or is claimed once that one is recorded, and the process that
 * records it looks again then).
 */
const WAITING_DUE = `d.state IN ('received', 'recorded')
  AND (d.state = 'recorded' OR NOT EXISTS (
    SELECT 1 FROM alert_deliveries e
    WHERE e.state = 'received' AND e.source = d.source AND e.group_key = d.group_key AND e.id < d.id))`;

/**
 * Claims up to `limit` batches of deliveries that are due, oldest first, for `leaseMs` (SKIP LOCKED: two processes
 * never take the same one). A delivery not yet recorded is taken only once every earlier delivery of its group is
 * recorded, so a group's alerts are recorded in the order they came (a resolution never before its firing); with it
 * come the group's later deliveries waiting behind it (at most `followers` in all the batches), recorded with it.
 * The same statement reads when the next of those left is due (as nextDeliveryDueAt does), so the loop asks once.
 */
export async function claimDeliveries(
  q: Queryable,
  limit: number,
  leaseMs: number,
  followers = 0,
): Promise<DeliveryClaim> {
  const { rows } = await q.query<
    (DeliveryDbRow & { head: number | string | null }) & { next_at: Date | string | null }
  >(
    `WITH due AS (
       SELECT d.id, d.source, d.group_key, d.state FROM alert_deliveries d
       WHERE ${WAITING_DUE} AND d.due_at <= clock_timestamp()
         AND (d.locked_until IS NULL OR d.locked_until < clock_timestamp())
       ORDER BY d.id
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     ), behind AS (
       SELECT f.id, h.id AS head FROM due h
       JOIN alert_deliveries f ON f.state = 'received' AND f.source = h.source AND f.group_key = h.group_key
         AND f.id > h.id
       WHERE h.state = 'received' AND f.due_at <= clock_timestamp()
         AND (f.locked_until IS NULL OR f.locked_until < clock_timestamp())
       ORDER BY f.id
       LIMIT $3
       FOR UPDATE OF f SKIP LOCKED
     ), taken AS (
       SELECT id, id AS head FROM due UNION ALL SELECT id, head FROM behind
     ), claimed AS (
       UPDATE alert_deliveries d
       SET locked_until = clock_timestamp() + make_interval(secs => $2), attempts = attempts + 1
       FROM taken WHERE d.id = taken.id
       RETURNING d.*, taken.head
     ), next AS (
       -- Read before the claim (one snapshot): what it took is left out (due again when its lease ends, later than
       -- the loop sleeps at most); a delivery another process holds counts at its lease's end.
       SELECT min(greatest(d.due_at, coalesce(d.locked_until, d.due_at))) AS next_at FROM alert_deliveries d
       WHERE ${WAITING_DUE} AND NOT EXISTS (SELECT 1 FROM taken t WHERE t.id = d.id)
     )
     SELECT c.*, next.next_at FROM next LEFT JOIN claimed c ON true`,
    [limit, ms(leaseMs), followers],
  );
  const batches = new Map<number, DeliveryRow[]>();
  for (const r of rows) {
    if (r.head === null) continue; // nothing claimed: the row only says when the next is due
    const head = Number(r.head);
    const batch = batches.get(head) ?? [];
    batch.push(toDelivery(r));
    batches.set(head, batch);
  }
  const at = rows[0]?.next_at ?? null;
  return {
    batches: [...batches]
      .map(([id, deliveries]) => ({ id, deliveries: deliveries.sort((a, b) => a.id - b.id) }))
      .sort((a, b) => a.id - b.id),
    nextDueAt: at === null ? null : toDate(at),
  };
}

/**
 * When the next delivery is due (a leased one: when its lease runs out; one waiting behind an earlier one of its
 * group: not by itself); null when none is waiting.
 */
export async function nextDeliveryDueAt(q: Queryable): Promise<Date | null> {
  const { rows } = await q.query<{ at: Date | string | null }>(
    `SELECT min(greatest(d.due_at, coalesce(d.locked_until, d.due_at))) AS at FROM alert_deliveries d
     WHERE ${WAITING_DUE}`,
  );
  const at = rows[0]?.at ?? null;
  return at === null ? null : toDate(at);
}

/**
 * Extends the leases of deliveries still being worked (a batch's, all of them). Only leases still held: one put back
 * (retryDelivery) gave its lease up, and a late heartbeat must not hold it past its backoff (see extendLeases).
 */
export async function renewDeliveries(q: Queryable, ids: number[], leaseMs: number): Promise<void> {
  if (ids.length === 0) return;
  await q.query(
    `UPDATE alert_deliveries SET locked_until = clock_timestamp() + make_interval(secs => $2)
     WHERE id = ANY($1::bigint[]) AND state IN ('received', 'recorded') AND locked_until IS NOT NULL`,
    [ids, ms(leaseMs)],
  );
}

/** The deliveries, locked until the transaction ends, in id order (those gone are left out). */
export async function lockDeliveries(q: Queryable, ids: number[]): Promise<DeliveryRow[]> {
  const { rows } = await q.query<DeliveryDbRow>(
    'SELECT * FROM alert_deliveries WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE',
    [ids],
  );
  return rows.map(toDelivery);
}

/**
 * Deliveries recorded together, in one statement: each group's last one holds its plan (what is left to do outside
 * the database); the others are done, as is a last one with nothing to do.
 */
export async function markRecorded(
  q: Queryable,
  ids: number[],
  plans: readonly { id: number; plan: AlertStep[] }[],
): Promise<void> {
  const holding = plans.filter((p) => p.plan.length > 0);
  await q.query(
    `UPDATE alert_deliveries d SET
       state = CASE WHEN p.plan IS NULL THEN 'done' ELSE 'recorded' END,
       plan = coalesce(p.plan::jsonb, d.plan),
       finished_at = CASE WHEN p.plan IS NULL THEN clock_timestamp() ELSE d.finished_at END,
       locked_until = CASE WHEN p.plan IS NULL THEN NULL ELSE d.locked_until END
     FROM (SELECT i.id, h.plan FROM unnest($1::bigint[]) AS i(id)
           LEFT JOIN unnest($2::bigint[], $3::text[]) AS h(id, plan) ON h.id = i.id) AS p
     WHERE d.id = p.id`,
    [ids, holding.map((p) => p.id), holding.map((p) => JSON.stringify(p.plan))],
  );
}

export async function markStepDone(q: Queryable, id: number, step: number): Promise<void> {
  await q.query('UPDATE alert_deliveries SET done = array_append(done, $2) WHERE id = $1', [id, step]);
}

/** Done with deliveries (a batch given up: all of them). */
export async function finishDelivery(
  q: Queryable,
  ids: number | number[],
  state: 'done' | 'failed',
  error?: string,
): Promise<void> {
  await q.query(
    `UPDATE alert_deliveries SET state = $2, finished_at = clock_timestamp(), locked_until = NULL,
       last_error = coalesce($3, last_error) WHERE id = ANY($1::bigint[])`,
    [Array.isArray(ids) ? ids : [ids], state, error?.slice(0, 1000) ?? null],
  );
}

/**
 * A failed attempt (or, not `counted`, a wait): the deliveries (a batch's, all of them) are taken again in
 * `delayMs`. Those done meanwhile are left alone.
 */
export async function retryDelivery(
  q: Queryable,
  ids: number | number[],
  delayMs: number,
  error: string,
  { counted = true }: { counted?: boolean } = {},
): Promise<void> {
  await q.query(
    `UPDATE alert_deliveries SET due_at = clock_timestamp() + make_interval(secs => $2), locked_until = NULL,
       last_error = $3, attempts = attempts - CASE WHEN $4 THEN 0 ELSE 1 END
     WHERE id = ANY($1::bigint[]) AND state IN ('received', 'recorded')`,
    [Array.isArray(ids) ? ids : [ids], ms(delayMs), error.slice(0, 1000), counted],
  );
}

/**
 * Deliveries tried and failed at least twice, not done nor given up (waiting for a declaration or Slack's channel
 * budget is not a failure): how many, since when the oldest came, and the latest one's reason. Null when none.
 */
export async function failingDeliveries(
  q: Queryable,
): Promise<{ count: number; oldest: Date; lastError: string } | null> {
  const { rows } = await q.query<{ count: string; oldest: Date | string | null; last_error: string | null }>(
    `SELECT count(*) AS count, min(received_at) AS oldest,
       (array_agg(last_error ORDER BY received_at DESC, id DESC))[1] AS last_error
     FROM alert_deliveries
     WHERE state IN ('received', 'recorded') AND last_error IS NOT NULL AND attempts >= 2`,
  );
  const r = rows[0];
  if (!r || Number(r.count) === 0 || r.oldest === null) return null;
  return { count: Number(r.count), oldest: new Date(r.oldest), lastError: r.last_error ?? '' };
}
