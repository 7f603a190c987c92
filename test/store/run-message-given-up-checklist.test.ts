import { expect, it } from 'vitest';
import { ChatPlatformError } from '../../src/incidents/errors.js';
import type { ChatPlace, ChecklistView, PlaybookChat } from '../../src/incidents/ports.js';
import { REDRAW_MAX_ATTEMPTS } from '../../src/incidents/redraw-retries.js';
import { lookForRunMessageLater } from '../../src/store/run-message.repo.js';
import { claimLostRuns } from '../../src/store/step-run.repo.js';
import { renderChecklist } from '../../src/templates/checklist.js';
import { CHANNEL, CHECKLIST_TS, KEY, useLostRunScene } from '../support/lost-run-scene.js';
import { forEachDatabase } from './databases.js';

/**
 * A lost run's message whose look-up kept failing (Slack's history unreadable) is given up by RunMessageRedraws, and
 * its playbook's checklist redrawn at once so its step's line says why: here for a playbook run (`/incident run`), its
 * checklist the root of its thread. Slack refusing that redraw leaves the run due, for the sweep to draw it again.
 */

const WHY =
  /its run's message could not be found in the thread, so its output is not shown \(Slack's last answer: `ratelimited`\)/;

forEachDatabase(
  (ctx) => {
    const { dueNow, expiredStep, redraws, warned } = useLostRunScene(ctx);

    /** A Slack whose history cannot be read (rate limited); its checklist updates refused while `refusing`. */
    const slack = () => {
      const drawn: { place: ChatPlace; ts: string; view: ChecklistView }[] = [];
      let looks = 0;
      const s = {
        refusing: false,
        drawn,
        looks: () => looks,
        chat: {
          findRunPost: async () => {
            looks++;
            throw new ChatPlatformError('ratelimited', 'Slack asked to wait before reading the channel again.');
          },
          updateRun: async () => {},
          updatePlaybook: async (place: ChatPlace, ts: string, view: ChecklistView) => {
            if (s.refusing) throw new ChatPlatformError('ratelimited', 'Slack asked to wait.');
            drawn.push({ place, ts, view });
          },
        } as unknown as PlaybookChat,
      };
      return s;
    };
    /**
     * A playbook run with its checklist posted, and a run of its status step recorded lost with no message on the
     * record, its look-up failed once (LostRuns) and every attempt but the last spent.
     */
    const lostRun = async () => {
      const step = await expiredStep();
      await claimLostRuns(ctx.db, 10);
      await lookForRunMessageLater(ctx.db, step.id);
      await ctx.db.query('UPDATE step_runs SET show_due_at = now(), show_attempts = $2 WHERE id = $1', [
        step.id,
        REDRAW_MAX_ATTEMPTS - 1,
      ]);
      return step;
    };
    const sweeper = (s: ReturnType<typeof slack>) => redraws(s.chat);
    const row = async (id: number) =>
      (
        await ctx.db.query<{ show_due_at: Date | null; why: string | null }>(
          'SELECT show_due_at, message_given_up_why AS why FROM step_runs WHERE id = $1',
          [id],
        )
      ).rows[0]!;
    /** The step's section in a drawn checklist. */
    const line = (view: ChecklistView) =>
      JSON.stringify(renderChecklist(view).blocks)
        .split('"type":"section"')
        .find((b) => b.includes('Check the app status')) ?? '';

    it("given up, the run's checklist (the root of its thread) is redrawn at once, its step's line saying why", async () => {
      const s = slack();
      const { runId, id } = await lostRun();
      await sweeper(s).sweep();
      expect(s.looks()).toBe(1);
      expect(s.drawn).toHaveLength(1);
      const [redrawn] = s.drawn;
      expect(redrawn!.ts).toBe(CHECKLIST_TS);
      expect(redrawn!.place).toEqual({ channelId: CHANNEL, threadTs: CHECKLIST_TS });
      expect(redrawn!.view).toMatchObject({ runId, origin: { kind: 'run', by: 'U1' }, focus: KEY });
      expect(line(redrawn!.view)).toMatch(WHY);
      expect(await row(id)).toEqual({ show_due_at: null, why: 'ratelimited' });
    });

    it('that redraw refused by Slack: the run stays due, and the sweep draws the checklist again, never looking again', async () => {
      const s = slack();
      const { id } = await lostRun();
      s.refusing = true;
      await sweeper(s).sweep();
      expect(s.drawn).toEqual([]);
      // Given up, marked, and still due: held for a while (as a claim), then the sweep's.
      const held = await row(id);
      expect(held.why).toBe('ratelimited');
      expect(held.show_due_at!.getTime()).toBeGreaterThan(Date.now() + 20_000);
      expect(warned().some((w) => w.includes(`step run ${id}'s message was not found in its checklist`))).toBe(true);

      // Slack still refusing: tried again later, with the sweep's waits.
      expect((await dueNow(id)).rows).toHaveLength(1);
      await sweeper(s).sweep();
      expect(s.drawn).toEqual([]);
      expect((await row(id)).show_due_at).not.toBeNull();

      // Slack takes it: the checklist says why, and the run is due no more. Its message was not looked for again.
      s.refusing = false;
      expect((await dueNow(id)).rows).toHaveLength(1);
      await sweeper(s).sweep();
      expect(s.drawn.map((d) => d.ts)).toEqual([CHECKLIST_TS]);
      expect(line(s.drawn[0]!.view)).toMatch(WHY);
      expect((await row(id)).show_due_at).toBeNull();
      expect(s.looks()).toBe(1);
    });

    it('refused every time: given up after the last attempt, said in the log, due no more', async () => {
      const s = slack();
      const { id } = await lostRun();
      s.refusing = true;
      await sweeper(s).sweep();
      for (let i = 0; i < REDRAW_MAX_ATTEMPTS; i++) {
        expect((await dueNow(id)).rows, `attempt ${i + 1}`).toHaveLength(1);
        await sweeper(s).sweep();
      }
      expect((await row(id)).show_due_at).toBeNull();
      expect(warned().filter((w) => w.includes(`step run ${id}'s message: gave up showing why`))).toHaveLength(1);
      expect(s.looks()).toBe(1);
    });
  },
  { migrate: true },
);
