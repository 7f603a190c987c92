import type { ActionItem, UserLookup } from './action-items.js';
import type { Incident } from './types.js';

/** What the incident channel is told about the follow-up of an incident. */
export type FollowUpNotice =
  /** The incident's last open action item was closed. */
  | { kind: 'items_completed'; actorId: string; count: number }
  /** An item with nobody owning it is due. */
  | { kind: 'item_due'; item: ActionItem }
  /** What the declarer wrote about the incident in the declare form. */
  | { kind: 'description'; actorId: string; text: string }
  /** A note put on the timeline with `/incident note`. */
  | { kind: 'note'; actorId: string; text: string };

/** Where a direct message to an item's owner is (Slack's answer to sending it). */
export interface OwnerDm {
  channelId: string;
  ts: string;
}

/** A document to post in the incident channel as a file. */
export interface PostedDocument {
  filename: string;
  title: string;
  content: string;
  /** The message the file is posted with. */
  comment: string;
}

/**
 * How a person or a user group is named where a mention cannot be shown (plain text): a person by `name`, with their
 * `handle` (Slack's unique user name) to tell apart two people of one name; a user group by its handle, as `name`.
 */
export interface ContactName {
  name: string;
  handle?: string;
}

/**
 * The domain's view of the chat platform for what follows an incident: post-mortems, action items, the people's own
 * views (in Slack, the Home tab). src/slack implements it; the domain never imports Slack.
 */
export interface FollowUpChat {
  /**
   * A direct message to an item's owner: it was assigned to them, or it is due. Where it is (to update it once the
   * item is closed), or null when nothing was sent (no owner).
   */
  tellOwner(incident: Incident, item: ActionItem, why: 'assigned' | 'due'): Promise<OwnerDm | null>;
  /** Updates a direct message sent by tellOwner: the item, closed, says so, without its Done button. */
  showItemClosed(incident: Incident, item: ActionItem, dm: OwnerDm & { why: 'assigned' | 'due' }): Promise<void>;
  /** A line in the incident channel. */
  postFollowUp(incident: Incident, notice: FollowUpNotice): Promise<void>;
  /** Posts a document in the incident channel as a file; returns the file's id. */
  postDocument(incident: Incident, doc: PostedDocument): Promise<string | null>;
  /** Finds a person by the name typed after `@` (their handle, display name or full name). */
  findUser(name: string): Promise<UserLookup>;
  /** People's names, by id, for documents; an id that cannot be named is left out. */
  userNames(ids: readonly string[]): Promise<Map<string, string>>;
  /** People (U…, W…) and user groups (S…) named for plain text, by id; an id that cannot be named is left out. */
  contactNames(ids: readonly string[]): Promise<Map<string, ContactName>>;
  /**
   * The time zone a person set in the chat platform (an IANA name, Slack's users.info `tz`); null when it cannot be
   * read. What a time they type (`/incident oncall at 18:00`) is read in.
   */
  timeZoneOf?(userId: string): Promise<string | null>;
  /** What these people see of the incidents changed (Home tabs). Never throws and never waits. */
  changed(teamId: string, userIds: readonly string[]): void;
}
