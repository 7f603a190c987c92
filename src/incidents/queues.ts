/** In-process queues: work waiting its turn without holding what it needs (a database connection, a slot). */

/** At most `size` at once; the others wait their turn, in order. */
export class Slots {
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

/** One at a time per key, in order; what waits holds nothing (no slot, no connection). */
export class Turns {
  private readonly last = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.last.get(key) ?? Promise.resolve();
    let over!: () => void;
    const mine = before.then(() => new Promise<void>((r) => (over = r)));
    this.last.set(key, mine);
    await before;
    try {
      return await fn();
    } finally {
      over();
      if (this.last.get(key) === mine) this.last.delete(key);
    }
  }
}
