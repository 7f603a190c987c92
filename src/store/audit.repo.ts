import type { Queryable } from './db.js';

export type AuditOutcome = 'ok' | 'refused' | 'failed' | 'noop' | 'answered';

/** One audit row as written: who, what, where, and how it ended. */
export interface AuditEntry {
  actor: string;
  action: string;
  surface: 'command' | 'button' | 'form' | 'shortcut' | 'http';
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
 * Appends rows, in order, in one statement. A row that names an incident is filed under it, or under none when no
 * such incident exists (a click on a removed or made-up one), never under another. Without an incident id, the
 * incident whose channel it happened in (if any) is recorded, so what was done in an incident channel belongs to that
 * incident. The only statement that writes the table.
 */
export async function insertAudits(q: Queryable, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const col = <T>(f: (e: AuditEntry) => T) => entries.map(f);
  await q.query(
    `INSERT INTO audit_log (actor, action, surface, team_id, channel_id, incident_id, outcome, reason, request_id, details)
     SELECT r.actor, r.action, r.surface, r.team_id, r.channel_id,
       CASE WHEN r.incident_id IS NULL THEN (SELECT i.id FROM incidents i WHERE i.channel_id = r.channel_id)
            ELSE (SELECT i.id FROM incidents i WHERE i.id = r.incident_id) END,
       r.outcome, r.reason, r.request_id, r.details
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::text[], $8::text[],
                 $9::text[], $10::jsonb[])
       WITH ORDINALITY AS r(actor, action, surface, team_id, channel_id, incident_id, outcome, reason, request_id,
                            details, ord)
     ORDER BY r.ord`,
    [
      col((e) => e.actor),
      col((e) => e.action),
      col((e) => e.surface),
      col((e) => e.teamId ?? null),
      col((e) => e.channelId ?? null),
      col((e) => e.incidentId ?? null),
      col((e) => e.outcome),
      col((e) => e.reason ?? null),
      col((e) => e.requestId ?? null),
      col((e) => JSON.stringify(e.details ?? {})),
    ],
  );
}

/** Appends one row (see insertAudits). */
export function insertAudit(q: Queryable, e: AuditEntry): Promise<void> {
  return insertAudits(q, [e]);
}

/**
 * Rows at or after `since`, after the row `afterId` (the cursor), up to the row `throughId` when given (see
 * settledAuditId), oldest first, at most `limit`.
 *
 * The scan starts past the last row stamped a minute or more before `since` (one step back along the `(at, id)`
 * index): ids and times go up together, give or take the moment between a row's id and its stamp, so no row at or
 * after `since` lies before it. Without that start, Postgres could walk the ids from the first row of the table and
 * throw away every older row on the way (a year of audit for `since=1h`).
 */
export async function listAudit(
  q: Queryable,
  opts: { since: Date; afterId: number; limit: number; throughId?: number },
): Promise<AuditRow[]> {
  const { rows } = await q.query<Raw>(
    `SELECT * FROM audit_log
      WHERE at >= $1
        AND id > GREATEST($2::bigint, (SELECT id FROM audit_log WHERE at < $1::timestamptz - interval '1 minute'
                                        ORDER BY at DESC, id DESC LIMIT 1))
        AND ($4::bigint IS NULL OR id <= $4::bigint)
      ORDER BY id LIMIT $3`,
    [opts.since, opts.afterId, opts.limit, opts.throughId ?? null],
  );
  return rows.map(toRow);
}

/** Inserts into audit_log still in flight, as their transactions (other sessions holding the table's insert lock). */
async function auditWriters(q: Queryable, among?: readonly string[]): Promise<string[]> {
  const { rows } = await q.query<{ vxid: string }>(
    `SELECT DISTINCT virtualtransaction AS vxid FROM pg_locks
      WHERE locktype = 'relation' AND relation = 'audit_log'::regclass AND mode = 'RowExclusiveLock' AND granted
        AND pid IS DISTINCT FROM pg_backend_pid()
        AND ($1::text[] IS NULL OR virtualtransaction = ANY($1::text[]))`,
    [among ?? null],
  );
  return rows.map((r) => r.vxid);
}

/** The audit is still being written after waiting for it: the export asks to be tried again. */
export class AuditBusyError extends Error {
  constructor(waitedMs: number) {
    super(`audit rows were still being written after ${waitedMs} ms; try again`);
    this.name = 'AuditBusyError';
  }
}

/**
 * The highest id below which no audit row can still appear: every insert that took an id up to it has ended
 * (committed or not). Ids are taken as rows are inserted but rows become visible as their transactions commit, so
 * from two replicas writing at once a row with a lower id can appear after one with a higher id was read; a reader
 * paging by id through `listAudit` up to this bound never passes over such a row.
 *
 * The last id the sequence handed out is read first; every insert that took an id up to it held the table's insert
 * lock then, so waiting for those still holding it (read from pg_locks after) is enough. New inserts are not waited
 * for, nor blocked: they take higher ids. Throws AuditBusyError when they are still in flight after `waitMs`.
 */
export async function settledAuditId(q: Queryable, waitMs = 5000, pollMs = 10): Promise<number> {
  const { rows } = await q.query<{ taken: string | null }>(
    `SELECT pg_sequence_last_value(pg_get_serial_sequence('audit_log', 'id')::regclass) AS taken`,
  );
  const taken = Number(rows[0]?.taken ?? 0);
  const started = Date.now();
  let writing = await auditWriters(q);
  while (writing.length > 0) {
    if (Date.now() - started >= waitMs) throw new AuditBusyError(waitMs);
    await new Promise((r) => setTimeout(r, pollMs));
    writing = await auditWriters(q, writing);
  }
  return taken;
}

/** An incident's rows, the newest `limit` of them, oldest first. */
export async function listIncidentAudit(q: Queryable, incidentId: number, limit: number): Promise<AuditRow[]> {
  const { rows } = await q.query<Raw>(
    `SELECT * FROM (SELECT * FROM audit_log WHERE incident_id = $1 ORDER BY id DESC LIMIT $2) newest ORDER BY id`,
    [incidentId, limit],
  );
  return rows.map(toRow);
}
