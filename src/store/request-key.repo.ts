import type { Queryable } from './db.js';

/**
 * Claims a request key inside the caller's transaction. Returns false when the key was already claimed: the request
 * is a Slack retry or a double submit, and the caller must do nothing.
 */
export async function claimRequestKey(q: Queryable, key: string): Promise<boolean> {
  const { rows } = await q.query<{ key: string }>(
    'INSERT INTO request_keys (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING key',
    [key],
  );
  return rows.length === 1;
}

/**
 * `claimRequestKey` after taking the transaction-level advisory lock `lock` (waiting for whoever holds it), in one
 * statement. What the caller reads next is read after the lock (each statement reads afresh); the key's own conflict
 * is checked against what is committed whatever this statement saw when it began.
 */
export async function claimRequestKeyLocked(q: Queryable, lock: string, key: string): Promise<boolean> {
  const { rows } = await q.query<{ key: string }>(
    `WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtext($1)))
     INSERT INTO request_keys (key) SELECT $2 FROM l ON CONFLICT (key) DO NOTHING RETURNING key`,
    [lock, key],
  );
  return rows.length === 1;
}
