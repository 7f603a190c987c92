import { expect, it } from 'vitest';
import { STORM_WINDOW_MS } from '../../src/incidents/alert-recorder.js';
import { alertSectionRows, alertsOf } from '../../src/store/alert-card.repo.js';
import { alertSourcesOf, insertAlertIncident } from '../../src/store/alert-incident.repo.js';
import { latestOpenAlertIncidentOfSource, markStorm } from '../../src/store/alert-storm-control.repo.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { emptyTables, forEachDatabase } from './databases.js';

forEachDatabase((ctx) => {
  /** A storm source's alert incident, recorded and being declared. */
  const open = (groupKey: string) =>
    insertAlertIncident(ctx.db, {
      source: 'storm',
      groupKey,
      title: groupKey,
      severity: 1,
      rule: null,
      previousIncidentId: null,
    });
  /** Its declaration done, as incident `number`. */
  const declare = async (ai: number, number: number) => {
    const i = await insertIncident(ctx.db, { teamId: 'T1', number, title: 't', severity: 1, reporterId: 'U' });
    await ctx.db.query(`UPDATE alert_incidents SET state = 'declared', incident_id = $2 WHERE id = $1`, [ai, i.id]);
  };

  it("an incident's alert list starts with the alerts of the group that opened it, then the latest", async () => {
    await emptyTables(ctx.db, ['alerts', 'alert_incidents']);
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
        `INSERT INTO alerts (source, format, fingerprint, group_key, name, level, status, summary, alert_incident_id,
           last_seen, last_delivery_id)
         VALUES ('alertmanager', 'alertmanager', $1, $2, $1, 'critical', $3, $1, $4,
           clock_timestamp() - make_interval(secs => $5), 1)`,
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

  it("an incident's alert sources (its announcement's): each once, in the card's order; none without alerts", async () => {
    await ctx.truncate();
    const incident = (number: number) =>
      insertIncident(ctx.db, { teamId: 'T1', number, title: 't', severity: 1, reporterId: 'U' });
    const [mine, other, quiet] = [await incident(1), await incident(2), await incident(3)];
    const link = (incidentId: number, source: string, groupKey: string) =>
      insertAlertIncident(ctx.db, {
        source,
        groupKey,
        title: 't',
        severity: 1,
        rule: null,
        previousIncidentId: null,
        declaredBy: { userId: 'U', incidentId },
      });
    // grafana's alerts opened it, alertmanager's joined, then grafana's again (named once), and another
    // incident's source is not its own.
    await link(mine.id, 'grafana', 'g1');
    await link(other.id, 'datadog', 'd1');
    await link(mine.id, 'alertmanager', 'a1');
    await link(mine.id, 'grafana', 'g2');
    expect(await alertSourcesOf(ctx.db, mine.id)).toEqual(['grafana', 'alertmanager']);
    // The card names the same sources in the same order.
    const card = await alertSectionRows(ctx.db, mine.id, 8);
    expect([...new Set(card!.alertIncidents.map((a) => a.source))]).toEqual(['grafana', 'alertmanager']);
    expect(await alertSourcesOf(ctx.db, other.id)).toEqual(['datadog']);
    // Not opened from alerts: no source (its announcement says nothing of alerts).
    expect(await alertSourcesOf(ctx.db, quiet.id)).toEqual([]);
  });

  it("a storm joins the source's open alert incident numbered last, not the one recorded last", async () => {
    await ctx.truncate();
    // Recorded together, declared side by side: the one recorded last was numbered first of the two.
    const [a, b, c] = [await open('svc-1'), await open('svc-3'), await open('svc-6')];
    await declare(a, 9);
    await declare(c, 10);
    await declare(b, 11);
    expect((await latestOpenAlertIncidentOfSource(ctx.db, 'storm', STORM_WINDOW_MS))?.id).toBe(b);
    // One still being declared is the latest: it will be numbered after them.
    const d = await open('svc-8');
    expect((await latestOpenAlertIncidentOfSource(ctx.db, 'storm', STORM_WINDOW_MS))?.id).toBe(d);
  });

  it("a storm's alerts keep joining the incident the storm joined first, however its neighbours' declarations end", async () => {
    await ctx.truncate();
    const latest = async () => (await latestOpenAlertIncidentOfSource(ctx.db, 'storm', STORM_WINDOW_MS))?.id;
    // Three recorded together, all being declared: the fourth group joins the last recorded, and marks it a storm.
    const [a, b, c] = [await open('node-1'), await open('node-2'), await open('node-3')];
    expect(await latest()).toBe(c);
    await markStorm(ctx.db, c);
    // Its declaration ends first; the one beside it is still being declared: the fifth group joins the storm's.
    await declare(c, 20);
    expect(await latest()).toBe(c);
    // All declared, the storm's numbered below another of them: still the storm's.
    await declare(a, 21);
    await declare(b, 22);
    expect(await latest()).toBe(c);
    // A storm incident older than the storm window is no longer where a new storm goes: the latest one is.
    await ctx.db.query(`UPDATE alert_incidents SET created_at = now() - interval '11 minutes' WHERE id = $1`, [c]);
    expect(await latest()).toBe(b);
  });
});
