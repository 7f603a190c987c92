import { beforeEach, expect, it } from 'vitest';
import type { AlertDelivery } from '../../src/incidents/alert-types.js';
import { insertDelivery, purgeFinishedDeliveries } from '../../src/store/alert-delivery.repo.js';
import { emptyTables, forEachDatabase } from './databases.js';

const delivery = (groupKey: string): AlertDelivery => ({
  source: 'retention-test',
  format: 'generic',
  groupKey,
  alerts: [],
});

forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    it('deletes finished deliveries past the retention, in batches, and keeps the rest', async () => {
      const ids: Record<string, number> = {};
      for (const key of ['old-done', 'old-failed', 'new-done', 'old-open', 'old-recorded', 'old-done-2']) {
        ids[key] = (await insertDelivery(ctx.db, delivery(key), `hash-${key}`, 60_000)).id;
      }
      const set = (key: string, state: string, finishedDaysAgo: number | null) =>
        ctx.db.query(
          `UPDATE alert_deliveries SET state = $2,
             finished_at = CASE WHEN $3::int IS NULL THEN NULL ELSE clock_timestamp() - make_interval(days => $3::int) END
           WHERE id = $1`,
          [ids[key], state, finishedDaysAgo],
        );
      await set('old-done', 'done', 40);
      await set('old-done-2', 'done', 31);
      await set('old-failed', 'failed', 40);
      await set('new-done', 'done', 2);
      await set('old-recorded', 'recorded', null);
      const left = async () =>
        (
          await ctx.db.query<{ group_key: string }>('SELECT group_key FROM alert_deliveries ORDER BY group_key')
        ).rows.map((r) => r.group_key);

      const days30 = 30 * 86_400_000;
      expect(await purgeFinishedDeliveries(ctx.db, days30, 2)).toBe(2);
      expect(await purgeFinishedDeliveries(ctx.db, days30, 2)).toBe(1);
      expect(await purgeFinishedDeliveries(ctx.db, days30, 2)).toBe(0);
      expect(await left()).toEqual(['new-done', 'old-open', 'old-recorded']);
    });

    it("a storm step's post records go after as long (they only guard that step's retries, which end within the hour)", async () => {
      await emptyTables(ctx.db, ['alert_step_posts']);
      await ctx.db.exec(
        `INSERT INTO alert_step_posts (key, channel, ts, claimed_at) VALUES
           ('old', 'C1', '1.1', now() - interval '31 days'), ('new', 'C1', '1.2', now() - interval '1 hour')`,
      );
      await purgeFinishedDeliveries(ctx.db, 30 * 86_400_000);
      const { rows } = await ctx.db.query<{ key: string }>('SELECT key FROM alert_step_posts');
      expect(rows).toEqual([{ key: 'new' }]);
    });
  },
  { only: ['postgres'] },
);
