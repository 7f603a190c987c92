/**
 * Admission control for the work a listener does after it acks. At most `maxActive` requests are worked on at once
 * and at most `maxWaiting` wait; beyond that a request is refused at once with a clear message, so acks stay fast
 * and every accepted request finishes, instead of everything timing out together under a flood.
 */
export class WorkGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly maxActive: number,
    readonly maxWaiting: number,
  ) {}

  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  /** Reserves a place, or returns null when full. Call `run` on the ticket right away. */
  reserve(): { run<T>(fn: () => Promise<T>): Promise<T> } | null {
    if (this.active + this.waiting.length >= this.maxActive + this.maxWaiting) return null;
    let ready: Promise<void>;
    if (this.active < this.maxActive) {
      this.active++;
      ready = Promise.resolve();
    } else {
      // A releasing request hands its slot straight to the first waiter, so `active` stays as it is.
      ready = new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    return {
      run: async <T>(fn: () => Promise<T>): Promise<T> => {
        await ready;
        try {
          return await fn();
        } finally {
          const next = this.waiting.shift();
          if (next) next();
          else this.active--;
        }
      },
    };
  }
}

export const BUSY_TEXT =
  ':hourglass: The bot is overloaded right now and did nothing with this request. Try again in a minute; if this is a real incident, follow the runbook by hand meanwhile.';
