import type { Queryable } from './db.js';

/**
 * Who may see a private incident in the bot's lists (`/incident list`, the Home tab): the people its record names,
 * as the Home tab already counts them "part of" an incident (reporter, commander, anyone who did something recorded
 * on its timeline, anyone reached by one of its pages, owners of its action items), and people the bot itself let
 * in (incident_members). Every one of them was invited to the channel by the bot (reporter at declaration, paged
 * people with their page) or acted in it.
 *
 * Why the record and not Slack's conversations.members: the lists are read for every `/incident list` and every
 * Home tab refresh (many people at once after each change), and asking Slack there would be one rate-limited call
 * per private incident per person, and a list that fails when Slack does. The record is in the same query, costs
 * nothing, and never shows an incident to someone the bot did not let in. The price: someone a member invites by
 * hand in Slack sees the channel in Slack at once, and the incident in the bot's lists once they act in it.
 *
 * `i` is the incident's alias and `p` the parameter holding the person (e.g. `$2`).
 */
export function partOf(p: string): string {
  return `(i.reporter_id = ${p} OR i.commander_id IS NOT DISTINCT FROM ${p}
  OR EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id AND e.actor_id = ${p})
  OR EXISTS (SELECT 1 FROM pages pg JOIN page_deliveries d ON d.page_id = pg.id WHERE pg.incident_id = i.id AND d.user_id = ${p} AND NOT d.unreachable)
  OR EXISTS (SELECT 1 FROM action_items a WHERE a.incident_id = i.id AND a.owner_id = ${p})
  OR EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = i.id AND m.user_id = ${p}))`;
}

/**
 * Whether the person in `p` may see incident `i` in a list: every public one, a private one if part of it (and, for
 * nobody in particular, a null `p`, none).
 */
export const visibleTo = (p: string) => `(NOT i.private OR (${p}::text IS NOT NULL AND ${partOf(p)}))`;

/** Records that the bot let a person into an incident's channel (the Join button). */
export async function addMember(q: Queryable, incidentId: number, userId: string): Promise<boolean> {
  const { rows } = await q.query(
    'INSERT INTO incident_members (incident_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING user_id',
    [incidentId, userId],
  );
  return rows.length > 0;
}
