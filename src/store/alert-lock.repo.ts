import type { Queryable } from './db.js';

/**
 * The advisory locks of alert recording (transaction-scoped): a group's, taken while its deliveries are recorded, and a
 * source's, while an incident is opened (or joined, past the storm cap) for it.
 */

export const groupLockKey = (source: string, groupKey: string) => `alerts:${source}:${groupKey}`;
export const sourceLockKey = (source: string) => `alerts:${source}`;

/** Several groups' locks (or any advisory locks), in one order whatever the order given, until the transaction ends. */
export async function lockKeys(tx: Queryable, keys: readonly string[]): Promise<void> {
  await tx.query(
    'SELECT pg_advisory_xact_lock(hashtext(k)) FROM (SELECT DISTINCT k FROM unnest($1::text[]) AS k ORDER BY k) AS l',
    [keys],
  );
}

/** Recording a group's alerts, until the transaction ends. Taken before the source's lock, never after. */
export async function lockGroup(tx: Queryable, source: string, groupKey: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [groupLockKey(source, groupKey)]);
}

/** Opening (or joining, past the storm cap) an incident for a source, until the transaction ends. */
export async function lockSource(tx: Queryable, source: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [sourceLockKey(source)]);
}
