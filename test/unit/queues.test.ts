import { describe, expect, it } from 'vitest';
import { Slots } from '../../src/incidents/queues.js';

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
