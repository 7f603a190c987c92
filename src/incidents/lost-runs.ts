import { STOPPED_DETAIL } from '../ops/step-runners.js';
import type { Playbook, PlaybookStep } from '../runbook/playbooks.js';
import type { Database } from '../store/db.js';
import { runMessageDrawn } from '../store/run-message.repo.js';
import { approvalRunEnded } from '../store/step-approval.repo.js';
import { claimLostRuns, type EndedRun, type LostRun } from '../store/step-run.repo.js';
import type { Checklists } from './checklist.service.js';
import { DomainError } from './errors.js';
import { placeOf, recordStepEvent } from './playbook-host.js';
import type { IncidentMetrics, Logger, PlaybookChat, RunView } from './ports.js';
import type { StepRuns } from './step-runs.js';
import type { Sweep } from './timer-loop.js';

/** Runs recorded lost by one round at most. */
const SWEEP_BATCH = 20;

/** What a lost run's message says happened, and what to do. */
export const LOST_DETAIL =
  'The bot stopped while it ran (killed, or cut off from its database), so how it ended is not known: the command may have gone on without it. Check what it did before running it again.';

/**
 * The timer loop's sweep of runs whose process is gone: a bot killed outright (kill -9) while a step's command ran
 * recorded nothing, and its run said "running" for ever, in its message, its checklist line and its approval request,
 * and the step could not be run again. Each running run holds a lease its process renews (StepExecutor); once it runs
 * out, this records the run `lost` (one process takes it; a live run is never taken), on the timeline too, frees the
 * step, and shows it: the run's message says what happened and what to do, the checklist is redrawn, and its approval
 * request is made due to be drawn again (ApprovalRedraws draws it in the channel and the direct messages).
 */
export class LostRuns implements Sweep {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<PlaybookChat, 'updateRun'>,
    private readonly checklists: Pick<Checklists, 'refresh' | 'settleRun'>,
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
  private async show(r: LostRun): Promise<void> {
    // An incident or run no longer there has nothing to show.
    const host = await this.runs.host(r.host).catch((e) => (e instanceof DomainError ? null : Promise.reject(e)));
    if (!host) return;
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
    await this.checklists.refresh(host, r.playbookId, { focus: r.stepKey });
  }
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

/**
 * A run's message once it was recorded lost (the last output its process kept, at its last renewal) or stopped with the
 * bot (its output as recorded), with what happened and what to do. Pure.
 */
export function endedView(
  r: EndedRun & { state: 'lost' | 'stopped' },
  found: { playbook: Playbook; step: PlaybookStep } | null,
): RunView {
  const step = found?.step;
  return {
    runId: r.id,
    playbookTitle: found?.playbook.title ?? r.playbookId,
    stepText: step?.text ?? r.stepKey,
    target: r.target,
    kind: r.kind,
    requestedBy: r.requestedBy,
    state: r.state,
    tail: r.tail,
    exitCode: r.exitCode,
    durationMs: r.durationMs,
    bytes: Buffer.byteLength(r.tail),
    truncated: false,
    detail: r.state === 'lost' ? LOST_DETAIL : STOPPED_DETAIL,
    ...(r.approvedBy ? { approvedBy: r.approvedBy } : {}),
    ...(step?.type === 'command' && step.cwd ? { cwd: step.cwd } : {}),
    ...(step && step.type !== 'text' && step.expect ? { expected: step.expect } : {}),
  };
}
