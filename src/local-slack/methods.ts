/**
 * The Slack Web API methods the bot calls, answered as Slack answers them (HTTP 200 with `{ ok: true | false, error? }`)
 * from and into a {@link Workspace}. Each method is a function of its parsed arguments.
 */
import { randomBytes } from 'node:crypto';
import {
  APP_ID,
  BASE_TS_SECONDS,
  BOT_ID,
  BOT_USER_ID,
  defaultUser,
  type LocalChannel,
  type LocalUser,
  type SlackArgs,
  type StoredMessage,
  str,
  TEAM_ID,
  type Workspace,
} from './workspace.js';

export type HandlerResult = SlackArgs & { ok: boolean };
export type Handler = (args: SlackArgs) => HandlerResult;

/** What the methods need from the server around them. */
export interface MethodEnv {
  /** Where `apps.connections.open` sends a Socket Mode client, if anywhere. */
  socketModeUrl(): string | undefined;
  /** The URL a file's bytes are sent to (files.getUploadURLExternal). */
  uploadUrl(fileId: string): string;
}

const CHANNEL_NAME_RE = /^[a-z0-9_-]+$/;

/** A message timestamp (`1700000000.000100`) in microseconds, to compare; NaN when it is not one. */
function tsMicros(ts: string): number {
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(ts.trim());
  return m ? Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0')) : Number.NaN;
}

export function slackError(error: string, extra: SlackArgs = {}): HandlerResult {
  return { ...extra, ok: false, error };
}

export function webApiMethods(ws: Workspace, env: MethodEnv): Record<string, Handler> {
  const requireChannel = (args: SlackArgs): LocalChannel | HandlerResult => {
    const id = str(args.channel);
    const channel = id ? ws.channels.get(id) : undefined;
    return channel ?? slackError('channel_not_found');
  };
  const isError = (v: LocalChannel | HandlerResult): v is HandlerResult => 'ok' in v;

  /**
   * What conversations.history and conversations.replies read alike, as Slack does: the conversation (not a person's
   * id: Slack does not take one for their DM here; one the bot is in), the page's size, whether to include metadata,
   * the time range (`oldest` and `latest`, each left out unless `inclusive`) and the cursor of the page before.
   */
  const readPageArgs = (args: SlackArgs) => {
    if (/^[UW][A-Z0-9]+$/.test(str(args.channel) ?? '')) return { error: 'channel_not_found' };
    const target = ws.resolvePostTarget(args.channel);
    if ('error' in target) return target;
    if (target.channel && !target.channel.members.has(BOT_USER_ID)) return { error: 'not_in_channel' };
    const limit = Math.min(Math.max(Number(args.limit) || 100, 1), 999);
    const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
    const inclusive = args.inclusive === true || args.inclusive === 'true' || args.inclusive === '1';
    const oldest = str(args.oldest) ? tsMicros(str(args.oldest)!) : null;
    const latest = str(args.latest) ? tsMicros(str(args.latest)!) : null;
    if (Number.isNaN(oldest)) return { error: 'invalid_ts_oldest' };
    if (Number.isNaN(latest)) return { error: 'invalid_ts_latest' };
    // Where the next page starts (Slack's cursor is opaque too: base64 of `next_ts:…`).
    let from: number | null = null;
    if (str(args.cursor)) {
      const m = /^next_ts:(\d+)$/.exec(Buffer.from(str(args.cursor)!, 'base64').toString('utf8'));
      if (!m) return { error: 'invalid_cursor' };
      from = Number(m[1]);
    }
    return { target, limit, withMetadata, inclusive, oldest, latest, from };
  };
  /** A page of the messages in range, in the order given, and the cursor of the next page. */
  const pageOf = (inRange: StoredMessage[], read: { limit: number; withMetadata: boolean }): HandlerResult => {
    const messages = inRange.slice(0, read.limit).map((m) => {
      const json = ws.messageJson(m);
      if (!read.withMetadata) delete json.metadata;
      return json;
    });
    const next = inRange[read.limit];
    const nextCursor = next ? Buffer.from(`next_ts:${tsMicros(next.ts)}`).toString('base64') : '';
    return { ok: true, messages, has_more: next !== undefined, response_metadata: { next_cursor: nextCursor } };
  };

  return {
    'api.test': (args) => ({ ok: true, args }),

    'apps.connections.open': () =>
      env.socketModeUrl() ? { ok: true, url: env.socketModeUrl() } : slackError('invalid_auth'),

    'auth.test': () => ({
      ok: true,
      url: 'https://test.slack.com/',
      team: 'Test Team',
      user: 'incidentbot',
      team_id: TEAM_ID,
      user_id: BOT_USER_ID,
      bot_id: BOT_ID,
      is_enterprise_install: false,
    }),

    'conversations.create': (args) => {
      const name = str(args.name) ?? '';
      if (name.length === 0) return slackError('invalid_name_required');
      if (name.length > 80) return slackError('invalid_name_maxlength');
      if (!CHANNEL_NAME_RE.test(name)) return slackError('invalid_name_specials');
      if (ws.channelByName(name)) return slackError('name_taken');
      const isPrivate = str(args.is_private) === 'true' || args.is_private === true;
      const id = ws.addChannel(name, { isPrivate });
      const channel = ws.channels.get(id)!;
      channel.creator = BOT_USER_ID;
      return { ok: true, channel: ws.channelJson(channel) };
    },

    'conversations.setTopic': (args) => {
      const channel = requireChannel(args);
      if (isError(channel)) return channel;
      if (channel.isArchived) return slackError('is_archived');
      if (!channel.members.has(BOT_USER_ID)) return slackError('not_in_channel');
      const topic = str(args.topic) ?? '';
      if (topic.length > 250) return slackError('too_long');
      channel.topic = topic;
      return { ok: true, channel: ws.channelJson(channel) };
    },

    'conversations.setPurpose': (args) => {
      const channel = requireChannel(args);
      if (isError(channel)) return channel;
      if (!channel.members.has(BOT_USER_ID)) return slackError('not_in_channel');
      channel.purpose = str(args.purpose) ?? '';
      return { ok: true, channel: ws.channelJson(channel) };
    },

    'conversations.invite': (args) => {
      const channel = requireChannel(args);
      if (isError(channel)) return channel;
      if (channel.isArchived) return slackError('is_archived');
      if (!channel.members.has(BOT_USER_ID)) return slackError('not_in_channel');
      const users = (str(args.users) ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u.length > 0);
      if (users.length === 0) return slackError('no_user');
      if (users.includes(BOT_USER_ID)) return slackError('cant_invite_self');
      const invalid = users.filter((u) => !/^[UW][A-Z0-9]+$/.test(u) || ws.unknownUsers.has(u));
      if (invalid.length > 0) {
        return slackError('user_not_found', {
          errors: invalid.map((user) => ({ user, ok: false, error: 'user_not_found' })),
        });
      }
      if (users.every((u) => channel.members.has(u))) return slackError('already_in_channel');
      // Slack's own line for each person added (not a message of the bot's): "<@U…> has joined the channel".
      for (const u of new Set(users.filter((u) => !channel.members.has(u)))) {
        channel.members.add(u);
        ws.addMessage(channel.id, u, `<@${u}> has joined the channel`, 'channel_join', BOT_USER_ID);
      }
      return { ok: true, channel: ws.channelJson(channel) };
    },

    'conversations.join': (args) => {
      const channel = requireChannel(args);
      if (isError(channel)) return channel;
      if (channel.isArchived) return slackError('is_archived');
      if (channel.isPrivate && !channel.members.has(BOT_USER_ID))
        return slackError('method_not_supported_for_channel_type');
      const already = channel.members.has(BOT_USER_ID);
      channel.members.add(BOT_USER_ID);
      // Slack's own line when the bot joins, as for anyone joining (no inviter: nobody added it).
      if (!already) ws.addMessage(channel.id, BOT_USER_ID, `<@${BOT_USER_ID}> has joined the channel`, 'channel_join');
      const result: HandlerResult = { ok: true, channel: ws.channelJson(channel) };
      if (already) {
        result.warning = 'already_in_channel';
        result.response_metadata = { warnings: ['already_in_channel'] };
      }
      return result;
    },

    'conversations.info': (args) => {
      const channel = requireChannel(args);
      if (isError(channel)) return channel;
      return { ok: true, channel: ws.channelJson(channel) };
    },

    'conversations.members': (args) => {
      const channel = requireChannel(args);
      if (isError(channel)) return channel;
      return { ok: true, members: [...channel.members], response_metadata: { next_cursor: '' } };
    },

    // As Slack: `types` (default public_channel), `exclude_archived`, and pages of `limit` (default 100, at most
    // 1000) with an opaque `cursor`; `next_cursor` is empty on the last page.
    'conversations.list': (args) => {
      const excludeArchived = str(args.exclude_archived) === 'true' || args.exclude_archived === true;
      const types = new Set((str(args.types) ?? 'public_channel').split(',').map((t) => t.trim()));
      const list = [...ws.channels.values()].filter(
        (c) => (!excludeArchived || !c.isArchived) && types.has(c.isPrivate ? 'private_channel' : 'public_channel'),
      );
      const limit = Math.min(Math.max(Number(str(args.limit) ?? args.limit ?? 100) || 100, 1), 1000);
      const cursor = str(args.cursor);
      const from = cursor
        ? Number(
            Buffer.from(cursor, 'base64')
              .toString()
              .replace(/^offset:/, ''),
          )
        : 0;
      if (!Number.isInteger(from) || from < 0) return slackError('invalid_cursor');
      const next = from + limit < list.length ? Buffer.from(`offset:${from + limit}`).toString('base64') : '';
      return {
        ok: true,
        channels: list.slice(from, from + limit).map((c) => ws.channelJson(c)),
        response_metadata: { next_cursor: next },
      };
    },

    'conversations.archive': (args) => {
      const channel = requireChannel(args);
      if (isError(channel)) return channel;
      if (channel.isArchived) return slackError('already_archived');
      if (!channel.members.has(BOT_USER_ID)) return slackError('not_in_channel');
      channel.isArchived = true;
      return { ok: true };
    },

    'chat.postMessage': (args) => {
      const target = ws.resolvePostTarget(args.channel);
      if ('error' in target) return slackError(target.error);
      if (target.channel?.isArchived) return slackError('is_archived');
      if (target.channel && !target.channel.members.has(BOT_USER_ID)) return slackError('not_in_channel');
      const text = str(args.text);
      const blocks = Array.isArray(args.blocks) ? (args.blocks as unknown[]) : undefined;
      const attachments = Array.isArray(args.attachments) ? (args.attachments as unknown[]) : undefined;
      if (!text && !blocks?.length && !attachments?.length) return slackError('no_text');
      const threadTs = str(args.thread_ts);
      const msg: StoredMessage = {
        channel: target.id,
        ts: ws.nextTs(),
        user: BOT_USER_ID,
        text,
        blocks,
        attachments,
        metadata: args.metadata,
        thread_ts: threadTs,
        edits: 0,
        deleted: false,
        history: [],
      };
      const list = ws.messages.get(target.id) ?? [];
      list.push(msg);
      ws.messages.set(target.id, list);
      return { ok: true, channel: target.id, ts: msg.ts, message: ws.messageJson(msg) };
    },

    'conversations.open': (args) => {
      // The bot's direct message with one person (opened if it was not); group DMs are not modelled.
      const dm = str(args.channel);
      if (dm)
        return [...ws.dms.values()].includes(dm) ? { ok: true, channel: { id: dm } } : slackError('channel_not_found');
      const users = (str(args.users) ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u.length > 0);
      if (users.length === 0) return slackError('users_list_not_supplied');
      if (users.length > 1) return slackError('method_not_supported_for_channel_type');
      const user = users[0]!;
      if (!/^[UW][A-Z0-9]+$/.test(user) || ws.unknownUsers.has(user)) return slackError('user_not_found');
      if (user === BOT_USER_ID) return slackError('cannot_dm_bot');
      // A deactivated account: Slack documents user_disabled here ("A specified user has been disabled."). A
      // chat.postMessage to their ID is taken all the same, as Slack takes it (their DM's history is kept: Slack's answer
      // in slackapi/python-slack-sdk#1156), so it is not refused there.
      if (ws.users.get(user)?.deleted) return slackError('user_disabled');
      const already = ws.dms.has(user);
      return { ok: true, ...(already ? { already_open: true } : {}), channel: { id: ws.dmFor(user) } };
    },

    'conversations.history': (args) => {
      const read = readPageArgs(args);
      if ('error' in read) return slackError(read.error);
      const { target, oldest, latest, inclusive, from } = read;
      // Newest first, the channel's own messages (not thread replies), as Slack lists them.
      const inRange = (ws.messages.get(target.id) ?? [])
        .filter((m) => !m.deleted && (m.thread_ts === undefined || m.thread_ts === m.ts))
        .filter((m) => {
          const at = tsMicros(m.ts);
          if (oldest !== null && (inclusive ? at < oldest : at <= oldest)) return false;
          if (latest !== null && (inclusive ? at > latest : at >= latest)) return false;
          return from === null || at <= from;
        })
        .reverse();
      return pageOf(inRange, read);
    },

    'conversations.replies': (args) => {
      const read = readPageArgs(args);
      if ('error' in read) return slackError(read.error);
      const { target, oldest, latest, inclusive, from } = read;
      const parent = str(args.ts);
      if (!parent) return slackError('invalid_arguments');
      if (!ws.message(target.id, parent)) return slackError('thread_not_found');
      // Oldest first, as Slack lists a thread: its parent, then its replies (the parent whatever the time range).
      const inThread = (ws.messages.get(target.id) ?? []).filter(
        (m) => !m.deleted && (m.ts === parent || m.thread_ts === parent),
      );
      const inRange = inThread.filter((m) => {
        if (m.ts === parent) return from === null;
        const at = tsMicros(m.ts);
        if (oldest !== null && (inclusive ? at < oldest : at <= oldest)) return false;
        if (latest !== null && (inclusive ? at > latest : at >= latest)) return false;
        return from === null || at >= from;
      });
      return pageOf(inRange, read);
    },

    'chat.update': (args) => {
      const target = ws.resolvePostTarget(args.channel);
      if ('error' in target) return slackError(target.error);
      const ts = str(args.ts);
      const msg = ts ? ws.message(target.id, ts) : undefined;
      if (!msg || msg.deleted) return slackError('message_not_found');
      if (!postedByBot(msg)) return slackError('cant_update_message');
      if (target.channel?.isArchived) return slackError('is_archived');
      msg.history.push({ text: msg.text, blocks: msg.blocks });
      if ('text' in args) msg.text = str(args.text);
      if ('blocks' in args) msg.blocks = Array.isArray(args.blocks) ? (args.blocks as unknown[]) : undefined;
      if ('attachments' in args) {
        msg.attachments = Array.isArray(args.attachments) ? (args.attachments as unknown[]) : undefined;
      }
      if ('metadata' in args) msg.metadata = args.metadata;
      msg.edits++;
      return { ok: true, channel: target.id, ts: msg.ts, text: msg.text ?? '', message: ws.messageJson(msg) };
    },

    'chat.delete': (args) => {
      const target = ws.resolvePostTarget(args.channel);
      if ('error' in target) return slackError(target.error);
      const ts = str(args.ts);
      const msg = ts ? ws.message(target.id, ts) : undefined;
      if (!msg || msg.deleted) return slackError('message_not_found');
      if (!postedByBot(msg)) return slackError('cant_delete_message');
      msg.deleted = true;
      if (target.channel) target.channel.pins = target.channel.pins.filter((p) => p !== msg.ts);
      return { ok: true, channel: target.id, ts: msg.ts };
    },

    'chat.postEphemeral': (args) => {
      const user = str(args.user);
      if (!user) return slackError('user_not_found');
      // Slack answers channel_not_found for a channel the bot cannot see (a direct message between two people).
      const target = ws.resolvePostTarget(args.channel);
      if ('error' in target) return slackError(target.error);
      // Only a member of a channel sees an ephemeral message in it: to anyone else Slack refuses it (and shows nothing).
      if (target.channel && !target.channel.members.has(user)) return slackError('user_not_in_channel');
      const text = str(args.text);
      if (!text && !(Array.isArray(args.blocks) && args.blocks.length > 0)) return slackError('no_text');
      ws.ephemerals.push({ channel: str(args.channel) ?? '', user, text, blocks: args.blocks });
      return { ok: true, message_ts: ws.nextTs() };
    },

    'chat.getPermalink': (args) => {
      const target = ws.resolvePostTarget(args.channel);
      if ('error' in target) return slackError(target.error);
      const ts = str(args.message_ts);
      const msg = ts ? ws.message(target.id, ts) : undefined;
      if (!msg) return slackError('message_not_found');
      return {
        ok: true,
        channel: target.id,
        permalink: `https://test.slack.com/archives/${target.id}/p${msg.ts.replace('.', '')}`,
      };
    },

    'pins.add': (args) => {
      const channel = requireChannel(args);
      if (isError(channel)) return channel;
      if (!channel.members.has(BOT_USER_ID)) return slackError('not_in_channel');
      const ts = str(args.timestamp);
      const msg = ts ? ws.message(channel.id, ts) : undefined;
      if (!msg || msg.deleted) return slackError('message_not_found');
      if (channel.pins.includes(msg.ts)) return slackError('already_pinned');
      channel.pins.push(msg.ts);
      return { ok: true };
    },

    'pins.remove': (args) => {
      const channel = requireChannel(args);
      if (isError(channel)) return channel;
      const ts = str(args.timestamp);
      if (!ts || !channel.pins.includes(ts)) return slackError('not_pinned');
      channel.pins = channel.pins.filter((p) => p !== ts);
      return { ok: true };
    },

    'views.open': (args) => openView(ws, 'views.open', args),
    'views.push': (args) => openView(ws, 'views.push', args),

    'views.update': (args) => {
      const viewId = str(args.view_id);
      const externalId = str(args.external_id);
      const existing = viewId
        ? ws.views.get(viewId)
        : [...ws.views.values()].find((v) => externalId !== undefined && v.view.external_id === externalId);
      if (!existing) return slackError('not_found');
      if (typeof args.view !== 'object' || args.view === null) return slackError('invalid_arguments');
      const hash = str(args.hash);
      if (hash !== undefined && hash !== existing.view.hash) return slackError('hash_conflict');
      existing.view = viewJson(existing.id, args.view as SlackArgs);
      return { ok: true, view: existing.view };
    },

    // Slack requires the file's name and its length in bytes up front.
    'files.getUploadURLExternal': (args) => {
      const filename = str(args.filename);
      const length = Number(str(args.length));
      if (!filename || !Number.isInteger(length) || length < 1) return slackError('invalid_arguments');
      const id = ws.nextFileId();
      ws.uploads.set(id, {
        id,
        filename,
        length,
        bytes: 0,
        content: '',
        channel: undefined,
        threadTs: undefined,
        title: undefined,
        initialComment: undefined,
        completed: false,
      });
      return { ok: true, upload_url: env.uploadUrl(id), file_id: id };
    },

    // Shares uploaded files in a channel (with a comment); a file whose bytes did not all arrive is refused.
    'files.completeUploadExternal': (args) => {
      const files = (Array.isArray(args.files) ? args.files : []) as { id: string; title?: string }[];
      if (files.length === 0) return slackError('invalid_arguments');
      const channel = str(args.channel_id);
      if (channel && !ws.channels.has(channel)) return slackError('channel_not_found');
      const done = [];
      for (const f of files) {
        const u = ws.uploads.get(f.id);
        if (!u) return slackError('file_not_found');
        if (u.bytes !== u.length) return slackError('file_upload_size_mismatch');
        u.channel = channel;
        u.threadTs = str(args.thread_ts);
        u.title = f.title ?? u.filename;
        u.initialComment = str(args.initial_comment);
        u.completed = true;
        done.push({ id: u.id, name: u.filename, title: u.title });
      }
      return { ok: true, files: done };
    },

    // A Home tab: a `home` view of at most 100 blocks, for a user (not the bot).
    'views.publish': (args) => {
      const user = str(args.user_id);
      if (!user || !/^[UW][A-Z0-9]+$/.test(user) || ws.unknownUsers.has(user)) return slackError('user_not_found');
      if (user === BOT_USER_ID) return slackError('not_found');
      const view = args.view as SlackArgs | undefined;
      if (typeof view !== 'object' || view === null || view.type !== 'home') return slackError('invalid_arguments');
      if (!Array.isArray(view.blocks) || view.blocks.length > 100) return slackError('invalid_blocks');
      const id = ws.nextViewId();
      const before = ws.homeTabs.get(user);
      const published = viewJson(id, view);
      ws.homeTabs.set(user, { view: published, publishes: (before?.publishes ?? 0) + 1 });
      return { ok: true, view: published };
    },

    // The people of the workspace: the users added with addUser, then the bot. Paged by `limit` and `cursor`.
    'users.list': (args) => {
      const all = [...ws.users.values()].map((u) => userJson(u));
      all.push(userJson({ ...defaultUser(BOT_USER_ID), is_bot: true }));
      const limit = Math.max(1, Math.min(1000, Number(str(args.limit) ?? 200) || 200));
      const start = Number(str(args.cursor) ?? 0) || 0;
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? String(start + limit) : '';
      return { ok: true, members: page, response_metadata: { next_cursor: next } };
    },

    // Every user group (they are all enabled here), as Slack describes one; members only with include_users.
    'usergroups.list': (args) => {
      const withUsers = str(args.include_users) === 'true';
      const usergroups = [...ws.usergroups].map(([id, members]) => {
        const handle = ws.usergroupHandle(id);
        return {
          id,
          team_id: TEAM_ID,
          is_usergroup: true,
          name: handle,
          description: '',
          handle,
          is_external: false,
          date_create: 1_700_000_000,
          date_update: 1_700_000_000,
          date_delete: 0,
          auto_type: null,
          created_by: 'U0ADMIN',
          updated_by: 'U0ADMIN',
          deleted_by: null,
          prefs: { channels: [], groups: [] },
          user_count: members.length,
          ...(withUsers ? { users: [...members] } : {}),
        };
      });
      return { ok: true, usergroups };
    },

    'usergroups.users.list': (args) => {
      const members = ws.usergroups.get(str(args.usergroup) ?? '');
      return members ? { ok: true, users: [...members] } : slackError('no_such_subteam');
    },

    'users.info': (args) => {
      const id = str(args.user);
      if (!id || !/^[UW][A-Z0-9]+$/.test(id) || ws.unknownUsers.has(id)) return slackError('user_not_found');
      return { ok: true, user: userJson(ws.user(id)) };
    },
  };
}

/**
 * Whether the bot posted the message: with a bot token Slack lets chat.update and chat.delete change only those, and
 * answers cant_update_message / cant_delete_message for a person's message or its own "has joined the channel" line.
 */
function postedByBot(m: StoredMessage): boolean {
  return m.user === BOT_USER_ID && m.subtype === undefined;
}

function userJson(u: LocalUser): SlackArgs {
  return {
    id: u.id,
    team_id: TEAM_ID,
    name: u.name,
    deleted: u.deleted ?? false,
    real_name: u.real_name,
    tz: u.tz,
    tz_label: 'Greenwich Mean Time',
    tz_offset: 0,
    is_admin: false,
    is_owner: false,
    is_bot: u.is_bot,
    is_app_user: false,
    updated: BASE_TS_SECONDS,
    profile: {
      real_name: u.real_name,
      real_name_normalized: u.real_name,
      display_name: u.name,
      display_name_normalized: u.name,
      email: u.email,
      image_48: `https://secure.gravatar.com/avatar/${u.id}.jpg?s=48`,
      team: TEAM_ID,
    },
  };
}

function viewJson(id: string, given: SlackArgs): SlackArgs {
  return {
    team_id: TEAM_ID,
    state: { values: {} },
    hash: `${BASE_TS_SECONDS}.${randomBytes(4).toString('hex')}`,
    clear_on_close: false,
    notify_on_close: false,
    root_view_id: id,
    app_id: APP_ID,
    bot_id: BOT_ID,
    ...given,
    id,
  };
}

function openView(ws: Workspace, method: 'views.open' | 'views.push', args: SlackArgs): HandlerResult {
  const triggerId = str(args.trigger_id);
  if (!triggerId) return slackError('invalid_arguments', { response_metadata: { messages: ['missing trigger_id'] } });
  if (typeof args.view !== 'object' || args.view === null) return slackError('invalid_arguments');
  if (ws.usedTriggers.has(triggerId)) return slackError('exchanged_trigger_id');
  ws.usedTriggers.add(triggerId);
  const id = ws.nextViewId();
  const view = viewJson(id, args.view as SlackArgs);
  ws.views.set(id, { id, view, triggerId, openedBy: method });
  return { ok: true, view };
}
