import type { WebClient } from '@slack/web-api';
import type { AlertChat, StormPlace } from '../incidents/alert-ports.js';
import type {
  AlertCardView,
  AlertNoticeView,
  AlertView,
  ChannelBudgetView,
  DeclaredApart,
  HeartbeatView,
  JoinedWhy,
  NotDeclaredView,
  OfferClosed,
  OutrankedView,
  PastCapView,
  WaitingForChannelView,
} from '../incidents/alert-types.js';
import type { Logger } from '../incidents/ports.js';
import type { Incident } from '../incidents/types.js';
import { announcesNothing, type PrivateAnnounce } from '../runbook/maintenance.js';
import { renderAttached, renderDetached } from '../templates/alert-by-hand.js';
import {
  renderChannelBudget,
  renderHeartbeat,
  renderNotDeclared,
  renderWaitingForChannel,
} from '../templates/alert-intake.js';
import {
  renderFiredElsewhere,
  renderJoined,
  renderJoinedElsewhere,
  renderMovedOut,
  renderOutranked,
} from '../templates/alert-moves.js';
import { renderAlertNotice } from '../templates/alert-notice.js';
import { renderAllResolved, renderFiredAgain, renderResolveOfferClosed } from '../templates/alert-resolved.js';
import { renderPastCap, renderStorm, renderStormMoved, renderStormMovedAway } from '../templates/alert-storm.js';
import type { Message } from '../templates/incident-card.js';
import { type BotIdentity, workspaceSelf } from './bot-identity.js';
import { slackErrorCode, toChatPlatformError } from './slack-errors.js';

/** The metadata event type of a storm step's message (its payload's `key`: the step's claim of the post). */
const STEP_POST_EVENT = 'alert_step_post';
/** A storm step's message looked for after a crash: this many pages of this many messages at most, newest first. */
const STEP_POST_LOOKUP_PAGES = 5;
const STEP_POST_LOOKUP_LIMIT = 200;
/** Looked for from this long before the dead attempt claimed it (Slack's clock and the database's may differ). */
const STEP_POST_CLOCK_MARGIN_MS = 60_000;

type Metadata = { event_type: string; event_payload: Record<string, string> };
const stepPostMetadata = (mark: string | undefined): Metadata | undefined =>
  mark ? { event_type: STEP_POST_EVENT, event_payload: { key: mark } } : undefined;

/** The domain's AlertChat with the Slack Web API and the pure templates. */
export class SlackAlertChat implements AlertChat {
  /** Which workspace the bot is in (workspaceSelf). */
  readonly self: () => Promise<{ teamId: string; botUserId: string }>;

  constructor(
    private readonly client: WebClient,
    private readonly opts: {
      incidentsChannel?: string;
      identity?: BotIdentity;
      /** What the incidents channel hears of a private incident: of a security alert's notice, the same (none: nothing). */
      privateAnnounce?: PrivateAnnounce;
      log?: Pick<Logger, 'warn'>;
    },
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

  /** Posts in the incidents channel, links not unfurled: where the message is; null when none is configured. */
  private async tellIncidentsChannel(
    msg: Message,
    doing: (channel: string) => string,
    metadata?: Metadata,
  ): Promise<{ channel: string; ts: string } | null> {
    const channel = this.opts.incidentsChannel;
    if (!channel) return null;
    const res = await this.call(doing(channel), () =>
      this.client.chat.postMessage({
        channel,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
        ...(metadata ? { metadata } : {}),
      }),
    );
    return { channel: res.channel ?? channel, ts: res.ts! };
  }

  /**
   * Whether the incidents channel hears that a security alert fired: a security alert's notice says no more there than
   * a private incident's announcement would, nothing at all unless the runbook has private incidents announced
   * (`private_incidents: { announce: notice }`).
   */
  private channelHearsSecurity(): boolean {
    return Boolean(this.opts.incidentsChannel) && !announcesNothing(this.opts.privateAnnounce);
  }

  postAlertNotice(notice: AlertNoticeView): Promise<{ channel: string; ts: string } | null> {
    if (notice.security && !this.channelHearsSecurity()) return Promise.resolve(null);
    return this.tellIncidentsChannel(renderAlertNotice(notice), (c) => `post the alert notice in <#${c}>`);
  }

  async updateAlertNotice(ref: { channel: string; ts: string }, notice: AlertNoticeView): Promise<void> {
    // A security alert's notice sent directly (no incidents channel set) stays whole there.
    const msg = renderAlertNotice(
      notice,
      ref.channel === this.opts.incidentsChannel ? 'channel' : 'direct',
      this.channelHearsSecurity(),
    );
    await this.call('update the alert notice', () =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  async sendAlertNotice(notice: AlertNoticeView, to: readonly string[]): Promise<{ channel: string; ts: string }[]> {
    const msg = renderAlertNotice(notice, 'direct', this.channelHearsSecurity());
    // Each person apart: one who cannot be written to does not keep the others from hearing.
    const sent = await Promise.allSettled(
      to.map((userId) =>
        this.call(`send ${userId} a security alert's notice`, () =>
          this.client.chat.postMessage({ channel: userId, text: msg.text, blocks: msg.blocks, unfurl_links: false }),
        ),
      ),
    );
    const refs = sent.flatMap((s, i) =>
      s.status === 'fulfilled' && s.value.ts ? [{ channel: s.value.channel ?? to[i]!, ts: s.value.ts }] : [],
    );
    const failed = sent.find((s) => s.status === 'rejected');
    if (refs.length === 0 && failed) throw failed.reason;
    return refs;
  }

  async tellHeartbeat(view: HeartbeatView): Promise<boolean> {
    return (await this.tellIncidentsChannel(renderHeartbeat(view), (c) => `tell ${c} of the heartbeat`)) !== null;
  }

  async tellChannelBudget(view: ChannelBudgetView): Promise<void> {
    await this.tellIncidentsChannel(renderChannelBudget(view), (c) => `tell ${c} that incidents from alerts wait`);
  }

  async tellWaitingForChannel(view: WaitingForChannelView, to: readonly string[]): Promise<void> {
    const msg = renderWaitingForChannel(view);
    // Each person apart: one who cannot be written to does not keep the others from hearing.
    const sent = await Promise.allSettled(
      to.map((userId) =>
        this.call(`tell ${userId} that a critical alert fired`, () =>
          this.client.chat.postMessage({ channel: userId, text: msg.text, blocks: msg.blocks, unfurl_links: false }),
        ),
      ),
    );
    const failed = sent.find((s) => s.status === 'rejected');
    if (failed && sent.every((s) => s.status === 'rejected')) throw failed.reason;
  }

  async tellNotDeclared(view: NotDeclaredView, to: readonly string[]): Promise<void> {
    // Each person apart: one who cannot be written to does not keep the others from hearing.
    const dm = renderNotDeclared(view, true);
    const sent = await Promise.allSettled(
      to.map((userId) =>
        this.call(`tell ${userId} that an alert's incident could not be opened`, () =>
          this.client.chat.postMessage({ channel: userId, text: dm.text, blocks: dm.blocks, unfurl_links: false }),
        ),
      ),
    );
    const told = await this.tellIncidentsChannel(
      renderNotDeclared(view, false),
      (c) => `tell ${c} that an alert's incident could not be opened`,
    ).catch((err: unknown) => err);
    const failed = [
      ...sent.filter((s) => s.status === 'rejected').map((s) => s.reason),
      ...(told instanceof Error ? [told] : []),
    ];
    // Nobody told at all: the caller logs it.
    if (failed.length === to.length + 1) throw failed[0];
  }

  tellStorm(
    incident: Incident,
    storm: { source: string; maxIncidents: number; back?: boolean },
    where: StormPlace,
    mark?: string,
    earlier?: readonly { number: number; channelId: string | null }[],
  ): Promise<{ channel: string; ts: string } | null> {
    const metadata = stepPostMetadata(mark);
    if (where === 'here')
      return this.tellChannel(incident, renderStorm(incident, storm, 'here'), 'an alert storm joins it', metadata);
    // The incidents channel is everyone's: a private incident is not named there.
    if (incident.private) return Promise.resolve(null);
    return this.tellIncidentsChannel(
      renderStorm(incident, storm, 'everyone', earlier),
      (c) => `tell ${c} of the alert storm`,
      metadata,
    );
  }

  async findStepPost(
    incident: Incident,
    where: StormPlace,
    mark: string,
    since: Date,
    thread?: string,
  ): Promise<{ channel: string; ts: string } | null> {
    const channel = where === 'here' ? incident.channelId : this.opts.incidentsChannel;
    if (!channel) return null;
    const oldest = ((since.getTime() - STEP_POST_CLOCK_MARGIN_MS) / 1000).toFixed(6);
    try {
      let cursor: string | undefined;
      for (let read = 0; read < STEP_POST_LOOKUP_PAGES; read++) {
        const page = {
          channel,
          oldest,
          limit: STEP_POST_LOOKUP_LIMIT,
          include_all_metadata: true,
          ...(cursor ? { cursor } : {}),
        };
        // A reply in a thread is not in the channel's history: the thread's replies are read instead.
        const res = thread
          ? await this.client.conversations.replies({ ...page, ts: thread })
          : await this.client.conversations.history(page);
        const found = res.messages?.find(
          (m) =>
            m.metadata?.event_type === STEP_POST_EVENT &&
            (m.metadata.event_payload as { key?: unknown } | undefined)?.key === mark,
        );
        if (found?.ts) return { channel, ts: found.ts };
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!res.has_more || !cursor) return null;
      }
      this.opts.log?.warn(
        `${mark}: not found in the last ${STEP_POST_LOOKUP_PAGES * STEP_POST_LOOKUP_LIMIT} messages of ${channel}; posting it, so it may show twice`,
      );
      return null;
    } catch (err) {
      this.opts.log?.warn(
        `could not look for ${mark} in ${channel} (${slackErrorCode(err) ?? String(err)}${slackErrorCode(err) === 'missing_scope' ? ': add the channels:history and groups:history scopes' : ''}); posting it, so it may show twice`,
      );
      return null;
    }
  }

  async withdrawStormPost(ref: { channel: string; ts: string }): Promise<void> {
    try {
      await this.client.chat.delete({ channel: ref.channel, ts: ref.ts });
    } catch (err) {
      if (slackErrorCode(err) === 'message_not_found') return;
      throw toChatPlatformError(err, `delete the alert storm message ${ref.ts} in <#${ref.channel}>, one too many`);
    }
  }

  async tellStormMoved(
    ref: { channel: string; ts: string },
    incident: Incident,
    storm: { source: string; maxIncidents: number },
    earlier: readonly { number: number; channelId: string | null }[],
    threaded: boolean,
    mark?: string,
  ): Promise<void> {
    // The message first (it names where the storm goes, whatever becomes of the reply), pointing to its thread only if
    // that has a reply already: the one below may be refused (the step redraws it once it is posted).
    await this.showStorm(ref, incident, storm, earlier, threaded);
    const moved = renderStormMoved(incident, storm.source, earlier.at(-1) ?? null);
    await this.call('say in its thread where the alert storm goes now', () =>
      this.client.chat.postMessage({
        channel: ref.channel,
        thread_ts: ref.ts,
        text: moved.text,
        blocks: moved.blocks,
        unfurl_links: false,
        ...(mark ? { metadata: stepPostMetadata(mark) } : {}),
      }),
    );
  }

  async showStorm(
    ref: { channel: string; ts: string },
    incident: Incident,
    storm: { source: string; maxIncidents: number },
    earlier: readonly { number: number; channelId: string | null }[],
    threaded: boolean,
  ): Promise<void> {
    const msg = renderStorm(incident, storm, 'everyone', earlier, threaded);
    await this.call('update the alert storm message', () =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  tellStormMovedAway(
    earlier: Incident,
    now: Incident,
    source: string,
    mark?: string,
  ): Promise<{ channel: string; ts: string } | null> {
    return this.tellChannel(
      earlier,
      renderStormMovedAway(now, source),
      'its alert storm now goes to another incident',
      stepPostMetadata(mark),
    );
  }

  tellJoined(
    incident: Incident,
    alerts: readonly AlertView[],
    storm: { source: string; why?: JoinedWhy },
    where: StormPlace,
    before?: ReadonlyMap<number, DeclaredApart>,
    mark?: string,
  ): Promise<{ channel: string; ts: string } | null> {
    const metadata = stepPostMetadata(mark);
    if (where === 'here')
      return this.tellChannel(incident, renderJoined(alerts, before), 'alerts of new names joined it', metadata);
    // The incidents channel is everyone's: a private incident is not named there.
    if (incident.private) return Promise.resolve(null);
    return this.tellIncidentsChannel(
      renderJoinedElsewhere(incident, alerts, storm.source, new Map(), storm.why),
      (c) => `tell ${c} of the alerts a storm sent to incident #${incident.number}`,
      metadata,
    );
  }

  async updateJoined(
    ref: { channel: string; ts: string },
    incident: Incident,
    alerts: readonly AlertView[],
    storm: { source: string; why?: JoinedWhy },
    apart: ReadonlyMap<number, DeclaredApart>,
  ): Promise<void> {
    const msg = renderJoinedElsewhere(incident, alerts, storm.source, apart, storm.why);
    await this.call('update the message saying alerts joined an incident', () =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  tellPastCap(
    incident: Incident,
    view: PastCapView,
    where: StormPlace,
    mark?: string,
  ): Promise<{ channel: string; ts: string } | null> {
    const metadata = stepPostMetadata(mark);
    if (where === 'here')
      return this.tellChannel(
        incident,
        renderPastCap(incident, view, 'here'),
        'it was opened past the storm cap',
        metadata,
      );
    if (incident.private) return Promise.resolve(null);
    return this.tellIncidentsChannel(
      renderPastCap(incident, view, 'everyone'),
      (c) => `tell ${c} of the storm cap`,
      metadata,
    );
  }

  async tellOutranked(incident: Incident, view: OutrankedView): Promise<void> {
    await this.tellChannel(incident, renderOutranked(incident, view), 'a critical alert joined it');
  }

  offerResolve(incident: Incident, alerts: AlertCardView): Promise<{ channel: string; ts: string } | null> {
    return this.tellChannel(incident, renderAllResolved(incident, alerts), 'its alerts resolved');
  }

  async closeResolveOffer(
    ref: { channel: string; ts: string },
    incident: Incident,
    why: OfferClosed,
    hasInfo?: boolean,
  ): Promise<void> {
    const msg = renderResolveOfferClosed(incident, why, hasInfo);
    await this.call('update the offer to resolve the incident', () =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  async tellFiredAgain(incident: Incident, alerts: AlertCardView): Promise<void> {
    await this.tellChannel(incident, renderFiredAgain(incident, alerts), 'an alert fires again');
  }

  async tellAttached(
    incident: Incident,
    by: string,
    alerts: readonly AlertView[],
    alertIncident: number,
  ): Promise<void> {
    await this.tellChannel(incident, renderAttached(by, alerts, alertIncident), 'alerts were added to it');
  }

  async tellMovedOut(
    incident: Incident,
    alerts: readonly AlertView[],
    to: DeclaredApart,
    by: string,
    how: 'declared' | 'reopened',
  ): Promise<void> {
    await this.tellChannel(incident, renderMovedOut(alerts, to, by, how), 'alerts moved out of it');
  }

  tellFiredElsewhere(
    resolved: Incident,
    alerts: readonly AlertView[],
    joined: DeclaredApart,
    mark?: string,
  ): Promise<{ channel: string; ts: string } | null> {
    return this.tellChannel(
      resolved,
      renderFiredElsewhere(resolved, alerts, joined),
      'its alert fired again elsewhere',
      stepPostMetadata(mark),
    );
  }

  async closeFiredElsewhere(
    ref: { channel: string; ts: string },
    reopened: Incident,
    alerts: readonly AlertView[],
    joined: DeclaredApart,
  ): Promise<void> {
    const msg = renderFiredElsewhere(reopened, alerts, joined, { by: reopened.reopenedBy, at: reopened.reopenedAt });
    await this.call('update the message saying its alert fired again elsewhere', () =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  async tellDetached(incident: Incident, by: string, alerts: readonly AlertView[]): Promise<void> {
    await this.tellChannel(incident, renderDetached(by, alerts), 'alerts were taken out of it');
  }

  async closeAttached(
    ref: { channel: string; ts: string },
    added: { by: string; alerts: readonly AlertView[] },
    takenOut: { by: string; at: Date },
  ): Promise<void> {
    const msg = renderAttached(added.by, added.alerts, null, takenOut);
    await this.call('update the message saying alerts were added', () =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  /** Posts in the incident's channel (none to post in: nothing, null), links not unfurled: where the message is. */
  private async tellChannel(
    incident: Incident,
    msg: Message,
    what: string,
    metadata?: Metadata,
  ): Promise<{ channel: string; ts: string } | null> {
    const channel = incident.channelId;
    if (!channel) return null;
    const res = await this.call(`tell the incident channel ${what}`, () =>
      this.client.chat.postMessage({
        channel,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
        ...(metadata ? { metadata } : {}),
      }),
    );
    return res.ts ? { channel: res.channel ?? channel, ts: res.ts } : null;
  }
}
