import { redactWith } from '../ops/redact.js';
import { knownSecrets, type RunnerOptions, runnerFor, shownTarget } from '../ops/step-runners.js';
import type { Playbook, PlaybookStep, RunnableStep } from '../runbook/playbooks.js';
import { isRollbackStep, PHASES, type PlaybookPhase, ROLLBACK } from '../runbook/rollback-playbook.js';
import type { Runbook } from '../runbook/runbook.js';
import { suggestPlaybook } from '../runbook/suggest-playbook.js';
import type { Database } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import {
  attachPlaybook,
  findRunningStep,
  finishStepRun,
  insertRunningStep,
  playbookMessage,
  setPlaybookMessage,
  setRunThread,
} from '../store/step-run.repo.js';
import { AlreadyDoneError, DomainError, IncidentNotFoundError } from './errors.js';
import {
  type IncidentChat,
  type IncidentMetrics,
  type Logger,
  NO_METRICS,
  type PlaybookChat,
  type RunView,
} from './ports.js';
import { StepApprovals } from './step-approvals.service.js';
import type { RunResult, StepRun, StepRuns } from './step-runs.js';
import type { Incident } from './types.js';
import { PostDeploymentVerification } from './verification.service.js';

export type PlaybookServiceOptions = RunnerOptions;

/** Playbooks from the runbook file: suggest, attach, and run their steps with the output in the incident channel. */
export class PlaybookService implements StepRuns {
  /** Who may run what, and the second person some steps need. */
  readonly approvals: StepApprovals;
  /** The runbook's post-deployment checks, run after every rollback. */
  readonly verification: PostDeploymentVerification;

  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat & PlaybookChat,
    private readonly runbook: Runbook,
    private readonly opts: PlaybookServiceOptions,
    private readonly log: Logger = console,
    private readonly metrics: IncidentMetrics = NO_METRICS,
  ) {
    this.mask = redactWith(knownSecrets(opts));
    this.approvals = new StepApprovals(db, chat, runbook, this, log);
    this.verification = new PostDeploymentVerification(chat, this);
  }

  list(): Playbook[] {
    return this.runbook.playbooks;
  }

  /** By id, or by a title or part of one (case-insensitive). */
  /**
   * The playbooks a person means by `query`: the one with that id or title, else every one whose id or title contains
   * it (several: the person picks; a partial word never attaches one of many by chance).
   */
  matching(query: string): Playbook[] {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const exact = this.runbook.playbooks.find((p) => p.id === q || p.title.toLowerCase() === q);
    if (exact) return [exact];
    return this.runbook.playbooks.filter((p) => p.title.toLowerCase().includes(q) || p.id.includes(q));
  }

  suggestionFor(title: string): Playbook | null {
    const id = suggestPlaybook(title, this.runbook.playbooks);
    return id ? (this.runbook.playbooks.find((p) => p.id === id) ?? null) : null;
  }

  step(playbookId: string, key: string): { playbook: Playbook; step: PlaybookStep } {
    const playbook = playbookId === ROLLBACK.id ? ROLLBACK : this.runbook.playbooks.find((p) => p.id === playbookId);
    const [phase, index] = key.split('.');
    const step =
      playbook && PHASES.includes(phase as PlaybookPhase) ? playbook[phase as PlaybookPhase][Number(index)] : undefined;
    if (!playbook || !step)
      throw new DomainError('step_not_found', 'That playbook step no longer exists in the runbook file.');
    return { playbook, step };
  }

  /** Posts a playbook in the incident channel (once per incident). */
  async attach(
    incidentId: number,
    playbookId: string,
    actorId: string | null,
    suggested = false,
  ): Promise<{ already: boolean }> {
    const playbook = this.runbook.playbooks.find((p) => p.id === playbookId);
    if (!playbook) throw new DomainError('playbook_not_found', `There is no playbook \`${playbookId}\`.`);
    const incident = await this.incident(incidentId);
    const fresh = await this.db.transaction(async (tx) => {
      const added = await attachPlaybook(tx, incidentId, playbookId, actorId);
      if (added) await insertEvent(tx, incidentId, 'playbook_attached', actorId, { playbook: playbookId, suggested });
      return added;
    });
    if (!fresh) return { already: true };
    const ts = await this.chat.postPlaybook(incident, playbook, { suggested, attachedBy: actorId });
    await setPlaybookMessage(this.db, incidentId, playbookId, ts);
    return { already: false };
  }

  /** What a step would run with these values, as shown, for a confirmation; throws ParamsError on bad values. */
  preview(playbookId: string, key: string, values: Record<string, string>): string[] {
    const { step } = this.step(playbookId, key);
    if (step.type === 'text') throw new DomainError('not_runnable', 'That step is text to read, not something to run.');
    return this.shown(step, this.target(step, values));
  }

  /**
   * At the first click, before any parameters form or confirmation: refuses (and records) a step this person may not
   * run, naming who can, or one that changes production on a resolved incident. The record shows the command as the runbook writes it, its parameters unfilled.
   */
  async checkMayRun(incidentId: number, playbookId: string, key: string, userId: string): Promise<void> {
    const { step } = this.step(playbookId, key);
    if (step.type !== 'command') return;
    const request = { incidentId, playbookId, key, kind: step.type, shown: step.run.map(this.mask) };
    await this.approvals.checkAllowed(request, step, userId);
    await this.approvals.checkOpen(await this.incident(incidentId), request, step, userId);
  }

  /**
   * What a person is shown of a target, and of any text from a run: secrets masked by pattern and, by value, the
   * ones the bot knows (its tokens, every COMMAND_ENV value), so a known value typed as a parameter is never stored.
   */
  readonly mask: (text: string) => string;

  shown(step: RunnableStep, target: string[]): string[] {
    return shownTarget(step, target, this.mask);
  }

  /** The argv (or URL) a step runs with these values; throws ParamsError naming each bad value. */
  target(step: RunnableStep, values: Record<string, string>): string[] {
    return runnerFor(step).target(step, values, this.opts);
  }

  /**
   * Runs a step for an incident; the output goes to the incident channel, under the playbook. A step that needs a
   * second person is not run: an approval request is posted instead.
   */
  async run(
    incidentId: number,
    playbookId: string,
    key: string,
    userId: string,
    values: Record<string, string> = {},
  ): Promise<{ kind: 'ran' } | { kind: 'approval_requested' }> {
    const { playbook, step } = this.step(playbookId, key);
    if (step.type === 'text') throw new DomainError('not_runnable', 'That step is text to read, not something to run.');
    const incident = await this.incident(incidentId);
    const target = this.target(step, values);
    const shown = this.shown(step, target);
    const request = { incidentId, playbookId, key, kind: step.type, shown };
    await this.approvals.checkAllowed(request, step, userId);
    await this.approvals.checkOpen(incident, request, step, userId);
    if (step.type === 'command' && step.approval) {
      await this.approvals.request(incident, playbook, step, request, values, userId);
      return { kind: 'approval_requested' };
    }
    await this.perform({ incident, playbook, step, key, target, userId, approvedBy: null });
    return { kind: 'ran' };
  }

  /**
   * Runs a step a person asked for, at once or once approved. A rollback (`atom-cli rollback …`, from the card or a
   * playbook) is followed by the runbook's post-deployment verification.
   */
  async perform(run: StepRun): Promise<RunResult> {
    const r = await this.execute(run);
    if (isRollbackStep(run.step)) {
      this.metrics.rolledBack(r.view.state);
      await this.verification.afterRollback(run.incident, run.target, r.view, run.userId);
    }
    return r;
  }

  /** Runs a checked, allowed step and reports it in the thread. */
  async execute({ incident, playbook, step, key, target, userId, approvedBy }: StepRun): Promise<RunResult> {
    const incidentId = incident.id;
    const playbookId = playbook.id;
    const shown = this.shown(step, target);
    const run = await insertRunningStep(this.db, {
      incidentId,
      playbookId,
      stepKey: key,
      kind: step.type,
      target: shown,
      requestedBy: userId,
    });
    if (!run) {
      const other = await findRunningStep(this.db, incidentId, playbookId, key);
      const link = other?.threadTs ? await this.chat.permalink(incident, other.threadTs).catch(() => null) : null;
      throw new AlreadyDoneError([
        'That step is already running',
        ...(other ? [', started by ', { people: [other.requestedBy] }] : []),
        ': ',
        link ? { link, label: 'see its output' } : 'its output is in the thread under the playbook',
        '.',
      ]);
    }
    const threadTs = await playbookMessage(this.db, incidentId, playbookId);
    const view: RunView = {
      runId: run.id,
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
    };
    let ts: string | null = null;
    try {
      ts = await this.chat.postRun(incident, threadTs, view);
      await setRunThread(this.db, run.id, ts);
    } catch (err) {
      this.log.warn('could not post the run message; running anyway', err);
    }
    // Updates go one after another, so a slow progress update can never land after the final one.
    let chain: Promise<void> = Promise.resolve();
    const update = (v: RunView): Promise<void> => {
      if (!ts) return chain;
      const at = ts;
      chain = chain.then(() => this.chat.updateRun(incident, at, v).catch((e) => this.log.warn('updateRun failed', e)));
      return chain;
    };

    const { digest, full, ...outcome } = await runnerFor(step).run(
      target,
      step,
      (p) => void update({ ...view, tail: p.tail, bytes: p.bytes, durationMs: p.elapsedMs }),
      this.opts,
    );
    const final: RunView = { ...view, ...outcome };
    await this.db.transaction(async (tx) => {
      await finishStepRun(tx, run.id, {
        state: final.state,
        exitCode: final.exitCode,
        durationMs: final.durationMs,
        digest,
        tail: final.tail,
      });
      await insertEvent(tx, incidentId, 'step_run', userId, {
        playbook: playbookId,
        step: key,
        target: shown,
        state: final.state,
        exitCode: final.exitCode,
        durationMs: Math.round(final.durationMs),
        digest,
      });
    });
    this.metrics.stepRan(playbookId, final.state);
    if (ts) await update(final);
    else await this.chat.postRun(incident, threadTs, final).catch((e) => this.log.warn('postRun failed', e));
    if (final.truncated && full) {
      await this.chat
        .uploadOutput(incident, threadTs, `run-${run.id}-${playbookId}-${key}.txt`, full)
        .catch((e) => this.log.warn('could not attach the full output', e));
    }
    return { view: final, full };
  }

  private async incident(id: number): Promise<Incident> {
    const i = await getIncident(this.db, id);
    if (!i) throw new IncidentNotFoundError();
    return i;
  }
}
