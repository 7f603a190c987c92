import type { WebClient } from '@slack/web-api';
import type { AlertCardView } from '../incidents/alert-types.js';
import { incidentChannelName } from '../incidents/channel-name.js';
import { ChatPlatformError } from '../incidents/errors.js';
import {
  type AnsweredPage,
  type ApprovalDm,
  type ApprovalDmView,
  type ApprovalView,
  type AskedVersion,
  type ChatPlace,
  type ChecklistGivenUp,
  type ChecklistMarker,
  type ChecklistView,
  type CheckResult,
  type DeclarationReport,
  type DeploymentView,
  type EscalationView,
  type FollowUpCardView,
  type IncidentChat,
  type IncidentNotice,
  type ListOutOfDate,
  type Logger,
  type NoticePlace,
  type NoticePost,
  type ObjectivesView,
  type PageDmAt,
  type PageMessage,
  type PlaybookChat,
  type PlaybookNote,
  type RetryAnswer,
  type RollbackVerdict,
  type RunView,
  type ShownDeployments,
  UnreachableContactError,
  type VerificationSubject,
} from '../incidents/ports.js';
import { type SeverityDefs, severityLabel, severityWithResponse } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { announcesNothing, type PrivateAnnounce } from '../runbook/maintenance.js';
import type { KeyValue } from '../store/kv.js';
import type { KvCache } from '../store/kv-cache.js';
import { renderApproval, renderApprovalDm } from '../templates/approval.js';
import { renderChecklist, renderPlaybookNote } from '../templates/checklist.js';
import { renderChecklistGivenUp } from '../templates/checklist-given-up.js';
import { renderMadeCommander } from '../templates/commander.js';
import { type Message, renderIncidentCard } from '../templates/incident-card.js';
import {
  postedLate,
  renderAnnouncement,
  renderAnsweredPage,
  renderDeclarationReport,
  renderNotice,
  renderPage,
  renderPageFailedDm,
} from '../templates/notices.js';
import { channelUrl } from '../templates/page-notifications.js';
import {
  deployedOverList,
  renderDeployments,
  renderHistoryUnread,
  renderRun,
  renderVerification,
  settledDeployments,
} from '../templates/playbook.js';
import { renderMadePublicAnnouncement, renderPrivateNotice } from '../templates/private-incidents.js';
import { mrkdwnClipUnits } from '../templates/text.js';
import { ShownCards } from './shown-cards.js';
import { rateLimitedFor, slackErrorCode, toChatPlatformError } from './slack-errors.js';

export interface SlackChatOptions {
  /** The runbook's severity levels: names and response times shown on the card, topic, notices and pages. */
  severities: SeverityDefs;
  /** The zone a page's communication template gives times in (TIME_ZONE; UTC when unset). */
  timeZone?: string;
  /** Channel (ID, or name for public channels) where new incidents and status updates are announced. */
  incidentsChannel?: string;
  /** How many alternative names to try when `inc-42-db-down` is taken. */
  maxNameAttempts?: number;
  /** Keeps user-group members, and whether a channel is private, for a minute, shared by every replica. */
  cache?: KvCache;
  /** The store replicas share (Redis, else this process's): what each card was last put in Slack as. */
  shared?: Pick<KeyValue, 'get' | 'set'>;
  /** What the incidents channel hears of a private incident (the runbook's `private_incidents.announce`). */
  privateAnnounce?: PrivateAnnounce;
  /** Where failures of what is done in the background (a channel topic) are told. */
  log?: Pick<Logger, 'warn'>;
  /**
   * The client for channel topics: one that rejects a rate-limited call (`rejectRateLimitedCalls`) rather than
   * pausing every call of the client for Slack's wait, as the SDK does. Default: the main client.
   */
  topicClient?: WebClient;
  /** The bot's own user (auth.test's, asked once when not given): the reporter of incidents opened from alerts. */
  botUserId?: string;
}

/** What each look in Slack's history is for: what it looks for, the scopes it needs, what happens when it cannot. */
const HISTORY_LOOKUPS = {
  announcement: {
    what: 'an announcement already posted in the incidents channel',
    scopes: 'channels:history scope (groups:history for a private channel)',
    so: 'posting it, so it may show twice',
  },
  notice: {
    what: "a change's notice already posted",
    scopes: 'channels:history and groups:history scopes',
    so: 'a notice left by a process that stopped is posted at most once, so it may be missing in a channel',
  },
  page: {
    what: "a page's direct message already sent",
    scopes: 'im:write and im:history scopes',
    so: 'sending it, so it may arrive twice',
  },
  run: {
    what: "a lost run's message its process posted without recording it",
    scopes: 'channels:history and groups:history scopes',
    so: 'it is looked for again a few times, then that message is left saying the run is running',
  },
  checklist: {
    what: "a playbook's checklist (a run's, or one attached to an incident) its process posted without recording it",
    scopes: 'channels:history and groups:history scopes',
    so: 'the checklist is neither recorded nor posted until Slack can be read; tried again a few times',
  },
} as const;

/** The domain's IncidentChat and PlaybookChat, implemented with the Slack Web API and the pure templates. */
export class SlackChat implements IncidentChat, PlaybookChat {
  constructor(
    private readonly client: WebClient,
    private readonly opts: SlackChatOptions,
  ) {
    this.shownCards = new ShownCards(opts.shared);
  }

  /** Channels whose topic is being set, and the incident as it should show next, if it changed meanwhile. */
  private readonly topics = new Map<string, { next: Incident | null }>();

  /** What each card was last put in Slack as: an update that would show the same again is left out. */
  private readonly shownCards: ShownCards;

  /**
   * Why looking in Slack's history for something already posted failed, by what was looked for: each reason said once
   * in the log (a missing scope fails every retry).
   */
  private readonly lookupFailures = new Set<string>();

  /** Logs once per kind and reason that a look in Slack's history failed, with the scopes to add and what follows. */
  private lookupFailed(kind: keyof typeof HISTORY_LOOKUPS, err: unknown): void {
    const code = slackErrorCode(err) ?? (err instanceof Error ? err.message : String(err));
    if (this.lookupFailures.has(`${kind}:${code}`)) return;
    this.lookupFailures.add(`${kind}:${code}`);
    const { what, scopes, so } = HISTORY_LOOKUPS[kind];
    this.opts.log?.warn(
      `could not look for ${what} (${code}${code === 'missing_scope' ? `: add the ${scopes} to the Slack app and reinstall it` : ''}); ${so}. Said once per reason`,
    );
  }

  private botUserAsked: Promise<string | undefined> | undefined;

  private botUser(): Promise<string | undefined> {
    if (this.opts.botUserId) return Promise.resolve(this.opts.botUserId);
    this.botUserAsked ??= this.client.auth.test().then(
      (r) => r.user_id,
      () => {
        this.botUserAsked = undefined;
        return undefined;
      },
    );
    return this.botUserAsked;
  }

  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toChatPlatformError(err, doing);
    }
  }

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
      if (incident.reporterId === (await this.botUser())) return;
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
      const bot = await this.botUser();
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
    if (report.incident.reporterId === (await this.botUser())) {
      this.opts.log?.warn(
        `declaration of incident ${report.incident.id} (from alerts) ended after an interruption: ${report.kind}`,
      );
      return;
    }
    const text = renderDeclarationReport(report, this.opts.severities);
    await this.call('tell the declarer', () =>
      this.client.chat.postMessage({ channel: report.incident.reporterId, text, unfurl_links: false }),
    );
  }

  /** The card of the incident as it stands now, with the sections read for it. */
  private card(
    incident: Incident,
    escalation?: EscalationView,
    alerts?: AlertCardView,
    objectives?: ObjectivesView,
    followUp?: FollowUpCardView,
  ) {
    return renderIncidentCard(incident, new Date(), this.opts.severities, escalation, alerts, objectives, followUp);
  }

  async postCard(
    incident: Incident,
    escalation?: EscalationView,
    alerts?: AlertCardView,
    objectives?: ObjectivesView,
    followUp?: FollowUpCardView,
  ): Promise<string> {
    const channel = incident.channelId!;
    const card = this.card(incident, escalation, alerts, objectives, followUp);
    const res = await this.call('post the incident card', () =>
      this.client.chat.postMessage({
        channel,
        text: card.text,
        blocks: card.blocks,
        unfurl_links: false,
        // So that the card can be found again if the bot stops before recording it (findCard).
        metadata: { event_type: CARD_EVENT, event_payload: { incident_id: incident.id } },
      }),
    );
    await this.shownCards.showing(channel, res.ts!, cardBody(card));
    return res.ts!;
  }

  /**
   * The card already posted in the incident's channel, if the bot posted one (its metadata names the incident): a
   * declaration interrupted between posting its card and recording it finds it, instead of posting a second one.
   * Needs the `channels:history` (private: `groups:history`) scope; without it, or if Slack fails, null.
   */
  async findCard(incident: Incident): Promise<string | null> {
    if (!incident.channelId) return null;
    try {
      const res = await this.client.conversations.history({
        channel: incident.channelId,
        limit: 50,
        include_all_metadata: true,
      });
      const card = res.messages?.find(
        (m) =>
          m.metadata?.event_type === CARD_EVENT &&
          Number((m.metadata.event_payload as { incident_id?: unknown } | undefined)?.incident_id) === incident.id,
      );
      return card?.ts ?? null;
    } catch (err) {
      this.opts.log?.warn(
        `could not look for incident ${incident.id}'s card in its channel (${slackErrorCode(err) ?? String(err)}); posting it`,
      );
      return null;
    }
  }

  async pinCard(incident: Incident): Promise<void> {
    if (!incident.channelId || !incident.cardTs) return;
    try {
      await this.client.pins.add({ channel: incident.channelId, timestamp: incident.cardTs });
    } catch (err) {
      if (slackErrorCode(err) !== 'already_pinned') throw toChatPlatformError(err, 'pin the incident card');
    }
  }

  async refreshCard(
    incident: Incident,
    escalation?: EscalationView,
    alerts?: AlertCardView,
    objectives?: ObjectivesView,
    followUp?: FollowUpCardView,
  ): Promise<void> {
    if (!incident.channelId || !incident.cardTs) return;
    const card = this.card(incident, escalation, alerts, objectives, followUp);
    const [channel, ts, body] = [incident.channelId, incident.cardTs, cardBody(card)];
    // Put in Slack as exactly this already (posted or last updated so, by any replica): the card would not change.
    if (await this.shownCards.shows(channel, ts, body)) return;
    try {
      await this.call('update the incident card', () =>
        this.client.chat.update({ channel, ts, text: card.text, blocks: card.blocks }),
      );
    } catch (err) {
      await this.shownCards.forget(channel, ts);
      throw err;
    }
    await this.shownCards.showing(channel, ts, body);
  }

  async cardMayDiffer(incident: Incident): Promise<void> {
    if (incident.channelId && incident.cardTs) await this.shownCards.forget(incident.channelId, incident.cardTs);
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
    const isIt = (m: { metadata?: { event_type?: string; event_payload?: unknown } }) =>
      m.metadata?.event_type === ANNOUNCE_EVENT &&
      Number((m.metadata.event_payload as { incident_id?: unknown } | undefined)?.incident_id) === incident.id;
    const oldest = ((incident.createdAt.getTime() - PAGE_LOOKUP_CLOCK_MARGIN_MS) / 1000).toFixed(6);
    try {
      return (await this.findInHistory(channel, oldest, isIt)).ts !== null;
    } catch (err) {
      this.lookupFailed('announcement', err);
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

  async notify(incident: Incident, notice: IncidentNotice, post?: NoticePost): Promise<readonly string[] | undefined> {
    if (!incident.channelId) {
      // No channel (it could not be made): a page given up is still told, in a direct message to the commander, else
      // the reporter. It is the only telling, so Slack refusing it fails the notice (its timer tries again).
      if (notice.kind === 'page_failed') {
        const dm = renderPageFailedDm(incident, notice);
        const to = notice.commanderId ?? incident.reporterId;
        await this.call('tell that a page failed in a direct message', () =>
          this.client.chat.postMessage({ channel: to, text: dm.text, blocks: dm.blocks, unfurl_links: false }),
        );
      }
      return undefined;
    }
    // What the topic names: the severity, the title, and whether it is resolved (by Resolve, or a status update).
    const resolvedNow =
      notice.kind === 'resolved' || (notice.kind === 'status_update' && notice.update.status === 'resolved');
    if (notice.kind === 'severity_changed' || notice.kind === 'renamed' || notice.kind === 'reopened' || resolvedNow)
      this.keepTopic(incident);
    const shown = (m: Message) => (post?.late ? postedLate(m, post.late.madeAt) : m);
    const msg = renderNotice(incident, notice, this.opts.severities);
    // A post found there already (findNotice: a process died after it reached Slack) is not posted again.
    if (!post?.posted?.has('channel')) {
      const posting = shown(msg);
      await this.call('post in the incident channel', () =>
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
        ? await this.tellMadeCommander(incident, notice)
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
    const oldest = ((since.getTime() - PAGE_LOOKUP_CLOCK_MARGIN_MS) / 1000).toFixed(6);
    const found = new Set<NoticePlace>();
    try {
      for (const [place, channel] of places) {
        const isIt = (m: { metadata?: { event_type?: string; event_payload?: unknown } }) => {
          if (m.metadata?.event_type !== NOTICE_EVENT) return false;
          const p = m.metadata.event_payload as
            | { incident_id?: unknown; followup_id?: unknown; place?: unknown }
            | undefined;
          return Number(p?.incident_id) === incident.id && Number(p?.followup_id) === followup && p?.place === place;
        };
        const at = await this.findInHistory(channel, oldest, isIt);
        if (at.ts) found.add(place);
        else if (at.more)
          this.opts.log?.warn(
            `incident ${incident.id}'s ${notice.kind} notice not found in the last ${PAGE_LOOKUP_PAGES * PAGE_LOOKUP_LIMIT} messages of ${channel}; posting it, so it may show twice`,
          );
      }
      return found;
    } catch (err) {
      this.lookupFailed('notice', err);
      return null;
    }
  }

  /**
   * Sets the channel topic to name the incident's severity and title, in the background: Slack allows about 20 topic
   * changes a minute (Tier 2) and answers more with a wait, which must hold up neither the notice nor the handler (nor,
   * through the SDK's paused queue, any other call: see `topicClient`). One change at a time per channel; changes made
   * meanwhile are coalesced into one, the latest; a rate-limited one is made again after Slack's wait. The topic is
   * shown, not kept: a restart forgets a change still waiting. A failure is logged.
   */
  private keepTopic(incident: Incident): void {
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

  async postPlaybook(place: ChatPlace, checklist: ChecklistView): Promise<string> {
    const msg = renderChecklist(checklist);
    const marker = markerOf(checklist);
    const res = await this.call('post the playbook', () =>
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
    const isIt = (m: { metadata?: { event_type?: string; event_payload?: unknown } }) => {
      const payload = m.metadata?.event_payload as Record<string, unknown> | undefined;
      return (
        m.metadata?.event_type === mark.event_type &&
        Object.entries(mark.event_payload).every(([k, v]) => String(payload?.[k]) === String(v))
      );
    };
    const oldest = ((since.getTime() - PAGE_LOOKUP_CLOCK_MARGIN_MS) / 1000).toFixed(6);
    let found: { ts: string | null; more: boolean };
    try {
      found = await this.findInHistory(channel, oldest, isIt);
    } catch (err) {
      this.lookupFailed('checklist', err);
      throw toChatPlatformError(err, 'look for the checklist');
    }
    if (!found.ts && found.more)
      this.opts.log?.warn(
        `${checklistName(marker)} not found in the last ${PAGE_LOOKUP_PAGES * PAGE_LOOKUP_LIMIT} messages of ${channel}; posting it, so it may show twice`,
      );
    return found.ts;
  }

  async deletePlaybook(place: ChatPlace, ts: string): Promise<void> {
    await this.call('delete the playbook message', () => this.client.chat.delete({ channel: channelOf(place), ts }));
  }

  async updatePlaybook(place: ChatPlace, ts: string, checklist: ChecklistView): Promise<void> {
    const msg = renderChecklist(checklist);
    await this.call('update the playbook', () =>
      this.client.chat.update({ channel: channelOf(place), ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  async tellChecklistGivenUp(userId: string, given: ChecklistGivenUp): Promise<void> {
    const msg = renderChecklistGivenUp(given);
    await this.call(`tell ${userId} their checklist could not be posted`, () =>
      this.client.chat.postMessage({ channel: userId, text: msg.text, blocks: msg.blocks, unfurl_links: false }),
    );
  }

  async postNote(place: ChatPlace, threadTs: string, note: PlaybookNote): Promise<void> {
    const msg = renderPlaybookNote(note);
    await this.call('post in the playbook thread', () =>
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
      const page = await this.call('check who is in the channel', () =>
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
      const res = await this.call('look up the channel', () => this.client.conversations.info({ channel: channelId }));
      return res.channel?.is_private === true;
    };
    return this.opts.cache ? await this.opts.cache.get(`channel-private:${channelId}`, look) : await look();
  }

  async postRun(place: ChatPlace, threadTs: string | null, run: RunView): Promise<string> {
    const msg = renderRun(run);
    const res = await this.call('post the run', () =>
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
    const isIt = (m: { metadata?: { event_type?: string; event_payload?: unknown } }) =>
      m.metadata?.event_type === RUN_EVENT &&
      Number((m.metadata.event_payload as { run_id?: unknown } | undefined)?.run_id) === runId;
    try {
      const oldest = ((since.getTime() - PAGE_LOOKUP_CLOCK_MARGIN_MS) / 1000).toFixed(6);
      const found = await this.findInHistory(channel, oldest, isIt, threadTs);
      if (!found.ts && found.more)
        this.opts.log?.warn(
          `step run ${runId}'s message not found in ${channel}'s latest messages; it is left as it is`,
        );
      return found.ts;
    } catch (err) {
      this.lookupFailed('run', err);
      throw toChatPlatformError(err, "look for the run's message");
    }
  }

  async updateRun(place: ChatPlace, ts: string, run: RunView): Promise<void> {
    const msg = renderRun(run);
    await this.call('update the run', () =>
      this.client.chat.update({ channel: channelOf(place), ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  async postApproval(place: ChatPlace, threadTs: string | null, approval: ApprovalView): Promise<string> {
    const msg = renderApproval(approval);
    const channel = channelOf(place);
    const res = await this.call('post the approval request', () =>
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
    await this.call('update the approval request', () =>
      this.client.chat.update({ channel: channelOf(place), ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  async sendApprovalDm(userId: string, approval: ApprovalDmView): Promise<ApprovalDm> {
    const msg = renderApprovalDm(approval);
    const res = await this.call(`send ${userId} the approval request`, () =>
      this.client.chat.postMessage({ channel: userId, text: msg.text, blocks: msg.blocks, unfurl_links: false }),
    );
    return { user: userId, channel: res.channel!, ts: res.ts! };
  }

  async updateApprovalDm(dm: ApprovalDm, approval: ApprovalDmView): Promise<void> {
    const msg = renderApprovalDm(approval);
    await this.call(`update ${dm.user}'s approval request`, () =>
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
    const res = await this.call('post the deployments', () =>
      this.client.chat.postMessage({
        channel: channelOf(place),
        text: msg.text,
        blocks: msg.blocks,
        ...inThread(place),
      }),
    );
    return res.ts!;
  }

  async showDeploymentsOutOfDate(
    place: ChatPlace,
    ts: string,
    shown: ShownDeployments,
    why: ListOutOfDate,
  ): Promise<void> {
    const { blocks } = renderDeployments(shown.deployments, shown.suggested, shown.runId, shown.asked);
    const msg = why.kind === 'rollback' ? settledDeployments(blocks, why.past) : deployedOverList(blocks, why);
    await this.call('show a list of deployments out of date', () =>
      this.client.chat.update({ channel: channelOf(place), ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  async postHistoryUnread(
    place: ChatPlace,
    unread: { typed: string | null; why: string; runId: number | null },
  ): Promise<void> {
    const msg = renderHistoryUnread(unread.typed, unread.why, unread.runId);
    await this.call('say the deployments could not be read', () =>
      this.client.chat.postMessage({
        channel: channelOf(place),
        text: msg.text,
        blocks: msg.blocks,
        ...inThread(place),
      }),
    );
  }

  async postVerification(
    place: ChatPlace,
    subject: VerificationSubject,
    checks: CheckResult[],
    verdict?: RollbackVerdict,
    retry?: RetryAnswer,
  ): Promise<string> {
    const msg = renderVerification(subject, checks, verdict, retry);
    const res = await this.call('post the post-deployment verification', () =>
      this.client.chat.postMessage({
        channel: channelOf(place),
        text: msg.text,
        blocks: msg.blocks,
        ...inThread(place),
      }),
    );
    return res.ts!;
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
    await this.call('update the post-deployment verification', () =>
      this.client.chat.update({ channel: channelOf(place), ts, text: msg.text, blocks: msg.blocks }),
    );
  }

  async permalink(place: ChatPlace, ts: string): Promise<string> {
    const res = await this.call('link the message', () =>
      this.client.chat.getPermalink({ channel: channelOf(place), message_ts: ts }),
    );
    return res.permalink!;
  }

  async uploadOutput(place: ChatPlace, threadTs: string | null, filename: string, content: string): Promise<void> {
    const channel = channelOf(place);
    await this.call('attach the full output', () =>
      this.client.filesUploadV2(
        threadTs
          ? { channel_id: channel, thread_ts: threadTs, filename, title: filename, content }
          : { channel_id: channel, filename, title: filename, content },
      ),
    );
  }

  async resolveContacts(ids: string[]): Promise<{ userIds: string[]; unresolved: string[] }> {
    const userIds: string[] = [];
    const unresolved: string[] = [];
    for (const id of ids) {
      if (!id.startsWith('S')) {
        if (!userIds.includes(id)) userIds.push(id);
        continue;
      }
      try {
        const list = async () => (await this.client.usergroups.users.list({ usergroup: id })).users ?? [];
        const members = this.opts.cache ? await this.opts.cache.get(`usergroup:${id}`, list) : await list();
        if (members.length === 0) unresolved.push(id);
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
          continue;
        }
        throw toChatPlatformError(err, `expand the user group ${id}`);
      }
    }
    return { userIds, unresolved };
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
    const isIt = (m: { metadata?: { event_type?: string; event_payload?: unknown } }) => {
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
      const oldest = since ? ((since.getTime() - PAGE_LOOKUP_CLOCK_MARGIN_MS) / 1000).toFixed(6) : undefined;
      const found = await this.findInHistory(channel, oldest, isIt);
      if (found.ts) return { channel, ts: found.ts };
      if (!found.more) return null;
      this.opts.log?.warn(
        `page ${pageId}'s direct message to ${userId} not found in the last ${PAGE_LOOKUP_PAGES * PAGE_LOOKUP_LIMIT} messages of their conversation; sending it, so it may arrive twice`,
      );
      return null;
    } catch (err) {
      this.lookupFailed('page', err);
      return null;
    }
  }

  /**
   * The newest message of `channel` (since `oldest`, when given; among the replies of `thread` when given) that `isIt`,
   * with metadata, reading newest first up to PAGE_LOOKUP_PAGES pages of PAGE_LOOKUP_LIMIT; `more`: pages were left
   * unread. Slack failing is thrown.
   */
  private async findInHistory(
    channel: string,
    oldest: string | undefined,
    isIt: (m: { metadata?: { event_type?: string; event_payload?: unknown } }) => boolean,
    thread: string | null = null,
  ): Promise<{ ts: string | null; more: boolean }> {
    let cursor: string | undefined;
    for (let read = 0; read < PAGE_LOOKUP_PAGES; read++) {
      const page = {
        channel,
        limit: PAGE_LOOKUP_LIMIT,
        include_all_metadata: true,
        ...(oldest ? { oldest } : {}),
        ...(cursor ? { cursor } : {}),
      };
      // A reply in a thread is not in the channel's history: the thread's replies are read instead.
      const res = thread
        ? await this.client.conversations.replies({ ...page, ts: thread })
        : await this.client.conversations.history(page);
      const found = res.messages?.find(isIt);
      if (found?.ts) return { ts: found.ts, more: false };
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!res.has_more || !cursor) return { ts: null, more: false };
    }
    return { ts: null, more: true };
  }

  /** Invites and tells someone made commander by another; what could not be done, for whoever made them. */
  private async tellMadeCommander(incident: Incident, n: { actorId: string; toId: string }): Promise<string[]> {
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
}

/** The channel of a place; a playbook is only ever worked in a channel, so one without is a bug. */
function channelOf(place: ChatPlace): string {
  if (!place.channelId) throw new Error('a playbook message needs a channel');
  return place.channelId;
}

/** Slack's link that opens the incident's channel (a page's button), when it has one: the email's link too. */
const channelRedirect = (i: Incident) => channelUrl(i) ?? undefined;

/** In the place's thread, for a playbook run outside an incident (its messages stay under its checklist). */
const inThread = (place: ChatPlace) => (place.threadTs ? { thread_ts: place.threadTs } : {});

/** How many pages of a thousand channels findChannel reads at most. */
const CHANNEL_LOOKUP_PAGES = 10;

/** The metadata event type of an incident card (its payload names the incident). */
const CARD_EVENT = 'incident_card';

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

const checklistName = (m: ChecklistMarker) =>
  m.kind === 'run' ? `playbook run ${m.runId}'s checklist` : `incident ${m.incidentId}'s playbook ${m.playbookId}`;

/** The metadata event type of a step run's message (its payload names the run). */
const RUN_EVENT = 'step_run';

/** The metadata event type of a page's direct message (its payload names the incident, the page and the person). */
const PAGE_EVENT = 'incident_page';

/**
 * How findPage reads a person's conversation with the bot: 200 messages a call (Slack's advice for
 * conversations.history), at most 10 calls (2,000 messages since the page was first tried: a conversation busier than
 * that is not worth more calls on the way to a page), from a minute before the page was first tried (Slack's clock
 * and the database's may differ by some seconds).
 */
const PAGE_LOOKUP_LIMIT = 200;
const PAGE_LOOKUP_PAGES = 10;
const PAGE_LOOKUP_CLOCK_MARGIN_MS = 60_000;

/** Why the incidents channel (INCIDENTS_CHANNEL) refused the announcement, and how to fix it. */
const ANNOUNCE_FIXES: Record<string, (channel: string) => string> = {
  not_in_channel: (c) =>
    `the bot is not a member of ${c}. Invite it there (\`/invite @Incident Bot\` in ${c}), or, for a public channel, add the \`chat:write.public\` scope to the Slack app and reinstall it`,
  channel_not_found: (c) =>
    `Slack does not know ${c}, or it is private and the bot is not in it. Check INCIDENTS_CHANNEL (a channel ID such as C0123456789), and invite the bot (\`/invite @Incident Bot\`) if the channel is private`,
  is_archived: (c) => `${c} is archived. Unarchive it, or point INCIDENTS_CHANNEL at a live channel`,
};

/** Slack's answers that mean "this person cannot be reached", as opposed to Slack failing. */
export const UNREACHABLE = new Set([
  'user_not_found',
  'users_not_found',
  'channel_not_found',
  'cannot_dm_bot',
  'user_disabled',
  'user_is_restricted',
  'user_is_bot',
  'cant_invite',
  'ura_max_channels',
  'invalid_users',
  'no_user',
]);

/** A card as sent: its text and blocks. */
const cardBody = (card: Message) => JSON.stringify([card.text, card.blocks]);
