import { expect, it } from 'vitest';
import { AlertRecorder } from '../../src/incidents/alert-recorder.js';
import type { AlertRule, AlertStatus, AlertStep, IncomingAlert } from '../../src/incidents/alert-types.js';
import { insertDelivery, lockDeliveries } from '../../src/store/alert-delivery.repo.js';
import { alertsOfNotice } from '../../src/store/alert-notice.repo.js';
import { forEachDatabase } from './databases.js';

const LATENCY: AlertRule = {
  name: 'Latency',
  metric: 'latency',
  threshold: '> 500ms',
  duration: '5m',
  durationMs: 300_000,
  level: 'warning',
  action: 'Check the slow endpoints',
  playbook: null,
  severity: 2,
  autoResolve: false,
  duringMaintenance: 'record',
};

const warning = (fingerprint: string, status: AlertStatus = 'firing'): IncomingAlert => ({
  fingerprint,
  name: 'Latency',
  status,
  level: 'warning',
  rule: 'Latency',
  summary: `Latency on ${fingerprint}`,
  service: 'api',
  metric: null,
  value: null,
  threshold: null,
  labels: { instance: fingerprint },
  url: null,
  startsAt: null,
  endsAt: null,
});

forEachDatabase((ctx) => {
  const recorder = new AlertRecorder(new Map([[LATENCY.name, LATENCY]]), 100, { inMaintenance: async () => false });
  let seq = 0;
  /** One delivery of a group's warnings, recorded as the alert loop does; its plan's notice steps. */
  const record = async (source: string, alerts: IncomingAlert[], truncated = 0) => {
    const d = { source, format: 'alertmanager' as const, groupKey: 'g', alerts, truncated };
    const { id } = await insertDelivery(ctx.db, d, `notice-body-${ctx.kind}-${++seq}`, 60_000);
    const [group] = await ctx.db.transaction(async (tx) => recorder.record(tx, await lockDeliveries(tx, [id])));
    return group!.plan.filter((s): s is Extract<AlertStep, { kind: 'notice' }> => s.kind === 'notice');
  };
  /** Each alert's fingerprint and the fingerprint of the alert whose notice shows it. */
  const leads = async (source: string) =>
    (
      await ctx.db.query<{ fingerprint: string; lead: string }>(
        `SELECT a.fingerprint, coalesce(l.fingerprint, a.fingerprint) AS lead FROM alerts a
         LEFT JOIN alerts l ON l.id = a.notice_lead WHERE a.source = $1 ORDER BY a.id`,
        [source],
      )
    ).rows.map((r) => `${r.fingerprint}→${r.lead}`);

  it("a group's warnings share one notice while one of them fires outside an incident; then a new one", async () => {
    const source = `notices-${ctx.kind}`;
    // Five at once: one notice step, every alert shown in the first one's notice.
    const first = await record(
      source,
      ['w1', 'w2', 'w3', 'w4', 'w5'].map((f) => warning(f)),
    );
    expect(first).toHaveLength(1);
    expect(await leads(source)).toEqual(['w1→w1', 'w2→w1', 'w3→w1', 'w4→w1', 'w5→w1']);
    // A sixth of the group later: shown in the same notice, which is updated (the same step).
    expect(await record(source, [warning('w6')])).toEqual(first);
    expect((await leads(source)).at(-1)).toBe('w6→w1');
    // One resolves and fires again (a row of its own): the notice shows it once, as it is now.
    await record(source, [warning('w1', 'resolved')]);
    await record(source, [warning('w1')]);
    const lead = Number(
      (await ctx.db.query<{ id: number }>(`SELECT min(id) AS id FROM alerts WHERE source = $1`, [source])).rows[0]!.id,
    );
    const shown = await alertsOfNotice(ctx.db, lead, 10);
    expect([shown.total, shown.firing]).toEqual([6, 6]);
    expect(shown.alerts.map((a) => a.fingerprint)).toEqual(['w1', 'w2', 'w3', 'w4', 'w5', 'w6'].slice(1).concat('w1'));
    // Every one resolves: one update of that notice.
    expect(
      await record(
        source,
        ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'].map((f) => warning(f, 'resolved')),
      ),
    ).toEqual(first);
    // A warning of the group after that: the notice is over (nothing in it fires), so it gets its own.
    const next = await record(source, [warning('w7')]);
    expect(next).toHaveLength(1);
    expect(next).not.toEqual(first);
    expect((await leads(source)).at(-1)).toBe('w7→w7');
  });

  it('a repeat updates the notice only when it says something new (its value or summary), not at every resend', async () => {
    const source = `repeats-${ctx.kind}`;
    const at = (value: string) => ({ ...warning('p95'), value });
    expect(await record(source, [at('3s')])).toHaveLength(1);
    expect(await record(source, [at('3s')])).toEqual([]);
    expect(await record(source, [at('12s')])).toHaveLength(1);
    expect(await record(source, [at('12s')])).toEqual([]);
  });

  it('what the source left out of the group (max_alerts) is kept on its notice, which is updated when it changes', async () => {
    const source = `left-out-${ctx.kind}`;
    const leftOut = async () =>
      (
        await ctx.db.query<{ n: number }>(
          `SELECT notice_left_out AS n FROM alerts WHERE source = $1 AND notice_lead IS NULL ORDER BY id LIMIT 1`,
          [source],
        )
      ).rows[0]!.n;
    expect(await record(source, [warning('t1'), warning('t2')], 90)).toHaveLength(1);
    expect(await leftOut()).toBe(90);
    // A resend saying the same: nothing to update; fewer left out: the notice is updated.
    expect(await record(source, [warning('t1'), warning('t2')], 90)).toEqual([]);
    expect(await record(source, [warning('t1'), warning('t2')], 40)).toHaveLength(1);
    expect(await leftOut()).toBe(40);
  });
});
