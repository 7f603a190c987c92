import { expect, it } from 'vitest';
import type { MaintenanceWindows } from '../../src/incidents/alert-ports.js';
import { AlertRecorder } from '../../src/incidents/alert-recorder.js';
import type { AlertLevel, AlertRule, AlertStatus, IncomingAlert } from '../../src/incidents/alert-types.js';
import { heldBackAlerts } from '../../src/store/alert.repo.js';
import { insertDelivery, lockDeliveries } from '../../src/store/alert-delivery.repo.js';
import { forEachDatabase } from './databases.js';

/** Rows that say `during_maintenance: record`, as the runbook's AppHealthCheckFailing does. */
const row = (name: string, level: AlertLevel): AlertRule => ({
  name,
  metric: name.toLowerCase(),
  threshold: '> 50% failures',
  duration: '1m',
  durationMs: 60_000,
  level,
  action: 'Investigate, restart machines',
  playbook: null,
  severity: 1,
  autoResolve: false,
  duringMaintenance: 'record',
});
const RULES = new Map([row('Health', 'critical'), row('Latency', 'warning')].map((r) => [r.name, r]));

const alert = (
  fingerprint: string,
  name: string,
  level: AlertLevel,
  status: AlertStatus = 'firing',
): IncomingAlert => ({
  fingerprint,
  name,
  status,
  level,
  rule: name,
  summary: `${name} on ${fingerprint}`,
  service: 'api',
  metric: null,
  value: null,
  threshold: null,
  labels: { instance: fingerprint },
  url: null,
  startsAt: null,
  endsAt: null,
});

forEachDatabase(
  (ctx) => {
    let open = false;
    const windows: MaintenanceWindows = { inMaintenance: async () => open };
    const recorder = new AlertRecorder(RULES, 100, windows);
    let seq = 0;
    /** One delivery of a group's alerts, written to the inbox and recorded as the alert loop does; its plan's kinds. */
    const record = async (source: string, alerts: IncomingAlert[]) => {
      const d = { source, format: 'generic' as const, groupKey: 'g', alerts };
      const { id } = await insertDelivery(ctx.db, d, `body-${++seq}`, 60_000);
      const [group] = await ctx.db.transaction(async (tx) => recorder.record(tx, await lockDeliveries(tx, [id])));
      return group!.plan.map((s) => s.kind);
    };
    const rows = async (source: string) =>
      (
        await ctx.db.query<{ fingerprint: string; maintenance: boolean; count: number; linked: boolean }>(
          `SELECT fingerprint, maintenance, count, alert_incident_id IS NOT NULL AS linked FROM alerts
           WHERE source = $1 ORDER BY fingerprint, id`,
          [source],
        )
      ).rows;

    it('a critical alert held back by a window is noticed, and declared when it fires again once the window is over', async () => {
      const source = `again-${ctx.kind}`;
      open = true;
      // Recorded, not declared: a notice says so (with Declare incident), once.
      expect(await record(source, [alert('n1', 'Health', 'critical')])).toEqual(['notice']);
      expect(await record(source, [alert('n1', 'Health', 'critical')])).toEqual([]);
      expect(await rows(source)).toEqual([{ fingerprint: 'n1', maintenance: true, count: 2, linked: false }]);
      // The window is over and it still fires: declared as a new critical alert would be, its notice then says where.
      open = false;
      expect(await record(source, [alert('n1', 'Health', 'critical')])).toEqual(['declare', 'notice']);
      expect(await rows(source)).toEqual([{ fingerprint: 'n1', maintenance: false, count: 3, linked: true }]);
    });

    it('once no window holds them, the alerts a window held back that still fire are released once, whatever the replicas', async () => {
      const source = `release-${ctx.kind}`;
      open = true;
      await record(source, [
        alert('c1', 'Health', 'critical'),
        alert('c2', 'Health', 'critical'),
        alert('w1', 'Latency', 'warning'),
      ]);
      // c2 resolves during the window: nothing to release.
      await record(source, [alert('c2', 'Health', 'critical', 'resolved')]);
      const held = await heldBackAlerts(ctx.db, 50);
      expect(held.filter((a) => a.source === source).map((a) => a.fingerprint)).toEqual(['c1', 'w1']);
      const release = () =>
        ctx.db.transaction(async (tx) =>
          (await recorder.releaseFromMaintenance(tx, { source, groupKey: 'g' }, ['c1', 'w1'], new Date())).map(
            (s) => s.kind,
          ),
        );
      // While a window holds them, nothing.
      expect(await release()).toEqual([]);

      // Two replicas' sweeps at once: one releases them (c1 declared and its notice updated; the warning joins its
      // group's new incident, as it would had it fired now), the other, under the group's lock after it, finds nothing
      // left to release.
      open = false;
      const plans = await Promise.all([release(), release()]);
      expect(plans.filter((p) => p.length > 0)).toEqual([['declare', 'notice']]);
      expect(plans.filter((p) => p.length === 0)).toHaveLength(1);
      // Nothing counted: no delivery came.
      expect(await rows(source)).toEqual([
        { fingerprint: 'c1', maintenance: false, count: 1, linked: true },
        { fingerprint: 'c2', maintenance: true, count: 1, linked: false },
        { fingerprint: 'w1', maintenance: false, count: 1, linked: true },
      ]);
      expect((await heldBackAlerts(ctx.db, 50)).filter((a) => a.source === source)).toEqual([]);
      expect(await release()).toEqual([]);
    });
  },
  { only: ['postgres'] },
);
