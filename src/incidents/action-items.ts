import type { Incident } from './types.js';

/** Longest action item text, in characters. */
export const ACTION_ITEM_MAX = 300;

export type ActionItemState = 'open' | 'done';

/** Something to do after an incident (the runbook's "create action items"), with an owner and a due time. */
export interface ActionItem {
  id: number;
  incidentId: number;
  teamId: string;
  text: string;
  ownerId: string | null;
  dueAt: Date | null;
  /** `person`: typed by someone; `runbook`: the post-mortem said the runbook needs an update. */
  source: 'person' | 'runbook';
  state: ActionItemState;
  createdBy: string;
  createdAt: Date;
  closedBy: string | null;
  closedAt: Date | null;
  remindedAt: Date | null;
}

/** An item as a person asks for it. */
export interface NewActionItem {
  text: string;
  ownerId: string | null;
  dueAt: Date | null;
}

/** What lists across incidents show of an item's incident. */
export type ItemIncident = Pick<Incident, 'id' | 'number' | 'title' | 'severity' | 'status' | 'channelId'>;

export interface ActionItemWithIncident {
  item: ActionItem;
  incident: ItemIncident;
}

/** The owner as typed: a Slack user id (a mention) or a name to look up (`@alice`). */
export type OwnerRef = { id: string } | { name: string };

/** How a name was found among the workspace's people. */
export type UserLookup =
  | { kind: 'found'; userId: string }
  | { kind: 'unknown' }
  | { kind: 'ambiguous'; userIds: string[] };
