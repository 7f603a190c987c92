import { type AlertRow, alertsOfAlertIncident, earlierIncidentOf, getAlert } from '../store/alert.repo.js';
import { alertIncidentsOf, getAlertIncident } from '../store/alert-incident.repo.js';
import type { Database } from '../store/db.js';
import { getIncident, openIncidentFor } from '../store/incident.repo.js';
import { attachToIncident, detachFromIncident } from './alert-attach.js';
import { bringBack } from './alert-reopen.js';
import type { AlertSteps } from './alert-steps.js';
import { AlreadyDoneError, DomainError } from './errors.js';
import type { IncidentService } from './incident.service.js';
import type { Logger } from './ports.js';
import type { Incident, Unchanged } from './types.js';

/** Adding alerts to an incident resolved meanwhile, or one the person may not see. */
export const NOT_OPEN_TO_ADD =
  'That incident is resolved, or not one you may add alerts to. Pick another, or declare one from the notice.';

/** At most this many open incidents are offered to add an alert to (a menu holds 100 options). */
const ATTACH_CHOICES_MAX = 100;

/** The alert is in `incident` already: no incident was declared for it. */
export const alreadyIn = (incident: Incident): { kind: 'already'; incident: Incident } & Unchanged => ({
  kind: 'already',
  incident,
  unchanged: `the alert is in incident #${incident.number} already: no incident was declared`,
});

/** The open incident an alert is in (declared, not resolved); null when it is in none. */
export async function openIncidentOf(db: Database, alert: AlertRow): Promise<Incident | null> {
  const ai = alert.alertIncidentId ? await getAlertIncident(db, alert.alertIncidentId) : null;
  if (!ai?.incidentId || ai.state !== 'declared' || ai.incidentStatus === 'resolved') return null;
  return getIncident(db, ai.incidentId);
}

/** The notices showing these alerts (each once, by its lead), as the alerts are now. */
export async function refreshNotices(steps: AlertSteps, log: Logger, alerts: readonly AlertRow[]): Promise<void> {
  const leads = new Set(alerts.filter((a) => a.noticePlanned).map((a) => a.noticeLead ?? a.id));
  for (const lead of leads) await steps.notice(lead).catch((err) => log.warn('could not update the alert notice', err));
}

/** Every notice showing an alert of `alert`'s group that joined `incidentId` (its own, older ones) says where. */
export async function noticesOf(
  db: Database,
  steps: AlertSteps,
  log: Logger,
  alert: AlertRow,
  incidentId: number,
): Promise<void> {
  const joined = [alert];
  for (const ai of await alertIncidentsOf(db, incidentId)) joined.push(...(await alertsOfAlertIncident(db, ai.id)));
  await refreshNotices(
    steps,
    log,
    joined.filter((a) => a.source === alert.source && a.groupKey === alert.groupKey),
  );
}

/**
 * What people do with alerts from their notices and messages besides declaring (AlertDeclarations): a warning's Add
 * to incident and its Take out, and Reopen on a resolved incident's message that its alert fired again and joined
 * another incident. Each updates the notices, cards, channels and offers to resolve it touches (AlertSteps).
 * AlertService answers the listeners with it.
 */
export class AlertsByHand {
  constructor(
    private readonly db: Database,
    private readonly incidents: IncidentService,
    private readonly steps: AlertSteps,
    private readonly log: Logger,
  ) {}

  /**
   * Reopen on a resolved incident's message that its alert fired again and joined another incident (storm control):
   * the incident is worked on again (reopened by this person, unless someone did first), and the alert, with its
   * group's alerts that joined with it, leaves the storm's incident to be followed in it again, as an on-call engineer
   * reopening it for that alert expects (its resolution, its card, the offer to resolve, all there). The channel it
   * left is told, its card and offer to resolve follow.
   */
  async reopenForAlert(
    alertId: number,
    userId: string,
    requestKey: string,
  ): Promise<{ incident: Incident; reopened: boolean; movedFrom: Incident | null; alerts: AlertRow[] }> {
    const alert = await getAlert(this.db, alertId);
    const earlier = alert ? await earlierIncidentOf(this.db, alert) : null;
    let incident = earlier === null ? null : await getIncident(this.db, earlier);
    if (!alert || !incident) throw new DomainError('alert_not_found', 'That alert is no longer recorded.');
    let reopened = false;
    if (incident.status === 'resolved') {
      try {
        const r = await this.incidents.reopen(incident.id, userId, `its alert ${alert.name} fired again`, requestKey);
        if (r) {
          incident = r.incident;
          reopened = true;
        }
      } catch (err) {
        // Reopened by someone else meanwhile: the alert is brought back all the same.
        if (!(err instanceof AlreadyDoneError)) throw err;
        incident = (await getIncident(this.db, incident.id)) ?? incident;
      }
    }
    const back = await bringBack(this.db, alertId, incident, userId);
    if (!back) return { incident, reopened, movedFrom: null, alerts: [] };
    const { from } = back;
    const warn = (what: string) => (err: unknown) => this.log.warn(`could not ${what}`, err);
    await this.steps.refreshCard(incident.id).catch(warn(`refresh the card of incident ${incident.id}`));
    await this.steps
      .tellMovedOut(
        from.incidentId,
        back.alerts.map((a) => a.id),
        incident,
        userId,
        'reopened',
      )
      .catch(warn(`tell incident ${from.incidentId} that alerts left it`));
    // The incidents channel's message offering to declare them apart says where they are instead.
    await this.steps
      .declaredApart(
        from.incidentId,
        back.alerts.map((a) => a.id),
      )
      .catch(warn(`update what told of alerts joining incident ${from.incidentId}`));
    await this.steps
      .run({ kind: 'card', alertIncident: from.alertIncident, incident: from.incidentId })
      .catch(warn(`refresh the card of incident ${from.incidentId}`));
    await this.steps
      .alertsChangedByHand(from.incidentId)
      .catch(warn(`update the offer to resolve incident ${from.incidentId}`));
    return { incident, reopened, movedFrom: await getIncident(this.db, from.incidentId), alerts: back.alerts };
  }

  /**
   * A warning's Add to incident button: the open incidents `userId` may add it to (most severe first, then newest; at
   * most 100, as a menu holds), or, when the alert is in an open incident already, that incident. Null: not recorded.
   */
  async attachChoices(
    alertId: number,
    teamId: string,
    userId: string,
  ): Promise<
    | { kind: 'choose'; alert: AlertRow; incidents: Incident[]; total: number }
    | { kind: 'declared'; incident: Incident }
    | null
  > {
    const alert = await getAlert(this.db, alertId);
    if (!alert) return null;
    const incident = await openIncidentOf(this.db, alert);
    if (incident) return { kind: 'declared', incident };
    const open = await this.incidents.listOpen(teamId, userId, ATTACH_CHOICES_MAX);
    return { kind: 'choose', alert, incidents: open.incidents, total: open.total };
  }

  /**
   * Whether `incidentId` is an open incident `userId` may add alerts to: the form's check before it is answered, so
   * that one resolved while the form was open is refused in it (attach checks again, in its transaction's terms).
   */
  async mayAttachTo(incidentId: number, teamId: string, userId: string): Promise<boolean> {
    return (await openIncidentFor(this.db, incidentId, teamId, userId)) !== null;
  }

  /**
   * Adds an alert (and its group's firing alerts in no incident) to an open incident `userId` may see, as they chose
   * from the notice: the incident's card shows them, its timeline and channel say who added what, and the notice says
   * where they went. Their repeats and resolution go to that incident from then on; their resolving neither offers
   * to resolve it nor resolves it alone (OfferSteps.allResolved).
   */
  async attach(
    alertId: number,
    input: { teamId: string; userId: string; incidentId: number },
  ): Promise<
    { kind: 'attached'; incident: Incident; alerts: number } | ({ kind: 'already'; incident: Incident } & Unchanged)
  > {
    const incident = await openIncidentFor(this.db, input.incidentId, input.teamId, input.userId);
    if (!incident) throw new DomainError('incident_not_open', NOT_OPEN_TO_ADD);
    const r = await attachToIncident(this.db, alertId, incident, input.userId);
    if (!r) throw new DomainError('alert_not_found', 'That alert is no longer recorded.');
    if (r.kind === 'taken') {
      const where = await getIncident(this.db, r.incidentId);
      if (!where) throw new DomainError('alert_not_found', 'That alert is no longer recorded.');
      return alreadyIn(where);
    }
    await noticesOf(this.db, this.steps, this.log, r.lead, incident.id);
    await this.steps
      .run({ kind: 'card', alertIncident: r.alertIncident, incident: incident.id })
      .catch((err) => this.log.warn(`could not refresh the card of incident ${incident.id}`, err));
    await this.steps
      .tellAttached(incident, input.userId, r.alerts, r.alertIncident)
      .catch((err) => this.log.warn(`could not tell incident ${incident.id}'s channel of the alerts added`, err));
    await this.steps
      .alertsChangedByHand(incident.id)
      .catch((err) => this.log.warn(`could not update the offer to resolve incident ${incident.id}`, err));
    // A critical alert added to a less severe incident: its channel is told, with how to raise it, as when one joins.
    const critical = r.alerts.filter((x) => x.level === 'critical' && x.status === 'firing').map((x) => x.id);
    if (critical[0] !== undefined)
      await this.steps
        .run({ kind: 'outranked', alert: critical[0], alerts: critical, incident: incident.id })
        .catch((err) => this.log.warn(`could not compare incident ${incident.id}'s severity with its alerts'`, err));
    return { kind: 'attached', incident, alerts: r.alerts.length };
  }

  /**
   * Takes alerts added to an incident by hand out of it again (the Take out button of the message that said they were
   * added): its card and channel show it, and their notices offer Declare incident and Add again.
   */
  async detach(
    alertIncidentId: number,
    userId: string,
    /** The message whose button was pressed (the one saying they were added): it loses its button. */
    message?: { channel: string; ts: string },
  ): Promise<{ incident: Incident; alerts: number }> {
    const r = await detachFromIncident(this.db, alertIncidentId, userId);
    if (message)
      await this.steps
        .closeAttached(message, { by: r.addedBy, alerts: r.alerts }, { by: userId, at: new Date() })
        .catch((err) => this.log.warn('could not update the message saying alerts were added', err));
    const incident = await getIncident(this.db, r.incidentId);
    if (!incident) throw new DomainError('alert_not_found', 'That incident is no longer recorded.');
    // Each notice showing one of them is live again, with its buttons.
    await refreshNotices(this.steps, this.log, r.alerts);
    await this.steps
      .run({ kind: 'card', alertIncident: alertIncidentId, incident: incident.id })
      .catch((err) => this.log.warn(`could not refresh the card of incident ${incident.id}`, err));
    await this.steps
      .tellDetached(incident, userId, r.alerts)
      .catch((err) => this.log.warn(`could not tell incident ${incident.id}'s channel of the alerts taken out`, err));
    await this.steps
      .alertsChangedByHand(incident.id)
      .catch((err) => this.log.warn(`could not offer to resolve incident ${incident.id}`, err));
    return { incident, alerts: r.alerts.length };
  }
}
