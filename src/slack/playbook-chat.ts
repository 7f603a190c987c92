import type {
  ApprovalDm,
  ApprovalDmView,
  ApprovalView,
  AskedVersion,
  ChatPlace,
  ChecklistGivenUp,
  ChecklistMarker,
  ChecklistView,
  CheckResult,
  DeploymentView,
  ListOutOfDate,
  PlaybookChat,
  PlaybookNote,
  RetryAnswer,
  RollbackVerdict,
  RunView,
  ShownDeployments,
  VerificationSubject,
} from '../incidents/ports.js';
import { renderApproval, renderApprovalDm } from '../templates/approval.js';
import { renderChecklist, renderPlaybookNote } from '../templates/checklist.js';
import { renderChecklistGivenUp } from '../templates/checklist-given-up.js';
import type { Message } from '../templates/incident-card.js';
import {
  deployedOverList,
  renderDeployments,
  renderHistoryUnread,
  renderRun,
  renderVerification,
  settledDeployments,
} from '../templates/playbook.js';
import { type HistoryMessage, LOOKUP_MESSAGES_AT_MOST, oldestSince, SlackChatPart } from './slack-chat-core.js';
import { toChatPlatformError } from './slack-errors.js';

/**
 * The playbook side of the Slack chat (see SlackChat): checklists and their notes, step runs, approval requests (in the
 * channel and in direct messages), deployments and their verification, and a run's full output.
 */
export class SlackPlaybookChat extends SlackChatPart implements PlaybookChat {
  async postPlaybook(place: ChatPlace, checklist: ChecklistView): Promise<string> {
    const msg = renderChecklist(checklist);
    const marker = markerOf(checklist);
    const res = await this.core.call('post the playbook', () =>
      this.client.chat.postMessage({
        channel: channelOf(place),
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
        // Found by findPlaybookPost should its process die (or its answer be lost) before it records where.
        ...(marker ? { metadata: checklistMetadata(marker) } : {}),
      }),
    );
    return res.ts!;
  }

  async findPlaybookPost(place: ChatPlace, marker: ChecklistMarker, since: Date): Promise<string | null> {
    const channel = channelOf(place);
    const mark = checklistMetadata(marker);
    const isIt = carries(mark);
    const oldest = oldestSince(since);
    let found: { ts: string | null; more: boolean };
    try {
      found = await this.core.findInHistory(channel, oldest, isIt);
    } catch (err) {
      this.core.lookupFailed('checklist', err);
      throw toChatPlatformError(err, 'look for the checklist');
    }
    if (!found.ts && found.more)
      this.opts.log?.warn(
        `${checklistName(marker)} not found in the last ${LOOKUP_MESSAGES_AT_MOST} messages of ${channel}; posting it, so it may show twice`,
      );
    return found.ts;
  }

  async deletePlaybook(place: ChatPlace, ts: string): Promise<void> {
    await this.core.call('delete the playbook message', () =>
      this.client.chat.delete({ channel: channelOf(place), ts }),
    );
  }

  async updatePlaybook(place: ChatPlace, ts: string, checklist: ChecklistView): Promise<void> {
    const msg = renderChecklist(checklist);
    await this.updateInPlace(place, ts, 'update the playbook', msg);
  }

  async tellChecklistGivenUp(userId: string, given: ChecklistGivenUp, marker: ChecklistMarker): Promise<void> {
    const msg = renderChecklistGivenUp(given);
    const to = await this.givenUpTo(userId, given);
    if (!to) {
      this.opts.log?.warn(`nobody to tell that the checklist of ${given.playbookId} could not be posted (no channel)`);
      return;
    }
    await this.core.call(`tell ${to} their checklist could not be posted`, () =>
      this.client.chat.postMessage({
        channel: to,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
        metadata: givenUpMetadata(marker),
      }),
    );
  }

  async findChecklistGivenUp(
    userId: string,
    given: ChecklistGivenUp,
    marker: ChecklistMarker,
    since: Date,
  ): Promise<boolean> {
    const mark = givenUpMetadata(marker);
    const isIt = carries(mark);
    try {
      const to = await this.givenUpTo(userId, given);
      if (!to) return false;
      // A person's: their conversation with the bot (a user ID is where a message to them is posted, not a history).
      const channel = /^[UW]/.test(to) ? (await this.client.conversations.open({ users: to })).channel?.id : to;
      if (!channel) return false;
      return (await this.core.findInHistory(channel, oldestSince(since), isIt)).ts !== null;
    } catch (err) {
      this.core.lookupFailed('givenUp', err);
      return false;
    }
  }

  /**
   * Where a checklist given up is told: its person, in a direct message. The bot's own user (an incident it declared
   * from alerts, nobody commanding it): a direct message to itself goes nowhere, so the incidents channel is told
   * instead, where responders watch and the bot is a member (the checklist's own channel is most often what refused
   * it); a private incident's, and with no incidents channel, its own channel. Null: nowhere.
   */
  private async givenUpTo(userId: string, given: ChecklistGivenUp): Promise<string | null> {
    const own = userId === (await this.core.botUser());
    return own ? ((given.private ? null : this.opts.incidentsChannel) ?? given.channelId) : userId;
  }

  async postNote(place: ChatPlace, threadTs: string, note: PlaybookNote): Promise<void> {
    const msg = renderPlaybookNote(note);
    await this.core.call('post in the playbook thread', () =>
      this.client.chat.postMessage({
        channel: channelOf(place),
        thread_ts: threadTs,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
      }),
    );
  }

  async isMember(channelId: string, userId: string): Promise<boolean> {
    let cursor: string | undefined;
    do {
      const page = await this.core.call('check who is in the channel', () =>
        this.client.conversations.members({ channel: channelId, limit: 1000, ...(cursor ? { cursor } : {}) }),
      );
      if (page.members?.includes(userId)) return true;
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return false;
  }

  /**
   * Whether a channel is private, kept a minute (`cache`): a run outside an incident asks it for every approval
   * request, and again for the way in of each approver outside its channel. A channel an admin makes private is
   * taken for public at most a minute after. A failed look-up is not kept: the next one asks Slack again.
   */
  async isPrivateChannel(channelId: string): Promise<boolean> {
    const look = async () => {
      const res = await this.core.call('look up the channel', () =>
        this.client.conversations.info({ channel: channelId }),
      );
      return res.channel?.is_private === true;
    };
    return this.opts.cache ? await this.opts.cache.get(`channel-private:${channelId}`, look) : await look();
  }

  async postRun(place: ChatPlace, threadTs: string | null, run: RunView): Promise<string> {
    const msg = renderRun(run);
    const res = await this.core.call('post the run', () =>
      this.client.chat.postMessage({
        channel: channelOf(place),
        text: msg.text,
        blocks: msg.blocks,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        unfurl_links: false,
        // Found by findRunPost should the process die before it records where it went.
        metadata: { event_type: RUN_EVENT, event_payload: { run_id: run.runId } },
      }),
    );
    return res.ts!;
  }

  async findRunPost(place: ChatPlace, threadTs: string | null, runId: number, since: Date): Promise<string | null> {
    const channel = channelOf(place);
    const isIt = (m: HistoryMessage) =>
      m.metadata?.event_type === RUN_EVENT &&
      Number((m.metadata.event_payload as { run_id?: unknown } | undefined)?.run_id) === runId;
    try {
      const oldest = oldestSince(since);
      const found = await this.core.findInHistory(channel, oldest, isIt, threadTs);
      if (!found.ts && found.more)
        this.opts.log?.warn(
          `step run ${runId}'s message not found in ${channel}'s latest messages; it is left as it is`,
        );
      return found.ts;
    } catch (err) {
      this.core.lookupFailed('run', err);
      throw toChatPlatformError(err, "look for the run's message");
    }
  }

  async updateRun(place: ChatPlace, ts: string, run: RunView): Promise<void> {
    const msg = renderRun(run);
    await this.updateInPlace(place, ts, 'update the run', msg);
  }

  async postApproval(place: ChatPlace, threadTs: string | null, approval: ApprovalView): Promise<string> {
    const msg = renderApproval(approval);
    const channel = channelOf(place);
    const res = await this.core.call('post the approval request', () =>
      threadTs
        ? this.client.chat.postMessage({
            channel,
            text: msg.text,
            blocks: msg.blocks,
            thread_ts: threadTs,
            // The request is shown in the channel too, so approvers see it without opening the thread.
            reply_broadcast: true,
          })
        : this.client.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks }),
    );
    return res.ts!;
  }

  async updateApproval(place: ChatPlace, ts: string, approval: ApprovalView): Promise<void> {
    const msg = renderApproval(approval);
    await this.updateInPlace(place, ts, 'update the approval request', msg);
  }

  async sendApprovalDm(userId: string, approval: ApprovalDmView): Promise<ApprovalDm> {
    const msg = renderApprovalDm(approval);
    const res = await this.core.call(`send ${userId} the approval request`, () =>
      this.client.chat.postMessage({ channel: userId, text: msg.text, blocks: msg.blocks, unfurl_links: false }),
    );
    return { user: userId, channel: res.channel!, ts: res.ts! };
  }

  async updateApprovalDm(dm: ApprovalDm, approval: ApprovalDmView): Promise<void> {
    const msg = renderApprovalDm(approval);
    await this.core.call(`update ${dm.user}'s approval request`, () =>
      this.client.chat.update({ channel: dm.channel, ts: dm.ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  async postDeployments(
    place: ChatPlace,
    deployments: DeploymentView[],
    suggested: string | null,
    runId: number | null = null,
    asked?: AskedVersion,
  ): Promise<string> {
    const msg = renderDeployments(deployments, suggested, runId, asked);
    return await this.postInPlace(place, 'post the deployments', msg);
  }

  async showDeploymentsOutOfDate(
    place: ChatPlace,
    ts: string,
    shown: ShownDeployments,
    why: ListOutOfDate,
  ): Promise<void> {
    const { blocks } = renderDeployments(shown.deployments, shown.suggested, shown.runId, shown.asked);
    const msg = why.kind === 'rollback' ? settledDeployments(blocks, why.past) : deployedOverList(blocks, why);
    await this.updateInPlace(place, ts, 'show a list of deployments out of date', msg);
  }

  async postHistoryUnread(
    place: ChatPlace,
    unread: { typed: string | null; why: string; runId: number | null },
  ): Promise<void> {
    const msg = renderHistoryUnread(unread.typed, unread.why, unread.runId);
    await this.postInPlace(place, 'say the deployments could not be read', msg);
  }

  async postVerification(
    place: ChatPlace,
    subject: VerificationSubject,
    checks: CheckResult[],
    verdict?: RollbackVerdict,
    retry?: RetryAnswer,
  ): Promise<string> {
    const msg = renderVerification(subject, checks, verdict, retry);
    return await this.postInPlace(place, 'post the post-deployment verification', msg);
  }

  async updateVerification(
    place: ChatPlace,
    ts: string,
    subject: VerificationSubject,
    checks: CheckResult[],
    verdict?: RollbackVerdict,
    retry?: RetryAnswer,
  ): Promise<void> {
    const msg = renderVerification(subject, checks, verdict, retry);
    await this.updateInPlace(place, ts, 'update the post-deployment verification', msg);
  }

  async permalink(place: ChatPlace, ts: string): Promise<string> {
    const res = await this.core.call('link the message', () =>
      this.client.chat.getPermalink({ channel: channelOf(place), message_ts: ts }),
    );
    return res.permalink!;
  }

  async uploadOutput(place: ChatPlace, threadTs: string | null, filename: string, content: string): Promise<void> {
    const channel = channelOf(place);
    await this.core.call('attach the full output', () =>
      this.client.filesUploadV2(
        threadTs
          ? { channel_id: channel, thread_ts: threadTs, filename, title: filename, content }
          : { channel_id: channel, filename, title: filename, content },
      ),
    );
  }

  /** Posts `msg` in the place's channel (in its thread, for a run outside an incident); returns its ts. */
  private async postInPlace(place: ChatPlace, doing: string, msg: Message): Promise<string> {
    const res = await this.core.call(doing, () =>
      this.client.chat.postMessage({
        channel: channelOf(place),
        text: msg.text,
        blocks: msg.blocks,
        ...inThread(place),
      }),
    );
    return res.ts!;
  }

  /** Shows the message `ts` of the place's channel as `msg`. */
  private async updateInPlace(place: ChatPlace, ts: string, doing: string, msg: Message): Promise<void> {
    await this.core.call(doing, () =>
      this.client.chat.update({ channel: channelOf(place), ts, text: msg.text, blocks: msg.blocks }),
    );
  }
}

/** The channel of a place; a playbook is only ever worked in a channel, so one without is a bug. */
function channelOf(place: ChatPlace): string {
  if (!place.channelId) throw new Error('a playbook message needs a channel');
  return place.channelId;
}

/** In the place's thread, for a playbook run outside an incident (its messages stay under its checklist). */
const inThread = (place: ChatPlace) => (place.threadTs ? { thread_ts: place.threadTs } : {});

/** The metadata event type of a playbook run's checklist message (its payload names the run). */
const PLAYBOOK_RUN_EVENT = 'playbook_run';
/** The metadata event type of an incident's attached playbook's checklist (its payload names the attachment). */
const ATTACHED_PLAYBOOK_EVENT = 'incident_playbook';

/** Whose checklist a message is, from what it shows: a run's, an incident's attachment's, or unmarked. */
const markerOf = (c: ChecklistView): ChecklistMarker | null =>
  c.runId !== null
    ? { kind: 'run', runId: c.runId }
    : c.attachment
      ? { kind: 'attached', playbookId: c.playbook.id, ...c.attachment }
      : null;

/** A checklist message's marker as message metadata: found by each value of its payload. */
const checklistMetadata = (
  m: ChecklistMarker,
): { event_type: string; event_payload: Record<string, string | number> } =>
  m.kind === 'run'
    ? { event_type: PLAYBOOK_RUN_EVENT, event_payload: { run_id: m.runId } }
    : {
        event_type: ATTACHED_PLAYBOOK_EVENT,
        event_payload: { incident_id: m.incidentId, playbook_id: m.playbookId, attachment: m.attachment },
      };

/** The metadata event type of the message telling that a checklist was given up (its payload names the checklist). */
const CHECKLIST_GIVEN_UP_EVENT = 'checklist_given_up';

/** The telling that a checklist was given up, marked with that checklist (its kind and marker): found by it. */
const givenUpMetadata = (m: ChecklistMarker) => {
  const c = checklistMetadata(m);
  return { event_type: CHECKLIST_GIVEN_UP_EVENT, event_payload: { checklist: c.event_type, ...c.event_payload } };
};

/** Whether a message read from history carries `mark` (its event type, and each value of its payload). */
const carries =
  (mark: { event_type: string; event_payload: Record<string, string | number> }) =>
  (m: HistoryMessage): boolean => {
    const payload = m.metadata?.event_payload as Record<string, unknown> | undefined;
    return (
      m.metadata?.event_type === mark.event_type &&
      Object.entries(mark.event_payload).every(([k, v]) => String(payload?.[k]) === String(v))
    );
  };

const checklistName = (m: ChecklistMarker) =>
  m.kind === 'run' ? `playbook run ${m.runId}'s checklist` : `incident ${m.incidentId}'s playbook ${m.playbookId}`;

/** The metadata event type of a step run's message (its payload names the run). */
const RUN_EVENT = 'step_run';
