import type { AlertCardView } from '../incidents/alert-types.js';
import {
  type AnsweredPage,
  EMPTY_USER_GROUP,
  type IncidentChat,
  type PageDmAt,
  type PageMessage,
  UnreachableContactError,
} from '../incidents/ports.js';
import type { Incident } from '../incidents/types.js';
import { renderMadeCommander } from '../templates/commander.js';
import { renderAnsweredPage, renderPage } from '../templates/notices.js';
import {
  channelRedirect,
  type HistoryMessage,
  LOOKUP_MESSAGES_AT_MOST,
  oldestSince,
  SlackChatPart,
  UNREACHABLE,
} from './slack-chat-core.js';
import { slackErrorCode, toChatPlatformError } from './slack-errors.js';

/**
 * The people side of the Slack chat (see SlackChat): user groups expanded into their members, pages sent as direct
 * messages (found again, updated once answered), and people invited to the incident channel.
 */
export class SlackPageChat
  extends SlackChatPart
  implements
    Pick<IncidentChat, 'resolveContacts' | 'sendPage' | 'refreshPage' | 'updatePage' | 'findPage' | 'inviteToChannel'>
{
  async resolveContacts(
    ids: string[],
  ): Promise<{ userIds: string[]; unresolved: string[]; unresolvedWhy: Record<string, string> }> {
    const userIds: string[] = [];
    const unresolved: string[] = [];
    // Slack's answer for each group it would not expand: said with it, so that the runbook or the app is fixed.
    const unresolvedWhy: Record<string, string> = {};
    for (const id of ids) {
      if (!id.startsWith('S')) {
        if (!userIds.includes(id)) userIds.push(id);
        continue;
      }
      try {
        const list = async () => (await this.client.usergroups.users.list({ usergroup: id })).users ?? [];
        const members = this.opts.cache ? await this.opts.cache.get(`usergroup:${id}`, list) : await list();
        if (members.length === 0) {
          // Slack answered, with nobody: kept so, for the page to say what to do (add people, or fix the ID).
          unresolved.push(id);
          unresolvedWhy[id] = EMPTY_USER_GROUP;
        }
        for (const u of members) if (!userIds.includes(u)) userIds.push(u);
      } catch (err) {
        const code = slackErrorCode(err);
        if (
          code === 'no_such_subteam' ||
          code === 'subteam_not_found' ||
          code === 'missing_scope' ||
          code === 'not_allowed_token_type'
        ) {
          unresolved.push(id);
          unresolvedWhy[id] = code;
          continue;
        }
        throw toChatPlatformError(err, `expand the user group ${id}`);
      }
    }
    return { userIds, unresolved, unresolvedWhy };
  }

  async sendPage(
    incident: Incident,
    page: PageMessage,
    userId: string,
    alerts?: AlertCardView,
  ): Promise<PageDmAt | undefined> {
    const msg = renderPage(incident, page, this.opts.severities, channelRedirect(incident), alerts, this.opts.timeZone);
    // Slack takes a DM to a deactivated account (someone who left, still in a rotation) and nobody reads it: asked
    // beside the DM (not before it: a page is not held up), the account's state makes it unreachable, as an unknown one
    // is. Slack not answering that says nothing.
    const deactivated = this.client.users.info({ user: userId }).then(
      (r) => r.user?.deleted === true,
      () => false,
    );
    try {
      const posted = await this.client.chat.postMessage({
        channel: userId,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
        // So that a retry can find it if the bot stops before recording that it went (findPage).
        ...(page.pageId !== undefined
          ? {
              metadata: {
                event_type: PAGE_EVENT,
                event_payload: {
                  incident_id: incident.id,
                  page_id: page.pageId,
                  user: userId,
                  ...(page.step !== undefined ? { step: page.step } : {}),
                },
              },
            }
          : {}),
      });
      if (await deactivated) throw new UnreachableContactError(userId, 'user_disabled');
      return posted.channel && posted.ts ? { channel: posted.channel, ts: posted.ts } : undefined;
    } catch (err) {
      if (err instanceof UnreachableContactError) throw err;
      const code = slackErrorCode(err);
      if (code && UNREACHABLE.has(code)) throw new UnreachableContactError(userId, code);
      throw toChatPlatformError(err, `page ${userId}`);
    }
  }

  async refreshPage(incident: Incident, dm: PageDmAt, page: PageMessage, alerts?: AlertCardView): Promise<void> {
    const msg = renderPage(incident, page, this.opts.severities, channelRedirect(incident), alerts, this.opts.timeZone);
    try {
      await this.client.chat.update({ channel: dm.channel, ts: dm.ts, text: msg.text, blocks: msg.blocks });
    } catch (err) {
      throw toChatPlatformError(err, 'update a page');
    }
  }

  async updatePage(incident: Incident, dm: PageDmAt, answered: AnsweredPage): Promise<void> {
    const msg = renderAnsweredPage(incident, answered, this.opts.severities, channelRedirect(incident));
    try {
      await this.client.chat.update({ channel: dm.channel, ts: dm.ts, text: msg.text, blocks: msg.blocks });
    } catch (err) {
      throw toChatPlatformError(err, `update ${answered.userId}'s page`);
    }
  }

  /**
   * Where the page's direct message is in the bot's conversation with the person, if it is there (its metadata names the
   * page and the person, and `step` for a later Slack step of the page; without `step`, the page's first DM): a page
   * job or a Slack step taken again after an attempt stopped between sending it and recording it finds it, instead of
   * paging the person twice. Reads that conversation (conversations.open for its id, then conversations.history),
   * newest first, page after page, from `since` (when the page was first tried: nothing of it is older) less a margin
   * for the clocks, until it is found, up to PAGE_LOOKUP_PAGES pages; needs the `im:write` and `im:history` scopes.
   * Without them, or if Slack fails, null (the page is sent again: at least once), logged once per reason.
   */
  async findPage(
    incident: Incident,
    pageId: number,
    userId: string,
    step?: number,
    since?: Date,
  ): Promise<PageDmAt | null> {
    const isIt = (m: HistoryMessage) => {
      if (m.metadata?.event_type !== PAGE_EVENT) return false;
      const p = m.metadata.event_payload as
        | { incident_id?: unknown; page_id?: unknown; user?: unknown; step?: unknown }
        | undefined;
      const itsStep = p?.step === undefined || p.step === null ? undefined : Number(p.step);
      return (
        Number(p?.incident_id) === incident.id &&
        Number(p?.page_id) === pageId &&
        p?.user === userId &&
        itsStep === step
      );
    };
    try {
      const open = await this.client.conversations.open({ users: userId });
      const channel = open.channel?.id;
      if (!channel) return null;
      const oldest = since ? oldestSince(since) : undefined;
      const found = await this.core.findInHistory(channel, oldest, isIt);
      if (found.ts) return { channel, ts: found.ts };
      if (!found.more) return null;
      this.opts.log?.warn(
        `page ${pageId}'s direct message to ${userId} not found in the last ${LOOKUP_MESSAGES_AT_MOST} messages of their conversation; sending it, so it may arrive twice`,
      );
      return null;
    } catch (err) {
      this.core.lookupFailed('page', err);
      return null;
    }
  }

  async inviteToChannel(
    incident: Incident,
    userIds: string[],
    doing = 'invite the paged people to the incident channel',
  ): Promise<{ unreachable: string[] }> {
    const unreachable: string[] = [];
    if (!incident.channelId) return { unreachable };
    for (const user of userIds) {
      try {
        await this.client.conversations.invite({ channel: incident.channelId, users: user });
      } catch (err) {
        const code = slackErrorCode(err);
        if (code === 'already_in_channel' || code === 'cant_invite_self') continue;
        if (code && UNREACHABLE.has(code)) {
          unreachable.push(user);
          continue;
        }
        throw toChatPlatformError(err, doing);
      }
    }
    return { unreachable };
  }

  /** Invites and tells someone made commander by another; what could not be done, for whoever made them. */
  async tellMadeCommander(incident: Incident, n: { actorId: string; toId: string }): Promise<string[]> {
    const problems: string[] = [];
    const who = `<@${n.toId}>`;
    try {
      const { unreachable } = await this.inviteToChannel(incident, [n.toId]);
      if (unreachable.length)
        problems.push(
          `Slack would not invite ${who} to this channel (not an active member of the workspace?): invite them by hand, or hand command to someone else`,
        );
    } catch (err) {
      this.opts.log?.warn(`could not invite the new commander ${n.toId} to the incident channel`, err);
      problems.push(
        `${who} could not be invited to this channel (${slackErrorCode(err) ?? 'Slack did not answer'}): invite them by hand`,
      );
    }
    const msg = renderMadeCommander(incident, n.actorId, this.opts.severities, channelRedirect(incident));
    try {
      await this.client.chat.postMessage({ channel: n.toId, text: msg.text, blocks: msg.blocks, unfurl_links: false });
    } catch (err) {
      this.opts.log?.warn(`could not tell ${n.toId} they were made commander`, err);
      problems.push(
        `${who} could not be told in a direct message (${slackErrorCode(err) ?? 'Slack did not answer'}): tell them yourself`,
      );
    }
    return problems;
  }
}

/** The metadata event type of a page's direct message (its payload names the incident, the page and the person). */
const PAGE_EVENT = 'incident_page';
