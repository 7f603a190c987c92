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

/** A promise, and what settles it: for work that waits for a word given elsewhere (giving it again does nothing). */
export interface Signal {
  readonly done: Promise<void>;
  readonly give: () => void;
}

export function signal(): Signal {
  let give!: () => void;
  const done = new Promise<void>((r) => {
    give = r;
  });
  return { done, give };
}
