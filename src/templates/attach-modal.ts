import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import type { AlertView } from '../incidents/alert-types.js';
import { severityLabel } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { alertLine } from './alert-lines.js';
import { modal } from './blocks.js';
import { BLOCK, INPUT, VIEW } from './ids.js';
import { boldName, channelLink, LIMITS, truncate } from './text.js';

const option = (i: Incident): PlainTextOption => ({
  text: {
    type: 'plain_text',
    text: truncate(`#${i.number} · ${severityLabel(i.severity)} · ${i.title}`, LIMITS.optionText),
  },
  value: String(i.id),
});

/**
 * A warning's Add to an open incident: the alert, and a menu of the open incidents the person may see (most severe,
 * then newest; the first preselected when it is the only one), with what adding does. `total`: how many are open, when
 * more than the menu holds. Pure.
 */
export function attachModal(
  alert: AlertView,
  incidents: readonly Incident[],
  total: number,
  metadata: string,
): ModalView {
  const more =
    total > incidents.length ? ` The ${incidents.length} most severe and newest of ${total} are listed.` : '';
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: alertLine(alert) } },
    {
      type: 'input',
      block_id: BLOCK.attachIncident,
      label: { type: 'plain_text', text: 'Incident' },
      hint: {
        type: 'plain_text',
        text: `This alert, and the other alerts of its group firing in no incident, join it: its card shows them, its channel is told, and their repeats and resolution go there from now on.${more}`,
      },
      element: {
        type: 'static_select',
        action_id: INPUT.select,
        placeholder: { type: 'plain_text', text: 'Pick an open incident' },
        options: incidents.slice(0, 100).map(option),
        ...(incidents.length === 1 ? { initial_option: option(incidents[0]!) } : {}),
      },
    },
  ];
  return modal({
    callbackId: VIEW.attachAlert,
    privateMetadata: metadata,
    title: 'Add to an incident',
    submit: 'Add',
    blocks,
  });
}

/** Nothing to add the alert to: no open incident the person may see. What to do instead. Pure. */
export function nothingToAttachTo(alert: Pick<AlertView, 'name'>): string {
  return `:information_source: No incident is open (that you may see) to add ${boldName(alert.name, 80)} to. *Declare incident* on its notice opens one with it.`;
}

/** The answer to whoever added alerts to an incident: how many, and where (its channel tells the rest). Pure. */
export function renderAttachedReply(i: Pick<Incident, 'number' | 'channelId'>, alerts: number): string {
  return `:white_check_mark: Added ${alerts === 1 ? 'the alert' : `${alerts} alerts`} to incident #${i.number}${i.channelId ? ` (${channelLink(i.channelId)})` : ''}: its card shows ${alerts === 1 ? 'it' : 'them'}, and its channel was told.`;
}

/** The answer to whoever took alerts out of an incident: how many, and where they went (their notice). Pure. */
export function renderDetachedReply(i: Pick<Incident, 'number'>, alerts: number): string {
  return `:white_check_mark: Took ${alerts === 1 ? 'the alert' : `${alerts} alerts`} out of incident #${i.number}: ${alerts === 1 ? 'its' : 'their'} notice in the incidents channel has *Declare incident* and *Add to an open incident* again.`;
}
