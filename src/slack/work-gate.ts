import { performance } from 'node:perf_hooks';

/**
 * Admission control for the work a listener does after it acks. At most `maxActive` requests are worked on at once
 * and at most `maxWaiting` wait; beyond that a request is refused at once with a clear message, so acks stay fast
 * and every accepted request finishes, instead of everything timing out together under a flood.
 *
 * `busy` (optional) tells how busy the process is, from 0 to 1. While it is at `busyAt` or above, only one request is
 * worked on at a time: the work is CPU-bound then (more at once would only take turns with the acks, which Slack
 * needs within 3 s), and when it waits on Slack instead, the process is idle and up to `maxActive` run at once.
 */
export class WorkGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly maxActive: number,
    readonly maxWaiting: number,
    private readonly busy: () => number = () => 0,
    private readonly busyAt = 0.8,
  ) {}

  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  /** How many may run at once right now. */
  get limit(): number {
    return this.busy() >= this.busyAt ? Math.min(1, this.maxActive) : this.maxActive;
  }

  /** Reserves a place, or returns null when full. Call `run` on the ticket right away. */
  reserve(): { run<T>(fn: () => Promise<T>): Promise<T> } | null {
    if (this.active + this.waiting.length >= this.maxActive + this.maxWaiting) return null;
    let ready: Promise<void>;
    if (this.waiting.length === 0 && this.active < this.limit) {
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
    // Always at least one, so that waiting work moves on however busy the process is.
    const limit = Math.max(1, this.limit);
    while (this.waiting.length > 0 && this.active < limit) {
      this.active++;
      this.waiting.shift()!();
    }
  }
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
