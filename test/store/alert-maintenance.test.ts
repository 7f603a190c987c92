import { expect, it } from 'vitest';
import type { MaintenanceWindows } from '../../src/incidents/alert-ports.js';
import { AlertRecorder } from '../../src/incidents/alert-recorder.js';
import type { AlertLevel, AlertRule, AlertStatus, IncomingAlert } from '../../src/incidents/alert-types.js';
import { MaintenanceService } from '../../src/incidents/maintenance.service.js';
import { insertDelivery, lockDeliveries } from '../../src/store/alert-delivery.repo.js';
import { heldBackAlerts } from '../../src/store/alert-held-back.repo.js';
import { planWindow } from '../../src/store/maintenance.repo.js';
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
    /**
     * One delivery of a group's alerts, written to the inbox and recorded as the alert loop does; its plan's kinds.
     * `receivedAt`: when the inbox says it came, for one recorded late (a backlog, a database outage).
     */
    const record = async (
      source: string,
      alerts: IncomingAlert[],
      by = recorder,
      receivedAt?: Date,
      groupKey = 'g',
    ) => {
      const d = { source, format: 'generic' as const, groupKey, alerts };
      const { id } = await insertDelivery(ctx.db, d, `body-${++seq}`, 60_000);
      if (receivedAt)
        await ctx.db.query('UPDATE alert_deliveries SET received_at = $2 WHERE id = $1', [id, receivedAt]);
      const [group] = await ctx.db.transaction(async (tx) => by.record(tx, await lockDeliveries(tx, [id])));
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

    it('an alert in an incident already is not held back by a window opened since: its card must not say "not declared"', async () => {
      const source = `in-incident-${ctx.kind}`;
      open = false;
      // Declared before the window; a warning of its group joins it.
      expect(await record(source, [alert('i1', 'Health', 'critical')])).toEqual(['declare']);
      open = true;
      // Repeats during the window, and a warning of the group new to it (it joins the group's incident).
      await record(source, [alert('i1', 'Health', 'critical'), alert('i2', 'Latency', 'warning')]);
      expect(await rows(source)).toEqual([
        { fingerprint: 'i1', maintenance: false, count: 2, linked: true },
        { fingerprint: 'i2', maintenance: false, count: 1, linked: true },
      ]);
      open = false;
    });

    it('judges a delivery by when it was received, not when it is recorded: a window closed since holds it back, one opened since does not', async () => {
      const source = `received-${ctx.kind}`;
      // The windows' rows, as the bot asks them (a window the sweep has closed is still a window for its time).
      const byRows = new AlertRecorder(
        RULES,
        100,
        new MaintenanceService(ctx.db, {} as never, {} as never, {} as never, [], null),
      );
      const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);
      const window = (startsAt: Date, endsAt: Date | null) =>
        planWindow(ctx.db, {
          windowKey: null,
          title: 'Database upgrade',
          playbookId: null,
          channelId: null,
          noticeAt: null,
          startsAt,
          endsAt,
          scheduled: false,
        });
      // A window from two hours ago to an hour ago, closed by the sweep since.
      const past = await window(ago(120), ago(60));
      await ctx.db.query(`UPDATE maintenance_windows SET stage = 'closed' WHERE id = $1`, [past!.id]);
      // Each alert in a group of its own. A critical alert that fired and resolved during it, recorded only now (a backlog): held back, never declared.
      expect(await record(source, [alert('p1', 'Health', 'critical')], byRows, ago(90), 'p1')).toEqual(['notice']);
      await record(source, [alert('p1', 'Health', 'critical', 'resolved')], byRows, ago(80), 'p1');
      // One received after it ended is declared, however late it is recorded.
      expect(await record(source, [alert('p2', 'Health', 'critical')], byRows, ago(30), 'p2')).toEqual(['declare']);
      // The reverse: a window opened a minute ago; an alert received before it is declared, one received since is not.
      const now = await window(ago(1), null);
      try {
        expect(await record(source, [alert('p3', 'Health', 'critical')], byRows, ago(2), 'p3')).toEqual(['declare']);
        expect(await record(source, [alert('p4', 'Health', 'critical')], byRows, ago(0.5), 'p4')).toEqual(['notice']);
      } finally {
        await ctx.db.query(`UPDATE maintenance_windows SET stage = 'closed', ends_at = now() WHERE id = $1`, [now!.id]);
      }
      expect(await rows(source)).toEqual([
        { fingerprint: 'p1', maintenance: true, count: 1, linked: false },
        { fingerprint: 'p2', maintenance: false, count: 1, linked: true },
        { fingerprint: 'p3', maintenance: false, count: 1, linked: true },
        { fingerprint: 'p4', maintenance: true, count: 1, linked: false },
      ]);
      // Nothing of p1 is left to release: it resolved during the window.
      expect((await heldBackAlerts(ctx.db, 50)).filter((a) => a.source === source).map((a) => a.fingerprint)).toEqual([
        'p4',
      ]);
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
          (
            await recorder.releaseFromMaintenance(
              tx,
              { source, groupKey: 'g' },
              ['c1', 'w1'].map((fingerprint) => ({ format: 'generic' as const, fingerprint })),
              new Date(),
            )
          ).map((s) => s.kind),
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
