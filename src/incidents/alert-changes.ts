import type { AlertRow } from '../store/alert.repo.js';
import { alertCounts } from '../store/alert-card.repo.js';
import { type AlertIncidentRow, setAllResolved } from '../store/alert-incident.repo.js';
import type { Queryable } from '../store/db.js';
import { type Batch, flush } from './alert-rows.js';
import { type AlertStep, pressingCount } from './alert-types.js';

/** What a batch's deliveries changed, for the plan's last steps. */
export interface Changes {
  plan: AlertStep[];
  /** Alert incidents whose card shows a change, and their incidents. */
  cards: Map<number, number>;
  /** Every alert incident changed, as it was before the batch: whether all its alerts have resolved is seen after. */
  changed: Map<number, AlertIncidentRow>;
  /** Alert incidents one of whose alerts resolved in the batch. */
  resolved: Set<number>;
  /** Alert incidents changed by more than repeats (an alert new to it, fired again, resolved): its card at once. */
  major: Set<number>;
}

export const noChanges = (): Changes => ({
  plan: [],
  cards: new Map(),
  changed: new Map(),
  resolved: new Set(),
  major: new Set(),
});

/** Posting or updating the notice an alert is shown in (its lead's): once in a plan, however many of its alerts changed. */
export function planNoticeStep(plan: AlertStep[], alert: Pick<AlertRow, 'id' | 'noticeLead'>): void {
  const lead = alert.noticeLead ?? alert.id;
  if (!plan.some((s) => s.kind === 'notice' && s.alert === lead)) plan.push({ kind: 'notice', alert: lead });
}

/**
 * The last steps of a plan, once its alerts are placed: each changed card (at once for more than repeats; the
 * alert incidents returned show repeats only, refreshed a while later), and the offers to resolve.
 */
export async function settle(tx: Queryable, changes: Changes, batch: Batch): Promise<number[]> {
  const { plan } = changes;
  const repeats: number[] = [];
  for (const [id, ai] of changes.changed) {
    const incident = changes.cards.get(id);
    if (incident !== undefined && changes.major.has(id)) plan.push({ kind: 'card', alertIncident: id, incident });
    else if (incident !== undefined) repeats.push(id);
    // Whether every alert has resolved changes only with a resolution, or when they all had and one fired again.
    if (!changes.resolved.has(id) && !ai.allResolvedAt) continue;
    await flush(tx, batch);
    const counts = await alertCounts(tx, [id]);
    // Info alerts are recorded only: one still firing keeps no incident open.
    const firing = pressingCount(counts);
    if (firing === 0 && counts.total > 0 && !ai.allResolvedAt) {
      await setAllResolved(tx, id, true);
      plan.push({ kind: 'all_resolved', alertIncident: id });
    } else if (firing > 0 && ai.allResolvedAt) {
      await setAllResolved(tx, id, false);
      // Its channel was told every alert had resolved and offered Resolve incident: told this one fires again.
      if (ai.state === 'declared' && ai.incidentStatus !== 'resolved') {
        plan.push({ kind: 'fired_again', alertIncident: id });
      }
    }
  }
  return repeats;
}
