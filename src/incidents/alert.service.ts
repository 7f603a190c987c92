import { createHash, randomUUID } from 'node:crypto';
import {
  type AlertIncidentRow,
  type AlertRow,
  alertIncidentsOf,
  alertsOf,
  alertsOfAlertIncident,
  claimDeliveries,
  type DeliveryRow,
  finishDelivery,
  forgetOldHashes,
  getAlert,
  getAlertIncident,
  insertAlertIncident,
  insertDelivery,
  linkAlerts,
  linkDeclared,
  linkIncident,
  lockDelivery,
  looseAlertsOfGroup,
  markStepDone,
  nextDeliveryDueAt,
  recordNotice,
  renewDeliveries,
  retryDelivery,
  setAlertIncidentState,
} from '../store/alert.repo.js';
import type { Database, Queryable } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident, isDeclaring } from '../store/incident.repo.js';
import type { AlertCards } from './alert-cards.js';
import { type AlertChat, type MaintenanceWindows, NOT_IN_MAINTENANCE } from './alert-ports.js';
import { AlertRecorder, alertEventDetails, lockGroup, lockSource } from './alert-recorder.js';
import type { AlertDelivery, AlertNoticeView, AlertRule, AlertStep, AlertView } from './alert-types.js';
import { AlreadyDoneError, DomainError } from './errors.js';
import type { DeclareResult, IncidentService } from './incident.service.js';
import type { Logger } from './ports.js';
import type { Severity } from './severity.js';
import type { TimerSource } from './timer-loop.js';
import type { Incident } from './types.js';

/** The same body from the same source within this long is a retry of a delivery (or an HA pair's copy of it). */
export const DUPLICATE_WINDOW_MS = 30_000;
/** How often the hashes of old deliveries are forgotten. */
const FORGET_EVERY_MS = 60_000;
/** Attempts at a delivery's plan before it is given up (its alerts stay recorded and shown). */
const MAX_ATTEMPTS = 12;
/** Longest wait between two attempts. */
const MAX_BACKOFF_MS = 60_000;
/** A step waiting for a declaration in progress (here or in another process) looks again this soon. */
const WAIT_MS = 1000;

/** Deliveries recorded at once by one process (the rest of their work, mostly Slack calls, runs beside). */
const RECORDING_SLOTS = 3;
/** Refreshes of one incident's card from one process are at least this far apart (Slack's chat.update limits). */
const CARD_INTERVAL_MS = 1000;

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

/** A step that cannot be done yet (the incident is still being declared): tried again shortly, not a failure. */
class NotYet extends Error {}

export interface AlertServiceOptions {
  maxIncidents: number;
  maintenance?: MaintenanceWindows;
  duplicateWindowMs?: number;
  /** Wakes the alert loop: a delivery was just accepted. */
  wake?: () => void;
}

/** What `accept` did with a delivery: written (its id), or recognised as a retry of an earlier one. */
export interface Accepted {
  delivery: number;
  duplicate: boolean;
  alerts: number;
}

/**
 * Monitoring alerts, from the inbox to incidents. `accept` writes a delivery (the hook answers 202 after it);
 * the alert loop claims deliveries (claim/run, a TimerSource), records each (AlertRecorder) and carries out its plan:
 * declare through the incident service (reported by the bot, on behalf of the source), refresh cards, post warnings'
 * notices, offer Resolve once every alert resolved. Every step is recorded as done, so a process killed half-way
 * leaves the rest to the next.
 */
export class AlertService implements TimerSource<DeliveryRow> {
  private readonly rules: ReadonlyMap<string, AlertRule>;
  private readonly recorder: AlertRecorder;
  private readonly refreshing = new Map<number, { started: boolean; again: boolean; done: Promise<void> }>();
  /** When each incident's card was last refreshed from here (refreshes of one card are at least a second apart). */
  private readonly refreshedAt = new Map<number, number>();
  private forgotAt = 0;
  /** Deliveries recorded at once by this process: each holds a database connection while it is. */
  private readonly recording = new Slots(RECORDING_SLOTS);

  constructor(
    private readonly db: Database,
    private readonly incidents: IncidentService,
    private readonly chat: AlertChat,
    private readonly cards: AlertCards,
    rules: readonly AlertRule[],
    private readonly opts: AlertServiceOptions,
    private readonly log: Logger = console,
  ) {
    this.rules = new Map(rules.map((r) => [r.name, r]));
    this.recorder = new AlertRecorder(this.rules, opts.maxIncidents, opts.maintenance ?? NOT_IN_MAINTENANCE);
  }

  /** Writes a delivery to the inbox (durable once this resolves), then wakes the loop. */
  async accept(delivery: AlertDelivery, body: string): Promise<Accepted> {
    const hash = createHash('sha256').update(body).digest('hex');
    const r = await insertDelivery(this.db, delivery, hash, this.opts.duplicateWindowMs ?? DUPLICATE_WINDOW_MS);
    if (!r.duplicate) this.opts.wake?.();
    return { delivery: r.id, duplicate: r.duplicate, alerts: delivery.alerts.length };
  }

  async claim(limit: number, leaseMs: number): Promise<DeliveryRow[]> {
    if (Date.now() - this.forgotAt > FORGET_EVERY_MS) {
      this.forgotAt = Date.now();
      await forgetOldHashes(this.db).catch((err) => this.log.warn('could not forget old delivery hashes', err));
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
        await this.runStep(step);
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
      if (err instanceof NotYet) return await retryDelivery(this.db, d.id, WAIT_MS, reason);
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

  private runStep(step: AlertStep): Promise<void> {
    switch (step.kind) {
      case 'declare':
        return this.declareStep(step.alertIncident);
      case 'card':
        return this.cardStep(step.alertIncident);
      case 'notice':
        return this.noticeStep(step.alert);
      case 'all_resolved':
        return this.allResolvedStep(step.alertIncident);
    }
  }

  /** The incident of an alert incident once it is declared; null when there is none to act on. */
  private async declaredIncident(alertIncidentId: number): Promise<{ incidentId: number } | null> {
    const ai = await getAlertIncident(this.db, alertIncidentId);
    if (!ai || ai.state === 'failed') return null;
    if (ai.state === 'declaring') throw new NotYet(`alert incident ${ai.id} is still being declared`);
    return ai.incidentId === null ? null : { incidentId: ai.incidentId };
  }

  /** Declares the incident of an alert incident, through the incident service, as if the bot had typed it. */
  private async declareStep(alertIncidentId: number): Promise<void> {
    const ai = await getAlertIncident(this.db, alertIncidentId);
    if (ai?.state !== 'declaring') return;
    if (ai.incidentId !== null) {
      // Declared by an earlier attempt (or another process): done once whole; its declaration is finished by the
      // declarations sweep if its process died.
      const declaring = await isDeclaring(this.db, ai.incidentId);
      if (declaring !== false) throw new NotYet(`incident ${ai.incidentId} is still being declared`);
      await this.declared(ai);
      return this.refreshCard(ai.incidentId);
    }
    const self = await this.chat.self();
    const r = await this.incidents.declare(
      {
        teamId: self.teamId,
        reporterId: self.botUserId,
        title: ai.title,
        severity: ai.severity,
        requestKey: `alerts:${ai.id}:${randomUUID()}`,
      },
      {
        within: async (tx, incident) => {
          if (!(await linkIncident(tx, ai.id, incident.id))) {
            throw new DomainError('alert_incident_taken', 'Another process is declaring this alert incident.');
          }
          await this.recordOpening(tx, ai.id, incident.id, ai.source, ai.previousIncidentId);
        },
      },
    );
    if (r.kind === 'declared') {
      await this.declared(ai);
      // Alerts recorded while it was being declared may have come after its card was posted.
      return this.refreshCard(r.incident.id);
    }
    if (r.kind === 'existing') {
      // The bot declared the same title moments ago (another group, same summary): these alerts join it.
      await this.db.transaction(async (tx) => {
        await lockGroup(tx, ai.source, ai.groupKey);
        await lockSource(tx, ai.source);
        await linkDeclared(tx, ai.id, r.incident.id);
        await this.recordOpening(tx, ai.id, r.incident.id, ai.source, ai.previousIncidentId);
      });
      await this.refreshCard(r.incident.id);
    }
  }

  /**
   * Marks an alert incident declared under its group's and its source's locks, so that a delivery being recorded
   * meanwhile either is on the card refreshed after this, or sees it declared and refreshes the card itself.
   */
  private async declared(ai: AlertIncidentRow): Promise<void> {
    await this.db.transaction(async (tx) => {
      await lockGroup(tx, ai.source, ai.groupKey);
      await lockSource(tx, ai.source);
      await setAlertIncidentState(tx, ai.id, 'declared');
    });
  }

  /** The timeline of an incident opened from alerts: where they came from, and each alert's firing (and resolution). */
  private async recordOpening(
    tx: Queryable,
    alertIncidentId: number,
    incidentId: number,
    source: string,
    previousIncidentId: number | null,
  ): Promise<void> {
    const alerts = await alertsOfAlertIncident(tx, alertIncidentId);
    const previous = previousIncidentId ? await getIncident(tx, previousIncidentId) : null;
    await insertEvent(tx, incidentId, 'note', null, {
      text: `Opened from ${alerts.length === 1 ? 'an alert' : `${alerts.length} alerts`} of ${source}${previous ? `; the same alert opened incident #${previous.number} before, resolved` : ''}`,
    });
    for (const a of alerts) {
      await insertEvent(tx, incidentId, 'alert_fired', null, alertEventDetails({ ...a, status: 'firing' }));
      if (a.status === 'resolved') await insertEvent(tx, incidentId, 'alert_resolved', null, alertEventDetails(a));
    }
  }

  private async cardStep(alertIncidentId: number): Promise<void> {
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

  private async noticeStep(alertId: number): Promise<void> {
    const alert = await getAlert(this.db, alertId);
    if (!alert) return;
    const view = await this.noticeView(alert);
    if (alert.notice) return this.chat.updateAlertNotice(alert.notice, view);
    const posted = await this.chat.postAlertNotice(view);
    if (posted) await recordNotice(this.db, alert.id, posted.channel, posted.ts);
    else this.log.info(`warning alert ${alert.name} (${alert.source}) recorded; no INCIDENTS_CHANNEL for its notice`);
  }

  private async noticeView(alert: AlertRow): Promise<AlertNoticeView> {
    const rule = alert.rule ? this.rules.get(alert.rule) : undefined;
    const ai = alert.alertIncidentId ? await getAlertIncident(this.db, alert.alertIncidentId) : null;
    const incident = ai?.incidentId ? await getIncident(this.db, ai.incidentId) : null;
    return {
      alert,
      rule: rule
        ? {
            name: rule.name,
            action: rule.action,
            threshold: rule.threshold,
            duration: rule.duration,
            severity: rule.severity,
          }
        : null,
      declared: incident
        ? { number: incident.number, channelId: incident.channelId, by: ai?.declaredBy ?? incident.reporterId }
        : null,
    };
  }

  private async allResolvedStep(alertIncidentId: number): Promise<void> {
    const declared = await this.declaredIncident(alertIncidentId);
    const ai = declared ? await getAlertIncident(this.db, alertIncidentId) : null;
    // Gone, or an alert fired again since: nothing to say.
    if (!declared || !ai?.allResolvedAt) return;
    const incident = await getIncident(this.db, declared.incidentId);
    if (!incident || incident.status === 'resolved') return;
    if (ai.rule && this.rules.get(ai.rule)?.autoResolve) {
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
    const view = await this.cards.view(incident.id);
    if (view) await this.chat.offerResolve(incident, view);
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
    input: { teamId: string; userId: string; title: string; severity: Severity; requestKey: string },
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
      },
      {
        within: async (tx, incident) => {
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
          await this.recordOpening(tx, id, incident.id, alert.source, null);
        },
      },
    );
    if (r.kind === 'declared') {
      const updated = await getAlert(this.db, alertId);
      if (updated?.notice) {
        await this.chat
          .updateAlertNotice(updated.notice, await this.noticeView(updated))
          .catch((err) => this.log.warn('could not update the alert notice', err));
      }
    }
    return r;
  }
}
