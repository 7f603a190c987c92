import { type AlertRow, alertsOfAlertIncident, getAlert, linkAlerts, looseAlertsOfGroup } from '../store/alert.repo.js';
import { deleteAttached, getAlertIncident, insertAlertIncident } from '../store/alert-incident.repo.js';
import { lockGroup } from '../store/alert-lock.repo.js';
import { planNotice } from '../store/alert-notice.repo.js';
import type { Database } from '../store/db.js';
import { insertEvents } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import { alertEvents, isOpen } from './alert-rows.js';
import { DomainError } from './errors.js';
import type { Incident } from './types.js';

/** Said when alerts taken out of an incident are not (or no longer) in it by hand. */
export const NOT_ATTACHED = 'Those alerts are no longer in this incident: nothing was taken out.';

/** The alerts as a timeline note names them: `the warning alert DiskFull`, or `3 alerts`. */
const named = (alerts: readonly AlertRow[]) => {
  const first = alerts[0];
  return alerts.length === 1 && first ? `the ${first.level} alert ${first.name}` : `${alerts.length} alerts`;
};

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
    await insertEvents(tx, incident.id, [
      {
        kind: 'note',
        actorId: userId,
        details: { text: `Added ${named(alerts)} of ${alert.source} to this incident` },
      },
      ...alertEvents(alerts),
    ]);
    return { kind: 'attached', alertIncident: id, alerts, lead: alert };
  });
}

/**
 * Takes alerts a person added to an incident (Add to an open incident) out of it again, as added by mistake: they are
 * in no incident once more (their notice offers Declare incident and Add again), the incident's timeline says who took
 * which out (their firing stays on it: it happened), and from then on their repeats and resolution go to their notice.
 * Only alerts added by hand, to an incident not resolved (a resolved one keeps its record). Under the group's lock, as
 * a delivery of the group being recorded. The incident and the alerts taken out.
 */
export async function detachFromIncident(
  db: Database,
  alertIncidentId: number,
  userId: string,
): Promise<{ incidentId: number; alerts: AlertRow[]; addedBy: string }> {
  return db.transaction(async (tx) => {
    const seen = await getAlertIncident(tx, alertIncidentId);
    if (!seen?.attachedBy || seen.incidentId === null) throw new DomainError('not_attached', NOT_ATTACHED);
    await lockGroup(tx, seen.source, seen.groupKey);
    const incident = await getIncident(tx, seen.incidentId);
    if (!incident || incident.status === 'resolved')
      throw new DomainError(
        'incident_resolved',
        'This incident is resolved: the alerts added to it stay on its record. Reopen it first to take them out.',
      );
    const taken = await alertsOfAlertIncident(tx, alertIncidentId);
    if (!(await deleteAttached(tx, alertIncidentId))) throw new DomainError('not_attached', NOT_ATTACHED);
    // One that joined the incident after it was added (a later alert of its group) has no notice yet: it gets one (its
    // group's live notice, or one of its own), as the message saying they were taken out tells.
    const alerts: AlertRow[] = [];
    for (const a of taken) {
      if (a.noticePlanned || a.status !== 'firing') alerts.push(a);
      else {
        const lead = await planNotice(tx, a);
        alerts.push({ ...a, noticePlanned: true, noticeLead: lead === a.id ? null : lead });
      }
    }
    await insertEvents(tx, incident.id, [
      {
        kind: 'note',
        actorId: userId,
        details: {
          text: `Took ${named(alerts)} of ${seen.source} out of this incident (added by mistake)`,
          // Their firing stays on the timeline; the post-mortem does not take it for the incident's detection.
          alertsTakenOut: alerts.map((a) => a.id),
        },
      },
    ]);
    return { incidentId: incident.id, alerts, addedBy: seen.attachedBy };
  });
}
