import { expect, it } from 'vitest';
import { alertsOf, insertAlertIncident } from '../../src/store/alert.repo.js';
import { forEachDatabase } from './databases.js';

forEachDatabase((ctx) => {
  it("an incident's alert list starts with the alerts of the group that opened it, then the latest", async () => {
    await ctx.db.exec('TRUNCATE alerts, alert_incidents CASCADE');
    const ai = await insertAlertIncident(ctx.db, {
      source: 'alertmanager',
      groupKey: 'disk',
      title: 'Disk failing',
      severity: 1,
      rule: null,
      previousIncidentId: null,
    });
    const add = (group: string, fingerprint: string, status: string, agoSeconds: number) =>
      ctx.db.query(
        `INSERT INTO alerts (source, fingerprint, group_key, name, level, status, summary, alert_incident_id,
           last_seen, last_delivery_id)
         VALUES ('alertmanager', $1, $2, $1, 'critical', $3, $1, $4, clock_timestamp() - make_interval(secs => $5), 1)`,
        [fingerprint, group, status, ai, agoSeconds],
      );
    // The opening group's alerts came first and one has resolved; a storm's group joined later with many.
    await add('disk', 'disk-1', 'firing', 600);
    await add('disk', 'disk-2', 'resolved', 500);
    for (let n = 0; n < 5; n++) await add('nodes', `node-${n}`, 'firing', 100 - n);
    const list = await alertsOf(ctx.db, [ai], 3);
    expect(list.alerts.map((a) => a.fingerprint)).toEqual(['disk-1', 'disk-2', 'node-4']);
    expect(list).toMatchObject({ total: 7, firing: 6 });
  });
});
