import { randomUUID } from 'node:crypto';
import { type AlertRow, alertsOfAlertIncident, linkIncidentReadingAlerts } from '../store/alert.repo.js';
import { type AlertIncidentRow, getAlertIncident, markDeclaredUnderLocks } from '../store/alert-incident.repo.js';
import { groupLockKey, sourceLockKey } from '../store/alert-lock.repo.js';
import { claimStepPost, releaseStepPost } from '../store/alert-posts.repo.js';
import type { Queryable } from '../store/db.js';
import { insertEvents } from '../store/event.repo.js';
import { getIncident, isDeclaring } from '../store/incident.repo.js';
import { alertEvents, securityAlert } from './alert-rows.js';
import type { AlertStepsDeps } from './alert-steps.js';
import { stormNote } from './alert-storm-notes.js';
import { AnnounceOrder } from './announce-order.js';
import { ChatPlatformError, DomainError } from './errors.js';
import { NotYet } from './not-yet.js';
import { RateLimitedError } from './rate-limits.js';

/** A declaration whose card is up waits at most this long for the cards of the others being declared with it. */
const CARDS_FIRST_MAX_MS = 2000;
/** An announcement waits at most this long for those of lower numbers declared with it (see AnnounceOrder). */
const ANNOUNCE_IN_ORDER_MAX_MS = 5000;

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
 * The declare step (AlertStep `declare`): an alert incident declared through the incident service, as if the bot had
 * typed it, once however often the step runs; Slack's channel budget spent, or its channel refused, told; a storm's
 * declarations putting every card up first (cardsUp, cardsFirst), then announcing in the order of their numbers.
 * AlertSteps runs it.
 */
export class DeclareSteps {
  constructor(private readonly d: AlertStepsDeps) {}

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
      title: ai.security || securityAlert(this.d.rules, this.d.more.sensitive, ai) ? null : ai.title,
      severity: ai.severity,
      source: ai.source,
      slackError: err.slackError,
    };
    try {
      const to =
        (await this.d.more.onCall?.().catch((e: unknown) => {
          this.d.log.warn('could not read who is on call, to tell them an alert could not be declared', e);
          return [];
        })) ?? [];
      await this.d.chat.tellNotDeclared(view, to);
    } catch (e) {
      this.d.log.warn(`could not tell that alert incident ${ai.id} could not be declared`, e);
    }
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
    if (refresh !== null) await this.d.refreshCard(refresh);
  }

  /** Declares it unless done already; the incident whose card is then to be refreshed, if any. */
  private async declareOnce(alertIncidentId: number): Promise<number | null> {
    const ai = await getAlertIncident(this.d.db, alertIncidentId);
    // Declared by an earlier attempt of this step whose card refresh then failed (or by another process): the alerts
    // recorded while it was being declared are on its card only once that refresh is made, so it is made now.
    if (ai?.state === 'declared') return ai.incidentId;
    if (ai?.state !== 'declaring') return null;
    if (ai.incidentId !== null) {
      // Declared by an earlier attempt (or another process): done once whole; its declaration is finished by the
      // declarations sweep if its process died.
      const declaring = await isDeclaring(this.d.db, ai.incidentId);
      if (declaring !== false) throw new NotYet(`incident ${ai.incidentId} is still being declared`);
      await this.declared(ai);
      return ai.incidentId;
    }
    try {
      await this.d.channels?.take();
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
      await this.d.chat.tellChannelBudget({
        limit: err.limit ?? "Slack's limit on new channels is reached",
        nextInMs: err.retryAfterMs,
      });
    } catch (e) {
      this.d.log.warn('could not tell the incidents channel that incidents from alerts wait for channels', e);
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
      const to = (await this.d.more.onCall?.()) ?? [];
      if (to.length === 0 || (await claimStepPost(this.d.db, claim)).kind !== 'mine') return;
      const view = {
        title: ai.security || securityAlert(this.d.rules, this.d.more.sensitive, ai) ? null : ai.title,
        severity: ai.severity,
        source: ai.source,
        nextInMs: err.retryAfterMs,
      };
      await this.d.chat.tellWaitingForChannel(view, to).catch(async (e: unknown) => {
        await releaseStepPost(this.d.db, claim).catch(() => {});
        throw e;
      });
    } catch (e) {
      this.d.log.warn(`could not tell on-call that alert incident ${ai.id} waits for a channel`, e);
    }
  }

  /**
   * Once every declaration this process is making has its card up, or `cardsFirstMaxMs` from now at most: each
   * declaration waits for it before its pin, announcement and playbook.
   */
  cardsUp(): Promise<void> {
    return this.beforeCard.none(this.d.more.cardsFirstMaxMs ?? CARDS_FIRST_MAX_MS);
  }

  /**
   * The incidents whose timers wait now, and until when at most: those this process is declaring from alerts, from
   * their declaring transaction until the storm's cards are up (their own wait in cardsUp ends), twice
   * `cardsFirstMaxMs` at most. The timer loop claims no timer of theirs meanwhile, so that a storm's first pages (and
   * the card refreshes after them) come after its cards, as its pins, announcements and playbooks do; every other
   * timer (a person's Escalate now, another incident's page, a hand-off notice) is claimed as usual.
   */
  cardsFirst(): { incidents: number[]; until: Date | null } {
    const maxMs = 2 * (this.d.more.cardsFirstMaxMs ?? CARDS_FIRST_MAX_MS);
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
    if (incidentId !== null && this.holding.delete(incidentId)) this.d.more.cardsFirstReleased?.();
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
    const self = await this.d.chat.self();
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
    const r = await this.d.incidents
      .declare(
        {
          teamId: self.teamId,
          reporterId: self.botUserId,
          title: ai.title,
          severity: ai.severity,
          requestKey: `alerts:${ai.id}:${randomUUID()}`,
          source: 'alert',
          // Opened for security alerts (their side kept: its title, cut to fit, may not read as one), or its row's.
          ...(ai.security || (ai.rule && this.d.rules.get(ai.rule)?.security) ? { security: true } : {}),
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
        this.d.metrics?.reached('detect', r.incident.severity, seconds);
      }
      await this.declared(ai);
      // Its card was just posted: refreshed no sooner than a refresh would follow another (not while the other
      // declarations of a storm are still posting theirs).
      this.d.cardPosted(r.incident.id);
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
    await markDeclaredUnderLocks(this.d.db, ai.id, groupLockKey(ai.source, ai.groupKey), sourceLockKey(ai.source));
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
