import { describe, expect, it } from 'vitest';
import { Lanes } from '../../src/incidents/lanes.js';

const tick = () => new Promise((r) => setImmediate(r));

/** A task that runs until released, recording when it starts. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => {
    release = r;
  });
  return {
    release: () => release(),
    fn: async () => {
      log.push(name);
      await done;
      return name;
    },
  };
}

describe('Lanes', () => {
  it('runs at most `limit` tasks at once', async () => {
    const lanes = new Lanes(2);
    const log: string[] = [];
    const tasks = ['a', 'b', 'c', 'd'].map((n) => gate(log, n));
    const results = tasks.map((t) => lanes.run('urgent', t.fn));
    await tick();
    expect(log).toEqual(['a', 'b']);
    tasks[0]!.release();
    await tick();
    expect(log).toEqual(['a', 'b', 'c']);
    for (const t of tasks) t.release();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect(lanes.stats).toEqual({ active: 0, urgent: 0, followUp: 0 });
  });

  it('starts waiting urgent work before waiting follow-up work, whatever the order it came in', async () => {
    const lanes = new Lanes(1);
    const log: string[] = [];
    const first = gate(log, 'first');
    const f1 = gate(log, 'follow-1');
    const u1 = gate(log, 'urgent-1');
    const f2 = gate(log, 'follow-2');
    const u2 = gate(log, 'urgent-2');
    const all = [
      lanes.run('urgent', first.fn),
      lanes.run('follow_up', f1.fn),
      lanes.run('urgent', u1.fn),
      lanes.run('follow_up', f2.fn),
      lanes.run('urgent', u2.fn),
    ];
    for (const t of [first, u1, u2, f1, f2]) {
      await tick();
      t.release();
    }
    await Promise.all(all);
    expect(log).toEqual(['first', 'urgent-1', 'urgent-2', 'follow-1', 'follow-2']);
  });

  it('starts nothing new while paused; running work goes on; waiting work starts after', async () => {
    const lanes = new Lanes(4);
    const log: string[] = [];
    const running = gate(log, 'running');
    const r = lanes.run('urgent', running.fn);
    await tick();
    let endPause!: () => void;
    const pause = lanes.whilePaused(
      () =>
        new Promise<void>((res) => {
          endPause = res;
        }),
    );
    const later = gate(log, 'later');
    const l = lanes.run('urgent', later.fn);
    running.release();
    await r;
    await tick();
    expect(log).toEqual(['running']);
    expect(lanes.stats.urgent).toBe(1);
    endPause();
    await pause;
    await tick();
    expect(log).toEqual(['running', 'later']);
    later.release();
    await l;
    expect(lanes.stats).toEqual({ active: 0, urgent: 0, followUp: 0 });
  });

  it('a failing task frees its slot', async () => {
    const lanes = new Lanes(1);
    await expect(lanes.run('urgent', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lanes.run('follow_up', async () => 'ok')).toBe('ok');
  });
});
