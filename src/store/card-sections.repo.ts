import { jsonOf, type Queryable, type StatementPart } from './db.js';

/** What decides which sections an incident's card shows besides its row: whether it has alerts, its playbooks. */
export interface CardSectionFacts {
  /** Whether any alert incident belongs to it (opened from, or joined by, monitoring alerts). */
  alerts: boolean;
  /** The playbooks attached to it, first attached first; empty when not asked for. */
  playbookIds: string[];
  /** What `more` selected (e.g. the alert section's rows), read in the same statement. */
  more?: unknown;
  /** The latest version of its post-mortem document (who wrote it, when); null when none was written. */
  postmortem: { version: number; writtenBy: string; writtenAt: Date } | null;
  /** Its action items: how many are open, of how many. */
  actionItems: { open: number; total: number };
}

export interface CardSectionOptions {
  /** Whether to read the attached playbooks. */
  playbooks: boolean;
  /** Read too, for an incident with alerts only (most have none: their card reads nothing more). */
  more?: (first: number) => StatementPart;
}

/**
 * Both facts (and `more`) as part of another statement, as one JSON value read back with `cardSectionFactsOf`: the
 * card's escalation summary reads them in its own round trip.
 */
export function cardSectionsPart(incidentId: number, opts: CardSectionOptions): (first: number) => StatementPart {
  return (first) => {
    const [id, playbooks] = [`$${first}`, `$${first + 1}`];
    const part = opts.more?.(first + 2);
    const more = part ? `, 'more', CASE WHEN f.alerts THEN ${part.select} END` : '';
    return {
      with: part?.with ?? '',
      params: [incidentId, opts.playbooks, ...(part?.params ?? [])],
      select: `(SELECT json_build_object('alerts', f.alerts,
         'playbook_ids', CASE WHEN ${playbooks}::boolean THEN ARRAY(
           SELECT playbook_id FROM incident_playbooks WHERE incident_id = ${id}::int AND detached_at IS NULL
           ORDER BY attached_at, playbook_id) END,
         'postmortem', (SELECT json_build_object('version', v.version, 'by', v.written_by, 'at', v.created_at)
           FROM postmortem_versions v WHERE v.incident_id = ${id}::int ORDER BY v.version DESC LIMIT 1),
         'items', (SELECT json_build_object('open', count(*) FILTER (WHERE a.state = 'open'), 'total', count(*))
           FROM action_items a WHERE a.incident_id = ${id}::int)${more})
       FROM (SELECT EXISTS (SELECT 1 FROM alert_incidents WHERE incident_id = ${id}::int) AS alerts) f)`,
    };
  };
}

/** What cardSectionsPart selected; `more` is there when the part was given one. */
export function cardSectionFactsOf(selected: unknown): CardSectionFacts {
  const v = jsonOf(
    selected as
      | string
      | {
          alerts?: boolean;
          playbook_ids?: string[] | null;
          postmortem?: { version: number; by: string; at: string } | null;
          items?: { open: number; total: number } | null;
          more?: unknown;
        }
      | null,
  );
  const pm = v?.postmortem;
  return {
    alerts: v?.alerts ?? false,
    playbookIds: v?.playbook_ids ?? [],
    postmortem: pm ? { version: Number(pm.version), writtenBy: pm.by, writtenAt: new Date(pm.at) } : null,
    actionItems: { open: Number(v?.items?.open ?? 0), total: Number(v?.items?.total ?? 0) },
    ...(v && 'more' in v ? { more: v.more } : {}),
  };
}

/** One statement for both, read each time a card is rendered: most incidents have no alerts, and it is cheap to say so. */
export async function cardSectionFacts(
  q: Queryable,
  incidentId: number,
  opts: CardSectionOptions,
): Promise<CardSectionFacts> {
  const part = cardSectionsPart(incidentId, opts)(1);
  const { rows } = await q.query<{ facts: unknown }>(
    `${part.with ? `WITH ${part.with} ` : ''}SELECT ${part.select} AS facts`,
    part.params,
  );
  return cardSectionFactsOf(rows[0]?.facts);
}
