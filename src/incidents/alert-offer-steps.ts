import { getAlerts, hasInfoAlert } from '../store/alert.repo.js';
import { alertIncidentsOf, setAllResolved } from '../store/alert-incident.repo.js';
import { hasResolveOffer, recordResolveOffer, takeResolveOffers } from '../store/alert-posts.repo.js';
import { deleteEvent, recordRaiseOffer } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import type { AlertStepsDeps } from './alert-steps.js';
import { type OfferClosed, pressingCount as pressing } from './alert-types.js';
import { AlreadyDoneError } from './errors.js';
import type { Incident } from './types.js';

/**
 * The offer steps (AlertStep `all_resolved`, `fired_again`, `outranked`): an incident opened from alerts offered to
 * resolve once none of its alerts fires (or resolved, as its opening row says), the offer closed as it no longer
 * stands, and an incident less severe than the critical alerts joining it offered to be raised. AlertSteps runs them.
 */
export class OfferSteps {
  constructor(private readonly d: AlertStepsDeps) {}

  /**
   * Critical alerts joined an incident declared before them: when the incident (open, whole) is less severe than their
   * rows declare (SEV-1 without a row), its channel is told, with how to raise it; once, in one message for them all,
   * and not again at that severity until the severity changes (recorded on the timeline: `raise_offered`). The
   * severity is not raised by itself: people declared it, and may know better; a critical alert in a SEV-3 must not go
   * unseen either.
   */
  async outranked(alertIds: readonly number[], incidentId: number): Promise<void> {
    // One read for them all: a group of 150 critical alerts joining at once is one statement, not 150.
    const alerts = (await getAlerts(this.d.db, alertIds)).filter((a) => a.status === 'firing');
    if (alerts.length === 0) return;
    const incident = await getIncident(this.d.db, incidentId);
    if (!incident || incident.status === 'resolved' || !incident.channelId) return;
    const ruled = alerts.map((alert) => {
      const rule = alert.rule ? this.d.rules.get(alert.rule) : undefined;
      return { alert, rule, severity: rule?.severity ?? 1 };
    });
    // The most severe of their rows (SEV-0 is the most severe); on a tie one that has a row (its row is shown), the
    // first of them.
    const lead = ruled.reduce((a, b) =>
      b.severity < a.severity || (b.severity === a.severity && !a.rule && b.rule) ? b : a,
    );
    const { rule, severity } = lead;
    if (incident.severity <= severity) return;
    const others = alerts.filter((a) => a.id !== lead.alert.id);
    const offered = await this.d.db.transaction((tx) =>
      recordRaiseOffer(tx, incident.id, severity, { alerts: alerts.map((a) => a.name) }),
    );
    // An offer at least as severe stands (made by an earlier delivery, and the severity not changed since).
    if (offered === null) return;
    try {
      await this.d.chat.tellOutranked(incident, {
        alert: lead.alert,
        others,
        severity,
        rule: rule ? { name: rule.name, threshold: rule.threshold, duration: rule.duration } : null,
      });
    } catch (err) {
      // Not offered after all: a later critical alert may offer it.
      await deleteEvent(this.d.db, offered).catch(() => {});
      throw err;
    }
  }

  async allResolved(alertIncidentId: number): Promise<void> {
    const declared = await this.d.declaredIncident(alertIncidentId);
    const ai = declared?.ai;
    // Gone, or an alert fired again since: nothing to say.
    if (!declared || !ai?.allResolvedAt) return;
    const incident = await getIncident(this.d.db, declared.incidentId);
    if (!incident || incident.status === 'resolved') return;
    // The incident's alerts as one: those people added to it (Add to incident) with those that opened it. Only an
    // incident opened from alerts is offered to resolve (or resolved, as its opening row says) once none fires.
    const opening = (await alertIncidentsOf(this.d.db, incident.id)).find((o) => !o.attachedBy);
    if (!opening) return;
    const view = await this.d.cards.view(incident.id);
    if (!view || pressing(view) > 0) return;
    if (opening.rule && this.d.rules.get(opening.rule)?.autoResolve) {
      const self = await this.d.chat.self();
      try {
        const r = await this.d.incidents.resolve(
          incident.id,
          self.botUserId,
          'Every alert of this incident resolved (the runbook resolves it on its own: auto_resolve).',
          `alerts-resolved:${ai.id}:${ai.allResolvedAt.getTime()}`,
        );
        for (const w of r?.warnings ?? []) this.d.log.warn(`auto-resolving incident ${incident.id}: ${w}`);
      } catch (err) {
        if (!(err instanceof AlreadyDoneError)) throw err;
      }
      return;
    }
    const offer = await this.d.chat.offerResolve(incident, view);
    if (!offer) return;
    await recordResolveOffer(this.d.db, ai.id, offer);
    // Resolved while the offer was on its way (the resolution found no offer to close): closed now.
    const now = await getIncident(this.d.db, incident.id);
    if (now?.status === 'resolved') await this.closeResolveOffers(now);
  }

  /**
   * The incident was resolved: each offer to resolve it still showing Resolve incident says so instead. One that
   * cannot be updated stays as it was (its button then answers that the incident is resolved), logged.
   */
  async closeResolveOffers(incident: Incident): Promise<void> {
    const why = { kind: 'resolved', by: incident.resolvedBy, at: incident.resolvedAt ?? new Date() } as const;
    await this.closeOffers(incident, await takeResolveOffers(this.d.db, { incident: incident.id }), why);
  }

  private async closeOffers(
    incident: Incident,
    offers: { channel: string; ts: string }[],
    why: OfferClosed,
  ): Promise<void> {
    if (offers.length === 0) return;
    const hasInfo = await hasInfoAlert(this.d.db, incident.id);
    for (const offer of offers) {
      await this.d.chat
        .closeResolveOffer(offer, incident, why, hasInfo)
        .catch((err) => this.d.log.warn(`could not update the offer to resolve incident ${incident.id}`, err));
    }
  }

  /**
   * An alert fired again after its channel was told every alert had resolved: told so, for the offer to resolve no
   * longer stands (the card alone changed, and a person reading the channel could resolve a live incident).
   */
  async firedAgain(alertIncidentId: number): Promise<void> {
    const declared = await this.d.declaredIncident(alertIncidentId);
    const ai = declared?.ai;
    // Gone, or every alert resolved again since (a new offer says so): nothing to say.
    if (!declared || !ai || ai.allResolvedAt) return;
    const incident = await getIncident(this.d.db, declared.incidentId);
    if (!incident || incident.status === 'resolved') return;
    const view = await this.d.cards.view(incident.id);
    if (!view || pressing(view) === 0) return;
    // The offer above loses its button first, then the channel is told why.
    // Whichever of its alert incidents' resolving made the offer (one people added may have been the last).
    const offers = await takeResolveOffers(this.d.db, { incident: incident.id });
    // No offer stands (one closed when a firing alert was added, or never posted): nothing to say no longer stands.
    if (offers.length === 0) return;
    await this.closeOffers(incident, offers, { kind: 'fired_again', at: new Date() });
    await this.d.chat.tellFiredAgain(incident, view);
  }

  /**
   * People changed which alerts an incident opened from alerts holds (Add to an open incident, Take it out): whether
   * every alert of it has resolved may have changed with them. One that fires among those added: an offer to resolve
   * standing no longer does (said in place). None firing once some were taken out: offered to resolve (or resolved, as
   * its opening row says), as when its last alert resolves, unless an offer stands already.
   */
  async alertsChangedByHand(incidentId: number): Promise<void> {
    const ais = await alertIncidentsOf(this.d.db, incidentId);
    const opening = ais.find((o) => !o.attachedBy);
    if (!opening) return;
    const view = await this.d.cards.view(incidentId);
    const incident = await getIncident(this.d.db, incidentId);
    if (!view || !incident || incident.status === 'resolved') return;
    if (pressing(view) > 0) {
      const offers = await takeResolveOffers(this.d.db, { incident: incidentId });
      await this.closeOffers(incident, offers, { kind: 'added', at: new Date() });
      return;
    }
    if (view.total === 0 || (await hasResolveOffer(this.d.db, incidentId))) return;
    if (!opening.allResolvedAt) await setAllResolved(this.d.db, opening.id, true);
    await this.allResolved(opening.id);
  }
}
