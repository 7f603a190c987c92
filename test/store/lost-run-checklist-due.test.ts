import { expect, it } from 'vitest';
import { ChatPlatformError } from '../../src/incidents/errors.js';
import { LostRuns } from '../../src/incidents/lost-runs.js';
import type { ChecklistView, IncidentMetrics, PlaybookChat } from '../../src/incidents/ports.js';
import { REDRAW_MAX_ATTEMPTS } from '../../src/incidents/redraw-retries.js';
import { setRunThread } from '../../src/store/step-run.repo.js';
import { CHECKLIST_TS, KEY, useLostRunScene } from '../support/lost-run-scene.js';
import { forEachDatabase } from './databases.js';

/**
 * A run recorded lost (LostRuns) has its playbook's checklist redrawn at once, its step's line saying the run did not
 * end. Slack refusing that drawing leaves the run due (step_runs.checklist_due), for the redraw sweep
 * (RunMessageRedraws) to draw the checklist again with its waits, rather than the checklist saying "running".
 */

const RUN_TS = '1700000000.950000';

forEachDatabase(
  (ctx) => {
    const { checklists, dueNow, expiredStep, log, redraws, runs, warned } = useLostRunScene(ctx);

    /** A Slack refusing the checklist's updates `refusals` times, and the run message's `runRefusals` times. */
    const slack = (refusals: number, runRefusals = 0) => {
      const drawn: { ts: string; view: ChecklistView }[] = [];
      const runDrawn: string[] = [];
      const s = {
        drawn,
        runDrawn,
        chat: {
          findRunPost: async () => null,
          updateRun: async (_p: unknown, ts: string) => {
            if (runRefusals-- > 0) throw new ChatPlatformError('ratelimited', 'Slack asked to wait.');
            runDrawn.push(ts);
          },
          updatePlaybook: async (_p: unknown, ts: string, view: ChecklistView) => {
            if (refusals-- > 0) throw new ChatPlatformError('ratelimited', 'Slack asked to wait.');
            drawn.push({ ts, view });
          },
          postNote: async () => {},
        } as unknown as PlaybookChat,
      };
      return s;
    };
    /** A playbook run with its checklist posted, and a run of its status step, its message posted, its process gone. */
    const running = async () => {
      const { id } = await expiredStep();
      await setRunThread(ctx.db, id, RUN_TS);
      return id;
    };
    const metrics = { stepRan: () => {} } as unknown as IncidentMetrics;
    const lostRuns = (s: ReturnType<typeof slack>) =>
      new LostRuns(ctx.db, s.chat, checklists(s.chat), runs, metrics, log);
    const row = async (id: number) =>
      (
        await ctx.db.query<{ state: string; show_due_at: Date | null }>(
          'SELECT state, show_due_at FROM step_runs WHERE id = $1',
          [id],
        )
      ).rows[0]!;
    /** The step as a drawn checklist shows it: recorded lost (its last run did not end). */
    const showsLost = (view: ChecklistView) => {
      expect(view.statuses[KEY]).toMatchObject({ state: 'failed', cutShort: true });
      expect(view.focus).toBe(KEY);
    };

    it('its checklist refused by Slack once: the run stays due, and the sweep draws the checklist (its message drawn once)', async () => {
      const s = slack(1);
      const id = await running();
      await lostRuns(s).sweep();
      expect((await row(id)).state).toBe('lost');
      expect(s.runDrawn).toEqual([RUN_TS]);
      expect(s.drawn).toEqual([]);
      expect((await row(id)).show_due_at).not.toBeNull();
      expect(warned().some((w) => w.includes(`could not show step run ${id} as lost in its checklist`))).toBe(true);

      expect((await dueNow(id)).rows).toHaveLength(1);
      await redraws(s.chat).sweep();
      expect(s.drawn.map((d) => d.ts)).toEqual([CHECKLIST_TS]);
      showsLost(s.drawn[0]!.view);
      expect((await row(id)).show_due_at).toBeNull();
      // Its message, drawn by LostRuns, was not drawn again.
      expect(s.runDrawn).toEqual([RUN_TS]);
    });

    it('its message and its checklist both refused: the sweep draws the message, then the checklist', async () => {
      const s = slack(2, 1);
      const id = await running();
      await lostRuns(s).sweep();
      expect(s.runDrawn).toEqual([]);
      expect(s.drawn).toEqual([]);

      // The message taken, the checklist refused again: only the checklist is left.
      expect((await dueNow(id)).rows).toHaveLength(1);
      await redraws(s.chat).sweep();
      expect(s.runDrawn).toEqual([RUN_TS]);
      expect(s.drawn).toEqual([]);
      expect((await row(id)).show_due_at).not.toBeNull();

      expect((await dueNow(id)).rows).toHaveLength(1);
      await redraws(s.chat).sweep();
      expect(s.runDrawn).toEqual([RUN_TS]);
      expect(s.drawn.map((d) => d.ts)).toEqual([CHECKLIST_TS]);
      showsLost(s.drawn[0]!.view);
      expect((await row(id)).show_due_at).toBeNull();
    });

    it('its checklist refused every time: given up after the last attempt, said in the log, due no more', async () => {
      const s = slack(Number.POSITIVE_INFINITY);
      const id = await running();
      await lostRuns(s).sweep();
      for (let i = 0; i < REDRAW_MAX_ATTEMPTS; i++) {
        expect((await dueNow(id)).rows, `attempt ${i + 1}`).toHaveLength(1);
        await redraws(s.chat).sweep();
      }
      expect((await row(id)).show_due_at).toBeNull();
      expect(warned().filter((w) => w.includes(`step run ${id}'s message: gave up showing it lost`))).toHaveLength(1);
      expect(s.drawn).toEqual([]);
      expect(s.runDrawn).toEqual([RUN_TS]);
    });
  },
  { migrate: true },
);
