import type { CommandStep, Playbook, RunnableStep } from '../runbook/playbooks.js';
import type { Runbook } from '../runbook/runbook.js';
import type { Database } from '../store/db.js';
import { playbookMessage } from '../store/incident-playbook.repo.js';
import {
  approvalMessageDrawn,
  approvalRedrawn,
  insertApproval,
  lockPendingApproval,
  type StepApproval,
  setApprovalMessage,
} from '../store/step-approval.repo.js';
import { closeApprovals } from './approval-closing.js';
import { ApprovalDecisions, type MayDeny } from './approval-decisions.js';
import { ApprovalDms } from './approval-dms.js';
import { ApprovalDrawing, requestView } from './approval-drawing.js';
import { ApprovalRefusals, type StepRequest } from './approval-refusals.js';
import { AlreadyDoneError, type Phrase } from './errors.js';
import { hostRef, type PlaybookHost, placeOf, recordStepEvent } from './playbook-host.js';
import type { ApprovalDm, ApprovalView, IncidentChat, Logger, PlaybookChat } from './ports.js';
import type { StepRuns } from './step-runs.js';

/**
 * Who may run a step that changes production (responders), and the second person some steps need (approvers):
 * refusals are recorded and name who can (ApprovalRefusals); requests are posted with Approve and Deny, sent to each
 * approver in a direct message with the same buttons (ApprovalDms), run once approved (ApprovalDecisions), and closed
 * when they no longer stand; each drawn everywhere as it is now (ApprovalDrawing).
 */
export class StepApprovals {
  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat & PlaybookChat,
    private readonly runbook: Runbook,
    private readonly runs: StepRuns,
    private readonly log: Logger = console,
    /** Masks the bot's known secret values in what people typed (see IncidentService's `typed`). */
    typed: (text: string) => string = (text) => text,
  ) {
    this.drawing = new ApprovalDrawing(db, chat, log);
    this.dms = new ApprovalDms(db, chat, runbook, runs, this.drawing, log);
    this.refusals = new ApprovalRefusals(db, chat, runbook, this.dms);
    this.decisions = new ApprovalDecisions(db, chat, runbook, runs, this.refusals, this.drawing, log, typed);
  }

  /** Each request drawn as it is now, everywhere it was sent. */
  private readonly drawing: ApprovalDrawing;

  /** Who could approve a request, and the request in each approver's direct messages. */
  private readonly dms: ApprovalDms;

  /** Who may run or ask for a step, and the recorded refusals of those who may not. */
  private readonly refusals: ApprovalRefusals;

  /** Approving and denying requests. */
  private readonly decisions: ApprovalDecisions;

  /** See ApprovalRefusals.refusal. */
  refusal(playbookId: string, step: RunnableStep, userId: string): Promise<Phrase | null> {
    return this.refusals.refusal(playbookId, step, userId);
  }

  /** See ApprovalRefusals.recordRefusal. */
  recordRefusal(r: StepRequest, userId: string, phrase: Phrase): Promise<never> {
    return this.refusals.recordRefusal(r, userId, phrase);
  }

  /** See ApprovalRefusals.checkOpen. */
  checkOpen(host: PlaybookHost, r: StepRequest, step: RunnableStep, userId: string): Promise<void> {
    return this.refusals.checkOpen(host, r, step, userId);
  }

  /** See ApprovalRefusals.checkApprovable. */
  checkApprovable(
    r: StepRequest,
    step: RunnableStep,
    userId: string,
  ): Promise<{ all: string[]; others: string[] } | null | undefined> {
    return this.refusals.checkApprovable(r, step, userId);
  }

  /** See ApprovalRefusals.checkAllowed. */
  checkAllowed(r: StepRequest, step: RunnableStep, userId: string): Promise<void> {
    return this.refusals.checkAllowed(r, step, userId);
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
    const approvers = await this.refusals.checkApprovable(r, step, userId);
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
    const viewOf = (x: StepApproval) => requestView(x, playbook, step, r.shown, this.runbook.access.approvers);
    // The approvers outside the channel are named as sent it in a direct message; one that fails is corrected then.
    const ts = await this.chat.postApproval(placeOf(host), threadTs, {
      ...viewOf(a),
      outside: reach.outside.map((u) => ({ userId: u, dmed: true })),
      notAsked: reach.notAsked,
    });
    await setApprovalMessage(this.db, a.id, ts);
    await this.dms.send(host, { ...a, messageTs: ts }, reach, viewOf);
  }

  /** See ApprovalDecisions.approve. */
  approve(approvalId: number, userId: string): Promise<void> {
    return this.decisions.approve(approvalId, userId);
  }

  /** See ApprovalDecisions.checkMayDeny. */
  checkMayDeny(approvalId: number, userId: string, opts: { add?: boolean } = {}): Promise<MayDeny> {
    return this.decisions.checkMayDeny(approvalId, userId, opts);
  }

  /** See ApprovalDecisions.deny. */
  deny(approvalId: number, userId: string, typedReason: string, checked?: MayDeny): Promise<void> {
    return this.decisions.deny(approvalId, userId, typedReason, checked);
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
   * message could not be updated for is left to the timer loop's sweep (ApprovalRedraws), which draws it again: its
   * channel message too only when Slack refused that one (a refused direct message is no reason to draw it again).
   */
  async showClosed(host: PlaybookHost, closed: readonly StepApproval[]): Promise<void> {
    for (const c of closed) {
      const drawn = await this.redraw(host, c);
      const mark = drawn.mark ?? c.behindMark;
      const unrecorded = (e: unknown) => this.log.warn(`could not record how request ${c.id} is shown`, e);
      if (drawn.shown) {
        await approvalRedrawn(this.db, c.id, { dms: drawn.dms ?? c.dms, message: drawn.message, mark }).catch(
          unrecorded,
        );
      } else if (drawn.message && drawn.messageShown) {
        // Slack took the channel message's update but refused a direct message's: the sweep draws those only.
        await approvalMessageDrawn(this.db, c.id, mark).catch(unrecorded);
      }
    }
  }

  /**
   * Draws one closed or decided request as it is now in the channel and every DM; `shown` false when Slack refused
   * some update (to be tried again), `dms` the direct messages it was drawn in, and `message` whether its channel
   * message was drawn. Shown too when it cannot be drawn any more (its step gone from the runbook, its values
   * unreadable, the request gone): trying again would not help. A request is drawn in its DMs only unless its channel
   * message is behind (marked so by its closing or decision, until a drawing Slack took there: see messageBehind).
   * `mark`: the behind mark the drawing read (see approvalRedrawn); absent when it drew nothing. `messageShown`: Slack took the channel message's update (or it was
   * not drawn), whatever it did with the direct messages'.
   */
  async redraw(
    host: PlaybookHost,
    c: StepApproval,
  ): Promise<{ shown: boolean; dms?: readonly ApprovalDm[]; message: boolean; messageShown?: boolean; mark?: number }> {
    const message = c.messageBehind;
    let view: (x: StepApproval) => ApprovalView;
    try {
      const { playbook, step } = this.runs.step(c.playbookId, c.stepKey);
      if (step.type !== 'command') return { shown: true, message };
      const shown = this.runs.shown(step, this.runs.target(step, this.runs.openParams(step, c.params)));
      view = (x) => requestView(x, playbook, step, shown, this.runbook.access.approvers);
    } catch (e) {
      this.log.warn(`could not show approval request ${c.id} as it is now`, e);
      return { shown: true, message };
    }
    try {
      const drawn = await this.drawing.draw(host, c.id, view, { dmsOnly: !message });
      return drawn
        ? {
            shown: drawn.shown,
            dms: drawn.approval.dms,
            message,
            messageShown: drawn.messageShown,
            mark: drawn.approval.behindMark,
          }
        : { shown: true, message };
    } catch (e) {
      this.log.warn(`could not show approval request ${c.id} as it is now`, e);
      return { shown: false, message };
    }
  }
}
