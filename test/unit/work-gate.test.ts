import { describe, expect, it } from 'vitest';
import { WorkGate } from '../../src/slack/work-gate.js';

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
});
