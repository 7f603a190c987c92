import type { Queryable, StatementPart } from './db.js';

/** What decides which sections an incident's card shows besides its row: whether it has alerts, its playbooks. */
export interface CardSectionFacts {
  /** Whether any alert incident belongs to it (opened from, or joined by, monitoring alerts). */
  alerts: boolean;
  /** The playbooks attached to it, first attached first; empty when not asked for. */
  playbookIds: string[];
  /** What `more` selected (e.g. the alert section's rows), read in the same statement. */
  more?: unknown;
}

/** One statement for both, read each time a card is rendered: most incidents have no alerts, and it is cheap to say so. */
export async function cardSectionFacts(
  q: Queryable,
  incidentId: number,
  opts: { playbooks: boolean; more?: (first: number) => StatementPart },
): Promise<CardSectionFacts> {
  const part = opts.more?.(3);
  // `more` only for an incident with alerts (most have none: their card reads nothing more).
  const more = part ? `, CASE WHEN f.alerts THEN ${part.select} END AS more` : '';
  const { rows } = await q.query<{ alerts: boolean; playbook_ids: string[] | null; more?: unknown }>(
    `${part?.with ? `WITH ${part.with} ` : ''}SELECT f.alerts,
            CASE WHEN $2 THEN ARRAY(
              SELECT playbook_id FROM incident_playbooks WHERE incident_id = $1 AND detached_at IS NULL
              ORDER BY attached_at, playbook_id) END AS playbook_ids${more}
     FROM (SELECT EXISTS (SELECT 1 FROM alert_incidents WHERE incident_id = $1) AS alerts) f`,
    [incidentId, opts.playbooks, ...(part?.params ?? [])],
  );
  return {
    alerts: rows[0]?.alerts ?? false,
    playbookIds: rows[0]?.playbook_ids ?? [],
    ...(part ? { more: rows[0]?.more } : {}),
  };
}
