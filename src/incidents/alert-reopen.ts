import { type AlertRow, alertsOfAlertIncident, getAlert, linkAlerts } from '../store/alert.repo.js';
import {
  type AlertIncidentRow,
  alertIncidentsOf,
  getAlertIncident,
  moveGroupTruncated,
  setAllResolved,
} from '../store/alert-incident.repo.js';
import { lockGroup } from '../store/alert-lock.repo.js';
import type { Database } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import { isOpen } from './alert-rows.js';
import type { Incident } from './types.js';

/** Alerts brought back to a reopened incident from the storm's incident they had joined. */
export interface BroughtBack {
  /** The storm's incident they left, and its alert incident. */
  from: { incidentId: number; alertIncident: number };
  alerts: AlertRow[];
}

/**
 * Storm control sent an alert that fired again after `incident` was resolved to another group's incident (its source
 * past its cap); `incident` was just reopened for it: the alert, and its group's alerts in that storm's incident, are
 * followed in `incident` again (linked back to the group's alert incident there, as the group's next deliveries find
 * it), and both timelines say so. Under the group's lock, as a delivery of the group being recorded. Null: nothing to
 * bring back (it left that incident meanwhile, or never was in one of another group).
 */
export async function bringBack(
  db: Database,
  alertId: number,
  incident: Incident,
  userId: string,
): Promise<BroughtBack | null> {
  return db.transaction(async (tx) => {
    const seen = await getAlert(tx, alertId);
    if (!seen) return null;
    await lockGroup(tx, seen.source, seen.groupKey);
    const alert = await getAlert(tx, alertId);
    const storm = alert?.alertIncidentId ? await getAlertIncident(tx, alert.alertIncidentId) : null;
    if (!alert || !storm || !joinedElsewhere(storm, alert, incident.id)) return null;
    const home = (await alertIncidentsOf(tx, incident.id)).find(
      (a) => a.source === alert.source && a.groupKey === alert.groupKey,
    );
    if (!home) return null;
    const alerts = (await alertsOfAlertIncident(tx, storm.id)).filter(
      (a) => a.source === alert.source && a.groupKey === alert.groupKey,
    );
    await linkAlerts(tx, new Map(alerts.map((a) => [a.id, home.id])));
    await moveGroupTruncated(tx, storm.id, home.id, alert);
    if (home.allResolvedAt && alerts.some((a) => a.status === 'firing' && a.level !== 'info'))
      await setAllResolved(tx, home.id, false);
    const names = alerts.length === 1 ? `The alert ${alert.name}` : `${alerts.length} alerts of ${alert.name}`;
    const stormIncident = storm.incidentId !== null ? await getIncident(tx, storm.incidentId) : null;
    await insertEvent(tx, incident.id, 'note', userId, {
      text: `${names} (${alert.source}) fired again after this incident was resolved and had joined ${stormIncident?.private && !incident.private ? 'a private incident' : `incident #${stormIncident?.number ?? '?'}`} (storm control); reopened for it, it is followed here again`,
    });
    if (storm.incidentId !== null)
      await insertEvent(tx, storm.incidentId, 'note', userId, {
        text: `${names} (${alert.source}), sent here by storm control, left this incident: ${incident.private && !stormIncident?.private ? 'a private incident it was in before' : `incident #${incident.number}, which it was in before,`} was reopened for it`,
      });
    return { from: { incidentId: storm.incidentId!, alertIncident: storm.id }, alerts };
  });
}

/** Whether an alert is in an open incident other than `incidentId` that storm control sent it to (another group's). */
function joinedElsewhere(ai: AlertIncidentRow, alert: AlertRow, incidentId: number): boolean {
  return (
    ai.storm &&
    isOpen(ai) &&
    ai.incidentId !== null &&
    ai.incidentId !== incidentId &&
    ai.declaredBy === null &&
    ai.attachedBy === null &&
    (ai.source !== alert.source || ai.groupKey !== alert.groupKey)
  );
}
