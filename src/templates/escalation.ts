import type { KnownBlock } from '@slack/types';
import type { EscalateResult } from '../incidents/escalation.service.js';
import { button } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { escalateRef } from './payloads.js';
import { ago, boldName, mention, slackDate } from './text.js';

/** The private reply to the person who escalated: whom it pages. */
export function renderEscalationReply(r: Extract<EscalateResult, { kind: 'paging' }>, now = new Date()): string {
  const h = r.handedOver;
  if (h)
    return `:arrow_double_up: ${boldName(r.roleName, 100)} was paged ${ago(h.at, now)} when ${h.was.map(mention).join(', ')} ${h.was.length === 1 ? 'was' : 'were'} on call; ${mention(h.now)} is on call now and is paged.`;
  return `:arrow_double_up: Paging ${boldName(r.roleName, 100)} now.`;
}

/**
 * The private reply when the role meant had been paged meanwhile: who was paged, when and why, that nobody else was,
 * and a button to page the next role on purpose. Pure.
 */
export function renderAlreadyEscalated(
  r: Omit<Extract<EscalateResult, { kind: 'already' }>, 'unchanged'>,
  now: Date,
): Message {
  const role = boldName(r.roleName, 100);
  const when = ago(r.at, now);
  const why = r.by ? `escalated by ${mention(r.by)}` : r.reason ? `because ${r.reason}` : null;
  const head = r.skipped
    ? `:warning: ${role} has nobody to page: it was reached ${when}${why ? ` (${why})` : ''} with no contacts, so nobody was paged. Add contacts under \`escalation.roles\` in the runbook file.`
    : r.pending
      ? `:information_source: ${role} is already being paged (${[why, when].filter(Boolean).join(', ')}), so nobody else was paged.`
      : `:information_source: ${role} was already paged ${when}${why ? ` (${why})` : ''}${r.reached?.length ? `, reaching ${r.reached.map(mention).join(', ')}` : ''}, so nobody else was paged.${r.againAfter ? ` To page them again, ask again ${slackDate(r.againAfter)} or later.` : ''}`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: head } }];
  if (r.next) {
    blocks.push({
      type: 'actions',
      block_id: `${BLOCK.escalateOffer}:${r.incidentId}`,
      elements: [
        button(
          ACTION.escalate,
          `Page ${r.next.roleName} now`,
          escalateRef.encode({ incidentId: r.incidentId, role: r.next.role }),
        ),
      ],
    });
  } else {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Every role in the contact order has been paged.' }],
    });
  }
  const next = r.next ? ` To page ${boldName(r.next.roleName, 100)} too, press the button.` : '';
  return { text: `${head}${next}`, blocks };
}
