import { beforeEach, expect, it } from 'vitest';
import { Checklists } from '../../src/incidents/checklist.service.js';
import { ChatPlatformError } from '../../src/incidents/errors.js';
import type { HostRef, PlaybookHost } from '../../src/incidents/playbook-host.js';
import type { ChatPlace, ChecklistView, PlaybookChat } from '../../src/incidents/ports.js';
import { REDRAW_MAX_ATTEMPTS } from '../../src/incidents/redraw-retries.js';
import { RunMessageRedraws } from '../../src/incidents/run-message-redraws.js';
import { getPlaybookRun, insertPlaybookRun } from '../../src/store/playbook-run.repo.js';
import { lookForRunMessageLater } from '../../src/store/run-message.repo.js';
import { claimLostRuns, insertRunningStep } from '../../src/store/step-run.repo.js';
import { renderChecklist } from '../../src/templates/checklist.js';
import { backupCheckRunbook, keptLog } from '../support/checklist-post-slack.js';
import { emptyTables, forEachDatabase } from './databases.js';

/**
 * A lost run's message whose look-up kept failing (Slack's history unreadable) is given up by RunMessageRedraws, and
 * its playbook's checklist redrawn at once so its step's line says why: here for a playbook run (`/incident run`), its
 * checklist the root of its thread. Slack refusing that redraw leaves the run due, for the sweep to draw it again.
 */

const CHANNEL = 'C0BACKUPS';
const CHECKLIST_TS = '1700000000.900000';
const WHY =
  /its run's message could not be found in the thread, so its output is not shown \(Slack's last answer: `ratelimited`\)/;

const { runbook, playbook } = backupCheckRunbook(CHANNEL, [
  'List recent backups',
  { text: 'Check the app status', run: ['atom-cli', 'status'] },
]);
const KEY = 'detection.1';

forEachDatabase(
  (ctx) => {
    beforeEach(async () => {
      await ctx.truncate();
      await emptyTables(ctx.db, ['playbook_runs'], { restartIdentity: true });
    });

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
    const { log, said } = keptLog();
    beforeEach(() => {
      said.length = 0;
    });
    /** What was logged as warnings. */
    const warned = () => said.filter((l) => l.level === 'warn').map((l) => l.text);

    /**
     * A playbook run with its checklist posted, and a run of its status step recorded lost with no message on the
     * record, its look-up failed once (LostRuns) and every attempt but the last spent.
     */
    let keys = 0;
    const lostRun = async () => {
      const run = (await insertPlaybookRun(
        ctx.db,
        { teamId: 'T1', playbookId: playbook.id, channelId: CHANNEL, startedBy: 'U1', requestKey: `r${++keys}` },
        30_000,
      ))!;
      await ctx.db.query('UPDATE playbook_runs SET message_ts = $2 WHERE id = $1', [run.id, CHECKLIST_TS]);
      const ref: HostRef = { kind: 'run', id: run.id };
      const step = (await insertRunningStep(
        ctx.db,
        {
          host: ref,
          playbookId: playbook.id,
          stepKey: KEY,
          kind: 'command',
          target: ['atom-cli', 'status'],
          requestedBy: 'U1',
          approvedBy: null,
        },
        30_000,
      ))!;
      await ctx.db.query("UPDATE step_runs SET lease_until = now() - interval '1 second' WHERE id = $1", [step.id]);
      await claimLostRuns(ctx.db, 10);
      await lookForRunMessageLater(ctx.db, step.id);
      await ctx.db.query('UPDATE step_runs SET show_due_at = now(), show_attempts = $2 WHERE id = $1', [
        step.id,
        REDRAW_MAX_ATTEMPTS - 1,
      ]);
      return { runId: run.id, id: step.id };
    };
    const runs = {
      host: async (ref: HostRef): Promise<PlaybookHost> => ({
        kind: 'run',
        run: (await getPlaybookRun(ctx.db, ref.id))!,
      }),
      step: (_p: string, key: string) => ({ playbook, step: playbook.detection[Number(key.split('.')[1])]! }),
    };
    const sweeper = (s: ReturnType<typeof slack>) =>
      new RunMessageRedraws(ctx.db, s.chat, new Checklists(ctx.db, s.chat, runbook, log), runs, log);
    const row = async (id: number) =>
      (
        await ctx.db.query<{ show_due_at: Date | null; why: string | null }>(
          'SELECT show_due_at, message_given_up_why AS why FROM step_runs WHERE id = $1',
          [id],
        )
      ).rows[0]!;
    const dueNow = (id: number) =>
      ctx.db.query('UPDATE step_runs SET show_due_at = now() WHERE id = $1 AND show_due_at IS NOT NULL RETURNING id', [
        id,
      ]);
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
