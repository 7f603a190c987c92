import { openItems } from '../store/action-item.repo.js';
import type { Database } from '../store/db.js';
import { openIncidentsFor, peopleOfIncidents, resolvedSince } from '../store/home.repo.js';
import type { ActionItemWithIncident } from './action-items.js';
import type { Incident } from './types.js';

/** How far back "recently resolved" looks. */
export const RECENTLY_RESOLVED_MS = 7 * 24 * 60 * 60_000;

/** What one person's Home shows: the open incidents (theirs first), their open action items, the recently resolved. */
export interface HomeData {
  open: { incident: Incident; mine: boolean }[];
  openTotal: number;
  items: ActionItemWithIncident[];
  itemsTotal: number;
  resolved: Incident[];
  resolvedTotal: number;
}

/** Lists are read up to these lengths; the view shows what fits and counts the rest. */
const READ = { open: 100, items: 100, resolved: 20 } as const;

/** The read side of a person's Home tab. */
export class HomeService {
  constructor(private readonly db: Database) {}

  async view(teamId: string, userId: string, now = new Date()): Promise<HomeData> {
    const [open, items, resolved] = await Promise.all([
      openIncidentsFor(this.db, teamId, userId, READ.open),
      openItems(this.db, teamId, userId, READ.items, { ownedOnly: true }),
      resolvedSince(this.db, teamId, new Date(now.getTime() - RECENTLY_RESOLVED_MS), READ.resolved, userId),
    ]);
    return {
      open: open.incidents,
      openTotal: open.total,
      items: items.items,
      itemsTotal: items.total,
      resolved: resolved.incidents,
      resolvedTotal: resolved.total,
    };
  }

  /**
   * The people part of each of these incidents (declared it, command it, acted on it, were paged for it, own its
   * items), by incident id, in one statement.
   */
  peopleOf(incidentIds: readonly number[]): Promise<Map<number, string[]>> {
    return peopleOfIncidents(this.db, incidentIds);
  }
}
