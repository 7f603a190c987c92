import { expect, it } from 'vitest';
import { loadMigrations, migrateAtStart } from '../../src/store/migrate.js';
import { forEachDatabase } from './databases.js';

forEachDatabase(
  (ctx) => {
    it('084 marks told whoever a take-back would have told before it, and nobody already told it is off', async () => {
      const { db } = await ctx.fresh();
      const all = await loadMigrations();
      await migrateAtStart(
        db,
        all.filter((m) => m.version < 84),
      );
      const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 9, minutes));
      await db.query(
        `INSERT INTO oncall_handoffs (role, handoff_at, outgoing_id, incoming_id, channel_posted_at, dm_sent_at,
           withdrawn_channel_at, withdrawn_dm_at, replaced_outgoing_id)
         VALUES ('on_call', $1, 'U0C', 'U0A', now(), NULL, NULL, NULL, NULL),
                ('on_call', $2, 'U0B', 'U0A', NULL, NULL, NULL, NULL, 'U0C'),
                ('on_call', $3, 'U0C', 'U0A', now(), now(), now(), NULL, NULL),
                ('on_call', $4, 'U0C', 'U0A', NULL, NULL, NULL, NULL, NULL)`,
        [at(0), at(1), at(2), at(3)],
      );

      await migrateAtStart(db, all);
      const { rows } = await db.query<{ channel: boolean; dm: boolean }>(
        `SELECT channel_told_at IS NOT NULL AS channel, dm_told_at IS NOT NULL AS dm FROM oncall_handoffs
         ORDER BY handoff_at`,
      );
      expect(rows).toEqual([
        { channel: true, dm: false },
        { channel: true, dm: true },
        { channel: false, dm: true },
        { channel: false, dm: false },
      ]);
    });
    it('085 records who each audience told was told hands over: the one named where sent, else the one replaced', async () => {
      const { db } = await ctx.fresh();
      const all = await loadMigrations();
      await migrateAtStart(
        db,
        all.filter((m) => m.version < 85),
      );
      const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 9, minutes));
      await db.query(
        `INSERT INTO oncall_handoffs (role, handoff_at, outgoing_id, incoming_id, channel_posted_at, dm_sent_at,
           replaced_outgoing_id, channel_told_at, dm_told_at)
         VALUES ('on_call', $1, 'U0C', 'U0A', now(), NULL, NULL, now(), NULL),
                ('on_call', $2, 'U0B', 'U0A', NULL, NULL, 'U0C', now(), now()),
                ('on_call', $3, 'U0C', 'U0A', NULL, NULL, NULL, now(), now()),
                ('on_call', $4, 'U0C', 'U0A', NULL, NULL, NULL, NULL, NULL)`,
        [at(0), at(1), at(2), at(3)],
      );

      await migrateAtStart(db, all);
      const { rows } = await db.query<{ channel: string | null; dm: string | null }>(
        `SELECT channel_told_outgoing_id AS channel, dm_told_outgoing_id AS dm FROM oncall_handoffs ORDER BY handoff_at`,
      );
      expect(rows).toEqual([
        { channel: 'U0C', dm: null },
        { channel: 'U0C', dm: 'U0C' },
        { channel: 'U0C', dm: 'U0C' },
        { channel: null, dm: null },
      ]);
    });
  },
  { migrate: false },
);
