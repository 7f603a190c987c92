import { ChatPlatformError } from '../incidents/errors.js';
import type {
  ChannelArchiveChat,
  ChannelArchived,
  IncidentChat,
  IncidentNotice,
  NoticePlace,
  NoticePost,
} from '../incidents/ports.js';
import type { Incident } from '../incidents/types.js';
import { announcesNothing } from '../runbook/maintenance.js';
import { renderChannelArchived, renderChannelUnarchived } from '../templates/channel-archived.js';
import type { Message } from '../templates/incident-card.js';
import { postedLate, renderAnnouncement, renderNotice, renderPageFailedDm } from '../templates/notices.js';
import { renderMadePublicAnnouncement, renderPrivateNotice } from '../templates/private-incidents.js';
import type { SlackChannelChat } from './channel-chat.js';
import type { SlackPageChat } from './page-chat.js';
import {
  type HistoryMessage,
  LOOKUP_MESSAGES_AT_MOST,
  oldestSince,
  type SlackChatCore,
  SlackChatPart,
} from './slack-chat-core.js';
import { slackErrorCode, slackErrorReason, toChatPlatformError } from './slack-errors.js';

/**
 * The telling side of the Slack chat (see SlackChat): an incident's announcement in the incidents channel, and the
 * notice of each change in its channel (copied to the incidents channel for some), each found again after an
 * interruption. A notice that changes what the topic shows has it kept (`channels`); someone made commander is invited
 * and told (`pages`).
 */
export class SlackNoticeChat
  extends SlackChatPart
  implements Pick<IncidentChat, 'announce' | 'findAnnouncement' | 'notify' | 'findNotice'>, ChannelArchiveChat
{
  constructor(
    core: SlackChatCore,
    private readonly channels: Pick<SlackChannelChat, 'keepTopic'>,
    private readonly pages: Pick<SlackPageChat, 'tellMadeCommander' | 'inviteToChannel'>,
  ) {
    super(core);
  }

  async tellChannelArchived(
    incident: Incident,
    archived: ChannelArchived,
  ): Promise<{ place: string; error: string }[]> {
    const refused: { place: string; error: string }[] = [];
    const post = async (place: string, msg: Message) => {
      try {
        await this.client.chat.postMessage({ channel: place, text: msg.text, blocks: msg.blocks, unfurl_links: false });
      } catch (err) {
        refused.push({ place, error: slackErrorReason(err) });
      }
    };
    const bot = await this.core.botUser();
    const said = (toArchiver: boolean) =>
      renderChannelArchived(incident, archived.byUserId, this.opts.severities, toArchiver, bot);
    // A private incident is said nowhere outside it: only its people hear, directly.
    if (this.opts.incidentsChannel && !incident.private) await post(this.opts.incidentsChannel, said(false));
    for (const user of archived.tell) await post(user, said(user === archived.byUserId));
    return refused;
  }

  async rejoinChannel(
    incident: Incident,
    byUserId: string,
    people: readonly string[],
  ): Promise<{ invited: string[]; refused: { place: string; error: string }[] }> {
    const channel = incident.channelId;
    const refused: { place: string; error: string }[] = [];
    if (!channel) return { invited: [], refused };
    let invited: string[] = [];
    // A private channel comes back with its members, the bot among them; a public one with nobody.
    if (!incident.private) {
      try {
        await this.client.conversations.join({ channel });
      } catch (err) {
        refused.push({ place: `joining ${channel}`, error: slackErrorReason(err) });
        return { invited, refused };
      }
      try {
        const { unreachable } = await this.pages.inviteToChannel(incident, [...people], 'invite its people back');
        invited = people.filter((u) => !unreachable.includes(u));
      } catch (err) {
        refused.push({ place: `inviting its people back into ${channel}`, error: slackErrorReason(err) });
      }
    }
    const msg = renderChannelUnarchived(incident, byUserId, invited);
    try {
      await this.client.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks, unfurl_links: false });
    } catch (err) {
      refused.push({ place: channel, error: slackErrorReason(err) });
    }
    return { invited, refused };
  }

  async announce(incident: Incident, madePublicBy?: string, alertSources?: readonly string[]): Promise<void> {
    if (!this.opts.incidentsChannel) return;
    // A private incident is announced nowhere; at most, as the runbook file says, that one exists.
    if (incident.private && announcesNothing(this.opts.privateAnnounce)) return;
    const channel = this.opts.incidentsChannel;
    const msg = incident.private
      ? renderPrivateNotice(incident, this.opts.severities)
      : madePublicBy
        ? renderMadePublicAnnouncement(incident, this.opts.severities, madePublicBy)
        : renderAnnouncement(incident, this.opts.severities, alertSources);
    // The declaration's announcement names its incident, so that it can be found again if the bot stops before
    // recording that it went (findAnnouncement).
    const metadata = madePublicBy
      ? undefined
      : { event_type: ANNOUNCE_EVENT, event_payload: { incident_id: incident.id } };
    await this.postInIncidentsChannel(channel, msg, 'announce the incident in', metadata);
  }

  /**
   * Whether the incident's announcement is in the incidents channel already (its metadata names the incident): a
   * declaration interrupted between announcing it and recording that is finished without announcing it twice. Reads
   * the channel newest first from a minute before the incident was declared, page after page, as findPage reads a
   * conversation; needs the `channels:history` (private channel: `groups:history`) scope. Without it, or if Slack
   * fails, false (announced again: at least once), logged once per reason.
   */
  async findAnnouncement(incident: Incident): Promise<boolean> {
    const channel = this.opts.incidentsChannel;
    if (!channel) return false;
    const isIt = (m: HistoryMessage) =>
      m.metadata?.event_type === ANNOUNCE_EVENT &&
      Number((m.metadata.event_payload as { incident_id?: unknown } | undefined)?.incident_id) === incident.id;
    const oldest = oldestSince(incident.createdAt);
    try {
      return (await this.core.findInHistory(channel, oldest, isIt)).ts !== null;
    } catch (err) {
      this.core.lookupFailed('announcement', err);
      return false;
    }
  }

  /**
   * A message in the incidents channel (an announcement, an update, a resolution). Refused for a reason the person who
   * runs the bot can fix (the bot not in it, the channel unknown or archived): said with what to do.
   */
  private async postInIncidentsChannel(
    channel: string,
    msg: Message,
    doing: 'announce the incident in' | 'post the update in',
    metadata?: { event_type: string; event_payload: Record<string, string | number> },
  ): Promise<void> {
    try {
      await this.client.chat.postMessage({
        channel,
        text: msg.text,
        blocks: msg.blocks,
        ...(metadata ? { metadata } : {}),
      });
    } catch (err) {
      const fix = ANNOUNCE_FIXES[slackErrorCode(err) ?? ''];
      const named = /^[CG][A-Z0-9]+$/.test(channel) ? `<#${channel}>` : `#${channel}`;
      if (fix) throw new ChatPlatformError(slackErrorCode(err)!, `Couldn't post in ${named}: ${fix(named)}.`);
      throw toChatPlatformError(err, `${doing} ${named}`);
    }
  }

  async notify(incident: Incident, notice: IncidentNotice, post?: NoticePost): Promise<readonly string[] | undefined> {
    if (!incident.channelId) {
      // No channel (it could not be made): a page given up is still told, in a direct message to the commander, else
      // the reporter. It is the only telling, so Slack refusing it fails the notice (its timer tries again).
      if (notice.kind === 'page_failed') {
        const dm = renderPageFailedDm(incident, notice);
        const to = notice.commanderId ?? incident.reporterId;
        await this.core.call('tell that a page failed in a direct message', () =>
          this.client.chat.postMessage({ channel: to, text: dm.text, blocks: dm.blocks, unfurl_links: false }),
        );
      }
      return undefined;
    }
    // What the topic names: the severity, the title, and whether it is resolved (by Resolve, or a status update).
    const resolvedNow =
      notice.kind === 'resolved' || (notice.kind === 'status_update' && notice.update.status === 'resolved');
    if (notice.kind === 'severity_changed' || notice.kind === 'renamed' || notice.kind === 'reopened' || resolvedNow)
      this.channels.keepTopic(incident);
    const shown = (m: Message) => (post?.late ? postedLate(m, post.late.madeAt) : m);
    const msg = renderNotice(incident, notice, this.opts.severities);
    // A post found there already (findNotice: a process died after it reached Slack) is not posted again.
    if (!post?.posted?.has('channel')) {
      const posting = shown(msg);
      await this.core.call('post in the incident channel', () =>
        this.client.chat.postMessage({
          channel: incident.channelId!,
          text: posting.text,
          blocks: posting.blocks,
          unfurl_links: false,
          ...(post ? { metadata: noticeMetadata(incident, post, 'channel') } : {}),
        }),
      );
    }
    // Someone named commander by another is brought in and told; the change stands if Slack cannot, and whoever made
    // it is told what to do.
    const problems =
      notice.kind === 'command_handed' && notice.toId !== notice.actorId
        ? await this.pages.tellMadeCommander(incident, notice)
        : [];
    // A page given up reached nobody: its commander hears it in a direct message too, best effort (logged): the channel
    // has it, and a retry of its timer must not post it there again.
    if (notice.kind === 'page_failed' && notice.commanderId) {
      const dm = renderPageFailedDm(incident, notice);
      await this.client.chat
        .postMessage({ channel: notice.commanderId, text: dm.text, blocks: dm.blocks, unfurl_links: false })
        .catch((err) =>
          this.opts.log?.warn(`incident ${incident.id}: could not tell its commander a page failed`, err),
        );
    }
    const copyTo = this.incidentsChannelOf(incident, notice);
    if (copyTo && !post?.posted?.has('incidents')) {
      // Alerts still firing at a resolution are for the incident's people (what to do is done in its channel).
      const told =
        notice.kind === 'resolved' && notice.stillFiring
          ? renderNotice(incident, { ...notice, stillFiring: undefined }, this.opts.severities)
          : msg;
      const copying = this.postInIncidentsChannel(
        copyTo,
        shown(told),
        'post the update in',
        post && noticeMetadata(incident, post, 'incidents'),
      );
      // Paging stopped is said once, by a timer that is tried again when this throws: the incidents channel failing
      // would say it again and again in the incident's channel. Its copy is best effort (logged).
      if (notice.kind === 'paging_stopped')
        await copying.catch((err) =>
          this.opts.log?.warn(
            `incident ${incident.id}: could not say in the incidents channel that paging stopped`,
            err,
          ),
        );
      else await copying;
    }
    return problems.length ? problems : undefined;
  }

  /** Where the notice is copied: the incidents channel hears updates of public incidents only. */
  private incidentsChannelOf(incident: Incident, notice: IncidentNotice): string | null {
    const copied =
      notice.kind === 'status_update' ||
      notice.kind === 'resolved' ||
      notice.kind === 'reopened' ||
      notice.kind === 'renamed' ||
      // Nobody acknowledged through every round of paging: people watching #incidents may pick it up.
      notice.kind === 'paging_stopped';
    return copied && this.opts.incidentsChannel && !incident.private ? this.opts.incidentsChannel : null;
  }

  /**
   * Where the notice of follow-up `followup` is already (its metadata names the follow-up, the incident and the place),
   * each place notify posts it in looked at apart: the incident channel, and the incidents channel for a notice copied
   * there. Reads each newest first from a minute before the change was made (`since`), page after page, as findPage
   * reads a conversation; needs the `channels:history` scope (`groups:history` for a private channel). Without it, or
   * if Slack fails, null (the notice is posted at most once then), logged once per reason.
   */
  async findNotice(
    incident: Incident,
    notice: IncidentNotice,
    followup: number,
    since: Date,
  ): Promise<ReadonlySet<NoticePlace> | null> {
    const places: [NoticePlace, string][] = [];
    if (incident.channelId) places.push(['channel', incident.channelId]);
    const copyTo = this.incidentsChannelOf(incident, notice);
    if (copyTo) places.push(['incidents', copyTo]);
    const oldest = oldestSince(since);
    const found = new Set<NoticePlace>();
    try {
      for (const [place, channel] of places) {
        const isIt = (m: HistoryMessage) => {
          if (m.metadata?.event_type !== NOTICE_EVENT) return false;
          const p = m.metadata.event_payload as
            | { incident_id?: unknown; followup_id?: unknown; place?: unknown }
            | undefined;
          return Number(p?.incident_id) === incident.id && Number(p?.followup_id) === followup && p?.place === place;
        };
        const at = await this.core.findInHistory(channel, oldest, isIt);
        if (at.ts) found.add(place);
        else if (at.more)
          this.opts.log?.warn(
            `incident ${incident.id}'s ${notice.kind} notice not found in the last ${LOOKUP_MESSAGES_AT_MOST} messages of ${channel}; posting it, so it may show twice`,
          );
      }
      return found;
    } catch (err) {
      this.core.lookupFailed('notice', err);
      return null;
    }
  }
}

/** The metadata event type of an incident's announcement in the incidents channel (its payload names the incident). */
const ANNOUNCE_EVENT = 'incident_announcement';

/**
 * The metadata event type of a change's notice kept until shown (its payload names the incident, its follow-up and
 * the place: `channel` or `incidents`).
 */
const NOTICE_EVENT = 'incident_notice';

/** A change's notice's metadata, in `place`, for findNotice. */
const noticeMetadata = (incident: Incident, post: NoticePost, place: NoticePlace) => ({
  event_type: NOTICE_EVENT,
  event_payload: { incident_id: incident.id, followup_id: post.followup, place },
});

/** Why the incidents channel (INCIDENTS_CHANNEL) refused the announcement, and how to fix it. */
const ANNOUNCE_FIXES: Record<string, (channel: string) => string> = {
  not_in_channel: (c) =>
    `the bot is not a member of ${c}. Invite it there (\`/invite @Incident Bot\` in ${c}), or, for a public channel, add the \`chat:write.public\` scope to the Slack app and reinstall it`,
  channel_not_found: (c) =>
    `Slack does not know ${c}, or it is private and the bot is not in it. Check INCIDENTS_CHANNEL (a channel ID such as C0123456789), and invite the bot (\`/invite @Incident Bot\`) if the channel is private`,
  is_archived: (c) => `${c} is archived. Unarchive it, or point INCIDENTS_CHANNEL at a live channel`,
};
