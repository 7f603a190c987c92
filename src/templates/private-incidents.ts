import type { KnownBlock } from '@slack/types';
import { type SeverityDefs, severityWithResponse } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { channelLink, mention, mrkdwnClip } from './text.js';

/**
 * What private (security) incidents show: the incidents channel's notice that one exists (no title, number or
 * channel), the confirmation of `/incident public`, the announcement of one made public with its Join button (its
 * channel stays private: Slack cannot make a private channel public). Pure.
 */

/** The incidents channel's notice when the runbook file says `private_incidents.announce: notice`. */
export function renderPrivateNotice(i: Pick<Incident, 'severity'>, severities: SeverityDefs): Message {
  const text = `:lock: A private incident was declared (*${severityWithResponse(i.severity, severities)}*). Its responders were told directly; it is not listed.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** `/incident public`'s private reply: what making it public does, and the button that does it (Slack confirms). */
export function renderMakePublicOffer(i: Incident, incidentsChannel: string | null): Message {
  const where = incidentsChannel ? channelLink(incidentsChannel) : 'the incidents channel';
  const text = [
    `:lock: Incident #${i.number} is *private*: announced nowhere, listed only to its people, not on the status page.`,
    `Making it public announces it in ${where} (title and number), lists it for everyone and lets the status page show it when its level or a published update says so. This is recorded on the timeline and cannot be undone.`,
    'The channel itself stays private (Slack cannot make a private channel public): the announcement has a *Join* button that invites whoever clicks it.',
  ].join('\n');
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text } },
    {
      type: 'actions',
      block_id: `${BLOCK.makePublicActions}:${i.id}`,
      elements: [
        {
          type: 'button',
          action_id: ACTION.makePublic,
          text: { type: 'plain_text', text: 'Make public' },
          value: String(i.id),
          style: 'danger',
          confirm: {
            title: { type: 'plain_text', text: 'Make it public?' },
            text: {
              type: 'mrkdwn',
              text: `Incident #${i.number} will be announced and listed for everyone. This cannot be undone.`,
            },
            confirm: { type: 'plain_text', text: 'Make public' },
            deny: { type: 'plain_text', text: 'Keep private' },
          },
        },
      ],
    },
  ];
  return { text: `Make incident #${i.number} public?`, blocks };
}

/** The announcement of an incident made public: as a new one's, and a Join button (its channel is private). */
export function renderMadePublicAnnouncement(i: Incident, severities: SeverityDefs, actorId: string): Message {
  const text = `:unlock: *${severityWithResponse(i.severity, severities)}* — incident #${i.number}: ${mrkdwnClip(i.title, 300)}\nDeclared private by ${mention(i.reporterId)}, made public by ${mention(actorId)}. Its channel ${i.channelId ? channelLink(i.channelId) : ''} is private: *Join* to be invited.`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: `${BLOCK.joinActions}:${i.id}`,
        elements: [
          {
            type: 'button',
            action_id: ACTION.joinIncident,
            text: { type: 'plain_text', text: 'Join' },
            value: String(i.id),
            style: 'primary',
          },
        ],
      },
    ],
  };
}

/** Said in the incident channel when it is made public. */
export function renderMadePublicNotice(actorId: string, announced: boolean): Message {
  const text = `:unlock: ${mention(actorId)} made this incident *public*: ${announced ? 'it was announced in the incidents channel with a Join button, and' : 'it'} is listed for everyone from now on. This channel stays private; people join with the button.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
