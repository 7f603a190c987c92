import { describe, expect, it } from 'vitest';
import { Coalesced } from '../../src/incidents/coalesced.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Coalesced', () => {
  it('runs once when alone, and forgets the key after', async () => {
    const c = new Coalesced<number, string>();
    const seen: (string | undefined)[] = [];
    expect(
      await c.run(1, async (before) => {
        seen.push(before);
        return 'a';
      }),
    ).toBe('a');
    expect(
      await c.run(1, async (before) => {
        seen.push(before);
        return 'b';
      }),
    ).toBe('b');
    expect(seen).toEqual([undefined, undefined]);
    expect(c.active).toBe(0);
  });

  it('folds every call made during a run into one run after it, given the first run result', async () => {
    const c = new Coalesced<string, number>();
    const runs: (number | undefined)[] = [];
    const work = (n: number) => async (before: number | undefined) => {
      runs.push(before);
      await sleep(40);
      return n;
    };
    const first = c.run('k', work(1));
    await sleep(5);
    const later = [2, 3, 4, 5].map((n) => c.run('k', work(n)));
    expect(await first).toBe(1);
    // The run after is the last caller's work, and every later caller gets its result.
    expect(await Promise.all(later)).toEqual([5, 5, 5, 5]);
    expect(runs).toEqual([undefined, 1]);
    expect(c.active).toBe(0);
  });

  it('a call made during the run after waits for a third run, never runs beside it', async () => {
    const c = new Coalesced<string, number>();
    let running = 0;
    let most = 0;
    const work = (n: number) => async () => {
      most = Math.max(most, ++running);
      await sleep(30);
      running--;
      return n;
    };
    const a = c.run('k', work(1));
    await sleep(5);
    const b = c.run('k', work(2));
    await sleep(40); // a is done; b's run is under way
    const d = c.run('k', work(3));
    expect([await a, await b, await d]).toEqual([1, 2, 3]);
    expect(most).toBe(1);
  });

  it('keys do not wait for each other', async () => {
    const c = new Coalesced<string, string>();
    const order: string[] = [];
    const slow = c.run('slow', async () => {
      await sleep(60);
      order.push('slow');
      return 'slow';
    });
    const fast = c.run('fast', async () => {
      await sleep(5);
      order.push('fast');
      return 'fast';
    });
    await Promise.all([slow, fast]);
    expect(order).toEqual(['fast', 'slow']);
  });

  it('a failed run rejects its own caller; the run after is given undefined and answers the rest', async () => {
    const c = new Coalesced<string, string>();
    const befores: (string | undefined)[] = [];
    const first = c.run('k', async () => {
      await sleep(20);
      throw new Error('slack down');
    });
    await sleep(5);
    const next = c.run('k', async (before) => {
      befores.push(before);
      return 'ok';
    });
    await expect(first).rejects.toThrow('slack down');
    expect(await next).toBe('ok');
    expect(befores).toEqual([undefined]);
  });

  it('a failed run after rejects every caller that waited for it', async () => {
    const c = new Coalesced<string, string>();
    const first = c.run('k', async () => {
      await sleep(20);
      return 'ok';
    });
    await sleep(5);
    const waiting = [1, 2].map(() =>
      c.run('k', async () => {
        throw new Error('gone');
      }),
    );
    expect(await first).toBe('ok');
    for (const w of waiting) await expect(w).rejects.toThrow('gone');
    expect(c.active).toBe(0);
  });
});
