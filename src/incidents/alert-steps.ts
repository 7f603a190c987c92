import { type AlertRow, getAlerts } from '../store/alert.repo.js';
import { type AlertIncidentRow, getAlertIncident } from '../store/alert-incident.repo.js';
import type { Database } from '../store/db.js';
import { getIncident } from '../store/incident.repo.js';
import type { AlertCards } from './alert-cards.js';
import { DeclareSteps } from './alert-declare-steps.js';
import { NoticeSteps } from './alert-notice-steps.js';
import { OfferSteps } from './alert-offer-steps.js';
import type { AlertChat } from './alert-ports.js';
import { StormSteps } from './alert-storm-steps.js';
import { type StormWithdrawalRetries, StormWithdrawals } from './alert-storm-withdrawals.js';
import type { AlertRule, AlertStep } from './alert-types.js';
import type { IncidentService } from './incident.service.js';
import { NotYet } from './not-yet.js';
import type { NoticeDmWithdrawals } from './notice-dm-withdrawals.js';
import type { IncidentMetrics, Logger } from './ports.js';
import type { Incident } from './types.js';

/** Refreshes of one incident's card from one process are at least this far apart (Slack's chat.update limits). */
const CARD_INTERVAL_MS = 1000;

/** What AlertSteps is given beside its database, services and chat (its constructor's last argument). */
export interface AlertStepsOptions {
  /** The people a declaration pages first (the on-call), told directly when Slack refuses the incident's channel. */
  onCall?: () => Promise<string[]>;
  /** Whether a title declares a private (security) incident: not said where a refusal is told. */
  sensitive?: (title: string) => boolean;
  /** A playbook's title by its id (a notice names its row's playbook). */
  playbookTitle?: (id: string) => string | undefined;
  /** How long a declaration whose card is up waits for the others' at most (default CARDS_FIRST_MAX_MS). */
  cardsFirstMaxMs?: number;
  /** An incident's timers wait no more (see cardsFirst): wakes the timer loop. */
  cardsFirstReleased?: () => void;
  /** The first wait before on-call's copies of a withdrawn notice Slack refused are drawn again (ALERTS_DM_RETRY). */
  noticeDmRetryMs?: number;
  /** How posts of storms' messages one too many that Slack would not delete are tried again (tests shorten it). */
  stormWithdrawals?: StormWithdrawalRetries;
}

/** What the parts of AlertSteps (its notices, declarations, offers) carry out their steps with: AlertSteps' own. */
export interface AlertStepsDeps {
  db: Database;
  incidents: IncidentService;
  chat: AlertChat;
  cards: AlertCards;
  rules: ReadonlyMap<string, AlertRule>;
  log: Logger;
  /** Slack's channel-creation budget, shared with people's declarations (ChannelBudget). */
  channels?: { take(): Promise<unknown> };
  /** Time to detect (`detect`), counted once per incident declared from alerts. */
  metrics?: Pick<IncidentMetrics, 'reached'>;
  more: AlertStepsOptions;
  /** The incident an alert incident was declared as (null: none, or failed); throws NotYet while it is declared. */
  declaredIncident: (alertIncidentId: number) => Promise<{ incidentId: number; ai: AlertIncidentRow } | null>;
  /** Refreshes an incident's card (AlertSteps.refreshCard). */
  refreshCard: (incidentId: number) => Promise<void>;
  /** An incident's card was just posted: its next refresh comes no sooner than one after another would. */
  cardPosted: (incidentId: number) => void;
}

/**
 * What a recorded delivery does outside the database, step by step (AlertStep): declare an alert incident through the
 * incident service (reported by the bot, on behalf of the source), refresh a card, post or update an alert's notice (a
 * warning's, or a critical alert's that a maintenance window held back), tell the channel every alert resolved (or
 * resolve, for a row that says auto_resolve). Each can run again after an interruption and does its work once:
 * declaring checks the alert incident's link, the notice its recorded message.
 */
export class AlertSteps {
  private readonly refreshing = new Map<number, { started: boolean; again: boolean; done: Promise<void> }>();
  /** When each incident's card was last refreshed from here (refreshes of one card are at least a second apart). */
  private readonly refreshedAt = new Map<number, number>();

  constructor(
    private readonly db: Database,
    private readonly incidents: IncidentService,
    private readonly chat: AlertChat,
    cards: AlertCards,
    private readonly rules: ReadonlyMap<string, AlertRule>,
    private readonly log: Logger = console,
    /** Slack's channel-creation budget, shared with people's declarations (ChannelBudget). */
    channels?: { take(): Promise<unknown> },
    /** Time to detect (`detect`), counted once per incident declared from alerts. */
    metrics?: Pick<IncidentMetrics, 'reached'>,
    more: AlertStepsOptions = {},
  ) {
    this.stormWithdrawals = new StormWithdrawals(db, chat, more.stormWithdrawals, log);
    this.storms = new StormSteps(db, chat, (id) => this.declaredIncident(id), this.stormWithdrawals);
    const d: AlertStepsDeps = {
      db,
      incidents,
      chat,
      cards,
      rules,
      log,
      channels,
      metrics,
      more,
      declaredIncident: (id) => this.declaredIncident(id),
      refreshCard: (id) => this.refreshCard(id),
      cardPosted: (id) => {
        this.refreshedAt.set(id, Date.now());
      },
    };
    this.notices = new NoticeSteps(d);
    this.noticeDms = this.notices.dms;
    this.offers = new OfferSteps(d);
    this.declarations = new DeclareSteps(d);
  }

  /** The declare step: alert incidents declared, a storm's cards first. */
  private readonly declarations: DeclareSteps;

  /** The offer steps: to resolve an incident whose alerts all resolved, to raise one its alerts outrank. */
  private readonly offers: OfferSteps;

  /** The notice step: alerts' notices, and security alerts' copies to on-call. */
  private readonly notices: NoticeSteps;

  /** On-call's copies of withdrawn notices that Slack refused to update, drawn again by the alert loop's sweep. */
  readonly noticeDms: NoticeDmWithdrawals;

  /** Posts of storms' messages one too many that Slack refused to delete, deleted by the alert loop's sweep. */
  readonly stormWithdrawals: StormWithdrawals;

  /** The storm steps (storm, joined, past_cap) and the messages they keep. */
  private readonly storms: StormSteps;

  run(step: AlertStep): Promise<void> {
    switch (step.kind) {
      case 'declare':
        return this.declarations.declare(step.alertIncident);
      case 'card':
        // Planned once the incident was declared: its card is refreshed without reading the alert incident again.
        return step.incident !== undefined ? this.refreshCard(step.incident) : this.card(step.alertIncident);
      case 'notice':
        return this.notices.notice(step.alert);
      case 'all_resolved':
        return this.offers.allResolved(step.alertIncident);
      case 'fired_again':
        return this.offers.firedAgain(step.alertIncident);
      case 'outranked':
        return this.offers.outranked(step.alerts ?? [step.alert], step.incident);
      case 'storm':
        return this.storms.storm(step);
      case 'joined':
        return this.storms.joined(step.alertIncident, step.alerts, step.why);
      case 'past_cap':
        return this.storms.pastCap(step);
      case 'fired_elsewhere':
        return this.storms.firedElsewhere(step);
      case 'heartbeat':
        return this.heartbeat(step);
    }
  }

  /** The incidents whose timers wait now for a storm's cards, and until when at most (DeclareSteps). */
  cardsFirst(): { incidents: number[]; until: Date | null } {
    return this.declarations.cardsFirst();
  }

  /** Declarations this process is making now. */
  get declaring(): number {
    return this.declarations.declaring;
  }

  /** Once this process has no declaration in progress, or after `maxMs`. */
  declarationsDone(maxMs: number): Promise<void> {
    return this.declarations.declarationsDone(maxMs);
  }

  /** The timeline of an incident opened from alerts (DeclareSteps). */
  recordOpening(...args: Parameters<DeclareSteps['recordOpening']>): Promise<void> {
    return this.declarations.recordOpening(...args);
  }

  /** Posts or updates the notice an alert is shown in (NoticeSteps). */
  notice(alertId: number): Promise<void> {
    return this.notices.notice(alertId);
  }

  /** The incident was resolved: its offers to resolve it say so (OfferSteps). */
  closeResolveOffers(incident: Incident): Promise<void> {
    return this.offers.closeResolveOffers(incident);
  }

  /** People changed which alerts an incident opened from alerts holds: its offer to resolve follows (OfferSteps). */
  alertsChangedByHand(incidentId: number): Promise<void> {
    return this.offers.alertsChangedByHand(incidentId);
  }

  /** A person added alerts to an open incident (Add to incident): its channel is told who added which. */
  tellAttached(incident: Incident, by: string, alerts: readonly AlertRow[], alertIncident: number): Promise<void> {
    return this.chat.tellAttached(incident, by, alerts, alertIncident);
  }

  /**
   * Alerts a storm had sent to an incident were declared apart by `by` as `to`: that incident's channel is told which,
   * and where they went (a private incident not named). Nothing once it is resolved.
   */
  async tellMovedOut(
    stormIncidentId: number,
    alertIds: readonly number[],
    to: Incident,
    by: string,
    how: 'declared' | 'reopened',
  ): Promise<void> {
    const incident = await getIncident(this.db, stormIncidentId);
    if (!incident || incident.status === 'resolved' || alertIds.length === 0) return;
    const alerts = await getAlerts(this.db, alertIds);
    if (alerts.length === 0) return;
    const where =
      to.private && !incident.private ? { private: true as const } : { number: to.number, channelId: to.channelId };
    await this.chat.tellMovedOut(incident, alerts, where, by, how);
  }

  /** A person took alerts added by hand out of an incident again: its channel is told. */
  tellDetached(incident: Incident, by: string, alerts: readonly AlertRow[]): Promise<void> {
    return this.chat.tellDetached(incident, by, alerts);
  }

  closeAttached(
    ref: { channel: string; ts: string },
    added: { by: string; alerts: readonly AlertRow[] },
    takenOut: { by: string; at: Date },
  ): Promise<void> {
    return this.chat.closeAttached(ref, added, takenOut);
  }

  /** The incident was reopened: its messages saying its alerts fired again elsewhere lose their Reopen (StormSteps). */
  closeFiredElsewhere(incident: Incident): Promise<void> {
    return this.storms.closeFiredElsewhere(incident);
  }

  /** Alerts a storm sent to an incident were declared apart: their incidents-channel messages say where they went. */
  declaredApart(stormIncidentId: number, alertIds: readonly number[]): Promise<void> {
    return this.storms.declaredApart(stormIncidentId, alertIds);
  }

  /** A heartbeat gone quiet, or back, told in the incidents channel (logged too: without one, only logged). */
  private async heartbeat(step: Extract<AlertStep, { kind: 'heartbeat' }>): Promise<void> {
    const rule = this.rules.get(step.rule);
    if (!rule?.heartbeatMs) return;
    const view = {
      rule: { name: rule.name, action: rule.action, heartbeatMs: rule.heartbeatMs },
      source: step.source,
      quiet: step.quiet,
      since: new Date(step.since),
      now: new Date(),
      resolved: step.resolved === true,
    };
    const what = step.quiet
      ? `no ${rule.name} from ${step.source} since ${step.since}: monitoring may be down`
      : `${rule.name} from ${step.source} is back`;
    if (step.quiet) this.log.warn(`Heartbeat: ${what}`);
    else this.log.info(`Heartbeat: ${what}`);
    await this.chat.tellHeartbeat(view);
  }

  /** The incident of an alert incident once it is declared, and the alert incident as read; null when none. */
  private async declaredIncident(
    alertIncidentId: number,
  ): Promise<{ incidentId: number; ai: AlertIncidentRow } | null> {
    const ai = await getAlertIncident(this.db, alertIncidentId);
    if (!ai || ai.state === 'failed') return null;
    if (ai.state === 'declaring') throw new NotYet(`alert incident ${ai.id} is still being declared`);
    return ai.incidentId === null ? null : { incidentId: ai.incidentId, ai };
  }

  async card(alertIncidentId: number): Promise<void> {
    const declared = await this.declaredIncident(alertIncidentId);
    if (declared) await this.refreshCard(declared.incidentId);
  }

  /**
   * Refreshes an incident's card; while a refresh of it is waiting or running, later ones wait for one more that
   * starts after them, and refreshes of one card are at least CARD_INTERVAL_MS apart: a burst of alerts costs a card
   * update a second, not one each. Each caller returns once the card shows its change.
   */
  refreshCard(incidentId: number): Promise<void> {
    const running = this.refreshing.get(incidentId);
    if (running) {
      // One that has not started yet reads the card's state after this caller's change.
      if (running.started) running.again = true;
      return running.done;
    }
    const entry = { started: false, again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          entry.started = false;
          const wait = (this.refreshedAt.get(incidentId) ?? 0) + CARD_INTERVAL_MS - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          entry.started = true;
          this.refreshedAt.set(incidentId, Date.now());
          await this.incidents.refreshCard(incidentId);
        } while (entry.again);
      } finally {
        this.refreshing.delete(incidentId);
        if (this.refreshedAt.size > 1000) this.refreshedAt.clear();
      }
    })();
    this.refreshing.set(incidentId, entry);
    return entry.done;
  }
}
