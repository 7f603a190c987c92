import { expect, it } from 'vitest';
import { latestAlerts } from '../../src/store/alert.repo.js';
import { loadMigrations, migrateAtStart } from '../../src/store/migrate.js';
import { forEachDatabase } from './databases.js';

forEachDatabase(
  (ctx) => {
    it("alerts recorded before 033 keep their identity: their delivery's format, else their group key says it", async () => {
      const { db } = await ctx.fresh();
      const all = await loadMigrations();
      await migrateAtStart(
        db,
        all.filter((m) => m.version < 33),
      );
      const delivery = async (format: string, groupKey: string) => {
        const { rows } = await db.query<{ id: string }>(
          `INSERT INTO alert_deliveries (source, format, group_key, body_hash, alerts)
           VALUES ('old', $1, $2, $3, '[]') RETURNING id`,
          [format, groupKey, `${format}-${groupKey}`],
        );
        return Number(rows[0]!.id);
      };
      const am = await delivery('alertmanager', '{}:{alertname="HighErrorRate"}');
      const generic = await delivery('generic', 'api-error-rate');
      const alert = (fingerprint: string, groupKey: string, deliveryId: number) =>
        db.query(
          `INSERT INTO alerts (source, fingerprint, group_key, name, level, status, summary, last_delivery_id)
           VALUES ('old', $1, $2, $1, 'critical', 'firing', 's', $3)`,
          [fingerprint, groupKey, deliveryId],
        );
      await alert('a8a496fc62f0b8a6', '{}:{alertname="HighErrorRate"}', am);
      await alert('api-error-rate', 'api-error-rate', generic);
      // Their deliveries gone (past retention): the generic format's group key is its key.
      await alert('3a310acdd5c74e5a', '{}:{alertname="HighErrorRate"}', 999_999);
      await alert('disk-check', 'disk-check', 999_998);

      expect((await migrateAtStart(db, all))[0]).toBe(33);
      const { rows } = await db.query<{ fingerprint: string; format: string }>(
        'SELECT fingerprint, format FROM alerts ORDER BY id',
      );
      expect(rows.map((r) => [r.fingerprint, r.format])).toEqual([
        ['a8a496fc62f0b8a6', 'alertmanager'],
        ['api-error-rate', 'generic'],
        ['3a310acdd5c74e5a', 'alertmanager'],
        ['disk-check', 'generic'],
      ]);
      // Found as before by their own format, not by the other.
      const found = await latestAlerts(db, [
        { source: 'old', format: 'alertmanager', fingerprint: 'a8a496fc62f0b8a6' },
        { source: 'old', format: 'generic', fingerprint: 'a8a496fc62f0b8a6' },
        { source: 'old', format: 'generic', fingerprint: 'disk-check' },
      ]);
      expect([...found.values()].map((f) => [f.alert.fingerprint, f.alert.format])).toEqual([
        ['a8a496fc62f0b8a6', 'alertmanager'],
        ['disk-check', 'generic'],
      ]);
    });
  },
  { migrate: false },
);
