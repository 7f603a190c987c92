import type { Queryable } from './db.js';

/** What decides which sections an incident's card shows besides its row: whether it has alerts, its playbooks. */
export interface CardSectionFacts {
  /** Whether any alert incident belongs to it (opened from, or joined by, monitoring alerts). */
  alerts: boolean;
  /** The playbooks attached to it, first attached first; empty when not asked for. */
  playbookIds: string[];
}

/** One statement for both, read each time a card is rendered: most incidents have no alerts, and it is cheap to say so. */
export async function cardSectionFacts(
  q: Queryable,
  incidentId: number,
  opts: { playbooks: boolean },
): Promise<CardSectionFacts> {
  const { rows } = await q.query<{ alerts: boolean; playbook_ids: string[] | null }>(
    `SELECT EXISTS (SELECT 1 FROM alert_incidents WHERE incident_id = $1) AS alerts,
            CASE WHEN $2 THEN ARRAY(
              SELECT playbook_id FROM incident_playbooks WHERE incident_id = $1 AND detached_at IS NULL
              ORDER BY attached_at, playbook_id) END AS playbook_ids`,
    [incidentId, opts.playbooks],
  );
  return { alerts: rows[0]?.alerts ?? false, playbookIds: rows[0]?.playbook_ids ?? [] };
}
