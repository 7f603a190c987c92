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

it("the alert loop's sweep says once that it cannot look at held-back alerts or heartbeats, not every round of an outage", async () => {
  const { AlertService } = await import('../../src/incidents/alert.service.js');
  const said: string[] = [];
  const log = {
    warn: (m: unknown) => void said.push(`warn ${String(m)}`),
    info: (m: unknown) => void said.push(`info ${String(m)}`),
    error: (m: unknown) => void said.push(`error ${String(m)}`),
  };
  let down = true;
  const refuse = async () => {
    if (down) throw new Error('the database cannot be reached');
    return { rows: [], rowCount: 0 };
  };
  const db = { query: refuse, transaction: refuse } as unknown as Database;
  const rules = [{ name: 'Backup heartbeat', heartbeatMs: 60_000 }] as unknown as ConstructorParameters<
    typeof AlertService
  >[4];
  const service = new AlertService(
    db,
    {} as ConstructorParameters<typeof AlertService>[1],
    {} as ConstructorParameters<typeof AlertService>[2],
    {} as ConstructorParameters<typeof AlertService>[3],
    rules,
    { maxIncidents: 3 },
    log as unknown as ConstructorParameters<typeof AlertService>[6],
  );
  // Heartbeats are looked at once a second at most: two of their looks fail, and five of the held-back alerts'.
  const sweeps = async (n: number) => {
    for (let i = 0; i < n; i++) await service.sweep().catch(() => {});
  };
  await sweeps(3);
  await new Promise((r) => setTimeout(r, 1_050));
  await sweeps(2);
  expect(said.filter((s) => s.startsWith('warn'))).toEqual([
    'warn could not look at the alerts a maintenance window held back; trying again shortly',
    'warn could not look at the heartbeats; trying again shortly',
  ]);
  down = false;
  await sweeps(1);
  await new Promise((r) => setTimeout(r, 1_050));
  await sweeps(1);
  expect(said.filter((s) => s.startsWith('info')).map((s) => s.replace(/after \d+ s/, 'after N s'))).toEqual([
    'info could not look at the alerts a maintenance window held back; trying again shortly: working again after N s',
    'info could not look at the heartbeats; trying again shortly: working again after N s',
  ]);
  expect(said.filter((s) => s.startsWith('warn'))).toHaveLength(2);
});
