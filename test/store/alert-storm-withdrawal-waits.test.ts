/**
 * The waits between the tries at deleting a post of a storm's message one too many, as StormWithdrawals writes them
 * (each try's due time): the step's own refusal waits the first wait, each refusal of the sweep after it twice the
 * one before, at most ten minutes; given up after `maxAttempts` tries of the sweep.
 */
import { beforeEach, expect, it } from 'vitest';
import { StormWithdrawals, stormWithdrawalWaitMs } from '../../src/incidents/alert-storm-withdrawals.js';
import { emptyTables, forEachDatabase } from './databases.js';

forEachDatabase(
  (ctx) => {
    beforeEach(async () => {
      await emptyTables(ctx.db, ['alert_storm_withdrawals']);
    });

    const at = { channel: 'CINCIDENTS', ts: '1700000000.000100' };
    const quiet = { info() {}, warn() {}, error() {} };
    const refusing = {
      withdrawStormPost: async () => {
        throw new Error('Slack answered 500');
      },
    };
    /** Seconds until the post's next try is due; null when none is left (done, or given up). */
    const dueIn = async (): Promise<number | null> => {
      const { rows } = await ctx.db.query<{ secs: number }>(
        'SELECT EXTRACT(EPOCH FROM due_at - now())::float8 AS secs FROM alert_storm_withdrawals WHERE ts = $1',
        [at.ts],
      );
      return rows[0] ? Math.round(Number(rows[0].secs)) : null;
    };

    it('waits the first wait once, after the step, then doubles it with each refusal of the sweep', async () => {
      const withdrawals = new StormWithdrawals(ctx.db, refusing, { firstRetryMs: 10_000, maxAttempts: 4 }, quiet);
      await withdrawals.withdraw('s', at);
      const waits = [await dueIn()];
      for (;;) {
        await ctx.db.query('UPDATE alert_storm_withdrawals SET due_at = now() WHERE ts = $1', [at.ts]);
        await withdrawals.sweep();
        const next = await dueIn();
        if (next === null) break;
        waits.push(next);
      }
      // The step's refusal, then the sweep's first three (its fourth gives it up).
      expect(waits).toEqual([10, 20, 40, 80]);
    });

    it('the schedule: the first wait, then doubling, at most ten minutes, none once the sweep tried its attempts', () => {
      const retries = { firstRetryMs: 10_000, maxAttempts: 10 };
      const waits = Array.from({ length: 11 }, (_, sweepTries) => stormWithdrawalWaitMs(retries, sweepTries));
      const s = 1000;
      expect(waits).toEqual([
        10 * s,
        20 * s,
        40 * s,
        80 * s,
        160 * s,
        320 * s,
        600 * s,
        600 * s,
        600 * s,
        600 * s,
        null,
      ]);
    });
  },
  { only: ['postgres'] },
);
