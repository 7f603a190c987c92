import { expect, it } from 'vitest';
import type { AlertDelivery } from '../../src/incidents/alert-types.js';
import { insertDelivery } from '../../src/store/alert-delivery.repo.js';
import { loadMigrations, migrateAtStart } from '../../src/store/migrate.js';
import { forEachDatabase } from './databases.js';

const delivery: AlertDelivery = { source: 'hash-test', format: 'generic', groupKey: 'k', alerts: [] };

forEachDatabase(
  (ctx) => {
    it('a resend is answered with the delivery it repeats, also one written before the upgrade to 019', async () => {
      const { db } = await ctx.fresh();
      const all = await loadMigrations();
      await migrateAtStart(
        db,
        all.filter((m) => m.version < 19),
      );
      // Written as the inbox did before 019: the hash without the delivery's id.
      await db.query(
        `INSERT INTO alert_delivery_hashes (source, body_hash, until) VALUES ('hash-test', 'old', now() + interval '1 hour')`,
      );
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO alert_deliveries (source, format, group_key, body_hash, alerts)
         VALUES ('hash-test', 'generic', 'k', 'old', '[]') RETURNING id`,
      );
      const oldId = Number(rows[0]!.id);
      // The upgrade to 019 (and whatever came after it).
      expect((await migrateAtStart(db, all))[0]).toBe(19);

      expect(await insertDelivery(db, delivery, 'old', 60_000)).toEqual({ id: oldId, duplicate: true });
      const first = await insertDelivery(db, delivery, 'new', 60_000);
      expect(first.duplicate).toBe(false);
      expect(first.id).toBeGreaterThan(oldId);
      expect(await insertDelivery(db, delivery, 'new', 60_000)).toEqual({ id: first.id, duplicate: true });
      // Past its window the same body is a new delivery, with an id of its own, and resends of it name that one.
      await db.query(`UPDATE alert_delivery_hashes SET until = now() - interval '1 second' WHERE body_hash = 'new'`);
      const later = await insertDelivery(db, delivery, 'new', 60_000);
      expect(later).toEqual({ id: later.id, duplicate: false });
      expect(later.id).toBeGreaterThan(first.id);
      expect((await insertDelivery(db, delivery, 'new', 60_000)).id).toBe(later.id);
      const { rows: written } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM alert_deliveries WHERE source = 'hash-test'`,
      );
      expect(written[0]!.n).toBe(3);

      // A replica older than 019 still running (a rolling upgrade) writes hashes without the id: still answered.
      await db.query(
        `INSERT INTO alert_delivery_hashes (source, body_hash, until) VALUES ('hash-test', 'older', now() + interval '1 hour')`,
      );
      const { rows: older } = await db.query<{ id: string }>(
        `INSERT INTO alert_deliveries (source, format, group_key, body_hash, alerts)
         VALUES ('hash-test', 'generic', 'k', 'older', '[]') RETURNING id`,
      );
      expect(await insertDelivery(db, delivery, 'older', 60_000)).toEqual({
        id: Number(older[0]!.id),
        duplicate: true,
      });
    });

    it('a generic body that comes again after another body of its key is not a resend; an Alertmanager copy is', async () => {
      const { db } = await ctx.fresh();
      await migrateAtStart(db, await loadMigrations());
      // A check that flaps: firing, resolved, firing, all within the window (its bodies carry no time).
      const check: AlertDelivery = { source: 'cron', format: 'generic', groupKey: 'api-5xx', alerts: [] };
      const firing = await insertDelivery(db, check, 'firing', 60_000);
      expect(await insertDelivery(db, check, 'firing', 60_000)).toEqual({ id: firing.id, duplicate: true });
      const resolved = await insertDelivery(db, check, 'resolved', 60_000);
      expect(resolved.duplicate).toBe(false);
      // Another key's bodies in between change nothing for this one.
      await insertDelivery(db, { ...check, groupKey: 'disk' }, 'disk-firing', 60_000);
      expect(await insertDelivery(db, check, 'resolved', 60_000)).toEqual({ id: resolved.id, duplicate: true });
      const again = await insertDelivery(db, check, 'firing', 60_000);
      expect(again.duplicate).toBe(false);
      expect(again.id).toBeGreaterThan(resolved.id);
      // Its resends are resends of it.
      expect(await insertDelivery(db, check, 'firing', 60_000)).toEqual({ id: again.id, duplicate: true });

      // An Alertmanager group's late copy of an earlier body (an HA peer's) stays a copy: a new firing has new times.
      const group: AlertDelivery = {
        source: 'alertmanager',
        format: 'alertmanager',
        groupKey: '{}:{a="b"}',
        alerts: [],
      };
      const am = await insertDelivery(db, group, 'am-firing', 60_000);
      await insertDelivery(db, group, 'am-resolved', 60_000);
      expect(await insertDelivery(db, group, 'am-firing', 60_000)).toEqual({ id: am.id, duplicate: true });
    });
  },
  { migrate: false },
);
