import type { Database } from '../store/db.js';
import { claimDueJobs, type EscalationJob, extendLeases, nextDueAt } from '../store/escalation.repo.js';
import type { Logger } from './incident.service.js';

export interface TimerLoopOptions {
  /** Longest sleep between looks at the table: how soon a timer added by another process is seen at worst. */
  maxSleepMs: number;
  /** Jobs run at once by this process. */
  maxInFlight: number;
  /** How long a claimed job stays invisible to other processes; a crashed process's jobs run again after it. */
  leaseMs: number;
}

const DEFAULTS: TimerLoopOptions = { maxSleepMs: 1000, maxInFlight: 20, leaseMs: 60_000 };

/**
 * Runs due timers from Postgres. Each process claims due rows with FOR UPDATE SKIP LOCKED and a lease, so two
 * processes never run the same job, and sleeps until the next due time (capped) or until poked. The state lives in
 * the table: the in-memory sleep is only a wake-up, so a restart loses nothing.
 */
export class TimerLoop {
  private readonly opts: TimerLoopOptions;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private wakeAt = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly inFlightIds = new Set<number>();
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly run: (job: EscalationJob) => Promise<void>,
    private readonly log: Logger = console,
    opts: Partial<TimerLoopOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
    // A job can outlast its lease (Slack retrying slowly): renew the leases of running jobs well before they end.
    this.heartbeat = setInterval(
      () => {
        extendLeases(this.db, [...this.inFlightIds], this.opts.leaseMs).catch((err) =>
          this.log.warn('escalation timers: could not renew leases', err),
        );
      },
      Math.max(100, Math.floor(this.opts.leaseMs / 3)),
    );
    this.heartbeat.unref();
  }

  /** Stops claiming; waits for the jobs already running. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
    await Promise.allSettled([...this.inFlight]);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** Something may be due at `at`: wake now if that is sooner than planned. */
  poke(at: Date = new Date()): void {
    if (at.getTime() < this.wakeAt) this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    this.wakeAt = Date.now() + ms;
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = null;
      this.wakeAt = 0;
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const room = this.opts.maxInFlight - this.inFlight.size;
      let claimed: EscalationJob[] = [];
      if (room > 0) {
        try {
          claimed = await claimDueJobs(this.db, room, this.opts.leaseMs);
        } catch (err) {
          this.log.warn('escalation timers: could not read the table; retrying', err);
          await this.sleep(this.opts.maxSleepMs);
          continue;
        }
      }
      for (const job of claimed) {
        this.inFlightIds.add(job.id);
        const p: Promise<void> = this.run(job)
          .catch((err) => this.log.error(`escalation job ${job.id} failed`, err))
          .finally(() => {
            this.inFlight.delete(p);
            this.inFlightIds.delete(job.id);
            this.wake?.();
          });
        this.inFlight.add(p);
      }
      if (claimed.length > 0 && claimed.length === room) continue; // more may be due right now
      if (this.inFlight.size >= this.opts.maxInFlight) {
        await this.sleep(this.opts.maxSleepMs); // woken when a job finishes
        continue;
      }
      let next: Date | null = null;
      try {
        next = await nextDueAt(this.db);
      } catch {
        // the next claim reports it
      }
      const ms = next ? Math.max(0, Math.min(this.opts.maxSleepMs, next.getTime() - Date.now())) : this.opts.maxSleepMs;
      if (this.running && ms > 0) await this.sleep(ms);
    }
  }
}
