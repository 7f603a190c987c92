import type { Runbook } from '../runbook/runbook.js';
import type { Database } from '../store/db.js';
import { closedShown } from '../store/step-approval-shows.repo.js';
import { getApproval, type StepApproval, setApprovalDms } from '../store/step-run.repo.js';
import { channelOf, type PlaybookHost, placeOf } from './playbook-host.js';
import type {
  ApprovalDm,
  ApprovalDmView,
  ApprovalView,
  ApprovalWhere,
  IncidentChat,
  Logger,
  PlaybookChat,
} from './ports.js';
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

/** A request as the channel shows it, in the state it is in. */
type ViewOf = (a: StepApproval) => ApprovalView;

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
   * says that one could not be. A decision made while they went out is then shown in every place.
   */
  async send(host: PlaybookHost, a: StepApproval, reach: Reach, viewOf: ViewOf): Promise<void> {
    if (reach.approvers.length === 0) return;
    const base = await this.dmView(host, a, viewOf);
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
    if (a.messageTs && reach.outside.some((u) => failed.has(u))) {
      await this.chat
        .updateApproval(placeOf(host), a.messageTs, {
          ...viewOf(a),
          outside: reach.outside.map((u) => ({ userId: u, dmed: !failed.has(u) })),
          notAsked: reach.notAsked,
        })
        .catch((e) => this.log.warn('updateApproval failed', e));
    }
    // Decided meanwhile (by an approver in the channel, quick): what was just sent or shown says so too. The decision's
    // own updates read the direct messages recorded when it was made, which may be before these were.
    const now = await getApproval(this.db, a.id);
    if (!now || now.state === 'pending') return;
    const shown = await this.showDecided(host, now, viewOf);
    // Closed or decided: recording these made it due to be shown again (setApprovalDms), for the sweep to retry what
    // Slack refused now; shown everywhere, it is not.
    if (shown) {
      await closedShown(this.db, now.id, now.dms).catch((e) =>
        this.log.warn(`could not record request ${now.id} as shown`, e),
      );
    }
  }

  /**
   * Shows a decided request as decided, by whom, in the channel (unless `dmsOnly`) and in every direct message it was
   * sent in. Failures are logged; false when some message could not be updated (and still shows what it showed before).
   */
  async showDecided(
    host: PlaybookHost,
    decided: StepApproval,
    viewOf: ViewOf,
    opts: { dmsOnly?: boolean } = {},
  ): Promise<boolean> {
    let shown = true;
    const failed = (what: string) => (e: unknown) => {
      shown = false;
      this.log.warn(what, e);
    };
    if (decided.messageTs && !opts.dmsOnly) {
      await this.chat
        .updateApproval(placeOf(host), decided.messageTs, viewOf(decided))
        .catch(failed('updateApproval failed'));
    }
    if (decided.dms.length === 0) return shown;
    const view = await this.dmView(host, decided, viewOf);
    await Promise.all(
      decided.dms.map((dm) => this.chat.updateApprovalDm(dm, view).catch(failed('could not update an approval DM'))),
    );
    return shown;
  }

  private async dmView(host: PlaybookHost, a: StepApproval, viewOf: ViewOf): Promise<ApprovalDmView> {
    const link = a.messageTs ? await this.chat.permalink(placeOf(host), a.messageTs).catch(() => null) : null;
    return { ...viewOf(a), where: whereOf(host), link };
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
