import {
  type AlertRow,
  alertsOfAlertIncident,
  getAlert,
  getAlertIncident,
  insertAlertIncident,
  linkAlerts,
  looseAlertsOfGroup,
} from '../store/alert.repo.js';
import { lockGroup } from '../store/alert-lock.repo.js';
import type { Database } from '../store/db.js';
import { insertEvents } from '../store/event.repo.js';
import { isOpen } from './alert-rows.js';
import { alertEvents } from './alert-steps.js';
import type { Incident } from './types.js';

/** What adding an alert to an incident did: added (with its group's alerts), or found it in an incident meanwhile. */
export type Attached =
  | { kind: 'attached'; alertIncident: number; alerts: AlertRow[]; lead: AlertRow }
  | { kind: 'taken'; incidentId: number };

/**
 * A person adds an alert that is in no open incident (a warning's, from its notice) to `incident`, already open: the
 * alert and its group's firing alerts in no incident join it, as one alert incident of its own (its repeats and its
 * resolution go there from then on), recorded on the incident's timeline by that person. Under the group's lock, as a
 * delivery of the group being recorded, or someone declaring from the notice: the first wins and the others are told
 * where the alert went. Null: the alert is no longer recorded.
 */
export async function attachToIncident(
  db: Database,
  alertId: number,
  incident: Incident,
  userId: string,
): Promise<Attached | null> {
  return db.transaction(async (tx) => {
    const seen = await getAlert(tx, alertId);
    if (!seen) return null;
    await lockGroup(tx, seen.source, seen.groupKey);
    const alert = await getAlert(tx, alertId);
    if (!alert) return null;
    const taken = alert.alertIncidentId ? await getAlertIncident(tx, alert.alertIncidentId) : null;
    if (taken && isOpen(taken) && taken.incidentId !== null) return { kind: 'taken', incidentId: taken.incidentId };
    const id = await insertAlertIncident(tx, {
      source: alert.source,
      groupKey: alert.groupKey,
      title: alert.summary,
      severity: incident.severity,
      rule: alert.rule,
      previousIncidentId: null,
      declaredBy: { userId, incidentId: incident.id, attached: true },
    });
    const loose = await looseAlertsOfGroup(tx, alert.source, alert.groupKey);
    const ids = [...new Set([alert.id, ...loose.map((a) => a.id)])];
    await linkAlerts(tx, new Map(ids.map((a) => [a, id])));
    const alerts = await alertsOfAlertIncident(tx, id);
    const what = alerts.length === 1 ? `the ${alert.level} alert ${alert.name}` : `${alerts.length} alerts`;
    await insertEvents(tx, incident.id, [
      { kind: 'note', actorId: userId, details: { text: `Added ${what} of ${alert.source} to this incident` } },
      ...alertEvents(alerts),
    ]);
    return { kind: 'attached', alertIncident: id, alerts, lead: alert };
  });
}
