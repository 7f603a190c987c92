import type { Severity } from '../incidents/severity.js';
import type {
  DeclareSource,
  Incident,
  IncidentEventKind,
  IncidentPhase,
  IncidentStatus,
  RecoveryTime,
} from '../incidents/types.js';
import { type Queryable, type StatementPart, toDate, toDateOrNull } from './db.js';
import { visibleTo } from './incident-members.repo.js';

export interface IncidentRow {
  id: number;
  team_id: string;
  number: number;
  title: string;
  severity: number;
  status: string;
  phase: string;
  reporter_id: string;
  commander_id: string | null;
  channel_id: string | null;
  channel_name: string | null;
  card_ts: string | null;
  created_at: Date | string;
  acknowledged_at: Date | string | null;
  acknowledged_by: string | null;
  mitigated_at: Date | string | null;
  resolved_at: Date | string | null;
  resolved_by: string | null;
  resolution_summary: string | null;
  reopened_at: Date | string | null;
  reopened_by: string | null;
  severity_changed_at?: Date | string | null;
  customer_impact: boolean;
  data_loss_risk: boolean;
  customer_impact_note?: string | null;
  data_loss_note?: string | null;
  affected: string | null;
  current_impact: string | null;
  current_status: string | null;
  mitigation_steps: string | null;
  next_update_at: Date | string | null;
  public_next_update_at?: Date | string | null;
  last_update_at: Date | string | null;
  private: boolean;
  maintenance: string | null;
  source: string;
  recovery?: RecoveryTime | null;
  declaring?: boolean;
}

export function toIncident(r: IncidentRow): Incident {
  return {
    id: Number(r.id),
    teamId: r.team_id,
    number: Number(r.number),
    title: r.title,
    severity: Number(r.severity) as Severity,
    status: r.status as IncidentStatus,
    phase: r.phase as IncidentPhase,
    reporterId: r.reporter_id,
    commanderId: r.commander_id,
    channelId: r.channel_id,
    channelName: r.channel_name,
    cardTs: r.card_ts,
    createdAt: toDate(r.created_at),
    acknowledgedAt: toDateOrNull(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    mitigatedAt: toDateOrNull(r.mitigated_at),
    resolvedAt: toDateOrNull(r.resolved_at),
    resolvedBy: r.resolved_by,
    resolutionSummary: r.resolution_summary,
    reopenedAt: toDateOrNull(r.reopened_at),
    reopenedBy: r.reopened_by,
    severityChangedAt: toDateOrNull(r.severity_changed_at ?? null),
    customerImpact: r.customer_impact,
    dataLossRisk: r.data_loss_risk,
    customerImpactNote: r.customer_impact_note ?? null,
    dataLossNote: r.data_loss_note ?? null,
    affected: r.affected,
    currentImpact: r.current_impact,
    currentStatus: r.current_status,
    mitigationSteps: r.mitigation_steps,
    nextUpdateAt: toDateOrNull(r.next_update_at),
    publicNextUpdateAt: toDateOrNull(r.public_next_update_at ?? null),
    lastUpdateAt: toDateOrNull(r.last_update_at),
    private: r.private,
    maintenance: r.maintenance,
    source: r.source as DeclareSource,
    recovery: recoveryOf(r.recovery),
  };
}

/** The stored RTO, when it has the shape written (a row from before the column, or a hand edit, reads as none). */
function recoveryOf(v: unknown): RecoveryTime | null {
  const r = v as Partial<RecoveryTime> | null | undefined;
  return r && typeof r.playbook === 'string' && typeof r.minMs === 'number' && typeof r.maxMs === 'number'
    ? { playbook: r.playbook, minMs: r.minMs, maxMs: r.maxMs }
    : null;
}

/** Takes the next per-workspace incident number; the counter row stays locked until the transaction ends. */
export async function nextIncidentNumber(q: Queryable, teamId: string): Promise<number> {
  const { rows } = await q.query<{ last_number: number }>(
    `INSERT INTO incident_counters (team_id, last_number) VALUES ($1, 1)
     ON CONFLICT (team_id) DO UPDATE SET last_number = incident_counters.last_number + 1
     RETURNING last_number`,
    [teamId],
  );
  return Number(rows[0]!.last_number);
}

/** Gives an incident inserted without a number the team's next one, in one statement; returns it. */
export async function numberIncident(q: Queryable, id: number, teamId: string): Promise<number> {
  const { rows } = await q.query<{ number: number }>(
    `WITH n AS (
       INSERT INTO incident_counters (team_id, last_number) VALUES ($2, 1)
       ON CONFLICT (team_id) DO UPDATE SET last_number = incident_counters.last_number + 1
       RETURNING last_number
     )
     UPDATE incidents SET number = n.last_number FROM n WHERE incidents.id = $1 RETURNING incidents.number`,
    [id, teamId],
  );
  return Number(rows[0]!.number);
}

export interface NewIncident {
  teamId: string;
  /**
   * Its number; none: a stand-in unique among transactions in progress (minus the backend's pid) until numberIncident
   * gives it one, last in the transaction, so that the team's counter is locked only while that transaction ends.
   */
  number?: number;
  title: string;
  severity: Severity;
  reporterId: string;
  /** A private (security) incident; default public. */
  private?: boolean;
  /** The maintenance window open as it is declared (its title). */
  maintenance?: string | null;
  /** Who opens it: a person (default) or the bot for an alert. */
  source?: DeclareSource;
}

/**
 * The INSERT of a new incident (parameters $1 to $9, `newIncidentParams`; the reporter is $5), for insertIncident and
 * for statements that write more with it (insertDeclaring).
 */
export const INSERT_INCIDENT = `INSERT INTO incidents (team_id, number, title, severity, status, phase, reporter_id, declaring, private, maintenance, source)
     VALUES ($1, coalesce($2::int, -pg_backend_pid()), $3, $4, 'investigating', 'detection', $5, $6, $7, $8, $9)
     RETURNING *`;

export function newIncidentParams(n: NewIncident, declaring: boolean): unknown[] {
  return [
    n.teamId,
    n.number ?? null,
    n.title,
    n.severity,
    n.reporterId,
    declaring,
    n.private ?? false,
    n.maintenance ?? null,
    n.source ?? 'person',
  ];
}

/** Inserts an open incident; `declaring` keeps it out of sight until markDeclaredHeld makes it whole. */
export async function insertIncident(
  q: Queryable,
  n: NewIncident,
  opts: { declaring?: boolean } = {},
): Promise<Incident> {
  const { rows } = await q.query<IncidentRow>(INSERT_INCIDENT, newIncidentParams(n, opts.declaring ?? false));
  return toIncident(rows[0]!);
}

/** Records the channel of an incident still being declared (it stays out of sight). */
export async function recordDeclaringChannel(
  q: Queryable,
  id: number,
  channel: { channelId: string; channelName: string },
): Promise<void> {
  await q.query('UPDATE incidents SET channel_id = $2, channel_name = $3 WHERE id = $1 AND declaring', [
    id,
    channel.channelId,
    channel.channelName,
  ]);
}

/** Whether an incident is still being declared (not whole yet); null when there is no such incident. */
export async function isDeclaring(q: Queryable, id: number): Promise<boolean | null> {
  const { rows } = await q.query<{ declaring: boolean }>('SELECT declaring FROM incidents WHERE id = $1', [id]);
  return rows[0] ? rows[0].declaring : null;
}

/** An incident's status (open, mitigated, resolved...); null when there is no such incident. */
export async function statusOfIncident(q: Queryable, id: number): Promise<IncidentStatus | null> {
  const { rows } = await q.query<{ status: IncidentStatus }>('SELECT status FROM incidents WHERE id = $1', [id]);
  return rows[0]?.status ?? null;
}

export async function getIncident(
  q: Queryable,
  id: number,
  /** `forShare`: locked against changes (which take it FOR UPDATE) for the transaction, as a reader that decides by it. */
  opts: { forUpdate?: boolean; forShare?: boolean } = {},
): Promise<Incident | null> {
  const lock = opts.forUpdate ? ' FOR UPDATE' : opts.forShare ? ' FOR SHARE' : '';
  const { rows } = await q.query<IncidentRow>(`SELECT * FROM incidents WHERE id = $1${lock}`, [id]);
  return rows[0] ? toIncident(rows[0]) : null;
}

/**
 * Whether `id` was ever given to an incident: at most the last value of the incidents' id sequence. An id above it
 * never named one; one at or below it did, unless a declaration that failed at once took it and gave nothing back.
 * The sequence is read alone (pg_sequence_last_value: null before its first value), not found among every schema's
 * in pg_sequences, whose names a schema dropped meanwhile by someone else made fail to resolve.
 */
export async function incidentIdIssued(q: Queryable, id: number): Promise<boolean> {
  const { rows } = await q.query<{ issued: boolean }>(
    `SELECT $1::bigint <= COALESCE(pg_sequence_last_value(pg_get_serial_sequence('incidents', 'id')::regclass), 0)
       AS issued`,
    [id],
  );
  return rows[0]?.issued === true;
}

export async function getIncidents(q: Queryable, ids: number[]): Promise<Map<number, Incident>> {
  if (ids.length === 0) return new Map();
  const { rows } = await q.query<IncidentRow>('SELECT * FROM incidents WHERE id = ANY($1::int[])', [ids]);
  return new Map(rows.map((r) => [Number(r.id), toIncident(r)]));
}

export async function getIncidentByChannel(q: Queryable, channelId: string): Promise<Incident | null> {
  const { rows } = await q.query<IncidentRow>('SELECT * FROM incidents WHERE channel_id = $1 AND NOT declaring', [
    channelId,
  ]);
  return rows[0] ? toIncident(rows[0]) : null;
}

/** The first open incidents, and how many are open in all. */
export interface OpenIncidents {
  incidents: Incident[];
  total: number;
}

/**
 * Open incidents that are whole (declared, with their channel) and that `userId` may see (every public one, a
 * private one only to its people: see visibleTo; without a person, public ones only), most severe first, then newest: the first `limit`, and the count
 * of all of them (taken before the limit, in the same query).
 */
export async function listOpenIncidents(
  q: Queryable,
  teamId: string,
  limit = 50,
  /** Who is asking; null: nobody in particular, who sees public incidents only. */
  userId: string | null = null,
): Promise<OpenIncidents> {
  const { rows } = await q.query<IncidentRow & { open_total: string | number }>(
    `SELECT i.*, count(*) OVER () AS open_total FROM incidents i
     WHERE i.team_id = $1 AND i.status <> 'resolved' AND i.channel_id IS NOT NULL AND NOT i.declaring
       AND ${visibleTo('$2')}
     ORDER BY i.severity ASC, i.created_at DESC LIMIT $3`,
    [teamId, userId, limit],
  );
  return { incidents: rows.map(toIncident), total: Number(rows[0]?.open_total ?? 0) };
}

/**
 * One incident if it is open and whole (its channel made, not being declared) in `teamId` and `userId` may see it (a
 * private one only its people: see visibleTo); null otherwise. What a person picked from a list of them, checked again.
 */
export async function openIncidentFor(
  q: Queryable,
  incidentId: number,
  teamId: string,
  userId: string,
): Promise<Incident | null> {
  const { rows } = await q.query<IncidentRow>(
    `SELECT i.* FROM incidents i
     WHERE i.id = $1 AND i.team_id = $2 AND i.status <> 'resolved' AND i.channel_id IS NOT NULL AND NOT i.declaring
       AND ${visibleTo('$3')}`,
    [incidentId, teamId, userId],
  );
  return rows[0] ? toIncident(rows[0]) : null;
}

/** Open incidents of every workspace, whole ones only, most severe first (what an incoming on-call inherits). */
export async function listOpenIncidentsEverywhere(q: Queryable, limit = 50): Promise<OpenIncidents> {
  const { rows } = await q.query<IncidentRow & { open_total: string | number }>(
    `SELECT *, count(*) OVER () AS open_total FROM incidents
     WHERE status <> 'resolved' AND channel_id IS NOT NULL AND NOT declaring
     ORDER BY severity ASC, created_at DESC LIMIT $1`,
    [limit],
  );
  return { incidents: rows.map(toIncident), total: Number(rows[0]?.open_total ?? 0) };
}

/** Whether an incident is private (a null id, an incident not declared yet, is not). */
export async function isPrivateIncident(q: Queryable, id: number | null): Promise<boolean> {
  if (id === null) return false;
  const { rows } = await q.query<{ private: boolean }>('SELECT private FROM incidents WHERE id = $1', [id]);
  return rows[0]?.private === true;
}

/** An open incident the same person declared with the same title in the last `withinSeconds`. */
export async function findRecentSameDeclaration(
  q: Queryable,
  teamId: string,
  reporterId: string,
  title: string,
  withinSeconds: number,
): Promise<Incident | null> {
  const { rows } = await q.query<IncidentRow>(
    `SELECT * FROM incidents
     WHERE team_id = $1 AND reporter_id = $2 AND lower(title) = lower($3) AND status <> 'resolved'
       AND created_at > now() - make_interval(secs => $4)
       AND (NOT declaring OR created_at > now() - interval '30 seconds')
     ORDER BY created_at DESC LIMIT 1`,
    [teamId, reporterId, title, withinSeconds],
  );
  return rows[0] ? toIncident(rows[0]) : null;
}

const COLUMNS = {
  title: 'title',
  severity: 'severity',
  status: 'status',
  phase: 'phase',
  commanderId: 'commander_id',
  channelId: 'channel_id',
  channelName: 'channel_name',
  cardTs: 'card_ts',
  acknowledgedAt: 'acknowledged_at',
  acknowledgedBy: 'acknowledged_by',
  mitigatedAt: 'mitigated_at',
  resolvedAt: 'resolved_at',
  resolvedBy: 'resolved_by',
  resolutionSummary: 'resolution_summary',
  reopenedAt: 'reopened_at',
  reopenedBy: 'reopened_by',
  severityChangedAt: 'severity_changed_at',
  customerImpact: 'customer_impact',
  dataLossRisk: 'data_loss_risk',
  customerImpactNote: 'customer_impact_note',
  dataLossNote: 'data_loss_note',
  affected: 'affected',
  currentImpact: 'current_impact',
  currentStatus: 'current_status',
  mitigationSteps: 'mitigation_steps',
  nextUpdateAt: 'next_update_at',
  publicNextUpdateAt: 'public_next_update_at',
  lastUpdateAt: 'last_update_at',
  recovery: 'recovery',
} as const satisfies Partial<Record<keyof Incident, string>>;

export type IncidentPatch = Partial<Pick<Incident, keyof typeof COLUMNS>>;

export async function updateIncident(q: Queryable, id: number, patch: IncidentPatch): Promise<Incident> {
  return (await changeIncident(q, id, patch)).incident;
}

/**
 * The row's version: `xmin`, the transaction that wrote this version of the row. Every update of the row writes a new
 * version, so another value means another transaction changed the row since; compared as text.
 */
const VERSION = 'xmin::text AS row_version';

/** An incident and the version of its row it was read at (see `incidentIfChanged`). */
export interface VersionedIncident {
  incident: Incident;
  version: string;
}

/**
 * Starts a change: claims the request key (when given) and locks the incident's row (FOR UPDATE), in one statement.
 * `claimed` false: the key was claimed before (a Slack retry or a double submit), and nothing was locked; `incident`
 * null: there is no such incident.
 */
export async function lockIncidentForChange(
  q: Queryable,
  id: number,
  requestKey?: string,
): Promise<{ claimed: boolean; incident: Incident | null }> {
  if (requestKey === undefined) return { claimed: true, incident: await getIncident(q, id, { forUpdate: true }) };
  const { rows } = await q.query<Omit<IncidentRow, 'id'> & { id: number | null; claimed: boolean }>(
    `WITH k AS (INSERT INTO request_keys (key) VALUES ($2) ON CONFLICT (key) DO NOTHING RETURNING key),
          i AS (SELECT * FROM incidents WHERE id = $1 AND EXISTS (SELECT 1 FROM k) FOR UPDATE)
     SELECT EXISTS (SELECT 1 FROM k) AS claimed, i.* FROM (VALUES (1)) AS one (x) LEFT JOIN i ON true`,
    [id, requestKey],
  );
  const r = rows[0]!;
  return { claimed: r.claimed, incident: r.id === null ? null : toIncident(r as IncidentRow) };
}

/** An event a change writes on the incident's timeline. */
export interface ChangeEvent {
  kind: IncidentEventKind;
  actorId: string | null;
  details?: Record<string, unknown>;
}

/**
 * Writes `patch` and its timeline `events` (in order) in one statement; returns the incident as written and the
 * version of its row. `more`: another repository's part of the same statement (e.g. the incident's timers), given the
 * number of its first parameter (the incident's id is `$1`); what it selects is returned as `more`.
 */
export async function changeIncident(
  q: Queryable,
  id: number,
  patch: IncidentPatch,
  events: readonly ChangeEvent[] = [],
  more?: (first: number) => StatementPart,
): Promise<VersionedIncident & { more?: unknown }> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const [key, value] of Object.entries(patch)) {
    const col = COLUMNS[key as keyof typeof COLUMNS];
    if (!col || value === undefined) continue;
    params.push(value);
    sets.push(`${col} = $${params.length}`);
  }
  const n = params.length;
  params.push(
    events.map((e) => e.kind),
    events.map((e) => e.actorId),
    events.map((e) => JSON.stringify(e.details ?? {})),
  );
  const part = more?.(params.length + 1);
  if (part) params.push(...part.params);
  // Without a column to set, the row is read as it is (locked by the caller), and only the events are written.
  const row = sets.length
    ? `UPDATE incidents SET ${sets.join(', ')} WHERE id = $1 RETURNING *, ${VERSION}`
    : `SELECT *, ${VERSION} FROM incidents WHERE id = $1`;
  const { rows } = await q.query<IncidentRow & { row_version: string; more?: unknown }>(
    `WITH u AS (${row}),
          e AS (INSERT INTO incident_events (incident_id, kind, actor_id, details)
                SELECT u.id, ev.kind, ev.actor_id, ev.details
                FROM u, unnest($${n + 1}::text[], $${n + 2}::text[], $${n + 3}::jsonb[]) WITH ORDINALITY
                  AS ev (kind, actor_id, details, n)
                ORDER BY ev.n)${part ? `, ${part.with}` : ''}
     SELECT *${part ? `, ${part.select} AS more` : ''} FROM u`,
    params,
  );
  const r = rows[0];
  if (!r) throw new Error(`incident ${id} not found`);
  return { incident: toIncident(r), version: r.row_version, ...(part ? { more: r.more } : {}) };
}

/** The incident as `patch` leaves it (what `changeIncident` writes), without writing it. */
export function patched(incident: Incident, patch: IncidentPatch): Incident {
  const next = { ...incident };
  for (const [key, value] of Object.entries(patch)) {
    if (key in COLUMNS && value !== undefined) (next as Record<string, unknown>)[key] = value;
  }
  return next;
}

/** The incident with the version of its row. */
export async function getVersionedIncident(q: Queryable, id: number): Promise<VersionedIncident | null> {
  const { rows } = await q.query<IncidentRow & { row_version: string }>(
    `SELECT *, ${VERSION} FROM incidents WHERE id = $1`,
    [id],
  );
  return rows[0] ? { incident: toIncident(rows[0]), version: rows[0].row_version } : null;
}

/**
 * The incident, when its row is no longer at `version` (another transaction changed it since); null when it is (or
 * the incident is gone). One small statement when nothing changed: the row's data is sent only when it did.
 */
export async function incidentIfChanged(q: Queryable, id: number, version: string): Promise<VersionedIncident | null> {
  const { rows } = await q.query<IncidentRow & { row_version: string }>(
    `SELECT *, ${VERSION} FROM incidents WHERE id = $1 AND xmin::text <> $2`,
    [id, version],
  );
  return rows[0] ? { incident: toIncident(rows[0]), version: rows[0].row_version } : null;
}

/**
 * Makes a private incident public (the only change of `private` there is: a trigger refuses the other way). Null
 * when it was public already.
 */
export async function makeIncidentPublic(q: Queryable, id: number): Promise<Incident | null> {
  const { rows } = await q.query<IncidentRow>(
    'UPDATE incidents SET private = false WHERE id = $1 AND private RETURNING *',
    [id],
  );
  return rows[0] ? toIncident(rows[0]) : null;
}

export async function deleteIncident(q: Queryable, id: number): Promise<void> {
  await q.query('DELETE FROM incidents WHERE id = $1', [id]);
}

/**
 * Removes an incident whose declaration was given up, with its events and timers, and gives its number back when no
 * later one was taken, so the next declaration in the workspace gets it.
 */
export async function deleteAbandonedIncident(q: Queryable, incident: { id: number; teamId: string; number: number }) {
  await q.query('DELETE FROM incidents WHERE id = $1', [incident.id]);
  await q.query('UPDATE incident_counters SET last_number = last_number - 1 WHERE team_id = $1 AND last_number = $2', [
    incident.teamId,
    incident.number,
  ]);
}
