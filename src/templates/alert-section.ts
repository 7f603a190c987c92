/** The incident card's alert section. Pure. */

import type { KnownBlock } from '@slack/types';
import type { AlertCardView } from '../incidents/alert-types.js';
import { alertLine, capOf, incidentNamed, runbookLine, sourcesNamed, tellingLabels } from './alert-lines.js';
import { packLines } from './blocks.js';
import { clipEscaped, LIMITS, mrkdwnClip } from './text.js';

const counted = (v: AlertCardView) => `${v.firing} firing · ${v.resolved} resolved · from ${sourcesNamed(v)}`;

/**
 * The card's alert section: the alerts' state, first and last seen and count, the runbook's action for them, a storm
 * and the incident they opened before when there is one. At most the alerts the view holds, then "and N more". Pure.
 */
export function renderAlertSection(v: AlertCardView): KnownBlock[] {
  const head = [
    `:rotating_light: *Alerts* · ${counted(v)}`,
    ...v.rules.map(runbookLine),
    v.storm
      ? `:cyclone: *Alert storm:* ${mrkdwnClip(v.storm.source, 40)} reached its cap of ${capOf(v.storm.maxIncidents)} opened in 10 minutes; its further critical alerts join this one.`
      : null,
    ...v.truncated.map(
      (t) =>
        `:warning: *${t.count.toLocaleString('en-US')} more alert${t.count === 1 ? '' : 's'} not sent:* ${mrkdwnClip(t.source, 40)} left ${t.count === 1 ? 'it' : 'them'} out of ${t.groups === 'storm' ? "its latest deliveries of this storm's groups" : 'its latest delivery of this group'} (its webhook's \`max_alerts\`), so ${t.count === 1 ? 'it is' : 'they are'} not listed here: see them in Alertmanager, or raise \`max_alerts\`.`,
    ),
    v.follows
      ? `:leftwards_arrow_with_hook: The same alert was in ${incidentNamed(v.follows)} before; it was resolved and fired again.`
      : null,
  ].filter(Boolean);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clipEscaped(head.join('\n'), LIMITS.sectionText) } },
  ];
  const telling = tellingLabels(v.alerts);
  const lines = v.alerts.map((a) => alertLine(a, telling(a)));
  const { blocks: listed, shown } = packLines(lines, 1);
  blocks.push(...listed);
  const more = v.total - shown;
  if (more > 0) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `…and ${more} more: \`/incident alerts\` lists every one.` }],
    });
  }
  return blocks;
}
