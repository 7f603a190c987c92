import { randomUUID } from 'node:crypto';
import {
  type AlertRow,
  alertsOfAlertIncident,
  earlierIncidentOf,
  getAlert,
  getAlerts,
  hasInfoAlert,
  linkIncidentReadingAlerts,
} from '../store/alert.repo.js';
import {
  type AlertIncidentRow,
  alertIncidentsOf,
  getAlertIncident,
  markDeclaredUnderLocks,
  setAllResolved,
} from '../store/alert-incident.repo.js';
import { groupLockKey, sourceLockKey } from '../store/alert-lock.repo.js';
import { alertsOfNotice, alertsOfNoticeTitles, recordNotice, recordNoticeDms } from '../store/alert-notice.repo.js';
import {
  claimStepPost,
  hasResolveOffer,
  recordResolveOffer,
  releaseStepPost,
  takeResolveOffers,
} from '../store/alert-posts.repo.js';
import type { Database, Queryable } from '../store/db.js';
import { deleteEvent, insertEvents, recordRaiseOffer } from '../store/event.repo.js';
import { getIncident, isDeclaring } from '../store/incident.repo.js';
import type { AlertCards } from './alert-cards.js';
import type { AlertChat } from './alert-ports.js';
import { stormNote } from './alert-recorder.js';
import { alertEvents, alertTitle, securityAlert } from './alert-rows.js';
import { StormSteps } from './alert-storm-steps.js';
import { type StormWithdrawalRetries, StormWithdrawals } from './alert-storm-withdrawals.js';
import {
  type AlertNoticeView,
  type AlertRule,
  type AlertStep,
  type OfferClosed,
  pressingCount as pressing,
} from './alert-types.js';
import { AnnounceOrder } from './announce-order.js';
import { AlreadyDoneError, ChatPlatformError, DomainError } from './errors.js';
import type { IncidentService } from './incident.service.js';
import { NotYet } from './not-yet.js';
import { NoticeDmWithdrawals } from './notice-dm-withdrawals.js';
import { DM_NEVER_UPDATED } from './page-dm-redraw.js';
import type { IncidentMetrics, Logger } from './ports.js';
import { RateLimitedError } from './rate-limits.js';
import type { Incident } from './types.js';

/** Refreshes of one incident's card from one process are at least this far apart (Slack's chat.update limits). */
const CARD_INTERVAL_MS = 1000;
/** A declaration whose card is up waits at most this long for the cards of the others being declared with it. */
const CARDS_FIRST_MAX_MS = 2000;
/** An announcement waits at most this long for those of lower numbers declared with it (see AnnounceOrder). */
const ANNOUNCE_IN_ORDER_MAX_MS = 5000;
/** The most alerts a group's notice lists one by one (the rest are counted). */
const NOTICE_LISTED = 10;

/** Slack errors a retry soon gets over (its edge, the network, its rate limit): not told as a refusal. */
const TRANSIENT_SLACK_ERRORS = new Set([
  'http_error',
  'request_error',
  'ratelimited',
  'fatal_error',
  'internal_error',
  'service_unavailable',
  'request_timeout',
]);

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
  /** Declarations in progress here. */
  private readonly inProgress = new InFlight();
  /** Declarations in progress here whose card is not up yet. */
  private readonly beforeCard = new InFlight();
  /**
   * Incidents this process is declaring from alerts whose timers wait for the storm's cards (see cardsFirst), by id,
   * with when each began to wait.
   */
  private readonly holding = new Map<number, number>();
  /** A storm's announcements, in the order of their numbers. */
  private readonly announcements = new AnnounceOrder(ANNOUNCE_IN_ORDER_MAX_MS);

  constructor(
    private readonly db: Database,
    private readonly incidents: IncidentService,
    private readonly chat: AlertChat,
    private readonly cards: AlertCards,
    private readonly rules: ReadonlyMap<string, AlertRule>,
    private readonly log: Logger = console,
    /** Slack's channel-creation budget, shared with people's declarations (ChannelBudget). */
    private readonly channels?: { take(): Promise<unknown> },
    /** Time to detect (`detect`), counted once per incident declared from alerts. */
    private readonly metrics?: Pick<IncidentMetrics, 'reached'>,
    private readonly more: {
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
    } = {},
  ) {
    this.stormWithdrawals = new StormWithdrawals(db, chat, more.stormWithdrawals, log);
    this.storms = new StormSteps(db, chat, (id) => this.declaredIncident(id), this.stormWithdrawals);
    this.noticeDms = new NoticeDmWithdrawals(db, (id) => this.withdrawNoticeDms(id), more.noticeDmRetryMs, log);
  }

  /** On-call's copies of withdrawn notices that Slack refused to update, drawn again by the alert loop's sweep. */
  readonly noticeDms: NoticeDmWithdrawals;

  /** Posts of storms' messages one too many that Slack refused to delete, deleted by the alert loop's sweep. */
  readonly stormWithdrawals: StormWithdrawals;

  /** The storm steps (storm, joined, past_cap) and the messages they keep. */
  private readonly storms: StormSteps;

  /** Alert incidents whose refusal by Slack this process has told (once each: every retry would fail alike). */
  private readonly toldNotDeclared = new Set<number>();

  /**
   * Slack refused what declaring the alert incident needs (its channel: `restricted_action`, a missing scope), which no
   * retry gets over soon: nobody is paged until it is declared, so the incidents channel and the on-call are told at
   * once, directly, with what to do. Once per alert incident by this process; a failure to tell is logged.
   */
  private async tellNotDeclared(ai: AlertIncidentRow, err: ChatPlatformError): Promise<void> {
    if (TRANSIENT_SLACK_ERRORS.has(err.slackError) || this.toldNotDeclared.has(ai.id)) return;
    this.toldNotDeclared.add(ai.id);
    const view = {
      title: ai.security || securityAlert(this.rules, this.more.sensitive, ai) ? null : ai.title,
      severity: ai.severity,
      source: ai.source,
      slackError: err.slackError,
    };
    try {
      const to =
        (await this.more.onCall?.().catch((e: unknown) => {
          this.log.warn('could not read who is on call, to tell them an alert could not be declared', e);
          return [];
        })) ?? [];
      await this.chat.tellNotDeclared(view, to);
    } catch (e) {
      this.log.warn(`could not tell that alert incident ${ai.id} could not be declared`, e);
    }
  }

  run(step: AlertStep): Promise<void> {
    switch (step.kind) {
      case 'declare':
        return this.declare(step.alertIncident);
      case 'card':
        // Planned once the incident was declared: its card is refreshed without reading the alert incident again.
        return step.incident !== undefined ? this.refreshCard(step.incident) : this.card(step.alertIncident);
      case 'notice':
        return this.notice(step.alert);
      case 'all_resolved':
        return this.allResolved(step.alertIncident);
      case 'fired_again':
        return this.firedAgain(step.alertIncident);
      case 'outranked':
        return this.outranked(step.alerts ?? [step.alert], step.incident);
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

  /** Declares the incident of an alert incident, through the incident service, as if the bot had typed it. */
  async declare(alertIncidentId: number): Promise<void> {
    // In progress from its first step (what waits for declarations sees it at once).
    this.inProgress.add();
    let refresh: number | null;
    try {
      refresh = await this.declareOnce(alertIncidentId);
    } finally {
      this.inProgress.done();
    }
    // Alerts recorded while it was being declared may have come after its card was posted.
    if (refresh !== null) await this.refreshCard(refresh);
  }

  /** Declares it unless done already; the incident whose card is then to be refreshed, if any. */
  private async declareOnce(alertIncidentId: number): Promise<number | null> {
    const ai = await getAlertIncident(this.db, alertIncidentId);
    // Declared by an earlier attempt of this step whose card refresh then failed (or by another process): the alerts
    // recorded while it was being declared are on its card only once that refresh is made, so it is made now.
    if (ai?.state === 'declared') return ai.incidentId;
    if (ai?.state !== 'declaring') return null;
    if (ai.incidentId !== null) {
      // Declared by an earlier attempt (or another process): done once whole; its declaration is finished by the
      // declarations sweep if its process died.
      const declaring = await isDeclaring(this.db, ai.incidentId);
      if (declaring !== false) throw new NotYet(`incident ${ai.incidentId} is still being declared`);
      await this.declared(ai);
      return ai.incidentId;
    }
    try {
      await this.channels?.take();
    } catch (err) {
      // The budget is spent (a storm, or people declaring too): the alert incident waits its turn, never dropped.
      if (err instanceof RateLimitedError) {
        await this.tellBudgetSpent(err);
        await this.tellWaiting(ai, err);
        throw new NotYet(
          `Slack's channel budget is spent; declaring again in ${err.retryAfterMs} ms`,
          err.retryAfterMs,
        );
      }
      throw err;
    }
    return this.declareNew(ai);
  }

  /** Until when this process has told the incidents channel that incidents from alerts wait for channels. */
  private budgetToldUntil = 0;

  /**
   * Slack's channel budget is spent and incidents from alerts wait: the incidents channel is told, once a window of the
   * limit by this process (a person declaring is told in their answer; alerts have nobody to answer), when the next
   * comes. A failure to tell is logged: the declaration waits its turn either way.
   */
  private async tellBudgetSpent(err: RateLimitedError): Promise<void> {
    // Once a window of the limit, not at each declaration that waits (the window slides: the next slot is often a
    // second or two away, and each wait was told again).
    if (Date.now() < this.budgetToldUntil) return;
    this.budgetToldUntil = Date.now() + Math.max(err.windowMs ?? 0, err.retryAfterMs, 1000);
    try {
      await this.chat.tellChannelBudget({
        limit: err.limit ?? "Slack's limit on new channels is reached",
        nextInMs: err.retryAfterMs,
      });
    } catch (e) {
      this.log.warn('could not tell the incidents channel that incidents from alerts wait for channels', e);
    }
  }

  /**
   * A critical alert's incident waits for the channel budget: its page goes out with the incident, once its channel
   * exists, so the people it will page (on-call) are told now, by direct message, what fired and that the page
   * follows. Once per alert incident whatever the attempts and replicas (claimed in alert_step_posts first; a telling
   * Slack refuses gives the claim back, for the next attempt). A failure to tell is logged: it waits its turn anyway.
   */
  private async tellWaiting(ai: AlertIncidentRow, err: RateLimitedError): Promise<void> {
    const claim = `channel-wait:${ai.id}`;
    try {
      const to = (await this.more.onCall?.()) ?? [];
      if (to.length === 0 || (await claimStepPost(this.db, claim)).kind !== 'mine') return;
      const view = {
        title: ai.security || securityAlert(this.rules, this.more.sensitive, ai) ? null : ai.title,
        severity: ai.severity,
        source: ai.source,
        nextInMs: err.retryAfterMs,
      };
      await this.chat.tellWaitingForChannel(view, to).catch(async (e: unknown) => {
        await releaseStepPost(this.db, claim).catch(() => {});
        throw e;
      });
    } catch (e) {
      this.log.warn(`could not tell on-call that alert incident ${ai.id} waits for a channel`, e);
    }
  }

  /**
   * Once every declaration this process is making has its card up, or `cardsFirstMaxMs` from now at most: each
   * declaration waits for it before its pin, announcement and playbook.
   */
  cardsUp(): Promise<void> {
    return this.beforeCard.none(this.more.cardsFirstMaxMs ?? CARDS_FIRST_MAX_MS);
  }

  /**
   * The incidents whose timers wait now, and until when at most: those this process is declaring from alerts, from
   * their declaring transaction until the storm's cards are up (their own wait in cardsUp ends), twice
   * `cardsFirstMaxMs` at most. The timer loop claims no timer of theirs meanwhile, so that a storm's first pages (and
   * the card refreshes after them) come after its cards, as its pins, announcements and playbooks do; every other
   * timer (a person's Escalate now, another incident's page, a hand-off notice) is claimed as usual.
   */
  cardsFirst(): { incidents: number[]; until: Date | null } {
    const maxMs = 2 * (this.more.cardsFirstMaxMs ?? CARDS_FIRST_MAX_MS);
    const now = Date.now();
    const incidents: number[] = [];
    let until = Number.POSITIVE_INFINITY;
    for (const [id, since] of this.holding) {
      if (now - since >= maxMs) {
        this.holding.delete(id);
        continue;
      }
      incidents.push(id);
      until = Math.min(until, since + maxMs);
    }
    return { incidents, until: incidents.length > 0 ? new Date(until) : null };
  }

  /** Its timers wait no more: the timer loop is woken to claim them. */
  private release(incidentId: number | null): void {
    if (incidentId !== null && this.holding.delete(incidentId)) this.more.cardsFirstReleased?.();
  }

  /** Declarations this process is making now. */
  get declaring(): number {
    return this.inProgress.count;
  }

  /** Once this process has no declaration in progress, or after `maxMs`. */
  declarationsDone(maxMs: number): Promise<void> {
    return this.inProgress.none(maxMs);
  }

  /** Declares it; the incident whose card is then to be refreshed (none when another declaration took it). */
  private async declareNew(ai: AlertIncidentRow): Promise<number | null> {
    const self = await this.chat.self();
    // Cards first: a storm opens many incidents at once, and each waits, once its card is up, for the others' cards
    // before its pin, announcement, pages and playbook (a few hundred ms), so that every card comes up as soon as it
    // can, not after the rest of the first ones. Their announcements then come in the order of their numbers.
    let posted = false;
    const cardUp = () => {
      if (posted) return;
      posted = true;
      this.beforeCard.done();
    };
    this.beforeCard.add();
    const turn = this.announcements.take();
    /** When its first alert fired, as read with its alerts in the declaring transaction. */
    let firstFired: number | null = null;
    /** The incident whose timers wait for the storm's cards, from its declaring transaction. */
    let held: number | null = null;
    const r = await this.incidents
      .declare(
        {
          teamId: self.teamId,
          reporterId: self.botUserId,
          title: ai.title,
          severity: ai.severity,
          requestKey: `alerts:${ai.id}:${randomUUID()}`,
          source: 'alert',
          // Opened for security alerts (their side kept: its title, cut to fit, may not read as one), or its row's.
          ...(ai.security || (ai.rule && this.rules.get(ai.rule)?.security) ? { security: true } : {}),
        },
        {
          within: async (tx, incident) => {
            // Its timers (started when it is made whole) wait for the storm's cards.
            held = incident.id;
            this.holding.set(incident.id, Date.now());
            // Linked, and its alerts read, in one statement.
            const linked = await linkIncidentReadingAlerts(tx, ai.id, incident.id);
            if (!linked) {
              throw new DomainError('alert_incident_taken', 'Another process is declaring this alert incident.');
            }
            const { alerts, storm } = linked;
            // A storm that joined it meanwhile is read with the link (not from `ai`, read before: its note was lost).
            await this.recordOpening(tx, ai.id, incident.id, ai.source, ai.previousIncidentId, alerts, storm);
            // Detected when its first alert fired that is not an info alert (recorded only), unless only those fired.
            const pressing = alerts.some((a) => a.level !== 'info') ? alerts.filter((a) => a.level !== 'info') : alerts;
            firstFired = pressing.length ? Math.min(...pressing.map((a) => a.firstSeen.getTime())) : null;
          },
          afterCard: () => {
            cardUp();
            return this.cardsUp().finally(() => this.release(held));
          },
          announceInTurn: (incident, announce) => turn.inTurn(incident, announce),
        },
      )
      .finally(() => {
        cardUp();
        this.release(held);
        turn.leave();
      })
      .catch(async (err: unknown) => {
        // Slack refused its channel: nobody is paged until it is declared, so people are told now.
        if (err instanceof ChatPlatformError) await this.tellNotDeclared(ai, err);
        throw err;
      });
    if (r.kind === 'declared') {
      if (firstFired !== null) {
        const seconds = Math.max(0, (r.incident.createdAt.getTime() - firstFired) / 1000);
        this.metrics?.reached('detect', r.incident.severity, seconds);
      }
      await this.declared(ai);
      // Its card was just posted: refreshed no sooner than a refresh would follow another (not while the other
      // declarations of a storm are still posting theirs).
      this.refreshedAt.set(r.incident.id, Date.now());
      return r.incident.id;
    }
    // Another attempt of it holds the declaration (a process that died took it, and the sweep finishes it).
    return null;
  }

  /**
   * Marks an alert incident declared under its group's and its source's locks, so that a delivery being recorded
   * meanwhile either is on the card refreshed after this, or sees it declared and refreshes the card itself.
   */
  private async declared(ai: AlertIncidentRow): Promise<void> {
    await markDeclaredUnderLocks(this.db, ai.id, groupLockKey(ai.source, ai.groupKey), sourceLockKey(ai.source));
  }

  /** The timeline of an incident opened from alerts: where they came from, and each alert's firing (and resolution). */
  async recordOpening(
    tx: Queryable,
    alertIncidentId: number,
    incidentId: number,
    source: string,
    previousIncidentId: number | null,
    /** Its alerts, when the caller read them already. */
    read?: AlertRow[],
    /** A storm joined it while it was being declared (said on its timeline after the alerts). */
    storm = false,
  ): Promise<void> {
    const alerts = read ?? (await alertsOfAlertIncident(tx, alertIncidentId));
    const previous = previousIncidentId ? await getIncident(tx, previousIncidentId) : null;
    await insertEvents(tx, incidentId, [
      {
        kind: 'note',
        actorId: null,
        details: {
          text: `Opened from ${alerts.length === 1 ? 'an alert' : `${alerts.length} alerts`} of ${source}${previous ? `; the same alert was in ${previous.private ? 'a private incident' : `incident #${previous.number}`} before, resolved` : ''}`,
        },
      },
      ...alertEvents(alerts),
      ...(storm ? [{ kind: 'note' as const, actorId: null, details: { text: stormNote(source) } }] : []),
    ]);
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

  /** Posts or updates the notice an alert is shown in (its lead's, listing the group's alerts it holds). */
  async notice(alertId: number): Promise<void> {
    const alert = await getAlert(this.db, alertId);
    if (!alert) return;
    const lead = alert.noticeLead === null ? alert : await getAlert(this.db, alert.noticeLead);
    if (!lead) return;
    const view = await this.noticeView(lead);
    if (lead.notice) {
      await this.chat.updateAlertNotice(lead.notice, view);
      // Withdrawn (its group's private incident took it): on-call's copies, if any, are withdrawn too; those Slack
      // refuses now are drawn by the alert loop's sweep until it takes them (NoticeDmWithdrawals).
      if (view.withdrawn) await this.withdrawDirect(lead, view).catch((err) => this.noticeDms.later(lead.id, err));
      // A security alert's notice: on-call's copies follow it; one that turned security (a security alert joined
      // its group, or an alert's summary now reads as one) is sent them now.
      else if (view.security) await this.directNotice(lead, view);
      return;
    }
    // Never posted, and withdrawn already: nothing to withdraw, nor to post.
    if (view.withdrawn) return;
    const inChannel = await this.chat.postAlertNotice(view);
    // A security alert: what fired goes to on-call directly, once, as its notice is first posted (the incidents
    // channel hears only that one fired); after it, so that a refusal there does not send it twice. Without an
    // incidents channel, the first direct message is its notice.
    const direct = view.security ? await this.sendToOnCall(view) : [];
    const posted = inChannel ?? direct[0] ?? null;
    if (posted) await recordNotice(this.db, lead.id, posted.channel, posted.ts);
    else
      this.log.info(`${lead.level} alert ${lead.name} (${lead.source}) recorded; no INCIDENTS_CHANNEL for its notice`);
    if (direct.length) await recordNoticeDms(this.db, lead.id, direct);
  }

  /**
   * A security notice's direct messages to on-call: sent (and recorded) when none were, else each updated as the
   * notice changes (resolved, declared, more alerts). A copy Slack refuses to update is logged.
   */
  private async directNotice(lead: AlertRow, view: AlertNoticeView): Promise<void> {
    if (!lead.noticeDms) {
      const sent = await this.sendToOnCall(view);
      if (sent.length) await recordNoticeDms(this.db, lead.id, sent);
      return;
    }
    const same = (dm: { channel: string; ts: string }) =>
      lead.notice !== null && dm.channel === lead.notice.channel && dm.ts === lead.notice.ts;
    for (const dm of lead.noticeDms.filter((d) => !same(d))) {
      await this.chat
        .updateAlertNotice(dm, view)
        .catch((err) => this.log.warn(`could not update on-call's copy of security alert ${lead.id}'s notice`, err));
    }
  }

  /**
   * A notice withdrawn (AlertNoticeView.withdrawn): on-call's direct copies of it, if it was sent them (when it read as
   * a security matter), say so too, naming nothing of the alert; none is sent now. Each is tried; one Slack failed to
   * update for a passing reason is thrown once the others are done (the notice step leaves them due to the alert loop's
   * sweep, which draws them until Slack takes them: the whole notice must not stay in a DM); one Slack will never
   * update (DM_NEVER_UPDATED: gone, the account closed) is let be, and logged.
   */
  private async withdrawDirect(lead: AlertRow, view: AlertNoticeView): Promise<void> {
    let failed: unknown = null;
    for (const dm of lead.noticeDms ?? []) {
      if (lead.notice && dm.channel === lead.notice.channel && dm.ts === lead.notice.ts) continue;
      try {
        await this.chat.updateAlertNotice(dm, view);
      } catch (err) {
        if (err instanceof ChatPlatformError && DM_NEVER_UPDATED.has(err.slackError))
          this.log.warn(`on-call's copy of alert ${lead.id}'s withdrawn notice cannot be updated any more`, err);
        else failed ??= err;
      }
    }
    if (failed) throw failed;
  }

  /**
   * The sweep's drawing of a lead's copies (NoticeDmWithdrawals): withdrawn as its notice is now; nothing when it is
   * not withdrawn any more (its notice's step draws the copies as it stands) or was never sent them. Throws while Slack
   * refuses one.
   */
  private async withdrawNoticeDms(leadId: number): Promise<void> {
    const lead = await getAlert(this.db, leadId);
    if (!lead?.noticeDms?.length) return;
    const view = await this.noticeView(lead);
    if (view.withdrawn) await this.withdrawDirect(lead, view);
  }

  /**
   * A security alert's notice, whole, to the people a declaration pages first (on-call): where each went. Nobody to
   * send it to, or Slack refusing every one, is logged: the incidents channel says one fired all the same.
   */
  private async sendToOnCall(view: AlertNoticeView): Promise<{ channel: string; ts: string }[]> {
    const a = view.alert;
    try {
      const to = (await this.more.onCall?.()) ?? [];
      if (to.length === 0) {
        this.log.warn(`security ${a.level} alert ${a.name} (${a.source}): nobody on call to send its notice to`);
        return [];
      }
      return await this.chat.sendAlertNotice(view, to);
    } catch (err) {
      this.log.warn(`could not send the notice of security alert ${a.id} to on-call`, err);
      return [];
    }
  }

  /** What a lead's notice shows: the lead, the other alerts shown in it (at most NOTICE_LISTED), where they went. */
  async noticeView(lead: AlertRow): Promise<AlertNoticeView> {
    const shown = await alertsOfNotice(this.db, lead.id, NOTICE_LISTED);
    // Declared from the notice (every loose alert of the group joins), or the lead joined an incident.
    const inIncident = [lead, ...shown.alerts].find((a) => a.alertIncidentId !== null);
    const rule = lead.rule ? this.rules.get(lead.rule) : undefined;
    const ai = inIncident?.alertIncidentId ? await getAlertIncident(this.db, inIncident.alertIncidentId) : null;
    const incident = ai?.incidentId ? await getIncident(this.db, ai.incidentId) : null;
    // Added to an incident already open (Add to incident), rather than declared from the notice.
    const attached = ai?.attachedBy ? { attached: true as const } : {};
    // Sent by storm control to an incident opened for another group's alerts (its source past its cap, as when a window
    // held it back and it fired on after): it joined that incident, nobody declared one from it.
    const joined =
      ai &&
      inIncident &&
      !ai.attachedBy &&
      !ai.declaredBy &&
      ai.storm &&
      (ai.source !== inIncident.source || ai.groupKey !== inIncident.groupKey)
        ? { joined: true as const }
        : {};
    // Not in an incident now, it was in one before (resolved, then it fired again): the notice says which.
    // (A group's notice lists several alerts: not said of one of them.)
    const single = shown.total <= 1 && lead.noticeLeftOut === 0;
    const earlier = incident || !single ? null : await earlierIncidentOf(this.db, lead);
    const before = earlier ? await getIncident(this.db, earlier) : null;
    // The same check as the recorder's (which side an alert joins) and the declare form's (Private ticked).
    // Every alert of the notice, not only those it lists (a security alert past the first ten was posted nowhere).
    const isSecurity = (a: { rule: string | null; name: string; summary: string }) =>
      securityAlert(this.rules, this.more.sensitive, { rule: a.rule, title: alertTitle(a.summary, a.name) });
    const secret =
      [lead, ...shown.alerts].some(isSecurity) ||
      (shown.total > shown.alerts.length && (await alertsOfNoticeTitles(this.db, lead.id)).some(isSecurity));
    // In a private incident (a security alert's group keeps all its alerts with it): nothing of it said in public.
    const security = incident?.private === true || secret;
    return {
      alert: lead,
      ...(security ? { security: true as const } : {}),
      // Not a security alert itself, its group's private incident took it: the public notice is withdrawn, saying
      // nothing of why (a 'security alert fired' there would tell what the private incident is about).
      ...(security && !secret ? { withdrawn: true as const } : {}),
      ...(shown.total > 1 || lead.noticeLeftOut > 0
        ? { group: { alerts: shown.alerts, total: shown.total, firing: shown.firing, leftOut: lead.noticeLeftOut } }
        : {}),
      rule: rule
        ? {
            name: rule.name,
            action: rule.action,
            threshold: rule.threshold,
            duration: rule.duration,
            severity: rule.severity,
            playbook: rule.playbook
              ? { id: rule.playbook, title: this.more.playbookTitle?.(rule.playbook) ?? rule.playbook }
              : null,
          }
        : null,
      ...(before
        ? {
            before: before.private
              ? { private: true as const }
              : { number: before.number, channelId: before.channelId },
          }
        : {}),
      // The incidents channel is everyone's: a private incident is not named there.
      declared: !incident
        ? null
        : incident.private
          ? { private: true, ...attached, ...joined }
          : {
              number: incident.number,
              channelId: incident.channelId,
              by: ai?.declaredBy ?? incident.reporterId,
              ...attached,
              ...joined,
            },
    };
  }

  /**
   * Critical alerts joined an incident declared before them: when the incident (open, whole) is less severe than their
   * rows declare (SEV-1 without a row), its channel is told, with how to raise it; once, in one message for them all,
   * and not again at that severity until the severity changes (recorded on the timeline: `raise_offered`). The
   * severity is not raised by itself: people declared it, and may know better; a critical alert in a SEV-3 must not go
   * unseen either.
   */
  private async outranked(alertIds: readonly number[], incidentId: number): Promise<void> {
    // One read for them all: a group of 150 critical alerts joining at once is one statement, not 150.
    const alerts = (await getAlerts(this.db, alertIds)).filter((a) => a.status === 'firing');
    if (alerts.length === 0) return;
    const incident = await getIncident(this.db, incidentId);
    if (!incident || incident.status === 'resolved' || !incident.channelId) return;
    const ruled = alerts.map((alert) => {
      const rule = alert.rule ? this.rules.get(alert.rule) : undefined;
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
    const offered = await this.db.transaction((tx) =>
      recordRaiseOffer(tx, incident.id, severity, { alerts: alerts.map((a) => a.name) }),
    );
    // An offer at least as severe stands (made by an earlier delivery, and the severity not changed since).
    if (offered === null) return;
    try {
      await this.chat.tellOutranked(incident, {
        alert: lead.alert,
        others,
        severity,
        rule: rule ? { name: rule.name, threshold: rule.threshold, duration: rule.duration } : null,
      });
    } catch (err) {
      // Not offered after all: a later critical alert may offer it.
      await deleteEvent(this.db, offered).catch(() => {});
      throw err;
    }
  }

  async allResolved(alertIncidentId: number): Promise<void> {
    const declared = await this.declaredIncident(alertIncidentId);
    const ai = declared?.ai;
    // Gone, or an alert fired again since: nothing to say.
    if (!declared || !ai?.allResolvedAt) return;
    const incident = await getIncident(this.db, declared.incidentId);
    if (!incident || incident.status === 'resolved') return;
    // The incident's alerts as one: those people added to it (Add to incident) with those that opened it. Only an
    // incident opened from alerts is offered to resolve (or resolved, as its opening row says) once none fires.
    const opening = (await alertIncidentsOf(this.db, incident.id)).find((o) => !o.attachedBy);
    if (!opening) return;
    const view = await this.cards.view(incident.id);
    if (!view || pressing(view) > 0) return;
    if (opening.rule && this.rules.get(opening.rule)?.autoResolve) {
      const self = await this.chat.self();
      try {
        const r = await this.incidents.resolve(
          incident.id,
          self.botUserId,
          'Every alert of this incident resolved (the runbook resolves it on its own: auto_resolve).',
          `alerts-resolved:${ai.id}:${ai.allResolvedAt.getTime()}`,
        );
        for (const w of r?.warnings ?? []) this.log.warn(`auto-resolving incident ${incident.id}: ${w}`);
      } catch (err) {
        if (!(err instanceof AlreadyDoneError)) throw err;
      }
      return;
    }
    const offer = await this.chat.offerResolve(incident, view);
    if (!offer) return;
    await recordResolveOffer(this.db, ai.id, offer);
    // Resolved while the offer was on its way (the resolution found no offer to close): closed now.
    const now = await getIncident(this.db, incident.id);
    if (now?.status === 'resolved') await this.closeResolveOffers(now);
  }

  /**
   * The incident was resolved: each offer to resolve it still showing Resolve incident says so instead. One that
   * cannot be updated stays as it was (its button then answers that the incident is resolved), logged.
   */
  async closeResolveOffers(incident: Incident): Promise<void> {
    const why = { kind: 'resolved', by: incident.resolvedBy, at: incident.resolvedAt ?? new Date() } as const;
    await this.closeOffers(incident, await takeResolveOffers(this.db, { incident: incident.id }), why);
  }

  private async closeOffers(
    incident: Incident,
    offers: { channel: string; ts: string }[],
    why: OfferClosed,
  ): Promise<void> {
    if (offers.length === 0) return;
    const hasInfo = await hasInfoAlert(this.db, incident.id);
    for (const offer of offers) {
      await this.chat
        .closeResolveOffer(offer, incident, why, hasInfo)
        .catch((err) => this.log.warn(`could not update the offer to resolve incident ${incident.id}`, err));
    }
  }

  /**
   * An alert fired again after its channel was told every alert had resolved: told so, for the offer to resolve no
   * longer stands (the card alone changed, and a person reading the channel could resolve a live incident).
   */
  async firedAgain(alertIncidentId: number): Promise<void> {
    const declared = await this.declaredIncident(alertIncidentId);
    const ai = declared?.ai;
    // Gone, or every alert resolved again since (a new offer says so): nothing to say.
    if (!declared || !ai || ai.allResolvedAt) return;
    const incident = await getIncident(this.db, declared.incidentId);
    if (!incident || incident.status === 'resolved') return;
    const view = await this.cards.view(incident.id);
    if (!view || pressing(view) === 0) return;
    // The offer above loses its button first, then the channel is told why.
    // Whichever of its alert incidents' resolving made the offer (one people added may have been the last).
    const offers = await takeResolveOffers(this.db, { incident: incident.id });
    // No offer stands (one closed when a firing alert was added, or never posted): nothing to say no longer stands.
    if (offers.length === 0) return;
    await this.closeOffers(incident, offers, { kind: 'fired_again', at: new Date() });
    await this.chat.tellFiredAgain(incident, view);
  }

  /**
   * People changed which alerts an incident opened from alerts holds (Add to an open incident, Take it out): whether
   * every alert of it has resolved may have changed with them. One that fires among those added: an offer to resolve
   * standing no longer does (said in place). None firing once some were taken out: offered to resolve (or resolved, as
   * its opening row says), as when its last alert resolves, unless an offer stands already.
   */
  async alertsChangedByHand(incidentId: number): Promise<void> {
    const ais = await alertIncidentsOf(this.db, incidentId);
    const opening = ais.find((o) => !o.attachedBy);
    if (!opening) return;
    const view = await this.cards.view(incidentId);
    const incident = await getIncident(this.db, incidentId);
    if (!view || !incident || incident.status === 'resolved') return;
    if (pressing(view) > 0) {
      const offers = await takeResolveOffers(this.db, { incident: incidentId });
      await this.closeOffers(incident, offers, { kind: 'added', at: new Date() });
      return;
    }
    if (view.total === 0 || (await hasResolveOffer(this.db, incidentId))) return;
    if (!opening.allResolvedAt) await setAllResolved(this.db, opening.id, true);
    await this.allResolved(opening.id);
  }
}

/** Work in progress, counted: what waits for none to be left is woken when the count falls to zero. */
class InFlight {
  count = 0;
  private readonly waiters: (() => void)[] = [];

  add(): void {
    this.count++;
  }

  done(): void {
    if (--this.count === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Once none is in progress (at once if none is), or after `maxMs`. */
  none(maxMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      // Timed out: no longer waiting (the timer loop waits here every round while declarations are slow).
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(wake);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      }, maxMs);
      this.waiters.push(wake);
    });
  }
}
