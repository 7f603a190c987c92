import { expect, it } from 'vitest';
import { RepeatedWarning } from '../../src/incidents/timer-loop.js';

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
