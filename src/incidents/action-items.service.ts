import {
  claimDueReminders,
  closeActionItem,
  countOpenItems,
  dropItemReminder,
  finishItemReminder,
  getActionItem,
  insertActionItems,
  itemDms,
  itemsOfIncident,
  openItems,
  recordItemDm,
  retryItemReminder,
} from '../store/action-item.repo.js';
import type { Database, Queryable } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import { addMember } from '../store/incident-members.repo.js';
import { claimRequestKey } from '../store/request-key.repo.js';
import type { ActionItem, ActionItemWithIncident, NewActionItem, OwnerRef } from './action-items.js';
import { AlreadyDoneError, DomainError } from './errors.js';
import { retryDelayMs } from './escalation-jobs.js';
import { incidentOrThrow } from './find-incident.js';
import type { FollowUpChat, OwnerDm } from './follow-up-ports.js';
import { type Logger, UnreachableContactError } from './ports.js';
import type { Sweep } from './timer-loop.js';
import type { Incident } from './types.js';

export interface AddedItems {
  incident: Incident;
  added: ActionItem[];
  /** Texts the incident already had an item for. */
  skipped: string[];
  /** Recorded, but not shown in Slack (an owner not told). */
  warnings: string[];
}

export interface ClosedItem {
  item: ActionItem;
  incident: Incident;
  /** It was the incident's last open item. */
  last: boolean;
  warnings: string[];
}

/** Reminders claimed by one sweep at most. */
const REMINDER_BATCH = 50;
/** How long a claimed reminder stays with the process that claimed it; after that another one sends it. */
const REMINDER_LEASE_MS = 60_000;

class ActionItemNotFoundError extends DomainError {
  constructor() {
    super('action_item_not_found', 'That action item no longer exists.');
  }
}

/**
 * Action items: added to an incident (by `/incident action` or the post-mortem form), their owners told, listed
 * across incidents, closed (the incident's last one noted on its timeline), and a reminder sent when one is due. The
 * reminder is a durable timer: a row with a due time that the timer loop's sweep claims with a lease, so it is sent
 * after a restart and by one process only.
 */
export class ActionItemService implements Sweep {
  constructor(
    private readonly db: Database,
    private readonly chat: FollowUpChat,
    private readonly log: Logger = console,
    private readonly opts: {
      leaseMs?: number;
      /**
       * Invites people into an incident's channel (Slack's conversations.invite): the owners of a private incident's
       * items are let in, so the direct message naming the incident leads somewhere they can work.
       */
      invite?: (incident: Incident, userIds: string[]) => Promise<{ unreachable: string[] }>;
    } = {},
    /** Masks the bot's known secret values in what people typed (see IncidentService's `typed`). */
    private readonly typed: (text: string) => string = (text) => text,
  ) {}

  /**
   * The incident's card, which counts its action items: shown again once they change (set by the composition root;
   * none in some tests). A card that cannot be shown again is logged: the item is recorded all the same.
   */
  cards: { refreshCard(incidentId: number): Promise<void> } | null = null;

  /** Shows the incident's card again (its action items changed); logged, not raised, when it cannot be. */
  async showOnCard(incidentId: number): Promise<void> {
    await this.cards
      ?.refreshCard(incidentId)
      .catch((err) => this.log.warn(`could not show incident ${incidentId}'s action items on its card`, err));
  }

  /** Items with a known secret value typed in their text masked, before they are stored or shown. */
  private masked(items: readonly NewActionItem[]): NewActionItem[] {
    return items.map((i) => ({ ...i, text: this.typed(i.text) }));
  }

  /**
   * The person an owner reference names: a mention carries the id; a typed name is looked up. `what` is how a refusal
   * speaks of them (an action item's owner, or the person put on call).
   */
  async resolveOwner(ref: OwnerRef, what: 'owner' | 'person' = 'owner'): Promise<string> {
    if ('id' in ref) return ref.id;
    const found = await this.chat.findUser(ref.name);
    if (found.kind === 'found') return found.userId;
    if (found.kind === 'ambiguous') {
      throw new DomainError('owner_ambiguous', [
        `\`@${ref.name}\` fits several people (`,
        { people: found.userIds.slice(0, 5) },
        `). Mention the ${what} so Slack fills in who you mean.`,
      ]);
    }
    throw new DomainError(
      'owner_unknown',
      `Nobody in this workspace is called \`@${ref.name}\`. Mention the ${what} so Slack fills in who you mean${what === 'owner' ? ', or leave the owner out' : ''}.`,
    );
  }

  /** Adds items to an incident: recorded with their timeline events, then their owners are told. */
  async add(
    incidentId: number,
    actorId: string,
    typedItems: readonly NewActionItem[],
    requestKey?: string,
  ): Promise<AddedItems | null> {
    const items = this.masked(typedItems);
    const r = await this.db.transaction(async (tx) => {
      if (requestKey && !(await claimRequestKey(tx, requestKey))) return null;
      const incident = await incidentOrThrow(tx, incidentId, { forUpdate: true });
      const added = await this.insertIn(tx, incident, items, actorId);
      return { incident, added };
    });
    if (!r) return null;
    const have = new Set(r.added.map((i) => i.text.toLowerCase()));
    const skipped = items.filter((i) => !have.has(i.text.toLowerCase())).map((i) => i.text);
    const warnings = await this.announce(r.incident, r.added, actorId);
    if (r.added.length) await this.showOnCard(r.incident.id);
    return { incident: r.incident, added: r.added, skipped, warnings };
  }

  /** Inside the caller's transaction, holding the incident's lock: the items (masked) and their events. */
  addIn(tx: Queryable, incident: Incident, items: readonly NewActionItem[], actorId: string): Promise<ActionItem[]> {
    return this.insertIn(tx, incident, this.masked(items), actorId);
  }

  private async insertIn(
    tx: Queryable,
    incident: Incident,
    items: readonly NewActionItem[],
    actorId: string,
  ): Promise<ActionItem[]> {
    const added = await insertActionItems(tx, incident, items, actorId);
    for (const item of added) await insertEvent(tx, incident.id, 'action_item_added', actorId, eventDetails(item));
    return added;
  }

  /**
   * After items were recorded: each owner gets a direct message, and what people see is refreshed. The owner of an
   * item of a private incident is invited into its channel first (recorded as a member, `member_added` on its
   * timeline): the person who chose them is in the channel and gave them work there, the message names the incident
   * anyway, and the bot's lists already count an item's owner as one of its people; a link to a channel they cannot
   * open would only send them to ask around, which says more about the incident than the invitation does.
   */
  async announce(incident: Incident, added: readonly ActionItem[], actorId: string): Promise<string[]> {
    const warnings: string[] = [];
    if (incident.private) warnings.push(...(await this.letOwnersIn(incident, added, actorId)));
    for (const item of added) {
      if (!item.ownerId) continue;
      try {
        await this.noteDm(item, await this.chat.tellOwner(incident, item, 'assigned'), 'assigned');
      } catch (err) {
        this.log.warn(`could not tell the owner of action item ${item.id}`, err);
        warnings.push(`<@${item.ownerId}> could not be sent a direct message about "${item.text}"`);
      }
    }
    this.chat.changed(incident.teamId, [actorId, ...added.flatMap((i) => (i.ownerId ? [i.ownerId] : []))]);
    return warnings;
  }

  /** Invites the owners of a private incident's new items into its channel, and records those let in. */
  private async letOwnersIn(incident: Incident, added: readonly ActionItem[], actorId: string): Promise<string[]> {
    const owners = [...new Set(added.flatMap((i) => (i.ownerId && i.ownerId !== actorId ? [i.ownerId] : [])))];
    if (!owners.length || !incident.channelId || !this.opts.invite) return [];
    const warnings: string[] = [];
    let unreachable: string[] = [];
    try {
      ({ unreachable } = await this.opts.invite(incident, owners));
    } catch (err) {
      this.log.warn(`could not invite the owners of incident ${incident.id}'s action items`, err);
      return [
        `the owners could not be invited into this private channel (${(err as Error).message}); invite them by hand`,
      ];
    }
    for (const user of unreachable) warnings.push(`<@${user}> could not be invited into this private channel`);
    const invited = owners.filter((u) => !unreachable.includes(u));
    await this.db.transaction(async (tx) => {
      for (const user of invited) {
        if (await addMember(tx, incident.id, user)) {
          await insertEvent(tx, incident.id, 'member_added', actorId, { userId: user, why: 'action_item_owner' });
        }
      }
    });
    return warnings;
  }

  /** Closes an item; the incident's last open one is noted on its timeline and in its channel. */
  async close(itemId: number, actorId: string, requestKey?: string): Promise<ClosedItem | null> {
    const r = await this.db.transaction(async (tx) => {
      if (requestKey && !(await claimRequestKey(tx, requestKey))) return null;
      const found = await getActionItem(tx, itemId);
      if (!found) throw new ActionItemNotFoundError();
      // The incident first, then the item: the order every change to an incident's items takes.
      const incident = await incidentOrThrow(tx, found.incidentId, { forUpdate: true });
      const item = await closeActionItem(tx, itemId, actorId);
      if (!item) {
        const current = await getActionItem(tx, itemId);
        throw new AlreadyDoneError([
          `"${found.text}" was already closed`,
          ...(current?.closedBy ? [' by ', { people: [current.closedBy] }] : []),
          '.',
        ]);
      }
      await insertEvent(tx, incident.id, 'action_item_closed', actorId, eventDetails(item));
      const last = (await countOpenItems(tx, incident.id)) === 0;
      let count = 0;
      if (last) {
        count = (await itemsOfIncident(tx, incident.id)).length;
        await insertEvent(tx, incident.id, 'action_items_completed', actorId, { count });
      }
      return { item, incident, last, count };
    });
    if (!r) return null;
    const warnings: string[] = [];
    if (r.last) {
      await this.chat.postFollowUp(r.incident, { kind: 'items_completed', actorId, count: r.count }).catch((err) => {
        this.log.warn('could not say in the channel that every action item is done', err);
        warnings.push('the incident channel could not be told that every action item is done');
      });
    }
    this.chat.changed(r.incident.teamId, [actorId, ...(r.item.ownerId ? [r.item.ownerId] : [])]);
    await this.showOnCard(r.incident.id);
    await this.showClosedInDms(r.incident, r.item);
    return { item: r.item, incident: r.incident, last: r.last, warnings };
  }

  /**
   * Keeps where a direct message about an item is, to update it once the item is closed. Not kept: that message keeps
   * its Done button (which says the item is closed when pressed), so it is logged, not raised.
   */
  private async noteDm(item: ActionItem, dm: OwnerDm | null, why: 'assigned' | 'due'): Promise<void> {
    if (!dm) return;
    await recordItemDm(this.db, item.id, { ...dm, why }).catch((err) =>
      this.log.warn(`could not record the direct message about action item ${item.id}`, err),
    );
  }

  /** The owner's direct messages about a closed item say so, in place, without their Done button (logged if not). */
  private async showClosedInDms(incident: Incident, item: ActionItem): Promise<void> {
    try {
      for (const dm of await itemDms(this.db, item.id)) await this.chat.showItemClosed(incident, item, dm);
    } catch (err) {
      this.log.warn(`could not show action item ${item.id} as done in its owner's direct messages`, err);
    }
  }

  /** Open items across a workspace's incidents, the person's own first. */
  listOpen(teamId: string, userId: string, limit = 40): Promise<{ items: ActionItemWithIncident[]; total: number }> {
    return openItems(this.db, teamId, userId, limit);
  }

  /** Sends the reminders that are due (run by the timer loop on every round). */
  async sweep(): Promise<void> {
    const due = await claimDueReminders(this.db, REMINDER_BATCH, this.opts.leaseMs ?? REMINDER_LEASE_MS);
    for (const d of due) await this.remind(d.item, d.attempts);
  }

  private async remind(claimed: ActionItem, attempts: number): Promise<void> {
    try {
      const item = await getActionItem(this.db, claimed.id);
      if (item?.state !== 'open' || item.remindedAt) {
        if (item) await dropItemReminder(this.db, item.id);
        return;
      }
      const incident = await getIncident(this.db, item.incidentId);
      if (!incident) return;
      let told: string | null = null;
      if (item.ownerId) {
        try {
          await this.noteDm(item, await this.chat.tellOwner(incident, item, 'due'), 'due');
          told = item.ownerId;
        } catch (err) {
          if (!(err instanceof UnreachableContactError)) throw err;
          this.log.warn(`the owner of action item ${item.id} cannot be reached; reminding the channel`, err);
        }
      }
      if (!told) await this.chat.postFollowUp(incident, { kind: 'item_due', item });
      await finishItemReminder(this.db, item.id, {
        incidentId: incident.id,
        details: { ...eventDetails(item), ...(told ? {} : { owner: null, inChannel: true }) },
      });
      if (item.ownerId) this.chat.changed(incident.teamId, [item.ownerId]);
    } catch (err) {
      const delay = retryDelayMs(attempts);
      this.log.warn(`the reminder of action item ${claimed.id} failed; retrying in ${delay} ms`, err);
      await retryItemReminder(
        this.db,
        claimed.id,
        new Date(Date.now() + delay),
        err instanceof Error ? err.message : String(err),
      ).catch((e) => this.log.error('could not reschedule an action item reminder; its lease will run out', e));
    }
  }
}

/** An item as its timeline events record it. */
function eventDetails(item: ActionItem): Record<string, unknown> {
  return {
    item: item.id,
    text: item.text,
    owner: item.ownerId,
    dueAt: item.dueAt?.toISOString() ?? null,
  };
}
