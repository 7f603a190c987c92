import { STOPPED_DETAIL } from '../ops/step-runners.js';
import type { Playbook, PlaybookStep } from '../runbook/playbooks.js';
import type { Database } from '../store/db.js';
import { playbookMessage } from '../store/incident-playbook.repo.js';
import { lookForRunMessageLater, redrawChecklistLater, runMessageDrawn } from '../store/run-message.repo.js';
import { approvalRunEnded } from '../store/step-approval.repo.js';
import { claimLostRuns, type EndedRun, keepFoundRunThread, type LostRun } from '../store/step-run.repo.js';
import type { Checklists } from './checklist.service.js';
import { ChatPlatformError, DomainError } from './errors.js';
import { type PlaybookHost, placeOf, recordStepEvent } from './playbook-host.js';
import type { IncidentMetrics, Logger, PlaybookChat, RunView } from './ports.js';
import type { StepRuns } from './step-runs.js';
import type { Sweep } from './timer-loop.js';

/** Runs recorded lost by one round at most. */
const SWEEP_BATCH = 20;

/** What a lost run's message says happened, and what to do. */
export const LOST_DETAIL =
  'The bot stopped while it ran (killed, or cut off from its database), so how it ended is not known: the command may have gone on without it. Check what it did before running it again.';

/**
 * What the message of a run recorded lost and acted on since says, once its process came back with its real end: how
 * the command ended, and that the run stays recorded lost.
 */
export function lateDetail(final: Pick<RunView, 'state' | 'exitCode' | 'detail'>): string {
  const how = `${final.state.replace('_', ' ')}${final.exitCode !== null ? ` (exit ${final.exitCode})` : ''}`;
  return `The bot was cut off from its database while this ran, and it was recorded lost. It came back: the command ended ${how}${final.detail ? ` — ${final.detail.slice(0, 1000)}` : ''}, and the output below is what it printed to its end, reported after it was recorded lost. The step was acted on since (run again, ticked or asked for), so this run stays recorded lost.`;
}

/**
 * The timer loop's sweep of runs whose process is gone: a bot killed outright (kill -9) while a step's command ran
 * recorded nothing, and its run said "running" for ever, in its message, its checklist line and its approval request,
 * and the step could not be run again. Each running run holds a lease its process renews (StepExecutor); once it runs
 * out, this records the run `lost` (one process takes it; a live run is never taken), on the timeline too, frees the
 * step, and shows it: the run's message says what happened and what to do, the checklist is redrawn (Slack refusing it,
 * it is due to be drawn by RunMessageRedraws), and its approval request is made due to be drawn again (ApprovalRedraws
 * draws it in the channel and the direct messages).
 */
export class LostRuns implements Sweep {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<PlaybookChat, 'updateRun' | 'findRunPost'>,
    private readonly checklists: Pick<Checklists, 'redraw' | 'settleRun'>,
    private readonly runs: Pick<StepRuns, 'host' | 'step'>,
    private readonly metrics: Pick<IncidentMetrics, 'stepRan'>,
    private readonly log: Logger = console,
  ) {}

  async sweep(): Promise<void> {
    // Recorded lost, on the timeline, and its message and request due to be drawn: all or nothing, so a process dying
    // here leaves the run to the next round, or its message to RunMessageRedraws and its request to ApprovalRedraws.
    const lost = await this.db.transaction(async (tx) => {
      const runs = await claimLostRuns(tx, SWEEP_BATCH);
      for (const r of runs) {
        await recordStepEvent(tx, r.host, 'step_run', r.requestedBy, {
          playbook: r.playbookId,
          step: r.stepKey,
          target: r.target,
          state: 'lost',
          exitCode: null,
          durationMs: r.durationMs,
          digest: null,
        });
        if (r.approvalId !== null) await approvalRunEnded(tx, r.approvalId);
      }
      return runs;
    });
    for (const r of lost) {
      this.metrics.stepRan(r.playbookId, 'lost');
      await this.show(r).catch((e) => this.log.warn(`could not show step run ${r.id} as lost`, e));
    }
  }

  /** The run's message and its playbook's checklist, drawn as the run is now. */
  private async show(lost: LostRun): Promise<void> {
    // An incident or run no longer there has nothing to show.
    const host = await this.runs.host(lost.host).catch((e) => (e instanceof DomainError ? null : Promise.reject(e)));
    if (!host) return;
    const r = lost.threadTs ? lost : ((await this.findMessage(host, lost)) ?? lost);
    const found = stepOfRun(this.runs, r);
    if (r.threadTs) {
      // Drawn: its mark cleared. Refused: left marked, for RunMessageRedraws to draw again.
      const drawn = await this.chat
        .updateRun(placeOf(host), r.threadTs, endedView({ ...r, state: 'lost' }, found))
        .then(
          () => true,
          (e) => {
            this.log.warn(`could not show step run ${r.id} as lost; its message will be drawn again`, e);
            return false;
          },
        );
      if (drawn && r.mark !== null) await runMessageDrawn(this.db, r.id, r.mark);
    }
    if (host.kind === 'run' && found && r.playbookId === host.run.playbookId) {
      await this.checklists.settleRun(host, found.playbook);
    }
    // Refused (or unread): due for RunMessageRedraws to draw, with its waits, rather than left saying "running".
    await this.checklists.redraw(host, r.playbookId, { focus: r.stepKey }).catch(async (e) => {
      this.log.warn(`could not show step run ${r.id} as lost in its checklist; it will be drawn again`, e);
      await redrawChecklistLater(this.db, r.id);
    });
  }

  /**
   * The message of a run with none on the record (findLostRunMessage). Slack's history unreadable (a missing scope,
   * rate limited), it is looked for again by RunMessageRedraws, a few times, rather than never.
   */
  private async findMessage(host: PlaybookHost, r: LostRun): Promise<LostRun | null> {
    try {
      return await findLostRunMessage(this.db, this.chat, host, r);
    } catch (e) {
      if (!(e instanceof ChatPlatformError)) throw e;
      this.log.warn(`could not look for step run ${r.id}'s message (${e.slackError}); it is looked for again later`);
      await lookForRunMessageLater(this.db, r.id);
      return null;
    }
  }
}

/**
 * The message of an ended run with none on the record: its process may have died after Slack took the post, before it
 * recorded where (setRunThread, or its lease's next renewal). Looked for in the playbook's thread by the run's marker,
 * and recorded when found (marked due to be drawn as the run ended): the run then, rather than its message left saying
 * "Running" for good; null when not there (or recorded meanwhile). Slack's history unreadable is thrown
 * (ChatPlatformError).
 */
export async function findLostRunMessage(
  db: Database,
  chat: Pick<PlaybookChat, 'findRunPost'>,
  host: PlaybookHost,
  r: EndedRun,
): Promise<EndedRun | null> {
  const thread = host.kind === 'run' ? host.run.messageTs : await playbookMessage(db, host.incident.id, r.playbookId);
  const ts = await chat.findRunPost(placeOf(host), thread, r.id, r.startedAt);
  return ts ? keepFoundRunThread(db, r.id, ts) : null;
}

/** A run's playbook and step in the runbook now; null when gone from it. */
export function stepOfRun(
  runs: Pick<StepRuns, 'step'>,
  r: Pick<EndedRun, 'playbookId' | 'stepKey'>,
): { playbook: Playbook; step: PlaybookStep } | null {
  try {
    return runs.step(r.playbookId, r.stepKey);
  } catch (e) {
    if (e instanceof DomainError) return null;
    throw e;
  }
}

/** The states a run's message is drawn in once it ended (a refused attempt has no message). */
export type EndedState = Exclude<RunView['state'], 'running'>;

/** A run's state as its message draws it once it ended; null while it runs, or for a refused attempt. */
export function endedStateOf(state: EndedRun['state']): EndedState | null {
  return state === 'running' || state === 'refused' ? null : state;
}

/**
 * A run's message once it ended, drawn again from the record: how it ended (for a run recorded lost, the last output its
 * process kept and what its message showed with it, at its last renewal; for one kept lost whose process came back,
 * the output its late end brought and how long it ran to its end) with what the message showed besides (EndedRun.shown: the detail, the lines found,
 * the output's size), or for a run lost or stopped with the bot without those, what happened and what to do. Pure.
 */
export function endedView(
  r: EndedRun & { state: EndedState },
  found: { playbook: Playbook; step: PlaybookStep } | null,
): RunView {
  const step = found?.step;
  const shown = r.shown ?? {};
  const detail = shown.detail ?? (r.state === 'lost' ? LOST_DETAIL : r.state === 'stopped' ? STOPPED_DETAIL : null);
  const lookFor = shown.lookFor ?? (step?.type === 'command' ? step.lookFor : undefined);
  const tail = shown.tail ?? r.tail;
  return {
    runId: r.id,
    playbookTitle: found?.playbook.title ?? r.playbookId,
    stepText: step?.text ?? r.stepKey,
    target: r.target,
    kind: r.kind,
    requestedBy: r.requestedBy,
    state: r.state,
    tail,
    exitCode: r.exitCode,
    durationMs: shown.durationMs ?? r.durationMs,
    bytes: shown.bytes ?? Buffer.byteLength(tail),
    truncated: shown.truncated ?? false,
    ...(shown.fileBytes !== undefined ? { fileBytes: shown.fileBytes } : {}),
    ...(detail ? { detail } : {}),
    ...(r.state === 'failed' && shown.signal ? { signal: shown.signal } : {}),
    ...(r.approvedBy ? { approvedBy: r.approvedBy } : {}),
    ...(step?.type === 'command' && step.cwd ? { cwd: step.cwd } : {}),
    ...(step && step.type !== 'text' && step.expect ? { expected: step.expect } : {}),
    ...(shown.notDone?.length ? { notDone: shown.notDone } : {}),
    ...(lookFor ? { lookFor } : {}),
    ...(shown.found ? { found: shown.found } : {}),
    // Recorded lost without its process's end: what it found up to the lease's last renewal, said to be so far.
    ...(shown.found && r.state === 'lost' && r.shownSoFar ? { foundSoFar: true } : {}),
  };
}
