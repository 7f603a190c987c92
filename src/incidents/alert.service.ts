import {
  alertIncidentsOf,
  alertsOf,
  getAlert,
  getAlertIncident,
  insertAlertIncident,
  linkAlerts,
  looseAlertsOfGroup,
  setAlertIncidentState,
} from '../store/alert.repo.js';
import {
  claimDeliveries,
  type DeliveryRow,
  finishDelivery,
  forgetOldHashes,
  lockDelivery,
  markStepDone,
  nextDeliveryDueAt,
  purgeFinishedDeliveries,
  renewDeliveries,
  retryDelivery,
} from '../store/alert-delivery.repo.js';
import type { Database } from '../store/db.js';
import { getIncident } from '../store/incident.repo.js';
import type { AlertCards } from './alert-cards.js';
import { type Accepted, writeDelivery } from './alert-inbox.js';
import { type AlertChat, type MaintenanceWindows, NOT_IN_MAINTENANCE } from './alert-ports.js';
import { AlertRecorder, lockGroup } from './alert-recorder.js';
import { AlertSteps, NotYet } from './alert-steps.js';
import type { AlertDelivery, AlertLevel, AlertRule, AlertView } from './alert-types.js';
import { DomainError } from './errors.js';
import type { DeclareResult, IncidentService } from './incident.service.js';
import type { IncidentMetrics, Logger } from './ports.js';
import type { Severity } from './severity.js';
import type { TimerSource } from './timer-loop.js';
import type { Incident } from './types.js';

/** The same body from the same source within this long is a retry of a delivery (or an HA pair's copy of it). */
export const DUPLICATE_WINDOW_MS = 30_000;
/** How often the hashes of old deliveries are forgotten. */
const FORGET_EVERY_MS = 60_000;
export const DELIVERY_RETENTION_MS = 30 * 86_400_000;
/** Attempts at a delivery's plan before it is given up (its alerts stay recorded and shown). */
const MAX_ATTEMPTS = 12;
/** Longest wait between two attempts. */
const MAX_BACKOFF_MS = 60_000;
/** A step waiting for a declaration in progress (here or in another process) looks again this soon. */
const WAIT_MS = 1000;
/** Deliveries recorded at once by one process (the rest of their work, mostly Slack calls, runs beside). */
const RECORDING_SLOTS = 3;

/** At most `size` at once; the others wait their turn, in order. */
class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export interface AlertServiceOptions {
  maxIncidents: number;
  maintenance?: MaintenanceWindows;
  duplicateWindowMs?: number;
  /** Wakes the alert loop: a delivery was just accepted. */
  wake?: () => void;
  /** Slack's channel-creation budget, shared with people's declarations: past it, an alert incident waits its turn. */
  channels?: { take(): Promise<void> };
  /** Finished deliveries are deleted from the inbox this long after (ALERT_DELIVERY_RETENTION); default 30 days. */
  deliveryRetentionMs?: number;
  /** Counts each alert of an accepted delivery (a sender's retry of the same body is not counted again). */
  metrics?: Pick<IncidentMetrics, 'alertReceived'>;
  /** Whether an alert's title declares a private (security) incident: past the storm cap it joins only a private one. */
  sensitive?: (title: string) => boolean;
}

/** What `accept` did with a delivery: written (its id), or recognised as a retry of an earlier one. */
export type { Accepted } from './alert-inbox.js';

/**
 * Monitoring alerts, from the inbox to incidents. `accept` writes a delivery (the hook answers 202 after it);
 * the alert loop claims deliveries (claim/run, a TimerSource), records each (AlertRecorder) and carries out its plan
 * (AlertSteps: declare, cards, notices, the offer to resolve). Every step is recorded as done, so a process killed
 * half-way leaves the rest to the next. Also what listeners ask of alerts: `/incident alerts`, a warning's declare form.
 */
export class AlertService implements TimerSource<DeliveryRow> {
  private readonly rules: ReadonlyMap<string, AlertRule>;
  private readonly recorder: AlertRecorder;
  /** What recorded deliveries do outside the database. */
  private readonly steps: AlertSteps;
  private forgotAt = 0;
  /** Deliveries recorded at once by this process: each holds a database connection while it is. */
  private readonly recording = new Slots(RECORDING_SLOTS);

  constructor(
    private readonly db: Database,
    private readonly incidents: IncidentService,
    private readonly chat: AlertChat,
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
    );
    this.steps = new AlertSteps(db, incidents, chat, cards, this.rules, log, opts.channels);
  }

  /** Writes a delivery to the inbox (durable once this resolves), then wakes the loop. */
  async accept(delivery: AlertDelivery, body: string): Promise<Accepted> {
    const r = await writeDelivery(this.db, delivery, body, this.opts.duplicateWindowMs ?? DUPLICATE_WINDOW_MS);
    if (!r.duplicate)
      this.received(
        delivery.source,
        delivery.alerts.map((a) => a.level),
      );
    return r;
  }

  /** Deliveries written to the inbox (here or by the acknowledging front): counted, and the loop woken for them. */
  received(source: string, levels: readonly AlertLevel[]): void {
    for (const level of levels) this.opts.metrics?.alertReceived(source, level);
    this.opts.wake?.();
  }

  async claim(limit: number, leaseMs: number): Promise<DeliveryRow[]> {
    if (Date.now() - this.forgotAt > FORGET_EVERY_MS) {
      this.forgotAt = Date.now();
      await forgetOldHashes(this.db).catch((err) => this.log.warn('could not forget old delivery hashes', err));
      await purgeFinishedDeliveries(this.db, this.opts.deliveryRetentionMs ?? DELIVERY_RETENTION_MS).catch((err) =>
        this.log.warn('could not delete old alert deliveries', err),
      );
    }
    return claimDeliveries(this.db, limit, leaseMs);
  }

  renew(ids: number[], leaseMs: number): Promise<void> {
    return renewDeliveries(this.db, ids, leaseMs);
  }

  nextDueAt(): Promise<Date | null> {
    return nextDeliveryDueAt(this.db);
  }

  /** Records a claimed delivery (once), then does what is left of its plan. */
  async run(claimed: DeliveryRow): Promise<void> {
    let d = claimed;
    try {
      if (d.state === 'received') {
        d = await this.recording.run(() =>
          this.db.transaction(async (tx) => {
            const current = await lockDelivery(tx, claimed.id);
            if (current?.state !== 'received') return current ?? claimed;
            return { ...current, state: 'recorded' as const, plan: await this.recorder.record(tx, current) };
          }),
        );
      }
      if (d.state !== 'recorded') return;
      const done = new Set(d.done);
      for (const [i, step] of d.plan.entries()) {
        if (done.has(i)) continue;
        await this.steps.run(step);
        await markStepDone(this.db, d.id, i);
      }
      await finishDelivery(this.db, d.id, 'done');
    } catch (err) {
      await this.failed(d, err);
    }
  }

  private async failed(d: DeliveryRow, err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    try {
      // Waiting for a declaration is not a failed attempt.
      if (err instanceof NotYet) {
        return await retryDelivery(this.db, d.id, err.delayMs ?? WAIT_MS, reason, { counted: false });
      }
      if (d.attempts < MAX_ATTEMPTS) {
        this.log.warn(`alert delivery ${d.id}: attempt ${d.attempts} failed; trying again`, err);
        return await retryDelivery(this.db, d.id, Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (d.attempts - 1)), reason);
      }
      this.log.error(`alert delivery ${d.id}: given up after ${d.attempts} attempts (its alerts stay recorded)`, err);
      for (const step of d.plan) {
        if (step.kind !== 'declare') continue;
        const ai = await getAlertIncident(this.db, step.alertIncident);
        if (ai?.state === 'declaring' && ai.incidentId === null) {
          await setAlertIncidentState(this.db, step.alertIncident, 'failed');
        }
      }
      await finishDelivery(this.db, d.id, 'failed', reason);
    } catch (inner) {
      // The database is gone too: the lease runs out and the delivery is taken again.
      this.log.warn(`alert delivery ${d.id}: could not record the failure`, inner);
    }
  }

  /** The runbook row's playbook for an incident opened from alerts (suggested on it); null for any other. */
  async playbookFor(incidentId: number): Promise<string | null> {
    for (const ai of await alertIncidentsOf(this.db, incidentId)) {
      const playbook = ai.rule ? this.rules.get(ai.rule)?.playbook : null;
      if (playbook) return playbook;
    }
    return null;
  }

  /** Every alert of an incident (`/incident alerts`): firing first, at most `limit`, and how many there are. */
  async ofIncident(incidentId: number, limit = 200): Promise<{ alerts: AlertView[]; firing: number; total: number }> {
    const ais = await alertIncidentsOf(this.db, incidentId);
    return alertsOf(
      this.db,
      ais.map((a) => a.id),
      limit,
    );
  }

  /**
   * A warning's Declare incident button: the form's starting point (title and severity from the alert and its row),
   * or, when the alert is already in an open incident, that incident.
   */
  async declareForm(
    alertId: number,
  ): Promise<
    { kind: 'form'; title: string; severity: Severity; about: string } | { kind: 'declared'; incident: Incident } | null
  > {
    const alert = await getAlert(this.db, alertId);
    if (!alert) return null;
    const ai = alert.alertIncidentId ? await getAlertIncident(this.db, alert.alertIncidentId) : null;
    if (ai?.incidentId && ai.state === 'declared' && ai.incidentStatus !== 'resolved') {
      const incident = await getIncident(this.db, ai.incidentId);
      if (incident) return { kind: 'declared', incident };
    }
    const rule = alert.rule ? this.rules.get(alert.rule) : undefined;
    const about = `From the ${alert.level} alert ${alert.name} (${alert.source})${rule ? `: ${rule.threshold} for ${rule.duration}. Runbook: ${rule.action}` : ''}`;
    return { kind: 'form', title: alert.summary, severity: rule?.severity ?? 2, about };
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
  ): Promise<DeclareResult | { kind: 'already'; incident: Incident }> {
    const form = await this.declareForm(alertId);
    if (!form) throw new DomainError('alert_not_found', 'That alert is no longer recorded.');
    if (form.kind === 'declared') return { kind: 'already', incident: form.incident };
    const alert = (await getAlert(this.db, alertId))!;
    const r = await this.incidents.declare(
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
          const id = await insertAlertIncident(tx, {
            source: alert.source,
            groupKey: alert.groupKey,
            title: input.title,
            severity: input.severity,
            rule: alert.rule,
            previousIncidentId: null,
            declaredBy: { userId: input.userId, incidentId: incident.id },
          });
          const loose = await looseAlertsOfGroup(tx, alert.source, alert.groupKey);
          const ids = [...new Set([alert.id, ...loose.map((a) => a.id)])];
          await linkAlerts(tx, ids, id);
          await this.steps.recordOpening(tx, id, incident.id, alert.source, null);
        },
      },
    );
    if (r.kind === 'declared') {
      const updated = await getAlert(this.db, alertId);
      if (updated?.notice) {
        await this.chat
          .updateAlertNotice(updated.notice, await this.steps.noticeView(updated))
          .catch((err) => this.log.warn('could not update the alert notice', err));
      }
    }
    return r;
  }
}
