import { describe, expect, it } from 'vitest';
import { eventLoopBusy, WorkGate } from '../../src/slack/work-gate.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('WorkGate', () => {
  it('runs at most maxActive at once, queues maxWaiting, refuses the rest, and drains in order', async () => {
    const gate = new WorkGate(2, 1);
    const started: number[] = [];
    const blockers = [deferred(), deferred(), deferred()];
    const tickets = [gate.reserve(), gate.reserve(), gate.reserve()];
    expect(tickets.every(Boolean)).toBe(true);
    expect(gate.reserve()).toBeNull();
    const runs = tickets.map((t, i) =>
      t!.run(async () => {
        started.push(i);
        await blockers[i]!.promise;
        return i;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0, 1]);
    expect(gate.load).toEqual({ active: 2, waiting: 1 });
    blockers[0]!.resolve();
    await runs[0];
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0, 1, 2]);
    expect(gate.load).toEqual({ active: 2, waiting: 0 });
    blockers[1]!.resolve();
    blockers[2]!.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
    expect(gate.reserve()).not.toBeNull();
  });

  it('frees the slot when the work throws', async () => {
    const gate = new WorkGate(1, 0);
    await expect(gate.reserve()!.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });

  it('works on one at a time while the process is busy, and on up to maxActive again when it is not', async () => {
    let busy = 0.95;
    const gate = new WorkGate(3, 10, () => busy, { busyPauseMs: 0 });
    const started: number[] = [];
    const blockers = Array.from({ length: 5 }, deferred);
    const runs = blockers.map((b, i) =>
      gate.reserve()!.run(async () => {
        started.push(i);
        await b.promise;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0]);
    expect(gate.load).toEqual({ active: 1, waiting: 4 });
    blockers[0]!.resolve();
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0, 1]); // still busy: one at a time, but waiting work moves on
    busy = 0.1;
    blockers[1]!.resolve();
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(gate.load).toEqual({ active: 3, waiting: 0 });
    for (const b of blockers) b.resolve();
    await Promise.all(runs);
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });

  it('while busy with a backlog, starts the next waiting request only after a pause, so acks get the loop first', async () => {
    const gate = new WorkGate(1, 10, () => 1, { busyPauseMs: 60 });
    const startedAt: number[] = [];
    const runs = [0, 1, 2].map(() =>
      gate.reserve()!.run(async () => {
        startedAt.push(Date.now());
      }),
    );
    await Promise.all(runs);
    expect(startedAt).toHaveLength(3);
    expect(startedAt[1]! - startedAt[0]!).toBeGreaterThanOrEqual(55);
    expect(startedAt[2]! - startedAt[1]!).toBeGreaterThanOrEqual(55);
  });

  it('while busy without a backlog (fewer waiting than maxActive), starts the next one at once', async () => {
    const gate = new WorkGate(3, 10, () => 1, { busyPauseMs: 500 });
    const startedAt: number[] = [];
    const runs = [0, 1].map(() =>
      gate.reserve()!.run(async () => {
        startedAt.push(Date.now());
      }),
    );
    await Promise.all(runs);
    expect(startedAt[1]! - startedAt[0]!).toBeLessThan(100);
  });

  it('refuses by the configured capacity, not by the busy limit', () => {
    const gate = new WorkGate(3, 2, () => 1);
    const tickets = Array.from({ length: 6 }, () => gate.reserve());
    expect(tickets.map(Boolean)).toEqual([true, true, true, true, true, false]);
  });

  it('eventLoopBusy reads near 1 while the loop is blocked and near 0 while it idles', async () => {
    const busy = eventLoopBusy(50);
    const spin = Date.now() + 120;
    while (Date.now() < spin) {} // block the loop
    await new Promise((r) => setImmediate(r));
    expect(busy()).toBeGreaterThan(0.8);
    // Idle: the reading falls. Other test files share the machine (and this worker's loop has
    // vitest's own work), so one window may read some activity; of five idle windows, the
    // quietest must read near 0.
    const idle: number[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 120));
      idle.push(busy());
    }
    expect(Math.min(...idle)).toBeLessThan(0.3);
  });
});
