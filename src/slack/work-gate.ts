import { performance } from 'node:perf_hooks';

/**
 * Admission control for the work a listener does after it acks. At most `maxActive` requests are worked on at once
 * and at most `maxWaiting` wait; beyond that a request is refused at once with a clear message, so acks stay fast
 * and every accepted request finishes, instead of everything timing out together under a flood.
 *
 * `busy` (optional) tells how busy the process is, from 0 to 1. While it is at `busyAt` (0.5) or above, only one request is
 * worked on at a time: the work is CPU-bound then, and work that keeps the loop busy delays the acks Slack needs within
 * 3 s. If moreover a backlog waits (at least `maxActive`: a flood, not a few people at once), the next one starts
 * `busyPauseMs` (1 s) after the last: acks come first, and the queue still moves about as fast as Slack lets an app
 * create channels (about 20 a minute). When the work waits on Slack instead, the process is idle and up to `maxActive`
 * run at once, back to back.
 */
export class WorkGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private pause: NodeJS.Timeout | null = null;

  constructor(
    readonly maxActive: number,
    readonly maxWaiting: number,
    private readonly busy: () => number = () => 0,
    private readonly opts: { busyAt?: number; busyPauseMs?: number } = {},
  ) {}

  private get isBusy(): boolean {
    return this.busy() >= (this.opts.busyAt ?? 0.5);
  }

  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  /** How many may run at once right now. */
  get limit(): number {
    return this.isBusy ? Math.min(1, this.maxActive) : this.maxActive;
  }

  /** Reserves a place, or returns null when full. Call `run` on the ticket right away. */
  reserve(): { run<T>(fn: () => Promise<T>): Promise<T> } | null {
    if (this.active + this.waiting.length >= this.maxActive + this.maxWaiting) return null;
    let ready: Promise<void>;
    if (this.waiting.length === 0 && !this.pause && this.active < this.limit) {
      this.active++;
      ready = Promise.resolve();
    } else {
      // Started by a finishing request (startWaiting), which counts it as active.
      ready = new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    return {
      run: async <T>(fn: () => Promise<T>): Promise<T> => {
        await ready;
        try {
          return await fn();
        } finally {
          this.active--;
          this.startWaiting();
        }
      },
    };
  }

  private startWaiting(): void {
    if (this.pause || this.waiting.length === 0) return;
    const pauseMs = this.opts.busyPauseMs ?? 1000;
    // A backlog (more waiting than could ever run at once) in a busy process: a flood, not a few people at once.
    if (pauseMs > 0 && this.waiting.length >= this.maxActive && this.isBusy) {
      this.pause = setTimeout(() => {
        this.pause = null;
        this.startNow();
      }, pauseMs);
      return;
    }
    this.startNow();
  }

  private startNow(): void {
    // Always at least one, so that waiting work moves on however busy the process is.
    const limit = Math.max(1, this.limit);
    while (this.waiting.length > 0 && this.active < limit) {
      this.active++;
      this.waiting.shift()!();
    }
  }
}

/**
 * The two gates every listener's work goes through (afterAck's `admit`):
 * - `light`: most work (status, lists, clicks, forms). Many at once and a long queue, never held back for the process
 *   being busy: this work is a few queries and Slack calls each, so refusing it under load refuses what on-call
 *   people need most (bench/mixed: at 100 requests a second per bot the busy rule refused two requests in three).
 * - `heavy`: declarations, which create a channel and post several messages each, and which Slack limits to about
 *   20 channels a minute: few at once, a short queue, one at a time with pauses while the process is busy.
 */
export interface WorkGates {
  light: WorkGate;
  heavy: WorkGate;
  /** The work behind every ack, gated or not, until it ends: a stop waits for it before the database closes. */
  inFlight: InFlight;
}

/** Work started and not ended, to wait for at a stop (a deploy's SIGTERM must not cut a status update in half). */
export class InFlight {
  private readonly work = new Set<Promise<unknown>>();

  track(p: Promise<unknown>): void {
    this.work.add(p);
    p.then(
      () => this.work.delete(p),
      () => this.work.delete(p),
    );
  }

  get size(): number {
    return this.work.size;
  }

  /** Resolves once the work started so far has ended, or after `timeoutMs`, whichever comes first. */
  async idle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => {
      timer = setTimeout(r, timeoutMs);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([...this.work]), late]);
    clearTimeout(timer);
  }
}

export interface GateLimits {
  maxActive: number;
  maxWaiting: number;
}

export const LIGHT_LIMITS: GateLimits = { maxActive: 32, maxWaiting: 2000 };
export const HEAVY_LIMITS: GateLimits = { maxActive: 4, maxWaiting: 64 };

export function workGates(heavy: GateLimits = HEAVY_LIMITS, light: GateLimits = LIGHT_LIMITS): WorkGates {
  return {
    light: new WorkGate(light.maxActive, light.maxWaiting),
    heavy: new WorkGate(heavy.maxActive, heavy.maxWaiting, eventLoopBusy()),
    inFlight: new InFlight(),
  };
}

/**
 * The event loop's utilisation (0..1) over the last `windowMs` or so, from Node's own counters
 * (performance.eventLoopUtilization): sampled when asked, so it needs no timer.
 */
export function eventLoopBusy(windowMs = 100): () => number {
  let mark = performance.eventLoopUtilization();
  let markAt = performance.now();
  let value = 0;
  return () => {
    const now = performance.now();
    if (now - markAt >= windowMs) {
      const current = performance.eventLoopUtilization();
      value = performance.eventLoopUtilization(current, mark).utilization;
      mark = current;
      markAt = now;
    }
    return value;
  };
}

export const BUSY_TEXT =
  ':hourglass: The bot is overloaded right now and did nothing with this request. Try again in a minute; if this is a real incident, follow the runbook by hand meanwhile.';
