import type { WebClient } from '@slack/web-api';
import type { Logger } from '../incidents/ports.js';
import type { SeverityDefs } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import type { PrivateAnnounce } from '../runbook/maintenance.js';
import type { KeyValue } from '../store/kv.js';
import type { KvCache } from '../store/kv-cache.js';
import { channelUrl } from '../templates/page-notifications.js';
import { slackErrorCode, toChatPlatformError } from './slack-errors.js';

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
  givenUp: {
    what: 'the message telling that a checklist was given up, sent before its answer was lost',
    scopes: 'im:history, channels:history and groups:history scopes',
    so: 'telling it again, so it may show twice',
  },
  checklist: {
    what: "a playbook's checklist (a run's, or one attached to an incident) its process posted without recording it",
    scopes: 'channels:history and groups:history scopes',
    so: 'the checklist is neither recorded nor posted until Slack can be read; tried again a few times',
  },
} as const;

/** A message as read from Slack's history: what a look for one of the bot's own posts reads of it. */
export type HistoryMessage = { metadata?: { event_type?: string; event_payload?: unknown } };

/**
 * What every part of the Slack chat (SlackChat) shares: the client, the options, and the state kept once for all of
 * them (the bot's own user, asked once; each reason a look in Slack's history failed, said once).
 */
export class SlackChatCore {
  constructor(
    readonly client: WebClient,
    readonly opts: SlackChatOptions,
  ) {}

  /**
   * Why looking in Slack's history for something already posted failed, by what was looked for: each reason said once
   * in the log (a missing scope fails every retry).
   */
  private readonly lookupFailures = new Set<string>();

  /** Logs once per kind and reason that a look in Slack's history failed, with the scopes to add and what follows. */
  lookupFailed(kind: keyof typeof HISTORY_LOOKUPS, err: unknown): void {
    const code = slackErrorCode(err) ?? (err instanceof Error ? err.message : String(err));
    if (this.lookupFailures.has(`${kind}:${code}`)) return;
    this.lookupFailures.add(`${kind}:${code}`);
    const { what, scopes, so } = HISTORY_LOOKUPS[kind];
    this.opts.log?.warn(
      `could not look for ${what} (${code}${code === 'missing_scope' ? `: add the ${scopes} to the Slack app and reinstall it` : ''}); ${so}. Said once per reason`,
    );
  }

  private botUserAsked: Promise<string | undefined> | undefined;

  botUser(): Promise<string | undefined> {
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

  async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toChatPlatformError(err, doing);
    }
  }

  /**
   * The newest message of `channel` (since `oldest`, when given; among the replies of `thread` when given) that `isIt`,
   * with metadata, reading newest first up to PAGE_LOOKUP_PAGES pages of PAGE_LOOKUP_LIMIT; `more`: pages were left
   * unread. Slack failing is thrown.
   */
  async findInHistory(
    channel: string,
    oldest: string | undefined,
    isIt: (m: HistoryMessage) => boolean,
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
}

/** A part of the Slack chat: the shared core, with its client and options at hand. */
export abstract class SlackChatPart {
  protected readonly client: WebClient;
  protected readonly opts: SlackChatOptions;

  constructor(protected readonly core: SlackChatCore) {
    this.client = core.client;
    this.opts = core.opts;
  }
}

/**
 * How a look in Slack's history (findInHistory; findPage reading a person's conversation with the bot) reads: 200
 * messages a call (Slack's advice for conversations.history), at most 10 calls (2,000 messages since the page was first
 * tried: a conversation busier than that is not worth more calls on the way to a page), from a minute before the page
 * was first tried (Slack's clock and the database's may differ by some seconds).
 */
const PAGE_LOOKUP_LIMIT = 200;
const PAGE_LOOKUP_PAGES = 10;
export const PAGE_LOOKUP_CLOCK_MARGIN_MS = 60_000;
/** How many messages a look in Slack's history reads at most: said when what it looked for was not among them. */
export const LOOKUP_MESSAGES_AT_MOST = PAGE_LOOKUP_PAGES * PAGE_LOOKUP_LIMIT;

/** The `oldest` of a look in Slack's history for what was posted since `since`, less the margin for the clocks. */
export const oldestSince = (since: Date) => ((since.getTime() - PAGE_LOOKUP_CLOCK_MARGIN_MS) / 1000).toFixed(6);

/** Slack's link that opens the incident's channel (a page's button), when it has one: the email's link too. */
export const channelRedirect = (i: Incident) => channelUrl(i) ?? undefined;

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
