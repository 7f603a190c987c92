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
