import { type Queryable, toDate, toDateOrNull } from './db.js';
import { visibleTo } from './incident-members.repo.js';

export const MAINTENANCE_STAGES = ['planned', 'noticed', 'open', 'closed'] as const;
export type MaintenanceStage = (typeof MAINTENANCE_STAGES)[number];

/** One maintenance window: an occurrence of a scheduled one, or one opened by hand. */
export interface MaintenanceWindowRow {
  id: number;
  windowKey: string | null;
  title: string;
  playbookId: string | null;
  channelId: string | null;
  noticeAt: Date | null;
  startsAt: Date;
  endsAt: Date | null;
  stage: MaintenanceStage;
  scheduled: boolean;
  openedBy: string | null;
  closedBy: string | null;
}

interface Row {
  id: number;
  window_key: string | null;
  title: string;
  playbook_id: string | null;
  channel_id: string | null;
  notice_at: Date | string | null;
  starts_at: Date | string;
  ends_at: Date | string | null;
  stage: string;
  scheduled: boolean;
  opened_by: string | null;
  closed_by: string | null;
}

const toWindow = (r: Row): MaintenanceWindowRow => ({
  id: Number(r.id),
  windowKey: r.window_key,
  title: r.title,
  playbookId: r.playbook_id,
  channelId: r.channel_id,
  noticeAt: toDateOrNull(r.notice_at),
  startsAt: toDate(r.starts_at),
  endsAt: toDateOrNull(r.ends_at),
  stage: r.stage as MaintenanceStage,
  scheduled: r.scheduled,
  openedBy: r.opened_by,
  closedBy: r.closed_by,
});

export interface NewWindow {
  windowKey: string | null;
  title: string;
  playbookId: string | null;
  channelId: string | null;
  noticeAt: Date | null;
  startsAt: Date;
  endsAt: Date | null;
  scheduled: boolean;
  openedBy?: string | null;
  /** Held from the start by whoever makes it, this long (as a claim holds it): nobody else acts on it meanwhile. */
  leaseMs?: number;
}

/**
 * Plans an occurrence of a scheduled window: one row per (window, start), whichever replica comes first (the others'
 * inserts do nothing). Returns whether this call made it.
 */
export async function planWindow(q: Queryable, w: NewWindow): Promise<MaintenanceWindowRow | null> {
  const { rows } = await q.query<Row>(
    `INSERT INTO maintenance_windows (window_key, title, playbook_id, channel_id, notice_at, starts_at, ends_at,
       scheduled, opened_by, lease_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
       CASE WHEN $10::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $10::float8 / 1000.0) END)
     ON CONFLICT (window_key, starts_at) WHERE scheduled DO NOTHING
     RETURNING *`,
    [
      w.windowKey,
      w.title,
      w.playbookId,
      w.channelId,
      w.noticeAt,
      w.startsAt,
      w.endsAt,
      w.scheduled,
      w.openedBy ?? null,
      w.leaseMs ?? null,
    ],
  );
  return rows[0] ? toWindow(rows[0]) : null;
}

/**
 * Closes, unsaid, the planned occurrence of a scheduled window that a larger one takes in (planned before the bot
 * knew to): nothing of it is posted, the larger window says it. A notice already said is left to run its course.
 */
export async function dropPlanned(q: Queryable, windowKey: string, startsAt: Date): Promise<void> {
  await q.query(
    `UPDATE maintenance_windows SET stage = 'closed'
     WHERE scheduled AND window_key = $1 AND starts_at = $2 AND stage = 'planned'`,
    [windowKey, startsAt],
  );
}

/** The windows open at `at` (started, not ended), earliest first. */
export async function openWindows(q: Queryable, at: Date): Promise<MaintenanceWindowRow[]> {
  const { rows } = await q.query<Row>(
    `SELECT * FROM maintenance_windows
     WHERE stage <> 'closed' AND starts_at <= $1 AND (ends_at IS NULL OR ends_at > $1)
     ORDER BY starts_at, id`,
    [at],
  );
  return rows.map(toWindow);
}

/**
 * Whether a window held `at` (started, not yet ended then), however long ago: a window the sweep has closed since
 * counts for the time it was open (its start and end are kept), so a delivery received during a window and judged
 * late (after a database outage, a backlog) is judged by when it came. A planned occurrence dropped for a larger
 * window lies inside that window, so counting it changes nothing.
 */
export async function windowHeldAt(q: Queryable, at: Date): Promise<boolean> {
  // Over, but its end being said (claimed while open: by the request that ended it, or by the sweep): it holds on until
  // the channel has read that it ended, so what it held back comes after that, not before.
  const { rows } = await q.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM maintenance_windows WHERE starts_at <= $1
       AND (ends_at IS NULL OR ends_at > $1 OR (stage = 'open' AND lease_until > now()))) AS held`,
    [at],
  );
  return rows[0]?.held === true;
}

/** Windows opened by hand and not closed, and scheduled ones not yet over: what `schedule` shows besides the plan. */
export async function pendingWindows(q: Queryable, now: Date): Promise<MaintenanceWindowRow[]> {
  const { rows } = await q.query<Row>(
    `SELECT * FROM maintenance_windows WHERE stage <> 'closed' AND (ends_at IS NULL OR ends_at > $1)
     ORDER BY starts_at, id`,
    [now],
  );
  return rows.map(toWindow);
}

/**
 * Ends the windows open now (by hand). Those whose start was said are held for `leaseMs` by the request that ends them,
 * which says their end (the sweep takes one over once that lease runs out); alerts they held back wait for it (see
 * windowHeldAt). The others are left to the sweep.
 */
export async function endOpenWindows(
  q: Queryable,
  at: Date,
  by: string,
  leaseMs: number,
): Promise<MaintenanceWindowRow[]> {
  const { rows } = await q.query<Row>(
    `UPDATE maintenance_windows SET ends_at = $1, closed_by = $2,
       lease_until = CASE WHEN stage = 'open' THEN now() + make_interval(secs => $3 / 1000.0) ELSE lease_until END
     WHERE stage <> 'closed' AND starts_at <= $1 AND (ends_at IS NULL OR ends_at > $1)
     RETURNING *`,
    [at, by, leaseMs],
  );
  return rows.map(toWindow);
}

const WINDOW_DUE = `stage <> 'closed' AND (lease_until IS NULL OR lease_until < now())
  AND ((stage = 'planned' AND notice_at <= now())
    OR (stage IN ('planned', 'noticed') AND starts_at <= now())
    OR (stage = 'open' AND ends_at <= now()))`;

/** The timer loop's look before its sweep (see `sweepWhen`): a window has its notice, start or end due. */
export const WINDOWS_DUE = `EXISTS (SELECT 1 FROM maintenance_windows WHERE ${WINDOW_DUE})`;

/**
 * Claims windows with something due (their notice, start or end), for `leaseMs`: skipped by other replicas meanwhile
 * (SKIP LOCKED, then the lease), so each is said by one.
 */
export async function claimDueWindows(q: Queryable, limit: number, leaseMs: number): Promise<MaintenanceWindowRow[]> {
  const { rows } = await q.query<Row>(
    `UPDATE maintenance_windows SET lease_until = now() + make_interval(secs => $2 / 1000.0)
     WHERE id IN (
       SELECT id FROM maintenance_windows WHERE ${WINDOW_DUE}
       ORDER BY starts_at FOR UPDATE SKIP LOCKED LIMIT $1)
     RETURNING *`,
    [limit, leaseMs],
  );
  return rows.map(toWindow);
}

/** Moves a claimed window on to `to` (from `from`, as it was claimed) and lets go of it. */
export async function advanceWindow(
  q: Queryable,
  id: number,
  from: MaintenanceStage,
  to: MaintenanceStage,
): Promise<boolean> {
  const { rows } = await q.query<{ id: number }>(
    `UPDATE maintenance_windows SET stage = $3, lease_until = NULL WHERE id = $1 AND stage = $2 RETURNING id`,
    [id, from, to],
  );
  return rows.length > 0;
}

/** An incident declared while a window was open, as the window's end lists it. */
export interface DeclaredDuring {
  number: number;
  severity: number;
  status: string;
  channelId: string | null;
  private: boolean;
  /** Whether the person asking may see it (a public one always; a private one if part of it). */
  visible: boolean;
}

/**
 * The incidents declared while a window was open (from `from` to `to`, and marked so on their card), by number; a
 * private one `visible` only to a person part of it (`userId`; null: nobody).
 */
export async function incidentsDeclaredDuring(
  q: Queryable,
  from: Date,
  to: Date,
  userId: string | null,
): Promise<DeclaredDuring[]> {
  const { rows } = await q.query<{
    number: number;
    severity: number;
    status: string;
    channel_id: string | null;
    private: boolean;
    visible: boolean;
  }>(
    `SELECT i.number, i.severity, i.status, i.channel_id, i.private, ${visibleTo('$3')} AS visible
     FROM incidents i
     WHERE NOT i.declaring AND i.maintenance IS NOT NULL AND i.created_at >= $1 AND i.created_at <= $2
     ORDER BY i.number`,
    [from, to, userId],
  );
  return rows.map((r) => ({
    number: Number(r.number),
    severity: Number(r.severity),
    status: r.status,
    channelId: r.channel_id,
    private: r.private,
    visible: r.visible,
  }));
}
