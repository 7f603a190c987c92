/**
 * What the tests of a lost run's checklist redraw (test/store/lost-run-checklist-due.test.ts,
 * run-message-given-up-checklist.test.ts) share: a playbook run of the weekly backup check with its checklist posted, a
 * run of its status step whose process is gone, the log kept, and the services that draw its checklist again.
 */
import { beforeEach } from 'vitest';
import { Checklists } from '../../src/incidents/checklist.service.js';
import type { HostRef, PlaybookHost } from '../../src/incidents/playbook-host.js';
import type { PlaybookChat } from '../../src/incidents/ports.js';
import { RunMessageRedraws } from '../../src/incidents/run-message-redraws.js';
import type { Database } from '../../src/store/db.js';
import { getPlaybookRun, insertPlaybookRun } from '../../src/store/playbook-run.repo.js';
import { insertRunningStep } from '../../src/store/step-run.repo.js';
import { emptyTables } from '../store/databases.js';
import { backupCheckRunbook, keptLog } from './checklist-post-slack.js';

export const CHANNEL = 'C0BACKUPS';
/** Where the playbook run's checklist was posted. */
export const CHECKLIST_TS = '1700000000.900000';
/** The status step, the one run. */
export const KEY = 'detection.1';

export const { runbook, playbook } = backupCheckRunbook(CHANNEL, [
  'List recent backups',
  { text: 'Check the app status', run: ['atom-cli', 'status'] },
]);

/**
 * Registers the beforeEach hooks that empty `ctx`'s database (its playbook runs too) and the log; what the tests build
 * their runs and sweeps with.
 */
export function useLostRunScene(ctx: { readonly db: Database; truncate(): Promise<void> }) {
  beforeEach(async () => {
    await ctx.truncate();
    await emptyTables(ctx.db, ['playbook_runs'], { restartIdentity: true });
  });
  const { log, said } = keptLog();
  beforeEach(() => {
    said.length = 0;
  });
  let keys = 0;
  const runs = {
    host: async (ref: HostRef): Promise<PlaybookHost> => ({
      kind: 'run',
      run: (await getPlaybookRun(ctx.db, ref.id))!,
    }),
    step: (_p: string, key: string) => ({ playbook, step: playbook.detection[Number(key.split('.')[1])]! }),
  };
  const checklists = (chat: PlaybookChat) => new Checklists(ctx.db, chat, runbook, log);
  return {
    log,
    runs,
    checklists,
    /** The redraw sweep over `chat`. */
    redraws: (chat: PlaybookChat) => new RunMessageRedraws(ctx.db, chat, checklists(chat), runs, log),
    /** What was logged as warnings. */
    warned: () => said.filter((l) => l.level === 'warn').map((l) => l.text),
    /** A playbook run with its checklist posted, and a run of its status step, its lease run out (its process gone). */
    async expiredStep(): Promise<{ runId: number; id: number }> {
      const run = (await insertPlaybookRun(
        ctx.db,
        { teamId: 'T1', playbookId: playbook.id, channelId: CHANNEL, startedBy: 'U1', requestKey: `r${++keys}` },
        30_000,
      ))!;
      await ctx.db.query('UPDATE playbook_runs SET message_ts = $2 WHERE id = $1', [run.id, CHECKLIST_TS]);
      const step = (await insertRunningStep(
        ctx.db,
        {
          host: { kind: 'run', id: run.id },
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
      return { runId: run.id, id: step.id };
    },
    /** Makes the run `id`'s redraw due now, if it is due at all (the rows say). */
    dueNow: (id: number) =>
      ctx.db.query('UPDATE step_runs SET show_due_at = now() WHERE id = $1 AND show_due_at IS NOT NULL RETURNING id', [
        id,
      ]),
  };
}
