import type { ActionItem, ActionItemWithIncident, NewActionItem } from '../incidents/action-items.js';
import type { Severity } from '../incidents/severity.js';
import type { IncidentStatus } from '../incidents/types.js';
import { type Queryable, toDate, toDateOrNull } from './db.js';
import { visibleTo } from './incident-members.repo.js';

interface ItemRow {
  id: number;
  incident_id: number;
  team_id: string;
  text: string;
  owner_id: string | null;
  due_at: Date | string | null;
  source: ActionItem['source'];
  state: ActionItem['state'];
  created_by: string;
  created_at: Date | string;
  closed_by: string | null;
  closed_at: Date | string | null;
  reminded_at: Date | string | null;
}

interface ItemWithIncidentRow extends ItemRow {
  i_number: number;
  i_title: string;
  i_severity: number;
  i_status: string;
  i_channel_id: string | null;
}

function toItem(r: ItemRow): ActionItem {
  return {
    id: Number(r.id),
    incidentId: Number(r.incident_id),
    teamId: r.team_id,
    text: r.text,
    ownerId: r.owner_id,
    dueAt: toDateOrNull(r.due_at),
    source: r.source,
    state: r.state,
    createdBy: r.created_by,
    createdAt: toDate(r.created_at),
    closedBy: r.closed_by,
    closedAt: toDateOrNull(r.closed_at),
    remindedAt: toDateOrNull(r.reminded_at),
  };
}

function toItemWithIncident(r: ItemWithIncidentRow): ActionItemWithIncident {
  return {
    item: toItem(r),
    incident: {
      id: Number(r.incident_id),
      number: Number(r.i_number),
      title: r.i_title,
      severity: Number(r.i_severity) as Severity,
      status: r.i_status as IncidentStatus,
      channelId: r.i_channel_id,
    },
  };
}

/**
 * Adds items to an incident (the caller holds the incident's lock). An item whose text the incident already has (any
 * case) is skipped. An item with a due time gets its reminder timer, due then.
 */
export async function insertActionItems(
  q: Queryable,
  incident: { id: number; teamId: string },
  items: readonly NewActionItem[],
  createdBy: string,
): Promise<ActionItem[]> {
  const added: ActionItem[] = [];
  for (const it of items) {
    const { rows } = await q.query<ItemRow>(
      `INSERT INTO action_items (incident_id, team_id, text, owner_id, due_at, remind_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $5, $6)
       ON CONFLICT (incident_id, lower(text)) DO NOTHING RETURNING *`,
      [incident.id, incident.teamId, it.text, it.ownerId, it.dueAt, createdBy],
    );
    if (rows[0]) added.push(toItem(rows[0]));
  }
  return added;
}

/**
 * The incident's one "update the runbook" item (the caller holds the incident's lock): added, or its text changed
 * while it is open. Null when nothing changed, or another item already has that text.
 */
export async function upsertRunbookItem(
  q: Queryable,
  incident: { id: number; teamId: string },
  text: string,
  ownerId: string,
): Promise<{ item: ActionItem; added: boolean } | null> {
  const { rows: same } = await q.query<ItemRow>(
    'SELECT * FROM action_items WHERE incident_id = $1 AND lower(text) = lower($2)',
    [incident.id, text],
  );
  if (same[0]) return null;
  const { rows: existing } = await q.query<ItemRow>(
    `SELECT * FROM action_items WHERE incident_id = $1 AND source = 'runbook'`,
    [incident.id],
  );
  const current = existing[0];
  if (current) {
    if (current.state !== 'open') return null;
    const { rows } = await q.query<ItemRow>('UPDATE action_items SET text = $2 WHERE id = $1 RETURNING *', [
      current.id,
      text,
    ]);
    return { item: toItem(rows[0]!), added: false };
  }
  const { rows } = await q.query<ItemRow>(
    `INSERT INTO action_items (incident_id, team_id, text, owner_id, source, created_by)
     VALUES ($1, $2, $3, $4, 'runbook', $4) RETURNING *`,
    [incident.id, incident.teamId, text, ownerId],
  );
  return { item: toItem(rows[0]!), added: true };
}

export async function getActionItem(
  q: Queryable,
  id: number,
  opts: { forUpdate?: boolean } = {},
): Promise<ActionItem | null> {
  const { rows } = await q.query<ItemRow>(
    `SELECT * FROM action_items WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ? toItem(rows[0]) : null;
}

/** Marks an item done; returns it, or null when it was not open. */
export async function closeActionItem(q: Queryable, id: number, by: string): Promise<ActionItem | null> {
  const { rows } = await q.query<ItemRow>(
    `UPDATE action_items SET state = 'done', closed_by = $2, closed_at = now(), remind_locked_until = NULL
     WHERE id = $1 AND state = 'open' RETURNING *`,
    [id, by],
  );
  return rows[0] ? toItem(rows[0]) : null;
}

export async function countOpenItems(q: Queryable, incidentId: number): Promise<number> {
  const { rows } = await q.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM action_items WHERE incident_id = $1 AND state = 'open'`,
    [incidentId],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Every item of an incident, in the order they were added. */
export async function itemsOfIncident(q: Queryable, incidentId: number): Promise<ActionItem[]> {
  const { rows } = await q.query<ItemRow>('SELECT * FROM action_items WHERE incident_id = $1 ORDER BY id', [
    incidentId,
  ]);
  return rows.map(toItem);
}

const REMINDER_DUE = `state = 'open' AND reminded_at IS NULL AND remind_at <= clock_timestamp()
  AND (remind_locked_until IS NULL OR remind_locked_until < clock_timestamp())`;

/** The timer loop's look before its sweep (see `sweepWhen`): a reminder is due and nobody holds it. */
export const REMINDERS_DUE = `EXISTS (SELECT 1 FROM action_items WHERE ${REMINDER_DUE})`;

const WITH_INCIDENT = `SELECT a.*, i.number AS i_number, i.title AS i_title, i.severity AS i_severity,
       i.status AS i_status, i.channel_id AS i_channel_id
     FROM action_items a JOIN incidents i ON i.id = a.incident_id`;

/**
 * Open items across a workspace's incidents: those `userId` owns first, then the soonest due, then the oldest. With
 * `ownedOnly`, only those. Items of a private incident only for its people (visibleTo), as the incident lists do.
 * `total` counts them all.
 */
export async function openItems(
  q: Queryable,
  teamId: string,
  userId: string,
  limit: number,
  opts: { ownedOnly?: boolean } = {},
): Promise<{ items: ActionItemWithIncident[]; total: number }> {
  const where = `a.team_id = $1 AND a.state = 'open'${opts.ownedOnly ? ' AND a.owner_id = $2' : ''} AND ${visibleTo('$2')}`;
  const { rows } = await q.query<ItemWithIncidentRow>(
    `${WITH_INCIDENT}
     WHERE ${where}
     ORDER BY (a.owner_id IS NOT DISTINCT FROM $2) DESC, a.due_at ASC NULLS LAST, a.id ASC
     LIMIT $3`,
    [teamId, userId, limit],
  );
  const { rows: count } = await q.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM action_items a JOIN incidents i ON i.id = a.incident_id WHERE ${where}`,
    [teamId, userId],
  );
  return { items: rows.map(toItemWithIncident), total: Number(count[0]?.n ?? 0) };
}

/**
 * Claims up to `limit` due reminders for this process: open items whose due time has come and that were not reminded
 * yet, each locked (SKIP LOCKED: never waits on a change to the item) and leased, so another process skips them until
 * the lease ends, and one whose process died is taken again after it.
 */
export async function claimDueReminders(
  q: Queryable,
  limit: number,
  leaseMs: number,
): Promise<(ActionItemWithIncident & { attempts: number })[]> {
  const { rows } = await q.query<ItemRow & { remind_attempts: number }>(
    `WITH due AS (
       SELECT id FROM action_items WHERE ${REMINDER_DUE}
       ORDER BY remind_at
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     )
     UPDATE action_items
     SET remind_locked_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000),
         remind_attempts = remind_attempts + 1
     WHERE id IN (SELECT id FROM due)
     RETURNING *`,
    [limit, leaseMs],
  );
  if (rows.length === 0) return [];
  const { rows: full } = await q.query<ItemWithIncidentRow & { remind_attempts: number }>(
    `${WITH_INCIDENT} WHERE a.id = ANY($1::int[]) ORDER BY a.remind_at, a.id`,
    [rows.map((r) => r.id)],
  );
  return full.map((r) => ({ ...toItemWithIncident(r), attempts: Number(r.remind_attempts) }));
}

/**
 * A reminder went out: the item is marked reminded and the timeline gets its event, in one statement; nothing when
 * the item was closed meanwhile.
 */
export async function finishItemReminder(
  q: Queryable,
  id: number,
  event: { incidentId: number; details: Record<string, unknown> },
): Promise<void> {
  await q.query(
    `WITH done AS (
       UPDATE action_items SET reminded_at = now(), remind_locked_until = NULL, remind_error = NULL
       WHERE id = $1 AND reminded_at IS NULL RETURNING id
     )
     INSERT INTO incident_events (incident_id, kind, actor_id, details)
     SELECT $2, 'action_item_reminded', NULL, $3::jsonb FROM done`,
    [id, event.incidentId, JSON.stringify(event.details)],
  );
}

/** Ends the timer of an item that needs no reminder any more (closed meanwhile), without an event. */
export async function dropItemReminder(q: Queryable, id: number): Promise<void> {
  await q.query('UPDATE action_items SET remind_locked_until = NULL, remind_at = NULL WHERE id = $1', [id]);
}

/** A failed reminder: try again at `at`. */
export async function retryItemReminder(q: Queryable, id: number, at: Date, error: string): Promise<void> {
  await q.query('UPDATE action_items SET remind_at = $2, remind_locked_until = NULL, remind_error = $3 WHERE id = $1', [
    id,
    at,
    error.slice(0, 1000),
  ]);
}

/** A direct message sent to an item's owner about it, to update once the item is closed. */
export interface ItemDm {
  channelId: string;
  ts: string;
  why: 'assigned' | 'due';
}

/** Records a direct message sent about an item (a retried send recorded twice is one row). */
export async function recordItemDm(q: Queryable, itemId: number, dm: ItemDm): Promise<void> {
  await q.query(
    `INSERT INTO action_item_dms (item_id, channel_id, ts, why) VALUES ($1, $2, $3, $4)
     ON CONFLICT (item_id, ts) DO NOTHING`,
    [itemId, dm.channelId, dm.ts, dm.why],
  );
}

/** The direct messages sent about an item, oldest first. */
export async function itemDms(q: Queryable, itemId: number): Promise<ItemDm[]> {
  const { rows } = await q.query<{ channel_id: string; ts: string; why: 'assigned' | 'due' }>(
    'SELECT channel_id, ts, why FROM action_item_dms WHERE item_id = $1 ORDER BY ts',
    [itemId],
  );
  return rows.map((r) => ({ channelId: r.channel_id, ts: r.ts, why: r.why }));
}
