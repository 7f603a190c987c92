import { afterEach, expect, it } from 'vitest';
import { type ClaimWithNext, TimerLoop, type TimerSource } from '../../src/incidents/timer-loop.js';
import type { Database } from '../../src/store/db.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A source whose claims take `claimMs` and find work only once `ready` is set; it says nothing is due after. */
function slowSource(claimMs: number) {
  const state = { ready: false, claims: 0, ran: [] as number[], claimStarted: 0 };
  const source: TimerSource<{ id: number }> = {
    async claim(): Promise<ClaimWithNext<{ id: number }>> {
      state.claims++;
      state.claimStarted = Date.now();
      // What the claim's statement saw: nothing, or the work, as of its start.
      const works = state.ready ? [{ id: state.claims }] : [];
      state.ready = false;
      await sleep(claimMs);
      return { works, nextDueAt: null };
    },
    async run(w) {
      state.ran.push(w.id);
    },
    async renew() {},
    async nextDueAt() {
      return null;
    },
  };
  return { source, state };
}

let loop: TimerLoop<{ id: number }> | null = null;
afterEach(async () => {
  await loop?.stop();
  loop = null;
});

it('work poked while a claim is running is claimed at once, not after the longest sleep', async () => {
  const { source, state } = slowSource(150);
  loop = new TimerLoop({} as Database, source, quiet, { maxSleepMs: 10_000, leaseMs: 60_000 });
  loop.start();
  await sleep(50); // the first claim is running: it saw nothing
  state.ready = true;
  const pokedAt = Date.now();
  loop.poke();
  while (state.ran.length === 0 && Date.now() - pokedAt < 5000) await sleep(10);
  // Before, the poke was lost (the loop was not asleep) and the work waited for the 10 s sleep.
  expect(state.ran).toHaveLength(1);
  expect(Date.now() - pokedAt).toBeLessThan(1000);
});

it('a poke for later, while a claim runs, bounds the sleep that follows', async () => {
  const { source, state } = slowSource(100);
  loop = new TimerLoop({} as Database, source, quiet, { maxSleepMs: 10_000, leaseMs: 60_000 });
  loop.start();
  await sleep(30);
  const claims = state.claims;
  loop.poke(new Date(Date.now() + 400));
  await sleep(900);
  // The claim that was running, then one at the poked time (not one 10 s later).
  expect(state.claims).toBe(claims + 1);
  expect(state.claimStarted).toBeGreaterThan(0);
});

it('on a quiet loop, a sweep starts after the round claim, never beside it (one connection in turn, not two)', async () => {
  let claiming = false;
  const overlaps: number[] = [];
  let sweeps = 0;
  let sweeping = false;
  const source: TimerSource<{ id: number }> = {
    async claim(): Promise<ClaimWithNext<{ id: number }>> {
      if (sweeping) overlaps.push(Date.now());
      claiming = true;
      await sleep(40);
      claiming = false;
      return { works: [], nextDueAt: null };
    },
    async run() {},
    async renew() {},
  };
  const sweep = {
    async sweep() {
      if (claiming) overlaps.push(Date.now());
      sweeps++;
      sweeping = true;
      await sleep(5);
      sweeping = false;
    },
  };
  loop = new TimerLoop({} as Database, source, quiet, { maxSleepMs: 100, leaseMs: 60_000 }, [sweep]);
  loop.start();
  // A few rounds of 100 ms (a loaded machine runs fewer in a second: three once).
  for (const until = Date.now() + 10_000; sweeps < 4 && Date.now() < until; ) await sleep(100);
  expect(sweeps).toBeGreaterThanOrEqual(4);
  // Before, each round started its sweep and then its claim: every sweep ran beside a claim.
  expect(overlaps).toEqual([]);
});
