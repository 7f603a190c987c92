import { type AlertDbRow, type AlertRow, toAlert } from './alert.repo.js';
import type { Queryable } from './db.js';

/*
 * Alerts a maintenance window held back (alerts.maintenance), released once no window holds them.
 */

/** The alert loop's look before its sweep: an alert a maintenance window held back is still firing. */
export const HELD_BACK = "EXISTS (SELECT 1 FROM alerts WHERE maintenance AND status = 'firing')";

/**
 * Alerts held back by a maintenance window that still fire (each alert's latest row; the oldest first, at most
 * `limit`): once no window holds one, it is released (AlertRecorder.releaseFromMaintenance). A small partial index
 * (021) finds them, so asking on every round of the alert loop costs next to nothing when there are none.
 */
export async function heldBackAlerts(q: Queryable, limit: number): Promise<AlertRow[]> {
  const { rows } = await q.query<AlertDbRow>(
    `SELECT a.* FROM alerts a
     WHERE a.maintenance AND a.status = 'firing'
       AND NOT EXISTS (SELECT 1 FROM alerts b WHERE b.source = a.source AND b.format = a.format AND b.fingerprint = a.fingerprint AND b.id > a.id)
     ORDER BY a.id LIMIT $1`,
    [limit],
  );
  return rows.map(toAlert);
}

/** No longer held back by a maintenance window. */
export async function clearMaintenance(q: Queryable, alertIds: number[]): Promise<void> {
  if (alertIds.length === 0) return;
  await q.query('UPDATE alerts SET maintenance = false WHERE id = ANY($1::int[])', [alertIds]);
}
