import { findRollbackTarget, parseDeployments } from '../ops/deployments.js';
import { httpCheck } from '../ops/http-check.js';
import { redact } from '../ops/redact.js';
import {
  type CommandStep,
  type HttpStep,
  type Playbook,
  type PlaybookStep,
  suggestPlaybook,
  validateParams,
} from '../runbook/playbooks.js';
import type { Runbook } from '../runbook/runbook.js';
import type { Database } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import {
  attachPlaybook,
  decideApproval,
  findRunningStep,
  finishStepRun,
  getApproval,
  insertApproval,
  insertRefusedStep,
  insertRunningStep,
  playbookMessage,
  type StepApproval,
  setApprovalMessage,
  setPlaybookMessage,
  setRunThread,
} from '../store/step-run.repo.js';
import { AlreadyDoneError, DomainError, IncidentNotFoundError } from './errors.js';
import type { ApprovalView, IncidentChat, Logger, PlaybookChat, RunView } from './ports.js';
import type { Incident } from './types.js';

export const PHASES = ['detection', 'mitigation', 'resolution'] as const;
export type PlaybookPhase = (typeof PHASES)[number];

/** `mitigation.2`: the third step of the mitigation list. */
export function stepKey(phase: PlaybookPhase, index: number): string {
  return `${phase}.${index}`;
}

/**
 * The runbook's Rollback Procedures and post-deployment verification as a built-in playbook, so a rollback is run,
 * recorded and shown exactly like any other step.
 */
export const ROLLBACK: Playbook = {
  id: 'rollback',
  title: 'Roll back a deployment',
  kind: 'issue',
  match: [],
  symptoms: [],
  detection: [
    {
      type: 'command',
      text: 'View deployment history',
      run: ['atom-cli', 'deployments'],
      params: {},
      destructive: false,
      approval: false,
      timeoutMs: 30_000,
    },
  ],
  mitigation: [
    {
      type: 'command',
      text: 'Rollback to specific version',
      run: ['atom-cli', 'rollback', '{version}'],
      params: { version: { kind: 'version' } },
      destructive: true,
      approval: false,
      timeoutMs: 10 * 60_000,
    },
  ],
  resolution: [
    {
      type: 'command',
      text: 'Check app status',
      run: ['atom-cli', 'status'],
      params: {},
      destructive: false,
      approval: false,
      timeoutMs: 30_000,
    },
    { type: 'http', text: 'Verify health endpoints', path: '/api/health', expectStatus: 200, timeoutMs: 10_000 },
    { type: 'http', text: 'Verify health endpoints', path: '/alive', expectStatus: 200, timeoutMs: 10_000 },
    { type: 'http', text: 'Verify health endpoints', path: '/health', expectStatus: 200, timeoutMs: 10_000 },
    {
      type: 'command',
      text: 'View recent logs',
      run: ['atom-cli', 'logs', '--lines', '50'],
      params: {},
      destructive: false,
      approval: false,
      timeoutMs: 30_000,
    },
  ],
  prevention: [],
};

export const ROLLBACK_STEPS = {
  deployments: 'detection.0',
  rollback: 'mitigation.0',
  verify: ['resolution.0', 'resolution.1', 'resolution.2', 'resolution.3', 'resolution.4'],
} as const;

export class ParamsError extends DomainError {
  constructor(readonly errors: Record<string, string>) {
    super(
      'bad_params',
      `Nothing was run: ${Object.entries(errors)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')}`,
    );
  }
}

export interface PlaybookServiceOptions {
  /** The binary that `atom-cli` in the runbook stands for (ATOM_CLI). */
  atomCli: string;
  /** What `alembic` in the runbook stands for (ALEMBIC_CLI), e.g. a wrapper that runs it in the app machine. */
  alembicCli?: string;
  /** Base URL the runbook's health endpoints are checked against (HEALTH_BASE_URL). */
  healthBaseUrl?: string;
  /** Extra variables for commands (e.g. the CLI's own credentials); nothing else of the bot's environment is passed. */
  commandEnv?: Record<string, string>;
  /** How to read `atom-cli deployments` (DEPLOYMENTS_PATTERN); the default fits the CLI's table. */
  deploymentsPattern?: string;
}

/** Playbooks from the runbook file: suggest, attach, and run their steps with the output in the incident channel. */
export class PlaybookService {
  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat & PlaybookChat,
    private readonly runbook: Runbook,
    private readonly opts: PlaybookServiceOptions,
    private readonly log: Logger = console,
  ) {}

  list(): Playbook[] {
    return this.runbook.playbooks;
  }

  /** By id, or by a title or part of one (case-insensitive). */
  find(query: string): Playbook | null {
    const q = query.trim().toLowerCase();
    if (!q) return null;
    return (
      this.runbook.playbooks.find((p) => p.id === q) ??
      this.runbook.playbooks.find((p) => p.title.toLowerCase() === q) ??
      this.runbook.playbooks.find((p) => p.title.toLowerCase().includes(q) || p.id.includes(q)) ??
      null
    );
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

  /** Why this person may not run (or ask to run) this step, or null when they may. Refusals name who can. */
  async refusal(step: CommandStep | HttpStep, userId: string): Promise<string | null> {
    if (step.type !== 'command' || (!step.destructive && !step.approval)) return null;
    const responders = this.runbook.access.responders;
    if (responders.length === 0) {
      return 'This step changes production and only responders may run it, but no responders are configured: add them under `access.responders` in the runbook file.';
    }
    if (await this.isIn(responders, userId)) return null;
    return `This step changes production; only responders may run it: ${responders.map(who).join(', ')}.`;
  }

  private async isIn(contacts: string[], userId: string): Promise<boolean> {
    if (contacts.includes(userId)) return true;
    if (!contacts.some((c) => c.startsWith('S'))) return false;
    const { userIds } = await this.chat.resolveContacts(contacts);
    return userIds.includes(userId);
  }

  /** What a step would run with these values, redacted, for a confirmation; throws ParamsError on bad values. */
  preview(playbookId: string, key: string, values: Record<string, string>): string[] {
    const { step } = this.step(playbookId, key);
    if (step.type === 'text') throw new DomainError('not_runnable', 'That step is text to read, not something to run.');
    return this.target(step, values).map(redact);
  }

  /** The argv (or URL) a step runs with these values; throws ParamsError naming each bad value. */
  private target(step: CommandStep | HttpStep, values: Record<string, string>): string[] {
    if (step.type === 'command') {
      const checked = validateParams(step, values);
      if (!checked.ok) throw new ParamsError(checked.errors);
      return checked.argv.map((a, i) =>
        i > 0 ? a : a === 'atom-cli' ? this.opts.atomCli : a === 'alembic' ? (this.opts.alembicCli ?? a) : a,
      );
    }
    if (!this.opts.healthBaseUrl) {
      throw new DomainError(
        'no_health_url',
        'Set HEALTH_BASE_URL (e.g. https://tenant.atomagentos.com) so the bot knows where to check the health endpoints.',
      );
    }
    return [new URL(step.path, this.opts.healthBaseUrl).toString()];
  }

  private async recordRefusal(
    incidentId: number,
    playbookId: string,
    key: string,
    kind: 'command' | 'http',
    shown: string[],
    userId: string,
    refusal: string,
  ): Promise<never> {
    await this.db.transaction(async (tx) => {
      await insertRefusedStep(tx, {
        incidentId,
        playbookId,
        stepKey: key,
        kind,
        target: shown,
        requestedBy: userId,
        refusal,
      });
      await insertEvent(tx, incidentId, 'step_refused', userId, {
        playbook: playbookId,
        step: key,
        target: shown,
        refusal,
      });
    });
    throw new DomainError('not_allowed', refusal);
  }

  private approvalView(a: StepApproval, playbook: Playbook, step: CommandStep, shown: string[]): ApprovalView {
    return {
      approvalId: a.id,
      playbookTitle: playbook.title,
      stepText: step.text,
      target: shown,
      ...(step.warning ? { warning: step.warning } : {}),
      requestedBy: a.requestedBy,
      approvers: this.runbook.access.approvers,
      state: a.state,
      decidedBy: a.decidedBy,
      reason: a.reason,
    };
  }

  /** An approval request that is still waiting for a decision, with its command step; otherwise a clear refusal. */
  private async pendingApproval(approvalId: number) {
    const a = await getApproval(this.db, approvalId);
    if (!a) throw new DomainError('approval_not_found', 'That approval request no longer exists.');
    const { playbook, step } = this.step(a.playbookId, a.stepKey);
    if (step.type !== 'command') throw new DomainError('not_runnable', 'That step cannot be run.');
    if (a.state !== 'pending')
      throw new AlreadyDoneError(`This request was already ${a.state} by ${who(a.decidedBy ?? '')}.`);
    return { a, playbook, step };
  }

  /** Records the decision and its timeline event, once: a second decision finds it already made. */
  private async decide(
    incidentId: number,
    approvalId: number,
    state: 'approved' | 'denied',
    userId: string,
    reason: string | null,
    shown: string[],
  ) {
    const decided = await this.db.transaction(async (tx) => {
      const d = await decideApproval(tx, approvalId, state, userId, reason);
      if (d) {
        await insertEvent(tx, incidentId, 'approval_decided', userId, {
          approval: approvalId,
          state,
          ...(reason === null ? {} : { reason }),
          target: shown,
        });
      }
      return d;
    });
    if (!decided) throw new AlreadyDoneError('This request was already decided.');
    return decided;
  }

  /** A second person with the approver role lets a requested step run; it then runs as the requester asked. */
  async approve(approvalId: number, userId: string): Promise<void> {
    const { a, playbook, step } = await this.pendingApproval(approvalId);
    const shown = this.target(step, a.params).map(redact);
    if (userId === a.requestedBy) {
      throw new DomainError('same_person', 'A different person must approve: you asked for this run.');
    }
    const approvers = this.runbook.access.approvers;
    if (!(await this.isIn(approvers, userId))) {
      const why = approvers.length
        ? `Only approvers may approve this: ${approvers.map(who).join(', ')}.`
        : 'No approvers are configured: add them under `access.approvers` in the runbook file.';
      await this.recordRefusal(a.incidentId, a.playbookId, a.stepKey, 'command', shown, userId, why);
    }
    const decided = await this.decide(a.incidentId, approvalId, 'approved', userId, null, shown);
    const incident = await this.incident(a.incidentId);
    if (decided.messageTs) {
      await this.chat
        .updateApproval(incident, decided.messageTs, this.approvalView(decided, playbook, step, shown))
        .catch((e) => this.log.warn('updateApproval failed', e));
    }
    await this.execute(incident, playbook, step, a.stepKey, this.target(step, a.params), a.requestedBy, userId);
  }

  /** An approver (or the requester, withdrawing) turns a request down, saying why. */
  async deny(approvalId: number, userId: string, reason: string): Promise<void> {
    const { a, playbook, step } = await this.pendingApproval(approvalId);
    const approvers = this.runbook.access.approvers;
    if (userId !== a.requestedBy && !(await this.isIn(approvers, userId))) {
      throw new DomainError(
        'not_allowed',
        `Only approvers (or the person who asked) may deny this: ${approvers.map(who).join(', ')}.`,
      );
    }
    const shown = this.target(step, a.params).map(redact);
    const decided = await this.decide(a.incidentId, approvalId, 'denied', userId, reason, shown);
    if (decided.messageTs) {
      const incident = await this.incident(a.incidentId);
      await this.chat
        .updateApproval(incident, decided.messageTs, this.approvalView(decided, playbook, step, shown))
        .catch((e) => this.log.warn('updateApproval failed', e));
    }
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
    const shown = target.map(redact);
    const refused = await this.refusal(step, userId);
    if (refused) await this.recordRefusal(incidentId, playbookId, key, step.type, shown, userId, refused);
    if (step.type === 'command' && step.approval) {
      if (this.runbook.access.approvers.length === 0) {
        await this.recordRefusal(
          incidentId,
          playbookId,
          key,
          'command',
          shown,
          userId,
          'This step needs approval by a second person, but no approvers are configured: add them under `access.approvers` in the runbook file.',
        );
      }
      const a = await this.db.transaction(async (tx) => {
        const created = await insertApproval(tx, {
          incidentId,
          playbookId,
          stepKey: key,
          params: values,
          requestedBy: userId,
        });
        await insertEvent(tx, incidentId, 'approval_requested', userId, {
          approval: created.id,
          playbook: playbookId,
          step: key,
          target: shown,
        });
        return created;
      });
      const threadTs = await playbookMessage(this.db, incidentId, playbookId);
      const ts = await this.chat.postApproval(incident, threadTs, this.approvalView(a, playbook, step, shown));
      await setApprovalMessage(this.db, a.id, ts);
      return { kind: 'approval_requested' };
    }
    await this.execute(incident, playbook, step, key, target, userId, null);
    return { kind: 'ran' };
  }

  /** Runs a checked, allowed step and reports it in the thread. */
  private async execute(
    incident: Incident,
    playbook: Playbook,
    step: CommandStep | HttpStep,
    key: string,
    target: string[],
    userId: string,
    approvedBy: string | null,
  ): Promise<{ view: RunView; full: string }> {
    const incidentId = incident.id;
    const playbookId = playbook.id;
    const shown = target.map(redact);
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
      throw new AlreadyDoneError(
        `That step is already running${other ? `, started by ${who(other.requestedBy)}` : ''}: ${
          link ? `<${link}|see its output>` : 'its output is in the thread under the playbook'
        }.`,
      );
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

    let final: RunView;
    let digest: string | null = null;
    let full = '';
    if (step.type === 'command') {
      // Loaded on first use: execa is only needed once someone runs a step, so an idle bot does not carry it.
      const { runCommand } = await import('../ops/run-command.js');
      const r = await runCommand(target, {
        timeoutMs: step.timeoutMs,
        env: this.opts.commandEnv ?? {},
        onOutput: (snap) => update({ ...view, tail: snap.tail, bytes: snap.bytes, durationMs: snap.elapsedMs }),
      });
      digest = r.digest;
      full = r.full;
      const state = r.notFound ? 'not_found' : r.timedOut ? 'timed_out' : r.exitCode === 0 ? 'succeeded' : 'failed';
      final = {
        ...view,
        state,
        tail: r.tail,
        exitCode: r.exitCode,
        durationMs: r.durationMs,
        bytes: r.bytes,
        truncated: r.full.length > r.tail.length,
        ...(r.notFound
          ? { detail: `\`${target[0]}\` is not installed or not on PATH. Set ATOM_CLI to the path of the atom CLI.` }
          : r.timedOut
            ? { detail: `Killed after the step's timeout (${Math.round(step.timeoutMs / 1000)} s).` }
            : r.error
              ? { detail: r.error }
              : {}),
      };
    } else {
      const r = await httpCheck(target[0]!, { timeoutMs: step.timeoutMs, expectStatus: step.expectStatus });
      final = {
        ...view,
        state: r.ok ? 'succeeded' : 'failed',
        tail: r.body ?? '',
        exitCode: null,
        durationMs: r.latencyMs,
        bytes: 0,
        truncated: false,
        detail: `${r.status ? `HTTP ${r.status}` : 'no answer'} in ${Math.round(r.latencyMs)} ms${r.error ? ` — ${r.error}` : ''}`,
      };
    }
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
    if (ts) await update(final);
    else await this.chat.postRun(incident, threadTs, final).catch((e) => this.log.warn('postRun failed', e));
    if (final.truncated && full) {
      await this.chat
        .uploadOutput(incident, threadTs, `run-${run.id}-${playbookId}-${key}.txt`, full)
        .catch((e) => this.log.warn('could not attach the full output', e));
    }
    return { view: final, full };
  }

  /**
   * Roll back, step 1: runs `atom-cli deployments` (recorded like any run) and posts the recent versions, the current
   * one marked, each with a "Roll back to vN" button.
   */
  async showDeployments(incidentId: number, userId: string): Promise<void> {
    const incident = await this.incident(incidentId);
    const { playbook, step } = this.step(ROLLBACK.id, ROLLBACK_STEPS.deployments);
    if (step.type !== 'command') throw new Error('rollback playbook is malformed');
    const { view, full } = await this.execute(
      incident,
      playbook,
      step,
      ROLLBACK_STEPS.deployments,
      this.target(step, {}),
      userId,
      null,
    );
    if (view.state !== 'succeeded') return; // the run message says what went wrong
    const deployments = parseDeployments(
      full,
      this.opts.deploymentsPattern ? { pattern: this.opts.deploymentsPattern } : {},
    );
    if (deployments.length === 0) {
      throw new DomainError(
        'no_deployments',
        "Couldn't read any version from `atom-cli deployments`. If its format changed, set DEPLOYMENTS_PATTERN (a regular expression with a named group `version`, and optionally `current`, `status` and `date`).",
      );
    }
    await this.chat.postDeployments(
      incident,
      deployments.slice(0, 10),
      findRollbackTarget(deployments)?.version ?? null,
    );
  }

  /**
   * Roll back, step 2: `atom-cli rollback <version>` (responders only), then the runbook's post-deployment
   * verification: `atom-cli status`, the health endpoints and `atom-cli logs --lines 50`, each reported pass or fail.
   */
  async rollbackTo(incidentId: number, version: string, userId: string): Promise<void> {
    const incident = await this.incident(incidentId);
    const { playbook, step } = this.step(ROLLBACK.id, ROLLBACK_STEPS.rollback);
    if (step.type !== 'command') throw new Error('rollback playbook is malformed');
    const target = this.target(step, { version });
    const refused = await this.refusal(step, userId);
    if (refused)
      await this.recordRefusal(
        incidentId,
        ROLLBACK.id,
        ROLLBACK_STEPS.rollback,
        'command',
        target.map(redact),
        userId,
        refused,
      );
    const rolled = await this.execute(incident, playbook, step, ROLLBACK_STEPS.rollback, target, userId, null);
    if (rolled.view.state !== 'succeeded') {
      await this.chat.postVerification(incident, version, [
        {
          name: `atom-cli rollback ${version}`,
          ok: false,
          detail: rolled.view.detail ?? `exit ${rolled.view.exitCode}`,
        },
      ]);
      return;
    }
    const checks: { name: string; ok: boolean; detail: string }[] = [];
    for (const key of ROLLBACK_STEPS.verify) {
      const { step: check } = this.step(ROLLBACK.id, key);
      if (check.type === 'text') continue;
      if (check.type === 'http' && !this.opts.healthBaseUrl) {
        checks.push({ name: `GET ${check.path}`, ok: false, detail: 'not checked: set HEALTH_BASE_URL' });
        continue;
      }
      const r = await this.execute(incident, playbook, check, key, this.target(check, {}), userId, null);
      const name = check.type === 'http' ? `GET ${check.path}` : r.view.target.join(' ');
      checks.push({
        name,
        ok: r.view.state === 'succeeded',
        detail: r.view.detail ?? (r.view.exitCode !== null ? `exit ${r.view.exitCode}` : r.view.state),
      });
    }
    await this.chat.postVerification(incident, version, checks);
  }

  private async incident(id: number): Promise<Incident> {
    const i = await getIncident(this.db, id);
    if (!i) throw new IncidentNotFoundError();
    return i;
  }
}

const who = (id: string) => (id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`);
