import type { KnownBlock, SectionBlock } from '@slack/types';
import type { ActionItem, ActionItemWithIncident, ItemIncident } from '../incidents/action-items.js';
import type { FollowUpNotice } from '../incidents/follow-up-ports.js';
import { severityLabel } from '../incidents/severity.js';
import { button } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { actionItemRef } from './payloads.js';
import { boldName, channelLink, LIMITS, mention, mrkdwnClip, slackAgo, slackDate, truncate, utcStamp } from './text.js';

/** "due <date> (overdue)" */
export function dueText(item: Pick<ActionItem, 'dueAt' | 'state'>, now: Date): string {
  if (!item.dueAt) return 'no due date';
  const late = item.state === 'open' && item.dueAt <= now ? ' :warning: overdue' : '';
  return `due ${slackDate(item.dueAt, utcStamp(item.dueAt))}${late}`;
}

/** "#42 db down in #inc-42-db-down" */
export function incidentRef(i: ItemIncident): string {
  return `#${i.number} ${mrkdwnClip(i.title, 120)}${i.channelId ? ` in ${channelLink(i.channelId)}` : ''}`;
}

/** One item with its Done button: what, which incident, owner, due. */
export function itemSection(
  { item, incident }: ActionItemWithIncident,
  now: Date,
  opts: { showOwner?: boolean } = {},
): SectionBlock {
  const open = item.state === 'open';
  const facts = [
    incidentRef(incident),
    ...(opts.showOwner === false ? [] : [item.ownerId ? `owner ${mention(item.ownerId)}` : 'nobody owns it']),
    // Closed (a message sent before, updated in place): who closed it and when, instead of its due date and button.
    open ? dueText(item, now) : closedText(item),
  ];
  return {
    type: 'section',
    block_id: `${BLOCK.actionItem}:${item.id}`,
    text: {
      type: 'mrkdwn',
      text: truncate(`${boldName(item.text, 400)}\n${facts.join(' · ')}`, LIMITS.sectionText),
    },
    ...(open ? { accessory: button(ACTION.actionItemDone, 'Done', actionItemRef.encode(item.id)) } : {}),
  };
}

/** ":white_check_mark: done by @x 2 hours ago": a closed item. */
function closedText(item: Pick<ActionItem, 'closedBy' | 'closedAt'>): string {
  const by = item.closedBy ? ` by ${mention(item.closedBy)}` : '';
  return `:white_check_mark: done${by}${item.closedAt ? ` ${slackAgo(item.closedAt, utcStamp(item.closedAt))}` : ''}`;
}

/** `/incident actions`: open items across incidents, the person's own first, each with Done. Pure; within 50 blocks. */
export function renderActionItemList(items: ActionItemWithIncident[], total: number, now: Date): Message {
  if (items.length === 0) {
    const text = 'No open action items. :tada:';
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const shown = items.slice(0, LIMITS.blocksPerMessage - 2);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Open action items (${total})` } },
    ...shown.map((i) => itemSection(i, now)),
  ];
  if (total > shown.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${total - shown.length} more.` }] });
  }
  const text = `Open action items: ${shown.map((i) => truncate(i.item.text, 60)).join('; ')}`;
  return { text: truncate(text, 3000), blocks };
}

/** The direct message to an item's owner: assigned to them, or due. Pure. */
export function renderOwnerMessage(
  incident: ItemIncident,
  item: ActionItem,
  why: 'assigned' | 'due',
  now: Date,
): Message {
  // Which incident, with its severity (SEV-2 incident #1 … in #inc-1-…).
  const from = `${severityLabel(incident.severity)} incident ${incidentRef(incident)}`;
  // An item its owner added (`@me`, a post-mortem's runbook update): theirs, not given to them.
  const head =
    why === 'due'
      ? `:alarm_clock: An action item you own from ${from} is due now:`
      : item.createdBy === item.ownerId
        ? `:clipboard: You added an action item you own, from ${from}:`
        : `:clipboard: ${mention(item.createdBy)} made you the owner of an action item from ${from}:`;
  const text = `${head} ${mrkdwnClip(item.text, 300)}`;
  return {
    text: truncate(text, 3000),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: head } },
      itemSection({ item, incident }, now, { showOwner: false }),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `${item.state === 'open' ? '' : 'Done, nothing more to do here. '}Your open items are in \`/incident actions\` and in the bot's Home tab.`,
          },
        ],
      },
    ],
  };
}

/** What the incident channel is told about its follow-up. Pure. */
export function renderFollowUpNotice(notice: FollowUpNotice, now: Date): Message {
  switch (notice.kind) {
    case 'items_completed': {
      const text = `:white_check_mark: Every action item of this incident is done (${notice.count}); ${mention(notice.actorId)} closed the last one.`;
      return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
    }
    case 'item_due': {
      const text = `:alarm_clock: An action item nobody owns is due: ${boldName(notice.item.text, 400)} (${dueText(notice.item, now)}). Whoever takes it, close it with its Done button in \`/incident actions\`.`;
      return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
    }
    case 'note': {
      const text = `:memo: ${mention(notice.actorId)} noted on the timeline: ${mrkdwnClip(notice.text, LIMITS.sectionText - 100)}`;
      return { text: truncate(text, 3000), blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
    }
    case 'description': {
      const text = `:memo: *Description* from ${mention(notice.actorId)}:\n${mrkdwnClip(notice.text, LIMITS.sectionText - 100)}`;
      return { text: truncate(text, 3000), blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
    }
  }
}

/** The reply to `/incident action`: what was added, and what the incident already had. */
export function renderItemsAdded(added: ActionItem[], skipped: string[], now: Date): string {
  const lines = added.map(
    (i) =>
      `:white_check_mark: Added the action item ${boldName(i.text, 300)} (${i.ownerId ? `owner ${mention(i.ownerId)}` : 'nobody owns it'}, ${dueText(i, now)}).`,
  );
  for (const s of skipped)
    lines.push(`:information_source: This incident already has the action item ${boldName(s, 300)}.`);
  return lines.join('\n');
}

/** `/incident actions` shown again after an item of it was closed: the line saying so, then the list. Pure. */
export function renderListAfterClose(closed: string, list: Message): Message {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: closed } }, ...list.blocks];
  // The list fills a message's blocks at most; with the line, its last item goes.
  if (blocks.length > LIMITS.blocksPerMessage)
    blocks.splice(LIMITS.blocksPerMessage - 1, blocks.length - LIMITS.blocksPerMessage);
  return { text: truncate(`${closed}\n${list.text}`, 3000), blocks };
}

/** The reply to a Done click: when it was closed, as Slack counts it for the reader ("just now" read later is wrong). */
export function renderItemClosed(item: ActionItem, last: boolean, now: Date): string {
  return `:white_check_mark: Done: ${boldName(item.text, 300)} (closed ${slackAgo(item.closedAt ?? now)}).${
    last ? ' That was the last open action item of its incident.' : ''
  }`;
}
