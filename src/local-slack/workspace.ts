/**
 * The state of a local Slack workspace: channels, people, messages, direct messages, modals, files and user groups,
 * with the ids and timestamps Slack would give them. The Web API methods (methods.ts) read and change it; a snapshot
 * of what lasts (everything but open modals and ephemeral messages) can be saved and restored.
 */

/** Arguments of a call: form values, with JSON object/array values already parsed. */
// biome-ignore lint/suspicious/noExplicitAny: Slack arguments and answers have arbitrary shapes
export type SlackArgs = Record<string, any>;

export interface LocalChannel {
  id: string;
  name: string;
  topic: string;
  purpose: string;
  /** User IDs; includes `'UBOT'` when the bot is a member. */
  members: Set<string>;
  /** Timestamps of pinned messages, in pin order. */
  pins: string[];
  isPrivate: boolean;
  isArchived: boolean;
  created: number;
  creator: string;
}

/** The kinds of message Slack posts itself that the local Slack keeps: "@alice has joined the channel", "… has left …". */
export type MessageSubtype = 'channel_join' | 'channel_leave';

export interface StoredMessage {
  channel: string;
  ts: string;
  user: string;
  /** Set on a message Slack posted about `user` (joining, leaving), not one they wrote. */
  subtype?: MessageSubtype;
  /** On a `channel_join` line, who added `user` (conversations.invite), as Slack says; absent when they joined. */
  inviter?: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  attachments: unknown[] | undefined;
  metadata: unknown;
  thread_ts: string | undefined;
  /** How many times chat.update changed it. */
  edits: number;
  deleted: boolean;
  /** Earlier contents, oldest first (one entry per update). */
  history: { text: string | undefined; blocks: unknown[] | undefined }[];
}

export interface LocalView {
  id: string;
  /** The view as last given to views.open/push/update (parsed), plus `id`. */
  view: SlackArgs;
  triggerId: string | undefined;
  /** The method that created it. */
  openedBy: 'views.open' | 'views.push';
}

export interface LocalUser {
  id: string;
  name: string;
  real_name: string;
  email: string;
  tz: string;
  is_bot: boolean;
  /**
   * A deactivated account: Slack still describes it (users.info answers ok, users.list lists it) with `deleted: true`,
   * its profile kept. Absent: an active one.
   */
  deleted?: boolean;
}

export interface Ephemeral {
  channel: string;
  user: string;
  text: string | undefined;
  blocks: unknown;
}

/**
 * A file uploaded with files.uploadV2 (files.getUploadURLExternal, the upload, files.completeUploadExternal): name,
 * the length announced and the bytes received, the content, and where it was shared with which title and comment.
 * `completed` once files.completeUploadExternal shared it.
 */
export interface Upload {
  id: string;
  filename: string;
  length: number;
  bytes: number;
  content: string;
  channel: string | undefined;
  threadTs: string | undefined;
  title: string | undefined;
  initialComment: string | undefined;
  completed: boolean;
}

export const BOT_USER_ID = 'UBOT';
export const BOT_ID = 'BBOT';
export const TEAM_ID = 'T0TEST';
export const APP_ID = 'A0TESTAPP';

/** Seconds of the first message timestamp (Slack's `ts` look, counted up from here). */
export const BASE_TS_SECONDS = 1_700_000_000;

/** What a snapshot holds: plain JSON. */
export interface WorkspaceSnapshot {
  version: 1;
  channels: (Omit<LocalChannel, 'members'> & { members: string[] })[];
  users: LocalUser[];
  messages: [string, Omit<StoredMessage, 'history'>[]][];
  dms: [string, string][];
  usergroups: [string, string[]][];
  /** Handles given to user groups (absent in a snapshot saved before they were kept). */
  usergroupHandles?: [string, string][];
  counters: { channel: number; ts: number; view: number; file: number };
}

/** A user Slack would describe for an ID nobody registered: `U0ONCALL` is `oncall`. */
export function defaultUser(id: string): LocalUser {
  const name = id.replace(/^[UW]0?/, '').toLowerCase() || 'user';
  const real = name.charAt(0).toUpperCase() + name.slice(1);
  return { id, name, real_name: `${real} Tester`, email: `${name}@example.com`, tz: 'Europe/London', is_bot: false };
}

export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export class Workspace {
  readonly channels = new Map<string, LocalChannel>();
  readonly views = new Map<string, LocalView>();
  readonly users = new Map<string, LocalUser>();
  readonly messages = new Map<string, StoredMessage[]>();
  /** user ID -> DM channel ID. */
  readonly dms = new Map<string, string>();
  readonly ephemerals: Ephemeral[] = [];
  readonly usedTriggers = new Set<string>();
  /** Files uploaded with files.uploadV2, by id: name, content, and where they were shared. */
  readonly uploads = new Map<string, Upload>();
  /** Home tabs published with views.publish, by user: the latest view and how many times it was published. */
  readonly homeTabs = new Map<string, { view: SlackArgs; publishes: number }>();
  /** User IDs Slack does not know (deleted or mistyped): a DM to one is channel_not_found, an invite user_not_found. */
  readonly unknownUsers = new Set<string>();
  /** User groups (S…) and their members, for usergroups.users.list. */
  readonly usergroups = new Map<string, string[]>();
  /** User groups' handles (`sre-leads`, shown as `@sre-leads`), for usergroups.list; see {@link usergroupHandle}. */
  readonly usergroupHandles = new Map<string, string>();
  readonly counters = { channel: 0, ts: 0, view: 0, file: 0 };

  /** Adds a channel. Returns its ID. The bot is a member unless `botIsMember: false`. */
  addChannel(
    name: string,
    opts: { id?: string; botIsMember?: boolean; members?: string[]; topic?: string; isPrivate?: boolean } = {},
  ): string {
    const id = opts.id ?? this.nextChannelId();
    const members = new Set(opts.members ?? []);
    if (opts.botIsMember ?? true) members.add(BOT_USER_ID);
    this.channels.set(id, {
      id,
      name,
      topic: opts.topic ?? '',
      purpose: '',
      members,
      pins: [],
      isPrivate: opts.isPrivate ?? false,
      isArchived: false,
      created: Math.floor(Date.now() / 1000),
      creator: 'U0ADMIN',
    });
    return id;
  }

  addUser(id: string, fields: Partial<Omit<LocalUser, 'id'>> = {}): LocalUser {
    const user = { ...defaultUser(id), ...fields, id };
    this.users.set(id, user);
    return user;
  }

  /** A user group's handle: the one given, else one made from its id as Slack would show it (`S0SRE` is `sre`). */
  usergroupHandle(id: string): string {
    return this.usergroupHandles.get(id) ?? (id.replace(/^S0?/, '').toLowerCase() || 'group');
  }

  /** A registered user, or the one Slack would describe for that ID. */
  user(id: string): LocalUser {
    return this.users.get(id) ?? defaultUser(id);
  }

  channelByName(name: string): LocalChannel | undefined {
    const bare = name.replace(/^#/, '');
    for (const c of this.channels.values()) if (c.name === bare) return c;
    return undefined;
  }

  /** Current (post-update, non-deleted) messages in a channel, oldest first. Accepts a channel ID, DM ID or user ID. */
  messagesIn(channel: string): StoredMessage[] {
    const id = this.dms.get(channel) ?? channel;
    return (this.messages.get(id) ?? []).filter((m) => !m.deleted);
  }

  /** A stored message by channel and ts (including deleted ones), or undefined. */
  message(channel: string, ts: string): StoredMessage | undefined {
    const id = this.dms.get(channel) ?? channel;
    return this.messages.get(id)?.find((m) => m.ts === ts);
  }

  /**
   * Stores a message someone (not the bot) wrote in a channel, as Slack does when a person posts; with `subtype`, the
   * line Slack posts about them (`channel_join`: "<@U…> has joined the channel"), with who added them if someone did.
   */
  addMessage(channel: string, user: string, text: string, subtype?: MessageSubtype, inviter?: string): StoredMessage {
    const msg: StoredMessage = {
      channel,
      ts: this.nextTs(),
      user,
      ...(subtype ? { subtype } : {}),
      ...(subtype && inviter ? { inviter } : {}),
      text,
      blocks: undefined,
      attachments: undefined,
      metadata: undefined,
      thread_ts: undefined,
      edits: 0,
      deleted: false,
      history: [],
    };
    const list = this.messages.get(channel) ?? [];
    list.push(msg);
    this.messages.set(channel, list);
    return msg;
  }

  /** The user a DM channel is with, when `channelId` is one. */
  dmUser(channelId: string): string | undefined {
    for (const [user, dm] of this.dms) if (dm === channelId) return user;
    return undefined;
  }

  /**
   * Hands out ids and timestamps from `nowMs` on, as a workspace made at that moment would: channel ids from the
   * seconds, message timestamps from the time. A new workspace then never repeats an id an earlier one gave out
   * (which a database may still hold, when the earlier workspace was lost).
   */
  startIdsAt(nowMs: number): void {
    const seconds = Math.floor(nowMs / 1000);
    this.counters.channel = Math.max(this.counters.channel, seconds % 100_000_000);
    this.counters.ts = Math.max(this.counters.ts, (seconds - BASE_TS_SECONDS) * 10_000);
    this.counters.view = Math.max(this.counters.view, seconds % 10_000_000);
    this.counters.file = Math.max(this.counters.file, seconds % 10_000_000);
  }

  nextChannelId(): string {
    let id: string;
    do {
      this.counters.channel++;
      id = `C${String(this.counters.channel).padStart(7, '0')}`;
    } while (this.channels.has(id));
    return id;
  }

  nextTs(): string {
    // As Slack's: the moment it is posted (in 100 µs steps), and after the last one given out, so that a history's
    // `oldest` and `latest` select what they select in Slack.
    this.counters.ts = Math.max(this.counters.ts + 1, Math.floor((Date.now() / 1000 - BASE_TS_SECONDS) * 10_000));
    const micros = this.counters.ts * 100;
    const seconds = BASE_TS_SECONDS + Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  nextViewId(): string {
    this.counters.view++;
    return `V${String(this.counters.view).padStart(7, '0')}`;
  }

  nextFileId(): string {
    this.counters.file++;
    return `F${String(this.counters.file).padStart(7, '0')}`;
  }

  dmFor(userId: string): string {
    let id = this.dms.get(userId);
    if (!id) {
      id = `D${userId.slice(1)}`;
      this.dms.set(userId, id);
    }
    return id;
  }

  /**
   * Resolves a `channel` argument for posting: channel ID, `#name`/name, DM ID, or user ID (opens a DM).
   * Returns the channel ID, or an error code.
   */
  resolvePostTarget(raw: unknown): { id: string; channel?: LocalChannel } | { error: string } {
    const value = str(raw);
    if (!value) return { error: 'channel_not_found' };
    if (/^[UW][A-Z0-9]+$/.test(value)) {
      return this.unknownUsers.has(value) ? { error: 'channel_not_found' } : { id: this.dmFor(value) };
    }
    if (value.startsWith('D') && [...this.dms.values()].includes(value)) return { id: value };
    const channel = this.channels.get(value) ?? (/^[CG][A-Z0-9]+$/.test(value) ? undefined : this.channelByName(value));
    if (!channel) return { error: 'channel_not_found' };
    return { id: channel.id, channel };
  }

  channelJson(c: LocalChannel): SlackArgs {
    return {
      id: c.id,
      name: c.name,
      name_normalized: c.name,
      is_channel: !c.isPrivate,
      is_group: c.isPrivate,
      is_im: false,
      is_mpim: false,
      is_private: c.isPrivate,
      is_archived: c.isArchived,
      is_general: false,
      is_member: c.members.has(BOT_USER_ID),
      created: c.created,
      creator: c.creator,
      num_members: c.members.size,
      topic: { value: c.topic, creator: c.topic ? BOT_USER_ID : '', last_set: 0 },
      purpose: { value: c.purpose, creator: '', last_set: 0 },
    };
  }

  /** A message as the Web API gives it: `bot_id` only on one the bot posted, not on a person's nor on Slack's own line. */
  messageJson(m: StoredMessage): SlackArgs {
    const json: SlackArgs = {
      type: 'message',
      ...(m.subtype ? { subtype: m.subtype } : {}),
      user: m.user,
      ...(m.user === BOT_USER_ID && !m.subtype ? { bot_id: BOT_ID } : {}),
      ...(m.inviter ? { inviter: m.inviter } : {}),
      team: TEAM_ID,
      ts: m.ts,
      text: m.text ?? '',
    };
    if (m.blocks !== undefined) json.blocks = m.blocks;
    if (m.attachments !== undefined) json.attachments = m.attachments;
    if (m.thread_ts !== undefined) json.thread_ts = m.thread_ts;
    if (m.metadata !== undefined) json.metadata = m.metadata;
    return json;
  }

  /**
   * What lasts, as plain JSON: channels, people, the latest `keepMessages` messages of each channel (without their
   * earlier versions), DMs, user groups and the id counters (so ids never repeat). Open modals, ephemeral messages
   * and files are not kept.
   */
  snapshot(keepMessages = 200): WorkspaceSnapshot {
    return {
      version: 1,
      channels: [...this.channels.values()].map((c) => ({ ...c, members: [...c.members] })),
      users: [...this.users.values()],
      messages: [...this.messages].map(([channel, list]) => [
        channel,
        list
          .filter((m) => !m.deleted)
          .slice(-keepMessages)
          .map(({ history: _history, ...m }) => m),
      ]),
      dms: [...this.dms],
      usergroups: [...this.usergroups],
      usergroupHandles: [...this.usergroupHandles],
      counters: { ...this.counters },
    };
  }

  /** Puts back what {@link snapshot} saved, replacing channels, people, messages, DMs, groups and counters. */
  restore(s: WorkspaceSnapshot): void {
    this.channels.clear();
    for (const c of s.channels) this.channels.set(c.id, { ...c, members: new Set(c.members) });
    this.users.clear();
    for (const u of s.users) this.users.set(u.id, u);
    this.messages.clear();
    for (const [channel, list] of s.messages)
      this.messages.set(
        channel,
        list.map((m) => ({ ...m, history: [] })),
      );
    this.dms.clear();
    for (const [user, dm] of s.dms) this.dms.set(user, dm);
    this.usergroups.clear();
    for (const [group, members] of s.usergroups) this.usergroups.set(group, members);
    this.usergroupHandles.clear();
    for (const [group, handle] of s.usergroupHandles ?? []) this.usergroupHandles.set(group, handle);
    Object.assign(this.counters, s.counters);
  }
}

/** Whether parsed JSON looks like a {@link WorkspaceSnapshot} this version can restore. */
export function isWorkspaceSnapshot(v: unknown): v is WorkspaceSnapshot {
  const s = v as Partial<WorkspaceSnapshot> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.version === 1 &&
    Array.isArray(s.channels) &&
    Array.isArray(s.users) &&
    Array.isArray(s.messages) &&
    Array.isArray(s.dms) &&
    Array.isArray(s.usergroups) &&
    typeof s.counters === 'object' &&
    s.counters !== null
  );
}
