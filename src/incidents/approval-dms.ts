import type { Runbook } from '../runbook/runbook.js';
import type { Database } from '../store/db.js';
import { approvalRedrawn, type StepApproval, setApprovalDms } from '../store/step-approval.repo.js';
import type { ApprovalDrawing, ViewOf } from './approval-drawing.js';
import { channelOf, type PlaybookHost } from './playbook-host.js';
import type { ApprovalDm, IncidentChat, Logger, PlaybookChat } from './ports.js';
import type { StepRuns } from './step-runs.js';

/** How many approvers a request is sent to in direct messages, at most (a user group may hold a whole department). */
const MAX_APPROVER_DMS = 25;

/**
 * Who a request goes to: the approvers but the requester (user groups expanded), and which are not in its channel; and
 * for a private incident, the approvers outside its channel, who are told nothing of it (`notAsked`, not in
 * `approvers`).
 */
export interface Reach {
  approvers: string[];
  outside: string[];
  notAsked: string[];
}

/**
 * Who may approve a request, and the request in each approver's direct messages: at 3 a.m. nobody watches the
 * channel, and an approver not in it cannot see it there. One decision counts wherever it is made; every place then
 * shows it.
 */
export class ApprovalDms {
  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat & PlaybookChat,
    private readonly runbook: Runbook,
    private readonly runs: Pick<StepRuns, 'wayIn' | 'openToJoin'>,
    private readonly drawing: ApprovalDrawing,
    private readonly log: Logger = console,
  ) {}

  /**
   * The people who could approve this person's request: the approvers, user groups expanded (`all`), less the person
   * (`others`). Null when Slack could not say who is in a user group.
   */
  async otherApprovers(userId: string): Promise<{ all: string[]; others: string[] } | null> {
    const approvers = this.runbook.access.approvers;
    let all: string[];
    if (approvers.some((c) => c.startsWith('S'))) {
      try {
        all = (await this.chat.resolveContacts(approvers)).userIds;
      } catch (e) {
        this.log.warn("could not expand the approvers' user groups", e);
        return null;
      }
    } else {
      all = [...new Set(approvers)];
    }
    return { all, others: all.filter((u) => u !== userId) };
  }

  /**
   * Who a request goes to in direct messages (the approvers but the requester, at most MAX_APPROVER_DMS), and which of
   * them are not in the host's channel, so cannot see it there. Slack failing to say is not a reason to hold the
   * request: it then goes to the approvers named by id, counted as in the channel. `known`: otherApprovers' answer for
   * this person, when the caller has it already.
   */
  async reach(host: PlaybookHost, userId: string, known?: { all: string[]; others: string[] } | null): Promise<Reach> {
    const found = known !== undefined ? known : await this.otherApprovers(userId);
    const others = found
      ? found.others
      : this.runbook.access.approvers.filter((c) => !c.startsWith('S') && c !== userId);
    if (others.length > MAX_APPROVER_DMS) {
      this.log.warn(
        `the approvers are ${others.length} people: the approval request goes in direct messages to the first ${MAX_APPROVER_DMS}`,
      );
    }
    const approvers = others.slice(0, MAX_APPROVER_DMS);
    const channel = channelOf(host);
    // A private incident's business is for its channel's people only: an approver outside it is sent nothing (the
    // step, its command, even the channel's name would tell them of it). Slack failing to say who is in counts as out.
    // A run outside an incident in a private channel is the same: the channel is looked up (Slack failing to say counts
    // as private: nobody outside is told of it).
    const secret = host.kind === 'incident' ? host.incident.private : await this.privateRunChannel(host.run.channelId);
    // Asked for every approver at once: nobody waits for the others' answers.
    const members = await Promise.all(
      approvers.map((u) =>
        channel
          ? this.chat.isMember(channel, u).catch((e) => {
              this.log.warn('could not tell whether an approver is in the channel', e);
              return !secret;
            })
          : false,
      ),
    );
    const outside = approvers.filter((_, i) => !members[i]);
    if (secret) return { approvers: approvers.filter((_, i) => members[i]), outside: [], notAsked: outside };
    return { approvers, outside, notAsked: [] };
  }

  private async privateRunChannel(channelId: string): Promise<boolean> {
    try {
      return await this.chat.isPrivateChannel(channelId);
    } catch (e) {
      this.log.warn('could not tell whether the run’s channel is private; treated as private', e);
      return true;
    }
  }

  /**
   * Sends a request just posted in the channel to each approver it reaches, with Approve and Deny, and records where.
   * One that fails is logged, and the channel's request (which named the approvers outside the channel as sent it)
   * says that one could not be. A decision made while they went out is then drawn in every place, these included.
   */
  async send(host: PlaybookHost, a: StepApproval, reach: Reach, viewOf: ViewOf): Promise<void> {
    if (reach.approvers.length === 0) return;
    const base = await this.drawing.dmView(host, a, viewOf(a));
    // Outside a public incident's channel, a press adds them to it; outside any other, they are told how to get in.
    const addedOnClick = reach.outside.length > 0 && (await this.runs.openToJoin(host));
    const joinFirst = reach.outside.length && !addedOnClick ? await this.runs.wayIn(host) : null;
    const dms: ApprovalDm[] = [];
    const failed = new Set<string>();
    for (const u of reach.approvers) {
      const outside = reach.outside.includes(u);
      const how = !outside ? {} : addedOnClick ? { addedOnClick } : joinFirst !== null ? { joinFirst } : {};
      try {
        dms.push(await this.chat.sendApprovalDm(u, { ...base, ...how }));
      } catch (e) {
        this.log.warn(`could not send ${u} the approval request in a direct message`, e);
        failed.add(u);
      }
    }
    if (dms.length) await setApprovalDms(this.db, a.id, dms);
    // Drawn as it is now, once these are recorded: still waiting, the channel's request says who could not be sent it;
    // decided meanwhile (by an approver in the channel, quick), what was just sent says so too, and how its run ended.
    // The decision's own drawings read the direct messages recorded when they drew, which may be before these were.
    const waiting = reach.outside.some((u) => failed.has(u))
      ? { outside: reach.outside.map((u) => ({ userId: u, dmed: !failed.has(u) })), notAsked: reach.notAsked }
      : undefined;
    const drawn = await this.drawing.draw(host, a.id, viewOf, waiting ? { waiting } : {});
    // Closed or decided: recording these made it due to be drawn again (setApprovalDms), for the sweep to retry what
    // Slack refused now; drawn everywhere, it is not.
    if (drawn && drawn.approval.state !== 'pending' && drawn.shown) {
      const { id, dms: drawnDms, behindMark: mark } = drawn.approval;
      await approvalRedrawn(this.db, id, { dms: drawnDms, message: true, mark }).catch((e) =>
        this.log.warn(`could not record request ${id} as shown`, e),
      );
    }
  }
}
