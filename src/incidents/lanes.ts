/**
 * A concurrency limit with two lanes: work in the urgent lane (a page reaching a person) always starts before work
 * waiting in the follow-up lane (the channel line, the card refresh). When many timers fire at once, every person is
 * paged before the bookkeeping of the first pages is done.
 */
export type Lane = 'urgent' | 'follow_up';

export class Lanes {
  private active = 0;
  private paused = 0;
  private readonly waiting: Record<Lane, (() => void)[]> = { urgent: [], follow_up: [] };

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error('Lanes: the limit must be a whole number above 0');
  }

  async run<T>(lane: Lane, fn: () => Promise<T>): Promise<T> {
    // A waiter is given its slot by whoever wakes it (startWaiting).
    if (this.active >= this.limit || this.paused > 0) await new Promise<void>((r) => this.waiting[lane].push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.startWaiting();
    }
  }

  /**
   * Starts no new work until `fn` is done (work already running goes on): the timer loop's claim runs on the same
   * event loop as the Slack calls, and firing a timer on time comes before carrying out the ones already fired.
   */
  async whilePaused<T>(fn: () => Promise<T>): Promise<T> {
    this.paused++;
    try {
      return await fn();
    } finally {
      this.paused--;
      this.startWaiting();
    }
  }

  private startWaiting(): void {
    while (this.paused === 0 && this.active < this.limit) {
      const next = this.waiting.urgent.shift() ?? this.waiting.follow_up.shift();
      if (!next) return;
      this.active++;
      next();
    }
  }

  get stats(): { active: number; urgent: number; followUp: number } {
    return { active: this.active, urgent: this.waiting.urgent.length, followUp: this.waiting.follow_up.length };
  }
}
