import type { CommandResult, PagesAcknowledged } from '../incidents/commander.js';
import type { SeverityDefs } from '../incidents/severity.js';
import { severityLabel, severityWithResponse } from '../incidents/severity.js';
import type { Incident, PagedIncident } from '../incidents/types.js';
import { button } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { openChannelButton, pagesAs } from './notices.js';
import { ackRef } from './payloads.js';
import { boldName, channelLink, mention, mrkdwnClip } from './text.js';

/**
 * The private reply to an acknowledgement after the first (or a Take command that came too late): who commands the
 * incident, and a Take command button that takes it from them on purpose. Pure.
 */
export function renderCommandHeld(r: Extract<CommandResult<unknown>, { kind: 'commanded' }>): Message {
  const page = r.pageAcknowledged ? `${pageAcknowledgedLine(r.pageAcknowledged)}\n` : '';
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

const pageAcknowledgedLine = (p: PagesAcknowledged) =>
  `:white_check_mark: You acknowledged your page ${pagesAs(p)}: its remaining notifications, if any, are stopped.`;

/** The private reply to the commander who acknowledged their own later page. Pure. */
export function renderPageAcknowledged(r: Extract<CommandResult<unknown>, { kind: 'page_acknowledged' }>): string {
  return `${pageAcknowledgedLine(r.pages)} You are the commander already.`;
}

/** `Incident #3 (SEV-1): db down, in #inc-3-db-down`: which incident a command typed outside its channel was for. */
export function renderWhichIncident(i: Incident): string {
  const where = i.channelId ? `, in ${channelLink(i.channelId)}` : '';
  return `*Incident #${i.number}* (${severityLabel(i.severity)}): ${mrkdwnClip(i.title, 150)}${where}`;
}

/** A reply with a line before it (empty: the reply as it is). Pure. */
export function withLead(lead: string, m: Message): Message {
  if (!lead) return m;
  const [first, ...rest] = m.blocks;
  const head =
    first?.type === 'section' && first.text
      ? [{ ...first, text: { ...first.text, text: `${lead}${first.text.text}` } }]
      : first
        ? [first]
        : [];
  return { text: `${lead}${m.text}`, blocks: [...head, ...rest] };
}

/** The reply to the first acknowledgement typed where the page came (the bot's direct messages). Pure. */
export function renderAcknowledgedElsewhere(i: Incident): string {
  return `:raising_hand: You acknowledged ${renderWhichIncident(i)}, and are its commander. The channel was told; work from it.`;
}

/**
 * The answer to `/incident ack` (or `status`, `update`, `timeline`) typed in the bot's direct messages when it cannot tell which incident
 * it is for: none paged the person, or several did (each with its channel; those whose page is unanswered marked).
 */
export function renderPagedChoice(paged: readonly PagedIncident[], what: string): string {
  if (paged.length === 0)
    return `:information_source: No open incident has paged you, so \`/incident ${what}\` here is for none. Type it in the incident's channel (\`/incident list\` shows the open ones).`;
  const lines = paged.map(
    (p) => `• ${renderWhichIncident(p.incident)}${p.unanswered ? ' — your page is unanswered' : ''}`,
  );
  return `:pager: ${paged.length} open incidents paged you:\n${lines.join('\n')}\nType \`/incident ${what}\` in the channel of the one you mean${what === 'ack' ? ', or press *Acknowledge* on its page here' : ''}.`;
}

/**
 * The direct message to someone made commander by another (`/incident commander @person`): who did, of which
 * incident, and the way to its channel (they were invited to it). `url`: the channel's link, when known. Pure.
 */
export function renderMadeCommander(i: Incident, actorId: string, severities: SeverityDefs, url?: string): Message {
  const where = i.channelId ? ` in ${channelLink(i.channelId)}` : '';
  const text = `:raising_hand: ${mention(actorId)} made you the commander of incident #${i.number}${where}: ${boldName(i.title, 200)} (${severityWithResponse(i.severity, severities)}). The card there has the buttons; \`/incident update\` posts where it stands.`;
  const open = openChannelButton(url);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      ...(open.length ? [{ type: 'actions' as const, elements: open }] : []),
    ],
  };
}
