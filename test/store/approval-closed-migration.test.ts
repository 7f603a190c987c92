import { expect, it } from 'vitest';
import { loadMigrations, migrateAtStart } from '../../src/store/migrate.js';
import { forEachDatabase } from './databases.js';

forEachDatabase(
  (ctx) => {
    it('closed requests still due before 081 have their channel message marked behind; the others are left', async () => {
      const { db } = await ctx.fresh();
      const all = await loadMigrations();
      await migrateAtStart(
        db,
        all.filter((m) => m.version < 81),
      );
      const { rows: incidents } = await db.query<{ id: string }>(
        `INSERT INTO incidents (team_id, number, title, severity, status, phase, reporter_id)
         VALUES ('T1', 1, 'web down', 1, 'investigating', 'detection', 'U0RESPONDER') RETURNING id`,
      );
      const request = async (state: string, due: boolean) => {
        const { rows } = await db.query<{ id: string }>(
          `INSERT INTO step_approvals (incident_id, playbook_id, step_key, params, requested_by, state, show_due_at)
           VALUES ($1, 'web-down', 'mitigation.0', '{}', 'U0RESPONDER', $2, CASE WHEN $3::boolean THEN now() END)
           RETURNING id`,
          [incidents[0]!.id, state, due],
        );
        return Number(rows[0]!.id);
      };
      const closedDue = await request('closed', true);
      const closedShown = await request('closed', false);
      const approvedDue = await request('approved', true);

      await migrateAtStart(db, all);
      const { rows } = await db.query<{ id: string; message_behind: boolean; behind_mark: number }>(
        'SELECT id, message_behind, behind_mark FROM step_approvals ORDER BY id',
      );
      expect(rows.map((r) => [Number(r.id), r.message_behind, Number(r.behind_mark)])).toEqual([
        [closedDue, true, 1],
        [closedShown, false, 0],
        [approvedDue, false, 0],
      ]);
    });
  },
  { migrate: false },
);
