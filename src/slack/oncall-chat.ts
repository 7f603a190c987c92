import type { WebClient } from '@slack/web-api';
import type { HandoffNotice, OnCallChat, PersonKind, WithdrawnHandoff } from '../incidents/oncall.service.js';
import { UnreachableContactError } from '../incidents/ports.js';
import type { Message } from '../templates/incident-card.js';
import {
  renderHandoffDm,
  renderHandoffNotice,
  renderHandoffOutgoingDm,
  renderHandoffWithdrawn,
  renderHandoffWithdrawnDm,
} from '../templates/oncall.js';
import { UNREACHABLE } from './slack-chat-core.js';
import { slackErrorCode, toChatPlatformError } from './slack-errors.js';

/** The OnCallChat of the domain, in Slack: the hand-off line in a channel, the incoming and outgoing people's direct messages. */
export class SlackOnCallChat implements OnCallChat {
  constructor(
    private readonly client: WebClient,
    /** The bot's own user (auth.test), never a person to put on call. */
    private readonly self: () => Promise<{ botUserId: string }>,
  ) {}

  async whoIs(userId: string): Promise<PersonKind> {
    const me = await this.self().catch(() => null);
    if (me?.botUserId === userId) return 'self';
    if (userId === 'USLACKBOT') return 'bot';
    try {
      const { user } = await this.client.users.info({ user: userId });
      if (!user) return 'unchecked';
      if (user.deleted) return 'deactivated';
      if (user.is_bot) return 'bot';
      return 'person';
    } catch (err) {
      // Slack not answering is no reason to refuse an override: only an answer that it knows nobody of that ID.
      return slackErrorCode(err) === 'user_not_found' ? 'unknown' : 'unchecked';
    }
  }

  postHandoff(channelId: string, notice: HandoffNotice): Promise<void> {
    return this.post(channelId, renderHandoffNotice(notice));
  }

  postHandoffWithdrawn(channelId: string, w: WithdrawnHandoff): Promise<void> {
    return this.post(channelId, renderHandoffWithdrawn(w));
  }

  tellWithdrawn(userId: string, w: WithdrawnHandoff): Promise<void> {
    return this.tell(userId, renderHandoffWithdrawnDm(w));
  }

  private async post(channelId: string, msg: Message): Promise<void> {
    try {
      await this.client.chat.postMessage({
        channel: channelId,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
      });
    } catch (err) {
      throw toChatPlatformError(err, 'post the on-call hand-off notice');
    }
  }

  tellIncoming(userId: string, notice: HandoffNotice): Promise<void> {
    return this.tell(userId, renderHandoffDm(notice));
  }

  tellOutgoing(userId: string, notice: HandoffNotice): Promise<void> {
    return this.tell(userId, renderHandoffOutgoingDm(notice));
  }

  private async tell(userId: string, msg: Message): Promise<void> {
    try {
      await this.client.chat.postMessage({ channel: userId, text: msg.text, blocks: msg.blocks, unfurl_links: false });
    } catch (err) {
      const code = slackErrorCode(err);
      if (code && UNREACHABLE.has(code)) throw new UnreachableContactError(userId, code);
      throw toChatPlatformError(err, `send <@${userId}> a direct message`);
    }
  }
}
