import type { WebClient } from '@slack/web-api';
import type { AlertChat } from '../incidents/alert-ports.js';
import type { AlertCardView, AlertNoticeView, HeartbeatView, OutrankedView } from '../incidents/alert-types.js';
import type { Incident } from '../incidents/types.js';
import {
  renderAlertNotice,
  renderAllResolved,
  renderFiredAgain,
  renderHeartbeat,
  renderOutranked,
} from '../templates/alerts.js';
import { type BotIdentity, workspaceSelf } from './bot-identity.js';
import { toChatPlatformError } from './slack-errors.js';

/** The domain's AlertChat with the Slack Web API and the pure templates. */
export class SlackAlertChat implements AlertChat {
  /** Which workspace the bot is in (workspaceSelf). */
  readonly self: () => Promise<{ teamId: string; botUserId: string }>;

  constructor(
    private readonly client: WebClient,
    private readonly opts: { incidentsChannel?: string; identity?: BotIdentity },
  ) {
    this.self = workspaceSelf(client, opts.identity);
  }

  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toChatPlatformError(err, doing);
    }
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

  async tellHeartbeat(view: HeartbeatView): Promise<boolean> {
    const channel = this.opts.incidentsChannel;
    if (!channel) return false;
    const msg = renderHeartbeat(view);
    await this.call(`tell ${channel} of the heartbeat`, () =>
      this.client.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks, unfurl_links: false }),
    );
    return true;
  }

  async tellOutranked(incident: Incident, view: OutrankedView): Promise<void> {
    if (!incident.channelId) return;
    const msg = renderOutranked(incident, view);
    await this.call('tell the incident channel a critical alert joined it', () =>
      this.client.chat.postMessage({
        channel: incident.channelId!,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
      }),
    );
  }

  async offerResolve(incident: Incident, alerts: AlertCardView): Promise<void> {
    if (!incident.channelId) return;
    const msg = renderAllResolved(incident, alerts);
    await this.call('tell the incident channel its alerts resolved', () =>
      this.client.chat.postMessage({ channel: incident.channelId!, text: msg.text, blocks: msg.blocks }),
    );
  }

  async tellFiredAgain(incident: Incident, alerts: AlertCardView): Promise<void> {
    if (!incident.channelId) return;
    const msg = renderFiredAgain(incident, alerts);
    await this.call('tell the incident channel an alert fires again', () =>
      this.client.chat.postMessage({
        channel: incident.channelId!,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
      }),
    );
  }
}
