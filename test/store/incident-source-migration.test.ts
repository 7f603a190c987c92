import { expect, it } from 'vitest';
import { loadMigrations, migrateAtStart } from '../../src/store/migrate.js';
import { forEachDatabase } from './databases.js';

forEachDatabase(
  (ctx) => {
    it('incidents opened from alerts before 038 are marked so; those declared by people stay theirs', async () => {
      const { db } = await ctx.fresh();
      const all = await loadMigrations();
      await migrateAtStart(
        db,
        all.filter((m) => m.version < 38),
      );
      const incident = async (n: number, reporter: string) => {
        const { rows } = await db.query<{ id: string }>(
          `INSERT INTO incidents (team_id, number, title, severity, status, phase, reporter_id)
           VALUES ('T1', $1, 'old', 1, 'investigating', 'detection', $2) RETURNING id`,
          [n, reporter],
        );
        return Number(rows[0]!.id);
      };
      const alertIncident = (incidentId: number, declaredBy: string | null) =>
        db.query(
          `INSERT INTO alert_incidents (source, group_key, state, incident_id, title, severity, declared_by)
           VALUES ('am', $1, 'declared', $2, 'old', 1, $3)`,
          [`g${incidentId}`, incidentId, declaredBy],
        );
      const byBot = await incident(1, 'UBOT');
      await alertIncident(byBot, null);
      // A warning's notice, declared by a person with its button.
      const fromNotice = await incident(2, 'U0ALICE');
      await alertIncident(fromNotice, 'U0ALICE');
      const typed = await incident(3, 'U0BOB');

      expect((await migrateAtStart(db, all))[0]).toBe(38);
      const { rows } = await db.query<{ id: string; source: string }>('SELECT id, source FROM incidents ORDER BY id');
      expect(rows.map((r) => [Number(r.id), r.source])).toEqual([
        [byBot, 'alert'],
        [fromNotice, 'person'],
        [typed, 'person'],
      ]);
    });
  },
  { migrate: false },
);
