import type { Queryable } from './db.js';

/** A heartbeat row's alert from one source whose state is to be told: gone quiet, or back. */
export interface HeartbeatChange {
  rule: string;
  source: string;
  /** True: no delivery for longer than the row's heartbeat, and not told yet. False: back, after it was told. */
  quiet: boolean;
  /** Its last delivery. */
  lastSeen: Date;
}

/**
 * The heartbeats whose state changed since the incidents channel was told: a source whose alerts of the row came last
 * more than `ms` ago and not told quiet, or told quiet and heard from since. One statement for every row; a source
 * that never sent the row's alert has no heartbeat to miss.
 */
export async function heartbeatChanges(
  q: Queryable,
  rules: readonly { rule: string; ms: number }[],
): Promise<HeartbeatChange[]> {
  if (rules.length === 0) return [];
  const { rows } = await q.query<{ rule: string; source: string; quiet: boolean; last_seen: Date }>(
    `SELECT s.rule, s.source, s.quiet_now AS quiet, s.last_seen FROM (
       SELECT r.rule, a.source, max(a.last_seen) AS last_seen,
              max(a.last_seen) < clock_timestamp() - make_interval(secs => r.ms / 1000.0) AS quiet_now,
              coalesce(bool_or(h.quiet), false) AS told
         FROM unnest($1::text[], $2::bigint[]) AS r(rule, ms)
         JOIN alerts a ON a.rule = r.rule
         LEFT JOIN alert_heartbeats h ON h.rule = r.rule AND h.source = a.source
        GROUP BY r.rule, r.ms, a.source) s
      WHERE s.quiet_now <> s.told`,
    [rules.map((r) => r.rule), rules.map((r) => r.ms)],
  );
  return rows.map((r) => ({ rule: r.rule, source: r.source, quiet: r.quiet, lastSeen: new Date(r.last_seen) }));
}

/**
 * Records that the incidents channel is told of `change`, when it still holds (read again under the row's lock: a
 * delivery may have come, or another process told it first). When this call changed it, the last delivery before the
 * silence (the caller then plans the notice in the same transaction, so it is told once); else null.
 */
export async function markHeartbeat(q: Queryable, change: HeartbeatChange, ms: number): Promise<Date | null> {
  const latest = `(SELECT max(a.last_seen) FROM alerts a WHERE a.rule = $1 AND a.source = $2)`;
  const { rows } = change.quiet
    ? await q.query(
        `INSERT INTO alert_heartbeats AS h (rule, source, quiet, last_seen)
         SELECT $1, $2, true, ${latest}
          WHERE ${latest} < clock_timestamp() - make_interval(secs => $3::bigint / 1000.0)
         ON CONFLICT (rule, source) DO UPDATE SET quiet = true, last_seen = EXCLUDED.last_seen,
                                                  changed_at = clock_timestamp()
          WHERE NOT h.quiet
         RETURNING h.last_seen`,
        [change.rule, change.source, ms],
      )
    : await q.query(
        `UPDATE alert_heartbeats SET quiet = false, changed_at = clock_timestamp()
          WHERE rule = $1 AND source = $2 AND quiet
            AND ${latest} >= clock_timestamp() - make_interval(secs => $3::bigint / 1000.0)
         RETURNING last_seen`,
        [change.rule, change.source, ms],
      );
  return rows[0] ? new Date((rows[0] as { last_seen: Date }).last_seen) : null;
}
