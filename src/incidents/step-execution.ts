import { type RunnerOptions, runnerFor, type StepOutcome } from '../ops/step-runners.js';
import { lookForWords } from '../runbook/look-for.js';
import type { Playbook, RunnableStep } from '../runbook/playbooks.js';
import type { Database } from '../store/db.js';
import { playbookMessage } from '../store/incident-playbook.repo.js';
import { runMessageDrawn } from '../store/run-message.repo.js';
import {
  findRunningStep,
  finishStepRun,
  insertRunningStep,
  keepLostRun,
  type RunShown,
  renewStepRun,
  setRunFoundSoFar,
  setRunThread,
} from '../store/step-run.repo.js';
import { notDoneBefore, notDoneRecord } from './checklist.js';
import type { Checklists } from './checklist.service.js';
import { AlreadyDoneError } from './errors.js';
import { foundSoFar } from './found-so-far.js';
import { endedView, lateDetail } from './lost-runs.js';
import { hostRef, type PlaybookHost, placeOf, recordStepEvent } from './playbook-host.js';
import type { IncidentMetrics, Logger, NotDoneStep, PlaybookChat, RunView } from './ports.js';
import type { RunResult, StepRun } from './step-runs.js';

/**
 * How long a running run is held by its process without a renewal (renewed every third of it while it runs): a process
 * killed outright (kill -9) leaves its runs to another process's sweep (LostRuns) within this much.
 */
export const STEP_RUN_LEASE_MS = 30_000;

/**
 * Runs one checked, allowed step of a host's playbook: recorded as running (one at a time per step), its output shown
 * as it comes in a message under the playbook, then how it ended, on the record and the timeline; the playbook's
 * checklist follows it.
 */
export class StepExecutor {
  constructor(
    private readonly db: Database,
    private readonly chat: PlaybookChat,
    private readonly checklists: Checklists,
    private readonly opts: RunnerOptions,
    /** What a person is shown of a target (StepValues.shown). */
    private readonly shown: (step: RunnableStep, target: string[]) => string[],
    private readonly metrics: IncidentMetrics,
    private readonly log: Logger,
    private readonly leaseMs = STEP_RUN_LEASE_MS,
  ) {}

  /**
   * The steps of the playbook's required sections before `key` neither done nor skipped, when `key` changes production
   * (a deploy with prerequisites not ticked); none otherwise. Read from the record, as the checklist shows it.
   */
  async notDoneBefore(host: PlaybookHost, playbook: Playbook, key: string): Promise<NotDoneStep[]> {
    if (!playbook.requiredSections?.length || notDoneBefore(playbook, {}, key).length === 0) return [];
    const { view } = await this.checklists.view(host, playbook);
    return notDoneBefore(playbook, view.statuses, key);
  }

  /** The thread a host's playbook works in: the incident's playbook message, or the run's checklist. */
  private async threadOf(host: PlaybookHost, playbookId: string): Promise<string | null> {
    return host.kind === 'run' ? host.run.messageTs : playbookMessage(this.db, host.incident.id, playbookId);
  }

  /** Runs a checked, allowed step and reports it in the thread; the playbook's checklist shows it running, then how. */
  async execute({
    host,
    playbook,
    step,
    key,
    target,
    userId,
    approvedBy,
    approvalId,
    checkContext,
  }: StepRun): Promise<RunResult> {
    const ref = hostRef(host);
    const place = placeOf(host);
    const playbookId = playbook.id;
    const shown = this.shown(step, target);
    const run = await insertRunningStep(
      this.db,
      {
        host: ref,
        playbookId,
        stepKey: key,
        kind: step.type,
        target: shown,
        requestedBy: userId,
        approvedBy,
        approvalId: approvalId ?? null,
      },
      this.leaseMs,
    );
    if (!run) {
      const other = await findRunningStep(this.db, ref, playbookId, key);
      const link = other?.threadTs ? await this.chat.permalink(place, other.threadTs).catch(() => null) : null;
      throw new AlreadyDoneError([
        'That step is already running',
        ...(other ? [', started by ', { people: [other.requestedBy] }] : []),
        ': ',
        link ? { link, label: 'see its output' } : 'its output is in the thread under the playbook',
        '.',
      ]);
    }
    // Held while it runs: a lease renewed in the database, not a timer that matters (see holdRun).
    const lease = holdRun(this.db, run.id, this.leaseMs, this.log);
    try {
      return await this.carryOut(
        run.id,
        { host, playbook, step, key, target, userId, approvedBy, checkContext },
        lease,
      );
    } finally {
      lease.release();
    }
  }

  /** The run recorded as running (`runId`, held by `lease`): shown, run, and its end recorded and shown. */
  private async carryOut(
    runId: number,
    { host, playbook, step, key, target, userId, approvedBy, checkContext }: Omit<StepRun, 'approvalId'>,
    lease: RunLease,
  ): Promise<RunResult> {
    const ref = hostRef(host);
    const place = placeOf(host);
    const playbookId = playbook.id;
    const shown = this.shown(step, target);
    const threadTs = await this.threadOf(host, playbookId);
    const notDone = await this.notDoneBefore(host, playbook, key);
    const view: RunView = {
      runId,
      playbookTitle: playbook.title,
      stepText: step.text,
      target: shown,
      kind: step.type,
      requestedBy: userId,
      state: 'running',
      tail: '',
      exitCode: null,
      durationMs: 0,
      bytes: 0,
      truncated: false,
      ...(approvedBy ? { approvedBy } : {}),
      ...(step.type === 'command' && step.cwd ? { cwd: step.cwd } : {}),
      ...(step.expect ? { expected: step.expect } : {}),
      ...(notDone.length ? { notDone } : {}),
      ...(step.type === 'command' && step.lookFor ? { lookFor: step.lookFor } : {}),
    };
    // Run anyway with required steps (a deploy's prerequisites) neither done nor skipped: which, on its records.
    const notDoneKept = notDoneRecord(notDone);
    let ts: string | null = null;
    try {
      ts = await this.chat.postRun(place, threadTs, view);
    } catch (err) {
      this.log.warn('could not post the run message; running anyway', err);
    }
    if (ts) {
      // Recorded with each renewal of the lease and with the run's end too, should this fail (the database blipped):
      // the sweeps that draw the run's message again find it by its record.
      lease.posted(ts);
      await setRunThread(this.db, runId, ts).catch((err) =>
        this.log.warn(`could not record step run ${runId}'s message now; its lease's renewal will`, err),
      );
    }
    const showChecklist = this.checklists.refresh(host, playbookId, { focus: key });
    // Updates go one after another, so a slow progress update can never land after the final one. Each resolves with
    // whether Slack took it.
    let chain: Promise<unknown> = Promise.resolve();
    const update = (v: RunView): Promise<boolean> => {
      if (!ts) return Promise.resolve(false);
      const at = ts;
      const drawn = chain.then(() =>
        this.chat.updateRun(place, at, v).then(
          () => true,
          (e) => {
            this.log.warn('updateRun failed', e);
            return false;
          },
        ),
      );
      chain = drawn;
      return drawn;
    };

    // What it looks for (the runbook's `| grep "ERROR"`), as the timeline and the checklist say it.
    const words = step.type === 'command' && step.lookFor ? lookForWords(step.lookFor).slice(0, 300) : null;
    // The lines found so far are on the step's checklist line too while it runs, kept with the run (not every second;
    // a late one cannot undo the run's end: setRunFoundSoFar writes a running run only, and the checklist is re-read).
    const sofar = foundSoFar(async (f) => {
      await setRunFoundSoFar(this.db, runId, f);
      await this.checklists.refresh(host, playbookId, { focus: key });
    }, this.log);
    let outcomeOf: StepOutcome;
    try {
      outcomeOf = await runnerFor(step).run(
        target,
        step,
        // The lines it looks for found so far are said while it runs too ("34 of 200 lines have "ERROR"").
        (p) => {
          // What the message shows now besides its output, kept with the lease's renewal: what it shows once lost.
          lease.shown({
            tail: p.tail,
            durationMs: p.elapsedMs,
            shown: {
              bytes: p.bytes,
              ...(view.lookFor ? { lookFor: view.lookFor } : {}),
              ...(p.found && p.found.total > 0 ? { found: p.found } : {}),
              ...(notDone.length ? { notDone: notDoneKept } : {}),
            },
          });
          void update({
            ...view,
            tail: p.tail,
            bytes: p.bytes,
            durationMs: p.elapsedMs,
            ...(p.found ? { found: p.found } : {}),
          });
          if (words && p.found && p.found.total > 0) {
            sofar.seen({ words, matched: p.found.matched, total: p.found.total });
          }
        },
        this.opts,
        checkContext,
      );
    } finally {
      sofar.stop();
    }
    const { digest, full, ...outcome } = outcomeOf;
    const final: RunView = {
      ...view,
      ...outcome,
      ...(outcome.truncated && full ? { fileBytes: Buffer.byteLength(full) } : {}),
    };
    // What it looked for: how many lines had it, for the timeline and the checklist.
    const found = words && outcome.found ? { words, matched: outcome.found.matched, total: outcome.found.total } : null;
    // Renewed no more from here: should its end fail to be recorded, the lease runs out and the sweep records it lost.
    lease.release();
    // What the final message shows besides the run's columns: a redraw by the sweep (RunMessageRedraws) draws it whole.
    const shownBesides: RunShown = {
      bytes: final.bytes,
      truncated: final.truncated,
      ...(final.fileBytes !== undefined ? { fileBytes: final.fileBytes } : {}),
      ...(final.detail ? { detail: final.detail.slice(0, 3000) } : {}),
      ...(final.signal ? { signal: final.signal } : {}),
      ...(final.lookFor ? { lookFor: final.lookFor } : {}),
      ...(final.found ? { found: final.found } : {}),
      ...(notDone.length ? { notDone: notDoneKept } : {}),
    };
    const stepRecord = {
      playbook: playbookId,
      step: key,
      target: shown,
      state: final.state,
      exitCode: final.exitCode,
      ...(final.signal ? { signal: final.signal } : {}),
      durationMs: Math.round(final.durationMs),
      digest,
      ...(found ? { found } : {}),
      ...(notDone.length ? { notDone: notDoneKept } : {}),
    };
    // Its message is marked due to be drawn by the sweep (RunMessageRedraws) until this process's drawing of it takes.
    const ended = await this.db.transaction(async (tx): Promise<Ended> => {
      const end = await finishStepRun(tx, runId, {
        state: final.state,
        exitCode: final.exitCode,
        durationMs: final.durationMs,
        digest,
        tail: final.tail,
        found,
        threadTs: ts,
        shown: shownBesides,
      });
      if (end.recorded) {
        // Over `lost` (this process was cut off from the database past its lease): the timeline says it came back.
        await recordStepEvent(tx, ref, 'step_run', userId, {
          ...stepRecord,
          ...(end.cameBack ? { cameBack: true } : {}),
        });
        return { mark: end.mark, view: final };
      }
      // Recorded lost and acted on since: it stays lost, its message and the timeline saying how it really ended, the
      // message with the output its end brought (the record keeps the lease's last renewal's).
      const kept = await keepLostRun(
        tx,
        runId,
        ts,
        {
          ...shownBesides,
          tail: final.tail.slice(-4000),
          durationMs: final.durationMs,
          detail: lateDetail(final),
        },
        found,
      );
      if (!kept) return { mark: null, view: null };
      await recordStepEvent(tx, ref, 'step_run', userId, { ...stepRecord, cameBack: true, keptLost: true });
      return { mark: kept.mark, view: endedView({ ...kept, state: 'lost' }, { playbook, step }) };
    });
    const shownEnd = ended.view ?? final;
    // A run recorded lost was counted so when it was; its late end is not counted again.
    if (ended.view === final) this.metrics.stepRan(playbookId, final.state);
    if (ts) {
      if ((await update(shownEnd)) && ended.mark !== null) {
        await runMessageDrawn(this.db, runId, ended.mark).catch((e) =>
          this.log.warn('could not record the run drawn', e),
        );
      }
    } else {
      // Posted only now (it could not be at the start): recorded, for the links to its output.
      const posted = await this.chat.postRun(place, threadTs, shownEnd).catch((e) => {
        this.log.warn('postRun failed', e);
        return null;
      });
      if (posted) {
        await setRunThread(this.db, runId, posted).catch((e) => this.log.warn('could not record the run message', e));
      }
    }
    if (final.truncated && full) {
      await this.chat
        .uploadOutput(place, threadTs, `run-${runId}-${playbookId}-${key}.txt`, full)
        .catch((e) => this.log.warn('could not attach the full output', e));
    }
    await showChecklist;
    if (host.kind === 'run' && playbookId === host.run.playbookId) await this.checklists.settleRun(host, playbook);
    await this.checklists.refresh(host, playbookId, { focus: key });
    return { view: final, full, ts };
  }
}

/**
 * A running run's hold: what it has shown so far and its message (kept with each renewal), and its release once it
 * ends.
 */
interface RunLease {
  shown(sofar: { tail: string; durationMs: number; shown: RunShown }): void;
  posted(threadTs: string): void;
  release(): void;
}

/** How a run's end was recorded: its message's mark (null: not marked), and how it is drawn when not as it ended. */
interface Ended {
  mark: number | null;
  /** The view its message is drawn with: its final one, or (recorded lost and acted on since) as lost; null: neither. */
  view: RunView | null;
}

/**
 * Holds a running run for this process: its lease renewed every third of `leaseMs`, with the output's last lines, how
 * long it has run so far and what else its message shows (the lines found): what its message shows, should the process
 * die. A process that dies leaves the lease to run out, and another's sweep (LostRuns) records the run lost and says so.
 */
function holdRun(db: Database, id: number, leaseMs: number, log: Logger): RunLease {
  let sofar: { tail: string; durationMs: number; shown?: RunShown } = { tail: '', durationMs: 0 };
  let threadTs: string | null = null;
  const heartbeat = setInterval(
    () => {
      renewStepRun(db, id, leaseMs, { ...sofar, threadTs }).then(
        (held) => {
          if (!held) log.warn(`step run ${id} is no longer running on the record: its lease ran out (recorded lost)`);
        },
        (err) => log.warn(`could not renew the lease on step run ${id}`, err),
      );
    },
    Math.floor(leaseMs / 3),
  );
  heartbeat.unref();
  return {
    shown: (s) => {
      sofar = s;
    },
    posted: (ts) => {
      threadTs = ts;
    },
    release: () => clearInterval(heartbeat),
  };
}
