import type { Database } from '../store/db.js';
import { extendLeases, nextDueAt } from '../store/escalation-jobs.repo.js';
import { sweepsDue } from '../store/sweep.repo.js';
import type { Logger } from './ports.js';

export interface TimerLoopOptions {
  /** Longest sleep between looks at the table: how soon a timer added by another process is seen at worst. */
  maxSleepMs: number;
  /** Timers claimed by one transaction at most. */
  batchSize: number;
  /** Timers this process holds (claimed, not yet finished) at most; it claims no more until some finish. */
  maxHeld: number;
  /** How long a claimed job stays invisible to other processes; a crashed process's jobs run again after it. */
  leaseMs: number;
  /**
   * When due timers are there but none could be claimed (locked by another process's claim, or waiting behind one),
   * look again this soon (default 5 ms).
   */
  contendedSleepMs?: number;
}

/**
 * A job is leased for 15 s and renewed every third of it while it runs: a process that dies, or loses the database while
 * the others keep it, leaves its jobs to another within 15 s (a page a minute late was seen with a one-minute lease).
 */
const DEFAULTS: TimerLoopOptions = { maxSleepMs: 1000, batchSize: 250, maxHeld: 2000, leaseMs: 15_000 };

/**
 * A warning the loop would repeat every round while the database is away (each claim, sweep and lease renewal
 * fails): said the first time, then at most once a minute with how many were left unsaid, and its end said once.
 */
export class RepeatedWarning {
  private since: number | null = null;
  private saidAt = 0;
  private unsaid = 0;

  constructor(
    private readonly log: Pick<Logger, 'warn' | 'info'>,
    private readonly what: string,
    private readonly everyMs = 60_000,
  ) {}

  failed(err: unknown): void {
    const now = Date.now();
    if (this.since === null) {
      this.since = now;
      this.saidAt = now;
      this.log.warn(this.what, err);
      return;
    }
    if (now - this.saidAt < this.everyMs) {
      this.unsaid++;
      return;
    }
    this.log.warn(`${this.what} (still failing since ${new Date(this.since).toISOString()}; ${this.unsaid} more)`, err);
    this.saidAt = now;
    this.unsaid = 0;
  }

  ok(): void {
    if (this.since === null) return;
    this.log.info(`${this.what}: working again after ${Math.round((Date.now() - this.since) / 1000)} s`);
    this.since = null;
    this.unsaid = 0;
  }
}

/** When due timers are there but locked by another process's claim, look again this soon. */
const CONTENDED_SLEEP_MS = 5;

/** A claim that read, in the same statement, when the next timer it left is due (the loop then does not ask). */
export interface ClaimWithNext<W> {
  works: W[];
  nextDueAt: Date | null;
}

/** What the loop runs: a claim of due timers (locking, leasing and deciding in one transaction), and their work. */
export interface TimerSource<W extends { id: number }> {
  /** Claims at most `limit` due timers for `leaseMs`; returns what each must do (and may say when the next is due). */
  claim(limit: number, leaseMs: number): Promise<W[] | ClaimWithNext<W>>;
  /** Carries out one claimed timer: finishes it, or reschedules it on failure. */
  run(work: W): Promise<void>;
  /** Extends the leases of timers still running (default: escalation jobs'). */
  renew?(ids: number[], leaseMs: number): Promise<void>;
  /** When the next timer is due, leased ones when their lease ends (default: escalation jobs'). */
  nextDueAt?(): Promise<Date | null>;
}

/**
 * Work kept in Postgres that the loop looks for on start and then on each round (at most once per `maxSleepMs`),
 * e.g. declarations whose process died half-way. A sweep claims its own rows; one runs at a time per process.
 */
export interface Sweep {
  sweep(): Promise<void>;
  /**
   * An SQL condition without parameters (from the sweep's repo) that holds when the sweep may have something to do: the
   * loop asks every sweep's at once, in one statement a round, and runs only those whose condition holds (and those
   * without one). Broader than the sweep's claim is fine; narrower would leave work undone.
   */
  readonly dueWhen?: string;
}

/** `sweep`, run only in the rounds where `dueWhen` holds (see {@link Sweep.dueWhen}). */
export function sweepWhen(dueWhen: string, sweep: Sweep): Sweep {
  return { sweep: () => sweep.sweep(), dueWhen };
}

/**
 * Runs due timers from Postgres. Each process claims due rows with FOR UPDATE SKIP LOCKED and a lease, so two
 * processes never run the same job, and sleeps until the next due time (capped) or until poked. The state lives in
 * the table: the in-memory sleep is only a wake-up, so a restart loses nothing. A claim takes every due timer up to
 * a batch, so a thousand timers due at once are all fired (decided) within one or two transactions; carrying them out
 * (Slack calls) is limited by the source.
 */
export class TimerLoop<W extends { id: number }> {
  private readonly opts: TimerLoopOptions;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private wakeAt = 0;
  /**
   * The soonest time poked while the loop was not asleep (claiming, or reading when the next is due): what it read may
   * be older than the poke, so it sleeps no later than this.
   */
  private pokedAt = Number.POSITIVE_INFINITY;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly inFlightIds = new Set<number>();
  private readonly maxSleepMs: number;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastSweepAt = 0;
  private sweeping: Promise<void> | null = null;
  private readonly claimWarning: RepeatedWarning;
  private readonly sweepWarning: RepeatedWarning;
  private readonly renewWarning: RepeatedWarning;

  constructor(
    private readonly db: Database,
    private readonly source: TimerSource<W>,
    private readonly log: Logger = console,
    opts: Partial<TimerLoopOptions> = {},
    private readonly sweeps: readonly Sweep[] = [],
  ) {
    this.opts = { ...DEFAULTS, ...opts };
    this.claimWarning = new RepeatedWarning(this.log, 'timer loop: could not claim due timers; retrying');
    this.sweepWarning = new RepeatedWarning(this.log, 'timer loop: a sweep failed; trying again on a later round');
    this.renewWarning = new RepeatedWarning(this.log, 'timer loop: could not renew leases');
    this.maxSleepMs = this.opts.maxSleepMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
    // A job can outlast its lease (Slack retrying slowly): renew the leases of running jobs well before they end.
    this.heartbeat = setInterval(
      () => {
        const ids = [...this.inFlightIds];
        (this.source.renew
          ? this.source.renew(ids, this.opts.leaseMs)
          : extendLeases(this.db, ids, this.opts.leaseMs)
        ).then(
          () => this.renewWarning.ok(),
          (err) => this.renewWarning.failed(err),
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
    await Promise.allSettled([...this.inFlight, this.sweeping]);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** Something may be due at `at`: wake now if that is sooner than planned. */
  poke(at: Date = new Date()): void {
    if (!this.wake) this.pokedAt = Math.min(this.pokedAt, at.getTime());
    else if (at.getTime() < this.wakeAt) this.wake();
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
    // Claimed in this round and not started yet: every due timer is fired (claimed and decided) before the work of
    // the first ones starts competing with the claims for this event loop.
    let fired: W[] = [];
    while (this.running) {
      this.pokedAt = Number.POSITIVE_INFINITY;
      const room = Math.min(this.opts.batchSize, this.opts.maxHeld - this.inFlight.size - fired.length);
      let claimed: W[] = [];
      let next: Date | null | undefined;
      if (room > 0) {
        try {
          const got = await this.source.claim(room, this.opts.leaseMs);
          if (Array.isArray(got)) claimed = got;
          else ({ works: claimed, nextDueAt: next } = got);
          this.claimWarning.ok();
        } catch (err) {
          this.claimWarning.failed(err);
          this.sweep();
          fired = this.startAll(fired);
          await this.sleep(this.maxSleepMs);
          continue;
        }
      }
      // After the claim, not beside it: on a quiet bot the two then take one connection in turn, not two at once each
      // round (so the pool's second connection closes when idle, a server process fewer on the embedded database).
      this.sweep();
      for (const work of claimed) this.inFlightIds.add(work.id); // leases renewed from now on
      fired.push(...claimed);
      if (claimed.length > 0 && claimed.length === room) continue; // more may be due right now
      fired = this.startAll(fired);
      if (this.inFlight.size >= this.opts.maxHeld) {
        await this.sleep(this.maxSleepMs); // woken when a job finishes
        continue;
      }
      if (next === undefined) {
        try {
          next = await (this.source.nextDueAt ? this.source.nextDueAt() : nextDueAt(this.db));
        } catch {
          next = null; // the next claim reports it
        }
      }
      let ms = next ? Math.max(0, Math.min(this.maxSleepMs, next.getTime() - Date.now())) : this.maxSleepMs;
      // Due but not claimed: another process holds them for a moment (or holds their incident). Not a busy loop.
      if (ms === 0 && claimed.length === 0) ms = this.opts.contendedSleepMs ?? CONTENDED_SLEEP_MS;
      ms = Math.min(ms, Math.max(0, this.pokedAt - Date.now()));
      if (this.running && ms > 0) await this.sleep(ms);
    }
    this.startAll(fired); // stopping: what was claimed still runs (stop() waits for it)
  }

  /** Starts the sweeps unless they are running or ran less than `maxSleepMs` ago; never waits for them. */
  private sweep(): void {
    if (this.sweeps.length === 0 || this.sweeping || Date.now() - this.lastSweepAt < this.maxSleepMs) return;
    this.lastSweepAt = Date.now();
    this.sweeping = (async () => {
      // One warning for the round: a sweep that needs no database succeeding beside one that failed is no recovery.
      let failure: { err: unknown } | null = null;
      // What the sweeps with a condition have to do, asked at once; not known (the database away): each runs and fails
      // as it would have.
      const gated = this.sweeps.flatMap((s) => (s.dueWhen === undefined ? [] : [{ s, when: s.dueWhen }]));
      const due = await sweepsDue(
        this.db,
        gated.map((g) => g.when),
      ).then(
        (flags) => new Set(gated.filter((_, i) => flags[i]).map((g) => g.s)),
        () => new Set(gated.map((g) => g.s)),
      );
      for (const s of this.sweeps) {
        if (s.dueWhen !== undefined && !due.has(s)) continue;
        try {
          await s.sweep();
        } catch (err) {
          failure ??= { err };
        }
      }
      if (failure) this.sweepWarning.failed(failure.err);
      else this.sweepWarning.ok();
    })().finally(() => {
      this.sweeping = null;
    });
  }

  private startAll(works: W[]): W[] {
    for (const work of works) {
      const p: Promise<void> = this.source
        .run(work)
        .catch((err) => this.log.error(`escalation job ${work.id} failed`, err))
        .finally(() => {
          this.inFlight.delete(p);
          this.inFlightIds.delete(work.id);
          if (this.inFlight.size === this.opts.maxHeld - 1) this.wake?.();
        });
      this.inFlight.add(p);
    }
    return [];
  }
}
