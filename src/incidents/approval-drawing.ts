import type { CommandStep, Playbook } from '../runbook/playbooks.js';
import type { Database } from '../store/db.js';
import { type ApprovedRun, getApprovalDrawing, type StepApproval } from '../store/step-approval.repo.js';
import { type PlaybookHost, placeOf } from './playbook-host.js';
import type { ApprovalDmView, ApprovalView, ApprovalWhere, Logger, PlaybookChat } from './ports.js';

/** A request as the channel shows it, in the state it is in (how its run ended is added by the drawing). */
export type ViewOf = (a: StepApproval) => ApprovalView;

export interface DrawOptions {
  /** Leaves the channel's message as it is: only the direct messages are drawn. */
  dmsOnly?: boolean;
  /**
   * While it waits, the channel's message is drawn again only with these (who among the approvers outside the channel
   * could not be sent it): absent, a request still waiting is left as it was posted.
   */
  waiting?: Pick<ApprovalView, 'outside' | 'notAsked'>;
}

/**
 * What a drawing drew: the request as it was last drawn (read before it drew: its behindMark is the mark the drawing
 * may clear), whether Slack took every update, and whether it took the channel message's (true when that one was left
 * as it was): a refused direct message is no reason to draw the channel message again.
 */
export interface Drawn {
  approval: StepApproval;
  shown: boolean;
  messageShown: boolean;
}

/**
 * A request as the channel shows it, in the state it is in: its playbook and step, what it would run (`shown`, secret
 * values masked), who asked, who may approve it, and who decided (or closed) it and why.
 */
export function requestView(
  a: StepApproval,
  playbook: Pick<Playbook, 'title'>,
  step: CommandStep,
  shown: string[],
  approvers: string[],
): ApprovalView {
  return {
    approvalId: a.id,
    playbookTitle: playbook.title,
    stepText: step.text,
    target: shown,
    ...(step.warning ? { warning: step.warning } : {}),
    requestedBy: a.requestedBy,
    approvers,
    state: a.state,
    closedWhy: a.closedWhy,
    decidedBy: a.decidedBy,
    reason: a.reason,
    ...(a.addedToDecide ? { addedToDecide: true } : {}),
  };
}

/** How many times a drawing draws again a request that changed while it drew, at most. */
const MAX_ROUNDS = 5;

/**
 * Draws an approval request, in its channel and in every direct message it was sent in, as the database has it:
 * its state, who decided, and for an approved one how its run ended (the run that carried it out, or why none could).
 * Whoever draws it (the decision, the run's end, the sender of its direct messages, the timer loop) draws the same.
 */
export class ApprovalDrawing {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<PlaybookChat, 'updateApproval' | 'updateApprovalDm' | 'permalink'>,
    private readonly log: Logger = console,
  ) {}

  /**
   * Draws the request as it is now; null when it is gone. Two drawings at once (a decision's and its direct messages'
   * sender's, say) may reach Slack in either order: each reads the request again once its updates are taken, and one
   * that drew an older state than the request's now draws it again, so the last update of every message is of the
   * newest state. Failures are logged (`shown` false: some message still shows what it showed before).
   */
  async draw(host: PlaybookHost, id: number, viewOf: ViewOf, opts: DrawOptions = {}): Promise<Drawn | null> {
    let now = await getApprovalDrawing(this.db, id);
    for (let round = 1; now; round++) {
      const took = await this.drawOnce(host, now.approval, now.ran, viewOf, opts);
      const after = await getApprovalDrawing(this.db, id);
      if (!after || JSON.stringify(after) === JSON.stringify(now)) {
        return { approval: now.approval, shown: took.message && took.dms, messageShown: took.message };
      }
      if (round >= MAX_ROUNDS) {
        this.log.warn(`approval request ${id} kept changing while it was drawn; left to its next drawing`);
        return { approval: now.approval, shown: false, messageShown: false };
      }
      now = after;
    }
    return null;
  }

  /** The request as a direct message shows it: the channel's view, where it waits, and a link to it there. */
  async dmView(host: PlaybookHost, a: StepApproval, view: ApprovalView): Promise<ApprovalDmView> {
    const link = a.messageTs ? await this.chat.permalink(placeOf(host), a.messageTs).catch(() => null) : null;
    return { ...view, where: whereOf(host), link };
  }

  private async drawOnce(
    host: PlaybookHost,
    a: StepApproval,
    ran: ApprovedRun | null,
    viewOf: ViewOf,
    opts: DrawOptions,
  ): Promise<{ message: boolean; dms: boolean }> {
    // Whether Slack took the channel message's update (or it was left as it was), and every direct message's.
    const took = { message: true, dms: true };
    const failed = (what: string, where: 'message' | 'dms') => (e: unknown) => {
      took[where] = false;
      this.log.warn(what, e);
    };
    const outcome = await this.outcomeOf(host, a, ran);
    const view: ApprovalView = { ...viewOf(a), ...(outcome ? { outcome } : {}) };
    if (a.state === 'pending') {
      if (opts.waiting && a.messageTs && !opts.dmsOnly) {
        await this.chat
          .updateApproval(placeOf(host), a.messageTs, { ...view, ...opts.waiting })
          .catch(failed('updateApproval failed', 'message'));
      }
      return took;
    }
    if (a.messageTs && !opts.dmsOnly) {
      await this.chat
        .updateApproval(placeOf(host), a.messageTs, view)
        .catch(failed('updateApproval failed', 'message'));
    }
    if (a.dms.length === 0) return took;
    const dmView = await this.dmView(host, a, view);
    await Promise.all(
      a.dms.map((dm) => this.chat.updateApprovalDm(dm, dmView).catch(failed('could not update an approval DM', 'dms'))),
    );
    return took;
  }

  /**
   * How an approved request's run ended, or that it is running (with a link to its output); why it did not run; none
   * before it starts ("running it now") nor for a request not approved.
   */
  private async outcomeOf(
    host: PlaybookHost,
    a: StepApproval,
    ran: ApprovedRun | null,
  ): Promise<ApprovalView['outcome'] | undefined> {
    if (a.state !== 'approved') return undefined;
    if (a.notRun) return { state: 'not_run', why: a.notRun };
    if (!ran || ran.state === 'refused') return undefined;
    const link = ran.threadTs ? await this.chat.permalink(placeOf(host), ran.threadTs).catch(() => null) : null;
    return { state: ran.state, exitCode: ran.exitCode, link, ...(ran.signal ? { signal: ran.signal } : {}) };
  }
}

/** Where a request waits, for a direct message. */
function whereOf(host: PlaybookHost): ApprovalWhere {
  return host.kind === 'incident'
    ? {
        kind: 'incident',
        number: host.incident.number,
        title: host.incident.title,
        private: host.incident.private,
        channelId: host.incident.channelId,
      }
    : { kind: 'run', channelId: host.run.channelId };
}
