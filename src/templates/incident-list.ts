import type { KnownBlock } from '@slack/types';
import { recoveredAt } from '../incidents/recovery-objectives.js';
import { severityLabel } from '../incidents/severity.js';
import { type Incident, PHASE_LABELS, STATUS_LABELS } from '../incidents/types.js';
import { type Message, rtoStanding, span } from './incident-card.js';
import { ago, channelLink, humanDuration, LIMITS, mention, mrkdwnClip, slackDate, utcStamp } from './text.js';

/**
 * Where an incident with a procedure's RTO stands against it (`· RTO 2-4 hours, due …`, `past its RTO`), or, mitigated,
 * how long recovery took against it; else nothing.
 */
function rtoState(i: Incident, now: Date): string {
  const r = i.recovery;
  if (!r) return '';
  const recovered = recoveredAt(i);
  const { state, due } = rtoStanding(i.createdAt, recovered ?? now, r);
  const rto = `RTO ${span(r.minMs, r.maxMs)}`;
  if (recovered)
    return ` · recovered in ${humanDuration(i.createdAt, recovered)} (${state === 'past' ? `:rotating_light: past its ${rto}` : `within its ${rto}`})`;
  if (state === 'past') return ` · :rotating_light: past its ${rto}`;
  return ` · ${rto}, due ${slackDate(due, utcStamp(due))}${state === 'past_lower' ? ' (:warning: past the lower bound)' : ''}`;
}

/**
 * `/incident list`: open incidents, most severe first. `total` is how many are open in all when `incidents` holds only
 * the first of them. Pure; stays within 50 blocks.
 */
export function renderIncidentList(incidents: Incident[], now: Date, total = incidents.length): Message {
  if (incidents.length === 0) {
    return {
      text: 'No open incidents. :tada:',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'No open incidents. :tada:' } }],
    };
  }
  const max = LIMITS.blocksPerMessage - 2;
  const shown = incidents.slice(0, max);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Open incidents (${total})` } },
    ...shown.map(
      (i): KnownBlock => ({
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*${severityLabel(i.severity)}* · #${i.number} ${mrkdwnClip(i.title, 200)} — ${i.channelId ? channelLink(i.channelId) : ''}\n${STATUS_LABELS[i.status]} · ${PHASE_LABELS[i.phase]} · started ${ago(i.createdAt, now)} · commander ${mention(i.commanderId)}${rtoState(i, now)}`,
        },
      }),
    ),
  ];
  const more = Math.max(0, total - shown.length);
  if (more > 0) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${more} more.` }] });
  }
  const named = shown.map((i) => `${severityLabel(i.severity)} #${i.number}`).join(', ');
  const text = more > 0 ? `Open incidents (${total}): ${named}, and ${more} more` : `Open incidents: ${named}`;
  return { text, blocks };
}
