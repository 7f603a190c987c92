import type { Queryable } from './db.js';

/** A heartbeat row's alert from one source whose state is to be told: gone quiet, or back. */
export interface HeartbeatChange {
  rule: string;
  source: string;
  /**
   * True: not firing for longer than the row's heartbeat (no delivery since, or its last said it resolved: an alert
   * that always fires stopped), and not told yet. False: a delivery since it was told said it fires (told even when
   * it has gone quiet again by the time this is read: that silence is told next).
   */
  quiet: boolean;
  /** Its last delivery. */
  lastSeen: Date;
  /** Its last delivery said it resolved (rather than none came). */
  resolved: boolean;
}

/**
 * A source's alert of the row fired within the heartbeat (a delivery said it fires, `ms` ago at most), or the source
 * has deliveries not recorded yet (the inbox is behind: they may carry it, so it is not called quiet until they are).
 */
const BEATING = `(EXISTS (SELECT 1 FROM alerts a WHERE a.rule = $1 AND a.source = $2 AND a.status = 'firing'
                    AND a.last_seen >= clock_timestamp() - make_interval(secs => $3::bigint / 1000.0))
                  OR ${pending('$2')})`;
/** The source has hook deliveries waiting to be recorded. */
function pending(source: string): string {
  return `EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.source = ${source} AND d.state = 'received'
                    AND d.format IN ('alertmanager', 'generic'))`;
}
/** Told quiet, and a delivery received since the silence's last one says it fires: it came back (however briefly). */
const CAME_BACK = `EXISTS (SELECT 1 FROM alerts a WHERE a.rule = $1 AND a.source = $2 AND a.status = 'firing'
                     AND a.last_seen > h.last_seen)`;
const LAST_SEEN = `(SELECT max(a.last_seen) FROM alerts a WHERE a.rule = $1 AND a.source = $2)`;

/**
 * The heartbeats whose state changed since the incidents channel was told: a source whose alert of the row has not
 * fired within `ms` (no delivery since, or it resolved: Alertmanager resolves an alert Prometheus stopped sending)
 * and not told quiet, or told quiet and firing since. One statement for every row; a source that never sent the
 * row's alert has no heartbeat to miss.
 */
export async function heartbeatChanges(
  q: Queryable,
  rules: readonly { rule: string; ms: number }[],
): Promise<HeartbeatChange[]> {
  if (rules.length === 0) return [];
  const { rows } = await q.query<{ rule: string; source: string; quiet: boolean; last_seen: Date; resolved: boolean }>(
    `SELECT s.rule, s.source, NOT s.told AS quiet, s.last_seen, s.resolved FROM (
       SELECT r.rule, a.source, max(a.last_seen) AS last_seen,
              (array_agg(a.status ORDER BY a.id DESC))[1] = 'resolved' AS resolved,
              NOT coalesce(bool_or(a.status = 'firing'
                   AND a.last_seen >= clock_timestamp() - make_interval(secs => r.ms / 1000.0)), false)
                AND NOT ${pending('a.source')} AS quiet_now,
              coalesce(bool_or(a.status = 'firing' AND a.last_seen > h.last_seen), false) AS came_back,
              coalesce(bool_or(h.quiet), false) AS told
         FROM unnest($1::text[], $2::bigint[]) AS r(rule, ms)
         JOIN alerts a ON a.rule = r.rule
         LEFT JOIN alert_heartbeats h ON h.rule = r.rule AND h.source = a.source
        GROUP BY r.rule, r.ms, a.source) s
      WHERE CASE WHEN s.told THEN s.came_back ELSE s.quiet_now END`,
    [rules.map((r) => r.rule), rules.map((r) => r.ms)],
  );
  return rows.map((r) => ({
    rule: r.rule,
    source: r.source,
    quiet: r.quiet,
    lastSeen: new Date(r.last_seen),
    resolved: r.resolved,
  }));
}

/**
 * Records that the incidents channel is told of `change`, when it still holds (read again under the row's lock: a
 * delivery may have come, or another process told it first). When this call changed it, the last delivery before the
 * silence (the caller then plans the notice in the same transaction, so it is told once); else null.
 */
export async function markHeartbeat(q: Queryable, change: HeartbeatChange, ms: number): Promise<Date | null> {
  const { rows } = change.quiet
    ? await q.query(
        `INSERT INTO alert_heartbeats AS h (rule, source, quiet, last_seen)
         SELECT $1, $2, true, ${LAST_SEEN}
          WHERE ${LAST_SEEN} IS NOT NULL AND NOT ${BEATING}
         ON CONFLICT (rule, source) DO UPDATE SET quiet = true, last_seen = EXCLUDED.last_seen,
                                                  changed_at = clock_timestamp()
          WHERE NOT h.quiet
         RETURNING h.last_seen`,
        [change.rule, change.source, ms],
      )
    : await q.query(
        `UPDATE alert_heartbeats h SET quiet = false, changed_at = clock_timestamp()
          WHERE h.rule = $1 AND h.source = $2 AND h.quiet AND ${CAME_BACK}
         RETURNING h.last_seen`,
        [change.rule, change.source],
      );
  return rows[0] ? new Date((rows[0] as { last_seen: Date }).last_seen) : null;
}
