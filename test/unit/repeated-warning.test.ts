import { expect, it } from 'vitest';
import { RepeatedWarning, TimerLoop } from '../../src/incidents/timer-loop.js';
import type { Database } from '../../src/store/db.js';

it('a warning repeated every round is said once, then at most once per interval with how many went unsaid, and its end once', async () => {
  const said: string[] = [];
  const log = {
    warn: (m: unknown) => void said.push(`warn ${String(m)}`),
    info: (m: unknown) => void said.push(`info ${String(m)}`),
  };
  const w = new RepeatedWarning(log, 'could not claim', 50);
  for (let i = 0; i < 5; i++) w.failed(new Error('down'));
  expect(said).toEqual(['warn could not claim']);
  await new Promise((r) => setTimeout(r, 60));
  w.failed(new Error('down'));
  expect(said).toHaveLength(2);
  expect(said[1]).toMatch(/^warn could not claim \(still failing since .*; 4 more\)$/);
  w.ok();
  w.ok();
  expect(said).toHaveLength(3);
  expect(said[2]).toMatch(/^info could not claim: working again after \d+ s$/);
  // A new outage is said again at once.
  w.failed(new Error('down'));
  expect(said).toHaveLength(4);
});

it('the timer loop warns once for sweeps that keep failing, though another sweep of the same round succeeds', async () => {
  const said: string[] = [];
  const log = {
    warn: (m: unknown) => void said.push(`warn ${String(m)}`),
    info: (m: unknown) => void said.push(`info ${String(m)}`),
    error: (m: unknown) => void said.push(`error ${String(m)}`),
  };
  const source = {
    claim: async () => [],
    run: async () => {},
    renew: async () => {},
    nextDueAt: async () => null,
  };
  const sweeps = [
    {
      sweep: async () => {
        throw new Error('the database cannot be reached');
      },
    },
    { sweep: async () => {} },
  ];
  const loop = new TimerLoop({} as Database, source, log, { maxSleepMs: 20 }, sweeps);
  loop.start();
  await new Promise((r) => setTimeout(r, 300));
  await loop.stop();
  expect(said.filter((s) => s.includes('sweep'))).toEqual([
    'warn timer loop: a sweep failed; trying again on a later round',
  ]);
});
