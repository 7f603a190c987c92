import { incidentChannelName } from '../incidents/channel-name.js';
import type { DeclarationReport, IncidentChat } from '../incidents/ports.js';
import { severityLabel, severityWithResponse } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { renderDeclarationReport } from '../templates/notices.js';
import { mrkdwnClipUnits } from '../templates/text.js';
import { PAGE_LOOKUP_CLOCK_MARGIN_MS, SlackChatPart } from './slack-chat-core.js';
import { rateLimitedFor, slackErrorCode, toChatPlatformError } from './slack-errors.js';

/**
 * The incident channel side of the Slack chat (see SlackChat): the channel made (found again, or given up) for a
 * declaration, its topic kept, and the declarer told how an interrupted declaration ended.
 */
export class SlackChannelChat
  extends SlackChatPart
  implements Pick<IncidentChat, 'openChannel' | 'findChannel' | 'abandonChannel' | 'tellDeclarer'>
{
  /** Channels whose topic is being set, and the incident as it should show next, if it changed meanwhile. */
  private readonly topics = new Map<string, { next: Incident | null }>();

  async openChannel(
    incident: Incident,
    onCreated?: (channel: { channelId: string; channelName: string }) => Promise<void>,
  ): Promise<{ channelId: string; channelName: string }> {
    const attempts = this.opts.maxNameAttempts ?? 20;
    let created: { id: string; name: string } | undefined;
    for (let n = 1; n <= attempts && !created; n++) {
      const name = incidentChannelName(incident.number, incident.title, n);
      try {
        // A private incident's channel is private from the start: Slack cannot make a public channel private later
        // without losing what was said, and nothing of it may be seen meanwhile.
        const res = await this.client.conversations.create({ name, is_private: incident.private });
        created = { id: res.channel!.id!, name: res.channel!.name ?? name };
      } catch (err) {
        if (slackErrorCode(err) === 'name_taken') continue;
        throw toChatPlatformError(err, 'create the incident channel');
      }
    }
    if (!created) {
      throw toChatPlatformError(
        Object.assign(new Error('name_taken'), { code: 'slack_webapi_platform_error', data: { error: 'name_taken' } }),
        `create the incident channel (${attempts} names were taken)`,
      );
    }
    const channel = created;
    const topic = this.topicOf(incident);
    const invite = async () => {
      // The bot itself (an incident opened from an alert): it made the channel, so it is in it; Slack would only say
      // cant_invite_self, one call a declaration of a storm's.
      if (incident.reporterId === (await this.core.botUser())) return;
      try {
        await this.client.conversations.invite({ channel: channel.id, users: incident.reporterId });
      } catch (err) {
        const code = slackErrorCode(err);
        // The reporter may be the installer who is already in, or a bot/app user: neither stops the incident.
        if (code !== 'already_in_channel' && code !== 'cant_invite_self') {
          throw toChatPlatformError(err, 'invite you to the incident channel');
        }
      }
    };
    // Recording the channel, its topic and the invitation need only the channel: side by side, not one round trip
    // after another (a storm declares many at once). Each is over before this returns; the first failure, in this
    // order, is thrown. The topic only shows what the card says: Slack refusing it is logged, not the declaration's end.
    const steps = await Promise.allSettled([
      onCreated?.({ channelId: channel.id, channelName: channel.name }),
      this.client.conversations
        .setTopic({ channel: channel.id, topic })
        .catch((err) =>
          this.opts.log?.warn(
            `could not set the topic of ${channel.id}`,
            toChatPlatformError(err, 'set the channel topic'),
          ),
        ),
      invite(),
    ]);
    const failed = steps.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return { channelId: channel.id, channelName: channel.name };
  }

  /**
   * The channel made for `incident` whose id was never recorded (see IncidentChat.findChannel): a channel the bot
   * created, not archived, under one of the names openChannel tries for it, created since a minute before the incident
   * was (clocks differ). Reads the workspace's channels, a thousand a call, up to CHANNEL_LOOKUP_PAGES calls; needs
   * `channels:read` (`groups:read` for a private incident). Slack failing: null, logged.
   */
  async findChannel(incident: Incident): Promise<string | null> {
    const attempts = this.opts.maxNameAttempts ?? 20;
    const names = new Set(
      Array.from({ length: attempts }, (_, i) => incidentChannelName(incident.number, incident.title, i + 1)),
    );
    const since = Math.floor((incident.createdAt.getTime() - PAGE_LOOKUP_CLOCK_MARGIN_MS) / 1000);
    try {
      const bot = await this.core.botUser();
      let cursor: string | undefined;
      for (let read = 0; read < CHANNEL_LOOKUP_PAGES; read++) {
        const res = await this.client.conversations.list({
          types: incident.private ? 'private_channel' : 'public_channel',
          exclude_archived: true,
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        });
        const found = res.channels?.find(
          (c) => c.name && names.has(c.name) && (!bot || c.creator === bot) && (c.created ?? 0) >= since,
        );
        if (found?.id) return found.id;
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) return null;
      }
      return null;
    } catch (err) {
      this.opts.log?.warn(
        `could not look for the channel of interrupted declaration ${incident.id} (${slackErrorCode(err) ?? String(err)})`,
      );
      return null;
    }
  }

  async abandonChannel(channelId: string): Promise<void> {
    try {
      await this.client.conversations.archive({ channel: channelId });
    } catch (err) {
      if (slackErrorCode(err) !== 'already_archived') throw toChatPlatformError(err, 'archive the channel');
    }
  }

  async tellDeclarer(report: DeclarationReport): Promise<void> {
    // An incident the bot declared itself (from alerts) has nobody to tell: a direct message to its own user went
    // nowhere. Its channel and card say how it ended; the log says so too.
    if (report.incident.reporterId === (await this.core.botUser())) {
      this.opts.log?.warn(
        `declaration of incident ${report.incident.id} (from alerts) ended after an interruption: ${report.kind}`,
      );
      return;
    }
    const text = renderDeclarationReport(report, this.opts.severities);
    await this.core.call('tell the declarer', () =>
      this.client.chat.postMessage({ channel: report.incident.reporterId, text, unfurl_links: false }),
    );
  }

  /**
   * The channel topic: severity, response time (once resolved, that it is), number and title. Topics render mentions
   * and links: escaped.
   */
  private topicOf(incident: Incident): string {
    const state =
      incident.status === 'resolved'
        ? `Resolved · ${severityLabel(incident.severity)}`
        : severityWithResponse(incident.severity, this.opts.severities);
    return mrkdwnClipUnits(`${state} · #${incident.number} ${incident.title}`, 250);
  }

  /**
   * Sets the channel topic to name the incident's severity and title, in the background: Slack allows about 20 topic
   * changes a minute (Tier 2) and answers more with a wait, which must hold up neither the notice nor the handler (nor,
   * through the SDK's paused queue, any other call: see `topicClient`). One change at a time per channel; changes made
   * meanwhile are coalesced into one, the latest; a rate-limited one is made again after Slack's wait. The topic is
   * shown, not kept: a restart forgets a change still waiting. A failure is logged.
   */
  keepTopic(incident: Incident): void {
    const channel = incident.channelId;
    if (!channel) return;
    const running = this.topics.get(channel);
    if (running) {
      running.next = incident;
      return;
    }
    const state: { next: Incident | null } = { next: incident };
    this.topics.set(channel, state);
    const client = this.opts.topicClient ?? this.client;
    void (async () => {
      for (let i = state.next; i; i = state.next) {
        state.next = null;
        try {
          await client.conversations.setTopic({ channel, topic: this.topicOf(i) });
        } catch (err) {
          const wait = rateLimitedFor(err);
          if (wait !== undefined) {
            state.next ??= i;
            await new Promise((r) => setTimeout(r, Math.min(wait, 120) * 1000).unref());
            continue;
          }
          this.opts.log?.warn(
            `could not set the topic of ${channel}`,
            toChatPlatformError(err, 'set the channel topic'),
          );
        }
      }
      this.topics.delete(channel);
    })();
  }
}

/** How many pages of a thousand channels findChannel reads at most. */
const CHANNEL_LOOKUP_PAGES = 10;
