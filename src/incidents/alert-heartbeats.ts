import { insertPlan } from '../store/alert-delivery.repo.js';
import { heartbeatChanges, markHeartbeat } from '../store/alert-heartbeat.repo.js';
import type { Database } from '../store/db.js';
import type { MaintenanceWindows } from './alert-ports.js';
import type { AlertRule, AlertStep } from './alert-types.js';
import type { Logger } from './ports.js';
import { RepeatedWarning } from './timer-loop.js';

/** How often a process looks at the heartbeats, at most (a heartbeat is minutes; its notice comes this much later). */
const HEARTBEAT_CHECK_MS = 1_000;

/**
 * Heartbeat rows (`heartbeat:` in the runbook file, e.g. Alertmanager's always-firing Watchdog), at most every
 * HEARTBEAT_CHECK_MS here: a source whose heartbeat has not come for the row's time, or that is back after the
 * incidents channel was told so, gets its notice planned in the inbox, in the transaction that records it was told
 * (so it is told once whatever the replicas, and a process that dies leaves it to another). One statement a check,
 * none without heartbeat rows. AlertService's sweep runs it each round.
 */
export class HeartbeatChecks {
  /** The heartbeat rows of the runbook, and when this process last looked at them. */
  private readonly heartbeats: { rule: string; ms: number }[];
  private heartbeatsAt = 0;
  /** Said once when looking starts failing (the database is down, each round), and once when it works again. */
  private readonly heartbeatsWarning: RepeatedWarning;

  constructor(
    private readonly db: Database,
    private readonly rules: ReadonlyMap<string, AlertRule>,
    private readonly maintenance: MaintenanceWindows,
    /** Wakes the alert loop: a notice was planned in the inbox. */
    private readonly wake: () => void,
    log: Logger,
  ) {
    this.heartbeats = [...rules.values()].flatMap((r) => (r.heartbeatMs ? [{ rule: r.name, ms: r.heartbeatMs }] : []));
    this.heartbeatsWarning = new RepeatedWarning(log, 'could not look at the heartbeats; trying again shortly');
  }

  /** The names of the heartbeat rows (a Watchdog always fires while monitoring works: not something firing). */
  names(): string[] {
    return this.heartbeats.map((h) => h.rule);
  }

  /** The alert loop's sweep: looks (see checkHeartbeats), a failure said once while it lasts. */
  async sweep(): Promise<void> {
    await this.checkHeartbeats().then(
      (looked) => looked && this.heartbeatsWarning.ok(),
      (err) => this.heartbeatsWarning.failed(err),
    );
  }

  /** Whether it looked (it looks at most once in HEARTBEAT_CHECK_MS). */
  private async checkHeartbeats(): Promise<boolean> {
    if (this.heartbeats.length === 0 || Date.now() - this.heartbeatsAt < HEARTBEAT_CHECK_MS) return false;
    this.heartbeatsAt = Date.now();
    for (const change of await heartbeatChanges(this.db, this.heartbeats)) {
      const rule = this.rules.get(change.rule);
      const ms = rule?.heartbeatMs;
      if (!rule || !ms) continue;
      // Monitoring may be stopped on purpose in a maintenance window: a row that says `during_maintenance: record`
      // is told quiet only once no window holds it (if it is still quiet then).
      if (change.quiet && rule.duringMaintenance === 'record') {
        const query = { source: change.source, name: rule.name, service: null, labels: {} };
        if (await this.maintenance.inMaintenance(query, new Date())) continue;
      }
      const planned = await this.db.transaction(async (tx) => {
        const since = await markHeartbeat(tx, change, ms);
        if (!since) return false;
        const step: AlertStep = {
          kind: 'heartbeat',
          rule: change.rule,
          source: change.source,
          quiet: change.quiet,
          since: since.toISOString(),
          ...(change.quiet && change.resolved ? { resolved: true } : {}),
        };
        const group = { source: change.source, groupKey: `heartbeat:${change.rule}` };
        await insertPlan(
          tx,
          group,
          [step],
          `heartbeat ${change.quiet ? 'quiet' : 'back'}: ${change.rule}`,
          'heartbeat',
        );
        return true;
      });
      if (planned) this.wake();
    }
    return true;
  }
}
