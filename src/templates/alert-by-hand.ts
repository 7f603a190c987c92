/** In an incident's channel: alerts someone added to it by hand from their notice, or took out again. Pure. */

import type { KnownBlock } from '@slack/types';
import type { AlertView } from '../incidents/alert-types.js';
import { alertLine, alertsNamed, at, tellingLabels } from './alert-lines.js';
import { button, packLines } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { attachedRef } from './payloads.js';
import { escapeMrkdwn, mention } from './text.js';

/**
 * In an incident's channel: someone added alerts to it from their notice (Add to incident): who, which (the first few
 * lines, then how many more), and that their repeats and resolution show on the card from now on. Pure.
 */
export function renderAttached(
  by: string,
  alerts: readonly AlertView[],
  alertIncident: number | null,
  /** Taken out since: the button is gone, and the message says who took them out and when. */
  takenOut?: { by: string; at: Date },
): Message {
  const first = alerts[0];
  const head = `:link: ${mention(by)} added ${alertsNamed(alerts)} to this incident. The card shows ${alerts.length === 1 ? 'it' : 'them'} with the others, as ${alerts.length === 1 ? 'it fires or resolves' : 'they fire or resolve'}; \`/incident alerts\` lists every one.`;
  const telling = tellingLabels(alerts);
  const { blocks: lines, shown } = packLines(
    alerts.map((a) => alertLine(a, telling(a))),
    3,
  );
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: head } }, ...lines];
  if (alerts.length > shown)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${alerts.length - shown} more.` }] });
  // Added to the wrong incident: undone here, while the incident is open.
  if (takenOut || alertIncident === null)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `:leftwards_arrow_with_hook: Taken out${takenOut ? ` by ${mention(takenOut.by)} ${at(takenOut.at)}` : ''}.`,
        },
      ],
    });
  else
    blocks.push({
      type: 'actions',
      block_id: `${BLOCK.attachedActions}:${alertIncident}`,
      elements: [
        button(
          ACTION.detachAlerts,
          alerts.length === 1 ? 'Take it out (added by mistake)' : 'Take them out (added by mistake)',
          attachedRef.encode(alertIncident),
        ),
      ],
    });
  const plain = alerts.length === 1 && first ? `the ${first.level} alert ${first.name}` : `${alerts.length} alerts`;
  return { text: `Alerts added to this incident: ${escapeMrkdwn(plain)}`, blocks };
}

/** In an incident's channel: someone took alerts added by hand out of it again (see renderAttached). Pure. */
export function renderDetached(by: string, alerts: readonly AlertView[]): Message {
  const text = `:leftwards_arrow_with_hook: ${mention(by)} took ${alertsNamed(alerts)} out of this incident: ${alerts.length === 1 ? 'it is' : 'they are'} in no incident again, and ${alerts.length === 1 ? 'its' : 'their'} notice in the incidents channel offers *Declare incident* and *Add to an open incident* again.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
