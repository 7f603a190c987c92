import type { WebClient } from '@slack/web-api';
import type { ActionItem, UserLookup } from '../incidents/action-items.js';
import type {
  ContactName,
  FollowUpChat,
  FollowUpNotice,
  OwnerDm,
  PostedDocument,
} from '../incidents/follow-up-ports.js';
import { UnreachableContactError } from '../incidents/ports.js';
import type { Incident } from '../incidents/types.js';
import type { KeyValue } from '../store/kv.js';
import { KvCache } from '../store/kv-cache.js';
import { renderFollowUpNotice, renderOwnerMessage } from '../templates/action-items.js';
import type { HomeTabs } from './home-tabs.js';
import { UNREACHABLE } from './slack-chat-core.js';
import { slackErrorCode, toChatPlatformError } from './slack-errors.js';

/** One person of the workspace as the directory keeps them: the names they may be typed by, lower case. */
interface Person {
  id: string;
  names: string[];
}

/** Pages of users.list read at most (200 people each): beyond that, owners are mentioned rather than typed. */
const MAX_PAGES = 10;
/** People and groups named in one document at most (users.info each, cached). */
const MAX_NAMES = 100;

/** What the follow-ups keep in the shared store, and for how long. */
export interface FollowUpCaches {
  /** The people directory (owners typed as @name): read page by page, and people join rarely. */
  directory?: KvCache;
  /**
   * Names shown for user ids (users.info) and user groups' handles (usergroups.list): a renamed person or group shows
   * under the new name within the minute.
   */
  names?: KvCache;
}

/** The directory for ten minutes; names for a minute, as user-group members are. */
export function followUpCaches(kv: KeyValue): FollowUpCaches {
  return { directory: new KvCache(kv, 10 * 60_000), names: new KvCache(kv, 60_000) };
}

/** A name typed that the kept people directory does not hold reads it from Slack again, at most this often. */
const DIRECTORY_RELOAD_MS = 30_000;

/** A person's id (U…, W…) and a user group's (S…), as Slack gives them. */
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const GROUP_ID = /^S[A-Z0-9]{2,}$/;

const lower = (s: unknown) => (typeof s === 'string' && s.trim() ? [s.trim().toLowerCase()] : []);

/** The FollowUpChat of the domain, in Slack: direct messages, channel lines, files, the people directory, Home tabs. */
export class SlackFollowUpChat implements FollowUpChat {
  constructor(
    private readonly client: WebClient,
    private readonly home: HomeTabs,
    /** Keeps the people directory and names for a while, shared by every replica. */
    private readonly caches: FollowUpCaches = {},
  ) {}

  async tellOwner(incident: Incident, item: ActionItem, why: 'assigned' | 'due'): Promise<OwnerDm | null> {
    if (!item.ownerId) return null;
    const msg = renderOwnerMessage(incident, item, why, new Date());
    try {
      const res = await this.client.chat.postMessage({ channel: item.ownerId, text: msg.text, blocks: msg.blocks });
      return res.channel && res.ts ? { channelId: res.channel, ts: res.ts } : null;
    } catch (err) {
      const code = slackErrorCode(err);
      if (code && UNREACHABLE.has(code)) throw new UnreachableContactError(item.ownerId, code);
      throw toChatPlatformError(err, `send <@${item.ownerId}> a direct message`);
    }
  }

  async showItemClosed(incident: Incident, item: ActionItem, dm: OwnerDm & { why: 'assigned' | 'due' }): Promise<void> {
    const msg = renderOwnerMessage(incident, item, dm.why, new Date());
    try {
      await this.client.chat.update({ channel: dm.channelId, ts: dm.ts, text: msg.text, blocks: msg.blocks });
    } catch (err) {
      throw toChatPlatformError(err, "update the owner's direct message");
    }
  }

  async postFollowUp(incident: Incident, notice: FollowUpNotice): Promise<void> {
    if (!incident.channelId) return;
    const msg = renderFollowUpNotice(notice, new Date());
    try {
      await this.client.chat.postMessage({
        channel: incident.channelId,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
      });
    } catch (err) {
      throw toChatPlatformError(err, 'post in the incident channel');
    }
  }

  async postDocument(incident: Incident, doc: PostedDocument): Promise<string | null> {
    if (!incident.channelId) return null;
    try {
      const res = await this.client.filesUploadV2({
        channel_id: incident.channelId,
        filename: doc.filename,
        title: doc.title,
        content: doc.content,
        initial_comment: doc.comment,
      });
      const done = res.files?.[0] as { files?: { id?: string }[] } | undefined;
      return done?.files?.[0]?.id ?? null;
    } catch (err) {
      throw toChatPlatformError(err, 'post the post-mortem document');
    }
  }

  async findUser(name: string): Promise<UserLookup> {
    const wanted = name.trim().replace(/^@/, '').toLowerCase();
    const named = (people: Person[]) => [
      ...new Set(
        people.filter((p) => p.names.some((n) => n === wanted || n.replace(/\s+/g, '') === wanted)).map((p) => p.id),
      ),
    ];
    const kept = await this.directory();
    let ids = named(kept.people);
    // Nobody by that name in a kept directory: it may predate them (someone who joined since); read it again, at most
    // once every DIRECTORY_RELOAD_MS, before saying nobody is called so.
    if (ids.length === 0 && !kept.fresh) {
      const newer = await this.directory(true);
      if (newer) ids = named(newer.people);
    }
    if (ids.length === 1) return { kind: 'found', userId: ids[0]! };
    return ids.length ? { kind: 'ambiguous', userIds: ids } : { kind: 'unknown' };
  }

  async userNames(ids: readonly string[]): Promise<Map<string, string>> {
    const named = await this.contactNames(ids.filter((id) => USER_ID.test(id)));
    return new Map([...named].map(([id, n]) => [id, n.name]));
  }

  async contactNames(ids: readonly string[]): Promise<Map<string, ContactName>> {
    const out = new Map<string, ContactName>();
    const wanted = [...new Set(ids)].slice(0, MAX_NAMES);
    const groups = wanted.filter((id) => GROUP_ID.test(id));
    await Promise.all([
      ...wanted
        .filter((id) => USER_ID.test(id))
        .map(async (id) => {
          try {
            const p = await this.person(id);
            if (p.name) out.set(id, p.handle ? p : { name: p.name });
          } catch {
            // Shown by id.
          }
        }),
      groups.length
        ? this.groupHandles().then(
            (handles) => {
              for (const id of groups) if (handles[id]) out.set(id, { name: handles[id] });
            },
            () => {
              // Shown by id (no usergroups:read scope, or Slack did not answer).
            },
          )
        : undefined,
    ]);
    return out;
  }

  /** A person's time zone (users.info `tz`), kept a minute in the names cache; null when Slack does not say. */
  async timeZoneOf(userId: string): Promise<string | null> {
    const load = async (): Promise<string> => {
      try {
        return (await this.client.users.info({ user: userId })).user?.tz ?? '';
      } catch {
        return '';
      }
    };
    const tz = await (this.caches.names ? this.caches.names.get(`tz:${userId}`, load) : load());
    return tz || null;
  }

  /** A person's name (users.info: full name first) and handle, kept a minute in the names cache. */
  private person(id: string): Promise<ContactName> {
    const load = async (): Promise<ContactName> => {
      const u = (await this.client.users.info({ user: id })).user;
      return {
        name: u?.profile?.real_name || u?.real_name || u?.profile?.display_name || u?.name || '',
        handle: u?.name ?? '',
      };
    };
    return this.caches.names ? this.caches.names.get(`user:${id}`, load) : load();
  }

  /**
   * Every user group's handle by id (one usergroups.list for all of them, disabled ones too, as a runbook may still
   * name one), kept a minute in the names cache.
   */
  private groupHandles(): Promise<Record<string, string>> {
    const load = async (): Promise<Record<string, string>> => {
      const res = await this.client.usergroups.list({ include_disabled: true });
      return Object.fromEntries((res.usergroups ?? []).flatMap((g) => (g.id && g.handle ? [[g.id, g.handle]] : [])));
    };
    return this.caches.names ? this.caches.names.get('usergroup-handles', load) : load();
  }

  changed(teamId: string, userIds: readonly string[]): void {
    this.home.refresh(teamId, userIds);
  }

  /**
   * Everyone in the workspace who can own an item (not bots, not deactivated), with the names they go by, kept a while.
   * `again`: read from Slack anew (the kept copy missed someone), or null when it was read anew too recently.
   */
  private async directory(again: true): Promise<Directory | null>;
  private async directory(): Promise<Directory>;
  private async directory(again?: true): Promise<Directory | null> {
    let fresh = false;
    const load = async (): Promise<Person[]> => {
      fresh = true;
      const people: Person[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        let res: Awaited<ReturnType<WebClient['users']['list']>>;
        try {
          res = await this.client.users.list({ limit: 200, ...(cursor ? { cursor } : {}) });
        } catch (err) {
          throw toChatPlatformError(err, 'look up the owner');
        }
        for (const u of res.members ?? []) {
          if (!u.id || u.deleted || u.is_bot || u.id === 'USLACKBOT') continue;
          people.push({
            id: u.id,
            names: [
              ...lower(u.name),
              ...lower(u.profile?.display_name),
              ...lower(u.profile?.real_name),
              ...lower(u.real_name),
            ],
          });
        }
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
      return people;
    };
    const cache = this.caches.directory;
    if (again) {
      const people = cache ? await cache.reload('people-directory', load, DIRECTORY_RELOAD_MS) : null;
      return people ? { people, fresh } : null;
    }
    const people = cache ? await cache.get('people-directory', load) : await load();
    return { people, fresh };
  }
}

/** The people directory, and whether it was read from Slack just now (not a kept copy). */
interface Directory {
  people: Person[];
  fresh: boolean;
}
