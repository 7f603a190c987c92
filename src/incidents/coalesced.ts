/**
 * Work on one key at a time, with what is asked meanwhile folded into one run after it: while a run for a key is under
 * way, every further call for that key waits for a single run that starts when it ends (however many asked), and is
 * answered by it. That later run is given what the run before it returned (undefined when it failed), so it can skip
 * what was done already.
 *
 * For work whose latest result makes the earlier ones moot (re-rendering an incident's card from the database): under
 * a burst of changes to one incident it runs twice, not once per change, and every caller's change is covered, since
 * a caller asks only after its change committed and the run that answers it starts after that.
 */
export class Coalesced<K, R> {
  private readonly flights = new Map<K, Flight<R>>();

  run(key: K, work: (before: R | undefined) => Promise<R>): Promise<R> {
    const flight = this.flights.get(key);
    if (flight) {
      flight.next = work;
      return new Promise<R>((resolve, reject) => flight.waiters.push({ resolve, reject }));
    }
    const first: Flight<R> = { next: null, waiters: [] };
    this.flights.set(key, first);
    return this.fly(key, first, work, undefined);
  }

  /** Keys with a run under way (for tests and metrics). */
  get active(): number {
    return this.flights.size;
  }

  private async fly(key: K, flight: Flight<R>, work: (before: R | undefined) => Promise<R>, before: R | undefined) {
    let result: R | undefined;
    try {
      result = await work(before);
      return result;
    } finally {
      const next = flight.next;
      if (next) {
        // Handed over at once: a call that comes now joins the next run rather than starting one beside it.
        const following: Flight<R> = { next: null, waiters: [] };
        this.flights.set(key, following);
        const waiters = flight.waiters;
        this.fly(key, following, next, result).then(
          (r) => {
            for (const w of waiters) w.resolve(r);
          },
          (err: unknown) => {
            for (const w of waiters) w.reject(err);
          },
        );
      } else {
        this.flights.delete(key);
      }
    }
  }
}

interface Flight<R> {
  /** The work of the run after this one, when someone asked meanwhile (the latest asker's). */
  next: ((before: R | undefined) => Promise<R>) | null;
  /** Who waits for that run. */
  waiters: { resolve: (r: R) => void; reject: (err: unknown) => void }[];
}
