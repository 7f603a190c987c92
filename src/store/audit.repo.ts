import type { Queryable } from './db.js';

export type AuditOutcome = 'ok' | 'refused' | 'failed' | 'noop' | 'answered';

/** One audit row as written: who, what, where, and how it ended. */
export interface AuditEntry {
  actor: string;
  action: string;
  surface: 'command' | 'button' | 'form' | 'http';
  teamId?: string | undefined;
  channelId?: string | undefined;
  incidentId?: number | undefined;
  outcome: AuditOutcome;
  reason?: string | undefined;
  requestId?: string | undefined;
  details?: Record<string, unknown>;
}

/** A stored row: the entry with its id and time; what was not known is null. */
export interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  surface: AuditEntry['surface'];
  teamId: string | null;
  channelId: string | null;
  incidentId: number | null;
  outcome: AuditOutcome;
  reason: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

interface Raw {
  id: string | number;
  at: Date | string;
  actor: string;
  action: string;
  surface: AuditEntry['surface'];
  team_id: string | null;
  channel_id: string | null;
  incident_id: number | null;
  outcome: AuditOutcome;
  reason: string | null;
  request_id: string | null;
  details: Record<string, unknown> | string;
}

const toRow = (r: Raw): AuditRow => ({
  id: Number(r.id),
  at: new Date(r.at),
  actor: r.actor,
  action: r.action,
  surface: r.surface,
  teamId: r.team_id,
  channelId: r.channel_id,
  incidentId: r.incident_id,
  outcome: r.outcome,
  reason: r.reason,
  requestId: r.request_id,
  details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details,
});

/**
 * Appends one row. Without an incident id, the incident whose channel it happened in (if any) is recorded, so what
 * was done in an incident channel belongs to that incident. The only statement that writes the table.
 */
export async function insertAudit(q: Queryable, e: AuditEntry): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (actor, action, surface, team_id, channel_id, incident_id, outcome, reason, request_id, details)
     VALUES ($1, $2, $3, $4, $5,
       COALESCE($6::integer, (SELECT id FROM incidents WHERE channel_id = $5::text)),
       $7, $8, $9, $10)`,
    [
      e.actor,
      e.action,
      e.surface,
      e.teamId ?? null,
      e.channelId ?? null,
      e.incidentId ?? null,
      e.outcome,
      e.reason ?? null,
      e.requestId ?? null,
      JSON.stringify(e.details ?? {}),
    ],
  );
}

/** Rows at or after `since`, after the row `afterId` (the cursor), oldest first, at most `limit`. */
export async function listAudit(
  q: Queryable,
  opts: { since: Date; afterId: number; limit: number },
): Promise<AuditRow[]> {
  const { rows } = await q.query<Raw>(`SELECT * FROM audit_log WHERE at >= $1 AND id > $2 ORDER BY id LIMIT $3`, [
    opts.since,
    opts.afterId,
    opts.limit,
  ]);
  return rows.map(toRow);
}

/** An incident's rows, the newest `limit` of them, oldest first. */
export async function listIncidentAudit(q: Queryable, incidentId: number, limit: number): Promise<AuditRow[]> {
  const { rows } = await q.query<Raw>(
    `SELECT * FROM (SELECT * FROM audit_log WHERE incident_id = $1 ORDER BY id DESC LIMIT $2) newest ORDER BY id`,
    [incidentId, limit],
  );
  return rows.map(toRow);
}
