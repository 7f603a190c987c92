import type { WebClient } from '@slack/web-api';
import type { MaintenanceChat, MaintenanceMessage } from '../incidents/maintenance.service.js';
import { renderMaintenanceMessage } from '../templates/maintenance.js';
import type { BotIdentity } from './bot-identity.js';
import { toChatPlatformError } from './slack-errors.js';

/** The domain's MaintenanceChat with the Slack Web API and the pure templates. */
export class SlackMaintenanceChat implements MaintenanceChat {
  private me: Promise<{ teamId: string; botUserId: string }> | null = null;

  constructor(
    private readonly client: WebClient,
    private readonly identity?: BotIdentity,
  ) {}

  /** Known from the start's auth.test, else asked of Slack once, then kept; a failure is asked again next time. */
  self(): Promise<{ teamId: string; botUserId: string }> {
    const known = this.identity;
    if (known?.teamId) return Promise.resolve({ teamId: known.teamId, botUserId: known.botUserId });
    this.me ??= this.client.auth.test().then(
      (r) => ({ teamId: r.team_id ?? '', botUserId: r.user_id ?? '' }),
      (err) => {
        this.me = null;
        throw toChatPlatformError(err, 'find out which workspace the bot is in');
      },
    );
    return this.me;
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
      throw toChatPlatformError(err, `post the maintenance window in ${channelId}`);
    }
  }
}
