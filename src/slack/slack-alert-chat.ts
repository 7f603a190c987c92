import type { WebClient } from '@slack/web-api';
import type { AlertChat } from '../incidents/alert-ports.js';
import type { AlertCardView, AlertNoticeView } from '../incidents/alert-types.js';
import type { Incident } from '../incidents/types.js';
import { renderAlertNotice, renderAllResolved } from '../templates/alerts.js';
import type { BotIdentity } from './bot-identity.js';
import { toChatPlatformError } from './slack-errors.js';

/** The domain's AlertChat with the Slack Web API and the pure templates. */
export class SlackAlertChat implements AlertChat {
  private me: Promise<{ teamId: string; botUserId: string }> | null = null;

  constructor(
    private readonly client: WebClient,
    private readonly opts: { incidentsChannel?: string; identity?: BotIdentity },
  ) {}

  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toChatPlatformError(err, doing);
    }
  }

  /**
   * Known from the start's auth.test, else asked of Slack once, then kept (a failure is asked again next time): not a
   * round trip more before the first alert's channel.
   */
  self(): Promise<{ teamId: string; botUserId: string }> {
    const known = this.opts.identity;
    if (known?.teamId) return Promise.resolve({ teamId: known.teamId, botUserId: known.botUserId });
    this.me ??= this.call('find out which workspace the bot is in', () => this.client.auth.test()).then(
      (r) => ({ teamId: r.team_id ?? '', botUserId: r.user_id ?? this.opts.identity?.botUserId ?? '' }),
      (err) => {
        this.me = null;
        throw err;
      },
    );
    return this.me;
  }

  async postAlertNotice(notice: AlertNoticeView): Promise<{ channel: string; ts: string } | null> {
    const channel = this.opts.incidentsChannel;
    if (!channel) return null;
    const msg = renderAlertNotice(notice);
    const res = await this.call(`post the alert notice in ${channel}`, () =>
      this.client.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks, unfurl_links: false }),
    );
    return { channel: res.channel ?? channel, ts: res.ts! };
  }

  async updateAlertNotice(ref: { channel: string; ts: string }, notice: AlertNoticeView): Promise<void> {
    const msg = renderAlertNotice(notice);
    await this.call('update the alert notice', () =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  async offerResolve(incident: Incident, alerts: AlertCardView): Promise<void> {
    if (!incident.channelId) return;
    const msg = renderAllResolved(incident, alerts);
    await this.call('tell the incident channel its alerts resolved', () =>
      this.client.chat.postMessage({ channel: incident.channelId!, text: msg.text, blocks: msg.blocks }),
    );
  }
}
