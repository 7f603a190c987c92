import type { WebClient } from '@slack/web-api';
import type { MaintenanceChat, MaintenanceMessage } from '../incidents/maintenance.service.js';
import { renderMaintenanceMessage } from '../templates/maintenance.js';
import { type BotIdentity, workspaceSelf } from './bot-identity.js';
import { toChatPlatformError } from './slack-errors.js';

/** The domain's MaintenanceChat with the Slack Web API and the pure templates. */
export class SlackMaintenanceChat implements MaintenanceChat {
  /** Which workspace the bot is in (workspaceSelf). */
  readonly self: () => Promise<{ teamId: string; botUserId: string }>;

  constructor(
    private readonly client: WebClient,
    identity?: BotIdentity,
  ) {
    this.self = workspaceSelf(client, identity);
  }

  async post(channelId: string, message: MaintenanceMessage): Promise<void> {
    const msg = renderMaintenanceMessage(message, new Date());
    try {
      await this.client.chat.postMessage({
        channel: channelId,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
      });
    } catch (err) {
      throw toChatPlatformError(err, `post the maintenance window in <#${channelId}>`);
    }
  }
}
