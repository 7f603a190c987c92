/**
 * A timer loop renews the leases of the jobs it is running on a heartbeat. A job that failed is given up (due again
 * soon, its lease cleared) before the loop forgets it: a heartbeat whose renewal reaches the database after that must
 * not lease it again, or the retry waits for the whole lease (15 s) instead of its backoff (1 s).
 */
import { beforeEach, expect, it } from 'vitest';
import type { AlertDelivery } from '../../src/incidents/alert-types.js';
import {
  claimDeliveries,
  insertDelivery,
  renewDeliveries,
  retryDelivery,
} from '../../src/store/alert-delivery.repo.js';
import { claimDueJobs, extendLeases, retryJob } from '../../src/store/escalation-jobs.repo.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import {
  claimDueNotifications,
  extendNotificationLeases,
  retryNotification,
} from '../../src/store/notification.repo.js';
import { emptyTables, forEachDatabase } from './databases.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LEASE = 15_000;

forEachDatabase((ctx) => {
  let incidentId = 0;
  beforeEach(async () => {
    await emptyTables(ctx.db, [
      'incidents',
      'escalation_jobs',
      'pages',
      'notification_jobs',
      'alert_deliveries',
      'alert_delivery_hashes',
    ]);
    incidentId = (await insertIncident(ctx.db, { teamId: 'T1', number: 1, title: 'x', severity: 1, reporterId: 'U1' }))
      .id;
  });

  it('an escalation job rescheduled after a failure is not leased again by a late heartbeat', async () => {
    await ctx.db.query(
      `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at) VALUES ($1, 'k', 'manual', 'on_call', now())`,
      [incidentId],
    );
    const [job] = (await ctx.db.transaction((tx) => claimDueJobs(tx, 10, LEASE))).jobs;
    expect(job).toBeDefined();
    await retryJob(ctx.db, job!.id, job!.attempts, new Date(Date.now() + 200), 'slack 500');
    await extendLeases(ctx.db, [job!.id], LEASE); // the heartbeat read the id before the job was forgotten
    await sleep(400);
    const again = (await ctx.db.transaction((tx) => claimDueJobs(tx, 10, LEASE))).jobs;
    expect(again.map((j) => j.id)).toEqual([job!.id]);
    expect(again[0]!.attempts).toBe(2);
  });

  it('a job still running keeps its lease on each heartbeat', async () => {
    await ctx.db.query(
      `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at) VALUES ($1, 'k', 'manual', 'on_call', now())`,
      [incidentId],
    );
    const [job] = (await ctx.db.transaction((tx) => claimDueJobs(tx, 10, 300))).jobs;
    await sleep(200);
    await extendLeases(ctx.db, [job!.id], LEASE);
    await sleep(300);
    expect((await ctx.db.transaction((tx) => claimDueJobs(tx, 10, LEASE))).jobs).toEqual([]);
  });

  it('a notification step rescheduled after a failure is not leased again by a late heartbeat', async () => {
    const { rows } = await ctx.db.query<{ id: number }>(
      `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at, state)
       VALUES ($1, 'k', 'manual', 'on_call', now(), 'done') RETURNING id`,
      [incidentId],
    );
    const page = await ctx.db.query<{ id: number }>(
      `INSERT INTO pages (incident_id, job_id, role, rule) VALUES ($1, $2, 'on_call', 'manual') RETURNING id`,
      [incidentId, rows[0]!.id],
    );
    await ctx.db.query(
      `INSERT INTO notification_jobs (incident_id, page_id, key, role, user_id, via, dedup_key, due_at)
       VALUES ($1, $2, 'step:1:U1:1', 'on_call', 'U1', 'email', 'd', now())`,
      [incidentId, page.rows[0]!.id],
    );
    const [job] = await ctx.db.transaction((tx) => claimDueNotifications(tx, 10, LEASE));
    expect(job).toBeDefined();
    await retryNotification(ctx.db, job!.id, new Date(Date.now() + 200), 'smtp down');
    await extendNotificationLeases(ctx.db, [job!.id], LEASE);
    await sleep(400);
    const again = await ctx.db.transaction((tx) => claimDueNotifications(tx, 10, LEASE));
    expect(again.map((j) => j.id)).toEqual([job!.id]);
  });

  it('an alert delivery put back after a failure is not leased again by a late heartbeat', async () => {
    const delivery: AlertDelivery = { source: 'lease-test', format: 'generic', groupKey: 'g', alerts: [] };
    const { id } = await insertDelivery(ctx.db, delivery, 'h-lease', 60_000);
    const first = await ctx.db.transaction((tx) => claimDeliveries(tx, 10, LEASE));
    const ids = first.batches.flatMap((b) => b.deliveries.map((d) => d.id));
    expect(ids).toEqual([id]);
    await retryDelivery(ctx.db, id, 200, 'postgres blinked');
    await renewDeliveries(ctx.db, [id], LEASE);
    await sleep(400);
    const again = await ctx.db.transaction((tx) => claimDeliveries(tx, 10, LEASE));
    expect(again.batches.flatMap((b) => b.deliveries.map((d) => d.id))).toEqual([id]);
  });
});
