import type { CommandResult } from '../incidents/commander.js';
import { button } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { roleList } from './notices.js';
import { ackRef } from './payloads.js';
import { mention } from './text.js';

/**
 * The private reply to an acknowledgement after the first (or a Take command that came too late): who commands the
 * incident, and a Take command button that takes it from them on purpose. Pure.
 */
export function renderCommandHeld(r: Extract<CommandResult<unknown>, { kind: 'commanded' }>): Message {
  const page = r.pageAcknowledged?.length ? `${pageAcknowledgedLine(r.pageAcknowledged)}\n` : '';
  const text = `${page}:information_source: ${mention(r.commanderId)} is the commander of this incident; ${page ? 'command was not changed' : 'nothing was changed'}. To take command from them, press *Take command*: the channel will be told.`;
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

const pageAcknowledgedLine = (roleNames: readonly string[]) =>
  `:white_check_mark: You acknowledged your page as ${roleList(roleNames)}: its remaining notifications (email, PagerDuty) are stopped.`;

/** The private reply to the commander who acknowledged their own later page. Pure. */
export function renderPageAcknowledged(r: Extract<CommandResult<unknown>, { kind: 'page_acknowledged' }>): string {
  return `${pageAcknowledgedLine(r.roleNames)} You are the commander already.`;
}
