import type { CommandStep, Playbook } from '../runbook/playbooks.js';
import type { Runbook } from '../runbook/runbook.js';
import type { Database } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import {
  approvalBehind,
  approvalRedrawn,
  decideApproval,
  getApproval,
  lockStepApprovals,
  type StepApproval,
  setApprovalNotRun,
} from '../store/step-approval.repo.js';
import { type ApprovalDrawing, requestView, type ViewOf } from './approval-drawing.js';
import type { ApprovalRefusals } from './approval-refusals.js';
import { AlreadyDoneError, DomainError, type Phrase } from './errors.js';
import { channelOf, hostRef, type PlaybookHost, recordStepEvent } from './playbook-host.js';
import type { IncidentChat, Logger, PlaybookChat } from './ports.js';
import type { StepRuns } from './step-runs.js';

/**
 * A second person's decision on an approval request: approved (the step then runs as the requester asked) or denied
 * (or withdrawn by the requester), once, by someone who may, added to a public incident's channel to decide when not
 * in it; then drawn everywhere the request was sent, what Slack refused left to the timer loop's sweep.
 */
export class ApprovalDecisions {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<IncidentChat, 'inviteToChannel'> & Pick<PlaybookChat, 'isMember'>,
    private readonly runbook: Runbook,
    private readonly runs: StepRuns,
    private readonly refusals: ApprovalRefusals,
    private readonly drawing: ApprovalDrawing,
    private readonly log: Logger = console,
    /** Masks the bot's known secret values in what people typed (see IncidentService's `typed`). */
    private readonly typed: (text: string) => string = (text) => text,
  ) {}

  /**
   * An approval request that is still waiting for a decision, with its command step and its host, asked about by
   * someone in the host's channel (as running a step is); else a clear refusal. Someone who may make this decision
   * (`mayDecide`) but is not in the channel of a public incident is to be added to it (`join`), by the caller, once the
   * decision will go ahead: an approver woken by the direct message need not find and join the channel before
   * approving. Any other channel (a private incident's, one made public, a run's) keeps them out: they are told how to
   * get in. A request already decided or closed is refused before anyone is added.
   */
  private async pendingApproval(
    approvalId: number,
    userId: string,
    decision: 'approve' | 'deny',
    mayDecide: (a: StepApproval) => Promise<boolean>,
  ) {
    const doing = `${decision} this request`;
    const a = await getApproval(this.db, approvalId);
    if (!a) throw new DomainError('approval_not_found', 'That approval request no longer exists.');
    const { playbook, step } = this.runs.step(a.playbookId, a.stepKey);
    if (step.type !== 'command') throw new DomainError('not_runnable', 'That step cannot be run.');
    const host = await this.runs.host(a.host);
    const channel = channelOf(host);
    let join = false;
    if (!channel || !(await this.chat.isMember(channel, userId))) {
      // Someone who could not be added (a private channel, a run's, not theirs to decide) learns nothing of it.
      const joinable = (await this.runs.openToJoin(host)) && (await mayDecide(a));
      if (!joinable) await this.runs.checkMember(host, userId, doing);
      else join = true;
    }
    if (a.state !== 'pending') throw notPending(a);
    return { a, playbook, step, host, join };
  }

  /**
   * Adds someone who pressed Approve or Deny (in a direct message) to the public incident's channel: Slack's own line
   * says the bot added them, and an approval's request says they were added to approve it. When Slack will not (the
   * app lacks a scope), the refusal says so and to join the channel themselves.
   */
  private async addToChannel(
    host: PlaybookHost,
    userId: string,
    decision: 'approve' | 'deny',
    what: { a: StepApproval; playbook: Playbook; step: CommandStep },
  ): Promise<void> {
    if (host.kind !== 'incident' || !host.incident.channelId) return;
    let failure: string | null = null;
    try {
      const { unreachable } = await this.chat.inviteToChannel(host.incident, [userId], 'add you to it');
      if (unreachable.length) failure = 'Slack would not let the bot add you to it.';
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      this.log.warn(`could not add ${userId} to the incident channel to ${decision} a request`, e);
      failure = e.message;
    }
    if (!failure) {
      // Who was let into the channel, and for what, is on the timeline: Slack's own line says only that the bot did.
      await insertEvent(this.db, host.incident.id, 'member_added', userId, {
        userId,
        why: 'approver',
        decision,
        approval: what.a.id,
        playbook: what.playbook.id,
        title: what.playbook.title,
        step: what.a.stepKey,
        text: what.step.text.slice(0, 300),
      }).catch((e) => this.log.warn(`could not record that ${userId} was added to the incident channel`, e));
      return;
    }
    throw new DomainError('not_in_channel', [
      'Only people in ',
      { channel: host.incident.channelId },
      ` may ${decision} this request, and you are not in it. ${failure} Join the channel yourself, then press the button again.`,
    ]);
  }

  /**
   * Records the decision and its timeline event, once: a second decision finds it already made. Under the step's
   * approval lock, as a skip or a Done tick of the step is: an approval finding the step skipped or done (a tick that
   * came first, which closed this request) is refused, and runs nothing.
   */
  private async decide(
    host: PlaybookHost,
    approvalId: number,
    d: { state: 'approved' | 'denied'; decidedBy: string; reason: string | null; added: boolean },
    shown: string[],
    step: { playbookId: string; key: string },
  ) {
    const { state, decidedBy: userId, reason } = d;
    const ref = hostRef(host);
    const decided = await this.db.transaction(async (tx) => {
      if (state === 'approved') {
        // Looked at again under their locks, as resolving and detaching take them: an incident resolved or a playbook
        // detached since the checks before (a race) lets nothing run.
        if (ref.kind === 'incident') {
          const now = await getIncident(tx, ref.id, { forUpdate: true });
          if (now?.status === 'resolved') {
            throw new AlreadyDoneError(
              'Not run: the incident was resolved, which closed this request. Nothing was run.',
            );
          }
        }
        await this.runs.checkWorkable(host, step.playbookId, tx);
      }
      await lockStepApprovals(tx, ref, step.playbookId, step.key);
      const made = await decideApproval(tx, approvalId, d);
      if (made) {
        await recordStepEvent(tx, ref, 'approval_decided', userId, {
          approval: approvalId,
          state,
          // The requester turning down their own request withdrew it: nobody denied them.
          ...(state === 'denied' && made.requestedBy === userId ? { withdrawn: true } : {}),
          ...(reason === null ? {} : { reason }),
          target: shown,
        });
      }
      return made;
    });
    if (!decided) {
      const now = await getApproval(this.db, approvalId);
      throw now && now.state !== 'pending'
        ? notPending(now)
        : new AlreadyDoneError('This request was already decided.');
    }
    return decided;
  }

  /**
   * A second person with the approver role lets a requested step run; it then runs as the requester asked. Every
   * reason to refuse (decided or closed already, not an approver, the incident resolved, the playbook detached) is
   * looked at before an approver outside a public incident's channel is added to it: nobody is pulled into a channel
   * for a press that runs nothing. Once the run ends, the request (in the channel and every direct message) says how.
   */
  async approve(approvalId: number, userId: string): Promise<void> {
    const approvers = this.runbook.access.approvers;
    const { a, playbook, step, host, join } = await this.pendingApproval(
      approvalId,
      userId,
      'approve',
      async (x) => userId !== x.requestedBy && (await this.refusals.isIn(approvers, userId)),
    );
    const target = this.runs.target(step, this.runs.openParams(step, a.params));
    const shown = this.runs.shown(step, target);
    if (userId === a.requestedBy) {
      throw new DomainError('same_person', 'A different person must approve: you asked for this run.');
    }
    if (!(await this.refusals.isIn(approvers, userId))) {
      const why: Phrase = approvers.length
        ? ['Only approvers may approve this: ', { people: approvers }, '.']
        : ['No approvers are configured: add them under `access.approvers` in the runbook file.'];
      const r = { host: a.host, playbookId: a.playbookId, key: a.stepKey, kind: step.type, shown };
      await this.refusals.recordRefusal(r, userId, why);
    }
    const request = { host: a.host, playbookId: a.playbookId, key: a.stepKey, kind: step.type, shown };
    await this.refusals.checkOpen(host, request, step, userId);
    await this.runs.checkWorkable(host, a.playbookId);
    if (join) await this.addToChannel(host, userId, 'approve', { a, playbook, step });
    await this.decide(host, approvalId, { state: 'approved', decidedBy: userId, reason: null, added: join }, shown, {
      playbookId: a.playbookId,
      key: a.stepKey,
    });
    const viewOf = (x: StepApproval) => requestView(x, playbook, step, shown, this.runbook.access.approvers);
    await this.drawDecided(host, approvalId, viewOf);
    try {
      await this.runs.perform({
        host,
        playbook,
        step,
        key: a.stepKey,
        target,
        userId: a.requestedBy,
        approvedBy: userId,
        approvalId,
      });
    } catch (e) {
      // Approved but not run (the step already running, say): the request says so, not "running it now".
      if (e instanceof DomainError) {
        await setApprovalNotRun(this.db, approvalId, e.phrase).catch((x) =>
          this.log.warn(`could not record why request ${approvalId} did not run`, x),
        );
        await this.drawDecided(host, approvalId, viewOf);
      }
      throw e;
    }
    // Drawn from the record: its run (linked to it) says how it ended, with a link to its output.
    await this.drawDecided(host, approvalId, viewOf);
  }

  /**
   * The decision's own drawing of its request, in the channel and every direct message. What Slack refused is left to
   * the timer loop's sweep (ApprovalRedraws), which draws it again (its channel message too when Slack refused that
   * one), as it does a closed request's: the decision made it due (decideApproval), and a drawing Slack took
   * everywhere makes it due no more. Only the behind mark this drawing read is cleared (see approvalRedrawn).
   */
  private async drawDecided(host: PlaybookHost, approvalId: number, viewOf: ViewOf): Promise<void> {
    const drawn = await this.drawing.draw(host, approvalId, viewOf);
    if (!drawn) return;
    const { shown, messageShown, approval } = drawn;
    const mark = approval.behindMark;
    await (shown
      ? approvalRedrawn(this.db, approvalId, { dms: approval.dms, message: true, mark })
      : approvalBehind(this.db, approvalId, { message: messageShown, mark })
    ).catch((e) => this.log.warn(`could not record whether request ${approvalId} is shown as decided`, e));
  }

  /**
   * Refuses (with the reason) a denial this person may not make: at Deny's click, before its form, and again with the
   * form. Only someone in the host's channel, an approver or the requester (withdrawing), of a request still waiting;
   * someone a public incident's channel will take is added to it with `add` (the denial itself), not at the click.
   */
  async checkMayDeny(approvalId: number, userId: string, opts: { add?: boolean } = {}): Promise<MayDeny> {
    const approvers = this.runbook.access.approvers;
    const found = await this.pendingApproval(
      approvalId,
      userId,
      'deny',
      async (x) => userId === x.requestedBy || (await this.refusals.isIn(approvers, userId)),
    );
    if (userId !== found.a.requestedBy && !(await this.refusals.isIn(approvers, userId))) {
      throw new DomainError('not_allowed', [
        'Only approvers (or the person who asked) may deny this: ',
        { people: approvers },
        '.',
      ]);
    }
    // Added once the denial is sent (`add`), not when its form opens: a form closed unsent leaves them out.
    if (found.join && opts.add) await this.addToChannel(found.host, userId, 'deny', found);
    return { ...found, added: found.join && opts.add === true };
  }

  /**
   * An approver (or the requester, withdrawing) turns a request down, saying why (a known secret value masked).
   * `checked`: checkMayDeny's answer for this person with `add` (the form's submit has it already, and the request is
   * not read again; a decision made since is found by the decision itself, under its lock); else it is asked here.
   */
  async deny(approvalId: number, userId: string, typedReason: string, checked?: MayDeny): Promise<void> {
    const reason = this.typed(typedReason);
    const { a, playbook, step, host, added } =
      checked && checked.a.id === approvalId ? checked : await this.checkMayDeny(approvalId, userId, { add: true });
    const shown = this.runs.shown(step, this.runs.target(step, this.runs.openParams(step, a.params)));
    await this.decide(host, approvalId, { state: 'denied', decidedBy: userId, reason, added }, shown, {
      playbookId: a.playbookId,
      key: a.stepKey,
    });
    await this.drawDecided(host, approvalId, (x) =>
      requestView(x, playbook, step, shown, this.runbook.access.approvers),
    );
  }
}

/** A request this person may deny (checkMayDeny's answer): the request, its step, its host; whether they were added. */
export interface MayDeny {
  a: StepApproval;
  playbook: Playbook;
  step: CommandStep;
  host: PlaybookHost;
  join: boolean;
  added: boolean;
}

/** The refusal of a press on a request that waits no more: decided, or closed (and why: nothing ran). */
function notPending(a: StepApproval): AlreadyDoneError {
  if (a.state !== 'closed') {
    return new AlreadyDoneError([
      `This request was already ${a.state} by `,
      a.decidedBy ? { people: [a.decidedBy] } : 'someone',
      '.',
    ]);
  }
  const who: Phrase[number] = a.decidedBy ? { people: [a.decidedBy] } : 'someone';
  switch (a.closedWhy) {
    case 'step_skipped':
      return new AlreadyDoneError([
        'Not run: ',
        who,
        ` skipped the step${a.reason ? ` (${a.reason})` : ''}, which closed this request. Nothing was run.`,
      ]);
    case 'step_done':
      return new AlreadyDoneError([
        'Not run: ',
        who,
        ' ticked the step done, which closed this request. Nothing was run.',
      ]);
    case 'playbook_detached':
      return new AlreadyDoneError([
        'Not run: ',
        who,
        ' detached the playbook from the incident, which closed this request. Nothing was run.',
      ]);
    case 'incident_resolved':
      return new AlreadyDoneError('Not run: the incident was resolved, which closed this request. Nothing was run.');
    default:
      return new AlreadyDoneError('Not run: this request was closed. Nothing was run.');
  }
}
