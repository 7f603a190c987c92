import { beforeEach, describe, expect, it } from 'vitest';
import type { HostRef } from '../../src/incidents/playbook-host.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { insertApproval } from '../../src/store/step-approval.repo.js';
import { insertCheck, undoCheck } from '../../src/store/step-check.repo.js';
import {
  claimLostRuns,
  finishStepRun,
  insertRunningStep,
  keepLostRun,
  renewStepRun,
  setRunThread,
} from '../../src/store/step-run.repo.js';
import { statusRunInput } from '../support/step-run-input.js';
import { forEachDatabase } from './databases.js';

/**
 * A run recorded lost because its process was cut off from the database past its lease (not killed) ends for real
 * once the process comes back: its real end is recorded over `lost`, once, only while nobody acted on the lost run
 * (the step run again, ticked or asked for); else it stays lost. Decided in the statement that writes it. Its message
 * recorded late (the recording after the post failed) is recorded by a renewal of the lease, or by the end.
 */
forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    let host: HostRef;
    beforeEach(async () => {
      const i = await insertIncident(ctx.db, { teamId: 'T1', number: 1, title: 'web', severity: 1, reporterId: 'U' });
      host = { kind: 'incident', id: i.id };
    });
    const input = (stepKey = 'mitigation.0') => statusRunInput(host, stepKey);
    /** A run recorded lost by another process's sweep, its lease having run out. */
    const lostRun = async (stepKey = 'mitigation.0', ts: string | null = '1700000000.000100') => {
      const run = (await insertRunningStep(ctx.db, input(stepKey), 30_000))!;
      if (ts) await setRunThread(ctx.db, run.id, ts);
      await ctx.db.query("UPDATE step_runs SET lease_until = now() - interval '1 second' WHERE id = $1", [run.id]);
      const [lost] = await claimLostRuns(ctx.db, 10);
      expect(lost?.id).toBe(run.id);
      return run.id;
    };
    const row = async (id: number) =>
      (
        await ctx.db.query<{ state: string; exit_code: number | null; thread_ts: string | null; show_due: boolean }>(
          'SELECT state, exit_code, thread_ts, show_due_at IS NOT NULL AS show_due FROM step_runs WHERE id = $1',
          [id],
        )
      ).rows[0]!;
    const succeeded = { state: 'succeeded' as const, exitCode: 0, durationMs: 40_000, digest: null, tail: 'ok\n' };

    describe('finishStepRun over lost', () => {
      it('records the real end when nobody acted on the lost run, once, saying it came back', async () => {
        const id = await lostRun();
        const end = await finishStepRun(ctx.db, id, succeeded);
        expect(end).toMatchObject({ recorded: true, cameBack: true });
        expect(await row(id)).toMatchObject({ state: 'succeeded', exit_code: 0, show_due: true });
        // Written once: a second end (a retry) records nothing.
        expect(await finishStepRun(ctx.db, id, { ...succeeded, state: 'failed', exitCode: 1 })).toEqual({
          recorded: false,
        });
        expect(await row(id)).toMatchObject({ state: 'succeeded', exit_code: 0 });
      });

      it('leaves it lost once its step was run again, ticked (even undone) or asked for since', async () => {
        // Run again (a refused attempt ran nothing, and does not count).
        const ranAgain = await lostRun('mitigation.0');
        await ctx.db.query(
          `INSERT INTO step_runs (incident_id, playbook_id, step_key, kind, target, requested_by, state, refusal)
           VALUES ($1, 'web-down', 'mitigation.0', 'command', '[]', 'U9', 'refused', 'no role')`,
          [host.id],
        );
        const again = (await insertRunningStep(ctx.db, input('mitigation.0'), 30_000))!;
        expect(again.id).toBeGreaterThan(ranAgain);
        // Ticked and the tick undone.
        const ticked = await lostRun('mitigation.1');
        const tick = await insertCheck(ctx.db, host, {
          playbookId: 'web-down',
          stepKey: 'mitigation.1',
          state: 'done',
          reason: null,
          checkedBy: 'U2',
        });
        await undoCheck(ctx.db, tick!.id, 'U2');
        // Asked for.
        const asked = await lostRun('mitigation.2');
        await insertApproval(ctx.db, {
          host,
          playbookId: 'web-down',
          stepKey: 'mitigation.2',
          params: {},
          requestedBy: 'U3',
        });

        for (const id of [ranAgain, ticked, asked]) {
          expect(await finishStepRun(ctx.db, id, succeeded)).toEqual({ recorded: false });
          expect((await row(id)).state).toBe('lost');
          const kept = await keepLostRun(ctx.db, id, null, { detail: 'came back: succeeded' }, null);
          expect(kept).toMatchObject({ id, state: 'lost', shown: { detail: 'came back: succeeded' } });
          expect(kept?.mark).not.toBeNull();
        }
      });

      it('is not held back by what was done before the run was lost, nor by another step', async () => {
        await insertCheck(ctx.db, host, {
          playbookId: 'web-down',
          stepKey: 'mitigation.0',
          state: 'skipped',
          reason: 'later',
          checkedBy: 'U2',
        });
        const id = await lostRun('mitigation.0');
        await insertRunningStep(ctx.db, input('mitigation.1'), 30_000);
        expect(await finishStepRun(ctx.db, id, succeeded)).toMatchObject({ recorded: true, cameBack: true });
      });
    });

    describe("a run's message recorded late", () => {
      it('is recorded by a renewal of the lease when it was not, and never replaces one recorded', async () => {
        const run = (await insertRunningStep(ctx.db, input(), 30_000))!;
        expect(await renewStepRun(ctx.db, run.id, 30_000, { tail: '', durationMs: 1, threadTs: '1.000001' })).toBe(
          true,
        );
        expect((await row(run.id)).thread_ts).toBe('1.000001');
        await renewStepRun(ctx.db, run.id, 30_000, { tail: '', durationMs: 2, threadTs: '2.000002' });
        expect((await row(run.id)).thread_ts).toBe('1.000001');
      });

      it('is recorded by the run’s end, its message then due to be drawn; by the late end of a lost run too', async () => {
        const run = (await insertRunningStep(ctx.db, input(), 30_000))!;
        const end = await finishStepRun(ctx.db, run.id, { ...succeeded, threadTs: '1.000001' });
        expect(end).toMatchObject({ recorded: true, cameBack: false });
        expect(end.recorded && end.mark).not.toBeNull();
        expect(await row(run.id)).toMatchObject({ thread_ts: '1.000001', show_due: true });

        const id = await lostRun('mitigation.1', null);
        await insertRunningStep(ctx.db, input('mitigation.1'), 30_000);
        expect(await finishStepRun(ctx.db, id, { ...succeeded, threadTs: '2.000002' })).toEqual({ recorded: false });
        const kept = await keepLostRun(ctx.db, id, '2.000002', { detail: 'late' }, null);
        expect(kept).toMatchObject({ threadTs: '2.000002', state: 'lost' });
        expect(await row(id)).toMatchObject({ thread_ts: '2.000002', show_due: true });
      });
    });
  },
  { migrate: true },
);
