import type { AlertIdentity } from '../store/alert.repo.js';
import { insertPlan } from '../store/alert-delivery.repo.js';
import { heldBackAlerts } from '../store/alert-held-back.repo.js';
import { groupLockKey } from '../store/alert-lock.repo.js';
import type { Database } from '../store/db.js';
import type { AlertRecorder } from './alert-recorder.js';
import type { Logger } from './ports.js';
import { RepeatedWarning } from './timer-loop.js';

/** Alerts held back by a maintenance window looked at by one sweep at most. */
const HELD_BACK_AT_ONCE = 50;

/**
 * Alerts a maintenance window held back (recorded, not declared, as their rows say) that still fire once no window
 * holds them (the alert loop's sweep, each round): released, so that a critical one is declared even if no delivery
 * of it comes after the window (Alertmanager repeats a group every `repeat_interval`, 4 hours by default). One
 * transaction per group, under its lock, re-reading the rows: each alert is released once whatever the replicas, and
 * the plan is written to the inbox in the same transaction, for any process's loop to carry out. AlertService's sweep
 * runs it each round.
 */
export class HeldBackRelease {
  /** Said once when looking starts failing (the database is down, each round), and once when it works again. */
  private readonly heldBackWarning: RepeatedWarning;

  constructor(
    private readonly db: Database,
    private readonly recorder: AlertRecorder,
    /** Wakes the alert loop: a plan was written to the inbox. */
    private readonly wake: () => void,
    log: Logger,
  ) {
    this.heldBackWarning = new RepeatedWarning(
      log,
      'could not look at the alerts a maintenance window held back; trying again shortly',
    );
  }

  /** The alert loop's sweep: releases what no window holds any more, a failure said once while it lasts. */
  async sweep(): Promise<void> {
    await this.releaseHeldBack().then(
      () => this.heldBackWarning.ok(),
      (err) => this.heldBackWarning.failed(err),
    );
  }

  private async releaseHeldBack(): Promise<void> {
    const held = await heldBackAlerts(this.db, HELD_BACK_AT_ONCE);
    if (held.length === 0) return;
    const now = new Date();
    const asked = new Map<string, boolean>();
    const groups = new Map<
      string,
      { source: string; groupKey: string; alerts: Pick<AlertIdentity, 'format' | 'fingerprint'>[] }
    >();
    for (const a of held) {
      // Most of them ask the same question (a window is open or not): asked once a round.
      const question = JSON.stringify([a.source, a.rule, a.name, a.service, a.labels]);
      const still = asked.get(question) ?? (await this.recorder.heldBack(a.source, a, now));
      asked.set(question, still);
      if (still) continue;
      const key = groupLockKey(a.source, a.groupKey);
      const group = groups.get(key) ?? { source: a.source, groupKey: a.groupKey, alerts: [] };
      group.alerts.push({ format: a.format, fingerprint: a.fingerprint });
      groups.set(key, group);
    }
    for (const { alerts, ...group } of groups.values()) {
      const planned = await this.db.transaction(async (tx) => {
        const plan = await this.recorder.releaseFromMaintenance(tx, group, alerts, now);
        const made = alerts.map((a) => a.fingerprint).join(' ');
        if (plan.length > 0) await insertPlan(tx, group, plan, `maintenance over: ${made}`);
        return plan.length > 0;
      });
      if (planned) this.wake();
    }
  }
}
