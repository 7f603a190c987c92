import { CARDS_DUE, cardRefreshed, claimDueCards } from '../store/alert-card.repo.js';
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
} from '../store/alert-delivery.repo.js';
import { HELD_BACK } from '../store/alert-held-back.repo.js';
import { alertIncidentsOf } from '../store/alert-incident.repo.js';
import { groupLockKey } from '../store/alert-lock.repo.js';
import { STORM_WITHDRAWALS_DUE } from '../store/alert-storm-message.repo.js';
import type { Database } from '../store/db.js';
import { NOTICE_DMS_DUE } from '../store/notice-dm.repo.js';
import { AlertsByHand } from './alert-by-hand.js';
import type { AlertCards } from './alert-cards.js';
import { AlertDeclarations } from './alert-declare.js';
import { DeliveryFailures, needsAPerson } from './alert-delivery-failures.js';
import { alertsOfIncident, firingNow } from './alert-firing.js';
import { HeartbeatChecks } from './alert-heartbeats.js';
import { HeldBackRelease } from './alert-held-back.js';
import { type Accepted, writeDelivery } from './alert-inbox.js';
import { type AlertChat, type MaintenanceWindows, NOT_IN_MAINTENANCE } from './alert-ports.js';
import { AlertRecorder } from './alert-recorder.js';
import { securityAlert } from './alert-rows.js';
import { AlertSteps } from './alert-steps.js';
import type { StormWithdrawalRetries } from './alert-storm-withdrawals.js';
import {
  type AlertDelivery,
  type AlertLevel,
  type AlertList,
  type AlertQuery,
  type AlertRule,
  type FiringAlerts,
  pressingCount,
} from './alert-types.js';
import type { ChatPlatformError } from './errors.js';
import type { IncidentService } from './incident.service.js';
import type { IncidentMetrics, Logger } from './ports.js';
import { type Signal, Slots, signal } from './queues.js';
import { type ClaimWithNext, type Sweep, sweepWhen, type TimerSource } from './timer-loop.js';
import type { Incident } from './types.js';

/** The same body from the same source within this long is a retry of a delivery (or an HA pair's copy of it). */
export const DUPLICATE_WINDOW_MS = 30_000;
/** How often the hashes of old deliveries are forgotten. */
const FORGET_EVERY_MS = 60_000;
export const DELIVERY_RETENTION_MS = 30 * 86_400_000;
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
 * Their cards show repeats a while later anyway (ALERTS_REPEAT_REFRESH); a storm's repeats then cost a transaction a
 * second, not one per claim. A second, not a quarter: bench/alerts' bot thread took about 29% of a core instead of
 * 38% (the host 53% instead of 67%) during the storm, which the acknowledging front shares the machine with.
 */
const REPEATS_GATHER_MS = 1000;
/** Cards refreshed by one sweep at most, and how long one is claimed for. */
const DUE_CARDS_AT_ONCE = 50;
const DUE_CARD_LEASE_MS = 30_000;
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
  /** A storm back at an incident it moved to or from less than this long ago is not told again (ALERTS_STORM_RETURN_GAP). */
  stormReturnGapMs?: number;
  /** A playbook's title by its id: a warning's notice names its row's playbook, as the incident declared from it gets. */
  playbookTitle?: (id: string) => string | undefined;
  /** How long a storm's declaration whose card is up waits for the others' cards at most (default 2 s). */
  cardsFirstMaxMs?: number;
  /** A storm's incident's timers wait no more (see cardsFirst): wakes the timer loop. */
  cardsFirstReleased?: () => void;
  /** The first wait before on-call's copies of a withdrawn notice Slack refused are drawn again (ALERTS_DM_RETRY). */
  noticeDmRetryMs?: number;
  /** How posts of storms' messages one too many that Slack would not delete are tried again (tests shorten it). */
  stormWithdrawals?: StormWithdrawalRetries;
}

export type { ResolvedBeforeDeclared } from './alert-declare.js';
export { CHANNEL_REFUSED_RETRY_MS } from './alert-delivery-failures.js';
/** What `accept` did with a delivery: written (its id), or recognised as a retry of an earlier one. */
export type { Accepted } from './alert-inbox.js';

/**
 * Monitoring alerts, from the inbox to incidents. `accept` writes a delivery (the hook answers 202 after it);
 * the alert loop claims deliveries (claim/run, a TimerSource), records each (AlertRecorder) and carries out its plan
 * (AlertSteps: declare, cards, notices, the offer to resolve). Every step is recorded as done, so a process killed
 * half-way leaves the rest to the next. Also what listeners ask of alerts: `/incident alerts`, and what people do
 * from notices (AlertDeclarations: Declare incident; AlertsByHand: Add to incident, Take out, Reopen).
 */
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
  /** What a failed attempt at a delivery does: tried again later, or given up. */
  private readonly failures: DeliveryFailures;
  /** Alerts a maintenance window held back, released once no window holds them (each sweep). */
  private readonly heldBack: HeldBackRelease;
  /** A warning's Declare incident: its form and the declaration. */
  private readonly declarations: AlertDeclarations;
  /** What people do with alerts from their notices and messages besides: Add to incident, Take out, Reopen. */
  private readonly byHand: AlertsByHand;

  constructor(
    private readonly db: Database,
    incidents: IncidentService,
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
      opts.stormReturnGapMs,
    );
    this.steps = new AlertSteps(db, incidents, chat, cards, this.rules, log, opts.channels, opts.metrics, {
      ...(opts.onCall ? { onCall: opts.onCall } : {}),
      ...(opts.sensitive ? { sensitive: opts.sensitive } : {}),
      ...(opts.playbookTitle ? { playbookTitle: opts.playbookTitle } : {}),
      ...(opts.cardsFirstMaxMs !== undefined ? { cardsFirstMaxMs: opts.cardsFirstMaxMs } : {}),
      ...(opts.cardsFirstReleased ? { cardsFirstReleased: opts.cardsFirstReleased } : {}),
      ...(opts.noticeDmRetryMs !== undefined ? { noticeDmRetryMs: opts.noticeDmRetryMs } : {}),
      ...(opts.stormWithdrawals ? { stormWithdrawals: opts.stormWithdrawals } : {}),
    });
    this.failures = new DeliveryFailures(db, log);
    this.heldBack = new HeldBackRelease(db, this.recorder, () => this.wake(), log);
    this.declarations = new AlertDeclarations(db, incidents, this.steps, this.rules, opts.sensitive, log);
    this.byHand = new AlertsByHand(db, incidents, this.steps, log);
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

  /** The incidents whose timers wait for a storm's cards, and until when at most (see AlertSteps.cardsFirst). */
  cardsFirst(): { incidents: number[]; until: Date | null } {
    return this.steps.cardsFirst();
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
      await this.failures.failed({ ...last, attempts, plan: [] }, ids, err);
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
          if (!needsAPerson(err) || step.kind === 'declare') throw err;
          refused ??= err;
          continue;
        }
        // The last step is recorded done with the delivery (run again, should the process die in between).
        if (i < last || refused) await markStepDone(this.db, d.id, i);
      }
      if (refused) throw refused;
      await finishDelivery(this.db, d.id, 'done');
    } catch (err) {
      await this.failures.failed(d, [d.id], err);
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
    for (const s of this.sweeps) await s.sweep();
  }

  /**
   * The sweep as the alert loop runs it: the alerts held back, the cards due and on-call's copies of withdrawn notices
   * due, each only in the rounds where there are some; the heartbeats each round (they look at most every few seconds,
   * in memory).
   */
  get sweeps(): readonly Sweep[] {
    return [
      sweepWhen(HELD_BACK, this.heldBack),
      this.heartbeats,
      sweepWhen(CARDS_DUE, { sweep: () => this.refreshDueCards() }),
      // On-call's copies of withdrawn notices Slack refused to update (NoticeDmWithdrawals).
      sweepWhen(NOTICE_DMS_DUE, this.steps.noticeDms),
      // Posts of storms' messages one too many that Slack refused to delete (StormWithdrawals).
      sweepWhen(STORM_WITHDRAWALS_DUE, this.steps.stormWithdrawals),
    ];
  }

  private async refreshDueCards(): Promise<void> {
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

  /**
   * The incident was reopened (by a Reopen of a message saying its alert fired again elsewhere, or any other way):
   * those messages say who reopened it instead of Reopen (AlertSteps.closeFiredElsewhere).
   */
  closeFiredElsewhere(incident: Incident): Promise<void> {
    return this.steps.closeFiredElsewhere(incident);
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
  ofIncident(incidentId: number, limit = 200, query: AlertQuery = { words: [], from: 1 }): Promise<AlertList> {
    return alertsOfIncident(this.db, incidentId, limit, query);
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

  /** A warning's Declare incident button: the form's starting point, or the incident it is in (AlertDeclarations). */
  declareForm(alertId: number): ReturnType<AlertDeclarations['declareForm']> {
    return this.declarations.declareForm(alertId);
  }

  /** A person declares an incident from a warning's notice (AlertDeclarations). */
  declareFromAlert(
    alertId: number,
    input: Parameters<AlertDeclarations['declareFromAlert']>[1],
  ): ReturnType<AlertDeclarations['declareFromAlert']> {
    return this.declarations.declareFromAlert(alertId, input);
  }

  /** Reopen on a resolved incident's message that its alert fired again and joined another incident (AlertsByHand). */
  reopenForAlert(alertId: number, userId: string, requestKey: string): ReturnType<AlertsByHand['reopenForAlert']> {
    return this.byHand.reopenForAlert(alertId, userId, requestKey);
  }

  /** A warning's Add to incident button: the open incidents it may be added to (AlertsByHand). */
  attachChoices(alertId: number, teamId: string, userId: string): ReturnType<AlertsByHand['attachChoices']> {
    return this.byHand.attachChoices(alertId, teamId, userId);
  }

  /** Whether an incident is open and one the person may add alerts to (AlertsByHand.mayAttachTo). */
  mayAttachTo(incidentId: number, teamId: string, userId: string): Promise<boolean> {
    return this.byHand.mayAttachTo(incidentId, teamId, userId);
  }

  /** Adds an alert (and its group's firing alerts in no incident) to an open incident (AlertsByHand). */
  attach(alertId: number, input: Parameters<AlertsByHand['attach']>[1]): ReturnType<AlertsByHand['attach']> {
    return this.byHand.attach(alertId, input);
  }

  /** Takes alerts added to an incident by hand out of it again (AlertsByHand). */
  detach(
    alertIncidentId: number,
    userId: string,
    message?: { channel: string; ts: string },
  ): ReturnType<AlertsByHand['detach']> {
    return this.byHand.detach(alertIncidentId, userId, message);
  }
}
