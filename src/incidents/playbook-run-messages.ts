import type { Playbook } from '../runbook/playbooks.js';
import type { Database } from '../store/db.js';
import {
  claimUnpostedRuns,
  givePlaybookRunPostUp,
  renewPlaybookRunPost,
  retryPlaybookRunPostAt,
  setPlaybookRunMessage,
} from '../store/playbook-run.repo.js';
import type { Checklists } from './checklist.service.js';
import type { PlaybookRun } from './playbook-host.js';
import type { Logger, PlaybookChat } from './ports.js';
import type { Sweep } from './timer-loop.js';

/**
 * How long a run whose checklist is being posted is held without a renewal (renewed every third of it while Slack takes
 * the post): a process that dies posting it leaves it to the sweep after that.
 */
export const RUN_POST_LEASE_MS = 30_000;
/** Runs claimed per round at most. */
const SWEEP_BATCH = 10;
/** The sweep's attempts at a run's checklist (found or posted) at most: then given up, logged. */
export const RUN_POST_MAX_ATTEMPTS = 8;
/** The wait before the next attempt: a lease, doubled each time, at most 10 minutes. */
const againAfterMs = (leaseMs: number, attempts: number) => Math.min(leaseMs * 2 ** Math.max(0, attempts - 1), 600_000);

type Chat = Pick<PlaybookChat, 'postPlaybook' | 'findPlaybookPost' | 'deletePlaybook' | 'postNote'>;

/**
 * `post` (Slack taking a run's checklist), the run held all the while: its hold renewed every third of `leaseMs`, so
 * that the sweep takes it only from a process that died (or froze) posting it. The hold is a row in Postgres; the
 * interval only renews it.
 */
export async function holdingRunPost<T>(db: Database, runId: number, leaseMs: number, post: () => Promise<T>) {
  const holding = setInterval(
    () => void renewPlaybookRunPost(db, runId, leaseMs).catch(() => {}),
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  try {
    return await post();
  } finally {
    clearInterval(holding);
  }
}

/**
 * Records `ts` as the run's checklist message: the run's message then (null: the run is gone). Another post recorded
 * first (a process that took over a post it thought dead) keeps its place: this one, one too many, is deleted.
 */
export async function keepRunPost(
  db: Database,
  chat: Pick<PlaybookChat, 'deletePlaybook'>,
  log: Logger,
  run: Pick<PlaybookRun, 'id' | 'channelId'>,
  ts: string,
): Promise<string | null> {
  const kept = await setPlaybookRunMessage(db, run.id, ts);
  if (kept !== ts) {
    await chat
      .deletePlaybook({ channelId: run.channelId }, ts)
      .catch((e) => log.warn(`could not delete playbook run ${run.id}'s checklist posted twice (${ts})`, e));
  }
  return kept;
}

/**
 * The timer loop's sweep of playbook runs with no checklist message on the record whose process no longer holds them:
 * it died (kill -9) after Slack took the post and before it recorded where, or Slack's answer was lost (a timeout), or
 * Slack never took it. Each is looked for in its channel by its marker (the run's id in the message's metadata): found,
 * it is recorded and drawn as the run stands (ticks, step runs since); not there, the checklist is posted then (once:
 * a post whose answer is lost again is found by the next attempt) and its thread opened. Slack failing (its history
 * unreadable, the post refused) is tried again with doubling waits, RUN_POST_MAX_ATTEMPTS times at most, then given up
 * (an error logged, the run's record marked so).
 */
export class PlaybookRunMessages implements Sweep {
  constructor(
    private readonly db: Database,
    private readonly chat: Chat,
    private readonly checklists: Pick<Checklists, 'view' | 'refresh'>,
    private readonly playbooks: readonly Playbook[],
    private readonly log: Logger = console,
    private readonly leaseMs = RUN_POST_LEASE_MS,
  ) {}

  async sweep(): Promise<void> {
    const due = await claimUnpostedRuns(this.db, SWEEP_BATCH, this.leaseMs);
    for (const run of due) {
      await this.show(run).catch((e) => this.failed(run, e));
    }
  }

  private async show(run: PlaybookRun): Promise<void> {
    const playbook = this.playbooks.find((p) => p.id === run.playbookId);
    if (!playbook) throw new Error(`its playbook ${run.playbookId} is no longer in the runbook`);
    const place = { channelId: run.channelId };
    const found = await this.chat.findPlaybookPost(place, run.id, run.startedAt);
    let ts = found;
    if (!ts) {
      const { view } = await this.checklists.view({ kind: 'run', run }, playbook);
      ts = await holdingRunPost(this.db, run.id, this.leaseMs, () => this.chat.postPlaybook(place, view));
    }
    const kept = await keepRunPost(this.db, this.chat, this.log, run, ts);
    if (kept === null) return;
    const now: PlaybookRun = { ...run, messageTs: kept };
    if (found && kept === found) {
      this.log.info(
        `playbook run ${run.id}'s checklist, posted by a process that stopped before recording it, was found and recorded`,
      );
      // Drawn as the run stands: ticked or run from its buttons meanwhile, it was not redrawn (no message on record).
      await this.checklists.refresh({ kind: 'run', run: now }, run.playbookId);
    } else if (kept === ts) {
      this.log.info(`playbook run ${run.id}'s checklist was not in its channel (Slack never took it): posted now`);
    }
    if (kept !== ts) return;
    await this.chat
      .postNote({ channelId: run.channelId, threadTs: kept }, kept, {
        kind: 'run_started',
        runId: run.id,
        playbookTitle: playbook.title,
        startedBy: run.startedBy,
      })
      .catch((e) => this.log.warn(`could not open playbook run ${run.id}'s thread`, e));
  }

  private async failed(run: PlaybookRun & { attempts: number }, err: unknown): Promise<void> {
    const why = err instanceof Error ? err.message : String(err);
    if (run.attempts >= RUN_POST_MAX_ATTEMPTS) {
      this.log.error(
        `playbook run ${run.id} (${run.playbookId} in ${run.channelId}): gave up finding or posting its checklist after ${run.attempts} attempts (${why}); it has no message: start the playbook again`,
      );
      await givePlaybookRunPostUp(this.db, run.id).catch(() => undefined);
      return;
    }
    this.log.warn(`could not find or post playbook run ${run.id}'s checklist; tried again later`, err);
    await retryPlaybookRunPostAt(
      this.db,
      run.id,
      new Date(Date.now() + againAfterMs(this.leaseMs, run.attempts)),
    ).catch((e) => this.log.warn(`could not reschedule playbook run ${run.id}'s checklist; its hold will run out`, e));
  }
}
