import type { KnownBlock } from '@slack/types';
import type { IncidentNotice } from '../incidents/ports.js';
import { severityLabel, severityWithResponse } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { renderStatusUpdate } from './communication.js';
import type { Message } from './incident-card.js';
import { channelLink, humanDuration, mention, mrkdwnClip } from './text.js';

const simple = (text: string): Message => ({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });

/** What the incident channel is told when something changes. Pure. */
export function renderNotice(i: Incident, n: IncidentNotice): Message {
  switch (n.kind) {
    case 'severity_changed': {
      const direction = n.to < n.from ? ':arrow_up: raised' : ':arrow_down: lowered';
      return simple(
        `Severity ${direction} from *${severityLabel(n.from)}* to *${severityWithResponse(n.to)}* by ${mention(n.actorId)}.`,
      );
    }
    case 'acknowledged':
      return simple(
        n.previousCommanderId && n.previousCommanderId !== n.actorId
          ? `:raising_hand: ${mention(n.actorId)} took command from ${mention(n.previousCommanderId)}.`
          : `:raising_hand: ${mention(n.actorId)} acknowledged the incident and is now commander${
              i.acknowledgedAt ? ` (time to acknowledge: ${humanDuration(i.createdAt, i.acknowledgedAt)})` : ''
            }.`,
      );
    case 'status_update':
      return renderStatusUpdate(i, n.update, n.authorId);
    case 'mitigated':
      return simple(
        `:large_yellow_circle: ${mention(n.actorId)} marked the incident *mitigated*. Next: fix the root cause, then resolve.`,
      );
    case 'resolved':
      return renderResolved(i, n.actorId, n.summary);
  }
}

export function renderResolved(i: Incident, actorId: string, summary: string): Message {
  const resolvedAt = i.resolvedAt ?? new Date();
  const tta = i.acknowledgedAt ? humanDuration(i.createdAt, i.acknowledgedAt) : 'never acknowledged';
  const ttr = humanDuration(i.createdAt, resolvedAt);
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:white_check_mark: *Incident #${i.number} resolved* by ${mention(actorId)}.\n*Summary:* ${mrkdwnClip(summary, 2500)}`,
      },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Time to acknowledge*\n${tta}` },
        { type: 'mrkdwn', text: `*Time to resolve*\n${ttr}` },
      ],
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'Phase: *Post-mortem* — document the timeline, find the root cause, create action items, update the runbook if needed. `/incident timeline` lists what happened.',
        },
      ],
    },
  ];
  return {
    text: `Incident #${i.number} resolved: ${mrkdwnClip(summary, 300)} (time to acknowledge: ${tta}; time to resolve: ${ttr})`,
    blocks,
  };
}

/** The incidents channel hears of a new incident, with a link to its channel. */
export function renderAnnouncement(i: Incident): Message {
  const where = i.channelId ? channelLink(i.channelId) : 'its channel';
  const text = `:rotating_light: *${severityWithResponse(i.severity)}* — incident #${i.number}: ${mrkdwnClip(i.title, 300)}\nDeclared by ${mention(i.reporterId)}. Join ${where} to help.`;
  return simple(text);
}

/** The private reply to whoever declared it. */
export function renderDeclaredReply(i: Incident, warnings: string[]): string {
  const where = i.channelId ? channelLink(i.channelId) : 'its channel';
  const base = `Incident #${i.number} (${severityLabel(i.severity)}) is open: ${where}. The card there has the buttons; \`/incident help\` lists the commands.`;
  return warnings.length ? `${base}\n:warning: But ${warnings.join('; ')}.` : base;
}
