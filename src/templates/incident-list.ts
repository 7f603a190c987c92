import type { KnownBlock } from '@slack/types';
import { severityLabel } from '../incidents/severity.js';
import { type Incident, PHASE_LABELS, STATUS_LABELS } from '../incidents/types.js';
import type { Message } from './incident-card.js';
import { ago, channelLink, LIMITS, mention, mrkdwnClip } from './text.js';

/** `/incident list`: open incidents, most severe first. Pure; stays within 50 blocks. */
export function renderIncidentList(incidents: Incident[], now: Date): Message {
  if (incidents.length === 0) {
    return {
      text: 'No open incidents. :tada:',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'No open incidents. :tada:' } }],
    };
  }
  const max = LIMITS.blocksPerMessage - 2;
  const shown = incidents.slice(0, max);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Open incidents (${incidents.length})` } },
    ...shown.map(
      (i): KnownBlock => ({
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*${severityLabel(i.severity)}* · #${i.number} ${mrkdwnClip(i.title, 200)} — ${i.channelId ? channelLink(i.channelId) : ''}\n${STATUS_LABELS[i.status]} · ${PHASE_LABELS[i.phase]} · started ${ago(i.createdAt, now)} · commander ${mention(i.commanderId)}`,
        },
      }),
    ),
  ];
  if (incidents.length > shown.length) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `…and ${incidents.length - shown.length} more.` }],
    });
  }
  const text = `Open incidents: ${incidents.map((i) => `${severityLabel(i.severity)} #${i.number}`).join(', ')}`;
  return { text, blocks };
}
