import type { RunnerOptions } from '../ops/step-runners.js';
import { titleClaims } from '../runbook/alert-rules.js';
import { lastAnswers } from '../runbook/last-answers.js';
import { findStep } from '../runbook/playbook-steps.js';
import type { Playbook, PlaybookStep, RunnableStep } from '../runbook/playbooks.js';
import { isRollbackStep, ROLLBACK } from '../runbook/rollback-playbook.js';
import type { Runbook } from '../runbook/runbook.js';
import { suggestPlaybook, winningClaim } from '../runbook/suggest-playbook.js';
import { releaseChecklistPost } from '../store/checklist-post.repo.js';
import type { Database, Queryable } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncidentByChannel } from '../store/incident.repo.js';
import {
  attachedPlaybookIds,
  attachPlaybook,
  detachPlaybook,
  getAttachedPlaybook,
} from '../store/incident-playbook.repo.js';
import { getPlaybookRun } from '../store/playbook-run.repo.js';
import type { AlertRule } from './alert-types.js';
import { Checklists } from './checklist.service.js';
import { CHECKLIST_POST_LEASE_MS, holdingPost, keepPost } from './checklist-messages.js';
import {
  AlreadyDoneError,
  ChatPlatformError,
  DomainError,
  mayHaveBeenDone,
  NotAnIncidentChannelError,
} from './errors.js';
import { incidentOrThrow } from './find-incident.js';
import { playbookAct } from './playbook-acts.js';
import { type HostRef, hostRef, type PlaybookHost, recordStepEvent } from './playbook-host.js';
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
import { StepExecutor } from './step-execution.js';
import type { RunResult, StepRun, StepRuns } from './step-runs.js';
import { StepValues } from './step-values.js';
import type { Incident } from './types.js';
import { isDeployStep, PostDeploymentVerification } from './verification.service.js';

export type PlaybookServiceOptions = RunnerOptions & {
  /** How long a running run is held without a renewal (STEP_RUN_LEASE; default STEP_RUN_LEASE_MS). */
  runLeaseMs?: number;
  /**
   * How long an attached playbook is held while its checklist is posted, renewed meanwhile (CHECKLIST_POST_LEASE;
   * default CHECKLIST_POST_LEASE_MS; see ChecklistMessages).
   */
  checklistPostLeaseMs?: number;
};

/** Titles whose suggested playbook PlaybookService keeps (a storm repeats a few titles thousands of times). */
const SUGGESTIONS_KEPT = 1000;

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
    opts: PlaybookServiceOptions,
    private readonly log: Logger = console,
    private readonly metrics: IncidentMetrics = NO_METRICS,
    /** Masks the bot's known secret values in what people typed (a Deny's or a Skip's reason). */
    typed: (text: string) => string = (text) => text,
  ) {
    this.values = new StepValues(opts);
    this.postLeaseMs = opts.checklistPostLeaseMs ?? CHECKLIST_POST_LEASE_MS;
    this.mask = this.values.mask;
    this.approvals = new StepApprovals(db, chat, runbook, this, log, typed);
    this.verification = new PostDeploymentVerification(chat, this, (host, userId, verdict) =>
      this.recordRollback(host, userId, verdict),
    );
    this.checklists = new Checklists(db, chat, runbook, log, typed);
    this.checklists.onApprovalsClosed = (host, closed) => this.approvals.showClosed(host, closed);
    this.executor = new StepExecutor(
      db,
      chat,
      this.checklists,
      opts,
      (s, t) => this.shown(s, t),
      metrics,
      log,
      opts.runLeaseMs,
    );
  }

  /** How long an attached playbook is held while its checklist is posted (see ChecklistMessages). */
  private readonly postLeaseMs: number;

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

  /**
   * The playbook a title suggests, or null. Each title's answer is kept (the last SUGGESTIONS_KEPT titles): the runbook
   * does not change while the bot runs, and an alert storm asks it of a few titles again and again (whether each alert
   * is a security one, then the playbook of each incident it declares: about 2.5 ms a title on a 2-core machine).
   */
  readonly suggestionFor: (title: string) => Playbook | null = lastAnswers(SUGGESTIONS_KEPT, (title) => {
    const id = suggestPlaybook(title, this.runbook.playbooks, this.claims);
    return id ? (this.runbook.playbooks.find((p) => p.id === id) ?? null) : null;
  });

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

  /**
   * Posts a playbook in the incident channel (once per incident, or again once detached), with its checklist. The
   * attachment is held while Slack takes the post: should this process die before it records where it went, or Slack's
   * answer be lost (or Slack refuse it), the sweep (ChecklistMessages) finds the post by its marker and records it, or
   * posts it. Attached all the same; the person is told when the checklist is not up yet.
   */
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
    const fresh = await attachPlaybook(
      this.db,
      incidentId,
      playbookId,
      actorId,
      { playbook: playbookId, suggested },
      this.postLeaseMs,
    );
    if (!fresh) return { already: true };
    const notUp = await this.postAttached(incident, playbook).then(
      () => null,
      (e: unknown) => e,
    );
    // Attached, its checklist up or on its way: the incident shows it.
    await this.attachedChanged(incidentId, playbookId, 'attached');
    if (notUp) throw notUp;
    return { already: false };
  }

  /** Posts an attached playbook's checklist in the incident channel and records where (see attach). */
  private async postAttached(incident: Incident, playbook: Playbook): Promise<void> {
    const key = { kind: 'attached', incidentId: incident.id, playbookId: playbook.id } as const;
    const { view } = await this.checklists.view({ kind: 'incident', incident }, playbook);
    let posted: string;
    try {
      posted = await holdingPost(this.db, key, this.postLeaseMs, () => this.chat.postPlaybook(incident, view));
    } catch (err) {
      if (!(err instanceof ChatPlatformError)) throw err;
      // Left to the sweep now: it finds the post by its marker, or posts it (once), trying again a few times.
      await releaseChecklistPost(this.db, key).catch((e) => this.log.warn('could not release the attachment', e));
      throw new DomainError(err.code, [
        `${err.message} `,
        { name: playbook.title },
        mayHaveBeenDone(err)
          ? ' is attached, and Slack may have posted its checklist all the same: it will be found in the incident channel, or posted there, within a minute or two.'
          : ' is attached all the same: the bot tries posting its checklist in the incident channel again for about half an hour, so it comes once what Slack said is put right (should it give up, you are told in a direct message).',
      ]);
    }
    try {
      await keepPost(this.db, this.chat, this.log, key, incident, posted);
    } catch (err) {
      // Its hold runs out, and the sweep records the post it finds by its marker.
      this.log.warn(
        `could not record where incident ${incident.id}'s ${playbook.id} checklist went; the sweep will`,
        err,
      );
      throw new DomainError('checklist_not_recorded', [
        'The checklist of ',
        { name: playbook.title },
        ' is posted in the incident channel, but where it went could not be recorded (the database did not answer): it will be within a minute or two.',
      ]);
    }
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

  /** Fills in, masks, seals and opens the values steps run with. */
  private readonly values: StepValues;

  shown(step: RunnableStep, target: string[]): string[] {
    return this.values.shown(step, target);
  }

  /** The values as typed, carried sealed beyond this request (see StepValues.sealParams). */
  sealParams(step: RunnableStep, values: Record<string, string>): Record<string, string> {
    return this.values.sealParams(step, values);
  }

  openParams(step: RunnableStep, values: Record<string, string>): Record<string, string> {
    return this.values.openParams(step, values);
  }

  target(step: RunnableStep, values: Record<string, string>): string[] {
    return this.values.target(step, values);
  }

  /** A read-only step run quietly, for a look before a form is answered (see StepValues.peek). */
  peek(step: RunnableStep, timeoutMs: number): Promise<{ state: RunView['state']; full: string; detail: string }> {
    return this.values.peek(step, timeoutMs);
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
  notDoneBefore(host: PlaybookHost, playbook: Playbook, key: string): Promise<NotDoneStep[]> {
    return this.executor.notDoneBefore(host, playbook, key);
  }

  /** Runs one checked, allowed step and reports it (see StepExecutor). */
  private readonly executor: StepExecutor;

  execute(run: StepRun): Promise<RunResult> {
    return this.executor.execute(run);
  }
}
