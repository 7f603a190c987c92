import { describe, expect, it } from 'vitest';
import { Slots, Turns } from '../../src/incidents/queues.js';

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

describe('Turns', () => {
  it('runs the work of one key one at a time, in the order it came', async () => {
    const turns = new Turns();
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => task(log, n));
    const runs = [turns.run('s', a!.fn), turns.run('s', b!.fn), turns.run('s', c!.fn)];
    await tick();
    expect(log).toEqual(['a start']);
    c!.end();
    b!.end();
    await tick();
    // b and c may end whenever they are told, but start only after the one before them is over.
    expect(log).toEqual(['a start']);
    a!.end();
    expect(await Promise.all(runs)).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('runs the work of different keys side by side', async () => {
    const turns = new Turns();
    const log: string[] = [];
    const [a, b] = ['a', 'b'].map((n) => task(log, n));
    const runs = [turns.run('one', a!.fn), turns.run('other', b!.fn)];
    await tick();
    expect(log).toEqual(['a start', 'b start']);
    a!.end();
    b!.end();
    await Promise.all(runs);
  });

  it('a failure passes the turn on, and the caller gets it', async () => {
    const turns = new Turns();
    const failing = turns.run('s', async () => {
      throw new Error('lost the database');
    });
    const next = turns.run('s', async () => 'next');
    await expect(failing).rejects.toThrow('lost the database');
    expect(await next).toBe('next');
  });

  it('a key whose work is over starts the next at once', async () => {
    const turns = new Turns();
    await turns.run('s', async () => 'first');
    const log: string[] = [];
    const t = task(log, 'later');
    const run = turns.run('s', t.fn);
    await tick();
    expect(log).toEqual(['later start']);
    t.end();
    await run;
  });
});

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
