import {
  type AlertRow,
  alertsOfAlertIncident,
  earlierIncidentOf,
  getAlert,
  getAlerts,
  linkAlerts,
  looseAlertsOfGroup,
} from '../store/alert.repo.js';
import {
  type AlertIncidentRow,
  getAlertIncident,
  insertAlertIncident,
  moveGroupTruncated,
} from '../store/alert-incident.repo.js';
import { lockGroup } from '../store/alert-lock.repo.js';
import type { Database } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import { alreadyIn, noticesOf, openIncidentOf } from './alert-by-hand.js';
import { labelSeverity } from './alert-formats.js';
import { alertTitle, isOpen, securityAlert } from './alert-rows.js';
import type { AlertSteps } from './alert-steps.js';
import type { AlertRule } from './alert-types.js';
import { DomainError } from './errors.js';
import type { DeclareResult, IncidentService } from './incident.service.js';
import type { Logger } from './ports.js';
import type { Severity } from './severity.js';
import type { Incident, Unchanged } from './types.js';

/**
 * A warning's Declare incident: the form's starting point, and the declaration from it (the alert and its group's
 * firing alerts linked to the new incident, or declared apart from a storm's incident storm control sent them to),
 * with the notices, cards and channels it touches updated. AlertService answers the listeners with it.
 */
export class AlertDeclarations {
  constructor(
    private readonly db: Database,
    private readonly incidents: IncidentService,
    private readonly steps: AlertSteps,
    private readonly rules: ReadonlyMap<string, AlertRule>,
    /** Whether an alert's title declares a private (security) incident (AlertServiceOptions.sensitive). */
    private readonly sensitive: ((title: string) => boolean) | undefined,
    private readonly log: Logger,
  ) {}

  /**
   * A warning's Declare incident button: the form's starting point (title and severity from the alert and its row),
   * or, when the alert is already in an open incident, that incident.
   */
  async declareForm(
    alertId: number,
  ): Promise<
    | { kind: 'form'; title: string; severity: Severity; about: string; private?: true }
    | { kind: 'declared'; incident: Incident }
    | null
  > {
    const alert = await getAlert(this.db, alertId);
    if (!alert) return null;
    const incident = await openIncidentOf(this.db, alert);
    if (incident) {
      // Sent to another group's incident by storm control (its source past its cap): it may be declared apart.
      const storm = await this.stormOf(alert);
      if (!storm) return { kind: 'declared', incident };
      const rule = alert.rule ? this.rules.get(alert.rule) : undefined;
      const title = alertTitle(alert.summary, alert.name);
      const secret = securityAlert(this.rules, this.sensitive, { rule: alert.rule, title });
      return {
        kind: 'form',
        title: alert.summary,
        severity: rule?.severity ?? labelSeverity(alert.labels.severity) ?? (alert.level === 'critical' ? 1 : 2),
        about: `From the ${alert.level} alert ${alert.name} (${alert.source}), which joined incident #${incident.number} because ${alert.source} was past its storm cap. Declared, it and its group's alerts there leave #${incident.number} for the new incident.${rule ? ` Runbook: ${rule.action}` : ''}`,
        ...(secret ? { private: true as const } : {}),
      };
    }
    const rule = alert.rule ? this.rules.get(alert.rule) : undefined;
    // Declared, it takes every firing alert of its group not in an incident: the form says how many.
    const loose = (await looseAlertsOfGroup(this.db, alert.source, alert.groupKey)).filter((a) => a.id !== alert.id);
    const joining = loose.length
      ? ` The ${loose.length} other firing alert${loose.length === 1 ? '' : 's'} of its group join the incident too.`
      : '';
    const from = `From the ${alert.level} alert ${alert.name} (${alert.source})${rule ? `: ${rule.threshold}${rule.duration ? ` for ${rule.duration}` : ''}. Runbook: ${rule.action}` : ''}`;
    const about = joining ? `${from.replace(/[.\s]+$/, '')}.${joining}` : from;
    // A security alert (its row's playbook a security one, or its title reading as one): the form's Private box is
    // ticked, as the incident would be declared private from that title anyway.
    const title = alertTitle(alert.summary, alert.name);
    const secret = securityAlert(this.rules, this.sensitive, { rule: alert.rule, title });
    return {
      kind: 'form',
      title: alert.summary,
      severity: rule?.severity ?? 2,
      about,
      ...(secret ? { private: true as const } : {}),
    };
  }

  /**
   * A person declares an incident from a warning's notice: declared as typed (reported by that person), with the
   * alert (and the firing alerts of its group not in an incident) linked to it, and the notice updated.
   */
  async declareFromAlert(
    alertId: number,
    input: {
      teamId: string;
      userId: string;
      title: string;
      severity: Severity;
      requestKey: string;
      /** The form's Private box: a private (security) incident; its notice then does not name it. */
      private?: boolean;
    },
  ): Promise<
    | (DeclareResult & { resolvedBefore?: ResolvedBeforeDeclared })
    | ({ kind: 'already'; incident: Incident } & Unchanged)
  > {
    const form = await this.declareForm(alertId);
    if (!form) throw new DomainError('alert_not_found', 'That alert is no longer recorded.');
    if (form.kind === 'declared') return alreadyIn(form.incident);
    const alert = (await getAlert(this.db, alertId))!;
    let r: DeclareResult;
    /** The alert resolved between the form's opening and its submission: said, not declared silently. */
    let resolvedBefore: ResolvedBeforeDeclared | undefined;
    /** The storm's incident its group's alerts left (declared apart). */
    let left: { incidentId: number; alertIncident: number; alerts: number[]; moved: number[] } | null = null;
    try {
      r = await this.incidents.declare(
        {
          teamId: input.teamId,
          reporterId: input.userId,
          title: input.title,
          severity: input.severity,
          requestKey: input.requestKey,
          ...(input.private ? { private: true } : {}),
        },
        {
          within: async (tx, incident) => {
            // As a delivery of the group being recorded would: one at a time.
            await lockGroup(tx, alert.source, alert.groupKey);
            // Read again under the lock: two people declaring from one notice at once make one incident, not two
            // with the group's alerts split between them (the second is told where the alert went).
            const now = await getAlert(tx, alertId);
            const taken = now?.alertIncidentId ? await getAlertIncident(tx, now.alertIncidentId) : null;
            // Declared apart from a storm's incident (the form said so): its group's alerts there leave it.
            const apart = taken && now && stormJoinedBy(taken, now) ? taken : null;
            if (taken && !apart && isOpen(taken) && taken.incidentId !== null)
              throw new TakenMeanwhile(taken.incidentId);
            // The incident the same alert was in before it fired again: the card and timeline say so.
            const previous = await earlierIncidentOf(tx, alert);
            const id = await insertAlertIncident(tx, {
              source: alert.source,
              groupKey: alert.groupKey,
              title: input.title,
              severity: input.severity,
              rule: alert.rule,
              previousIncidentId: previous,
              declaredBy: { userId: input.userId, incidentId: incident.id },
            });
            const loose = await looseAlertsOfGroup(tx, alert.source, alert.groupKey);
            const moved = apart
              ? (await alertsOfAlertIncident(tx, apart.id)).filter(
                  (a) => a.source === alert.source && a.groupKey === alert.groupKey,
                )
              : [];
            const ids = [...new Set([alert.id, ...moved.map((a) => a.id), ...loose.map((a) => a.id)])];
            await linkAlerts(tx, new Map(ids.map((alert) => [alert, id])));
            // What its source left out of the group's deliveries is counted by the new incident's card, not the storm's.
            if (apart) await moveGroupTruncated(tx, apart.id, id, alert);
            await this.steps.recordOpening(tx, id, incident.id, alert.source, previous);
            if (apart?.incidentId) {
              left = {
                incidentId: apart.incidentId,
                alertIncident: apart.id,
                alerts: ids,
                moved: moved.map((a) => a.id),
              };
              await insertEvent(tx, apart.incidentId, 'note', input.userId, {
                text: `${moved.length === 1 ? 'The alert' : `${moved.length} alerts`} of ${alert.name} (${alert.source}), sent here by storm control, left this incident: declared apart as ${incident.private ? 'a private incident' : `incident #${incident.number}`}`,
              });
            }
            // Resolved since the form was opened (or since the notice was read): declared all the same, as asked,
            // but said on its timeline, in the reply and in its channel (offered to resolve when nothing fires).
            if (now?.status === 'resolved') {
              const linked = await getAlerts(tx, ids);
              resolvedBefore = {
                name: now.name,
                at: now.resolvedAt ?? now.endsAt ?? now.lastSeen,
                stillFiring: linked.filter((a) => a.status === 'firing' && a.level !== 'info').length,
              };
              await insertEvent(tx, incident.id, 'note', null, {
                text: `The alert ${now.name} (${now.source}) had resolved at ${resolvedBefore.at.toISOString()}, before this incident was declared from its notice`,
              });
            }
          },
        },
      );
    } catch (err) {
      if (!(err instanceof TakenMeanwhile)) throw err;
      const incident = await getIncident(this.db, err.incidentId);
      if (!incident) throw new DomainError('alert_not_found', 'That alert is no longer recorded.');
      return alreadyIn(incident);
    }
    if (r.kind !== 'declared') return r;
    await noticesOf(this.db, this.steps, this.log, alert, r.incident.id);
    // Set by the declaration's transaction (the compiler does not see it through the callback).
    const from = left as { incidentId: number; alertIncident: number; alerts: number[]; moved: number[] } | null;
    if (from) {
      // The storm's incident channel was told they joined it: told they left, and where to (not only its card).
      await this.steps
        .tellMovedOut(from.incidentId, from.moved, r.incident, input.userId, 'declared')
        .catch((err) => this.log.warn(`could not tell incident ${from.incidentId} that alerts left it`, err));
      // The incidents channel's message offering to declare them apart says where they went instead.
      await this.steps
        .declaredApart(from.incidentId, from.alerts)
        .catch((err) => this.log.warn(`could not update what told of alerts joining incident ${from.incidentId}`, err));
      // The storm's incident: its card drops them; with nothing of its own firing, it is offered to resolve.
      await this.steps
        .run({ kind: 'card', alertIncident: from.alertIncident, incident: from.incidentId })
        .catch((err) => this.log.warn(`could not refresh the card of incident ${from.incidentId}`, err));
      await this.steps
        .alertsChangedByHand(from.incidentId)
        .catch((err) => this.log.warn(`could not update the offer to resolve incident ${from.incidentId}`, err));
    }
    // Likewise.
    const resolved = resolvedBefore as ResolvedBeforeDeclared | undefined;
    if (!resolved) return r;
    // Nothing of it fires: its channel is offered to resolve it, as when its alerts resolve in an incident (not
    // resolved by an `auto_resolve` row: a person just declared it).
    if (resolved.stillFiring === 0 && !(alert.rule && this.rules.get(alert.rule)?.autoResolve))
      await this.steps
        .alertsChangedByHand(r.incident.id)
        .catch((err) => this.log.warn(`could not offer to resolve incident ${r.incident.id}`, err));
    return { ...r, resolvedBefore: resolved };
  }

  /** The storm's incident an alert was sent to (another group's, its source past its cap); null when it is not so. */
  private async stormOf(alert: AlertRow): Promise<AlertIncidentRow | null> {
    const ai = alert.alertIncidentId ? await getAlertIncident(this.db, alert.alertIncidentId) : null;
    return ai && stormJoinedBy(ai, alert) ? ai : null;
  }
}

/**
 * Whether an alert is in an open storm's alert incident opened for another group (storm control sent it there), one
 * the bot opened: such an alert may be declared apart.
 */
function stormJoinedBy(ai: AlertIncidentRow, alert: Pick<AlertRow, 'source' | 'groupKey'>): boolean {
  return (
    ai.storm &&
    isOpen(ai) &&
    ai.declaredBy === null &&
    ai.attachedBy === null &&
    (ai.source !== alert.source || ai.groupKey !== alert.groupKey)
  );
}

/** The alert a notice's Declare incident declared had resolved before: when, and how many of its alerts still fire. */
export interface ResolvedBeforeDeclared {
  name: string;
  at: Date;
  stillFiring: number;
}

/** The alert joined an incident while this declaration was being made: nothing is declared (see declareFromAlert). */
class TakenMeanwhile extends Error {
  constructor(readonly incidentId: number) {
    super(`the alert joined incident ${incidentId} meanwhile`);
  }
}
