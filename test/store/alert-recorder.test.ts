import { expect, it } from 'vitest';
import { NOT_IN_MAINTENANCE } from '../../src/incidents/alert-ports.js';
import { AlertRecorder, STORM_WINDOW_MS } from '../../src/incidents/alert-recorder.js';
import type { AlertLevel, AlertStatus, IncomingAlert } from '../../src/incidents/alert-types.js';
import { alertSectionRows, alertsOf } from '../../src/store/alert-card.repo.js';
import { insertDelivery, lockDeliveries } from '../../src/store/alert-delivery.repo.js';
import { alertIncidentsOf } from '../../src/store/alert-incident.repo.js';
import { countRecentAlertIncidents } from '../../src/store/alert-storm-control.repo.js';
import type { Queryable } from '../../src/store/db.js';
import { insertIncident, nextIncidentNumber } from '../../src/store/incident.repo.js';
import { forEachDatabase } from './databases.js';

const alert = (fingerprint: string, status: AlertStatus, level: AlertLevel, value: string): IncomingAlert => ({
  fingerprint,
  name: `${fingerprint} errors`,
  status,
  level,
  rule: null,
  summary: `${fingerprint} errors at ${value}`,
  service: 'checkout',
  metric: 'errors',
  value,
  threshold: '5%',
  labels: { value },
  url: null,
  startsAt: null,
  endsAt: null,
});

/** A Queryable that counts the statements sent through it. */
const counting = (tx: Queryable) => {
  const counter = {
    n: 0,
    tx: {
      query: (text: string, params?: readonly unknown[]) => {
        counter.n++;
        return tx.query(text, params);
      },
      exec: (sql: string) => tx.exec(sql),
    } as Queryable,
  };
  return counter;
};

forEachDatabase((ctx) => {
  const recorder = new AlertRecorder(new Map(), 100, NOT_IN_MAINTENANCE);
  let seq = 0;
  /** Writes deliveries (one alert each) to the inbox and records them together, as the alert loop does a batch. */
  const recordBatch = async (
    source: string,
    sent: { group: string; alert: IncomingAlert }[],
    by = recorder,
    /** How long before they are recorded the deliveries were received (a loop held up by a database outage). */
    lateMs = 0,
  ) => {
    const ids: number[] = [];
    for (const s of sent) {
      const body = `body-${++seq}`;
      const d = { source, format: 'generic' as const, groupKey: s.group, alerts: [s.alert] };
      ids.push((await insertDelivery(ctx.db, d, body, 60_000)).id);
    }
    if (lateMs > 0) {
      await ctx.db.query(
        `UPDATE alert_deliveries SET received_at = received_at - make_interval(secs => $2::int / 1000.0)
         WHERE id = ANY($1::bigint[])`,
        [ids, lateMs],
      );
    }
    return ctx.db.transaction(async (tx) => {
      const deliveries = await lockDeliveries(tx, ids);
      const c = counting(tx);
      const groups = await by.record(c.tx, deliveries);
      return { ids, groups, statements: c.n };
    });
  };
  const rows = async (source: string) =>
    (
      await ctx.db.query<{
        fingerprint: string;
        status: string;
        count: number;
        value: string;
        labels: Record<string, string>;
        last_delivery_id: string | number;
        resolved_at: Date | string | null;
      }>(
        `SELECT fingerprint, status, count, value, labels, last_delivery_id, resolved_at FROM alerts
         WHERE source = $1 ORDER BY fingerprint, id`,
        [source],
      )
    ).rows;

  it('a batch of repeats of many groups is recorded in a few statements, however many groups and deliveries', async () => {
    const source = `batch-${ctx.kind}`;
    const groups = ['g1', 'g2', 'g3', 'g4', 'g5', 'g6'];
    const first = await recordBatch(
      source,
      groups.map((g) => ({ group: g, alert: alert(g, 'firing', 'critical', '10%') })),
    );
    // Each group's first critical alert opens an alert incident, declared by its plan.
    expect(first.groups.map((g) => g.plan.map((s) => s.kind))).toEqual(groups.map(() => ['declare']));

    const repeats = groups.flatMap((g) =>
      ['11%', '12%', '13%'].map((v) => ({ group: g, alert: alert(g, 'firing', 'critical', v) })),
    );
    const second = await recordBatch(source, repeats);
    // Locks, the groups' incidents, the alerts' rows, their changes, the cards due, the deliveries: one each.
    expect(second.statements).toBeLessThanOrEqual(6);
    expect(second.groups.every((g) => g.open && g.plan.length === 0)).toBe(true);
    const after = await rows(source);
    expect(after.map((r) => [r.fingerprint, r.status, r.count, r.value, r.labels.value])).toEqual(
      groups.map((g) => [g, 'firing', 4, '13%', '13%']),
    );
    // Each row names the last delivery that carried it.
    expect(after.map((r) => Number(r.last_delivery_id))).toEqual(groups.map((_, i) => second.ids[i * 3 + 2]));
  });

  it('several deliveries of one alert in a batch fold into one change, as one by one', async () => {
    const source = `fold-${ctx.kind}`;
    // Info alerts: recorded only, so only the rows change.
    await recordBatch(source, [
      { group: 'a', alert: alert('a', 'firing', 'info', '1') },
      { group: 'b', alert: alert('b', 'resolved', 'info', '1') },
      { group: 'c', alert: alert('c', 'firing', 'info', '1') },
    ]);
    const before = await rows(source);
    const bResolvedAt = new Date(before.find((r) => r.fingerprint === 'b')!.resolved_at!).getTime();

    await recordBatch(source, [
      // a: resolved; firing again (a new row, as it had resolved), firing, resolved: that row counts 2, resolved now.
      { group: 'a', alert: alert('a', 'resolved', 'info', '2') },
      { group: 'a', alert: alert('a', 'firing', 'info', '3') },
      { group: 'a', alert: alert('a', 'firing', 'info', '4') },
      { group: 'a', alert: alert('a', 'resolved', 'info', '5') },
      // b: resolved before and still: its resolution time is kept, no firing counted.
      { group: 'b', alert: alert('b', 'resolved', 'info', '2') },
      { group: 'b', alert: alert('b', 'resolved', 'info', '3') },
      // c: resolved, then firing again: a new row, firing.
      { group: 'c', alert: alert('c', 'resolved', 'info', '2') },
      { group: 'c', alert: alert('c', 'firing', 'info', '3') },
      // d, never seen: a new row, resolved, then firing again: a second new row, in the same batch.
      { group: 'd', alert: alert('d', 'firing', 'info', '1') },
      { group: 'd', alert: alert('d', 'resolved', 'info', '2') },
      { group: 'd', alert: alert('d', 'firing', 'info', '3') },
      { group: 'd', alert: alert('d', 'firing', 'info', '4') },
    ]);
    const after = await rows(source);
    expect(after.map((r) => [r.fingerprint, r.status, r.count, r.value, r.resolved_at === null])).toEqual([
      ['a', 'resolved', 1, '2', false],
      ['a', 'resolved', 2, '5', false],
      ['b', 'resolved', 0, '3', false],
      ['c', 'resolved', 1, '2', false],
      ['c', 'firing', 1, '3', true],
      ['d', 'resolved', 1, '2', false],
      ['d', 'firing', 2, '4', true],
    ]);
    // b was resolved before the batch and stayed so: its resolution time is kept.
    expect(new Date(after[2]!.resolved_at!).getTime()).toBe(bResolvedAt);
    // a's second row resolved in the batch, after the first row's resolution.
    expect(new Date(after[1]!.resolved_at!).getTime()).toBeGreaterThanOrEqual(
      new Date(after[0]!.resolved_at!).getTime(),
    );
  });

  it('an alert recorded late is seen when its delivery was received, not when the loop recorded it', async () => {
    const source = `late-${ctx.kind}`;
    const times = async () => {
      const { rows } = await ctx.db.query<{
        first_seen: Date | string;
        last_seen: Date | string;
        resolved_at: Date | string | null;
        count: number;
      }>('SELECT first_seen, last_seen, resolved_at, count FROM alerts WHERE source = $1', [source]);
      expect(rows).toHaveLength(1);
      const at = (v: Date | string | null) => (v === null ? null : new Date(v).getTime());
      return { first: at(rows[0]!.first_seen), last: at(rows[0]!.last_seen), resolved: at(rows[0]!.resolved_at) };
    };
    const receivedAt = async (id: number) =>
      new Date(
        (
          await ctx.db.query<{ received_at: Date | string }>('SELECT received_at FROM alert_deliveries WHERE id = $1', [
            id,
          ])
        ).rows[0]!.received_at,
      ).getTime();
    // A generic delivery (no startsAt) received 10 s before it is recorded: first and last seen when it came.
    const first = await recordBatch(
      source,
      [{ group: 'g', alert: alert('late', 'firing', 'warning', '9%') }],
      recorder,
      10_000,
    );
    const firstAt = await receivedAt(first.ids[0]!);
    expect(firstAt).toBeLessThan(Date.now() - 9_000);
    expect(await times()).toEqual({ first: firstAt, last: firstAt, resolved: null });
    // A repeat received 5 s before it is recorded: last seen then; a resolution likewise resolved then.
    const again = await recordBatch(
      source,
      [{ group: 'g', alert: alert('late', 'firing', 'warning', '8%') }],
      recorder,
      5_000,
    );
    expect(await times()).toEqual({ first: firstAt, last: await receivedAt(again.ids[0]!), resolved: null });
    const over = await recordBatch(
      source,
      [{ group: 'g', alert: alert('late', 'resolved', 'warning', '1%') }],
      recorder,
      3_000,
    );
    const overAt = await receivedAt(over.ids[0]!);
    expect(await times()).toEqual({ first: firstAt, last: overAt, resolved: overAt });
  });

  it('a late copy of an earlier state changes nothing: a resolution of an earlier firing, a firing already over', async () => {
    const source = `late-copy-${ctx.kind}`;
    const at = (firing: string, status: AlertStatus, ends: string | null = null): IncomingAlert => ({
      ...alert('lc', status, 'critical', status),
      startsAt: firing,
      endsAt: ends,
    });
    const plan = async (a: IncomingAlert, lateMs = 0) =>
      (await recordBatch(source, [{ group: 'g', alert: a }], recorder, lateMs)).groups[0]!.plan.map((s) => s.kind);
    const row = async () => {
      const { rows } = await ctx.db.query<{ status: string; starts_at: Date | string; count: number }>(
        'SELECT status, starts_at, count FROM alerts WHERE source = $1 ORDER BY id',
        [source],
      );
      return rows.map((r) => [r.status, new Date(r.starts_at).toISOString(), r.count]);
    };
    const T1 = '2026-12-05T10:00:00.000Z';
    const T2 = '2026-12-05T10:05:00.000Z';
    const T3 = '2026-12-05T10:08:00.000Z';
    expect(await plan(at(T1, 'firing'))).toEqual(['declare']);
    await plan(at(T1, 'resolved', T2));
    // It fires anew (a new start) in its incident, still open.
    await plan(at(T3, 'firing'));
    expect(await row()).toEqual([['firing', T3, 2]]);
    // The first firing's resolution again, late: not this firing's; the alert still fires, nothing is offered.
    expect(await plan(at(T1, 'resolved', T2))).toEqual([]);
    expect(await row()).toEqual([['firing', T3, 2]]);
    // Its real resolution.
    expect(await plan(at(T3, 'resolved', '2026-12-05T10:09:00.000Z'))).toContain('all_resolved');
    // The firing that just resolved, again, late: over; nothing fires again, nothing is withdrawn.
    expect(await plan(at(T3, 'firing'))).toEqual([]);
    expect(await row()).toEqual([['resolved', T3, 2]]);
  });

  it('a firing with the start of one resolved longer ago than a late copy takes is taken as firing', async () => {
    const source = `late-copy-old-${ctx.kind}`;
    const at = (status: AlertStatus): IncomingAlert => ({
      ...alert('lco', status, 'critical', status),
      startsAt: '2026-12-05T09:00:00.000Z',
      endsAt: status === 'resolved' ? '2026-12-05T09:05:00.000Z' : null,
    });
    await recordBatch(source, [{ group: 'g', alert: at('firing') }], recorder, 7 * 60_000);
    // Its resolution heard 6 minutes ago (received then, recorded now).
    await recordBatch(source, [{ group: 'g', alert: at('resolved') }], recorder, 6 * 60_000);
    await recordBatch(source, [{ group: 'g', alert: at('firing') }]);
    const { rows } = await ctx.db.query<{ status: string; count: number }>(
      'SELECT status, count FROM alerts WHERE source = $1',
      [source],
    );
    expect(rows.map((r) => [r.status, r.count])).toEqual([['firing', 2]]);
  });

  it('an alert with no runbook row is declared at the SEV its severity label names (sev0, SEV-1), else SEV-1', async () => {
    const source = `label-sev-${ctx.kind}`;
    const labelled = (fp: string, severity?: string): IncomingAlert => ({
      ...alert(fp, 'firing', 'critical', '1'),
      labels: severity ? { severity } : {},
    });
    await recordBatch(source, [
      { group: 'a', alert: labelled('a', 'sev0') },
      { group: 'b', alert: labelled('b', 'SEV-1') },
      { group: 'c', alert: labelled('c') },
    ]);
    const { rows } = await ctx.db.query<{ group_key: string; severity: number }>(
      'SELECT group_key, severity FROM alert_incidents WHERE source = $1 ORDER BY group_key',
      [source],
    );
    expect(rows.map((r) => [r.group_key, r.severity])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 1],
    ]);
  });

  it("keeps an alert's description, and what an earlier delivery said of it when a later one leaves it out", async () => {
    const source = `described-${ctx.kind}`;
    const described = (status: AlertStatus, description?: string): IncomingAlert => ({
      ...alert('d1', status, 'info', status),
      ...(description ? { description } : {}),
    });
    const read = async () =>
      (await ctx.db.query<{ description: string | null }>('SELECT description FROM alerts WHERE source = $1', [source]))
        .rows[0]?.description;
    await recordBatch(source, [{ group: 'g', alert: described('firing', 'queue depth 40k, growing') }]);
    expect(await read()).toBe('queue depth 40k, growing');
    await recordBatch(source, [{ group: 'g', alert: described('firing', 'queue depth 55k, growing') }]);
    expect(await read()).toBe('queue depth 55k, growing');
    await recordBatch(source, [{ group: 'g', alert: described('resolved') }]);
    expect(await read()).toBe('queue depth 55k, growing');
  });

  it("storm control's window is 10 minutes: an alert incident opened longer ago no longer counts", async () => {
    const source = `storm-window-${ctx.kind}`;
    const capped = new AlertRecorder(new Map(), 2, NOT_IN_MAINTENANCE);
    const fire = async (group: string) =>
      (await recordBatch(source, [{ group, alert: alert(group, 'firing', 'critical', '1') }], capped)).groups[0]!.plan;
    const count = () => countRecentAlertIncidents(ctx.db, source, STORM_WINDOW_MS);
    const openedAgo = (group: string, minutes: number) =>
      ctx.db.query(
        `UPDATE alert_incidents SET created_at = clock_timestamp() - make_interval(mins => $3)
         WHERE source = $1 AND group_key = $2`,
        [source, group, minutes],
      );
    expect((await fire('a')).map((s) => s.kind)).toEqual(['declare']);
    expect((await fire('b')).map((s) => s.kind)).toEqual(['declare']);
    // At the cap: a third joins the latest (a storm), opening none; that the storm starts is to be said, once.
    const b = await ctx.db.query<{ id: number }>(
      'SELECT id FROM alert_incidents WHERE source = $1 AND group_key = $2',
      [source, 'b'],
    );
    // Its alert, of a name new to that incident, is to be told in its channel; so is the next one's.
    const [joined, again] = [await fire('c'), await fire('c2')];
    const alertIds = await ctx.db.query<{ id: number }>(
      `SELECT id FROM alerts WHERE source = $1 AND fingerprint IN ('c', 'c2') ORDER BY fingerprint`,
      [source],
    );
    const [c, c2] = alertIds.rows.map((r) => Number(r.id));
    expect(joined).toEqual([
      { kind: 'storm', alertIncident: b.rows[0]!.id, source, maxIncidents: 2 },
      { kind: 'joined', alertIncident: b.rows[0]!.id, alerts: [c], why: 'storm' },
    ]);
    expect(again).toEqual([{ kind: 'joined', alertIncident: b.rows[0]!.id, alerts: [c2], why: 'storm' }]);
    expect(await count()).toBe(2);
    // Opened 9 minutes ago: still in the window.
    await openedAgo('a', 9);
    expect(await count()).toBe(2);
    // 11 minutes ago: out of it, so the next critical alert opens an incident of its own.
    await openedAgo('a', 11);
    expect(await count()).toBe(1);
    expect((await fire('d')).map((s) => s.kind)).toEqual(['declare']);
    const { rows } = await ctx.db.query<{ group_key: string; storm: boolean }>(
      'SELECT group_key, storm FROM alert_incidents WHERE source = $1 ORDER BY id',
      [source],
    );
    expect(rows).toEqual([
      { group_key: 'a', storm: false },
      { group_key: 'b', storm: true },
      { group_key: 'd', storm: false },
    ]);
  });

  it("a storm's batch of new groups opens their incidents in two statements each, storm control counting on", async () => {
    const source = `storm-batch-${ctx.kind}`;
    const capped = new AlertRecorder(new Map(), 3, NOT_IN_MAINTENANCE);
    const groups = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const r = await recordBatch(
      source,
      groups.map((g) => ({ group: g, alert: alert(g, 'firing', 'critical', '1') })),
      capped,
    );
    // The first three open one each (at the cap); the rest join the latest, a storm. Counted once, then counted on.
    // The first to join says the storm started, once.
    expect(r.groups.map((g) => g.plan.map((s) => s.kind))).toEqual(
      groups.map((_, i) => (i < 3 ? ['declare'] : i === 3 ? ['storm'] : [])),
    );
    // Per new group its alert's row and its alert incident; the source's lock and count, the links, and the title of
    // the incident the storm joined (it counts them), once each. Opening each group's incident used to take five
    // (lock, count, alert incident, alert, link). Past the cap, the source's open incidents (with their alerts' names
    // and severities: a storm joins one as severe, of the same name first) are read once too.
    expect(r.statements).toBeLessThanOrEqual(2 * 3 + (groups.length - 3) + 10);
    const { rows: incidents } = await ctx.db.query<{ id: number; group_key: string; storm: boolean }>(
      'SELECT id, group_key, storm FROM alert_incidents WHERE source = $1 ORDER BY id',
      [source],
    );
    expect(incidents.map((i) => [i.group_key, i.storm])).toEqual([
      ['a', false],
      ['b', false],
      ['c', true],
    ]);
    // Every alert is in its incident, written with the batch: a, b, and c with the five past the cap.
    const { rows: linked } = await ctx.db.query<{ fingerprint: string; alert_incident_id: number | null }>(
      'SELECT fingerprint, alert_incident_id FROM alerts WHERE source = $1 ORDER BY fingerprint',
      [source],
    );
    const [a, b, c] = incidents.map((i) => i.id);
    expect(linked.map((l) => [l.fingerprint, l.alert_incident_id])).toEqual(
      groups.map((g, i) => [g, i === 0 ? a : i === 1 ? b : c]),
    );
    expect(await countRecentAlertIncidents(ctx.db, source, STORM_WINDOW_MS)).toBe(3);
  });

  it("a group's first delivery joining a storm brings every alert of it: its warnings are in the incident, not a notice", async () => {
    const source = `storm-group-${ctx.kind}`;
    const capped = new AlertRecorder(new Map(), 1, NOT_IN_MAINTENANCE);
    await recordBatch(source, [{ group: 'a', alert: alert('a', 'firing', 'critical', '1') }], capped);
    // Past the cap: group b's first delivery holds a critical alert, a warning and an info one.
    const d = {
      source,
      format: 'generic' as const,
      groupKey: 'b',
      alerts: [
        alert('b-crit', 'firing', 'critical', '1'),
        alert('b-warn', 'firing', 'warning', '2'),
        alert('b-info', 'firing', 'info', '3'),
      ],
    };
    const { id } = await insertDelivery(ctx.db, d, `body-${++seq}`, 60_000);
    const groups = await ctx.db.transaction(async (tx) => capped.record(tx, await lockDeliveries(tx, [id])));
    // The storm is said, and the alerts of new names that joined (not the info one); no notice is planned for the
    // group's warning, which is in the storm's incident.
    expect(groups[0]!.plan.map((s) => s.kind)).toEqual(['storm', 'joined']);
    expect((groups[0]!.plan[1] as { alerts: number[] }).alerts).toHaveLength(2);
    const { rows } = await ctx.db.query<{ fingerprint: string; alert_incident_id: number | null; group_key: string }>(
      `SELECT a.fingerprint, a.alert_incident_id, ai.group_key FROM alerts a
       LEFT JOIN alert_incidents ai ON ai.id = a.alert_incident_id WHERE a.source = $1 ORDER BY a.id`,
      [source],
    );
    expect(rows.map((r) => [r.fingerprint, r.group_key])).toEqual([
      ['a', 'a'],
      ['b-crit', 'a'],
      ['b-warn', 'a'],
      ['b-info', 'a'],
    ]);
    // Its next delivery (the warning's repeat) stays there and plans nothing new.
    const again = await recordBatch(source, [{ group: 'b', alert: alert('b-warn', 'firing', 'warning', '2') }], capped);
    expect(again.groups[0]!.plan).toEqual([]);
  });

  it('an incident opened with alerts a storm sent it in the same recording is titled with how many; later ones change nothing', async () => {
    const source = `storm-title-${ctx.kind}`;
    const capped = new AlertRecorder(new Map(), 3, NOT_IN_MAINTENANCE);
    const down = (n: number) => ({
      group: `svc-${n}`,
      alert: { ...alert(`svc-${n}`, 'firing', 'critical', '1'), name: `svc-${n}`, summary: `svc-${n} is down` },
    });
    await recordBatch(source, [1, 2, 3, 4, 5, 6].map(down), capped);
    const titles = async () =>
      (
        await ctx.db.query<{ group_key: string; title: string }>(
          'SELECT group_key, title FROM alert_incidents WHERE source = $1 ORDER BY id',
          [source],
        )
      ).rows;
    expect(await titles()).toEqual([
      { group_key: 'svc-1', title: 'svc-1 is down' },
      { group_key: 'svc-2', title: 'svc-2 is down' },
      { group_key: 'svc-3', title: 'svc-3 is down, and 3 more alerts' },
    ]);
    // A later recording's storm alert joins it (still being declared, or declared): its title stays.
    await recordBatch(source, [down(7)], capped);
    expect((await titles())[2]).toEqual({ group_key: 'svc-3', title: 'svc-3 is down, and 3 more alerts' });
  });

  it("the card's alert section is read in one statement, as alertIncidentsOf and alertsOf read it", async () => {
    const source = `section-${ctx.kind}`;
    const incident = await ctx.db.transaction(async (tx) =>
      insertIncident(tx, {
        teamId: 'T1',
        number: await nextIncidentNumber(tx, 'T1'),
        title: 'section',
        severity: 1,
        reporterId: 'U1',
      }),
    );
    expect(await alertSectionRows(ctx.db, incident.id, 3)).toBeNull();
    // Two groups' alert incidents of one incident, with 5 alerts: some resolved, more than the limit.
    await recordBatch(source, [
      { group: 'x', alert: alert('x1', 'firing', 'critical', '1') },
      { group: 'y', alert: alert('y1', 'firing', 'critical', '1') },
    ]);
    await recordBatch(source, [
      { group: 'x', alert: alert('x2', 'firing', 'critical', '2') },
      { group: 'x', alert: alert('x1', 'resolved', 'critical', '3') },
      { group: 'y', alert: alert('y2', 'firing', 'critical', '4') },
      { group: 'y', alert: alert('y3', 'resolved', 'critical', '5') },
    ]);
    await ctx.db.query('UPDATE alert_incidents SET incident_id = $1 WHERE source = $2', [incident.id, source]);
    const ais = await alertIncidentsOf(ctx.db, incident.id);
    expect(ais).toHaveLength(2);
    const each = await alertsOf(
      ctx.db,
      ais.map((a) => a.id),
      3,
    );
    expect(each.total).toBe(5);
    expect(await alertSectionRows(ctx.db, incident.id, 3)).toEqual({
      alertIncidents: ais,
      alerts: each.alerts,
      firing: each.firing,
      total: each.total,
      firingInfo: each.firingInfo,
    });
  });
});
