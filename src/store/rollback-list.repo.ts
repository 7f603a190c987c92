import type { HostRef } from '../incidents/playbook-host.js';
import type { ListOutOfDate, ShownDeployments } from '../incidents/ports.js';
import { jsonOf, type Queryable } from './db.js';
import { ownerColumn, ownerOf, ownerValues } from './owner.js';

/** A list of deployments posted with Roll back buttons (migration 062), and what made it out of date, if anything. */
export interface RollbackList {
  id: number;
  host: HostRef;
  channelId: string;
  threadTs: string | null;
  ts: string;
  shown: ShownDeployments;
  postedAt: Date;
  outOfDate: ListOutOfDate | null;
}

interface Row {
  id: number;
  incident_id: number | null;
  run_id: number | null;
  channel_id: string;
  thread_ts: string | null;
  ts: string;
  shown: unknown;
  posted_at: Date | string;
  out_of_date: unknown;
}

const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

/** The stored lists' JSON with its dates (kept as text in jsonb) as dates again. */
function shownOf(v: unknown): ShownDeployments {
  const s = jsonOf<ShownDeployments>(v as string | ShownDeployments) as ShownDeployments;
  return {
    ...s,
    deployments: s.deployments.map((d) => (d.createdAt ? { ...d, createdAt: date(d.createdAt) } : d)),
  };
}

function outOfDateOf(v: unknown): ListOutOfDate | null {
  const o = v === null || v === undefined ? null : jsonOf<ListOutOfDate>(v as string | ListOutOfDate);
  if (!o) return null;
  return o.kind === 'rollback'
    ? { kind: 'rollback', past: { ...o.past, at: date(o.past.at) } }
    : { ...o, at: date(o.at) };
}

const toList = (r: Row): RollbackList => ({
  id: Number(r.id),
  host: ownerOf(r),
  channelId: r.channel_id,
  threadTs: r.thread_ts,
  ts: r.ts,
  shown: shownOf(r.shown),
  postedAt: date(r.posted_at),
  outOfDate: outOfDateOf(r.out_of_date),
});

export async function insertRollbackList(
  q: Queryable,
  l: { host: HostRef; channelId: string; threadTs: string | null; ts: string; shown: ShownDeployments },
): Promise<void> {
  await q.query(
    `INSERT INTO rollback_lists (incident_id, run_id, channel_id, thread_ts, ts, shown)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (channel_id, ts) DO NOTHING`,
    [...ownerValues(l.host), l.channelId, l.threadTs, l.ts, JSON.stringify(l.shown)],
  );
}

/** How long after marking a list out of date the sweep redraws it, unless the marking process redrew it first. */
export const REDRAW_GRACE_S = 30;

/** The timer loop's look before its sweep (see `sweepWhen`): a list of deployments is due to be redrawn. */
const REDRAW_DUE = 'redraw_due_at <= now()';
export const LISTS_TO_REDRAW = `EXISTS (SELECT 1 FROM rollback_lists WHERE ${REDRAW_DUE})`;

/**
 * Marks out of date, for `why`, every list still showing its buttons (posted before now) of the deployments the host
 * changed: the host's own, and every open incident's (the deployment history is the service's, not one incident's: a
 * rollback from one incident makes another's list as wrong). Each is due to be redrawn by the sweep unless redrawn
 * first; returns them. A resolved incident's lists are left (a press on one is refused: it is resolved).
 */
export async function markListsOutOfDate(q: Queryable, host: HostRef, why: ListOutOfDate): Promise<RollbackList[]> {
  const { rows } = await q.query<Row>(
    `UPDATE rollback_lists SET out_of_date = $2, redraw_due_at = now() + make_interval(secs => ${REDRAW_GRACE_S})
      WHERE out_of_date IS NULL AND posted_at <= now()
        AND (${ownerColumn(host)} = $1
             OR incident_id IN (SELECT id FROM incidents WHERE status <> 'resolved'))
      RETURNING *`,
    [host.id, JSON.stringify(why)],
  );
  return rows.map(toList);
}

/** The list posted as this message, if it was recorded. */
export async function getRollbackList(q: Queryable, channelId: string, ts: string): Promise<RollbackList | null> {
  const { rows } = await q.query<Row>('SELECT * FROM rollback_lists WHERE channel_id = $1 AND ts = $2', [
    channelId,
    ts,
  ]);
  return rows[0] ? toList(rows[0]) : null;
}

/** The host's newest list. */
export async function latestRollbackList(q: Queryable, host: HostRef): Promise<RollbackList | null> {
  const { rows } = await q.query<Row>(
    `SELECT * FROM rollback_lists WHERE ${ownerColumn(host)} = $1 ORDER BY posted_at DESC, id DESC LIMIT 1`,
    [host.id],
  );
  return rows[0] ? toList(rows[0]) : null;
}

export async function getRollbackListById(q: Queryable, id: number): Promise<RollbackList | null> {
  const { rows } = await q.query<Row>('SELECT * FROM rollback_lists WHERE id = $1', [id]);
  return rows[0] ? toList(rows[0]) : null;
}

/**
 * Lists due to be redrawn out of date: claimed by one process at a time (SKIP LOCKED), each leased for `leaseMs`, its
 * attempt counted. Returns their ids and attempts so far, this one included.
 */
export async function claimListsToRedraw(
  q: Queryable,
  limit: number,
  leaseMs: number,
): Promise<{ id: number; attempts: number }[]> {
  const { rows } = await q.query<{ id: number; redraw_attempts: number }>(
    `UPDATE rollback_lists SET redraw_due_at = now() + make_interval(secs => $2::double precision / 1000),
            redraw_attempts = redraw_attempts + 1
      WHERE id IN (SELECT id FROM rollback_lists WHERE ${REDRAW_DUE}
                    ORDER BY redraw_due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING id, redraw_attempts`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({ id: Number(r.id), attempts: Number(r.redraw_attempts) }));
}

/** A list shown out of date (or given up on): the sweep leaves it. */
export async function listRedrawn(q: Queryable, id: number): Promise<void> {
  await q.query('UPDATE rollback_lists SET redraw_due_at = NULL WHERE id = $1', [id]);
}

/** Redrawn again no sooner than `at` (Slack refused the update). */
export async function redrawListAgainAt(q: Queryable, id: number, at: Date): Promise<void> {
  await q.query('UPDATE rollback_lists SET redraw_due_at = $2 WHERE id = $1 AND redraw_due_at IS NOT NULL', [id, at]);
}
