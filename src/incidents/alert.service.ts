import {
  type AlertIncidentRow,
  type AlertRow,
  alertIncidentsOf,
  alertsOf,
  alertsOfAlertIncident,
  cardRefreshed,
  claimDueCards,
  earlierIncidentOf,
  getAlert,
  getAlertIncident,
  getAlerts,
  insertAlertIncident,
  linkAlerts,
  looseAlertsOfGroup,
  moveGroupTruncated,
  setAlertIncidentState,
} from '../store/alert.repo.js';
import {
  claimDeliveries,
  type DeliveryBatch,
  type DeliveryRow,
  finishDelivery,
  forgetOldHashes,
  lockDeliveries,
  markStepDone,
  nextDeliveryDueAt,
  purgeFinishedDeliveries,
  renewDeliveries,
  retryDelivery,
} from '../store/alert-delivery.repo.js';
import { groupLockKey, lockGroup } from '../store/alert-lock.repo.js';
import type { Database } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident, openIncidentFor } from '../store/incident.repo.js';
import { attachToIncident, detachFromIncident } from './alert-attach.js';
import { type AlertCards, leftOut } from './alert-cards.js';
import { firingNow } from './alert-firing.js';
import { labelSeverity } from './alert-formats.js';
import { HeartbeatChecks } from './alert-heartbeats.js';
import { HeldBackRelease } from './alert-held-back.js';
import { type Accepted, writeDelivery } from './alert-inbox.js';
import { type AlertChat, type MaintenanceWindows, NOT_IN_MAINTENANCE } from './alert-ports.js';
import { AlertRecorder } from './alert-recorder.js';
import { bringBack } from './alert-reopen.js';
import { alertTitle, isOpen, securityAlert } from './alert-rows.js';
import { AlertSteps, NotYet } from './alert-steps.js';
import {
  type AlertDelivery,
  type AlertLevel,
  type AlertList,
  type AlertQuery,
  type AlertRule,
  type FiringAlerts,
  pressingCount,
} from './alert-types.js';
import { AlreadyDoneError, ChatPlatformError, DomainError } from './errors.js';
import type { DeclareResult, IncidentService } from './incident.service.js';
import type { IncidentMetrics, Logger } from './ports.js';
import { type Signal, Slots, signal } from './queues.js';
import type { Severity } from './severity.js';
import type { ClaimWithNext, Sweep, TimerSource } from './timer-loop.js';
import type { Incident, Unchanged } from './types.js';

/** The same body from the same source within this long is a retry of a delivery (or an HA pair's copy of it). */
export const DUPLICATE_WINDOW_MS = 30_000;
/** How often the hashes of old deliveries are forgotten. */
const FORGET_EVERY_MS = 60_000;
export const DELIVERY_RETENTION_MS = 30 * 86_400_000;
/** Attempts at a delivery's plan before it is given up (its alerts stay recorded and shown). */
const MAX_ATTEMPTS = 12;
/**
 * Slack refusing a channel the plan posts in (the bot removed from the incidents channel, the channel archived or
 * deleted, a scope taken away) is not a passing fault: a person has to fix it, which takes longer than the attempts
 * above last (about six minutes). Such a delivery is tried again (every minute, at most) for this long after it came,
 * whatever its attempts, so that what it has left to post (a notice, a storm's message) goes out once the bot is
 * invited back; it is logged as an error, once here, with the fix, and /health reports it meanwhile.
 */
export const CHANNEL_REFUSED_RETRY_MS = 60 * 60_000;
/** Slack's answers that mean a person must fix a channel or the app (see CHANNEL_REFUSED_RETRY_MS). */
const NEEDS_A_PERSON = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'missing_scope',
  'restricted_action',
  'no_permission',
]);
/** Longest wait between two attempts. */
const MAX_BACKOFF_MS = 60_000;
/** A step waiting for a declaration in progress (here or in another process) looks again this soon. */
const WAIT_MS = 1000;
/** Deliveries recorded at once by one process (the rest of their work, mostly Slack calls, runs beside). */
const RECORDING_SLOTS = 3;
/** Deliveries waiting behind their group's first one, claimed with it (in all the batches of one claim) at most. */
const FOLLOWERS = 200;
/** A group with an incident waits this long at most for this process's declarations to finish before it is recorded. */
const DEFER_MAX_MS = 3000;
/**
 * The loop is woken at once for a delivery, then at most once in this long for those that follow (a storm's deliveries
 * are claimed a few at a time, not each by a claim of its own).
 */
const WAKE_EVERY_MS = 25;
/**
 * Repeats of a group with an open incident (this process's last recording of it left one): the loop is woken for
 * them at most this often, and they are recorded once the oldest of them is this old, with those that came meanwhile.
 * Their cards show repeats a while later anyway (ALERTS_REPEAT_REFRESH); a storm's repeats then cost a few
 * transactions a second, not one per claim.
 */
const REPEATS_GATHER_MS = 250;
/** Cards refreshed by one sweep at most, and how long one is claimed for. */
const DUE_CARDS_AT_ONCE = 50;
const DUE_CARD_LEASE_MS = 30_000;
/** At most this many open incidents are offered to add an alert to (a menu holds 100 options). */
const ATTACH_CHOICES_MAX = 100;
/** Groups remembered as having an open incident (a hint for what may wait, not a fact relied on). */
const OPEN_GROUPS_KEPT = 1000;

/** A source's new groups waiting here to be recorded together (AlertService.recordNewGroups). */
interface NewGroups {
  deliveries: DeliveryRow[];
  /** Each batch's word that its deliveries are recorded. */
  recorded: (() => void)[];
  /** Given once they are recorded and carried out. */
  over: Signal;
}

export interface AlertServiceOptions {
  maxIncidents: number;
  maintenance?: MaintenanceWindows;
  duplicateWindowMs?: number;
  /** Wakes the alert loop: a delivery was just accepted. */
  wake?: () => void;
  /** Slack's channel-creation budget, shared with people's declarations: past it, an alert incident waits its turn. */
  channels?: { take(): Promise<unknown> };
  /** Finished deliveries are deleted from the inbox this long after (ALERT_DELIVERY_RETENTION); default 30 days. */
  deliveryRetentionMs?: number;
  /** Counts each alert of an accepted delivery (a sender's retry of the same body is not counted again). */
  metrics?: Pick<IncidentMetrics, 'alertReceived' | 'reached'>;
  /** Whether an alert's title declares a private (security) incident: past the storm cap it joins only a private one. */
  sensitive?: (title: string) => boolean;
  /** The people a declaration pages first (user ids): told directly when Slack refuses an alert incident's channel. */
  onCall?: () => Promise<string[]>;
  /** A card shows repeats of its alerts (counts, last seen) this long after, at most (ALERTS_REPEAT_REFRESH). */
  repeatRefreshMs?: number;
  /** A playbook's title by its id: a warning's notice names its row's playbook, as the incident declared from it gets. */
  playbookTitle?: (id: string) => string | undefined;
}

/** What `accept` did with a delivery: written (its id), or recognised as a retry of an earlier one. */
export type { Accepted } from './alert-inbox.js';

/**
 * Monitoring alerts, from the inbox to incidents. `accept` writes a delivery (the hook answers 202 after it);
 * the alert loop claims deliveries (claim/run, a TimerSource), records each (AlertRecorder) and carries out its plan
 * (AlertSteps: declare, cards, notices, the offer to resolve). Every step is recorded as done, so a process killed
 * half-way leaves the rest to the next. Also what listeners ask of alerts: `/incident alerts`, a warning's declare form.
 */
/** The alert is in `incident` already: no incident was declared for it. */
const alreadyIn = (incident: Incident): { kind: 'already'; incident: Incident } & Unchanged => ({
  kind: 'already',
  incident,
  unchanged: `the alert is in incident #${incident.number} already: no incident was declared`,
});

export class AlertService implements TimerSource<DeliveryBatch>, Sweep {
  private readonly rules: ReadonlyMap<string, AlertRule>;
  private readonly recorder: AlertRecorder;
  /** What recorded deliveries do outside the database. */
  private readonly steps: AlertSteps;
  private forgotAt = 0;
  /** Deliveries recorded at once by this process: each holds a database connection while it is. */
  private readonly recording = new Slots(RECORDING_SLOTS);
  /**
   * New groups of a source are recorded one recording at a time here: opening their incidents takes the source's lock
   * (storm control), so recordings side by side would wait for it in the database, each holding a connection the
   * declarations need. Present while one is under way; its value, the batches that came meanwhile, merged, recorded
   * together next.
   */
  private readonly newGroups = new Map<string, NewGroups | null>();
  /** The deliveries of each batch being worked here, by its first one's id: their leases are renewed together. */
  private readonly held = new Map<number, number[]>();
  /** Groups whose last recording here left them an open incident: their repeats can wait for declarations. */
  private readonly openGroups = new Set<string>();
  private wokenAt = 0;
  /** The heartbeat rows of the runbook, checked each sweep. */
  private readonly heartbeats: HeartbeatChecks;
  private wakeLater: NodeJS.Timeout | null = null;
  /** When the wake planned (wakeLater) comes. */
  private wakeLaterAt = 0;
  /** When the last recording of repeats (of groups with an open incident) began here, or the one planned begins. */
  private repeatsAt = 0;
  /** Alerts a maintenance window held back, released once no window holds them (each sweep). */
  private readonly heldBack: HeldBackRelease;

  constructor(
    private readonly db: Database,
    private readonly incidents: IncidentService,
    chat: AlertChat,
    cards: AlertCards,
    rules: readonly AlertRule[],
    private readonly opts: AlertServiceOptions,
    private readonly log: Logger = console,
  ) {
    this.rules = new Map(rules.map((r) => [r.name, r]));
    this.recorder = new AlertRecorder(
      this.rules,
      opts.maxIncidents,
      opts.maintenance ?? NOT_IN_MAINTENANCE,
      opts.sensitive,
      opts.repeatRefreshMs,
    );
    this.steps = new AlertSteps(db, incidents, chat, cards, this.rules, log, opts.channels, opts.metrics, {
      ...(opts.onCall ? { onCall: opts.onCall } : {}),
      ...(opts.sensitive ? { sensitive: opts.sensitive } : {}),
      ...(opts.playbookTitle ? { playbookTitle: opts.playbookTitle } : {}),
    });
    this.heldBack = new HeldBackRelease(db, this.recorder, () => this.wake(), log);
    this.heartbeats = new HeartbeatChecks(
      db,
      this.rules,
      opts.maintenance ?? NOT_IN_MAINTENANCE,
      () => this.wake(),
      log,
    );
  }

  /** Writes a delivery to the inbox (durable once this resolves), then wakes the loop. */
  async accept(delivery: AlertDelivery, body: string): Promise<Accepted> {
    const r = await writeDelivery(this.db, delivery, body, this.opts.duplicateWindowMs ?? DUPLICATE_WINDOW_MS);
    if (!r.duplicate)
      this.received(
        delivery.source,
        delivery.groupKey,
        delivery.alerts.map((a) => a.level),
      );
    return r;
  }

  /**
   * Deliveries written to the inbox (here or by the acknowledging front): counted, and the loop woken for them, at
   * once for a group not known to have an incident (a new alert may need one), later for the repeats of one that has.
   */
  received(source: string, groupKey: string, levels: readonly AlertLevel[]): void {
    for (const level of levels) this.opts.metrics?.alertReceived(source, level);
    this.wake(this.openGroups.has(groupLockKey(source, groupKey)) ? REPEATS_GATHER_MS : WAKE_EVERY_MS);
  }

  /**
   * How long repeats whose oldest came at `oldest` wait before they are recorded: until that one is REPEATS_GATHER_MS
   * old, and REPEATS_GATHER_MS after the last recording of repeats here began, so that a storm's repeats are recorded a
   * few times a second whatever the claims (those claimed while a recording is planned join it). Never longer than
   * REPEATS_GATHER_MS from now.
   */
  private repeatsSlot(oldest: number): number {
    const now = Date.now();
    if (this.repeatsAt > now) return this.repeatsAt - now;
    this.repeatsAt = Math.max(now, oldest + REPEATS_GATHER_MS, this.repeatsAt + REPEATS_GATHER_MS);
    return this.repeatsAt - now;
  }

  /** Wakes the loop, at most once in `every` ms (a wake planned later than that comes sooner). */
  private wake(every = WAKE_EVERY_MS): void {
    const wake = this.opts.wake;
    if (!wake) return;
    const at = Math.max(Date.now(), this.wokenAt + every);
    if (this.wakeLater && this.wakeLaterAt <= at) return;
    if (this.wakeLater) clearTimeout(this.wakeLater);
    this.wakeLater = null;
    if (at <= Date.now()) {
      this.wokenAt = Date.now();
      wake();
      return;
    }
    this.wakeLaterAt = at;
    this.wakeLater = setTimeout(() => {
      this.wakeLater = null;
      this.wokenAt = Date.now();
      wake();
    }, at - Date.now());
    this.wakeLater.unref();
  }

  async claim(limit: number, leaseMs: number): Promise<ClaimWithNext<DeliveryBatch>> {
    if (Date.now() - this.forgotAt > FORGET_EVERY_MS) {
      this.forgotAt = Date.now();
      await forgetOldHashes(this.db).catch((err) => this.log.warn('could not forget old delivery hashes', err));
      await purgeFinishedDeliveries(this.db, this.opts.deliveryRetentionMs ?? DELIVERY_RETENTION_MS).catch((err) =>
        this.log.warn('could not delete old alert deliveries', err),
      );
    }
    // A source's groups waiting to be recorded go in one batch (one transaction): its new incidents are opened one
    // after another (storm control counts per source), and one transaction opens them all without waiting for others.
    const batches: DeliveryBatch[] = [];
    const bySource = new Map<string, DeliveryBatch>();
    const claimed = await claimDeliveries(this.db, limit, leaseMs, FOLLOWERS);
    for (const b of claimed.batches) {
      const head = b.deliveries[0]!;
      const same = head.state === 'received' ? bySource.get(head.source) : undefined;
      if (same) {
        same.deliveries.push(...b.deliveries);
        continue;
      }
      const batch = { id: b.id, deliveries: [...b.deliveries] };
      if (head.state === 'received') bySource.set(head.source, batch);
      batches.push(batch);
    }
    for (const b of batches) {
      b.deliveries.sort((x, y) => x.id - y.id);
      this.held.set(
        b.id,
        b.deliveries.map((d) => d.id),
      );
    }
    return { works: batches, nextDueAt: claimed.nextDueAt };
  }

  renew(ids: number[], leaseMs: number): Promise<void> {
    return renewDeliveries(
      this.db,
      ids.flatMap((id) => this.held.get(id) ?? [id]),
      leaseMs,
    );
  }

  nextDueAt(): Promise<Date | null> {
    return nextDeliveryDueAt(this.db);
  }

  /**
   * Records a claimed batch (its groups' deliveries, once, in one transaction), then carries out each group's plan,
   * side by side, which the group's last delivery holds (the others are done once recorded).
   */
  async run(batch: DeliveryBatch): Promise<void> {
    const head = batch.deliveries[0];
    try {
      if (head?.state !== 'received') {
        if (head) await this.carryOut(head);
        return;
      }
      // A storm's first minute: new incidents first. Repeats of groups already in an incident (their cards' counts)
      // wait while this process declares, and are recorded together after; a new group never waits.
      const known = (d: DeliveryRow) => this.openGroups.has(groupLockKey(d.source, d.groupKey));
      const urgent = batch.deliveries.filter((d) => !known(d));
      const later = batch.deliveries.filter(known);
      const urgentRecorded = signal();
      if (urgent.length === 0) urgentRecorded.give();
      await Promise.all([
        urgent.length > 0 ? this.recordNewGroups(head.source, urgent, urgentRecorded.give) : Promise.resolve(),
        (async () => {
          if (later.length === 0) return;
          // After the new groups' recording, whose declarations this waits for too.
          await urgentRecorded.done;
          if (this.steps.declaring > 0) await this.steps.declarationsDone(DEFER_MAX_MS);
          // Those that come meanwhile are claimed with the next batch, once these are recorded.
          const gather = this.repeatsSlot(Math.min(...later.map((d) => d.receivedAt.getTime())));
          if (gather > 0) await new Promise((r) => setTimeout(r, gather));
          await this.recordAndCarryOut(later);
        })(),
      ]);
    } finally {
      this.held.delete(batch.id);
    }
  }

  /**
   * Records a source's deliveries of groups new here as recordAndCarryOut does, once no other recording of the
   * source's new groups is under way here (see newGroups): those that come meanwhile wait, merged, and are recorded
   * together in one transaction. Over once its deliveries are recorded and carried out.
   */
  private recordNewGroups(source: string, deliveries: DeliveryRow[], recorded: () => void): Promise<void> {
    const busy = this.newGroups.has(source);
    const batch = (busy ? this.newGroups.get(source) : null) ?? { deliveries: [], recorded: [], over: signal() };
    batch.deliveries.push(...deliveries);
    batch.recorded.push(recorded);
    if (busy) {
      this.newGroups.set(source, batch);
    } else {
      this.newGroups.set(source, null);
      void this.recordNewGroupsInTurn(source, batch);
    }
    return batch.over.done;
  }

  private async recordNewGroupsInTurn(source: string, first: NewGroups): Promise<void> {
    for (let batch: NewGroups | null = first; batch; ) {
      const current: NewGroups = batch;
      const recordedNow = signal();
      // Told once recorded (or not), and in any case once over: nothing waits for ever, the next recording included.
      const tell = () => {
        for (const r of current.recorded) r();
        recordedNow.give();
      };
      current.deliveries.sort((x, y) => x.id - y.id);
      this.recordAndCarryOut(current.deliveries, tell)
        .catch((err) => this.log.warn(`could not work alert deliveries of ${source}; trying again later`, err))
        .finally(() => {
          tell();
          current.over.give();
        });
      // The next recording starts once this one is over; its declarations and the rest go on beside.
      await recordedNow.done;
      batch = this.newGroups.get(source) ?? null;
      if (batch) this.newGroups.set(source, null);
      else this.newGroups.delete(source);
    }
  }

  /**
   * Records deliveries (once, in one transaction), then carries out each group's plan, side by side. `recorded` is
   * called once the recording is over (made, with the plans' first steps started, or failed).
   */
  private async recordAndCarryOut(deliveries: DeliveryRow[], recorded?: () => void): Promise<void> {
    const ids = deliveries.map((x) => x.id);
    let left: DeliveryRow[];
    try {
      left = await this.recording.run(() =>
        this.db.transaction(async (tx) => {
          const current = await lockDeliveries(tx, ids);
          const fresh = current.filter((x) => x.state === 'received');
          // Taken over by another process (its lease ran out here): what it left to do, if anything.
          if (fresh.length === 0) return current.filter((x) => x.state === 'recorded');
          const byId = new Map(fresh.map((x) => [x.id, x]));
          const left: DeliveryRow[] = [];
          for (const r of await this.recorder.record(tx, fresh)) {
            this.rememberGroup(r.group, r.open);
            if (r.plan.length > 0) left.push({ ...byId.get(r.last)!, state: 'recorded', plan: r.plan, done: [] });
          }
          return left;
        }),
      );
      // Deliveries of these groups that came meanwhile can be claimed now.
      this.wake();
    } catch (err) {
      // Not recorded: these deliveries are tried again together, as often as the most tried of them allows.
      recorded?.();
      const last = deliveries[deliveries.length - 1]!;
      const attempts = Math.max(...deliveries.map((x) => x.attempts));
      await this.failed({ ...last, attempts, plan: [] }, ids, err);
      return;
    }
    // Started before `recorded` is told: a declaration among them counts as in progress from its first step.
    const carrying = Promise.all(left.map((d) => this.carryOut(d)));
    recorded?.();
    await carrying;
  }

  /** What is left of a recorded delivery's plan, step by step; the delivery is done after its last step. */
  private async carryOut(d: DeliveryRow): Promise<void> {
    if (d.state !== 'recorded') return;
    try {
      const done = new Set(d.done);
      const last = d.plan.length - 1;
      /** A step Slack refused for a reason a person must fix: the steps after it are carried out all the same. */
      let refused: ChatPlatformError | null = null;
      for (const [i, step] of d.plan.entries()) {
        if (done.has(i)) continue;
        try {
          await this.steps.run(step);
        } catch (err) {
          // A message the incidents channel refuses (the bot removed from it) does not hold back the cards and
          // messages of the plan's other steps for as long as it takes someone to invite the bot back; it is tried
          // again with the delivery. A declaration is another matter: what follows it needs its incident.
          if (!(err instanceof ChatPlatformError && NEEDS_A_PERSON.has(err.slackError)) || step.kind === 'declare')
            throw err;
          refused ??= err;
          continue;
        }
        // The last step is recorded done with the delivery (run again, should the process die in between).
        if (i < last || refused) await markStepDone(this.db, d.id, i);
      }
      if (refused) throw refused;
      await finishDelivery(this.db, d.id, 'done');
    } catch (err) {
      await this.failed(d, [d.id], err);
    }
  }

  private rememberGroup(group: string, open: boolean): void {
    if (!open) {
      this.openGroups.delete(group);
      return;
    }
    if (this.openGroups.size >= OPEN_GROUPS_KEPT) this.openGroups.clear();
    this.openGroups.add(group);
  }

  /**
   * The cards due to show repeats of their alerts (the alert loop's sweep, each round): refreshed, then no longer due.
   * A process that dies half-way leaves them due again once their claim runs out.
   */
  async sweep(): Promise<void> {
    await this.heldBack.sweep();
    await this.heartbeats.sweep();
    const due = await claimDueCards(this.db, DUE_CARDS_AT_ONCE, DUE_CARD_LEASE_MS);
    await Promise.all(
      due.map(async (c) => {
        try {
          await this.steps.refreshCard(c.incidentId);
          await cardRefreshed(this.db, c.id, c.claim);
        } catch (err) {
          this.log.warn(`could not refresh the card of incident ${c.incidentId}; trying again shortly`, err);
        }
      }),
    );
  }

  /** A batch failed: before it was recorded, every delivery of it (`ids`) is tried again; after, the one left. */
  private async failed(d: DeliveryRow, ids: number[], err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    try {
      // Waiting for a declaration is not a failed attempt.
      if (err instanceof NotYet) {
        return await retryDelivery(this.db, ids, err.delayMs ?? WAIT_MS, reason, { counted: false });
      }
      const needsAPerson = err instanceof ChatPlatformError && NEEDS_A_PERSON.has(err.slackError);
      const until = d.receivedAt.getTime() + CHANNEL_REFUSED_RETRY_MS;
      if (d.attempts < MAX_ATTEMPTS || (needsAPerson && Date.now() < until)) {
        if (needsAPerson) this.tellNeedsAPerson(d.id, err, until);
        else this.log.warn(`alert delivery ${d.id}: attempt ${d.attempts} failed; trying again`, err);
        return await retryDelivery(this.db, ids, Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (d.attempts - 1)), reason);
      }
      this.log.error(`alert delivery ${d.id}: given up after ${d.attempts} attempts (its alerts stay recorded)`, err);
      for (const step of d.plan) {
        if (step.kind !== 'declare') continue;
        const ai = await getAlertIncident(this.db, step.alertIncident);
        if (ai?.state === 'declaring' && ai.incidentId === null) {
          await setAlertIncidentState(this.db, step.alertIncident, 'failed');
        }
      }
      await finishDelivery(this.db, ids, 'failed', reason);
    } catch (inner) {
      // The database is gone too: the lease runs out and the delivery is taken again.
      this.log.warn(`alert delivery ${d.id}: could not record the failure`, inner);
    }
  }

  /** Deliveries whose refusal by Slack this process logged (once each). */
  private readonly toldNeedsAPerson = new Set<number>();

  /**
   * Slack refused a channel the plan posts in, which a person has to fix: logged as an error, once a delivery here,
   * with Slack's reason and the fix (the message says it), and until when it is tried again.
   */
  private tellNeedsAPerson(id: number, err: ChatPlatformError, until: number): void {
    if (this.toldNeedsAPerson.has(id)) return;
    if (this.toldNeedsAPerson.size >= 1000) this.toldNeedsAPerson.clear();
    this.toldNeedsAPerson.add(id);
    this.log.error(
      `alert delivery ${id}: ${err.message} What it has left to post is tried again every minute until ${new Date(until).toISOString()} (its alerts are recorded and on their cards meanwhile).`,
    );
  }

  /** The incident was resolved: its channel's offers to resolve it lose their button (AlertSteps.closeResolveOffers). */
  closeResolveOffers(incident: Incident): Promise<void> {
    return this.steps.closeResolveOffers(incident);
  }

  /**
   * The playbook the runbook's alert rows give an incident opened from alerts (suggested on it): the first matched
   * row's that names one; null when its alerts matched only rows that name none (the row's action, on the card, is the
   * procedure: no guess is made from the title); undefined when no row matched (or it was not opened from alerts).
   */
  async playbookFor(incidentId: number): Promise<string | null | undefined> {
    let matched = false;
    for (const ai of await alertIncidentsOf(this.db, incidentId)) {
      const row = ai.rule ? this.rules.get(ai.rule) : undefined;
      if (row?.playbook) return row.playbook;
      if (row) matched = true;
    }
    return matched ? null : undefined;
  }

  /**
   * How many alerts of an incident fire now (none for one opened by hand), for the resolve form to say so; 0 when they
   * cannot be read (the form opens all the same: the resolution says it again).
   */
  async firingOf(incidentId: number): Promise<number> {
    // Info alerts are recorded only: one still firing is not the trouble going on.
    return this.ofIncident(incidentId, 1).then(
      (l) => pressingCount(l),
      (err) => {
        this.log.warn(`could not count the firing alerts of incident ${incidentId} for its resolve form`, err);
        return 0;
      },
    );
  }

  /**
   * Every alert of an incident (`/incident alerts`): firing first, at most `limit`, and how many there are; with a
   * query, those holding its words, from its `from`th.
   */
  async ofIncident(incidentId: number, limit = 200, query: AlertQuery = { words: [], from: 1 }): Promise<AlertList> {
    const ais = await alertIncidentsOf(this.db, incidentId);
    const list = await alertsOf(
      this.db,
      ais.map((a) => a.id),
      limit,
      query,
    );
    // What their sources left out of the groups' latest deliveries (Alertmanager's max_alerts): not recorded, said.
    return { ...list, query, truncated: leftOut(ais) };
  }

  /**
   * What is firing now, whatever the source (`/incident alerts` outside an incident channel), most severe first: each
   * alert with where it is. An incident `userId` may not see (private) is named as private, not by number.
   */
  firingNow(userId: string, limit = 100, query: AlertQuery = { words: [], from: 1 }): Promise<FiringAlerts> {
    return firingNow(this.db, userId, limit, this.heartbeats.names(), query, (a) =>
      securityAlert(this.rules, this.opts.sensitive, a),
    );
  }

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
    const incident = await this.openIncidentOf(alert);
    if (incident) {
      // Sent to another group's incident by storm control (its source past its cap): it may be declared apart.
      const storm = await this.stormOf(alert);
      if (!storm) return { kind: 'declared', incident };
      const rule = alert.rule ? this.rules.get(alert.rule) : undefined;
      const title = alertTitle(alert.summary, alert.name);
      const secret = securityAlert(this.rules, this.opts.sensitive, { rule: alert.rule, title });
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
    const secret = securityAlert(this.rules, this.opts.sensitive, { rule: alert.rule, title });
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
    await this.noticesOf(alert, r.incident.id);
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

  /** The storm's incident an alert was sent to (another group's, its source past its cap); null when it is not so. */
  private async stormOf(alert: AlertRow): Promise<AlertIncidentRow | null> {
    const ai = alert.alertIncidentId ? await getAlertIncident(this.db, alert.alertIncidentId) : null;
    return ai && stormJoinedBy(ai, alert) ? ai : null;
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
    const incident = await this.openIncidentOf(alert);
    if (incident) return { kind: 'declared', incident };
    const open = await this.incidents.listOpen(teamId, userId, ATTACH_CHOICES_MAX);
    return { kind: 'choose', alert, incidents: open.incidents, total: open.total };
  }

  /**
   * Adds an alert (and its group's firing alerts in no incident) to an open incident `userId` may see, as they chose
   * from the notice: the incident's card shows them, its timeline and channel say who added what, and the notice says
   * where they went. Their repeats and resolution go to that incident from then on; their resolving neither offers
   * to resolve it nor resolves it alone (AlertSteps.allResolved).
   */
  async attach(
    alertId: number,
    input: { teamId: string; userId: string; incidentId: number },
  ): Promise<
    { kind: 'attached'; incident: Incident; alerts: number } | ({ kind: 'already'; incident: Incident } & Unchanged)
  > {
    const incident = await openIncidentFor(this.db, input.incidentId, input.teamId, input.userId);
    if (!incident)
      throw new DomainError(
        'incident_not_open',
        'That incident is resolved, or not one you may add alerts to. Pick another, or declare one from the notice.',
      );
    const r = await attachToIncident(this.db, alertId, incident, input.userId);
    if (!r) throw new DomainError('alert_not_found', 'That alert is no longer recorded.');
    if (r.kind === 'taken') {
      const where = await getIncident(this.db, r.incidentId);
      if (!where) throw new DomainError('alert_not_found', 'That alert is no longer recorded.');
      return alreadyIn(where);
    }
    await this.noticesOf(r.lead, incident.id);
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
    await this.refreshNotices(r.alerts);
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

  /** Every notice showing an alert of `alert`'s group that joined `incidentId` (its own, older ones) says where. */
  private async noticesOf(alert: AlertRow, incidentId: number): Promise<void> {
    const joined = [alert];
    for (const ai of await alertIncidentsOf(this.db, incidentId))
      joined.push(...(await alertsOfAlertIncident(this.db, ai.id)));
    await this.refreshNotices(joined.filter((a) => a.source === alert.source && a.groupKey === alert.groupKey));
  }

  /** The notices showing these alerts (each once, by its lead), as the alerts are now. */
  private async refreshNotices(alerts: readonly AlertRow[]): Promise<void> {
    const leads = new Set(alerts.filter((a) => a.noticePlanned).map((a) => a.noticeLead ?? a.id));
    for (const lead of leads)
      await this.steps.notice(lead).catch((err) => this.log.warn('could not update the alert notice', err));
  }

  /** The open incident an alert is in (declared, not resolved); null when it is in none. */
  private async openIncidentOf(alert: AlertRow): Promise<Incident | null> {
    const ai = alert.alertIncidentId ? await getAlertIncident(this.db, alert.alertIncidentId) : null;
    if (!ai?.incidentId || ai.state !== 'declared' || ai.incidentStatus === 'resolved') return null;
    return getIncident(this.db, ai.incidentId);
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
