import { describe, expect, it } from 'vitest';
import { Slots, signal } from '../../src/incidents/queues.js';

/** A task that records when it starts and ends, and ends when told. */
function task(log: string[], name: string) {
  let end!: () => void;
  const ended = new Promise<void>((r) => (end = r));
  return {
    end,
    fn: async () => {
      log.push(`${name} start`);
      await ended;
      log.push(`${name} end`);
      return name;
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Slots', () => {
  it('runs at most its size at once, the rest in the order they came', async () => {
    const slots = new Slots(2);
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => task(log, n));
    const runs = [slots.run(a!.fn), slots.run(b!.fn), slots.run(c!.fn)];
    await tick();
    expect(log).toEqual(['a start', 'b start']);
    b!.end();
    await tick();
    expect(log).toEqual(['a start', 'b start', 'b end', 'c start']);
    a!.end();
    c!.end();
    expect(await Promise.all(runs)).toEqual(['a', 'b', 'c']);
  });
});

describe('signal', () => {
  it('is waited for until given; giving it again changes nothing', async () => {
    const s = signal();
    let seen = false;
    void s.done.then(() => {
      seen = true;
    });
    await tick();
    expect(seen).toBe(false);
    s.give();
    s.give();
    await s.done;
    expect(seen).toBe(true);
  });
});
