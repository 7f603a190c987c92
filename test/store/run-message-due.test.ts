import { beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/incidents/errors.js';
import type { PlaybookHost } from '../../src/incidents/playbook-host.js';
import type { RunView } from '../../src/incidents/ports.js';
import { REDRAW_MAX_ATTEMPTS } from '../../src/incidents/redraw-retries.js';
import { RunMessageRedraws } from '../../src/incidents/run-message-redraws.js';
import type { Incident } from '../../src/incidents/types.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { claimRunMessages, RUN_MESSAGES_TO_REDRAW, runMessageDrawn } from '../../src/store/run-message.repo.js';
import { claimLostRuns, finishStepRun, insertRunningStep, setRunThread } from '../../src/store/step-run.repo.js';
import { statusRunInput } from '../support/step-run-input.js';
import { forEachDatabase } from './databases.js';

/**
 * A run recorded lost or stopped has its message marked due to be drawn (migration 079) until a drawing that read the
 * mark clears it; the timer loop's sweep draws the due ones, waits longer after each refusal, and gives up (logged).
 */
forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    let incident: Incident;
    beforeEach(async () => {
      incident = await insertIncident(ctx.db, { teamId: 'T1', number: 1, title: 'web', severity: 1, reporterId: 'U' });
    });
    const input = (stepKey: string) => statusRunInput({ kind: 'incident', id: incident.id }, stepKey);
    /** A run whose message was posted (at `ts`, or none) and whose process was then killed. */
    const killed = async (stepKey: string, ts: string | null) => {
      const run = (await insertRunningStep(ctx.db, input(stepKey), 30_000))!;
      if (ts) await setRunThread(ctx.db, run.id, ts);
      await ctx.db.query("UPDATE step_runs SET lease_until = now() - interval '1 second' WHERE id = $1", [run.id]);
      return run.id;
    };
    const due = async (id: number) =>
      (
        await ctx.db.query<{ show_due_at: Date | null; show_attempts: number }>(
          'SELECT show_due_at, show_attempts FROM step_runs WHERE id = $1',
          [id],
        )
      ).rows[0]!;
    const dueNow = (id: number) => ctx.db.query('UPDATE step_runs SET show_due_at = now() WHERE id = $1', [id]);
    const anyDue = async () =>
      (await ctx.db.query<{ due: boolean }>(`SELECT ${RUN_MESSAGES_TO_REDRAW} AS due`)).rows[0]?.due;

    describe('the mark', () => {
      it('is made when a run with a message is recorded lost, and cleared by a drawing that read it', async () => {
        const withMessage = await killed('mitigation.0', '1700000000.000100');
        const without = await killed('mitigation.1', null);
        const lost = await claimLostRuns(ctx.db, 10);
        const shown = lost.find((r) => r.id === withMessage)!;
        expect(shown.mark).not.toBeNull();
        expect(lost.find((r) => r.id === without)!.mark).toBeNull();
        // Due after a grace (the recording process draws it first), not at once.
        expect((await due(withMessage)).show_due_at!.getTime()).toBeGreaterThan(Date.now() + 20_000);
        expect((await due(without)).show_due_at).toBeNull();

        await runMessageDrawn(ctx.db, withMessage, shown.mark!);
        expect((await due(withMessage)).show_due_at).toBeNull();
      });

      it('made again while a drawing drew is not cleared by that drawing', async () => {
        const id = await killed('mitigation.0', '1700000000.000100');
        const [lost] = await claimLostRuns(ctx.db, 10);
        // The sweep claims it and draws it as lost; meanwhile the process comes back and records it stopped.
        await dueNow(id);
        const [claimed] = await claimRunMessages(ctx.db, 10, 60_000);
        expect(claimed).toMatchObject({ id, state: 'lost', mark: lost!.mark });
        const stopped = await finishStepRun(ctx.db, id, {
          state: 'stopped',
          exitCode: null,
          durationMs: 5,
          digest: null,
          tail: 'half done\n',
        });
        if (!stopped.recorded) throw new Error('not recorded');
        expect(stopped.mark).not.toBe(lost!.mark);
        await runMessageDrawn(ctx.db, id, claimed!.mark!);
        // Still due, to be drawn as stopped.
        expect((await due(id)).show_due_at).not.toBeNull();
        await runMessageDrawn(ctx.db, id, stopped.mark!);
        expect((await due(id)).show_due_at).toBeNull();
      });

      it('is made for every end of a run with a message, until its process draws it; not without one', async () => {
        const end = { exitCode: 0, durationMs: 5, digest: null, tail: '' };
        for (const [key, state] of [
          ['mitigation.0', 'succeeded'],
          ['mitigation.1', 'failed'],
          ['mitigation.2', 'stopped'],
        ] as const) {
          const run = (await insertRunningStep(ctx.db, input(key), 30_000))!;
          await setRunThread(ctx.db, run.id, '1700000000.000100');
          const ended = await finishStepRun(ctx.db, run.id, { state, ...end });
          expect(ended).toMatchObject({ recorded: true, cameBack: false });
          expect((await due(run.id)).show_due_at, state).not.toBeNull();
          if (ended.recorded) await runMessageDrawn(ctx.db, run.id, ended.mark!);
          expect((await due(run.id)).show_due_at).toBeNull();
        }
        const bare = (await insertRunningStep(ctx.db, input('mitigation.3'), 30_000))!;
        expect(await finishStepRun(ctx.db, bare.id, { state: 'succeeded', ...end })).toEqual({
          recorded: true,
          cameBack: false,
          mark: null,
        });
        expect((await due(bare.id)).show_due_at).toBeNull();
      });
    });

    describe('RunMessageRedraws', () => {
      const host = (): PlaybookHost => ({ kind: 'incident', incident });
      const noStep = () => {
        throw new DomainError('not_found', 'no such step');
      };
      const logged: string[] = [];
      const log = { ...console, warn: (m: unknown) => void logged.push(String(m)) };
      beforeEach(() => {
        logged.length = 0;
      });

      it('draws a due message as the run ended, once taken not again', async () => {
        const id = await killed('mitigation.0', '1700000000.000100');
        await claimLostRuns(ctx.db, 10);
        await dueNow(id);
        const drawn: RunView[] = [];
        const sweep = new RunMessageRedraws(
          ctx.db,
          { updateRun: async (_p, _ts, v) => void drawn.push(v), findRunPost: async () => null },
          { redraw: async () => {} },
          { host: async () => host(), step: noStep },
          log,
        );
        expect(await anyDue()).toBe(true);
        await sweep.sweep();
        expect(drawn).toHaveLength(1);
        expect(drawn[0]).toMatchObject({ runId: id, state: 'lost', stepText: 'mitigation.0' });
        expect(await anyDue()).toBe(false);
      });

      it('waits longer after each refusal, and gives up after the last try, logged', async () => {
        const id = await killed('mitigation.0', '1700000000.000100');
        await claimLostRuns(ctx.db, 10);
        const sweep = new RunMessageRedraws(
          ctx.db,
          { updateRun: () => Promise.reject(new Error('internal_error')), findRunPost: async () => null },
          { redraw: async () => {} },
          { host: async () => host(), step: noStep },
          log,
        );
        await dueNow(id);
        await sweep.sweep();
        const first = await due(id);
        expect(first.show_attempts).toBe(1);
        const firstWait = first.show_due_at!.getTime() - Date.now();
        expect(firstWait).toBeGreaterThan(20_000);
        await dueNow(id);
        await sweep.sweep();
        expect((await due(id)).show_due_at!.getTime() - Date.now()).toBeGreaterThan(firstWait + 20_000);

        await ctx.db.query('UPDATE step_runs SET show_attempts = $2 WHERE id = $1', [id, REDRAW_MAX_ATTEMPTS - 1]);
        await dueNow(id);
        await sweep.sweep();
        expect((await due(id)).show_due_at).toBeNull();
        expect(logged.some((m) => m.includes(`step run ${id}'s message: gave up`))).toBe(true);
      });
    });
  },
  { migrate: true },
);
