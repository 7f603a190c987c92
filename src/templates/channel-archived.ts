import { type SeverityDefs, severityWithResponse } from '../incidents/severity.js';
import { type Incident, STATUS_LABELS } from '../incidents/types.js';
import type { Message } from './incident-card.js';
import { channelLink, mention, mrkdwnClip } from './text.js';

/**
 * What is said when someone archives an open incident's channel in Slack (ChannelArchives): in the incidents channel,
 * and in direct messages to its commander (else who declared it) and to whoever archived it. Slack does not let apps
 * unarchive a channel, so a person must. Pure.
 */
export function renderChannelArchived(
  i: Incident,
  byUserId: string,
  severities: SeverityDefs,
  /** Said to whoever archived it ("You archived"). */
  toArchiver = false,
  /** The bot's own user, when known: named in the `/invite` that brings it back. */
  botUserId?: string,
): Message {
  const channel = i.channelId ? channelLink(i.channelId) : 'its channel';
  const named = i.private
    ? `a private incident's channel, ${channel}`
    : `${channel}, the channel of incident #${i.number} ${mrkdwnClip(i.title, 150)}`;
  const state = `${severityWithResponse(i.severity, severities)} · ${STATUS_LABELS[i.status]}`;
  const head = toArchiver
    ? `:warning: You archived ${named}, while the incident is still open (${state}).`
    : `:warning: ${mention(byUserId)} archived ${named}, while the incident is still open (${state}).`;
  const text = [
    head,
    'Nothing the bot posts reaches the channel now (the card, status updates, checklists, who was paged), and nobody can type `/incident` in it.',
    `To keep working there, unarchive it: open ${channel}, click its name, then *Unarchive channel* (Slack does not let apps unarchive a channel).${
      i.private
        ? ''
        : ` Slack brings a public channel back without its members: the bot joins it again and invites the incident's people back (if it does not, \`/invite ${botUserId ? mention(botUserId) : '@<the bot>'}\` there).`
    } If the incident is over, unarchive it, \`/incident resolve\` there, and archive it again.`,
  ].join('\n');
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/**
 * Said in the channel once it is unarchived and the bot is back in it: who unarchived it, and whom the bot invited
 * back (Slack brings a public channel back without its members). Pure.
 */
export function renderChannelUnarchived(i: Incident, byUserId: string, invited: readonly string[]): Message {
  const back = invited.length
    ? ` Slack brought the channel back without its members: the bot invited ${invited.map(mention).join(', ')} back; anyone else working on it can join again.`
    : '';
  const text = `:white_check_mark: ${mention(byUserId)} unarchived the channel of incident #${i.number}: the bot is back in it, and its card, updates and pages come here again.${back}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
