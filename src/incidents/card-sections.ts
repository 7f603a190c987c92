import {
  type CardSectionFacts,
  cardSectionFacts,
  cardSectionFactsOf,
  cardSectionsPart,
} from '../store/card-sections.repo.js';
import type { Queryable, StatementPart } from '../store/db.js';
import type { AlertCards, RepeatsSeen } from './alert-cards.js';
import { type AlertCardView, pressingCount } from './alert-types.js';
import type {
  EscalationView,
  FollowUpCardView,
  IncidentChat,
  IncidentNotice,
  Logger,
  NoticePost,
  ObjectivesView,
  PageDmAt,
  PageMessage,
} from './ports.js';
import type { RecoveryObjectiveCards } from './recovery-objectives.js';
import type { Incident } from './types.js';

/**
 * The sections a card shows besides the incident's row and its escalation line: its alerts (for an incident opened
 * from, or joined by, monitoring alerts), the recovery objectives of its playbook, and its post-mortem and action items. Read when the card is posted or
 * refreshed, so that every change keeps them: in one statement, the alerts' rows read only when there are any. That
 * statement is the escalation summary's when the card's escalation line is read with it (`part`, which the escalation
 * service joins to its own): a card is then one round trip.
 */
export class CardSections {
  constructor(
    private readonly db: Queryable,
    private readonly alerts: AlertCards,
    private readonly objectives: RecoveryObjectiveCards,
    private readonly log: Logger = console,
  ) {}

  /** What the sections read, as part of another statement (read back by the card through `sectionsRead`). */
  part(incidentId: number): (first: number) => StatementPart {
    return cardSectionsPart(incidentId, this.options(incidentId));
  }

  private options(incidentId: number) {
    return { playbooks: this.objectives.any(), more: this.alerts.part(incidentId) };
  }

  /**
   * The sections: from what the escalation view read with it when it did, else in a statement of their own (whether
   * it has alerts and which playbooks, and the alert section's rows when it has alerts).
   */
  async view(
    incidentId: number,
    escalation?: EscalationView,
  ): Promise<{
    alerts?: AlertCardView;
    objectives?: ObjectivesView;
    followUp: FollowUpCardView;
    repeatsSeen: RepeatsSeen;
  }> {
    const facts: CardSectionFacts =
      escalation && escalation.sectionsRead !== undefined
        ? cardSectionFactsOf(escalation.sectionsRead)
        : await cardSectionFacts(this.db, incidentId, this.options(incidentId));
    const { view: alerts, repeatsSeen } = facts.alerts
      ? await this.alerts.viewFrom(facts.more)
      : { view: undefined, repeatsSeen: [] };
    return {
      alerts,
      objectives: this.objectives.of(facts.playbookIds),
      followUp: { postmortem: facts.postmortem, actionItems: facts.actionItems },
      repeatsSeen,
    };
  }

  /**
   * The card is in Slack with these sections: a refresh due for repeats it shows is not made again. A failure here
   * only leaves that refresh due (one card update more), so it is logged, not raised.
   */
  private async shown(incidentId: number, repeatsSeen: RepeatsSeen): Promise<void> {
    if (repeatsSeen.length === 0) return;
    await this.alerts
      .shown(repeatsSeen)
      .catch((err) => this.log.warn(`could not mark the repeats on incident ${incidentId}'s card as shown`, err));
  }

  /** The incident chat with every card it posts or refreshes carrying these sections. */
  decorate<C extends IncidentChat>(inner: C): IncidentChat {
    const sections = this;
    /** The alerts being read for an incident's page DMs (see sendPage). */
    const reading = new Map<number, Promise<AlertCardView | undefined>>();
    return Object.assign(Object.create(inner) as C, {
      async postCard(incident: Incident, escalation?: EscalationView) {
        const { alerts, objectives, followUp, repeatsSeen } = await sections.view(incident.id, escalation);
        const ts = await inner.postCard(incident, escalation, alerts, objectives, followUp);
        await sections.shown(incident.id, repeatsSeen);
        return ts;
      },
      async announce(incident: Incident, madePublicBy?: string) {
        // Opened from alerts: the announcement says from which monitoring, as the card does. Only the sources are
        // read (one small statement), not the card's sections: this is on the way from a critical alert to its card.
        const sources = await sections.alerts.sources(incident.id).catch((err) => {
          sections.log.warn(`could not read the alerts of incident ${incident.id} for its announcement`, err);
          return undefined;
        });
        await inner.announce(incident, madePublicBy, sources);
      },
      async refreshCard(incident: Incident, escalation?: EscalationView) {
        const { alerts, objectives, followUp, repeatsSeen } = await sections.view(incident.id, escalation);
        await inner.refreshCard(incident, escalation, alerts, objectives, followUp);
        await sections.shown(incident.id, repeatsSeen);
      },
      // Resolved while alerts of it still fire: the resolution says so. Not read, it goes without (it is said on the
      // card all the same).
      async notify(incident: Incident, notice: IncidentNotice, post?: NoticePost) {
        if (notice.kind !== 'resolved') return inner.notify(incident, notice, post);
        const alerts = await sections
          .view(incident.id)
          .then((v) => v.alerts)
          .catch((err) => {
            sections.log.warn(`could not read the alerts of incident ${incident.id} for its resolution`, err);
            return undefined;
          });
        // Info alerts are recorded only: one still firing (a pod restarting) is not the trouble going on.
        const firing = alerts?.alerts.filter((a) => a.status === 'firing' && a.level !== 'info') ?? [];
        const pressing = alerts ? pressingCount(alerts) : 0;
        const stillFiring =
          alerts && pressing > 0 && firing.length > 0
            ? {
                count: pressing,
                sources: alerts.sources,
                lastHeard: new Date(Math.max(...firing.map((a) => a.lastSeen.getTime()))),
                // The generic format gives no start: its next report of a firing is a new one (see sameFiring).
                opensAgain: firing.some((a) => a.format === 'generic'),
              }
            : alerts && pressing > 0
              ? { count: pressing, sources: alerts.sources }
              : undefined;
        return inner.notify(incident, stillFiring ? { ...notice, stillFiring } : notice, post);
      },
      // A page of an incident opened from (or joined by) alerts says what fired. Not read, the page goes without it:
      // nothing stands between a person and their page. The DMs of one page, sent at once, share one read (and go
      // in the order they were asked).
      async sendPage(incident: Incident, page: PageMessage, userId: string) {
        let alerts = reading.get(incident.id);
        if (!alerts) {
          alerts = sections
            .view(incident.id)
            .then((v) => v.alerts)
            .catch((err) => {
              sections.log.warn(`could not read the alerts of incident ${incident.id} for its page`, err);
              return undefined;
            })
            .finally(() => reading.delete(incident.id));
          reading.set(incident.id, alerts);
        }
        return inner.sendPage(incident, page, userId, await alerts);
      },
      // A page shown again (a new severity) keeps what fired, as it was sent with it.
      ...(inner.refreshPage
        ? {
            async refreshPage(incident: Incident, dm: PageDmAt, page: PageMessage) {
              const alerts = await sections
                .view(incident.id)
                .then((v) => v.alerts)
                .catch(() => undefined);
              return inner.refreshPage!(incident, dm, page, alerts);
            },
          }
        : {}),
    });
  }
}
