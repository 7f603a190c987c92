import { beforeEach, expect, it } from 'vitest';
import { heartbeatChanges, markHeartbeat } from '../../src/store/alert-heartbeat.repo.js';
import { emptyTables, forEachDatabase } from './databases.js';

const RULES = [{ rule: 'Watchdog', ms: 2000 }];

forEachDatabase((ctx) => {
  beforeEach(() => emptyTables(ctx.db, ['alerts', 'alert_heartbeats', 'alert_deliveries']));

  /** The Watchdog from `source`, firing, its last delivery received `agoMs` ago. */
  const seen = (agoMs: number, source = 'am') =>
    ctx.db.query(
      `INSERT INTO alerts (source, fingerprint, group_key, name, level, rule, status, summary, last_seen, last_delivery_id, format)
       VALUES ($1, 'watchdog', 'g', 'Watchdog', 'info', 'Watchdog', 'firing', 'always firing',
               clock_timestamp() - make_interval(secs => $2::bigint / 1000.0), 1, 'alertmanager')`,
      [source, agoMs],
    );
  const toldQuiet = (lastSeenAgoMs: number, source = 'am') =>
    ctx.db.query(
      `INSERT INTO alert_heartbeats (rule, source, quiet, last_seen)
       VALUES ('Watchdog', $1, true, clock_timestamp() - make_interval(secs => $2::bigint / 1000.0))`,
      [source, lastSeenAgoMs],
    );

  it('a return is told though it was looked at only after its heartbeat passed again (a busy process, one delivery)', async () => {
    await toldQuiet(20_000);
    await seen(10_000); // came back 10 s ago, once: firing again within no heartbeat now
    const changes = await heartbeatChanges(ctx.db, RULES);
    expect(changes.map((c) => [c.source, c.quiet])).toEqual([['am', false]]);
    expect(await markHeartbeat(ctx.db, changes[0]!, 2000)).not.toBeNull();
    // Told back: next, its new silence (since that delivery) is told.
    const next = await heartbeatChanges(ctx.db, RULES);
    expect(next.map((c) => [c.source, c.quiet])).toEqual([['am', true]]);
    expect(await markHeartbeat(ctx.db, next[0]!, 2000)).not.toBeNull();
    expect(await heartbeatChanges(ctx.db, RULES)).toEqual([]);
  });

  it('a source with deliveries not recorded yet is not called quiet until they are (they may carry it)', async () => {
    await seen(5000);
    const { rows } = await ctx.db.query<{ id: string }>(
      `INSERT INTO alert_deliveries (source, format, group_key, body_hash, alerts) VALUES ('am', 'alertmanager', 'g', 'h', '[]')
       RETURNING id`,
    );
    expect(await heartbeatChanges(ctx.db, RULES)).toEqual([]);
    // Nor by the check under the lock, had it been read before the delivery came.
    expect(
      await markHeartbeat(
        ctx.db,
        { rule: 'Watchdog', source: 'am', quiet: true, lastSeen: new Date(), resolved: false },
        2000,
      ),
    ).toBeNull();
    // Another source's inbox does not hold this one's silence.
    await seen(5000, 'grafana');
    expect((await heartbeatChanges(ctx.db, RULES)).map((c) => c.source)).toEqual(['grafana']);
    await ctx.db.query(`UPDATE alert_deliveries SET state = 'done' WHERE id = $1`, [rows[0]!.id]);
    const changes = await heartbeatChanges(ctx.db, RULES);
    expect(changes.map((c) => [c.source, c.quiet]).sort()).toEqual([
      ['am', true],
      ['grafana', true],
    ]);
  });

  it('still firing within its heartbeat, or told quiet with nothing since: no change', async () => {
    await seen(500);
    expect(await heartbeatChanges(ctx.db, RULES)).toEqual([]);
    await emptyTables(ctx.db, ['alerts']);
    await toldQuiet(5000);
    await seen(5000); // the delivery the silence was counted from, nothing since
    await ctx.db.query(`UPDATE alerts SET last_seen = (SELECT last_seen FROM alert_heartbeats)`);
    expect(await heartbeatChanges(ctx.db, RULES)).toEqual([]);
  });
});
