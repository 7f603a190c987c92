import { redactWith } from '../ops/redact.js';
import { createSealer, isSealed, type Sealer } from '../ops/sealed-values.js';
import { knownSecrets, type RunnerOptions, runnerFor, type StepOutcome, shownTarget } from '../ops/step-runners.js';
import { titleClaims } from '../runbook/alert-rules.js';
import { lookForWords } from '../runbook/look-for.js';
import { findStep } from '../runbook/playbook-steps.js';
import { maskedParams, type Playbook, type PlaybookStep, type RunnableStep } from '../runbook/playbooks.js';
import { isRollbackStep, ROLLBACK } from '../runbook/rollback-playbook.js';
import type { Runbook } from '../runbook/runbook.js';
import { suggestPlaybook, winningClaim } from '../runbook/suggest-playbook.js';
import type { Database, Queryable } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncidentByChannel } from '../store/incident.repo.js';
import { getPlaybookRun } from '../store/playbook-run.repo.js';
import {
  attachedPlaybookIds,
  attachPlaybook,
  detachPlaybook,
  findRunningStep,
  finishStepRun,
  getAttachedPlaybook,
  insertRunningStep,
  playbookMessage,
  setPlaybookMessage,
  setRunFoundSoFar,
  setRunThread,
} from '../store/step-run.repo.js';
import type { AlertRule } from './alert-types.js';
import { notDoneBefore } from './checklist.js';
import { Checklists } from './checklist.service.js';
import { AlreadyDoneError, DomainError, NotAnIncidentChannelError } from './errors.js';
import { incidentOrThrow } from './find-incident.js';
import { foundSoFar } from './found-so-far.js';
import { playbookAct } from './playbook-acts.js';
import { type HostRef, hostRef, type PlaybookHost, placeOf, recordStepEvent } from './playbook-host.js';
import {
  type IncidentChat,
  type IncidentMetrics,
  type ListOutOfDate,
  type Logger,
  NO_METRICS,
  type NotDoneStep,
  type PlaybookChat,
  type RollbackVerdict,
  type RunView,
} from './ports.js';
import { StepApprovals } from './step-approvals.service.js';
import type { RunResult, StepRun, StepRuns } from './step-runs.js';
import { isDeployStep, PostDeploymentVerification } from './verification.service.js';

export type PlaybookServiceOptions = RunnerOptions;

/**
 * Playbooks from the runbook file: suggest, attach (and detach), and run their steps, with the output in the incident
 * channel, or in the thread of a playbook run outside any incident. Their checklists are `checklists`.
 */
export class PlaybookService implements StepRuns {
  /** Who may run what, and the second person some steps need. */
  readonly approvals: StepApprovals;
  /** The runbook's post-deployment checks, run after every rollback. */
  readonly verification: PostDeploymentVerification;
  /** Done, Skip and Undo on each step, and each playbook message's progress. */
  readonly checklists: Checklists;

  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat & PlaybookChat,
    private readonly runbook: Runbook,
    private readonly opts: PlaybookServiceOptions,
    private readonly log: Logger = console,
    private readonly metrics: IncidentMetrics = NO_METRICS,
    /** Masks the bot's known secret values in what people typed (a Deny's or a Skip's reason). */
    typed: (text: string) => string = (text) => text,
  ) {
    this.mask = redactWith(knownSecrets(opts));
    this.sealer = createSealer(opts.secrets ?? []);
    this.approvals = new StepApprovals(db, chat, runbook, this, log, typed);
    this.verification = new PostDeploymentVerification(chat, this, (host, userId, verdict) =>
      this.recordRollback(host, userId, verdict),
    );
    this.checklists = new Checklists(db, chat, runbook, log, typed);
    this.checklists.onApprovalsClosed = (host, closed) => this.approvals.showClosed(host, closed);
  }

  /** The playbooks people are offered (not the checklists the bot makes for itself). */
  list(): Playbook[] {
    return this.runbook.playbooks.filter((p) => !p.unlisted);
  }

  /**
   * The playbooks a person means by `query`: the one with that id or title, else every one whose id or title contains
   * it (several: the person picks; a partial word never attaches one of many by chance).
   */
  matching(query: string): Playbook[] {
    // Read as keywords are (NFKC): a name typed full width (`ｄａｔａｂａｓｅ`) is the name.
    const q = query.normalize('NFKC').trim().toLowerCase();
    if (!q) return [];
    const exact = this.runbook.playbooks.find((p) => p.id === q || p.title.toLowerCase() === q);
    if (exact) return [exact];
    return this.runbook.playbooks.filter((p) => !p.unlisted && (p.title.toLowerCase().includes(q) || p.id.includes(q)));
  }

  /** The alert rows that name no playbook and words that mean their trouble: a title they fit best gets none. */
  private get claims(): (AlertRule & { match: readonly string[] })[] {
    return titleClaims(this.runbook.alerts);
  }

  /**
   * The alert row whose words fit a title better than any playbook's (it names none: its action is the procedure),
   * else null.
   */
  claimFor(title: string): AlertRule | null {
    return winningClaim(title, this.runbook.playbooks, this.claims);
  }

  suggestionFor(title: string): Playbook | null {
    const id = suggestPlaybook(title, this.runbook.playbooks, this.claims);
    return id ? (this.runbook.playbooks.find((p) => p.id === id) ?? null) : null;
  }

  step(playbookId: string, key: string): { playbook: Playbook; step: PlaybookStep } {
    const playbook = playbookId === ROLLBACK.id ? ROLLBACK : this.runbook.playbooks.find((p) => p.id === playbookId);
    const step = playbook ? findStep(playbook, key) : null;
    if (!playbook || !step)
      throw new DomainError('step_not_found', 'That playbook step no longer exists in the runbook file.');
    return { playbook, step };
  }

  /** An incident or a run outside one, by id, as it is now. */
  async host(ref: HostRef): Promise<PlaybookHost> {
    if (ref.kind === 'incident') return { kind: 'incident', incident: await incidentOrThrow(this.db, ref.id) };
    const run = await getPlaybookRun(this.db, ref.id);
    if (!run) throw new DomainError('run_not_found', 'That playbook run no longer exists.');
    return { kind: 'run', run };
  }

  /**
   * Whose playbook a click in a channel is about: the run its button names (which must be in this channel), else the
   * channel's incident. Elsewhere it throws NotAnIncidentChannelError with `notHere`.
   */
  async hostAt(channelId: string | undefined, runId: number | undefined, notHere: string): Promise<PlaybookHost> {
    if (runId !== undefined) {
      const run = await getPlaybookRun(this.db, runId);
      if (!run || run.channelId !== channelId)
        throw new DomainError('stale', 'That button is out of date: its playbook run is not in this channel.');
      return { kind: 'run', run };
    }
    const incident = channelId ? await getIncidentByChannel(this.db, channelId) : null;
    if (!incident) throw new NotAnIncidentChannelError(notHere);
    return { kind: 'incident', incident };
  }

  checkMember(host: PlaybookHost, userId: string, doing: string): Promise<void> {
    return this.checklists.checkMember(host, userId, doing);
  }

  wayIn(host: PlaybookHost): Promise<string> {
    return this.checklists.wayIn(host);
  }

  openToJoin(host: PlaybookHost): Promise<boolean> {
    return this.checklists.openToJoin(host);
  }

  checkWorkable(host: PlaybookHost, playbookId: string, q?: Queryable): Promise<void> {
    return this.checklists.checkWorkable(host, playbookId, q);
  }

  /** Posts a playbook in the incident channel (once per incident, or again once detached), with its checklist. */
  async attach(
    incidentId: number,
    playbookId: string,
    actorId: string | null,
    suggested = false,
  ): Promise<{ already: boolean }> {
    const playbook = this.runbook.playbooks.find((p) => p.id === playbookId);
    if (!playbook) throw new DomainError('playbook_not_found', `There is no playbook \`${playbookId}\`.`);
    const incident = await incidentOrThrow(this.db, incidentId);
    // One statement: attached and recorded together.
    const fresh = await attachPlaybook(this.db, incidentId, playbookId, actorId, { playbook: playbookId, suggested });
    if (!fresh) return { already: true };
    const { view } = await this.checklists.view({ kind: 'incident', incident }, playbook);
    const ts = await this.chat.postPlaybook(incident, view);
    await setPlaybookMessage(this.db, incidentId, playbookId, ts);
    await this.attachedChanged(incidentId, playbookId, 'attached');
    return { already: false };
  }

  /** The runbook's playbooks attached to the incident now, in the order they were attached. */
  async attachedTo(incidentId: number): Promise<Playbook[]> {
    const ids = await attachedPlaybookIds(this.db, incidentId);
    return ids.flatMap((id) => {
      const p = this.runbook.playbooks.find((x) => x.id === id);
      return p ? [p] : [];
    });
  }

  /**
   * Detaches a playbook from its incident: its message keeps what was done, without buttons, and its steps can no
   * longer be ticked or run from it. Recorded (`playbook_detached`); attaching it again carries on where it was left.
   */
  async detach(incidentId: number, playbookId: string, actorId: string): Promise<void> {
    const incident = await incidentOrThrow(this.db, incidentId);
    const attached = await getAttachedPlaybook(this.db, incidentId, playbookId);
    if (!attached) throw new DomainError('not_attached', `\`${playbookId}\` is not attached to this incident.`);
    const detached = await this.db.transaction(async (tx) => {
      const done = await detachPlaybook(tx, incidentId, playbookId, actorId);
      if (done) await insertEvent(tx, incidentId, 'playbook_detached', actorId, { playbook: playbookId });
      return done;
    });
    if (!detached) {
      throw new AlreadyDoneError([
        `\`${playbookId}\` was already detached`,
        ...(attached.detachedBy ? [' by ', { people: [attached.detachedBy] }] : []),
        '.',
      ]);
    }
    const host = { kind: 'incident', incident } as const;
    // Its requests waiting for approval no longer stand: closed, and shown so everywhere they were sent.
    await this.approvals
      .closePending(host, 'playbook_detached', actorId, playbookId)
      .catch((e) => this.log.warn('could not close the detached playbook’s approval requests', e));
    await this.checklists.refresh(host, playbookId);
    await this.attachedChanged(incidentId, playbookId, 'detached');
  }

  /** Tells `onAttachedChanged` (logged when it fails: the playbook is attached or detached all the same). */
  private async attachedChanged(incidentId: number, playbookId: string, how: 'attached' | 'detached'): Promise<void> {
    const ids = await attachedPlaybookIds(this.db, incidentId);
    await this.onAttachedChanged?.(incidentId, playbookId, ids).catch((e) =>
      this.log.warn(`could not show on the incident that a playbook was ${how}`, e),
    );
  }

  /** What a step would run with these values, as shown, for a confirmation; throws ParamsError on bad values. */
  preview(playbookId: string, key: string, values: Record<string, string>): string[] {
    const { step } = this.step(playbookId, key);
    if (step.type === 'text') throw new DomainError('not_runnable', 'That step is text to read, not something to run.');
    return this.shown(step, this.target(step, values));
  }

  /**
   * At the first click, before any parameters form or confirmation: refuses someone not in the host's channel, and
   * refuses (and records) a step this person may not run, naming who can, one that changes production on a resolved
   * incident, one of a detached playbook, or one that needs a second person when nobody else could approve it. The record shows the command as the runbook writes it, its parameters
   * unfilled.
   */
  async checkMayRun(host: PlaybookHost, playbookId: string, key: string, userId: string): Promise<void> {
    const { step } = this.step(playbookId, key);
    await this.checklists.checkMember(host, userId, playbookAct(playbookId).inChannel);
    await this.checklists.checkWorkable(host, playbookId);
    if (step.type !== 'command') return;
    const request = { host: hostRef(host), playbookId, key, kind: step.type, shown: step.run.map(this.mask) };
    await this.approvals.checkAllowed(request, step, userId);
    await this.approvals.checkOpen(host, request, step, userId);
    await this.approvals.checkApprovable(request, step, userId);
  }

  /**
   * What a person is shown of a target, and of any text from a run: secrets masked by pattern and, by value, the
   * ones the bot knows (its tokens, every COMMAND_ENV value), so a known value typed as a parameter is never stored.
   */
  readonly mask: (text: string) => string;

  shown(step: RunnableStep, target: string[]): string[] {
    return shownTarget(step, target, this.mask);
  }

  private readonly sealer: Sealer;

  /**
   * The values as typed, carried beyond this request (a confirmation form's metadata, an approval request's row):
   * every secret parameter sealed, never in clear. So is any other value that holds what a person is never shown (a
   * known secret value, a token typed as a node id or an object key): it is shown masked, so it is not kept in clear
   * either. And so is a value typed that merely starts as a sealed one does (an object key `sealed:v1:…`): every
   * carried value with that start is then one the bot sealed, and openParams gives each back exactly as typed.
   */
  sealParams(step: RunnableStep, values: Record<string, string>): Record<string, string> {
    if (step.type !== 'command') return values;
    const secret = new Set(maskedParams(step));
    const out = { ...values };
    for (const [name, v] of Object.entries(out)) {
      if (v === '') continue;
      if (secret.has(name) || isSealed(v) || this.mask(v) !== v) out[name] = this.sealer.seal(v);
    }
    return out;
  }

  /**
   * The values as typed, from values carried by sealParams (a confirmation form's metadata, an approval request's
   * row); one that cannot be opened is refused with what to do. Only carried values are opened: values as typed never
   * are, whatever they start with.
   */
  openParams(step: RunnableStep, values: Record<string, string>): Record<string, string> {
    if (step.type !== 'command') return values;
    const out = { ...values };
    for (const [name, v] of Object.entries(out)) {
      if (!isSealed(v)) continue;
      const opened = this.sealer.open(v);
      if (opened === null) {
        throw new DomainError(
          'sealed_value',
          `The \`${name}\` typed for this step can no longer be read (the bot's keys changed since): run the step again and type it anew.`,
        );
      }
      out[name] = opened;
    }
    return out;
  }

  /** The argv (or URL) a step runs with these values as typed; throws ParamsError naming each bad value. */
  target(step: RunnableStep, values: Record<string, string>): string[] {
    return runnerFor(step).target(step, values, this.opts);
  }

  /**
   * Runs a read-only step quietly, for a look before a form is answered (the deployment history a version typed is
   * checked against): not recorded nor posted, and cut short at `timeoutMs`. Its outcome, the output redacted.
   */
  async peek(
    step: RunnableStep,
    timeoutMs: number,
  ): Promise<{ state: RunView['state']; full: string; detail: string }> {
    const target = this.target(step, {});
    const { state, full, detail, exitCode } = await runnerFor(step).run(
      target,
      { ...step, timeoutMs },
      () => {},
      this.opts,
    );
    return { state, full, detail: detail ?? (exitCode !== null ? `exit ${exitCode}` : state) };
  }

  /**
   * Runs a step for an incident or a run outside one, with its values as typed (a confirmation's carried values are
   * opened first: openParams); the output goes under the playbook (in its thread). A step that needs a second person
   * is not run: an approval request is posted instead, its values carried sealed.
   */
  async run(
    host: PlaybookHost,
    playbookId: string,
    key: string,
    userId: string,
    values: Record<string, string> = {},
  ): Promise<{ kind: 'ran'; verdict?: RollbackVerdict } | { kind: 'approval_requested' }> {
    const { playbook, step } = this.step(playbookId, key);
    if (step.type === 'text') throw new DomainError('not_runnable', 'That step is text to read, not something to run.');
    // Checked again here, not only at the click: a form's submission (or a forged one) is its own request.
    await this.checklists.checkMember(host, userId, playbookAct(playbookId).inChannel);
    await this.checklists.checkWorkable(host, playbookId);
    const target = this.target(step, values);
    const shown = this.shown(step, target);
    const request = { host: hostRef(host), playbookId, key, kind: step.type, shown };
    await this.approvals.checkAllowed(request, step, userId);
    await this.approvals.checkOpen(host, request, step, userId);
    if (step.type === 'command' && step.approval) {
      await this.approvals.request(host, playbook, step, request, this.sealParams(step, values), userId);
      return { kind: 'approval_requested' };
    }
    const { verdict } = await this.perform({ host, playbook, step, key, target, userId, approvedBy: null });
    return verdict ? { kind: 'ran', verdict } : { kind: 'ran' };
  }

  /**
   * Runs a step a person asked for, at once or once approved. A rollback (`atom-cli rollback …`, from the card or a
   * playbook) is followed by the runbook's post-deployment verification.
   */
  async perform(run: StepRun): Promise<RunResult & { verdict?: RollbackVerdict }> {
    const r = await this.execute(run);
    if (isRollbackStep(run.step)) {
      this.metrics.rolledBack(r.view.state);
      // The lists of deployments are marked out of date with its record (recordRollback), and redrawn once it is said.
      const verdict = await this.verification.afterRollback(run.host, run.playbook, run.target, r, run.userId);
      return { ...r, verdict };
    } else if (isDeployStep(run.step) && r.view.state === 'succeeded') {
      const shown = this.shown(run.step, run.target).join(' ');
      const passed = await this.verification.afterDeploy(run.host, run.playbook, shown, run.userId);
      // The lists posted before it are out of date; not the one its failed checks offer next.
      await this.changedProduction(run.host, { kind: 'deploy', at: new Date(), by: run.userId, deployed: shown });
      if (passed === false && this.rollbackOffer) await this.rollbackOffer(run.host, run.userId);
    }
    return r;
  }

  /**
   * What follows a rollback or a deploy (the composition root sets it): the lists of deployments still showing Roll
   * back buttons are marked out of date in the transaction given (`q`); what it returns redraws them, once committed.
   */
  productionChanged: ((q: Queryable, host: PlaybookHost, why: ListOutOfDate) => Promise<() => Promise<void>>) | null =
    null;

  private async changedProduction(host: PlaybookHost, why: ListOutOfDate): Promise<void> {
    try {
      await (await this.productionChanged?.(this.db, host, why))?.();
    } catch (e) {
      this.log.warn('could not show the lists of deployments out of date', e);
    }
  }

  /**
   * Keeps how a rollback ended on its host's timeline (`rollback_verified`) and, in the same transaction, marks the
   * lists of deployments out of date: a crash between could otherwise leave their buttons live, offering versions no
   * longer right. Returns what redraws them, for after the verdict is said.
   */
  private async recordRollback(host: PlaybookHost, userId: string, verdict: RollbackVerdict) {
    const why: ListOutOfDate = { kind: 'rollback', past: { at: new Date(), by: userId, verdict } };
    const redraw = await this.db.transaction(async (tx) => {
      await recordStepEvent(tx, hostRef(host), 'rollback_verified', userId, { ...verdict });
      return this.productionChanged ? await this.productionChanged(tx, host, why) : null;
    });
    return async () => {
      await redraw?.().catch((e) => this.log.warn('could not show the lists of deployments out of date', e));
    };
  }

  /**
   * What a deployment whose post-deployment verification failed offers: the one-click rollback (the recent
   * deployments, each with Roll back to vN), set by the composition root once the rollback service exists.
   */
  rollbackOffer: ((host: PlaybookHost, userId: string) => Promise<void>) | null = null;

  /**
   * What follows attaching or detaching a playbook (`attachedIds`: the incident's playbooks now, first attached
   * first): the incident keeps the RTO of some, and its card shows their recovery objectives.
   */
  onAttachedChanged:
    | ((incidentId: number, playbookId: string, attachedIds: readonly string[]) => Promise<void>)
    | null = null;

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
    const run = await insertRunningStep(this.db, {
      host: ref,
      playbookId,
      stepKey: key,
      kind: step.type,
      target: shown,
      requestedBy: userId,
      approvedBy,
      approvalId: approvalId ?? null,
    });
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
    const threadTs = await this.threadOf(host, playbookId);
    const notDone = await this.notDoneBefore(host, playbook, key);
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
      ...(step.type === 'command' && step.cwd ? { cwd: step.cwd } : {}),
      ...(step.expect ? { expected: step.expect } : {}),
      ...(notDone.length ? { notDone } : {}),
      ...(step.type === 'command' && step.lookFor ? { lookFor: step.lookFor } : {}),
    };
    let ts: string | null = null;
    try {
      ts = await this.chat.postRun(place, threadTs, view);
      await setRunThread(this.db, run.id, ts);
    } catch (err) {
      this.log.warn('could not post the run message; running anyway', err);
    }
    const showChecklist = this.checklists.refresh(host, playbookId, { focus: key });
    // Updates go one after another, so a slow progress update can never land after the final one.
    let chain: Promise<void> = Promise.resolve();
    const update = (v: RunView): Promise<void> => {
      if (!ts) return chain;
      const at = ts;
      chain = chain.then(() => this.chat.updateRun(place, at, v).catch((e) => this.log.warn('updateRun failed', e)));
      return chain;
    };

    // What it looks for (the runbook's `| grep "ERROR"`), as the timeline and the checklist say it.
    const words = step.type === 'command' && step.lookFor ? lookForWords(step.lookFor).slice(0, 300) : null;
    // The lines found so far are on the step's checklist line too while it runs, kept with the run (not every second;
    // a late one cannot undo the run's end: setRunFoundSoFar writes a running run only, and the checklist is re-read).
    const sofar = foundSoFar(async (f) => {
      await setRunFoundSoFar(this.db, run.id, f);
      await this.checklists.refresh(host, playbookId, { focus: key });
    }, this.log);
    let outcomeOf: StepOutcome;
    try {
      outcomeOf = await runnerFor(step).run(
        target,
        step,
        // The lines it looks for found so far are said while it runs too ("34 of 200 lines have "ERROR"").
        (p) => {
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
    await this.db.transaction(async (tx) => {
      await finishStepRun(tx, run.id, {
        state: final.state,
        exitCode: final.exitCode,
        durationMs: final.durationMs,
        digest,
        tail: final.tail,
        found,
      });
      await recordStepEvent(tx, ref, 'step_run', userId, {
        playbook: playbookId,
        step: key,
        target: shown,
        state: final.state,
        exitCode: final.exitCode,
        durationMs: Math.round(final.durationMs),
        digest,
        ...(found ? { found } : {}),
        // Run anyway with required steps (a deploy's prerequisites) neither done nor skipped: which, on the record.
        ...(notDone.length
          ? {
              notDone: notDone.map((s) => ({
                step: s.key,
                section: s.section,
                number: s.number,
                text: s.text.slice(0, 300),
              })),
            }
          : {}),
      });
    });
    this.metrics.stepRan(playbookId, final.state);
    if (ts) await update(final);
    else await this.chat.postRun(place, threadTs, final).catch((e) => this.log.warn('postRun failed', e));
    if (final.truncated && full) {
      await this.chat
        .uploadOutput(place, threadTs, `run-${run.id}-${playbookId}-${key}.txt`, full)
        .catch((e) => this.log.warn('could not attach the full output', e));
    }
    await showChecklist;
    if (host.kind === 'run' && playbookId === host.run.playbookId) await this.checklists.settleRun(host, playbook);
    await this.checklists.refresh(host, playbookId, { focus: key });
    return { view: final, full, ts };
  }
}
