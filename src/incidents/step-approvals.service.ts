import type { CommandStep, Playbook, RunnableStep } from '../runbook/playbooks.js';
import type { Runbook } from '../runbook/runbook.js';
import type { Database } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import {
  approvalBehind,
  approvalRedrawn,
  decideApproval,
  getApproval,
  insertApproval,
  lockPendingApproval,
  lockStepApprovals,
  type StepApproval,
  setApprovalMessage,
  setApprovalNotRun,
} from '../store/step-approval.repo.js';
import { insertRefusedStep, playbookMessage } from '../store/step-run.repo.js';
import { closeApprovals } from './approval-closing.js';
import { ApprovalDms } from './approval-dms.js';
import { ApprovalDrawing, type ViewOf } from './approval-drawing.js';
import { AlreadyDoneError, DomainError, type Phrase, plainText } from './errors.js';
import { playbookAct } from './playbook-acts.js';
import { channelOf, type HostRef, hostRef, type PlaybookHost, placeOf, recordStepEvent } from './playbook-host.js';
import type { ApprovalDm, ApprovalView, IncidentChat, Logger, PlaybookChat } from './ports.js';
import type { StepRuns } from './step-runs.js';

/** Where a step is asked for: whose (an incident, a run outside one), which playbook and step, what it would run. */
export interface StepRequest {
  host: HostRef;
  playbookId: string;
  key: string;
  kind: RunnableStep['type'];
  shown: string[];
}

/**
 * Who may run a step that changes production (responders), and the second person some steps need (approvers):
 * refusals are recorded and name who can; requests are posted with Approve and Deny, sent to each approver in a
 * direct message with the same buttons, and run once approved.
 */
export class StepApprovals {
  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat & PlaybookChat,
    private readonly runbook: Runbook,
    private readonly runs: StepRuns,
    private readonly log: Logger = console,
    /** Masks the bot's known secret values in what people typed (see IncidentService's `typed`). */
    private readonly typed: (text: string) => string = (text) => text,
  ) {
    this.drawing = new ApprovalDrawing(db, chat, log);
    this.dms = new ApprovalDms(db, chat, runbook, runs, this.drawing, log);
  }

  /** Each request drawn as it is now, everywhere it was sent. */
  private readonly drawing: ApprovalDrawing;

  /** Who could approve a request, and the request in each approver's direct messages. */
  private readonly dms: ApprovalDms;

  /**
   * Why this person may not run (or ask to run) this step of this playbook, or null when they may. Refusals name who
   * can.
   */
  async refusal(playbookId: string, step: RunnableStep, userId: string): Promise<Phrase | null> {
    if (step.type !== 'command' || (!step.destructive && !step.approval)) return null;
    const { changes, may } = playbookAct(playbookId);
    const responders = this.runbook.access.responders;
    if (responders.length === 0) {
      return [
        `${changes} and only responders may ${may}, but no responders are configured: add them under \`access.responders\` in the runbook file.`,
      ];
    }
    if (await this.isIn(responders, userId)) return null;
    return [`${changes}; only responders may ${may}: `, { people: responders }, '.'];
  }

  private async isIn(contacts: string[], userId: string): Promise<boolean> {
    if (contacts.includes(userId)) return true;
    if (!contacts.some((c) => c.startsWith('S'))) return false;
    const { userIds } = await this.chat.resolveContacts(contacts);
    return userIds.includes(userId);
  }

  /** Records a refused attempt and its timeline event, then throws the refusal for the person who asked. */
  async recordRefusal(r: StepRequest, userId: string, phrase: Phrase): Promise<never> {
    const refusal = plainText(phrase);
    await this.db.transaction(async (tx) => {
      await insertRefusedStep(tx, {
        host: r.host,
        playbookId: r.playbookId,
        stepKey: r.key,
        kind: r.kind,
        target: r.shown,
        requestedBy: userId,
        refusal,
      });
      await recordStepEvent(tx, r.host, 'step_refused', userId, {
        playbook: r.playbookId,
        step: r.key,
        target: r.shown,
        refusal,
        // The refusal as the reply showed it (people named, not by id), for the timeline to show it the same way.
        refusalPhrase: phrase,
      });
    });
    throw new DomainError('not_allowed', phrase);
  }

  /**
   * Throws (and records) the refusal of a step that changes production on a resolved incident. Refused rather than
   * confirmed: a resolved incident is in its post-mortem, its escalation and updates are over, so a change to
   * production now belongs to an open incident, tracked, paged and announced as one: this one reopened (its trouble is
   * back), or a new one.
   */
  async checkOpen(host: PlaybookHost, r: StepRequest, step: RunnableStep, userId: string): Promise<void> {
    if (host.kind !== 'incident' || host.incident.status !== 'resolved') return;
    if (step.type !== 'command' || (!step.destructive && !step.approval)) return;
    await this.recordRefusal(r, userId, [
      `This incident is resolved, so nothing that changes production runs from it. If its trouble is back, reopen it first (\`/incident reopen [why]\`, or the card's Reopen); if this is for something new, declare a new incident (\`/incident sev2 <title>\`)${playbookAct(r.playbookId).elsewhere(r.playbookId)}.`,
    ]);
  }

  /**
   * Throws (and records) the refusal of a step that needs a second person when nobody could approve this person's
   * request: no approvers configured, or this person is the only one. At the first click, before any form, and again
   * before a request is posted. Returns who could approve it (null: not known, Slack could not say; undefined: the step
   * needs no approval), for the request to be sent to them without asking Slack again.
   */
  async checkApprovable(
    r: StepRequest,
    step: RunnableStep,
    userId: string,
  ): Promise<{ all: string[]; others: string[] } | null | undefined> {
    if (step.type !== 'command' || !step.approval) return undefined;
    const approvers = this.runbook.access.approvers;
    if (approvers.length === 0) {
      await this.recordRefusal(r, userId, [
        'This step needs approval by a second person, but no approvers are configured: add them under `access.approvers` in the runbook file.',
      ]);
    }
    const found = await this.dms.otherApprovers(userId);
    if (!found || found.others.length > 0) return found;
    return await this.recordRefusal(
      r,
      userId,
      found.all.length === 0
        ? [
            'This step needs approval by a second person, but nobody could be found among its approvers (',
            { people: approvers },
            '): add people under `access.approvers` in the runbook file.',
          ]
        : [
            'This step needs approval by a second person, and you are its only approver (',
            { people: approvers },
            '): add another under `access.approvers` in the runbook file, so that someone else can approve it.',
          ],
    );
  }

  /** Throws (and records) the refusal when this person may not run or ask for this step. */
  async checkAllowed(r: StepRequest, step: RunnableStep, userId: string): Promise<void> {
    const refused = await this.refusal(r.playbookId, step, userId);
    if (refused) await this.recordRefusal(r, userId, refused);
  }

  /** Posts a request for a second person to approve running this step with these values. */
  async request(
    host: PlaybookHost,
    playbook: Playbook,
    step: CommandStep,
    r: StepRequest,
    values: Record<string, string>,
    userId: string,
  ): Promise<void> {
    const approvers = await this.checkApprovable(r, step, userId);
    const made = await this.db.transaction(
      async (tx): Promise<{ waiting: StepApproval } | { created: StepApproval }> => {
        // A second Run of the same step with the same values while a request waits would post a second request, and
        // approving both would run it twice (every node restarted twice): the person is pointed at the one waiting.
        const waiting = await lockPendingApproval(tx, {
          host: r.host,
          playbookId: r.playbookId,
          stepKey: r.key,
          params: values,
        });
        if (waiting) return { waiting };
        const created = await insertApproval(tx, {
          host: r.host,
          playbookId: r.playbookId,
          stepKey: r.key,
          params: values,
          requestedBy: userId,
        });
        await recordStepEvent(tx, r.host, 'approval_requested', userId, {
          approval: created.id,
          playbook: r.playbookId,
          step: r.key,
          target: r.shown,
        });
        return { created };
      },
    );
    if ('waiting' in made) {
      const link = made.waiting.messageTs
        ? await this.chat.permalink(placeOf(host), made.waiting.messageTs).catch(() => null)
        : null;
      throw new AlreadyDoneError([
        'This step already waits for approval, asked by ',
        { people: [made.waiting.requestedBy] },
        ': ',
        link ? { link, label: 'see the request' } : 'the request is in the thread under the playbook',
        '. An approver presses Approve and run on it (Deny withdraws it); no second request was posted.',
      ]);
    }
    const a = made.created;
    const threadTs =
      host.kind === 'run' ? host.run.messageTs : await playbookMessage(this.db, host.incident.id, r.playbookId);
    const reach = await this.dms.reach(host, userId, approvers);
    const viewOf = (x: StepApproval) => this.approvalView(x, playbook, step, r.shown);
    // The approvers outside the channel are named as sent it in a direct message; one that fails is corrected then.
    const ts = await this.chat.postApproval(placeOf(host), threadTs, {
      ...viewOf(a),
      outside: reach.outside.map((u) => ({ userId: u, dmed: true })),
      notAsked: reach.notAsked,
    });
    await setApprovalMessage(this.db, a.id, ts);
    await this.dms.send(host, { ...a, messageTs: ts }, reach, viewOf);
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
      closedWhy: a.closedWhy,
      decidedBy: a.decidedBy,
      reason: a.reason,
      ...(a.addedToDecide ? { addedToDecide: true } : {}),
    };
  }

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
      async (x) => userId !== x.requestedBy && (await this.isIn(approvers, userId)),
    );
    const target = this.runs.target(step, this.runs.openParams(step, a.params));
    const shown = this.runs.shown(step, target);
    if (userId === a.requestedBy) {
      throw new DomainError('same_person', 'A different person must approve: you asked for this run.');
    }
    if (!(await this.isIn(approvers, userId))) {
      const why: Phrase = approvers.length
        ? ['Only approvers may approve this: ', { people: approvers }, '.']
        : ['No approvers are configured: add them under `access.approvers` in the runbook file.'];
      const r = { host: a.host, playbookId: a.playbookId, key: a.stepKey, kind: step.type, shown };
      await this.recordRefusal(r, userId, why);
    }
    const request = { host: a.host, playbookId: a.playbookId, key: a.stepKey, kind: step.type, shown };
    await this.checkOpen(host, request, step, userId);
    await this.runs.checkWorkable(host, a.playbookId);
    if (join) await this.addToChannel(host, userId, 'approve', { a, playbook, step });
    await this.decide(host, approvalId, { state: 'approved', decidedBy: userId, reason: null, added: join }, shown, {
      playbookId: a.playbookId,
      key: a.stepKey,
    });
    const viewOf = (x: StepApproval) => this.approvalView(x, playbook, step, shown);
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
   * the timer loop's sweep (ApprovalRedraws), which draws it again, its channel message included, as it does a closed
   * request's: the decision made it due (decideApproval), and a drawing Slack took everywhere makes it due no more.
   */
  private async drawDecided(host: PlaybookHost, approvalId: number, viewOf: ViewOf): Promise<void> {
    const drawn = await this.drawing.draw(host, approvalId, viewOf);
    if (!drawn) return;
    const { shown, approval } = drawn;
    await (shown
      ? approvalRedrawn(this.db, approvalId, { dms: approval.dms, message: true })
      : approvalBehind(this.db, approvalId)
    ).catch((e) => this.log.warn(`could not record whether request ${approvalId} is shown as decided`, e));
  }

  /**
   * Closes the requests still waiting on a host's steps when they no longer stand (the incident resolved, a playbook
   * detached): recorded, and every place they were sent then says why nothing ran. Failures to show it are logged; a
   * press on a closed request is refused all the same.
   */
  async closePending(
    host: PlaybookHost,
    why: 'incident_resolved' | 'playbook_detached',
    by: string | null,
    playbookId: string | null = null,
  ): Promise<void> {
    const closed = await this.db.transaction((tx) =>
      closeApprovals(tx, { host: hostRef(host), playbookId, stepKey: null, why, by, reason: null }, (p, key) => {
        try {
          const { playbook, step } = this.runs.step(p, key);
          return { title: playbook.title, text: step.text };
        } catch {
          return null;
        }
      }),
    );
    await this.showClosed(host, closed);
  }

  /**
   * Shows requests just closed (their step skipped or done, the incident resolved) as closed, everywhere. One that some
   * message could not be updated for is left to the timer loop's sweep (ApprovalRedraws), which draws it again.
   */
  async showClosed(host: PlaybookHost, closed: readonly StepApproval[]): Promise<void> {
    for (const c of closed) {
      const drawn = await this.redraw(host, c);
      if (drawn.shown) {
        await approvalRedrawn(this.db, c.id, { dms: drawn.dms ?? c.dms, message: drawn.message }).catch((e) =>
          this.log.warn(`could not record request ${c.id} as shown`, e),
        );
      }
    }
  }

  /**
   * Draws one closed or decided request as it is now in the channel and every DM; `shown` false when Slack refused
   * some update (to be tried again), `dms` the direct messages it was drawn in, and `message` whether its channel
   * message was drawn. Shown too when it cannot be drawn any more (its step gone from the runbook, its values
   * unreadable, the request gone): trying again would not help. A request approved or denied is drawn in its DMs only
   * (those sent while it was decided), unless its channel message is behind (Slack refused the decision's update): the
   * channel message is otherwise the decision's own to draw.
   */
  async redraw(
    host: PlaybookHost,
    c: StepApproval,
  ): Promise<{ shown: boolean; dms?: readonly ApprovalDm[]; message: boolean }> {
    const message = c.state === 'closed' || c.messageBehind;
    let view: (x: StepApproval) => ApprovalView;
    try {
      const { playbook, step } = this.runs.step(c.playbookId, c.stepKey);
      if (step.type !== 'command') return { shown: true, message };
      const shown = this.runs.shown(step, this.runs.target(step, this.runs.openParams(step, c.params)));
      view = (x) => this.approvalView(x, playbook, step, shown);
    } catch (e) {
      this.log.warn(`could not show approval request ${c.id} as it is now`, e);
      return { shown: true, message };
    }
    try {
      const drawn = await this.drawing.draw(host, c.id, view, { dmsOnly: !message });
      return drawn ? { shown: drawn.shown, dms: drawn.approval.dms, message } : { shown: true, message };
    } catch (e) {
      this.log.warn(`could not show approval request ${c.id} as it is now`, e);
      return { shown: false, message };
    }
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
      async (x) => userId === x.requestedBy || (await this.isIn(approvers, userId)),
    );
    if (userId !== found.a.requestedBy && !(await this.isIn(approvers, userId))) {
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
    await this.drawDecided(host, approvalId, (x) => this.approvalView(x, playbook, step, shown));
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
