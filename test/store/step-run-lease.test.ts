import { beforeEach, describe, expect, it } from 'vitest';
import type { HostRef } from '../../src/incidents/playbook-host.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import {
  claimLostRuns,
  finishStepRun,
  insertRunningStep,
  RUNS_LOST,
  renewStepRun,
  type StepRunInput,
} from '../../src/store/step-run.repo.js';
import { forEachDatabase } from './databases.js';

/**
 * A running run is held by a lease its process renews: only one whose lease ran out (its process killed, or cut off
 * from the database) is recorded lost by a sweep, once, and its step is free to run again.
 */
forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    let host: HostRef;
    const input = (stepKey: string): StepRunInput => ({
      host,
      playbookId: 'web-down',
      stepKey,
      kind: 'command',
      target: ['atom-cli', 'nodes', 'restart', '--all'],
      requestedBy: 'U1',
    });
    const start = async (stepKey: string) => {
      const run = await insertRunningStep(ctx.db, { ...input(stepKey), approvedBy: 'U2' }, 30_000);
      if (!run) throw new Error('not started');
      return run;
    };
    const stateOf = async (id: number) =>
      (await ctx.db.query<{ state: string }>('SELECT state FROM step_runs WHERE id = $1', [id])).rows[0]?.state;
    const anyLost = async () =>
      (await ctx.db.query<{ due: boolean }>(`SELECT ${RUNS_LOST} AS due`)).rows[0]?.due ?? null;
    /** As if its process had stopped renewing it more than a lease ago. */
    const leaseRanOut = (id: number) =>
      ctx.db.query("UPDATE step_runs SET lease_until = now() - interval '1 second' WHERE id = $1", [id]);

    beforeEach(async () => {
      const i = await insertIncident(ctx.db, { teamId: 'T1', number: 1, title: 'web', severity: 1, reporterId: 'U' });
      host = { kind: 'incident', id: i.id };
    });

    describe('claimLostRuns', () => {
      it('takes a run whose lease ran out, once, with what it had shown, and frees its step', async () => {
        const live = await start('mitigation.0');
        const dead = await start('mitigation.1');
        expect(await renewStepRun(ctx.db, dead.id, 30_000, { tail: 'restarting 1 of 2\n', durationMs: 12_345 })).toBe(
          true,
        );
        // Both held: nothing to take.
        expect(await anyLost()).toBe(false);
        expect(await claimLostRuns(ctx.db, 10)).toEqual([]);

        await leaseRanOut(dead.id);
        expect(await anyLost()).toBe(true);
        const lost = await claimLostRuns(ctx.db, 10);
        expect(lost).toHaveLength(1);
        expect(lost[0]).toMatchObject({
          id: dead.id,
          stepKey: 'mitigation.1',
          state: 'lost',
          requestedBy: 'U1',
          approvedBy: 'U2',
          tail: 'restarting 1 of 2\n',
          durationMs: 12_345,
          approvalId: null,
        });
        expect(await stateOf(dead.id)).toBe('lost');
        expect(await stateOf(live.id)).toBe('running');
        // Taken once: a second sweep (another process's) finds nothing.
        expect(await anyLost()).toBe(false);
        expect(await claimLostRuns(ctx.db, 10)).toEqual([]);
        // Its process, should it come back, holds it no more.
        expect(await renewStepRun(ctx.db, dead.id, 30_000, { tail: '', durationMs: 0 })).toBe(false);
        // The step runs again; the live one's does not.
        expect(await insertRunningStep(ctx.db, { ...input('mitigation.1'), approvedBy: null }, 30_000)).not.toBeNull();
        expect(await insertRunningStep(ctx.db, { ...input('mitigation.0'), approvedBy: null }, 30_000)).toBeNull();
      });

      it('never takes a run whose lease is renewed, nor one that ended', async () => {
        const run = await start('mitigation.0');
        await ctx.db.query("UPDATE step_runs SET lease_until = now() + interval '200 milliseconds' WHERE id = $1", [
          run.id,
        ]);
        // Renewed before it runs out, as its process does every third of the lease.
        expect(await renewStepRun(ctx.db, run.id, 30_000, { tail: 'x', durationMs: 100 })).toBe(true);
        await new Promise((r) => setTimeout(r, 300));
        expect(await claimLostRuns(ctx.db, 10)).toEqual([]);
        expect(await stateOf(run.id)).toBe('running');

        await finishStepRun(ctx.db, run.id, { state: 'succeeded', exitCode: 0, durationMs: 1, digest: null, tail: '' });
        await leaseRanOut(run.id);
        expect(await claimLostRuns(ctx.db, 10)).toEqual([]);
        expect(await stateOf(run.id)).toBe('succeeded');
      });

      it('takes a run without a lease (an older version’s) an hour after it started, not before', async () => {
        const old = await start('mitigation.0');
        const recent = await start('mitigation.1');
        await ctx.db.query('UPDATE step_runs SET lease_until = NULL WHERE id IN ($1, $2)', [old.id, recent.id]);
        await ctx.db.query("UPDATE step_runs SET started_at = now() - interval '61 minutes' WHERE id = $1", [old.id]);
        const lost = await claimLostRuns(ctx.db, 10);
        expect(lost.map((r) => r.id)).toEqual([old.id]);
        expect(await stateOf(recent.id)).toBe('running');
      });
    });
  },
  { migrate: true },
);
