import type { CommandResult } from '../incidents/commander.js';
import { button } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { ackRef } from './payloads.js';
import { mention } from './text.js';

/**
 * The private reply to an acknowledgement after the first (or a Take command that came too late): who commands the
 * incident, and a Take command button that takes it from them on purpose. Pure.
 */
export function renderCommandHeld(r: Extract<CommandResult<unknown>, { kind: 'commanded' }>): Message {
  const text = `:information_source: ${mention(r.commanderId)} is the commander of this incident; nothing was changed. To take command from them, press *Take command*: the channel will be told.`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: `${BLOCK.takeCommand}:${r.incidentId}`,
        elements: [
          button(
            ACTION.acknowledge,
            'Take command',
            ackRef.encode({ incidentId: r.incidentId, takeFrom: r.commanderId }),
          ),
        ],
      },
    ],
  };
}
