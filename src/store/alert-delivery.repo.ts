import type { AlertDelivery, AlertStep, IncomingAlert } from '../incidents/alert-types.js';
import type { Queryable } from './db.js';

const toDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const ms = (n: number) => n / 1000;

/** The alert inbox: each delivery the hooks accepted, its plan and how far it got. */
export interface DeliveryRow {
  id: number;
  source: string;
  format: AlertDelivery['format'];
  groupKey: string;
  alerts: IncomingAlert[];
  state: 'received' | 'recorded' | 'done' | 'failed';
  plan: AlertStep[];
  done: number[];
  attempts: number;
  receivedAt: Date;
}

interface DeliveryDbRow {
  id: number | string;
  source: string;
  format: AlertDelivery['format'];
  group_key: string;
  alerts: IncomingAlert[] | string;
  state: DeliveryRow['state'];
  plan: AlertStep[] | string;
  done: number[] | null;
  attempts: number;
  received_at: Date | string;
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
});

/**
 * Writes an accepted delivery, in one statement. The same body from the same source received within
 * `duplicateWindowMs` is a retry of it: nothing is written and the earlier delivery's id comes back.
 */
export async function insertDelivery(
  q: Queryable,
  d: AlertDelivery,
  bodyHash: string,
  duplicateWindowMs: number,
): Promise<{ id: number; duplicate: boolean }> {
  const { rows } = await q.query<{ id: number | string | null }>(
    `WITH seen AS (
       INSERT INTO alert_delivery_hashes AS h (source, body_hash, until)
       VALUES ($1, $4, clock_timestamp() + make_interval(secs => $6))
       ON CONFLICT (source, body_hash) DO UPDATE SET until = EXCLUDED.until WHERE h.until < clock_timestamp()
       RETURNING 1
     ), written AS (
       INSERT INTO alert_deliveries (source, format, group_key, body_hash, alerts)
       SELECT $1, $2, $3, $4, $5::jsonb WHERE EXISTS (SELECT 1 FROM seen)
       RETURNING id
     )
     SELECT (SELECT id FROM written) AS id`,
    [d.source, d.format, d.groupKey, bodyHash, JSON.stringify(d.alerts), ms(duplicateWindowMs)],
  );
  if (rows[0]?.id != null) return { id: Number(rows[0].id), duplicate: false };
  const { rows: same } = await q.query<{ id: number | string }>(
    'SELECT id FROM alert_deliveries WHERE source = $1 AND body_hash = $2 ORDER BY id DESC LIMIT 1',
    [d.source, bodyHash],
  );
  return { id: Number(same[0]?.id ?? 0), duplicate: true };
}

/** Forgets the bodies whose window has passed (the table keeps only the recent ones). */
export async function forgetOldHashes(q: Queryable): Promise<void> {
  await q.query('DELETE FROM alert_delivery_hashes WHERE until < clock_timestamp()');
}

/**
 * Deletes deliveries finished (done or failed) more than `retentionMs` ago, at most `batch` at a time; returns how
 * many. Their alerts stay in `alerts`, the incidents' timelines keep what they did: only the inbox's copy goes.
 */
export async function purgeFinishedDeliveries(q: Queryable, retentionMs: number, batch = 5000): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM alert_deliveries WHERE id IN (
         SELECT id FROM alert_deliveries
         WHERE state IN ('done', 'failed') AND finished_at < clock_timestamp() - make_interval(secs => $1)
         LIMIT $2)
       RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [retentionMs / 1000, batch],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Claims up to `limit` deliveries that are due, oldest first, for `leaseMs` (SKIP LOCKED: two processes never take
 * the same one). A delivery not yet recorded is taken only once every earlier delivery of its group is recorded, so a
 * group's alerts are recorded in the order they came (a resolution never before its firing).
 */
export async function claimDeliveries(q: Queryable, limit: number, leaseMs: number): Promise<DeliveryRow[]> {
  const { rows } = await q.query<DeliveryDbRow>(
    `WITH due AS (
       SELECT d.id FROM alert_deliveries d
       WHERE d.state IN ('received', 'recorded') AND d.due_at <= clock_timestamp()
         AND (d.locked_until IS NULL OR d.locked_until < clock_timestamp())
         AND (d.state = 'recorded' OR NOT EXISTS (
           SELECT 1 FROM alert_deliveries e
           WHERE e.state = 'received' AND e.source = d.source AND e.group_key = d.group_key AND e.id < d.id))
       ORDER BY d.id
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     )
     UPDATE alert_deliveries
     SET locked_until = clock_timestamp() + make_interval(secs => $2), attempts = attempts + 1
     WHERE id IN (SELECT id FROM due)
     RETURNING *`,
    [limit, ms(leaseMs)],
  );
  return rows.map(toDelivery).sort((a, b) => a.id - b.id);
}

/** When the next delivery is due (a leased one: when its lease runs out); null when none is waiting. */
export async function nextDeliveryDueAt(q: Queryable): Promise<Date | null> {
  const { rows } = await q.query<{ at: Date | string | null }>(
    `SELECT min(greatest(due_at, coalesce(locked_until, due_at))) AS at FROM alert_deliveries
     WHERE state IN ('received', 'recorded')`,
  );
  const at = rows[0]?.at ?? null;
  return at === null ? null : toDate(at);
}

export async function renewDeliveries(q: Queryable, ids: number[], leaseMs: number): Promise<void> {
  if (ids.length === 0) return;
  await q.query(
    `UPDATE alert_deliveries SET locked_until = clock_timestamp() + make_interval(secs => $2)
     WHERE id = ANY($1::bigint[]) AND state IN ('received', 'recorded')`,
    [ids, ms(leaseMs)],
  );
}

/** The delivery, locked until the transaction ends. */
export async function lockDelivery(q: Queryable, id: number): Promise<DeliveryRow | null> {
  const { rows } = await q.query<DeliveryDbRow>('SELECT * FROM alert_deliveries WHERE id = $1 FOR UPDATE', [id]);
  return rows[0] ? toDelivery(rows[0]) : null;
}

export async function markRecorded(q: Queryable, id: number, plan: AlertStep[]): Promise<void> {
  await q.query(`UPDATE alert_deliveries SET state = 'recorded', plan = $2::jsonb WHERE id = $1`, [
    id,
    JSON.stringify(plan),
  ]);
}

export async function markStepDone(q: Queryable, id: number, step: number): Promise<void> {
  await q.query('UPDATE alert_deliveries SET done = array_append(done, $2) WHERE id = $1', [id, step]);
}

export async function finishDelivery(q: Queryable, id: number, state: 'done' | 'failed', error?: string) {
  await q.query(
    `UPDATE alert_deliveries SET state = $2, finished_at = clock_timestamp(), locked_until = NULL,
       last_error = coalesce($3, last_error) WHERE id = $1`,
    [id, state, error?.slice(0, 1000) ?? null],
  );
}

/** A failed attempt (or, not `counted`, a wait): the delivery is taken again in `delayMs`. */
export async function retryDelivery(
  q: Queryable,
  id: number,
  delayMs: number,
  error: string,
  { counted = true }: { counted?: boolean } = {},
): Promise<void> {
  await q.query(
    `UPDATE alert_deliveries SET due_at = clock_timestamp() + make_interval(secs => $2), locked_until = NULL,
       last_error = $3, attempts = attempts - CASE WHEN $4 THEN 0 ELSE 1 END WHERE id = $1`,
    [id, ms(delayMs), error.slice(0, 1000), counted],
  );
}
