import { beforeEach, describe, expect, it } from 'vitest';
import { Checklists } from '../../src/incidents/checklist.service.js';
import { CHECKLIST_POST_MAX_ATTEMPTS, type ChecklistMessages } from '../../src/incidents/checklist-messages.js';
import { ChatPlatformError, DomainError } from '../../src/incidents/errors.js';
import { PlaybookRuns } from '../../src/incidents/playbook-run.service.js';
import type { Logger } from '../../src/incidents/ports.js';
import type { Database } from '../../src/store/db.js';
import { getPlaybookRun } from '../../src/store/playbook-run.repo.js';
import {
  backupCheckRunbook,
  type ChecklistSlack,
  checklistSweeper,
  givingUpTests,
  keptLog,
  checklistSlack as slack,
  stateOf,
  sweepUntilRecorded as untilRecorded,
} from '../support/checklist-post-slack.js';
import { flaky } from '../support/flaky-db.js';
import { untilPasses } from '../support/incident-flow.js';
import { emptyTables, forEachDatabase } from './databases.js';

/**
 * A playbook run's checklist message, between Slack taking the post and the run recording where it went: a process
 * dying there (kill -9), the recording failing, or Slack's answer lost, left the run without a message for good (its
 * checklist never redrawn, its step runs posted at the channel's top level). The run is held while it is posted; once
 * its hold runs out the sweep (ChecklistMessages) finds the post by its marker and records it, or posts it once.
 */

const CHANNEL = 'C0BACKUPS';
const USER = 'U0RESPONDER';
/** How long a run is held while its checklist is posted (renewed every third of it): short, really waited for. */
const LEASE_MS = 1_500;

const { runbook, playbook } = backupCheckRunbook(CHANNEL, [
  'List recent backups',
  'Test point-in-time recovery',
  'Write it down',
]);

forEachDatabase((ctx) => {
  beforeEach(() => emptyTables(ctx.db, ['playbook_runs'], { restartIdentity: true }));

  const quiet = keptLog().log;
  let keys = 0;
  const start = (db: Database, s: ChecklistSlack) =>
    new PlaybookRuns(db, s.chat, new Checklists(db, s.chat, runbook, quiet), runbook.playbooks, quiet, LEASE_MS).start({
      teamId: 'T1',
      playbook,
      typedIn: 'C0TYPED',
      userId: USER,
      requestKey: `trigger-${++keys}`,
    });
  const sweeper = (s: ChecklistSlack, l: Logger = quiet, leaseMs = LEASE_MS) =>
    checklistSweeper(ctx.db, 'run', s, runbook, l, leaseMs);
  const row = async () =>
    (
      await ctx.db.query<{ id: number; message_ts: string | null; message_given_up_at: Date | null }>(
        'SELECT id, message_ts, message_given_up_at FROM playbook_runs ORDER BY id',
      )
    ).rows[0];
  /** Sweeps (really waiting for the hold to run out) until the run's message is recorded. */
  const sweepUntilRecorded = (sweep: ChecklistMessages) => untilRecorded(sweep, row, LEASE_MS * 4 + 5_000);
  const tick = async (s: ChecklistSlack, key: string) => {
    const run = await getPlaybookRun(ctx.db, (await row())!.id);
    await new Checklists(ctx.db, s.chat, runbook, quiet).done({ kind: 'run', run: run! }, playbook.id, key, USER);
  };

  describe('a process that dies after Slack took the checklist, before it recorded where', () => {
    it('its run is held while it could still record it; then the sweep finds the post by its marker, records it and draws it as the run stands: one message, kept up to date', async () => {
      const s = slack();
      const f = flaky(ctx.db);
      s.next('hang');
      // Dead: its hold is renewed no more.
      f.fail(/SET message_lease_until = now\(\) \+/);
      const dying = start(f.db, s).catch((e: unknown) => e);
      await untilPasses(async () => expect(s.posts).toHaveLength(1), 5_000);
      const [post] = s.posts;
      expect(post!.view.runId).toBe((await row())!.id);
      expect(await row()).toMatchObject({ message_ts: null });
      // Its buttons are up: a step ticked meanwhile is recorded, and shown nowhere (no message on the record).
      await tick(s, 'detection.0');
      expect(s.updates).toEqual([]);

      const sweep = sweeper(s);
      // Within its hold: left to its process.
      await sweep.sweep();
      expect(s.looks).toEqual([]);
      expect((await row())?.message_ts).toBeNull();

      await sweepUntilRecorded(sweep);
      expect((await row())?.message_ts).toBe(post!.ts);
      expect(s.posts).toHaveLength(1);
      // Drawn as the run stands: the step ticked meanwhile shows done.
      expect(s.updates.map((u) => u.ts)).toEqual([post!.ts]);
      expect(stateOf(s.updates[0]?.view, 'detection.0')).toBe('done');
      // Its thread opened, once.
      expect(s.notes).toEqual([{ threadTs: post!.ts, note: expect.objectContaining({ kind: 'run_started' }) }]);

      // Kept up to date afterwards.
      await tick(s, 'detection.1');
      expect(s.updates.map((u) => u.ts)).toEqual([post!.ts, post!.ts]);
      expect(stateOf(s.updates[1]?.view, 'detection.1')).toBe('done');

      // The dead process's post never answers; the sweep has nothing more to do.
      s.answer();
      await dying;
      await sweep.sweep();
      expect(s.posts).toHaveLength(1);
      expect(s.deleted).toEqual([]);
      expect((await row())?.message_ts).toBe(post!.ts);
    });

    it('a live process posting slowly (past several holds) keeps its run: the sweep never takes it', async () => {
      const s = slack();
      s.next('hang');
      const slow = start(ctx.db, s).catch((e: unknown) => e);
      await untilPasses(async () => expect(s.posts).toHaveLength(1), 5_000);
      const sweep = sweeper(s);
      const until = Date.now() + LEASE_MS * 3;
      while (Date.now() < until) {
        await sweep.sweep();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(s.looks).toEqual([]);
      expect(s.posts).toHaveLength(1);
      s.answer();
      await slow;
    });
  });

  it('the recording failing after Slack took it: the person is told so, and the sweep records the post found', async () => {
    const s = slack();
    const f = flaky(ctx.db);
    f.fail(/SET message_ts = \$2/, 1);
    const failed = await start(f.db, s).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DomainError);
    expect(String((failed as Error).message)).toMatch(
      /is posted in <#C0BACKUPS>, but where it went could not be recorded/,
    );
    expect(s.posts).toHaveLength(1);
    expect((await row())?.message_ts).toBeNull();
    await sweepUntilRecorded(sweeper(s));
    expect((await row())?.message_ts).toBe(s.posts[0]!.ts);
    expect(s.posts).toHaveLength(1);
    expect(s.notes.map((n) => n.threadTs)).toEqual([s.posts[0]!.ts]);
  });

  describe('the post answered with a timeout', () => {
    it.each([
      ['Slack took it: found and recorded', 'lost' as const],
      ['Slack never took it: posted then, once', 'untaken' as const],
    ])('%s', async (_name, mode) => {
      const s = slack();
      s.next(mode);
      const failed = await start(ctx.db, s).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(DomainError);
      expect(String((failed as Error).message)).toMatch(
        /Slack may have posted it all the same: run #\d+ is kept, and its checklist will be found in <#C0BACKUPS>, or posted there/,
      );
      // Kept, and left to the sweep at once.
      expect(await row()).toMatchObject({ message_ts: null });
      const sweep = sweeper(s);
      await sweepUntilRecorded(sweep);
      expect(s.posts).toHaveLength(1);
      expect((await row())?.message_ts).toBe(s.posts[0]!.ts);
      expect(s.notes.map((n) => n.threadTs)).toEqual([s.posts[0]!.ts]);
      // Recorded: swept no more.
      await new Promise((r) => setTimeout(r, LEASE_MS));
      await sweep.sweep();
      expect(s.posts).toHaveLength(1);
      expect(s.looks).toHaveLength(1);
      await tick(s, 'detection.2');
      expect(s.updates.at(-1)?.ts).toBe(s.posts[0]!.ts);
    });
  });

  it('Slack refusing the post outright: nothing was started, no run kept', async () => {
    const s = slack();
    s.chat.postPlaybook = async () => {
      throw new ChatPlatformError('not_in_channel', 'The bot is not in that channel.');
    };
    const failed = await start(ctx.db, s).catch((e: unknown) => e);
    expect(String((failed as Error).message)).toMatch(/Nothing was started: no run was recorded/);
    expect(await row()).toBeUndefined();
  });

  givingUpTests({
    names: {
      unreadable:
        "its channel's history unreadable: nothing is posted blind; tried again with growing waits, then given up, said in the log and on the run's record",
      refused:
        "its checklist refused outright by the sweep till it gives up (the first answer lost, the bot removed from the channel since): the person who started the run is told once, on giving up, with Slack's answer and what to do",
    },
    sweeper,
    row,
    unposted: (s) => start(ctx.db, s),
    refused: async (s) => {
      s.next('untaken');
      await start(ctx.db, s).catch(() => null);
      s.state.refusing = true;
    },
    givenUpLog: /gave up finding or posting its checklist after 8 attempts .*start the playbook again/,
    told: async () => ({
      userId: USER,
      given: {
        kind: 'run',
        runId: (await row())!.id,
        playbookId: 'weekly-backup-check',
        playbookTitle: 'Weekly backup check',
        channelId: CHANNEL,
        error: 'not_in_channel',
        attempts: CHECKLIST_POST_MAX_ATTEMPTS,
      },
    }),
  });
});
