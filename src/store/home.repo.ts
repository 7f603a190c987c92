import type { Incident } from '../incidents/types.js';
import type { Queryable } from './db.js';
import { type IncidentRow, toIncident } from './incident.repo.js';
import { partOf, visibleTo } from './incident-members.repo.js';

/**
 * Whether a person is part of an incident: declared it, commands it, did anything recorded on its timeline, was
 * reached by one of its pages, owns one of its action items, or was let in by the bot. `$2` is the person.
 */
const PART_OF = partOf('$2');

const WHOLE = `i.channel_id IS NOT NULL AND NOT i.declaring`;

/** A workspace's open incidents, the ones `userId` is part of first, then the most severe, then the newest. */
export async function openIncidentsFor(
  q: Queryable,
  teamId: string,
  userId: string,
  limit: number,
): Promise<{ incidents: { incident: Incident; mine: boolean }[]; total: number }> {
  const { rows } = await q.query<IncidentRow & { mine: boolean; total: number | string }>(
    `SELECT i.*, ${PART_OF} AS mine, count(*) OVER () AS total
     FROM incidents i
     WHERE i.team_id = $1 AND i.status <> 'resolved' AND ${WHOLE} AND ${visibleTo('$2')}
     ORDER BY mine DESC, i.severity ASC, i.created_at DESC
     LIMIT $3`,
    [teamId, userId, limit],
  );
  return {
    incidents: rows.map((r) => ({ incident: toIncident(r), mine: r.mine })),
    total: rows.length ? Number(rows[0]!.total) : 0,
  };
}

/** Incidents resolved since `since`, latest first. */
export async function resolvedSince(
  q: Queryable,
  teamId: string,
  since: Date,
  limit: number,
  /** Who is asking; null: nobody in particular, who sees public incidents only. */
  userId: string | null = null,
): Promise<{ incidents: Incident[]; total: number }> {
  const { rows } = await q.query<IncidentRow & { total: number | string }>(
    `SELECT i.*, count(*) OVER () AS total FROM incidents i
     WHERE i.team_id = $1 AND i.status = 'resolved' AND i.resolved_at >= $2 AND ${WHOLE} AND ${visibleTo('$4')}
     ORDER BY i.resolved_at DESC LIMIT $3`,
    [teamId, since, limit, userId],
  );
  return { incidents: rows.map(toIncident), total: rows.length ? Number(rows[0]!.total) : 0 };
}

/** The people part of each of these incidents (as `peopleOfIncident`), in one statement. */
export async function peopleOfIncidents(q: Queryable, incidentIds: readonly number[]): Promise<Map<number, string[]>> {
  const people = new Map<number, string[]>(incidentIds.map((id) => [id, []]));
  if (incidentIds.length === 0) return people;
  const { rows } = await q.query<{ incident_id: number; id: string }>(
    `SELECT incident_id, actor_id AS id FROM incident_events WHERE incident_id = ANY($1::int[]) AND actor_id IS NOT NULL
     UNION SELECT incident_id, owner_id FROM action_items WHERE incident_id = ANY($1::int[]) AND owner_id IS NOT NULL
     UNION SELECT id, reporter_id FROM incidents WHERE id = ANY($1::int[])
     UNION SELECT id, commander_id FROM incidents WHERE id = ANY($1::int[]) AND commander_id IS NOT NULL
     UNION SELECT p.incident_id, d.user_id FROM page_deliveries d JOIN pages p ON p.id = d.page_id
       WHERE p.incident_id = ANY($1::int[]) AND NOT d.unreachable
     UNION SELECT incident_id, user_id FROM incident_members WHERE incident_id = ANY($1::int[])`,
    [incidentIds],
  );
  for (const r of rows) people.get(Number(r.incident_id))?.push(r.id);
  return people;
}

/**
 * The people part of an incident (as PART_OF): whose Home tabs its changes refresh, whose names its document shows.
 * Not those a page could not reach at all (an unknown user, a user group Slack would not expand): it never reached them.
 */
export async function peopleOfIncident(q: Queryable, incidentId: number): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT actor_id AS id FROM incident_events WHERE incident_id = $1 AND actor_id IS NOT NULL
     UNION SELECT owner_id FROM action_items WHERE incident_id = $1 AND owner_id IS NOT NULL
     UNION SELECT reporter_id FROM incidents WHERE id = $1
     UNION SELECT commander_id FROM incidents WHERE id = $1 AND commander_id IS NOT NULL
     UNION SELECT d.user_id FROM page_deliveries d JOIN pages p ON p.id = d.page_id WHERE p.incident_id = $1
       AND NOT d.unreachable
     UNION SELECT user_id FROM incident_members WHERE incident_id = $1`,
    [incidentId],
  );
  return rows.map((r) => r.id);
}
