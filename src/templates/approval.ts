import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { ApprovalDmView, ApprovalView, ApprovalWhere } from '../incidents/ports.js';
import { RUNBOOK_TEXT_MAX } from '../runbook/text-limits.js';
import { ACTION } from './ids.js';
import type { Message } from './incident-card.js';
import { approvalRef } from './payloads.js';
import {
  boldName,
  channelLink,
  clipEscaped,
  escapeMrkdwn,
  LIMITS,
  mention,
  mentionContact,
  mrkdwnClip,
  truncate,
} from './text.js';

/** How many approvers outside the channel the request names; past them, how many more. */
const OUTSIDE_SHOWN = 20;

/** Who asks to run what, and the runbook's warning. */
function askedLines(a: ApprovalView): string[] {
  const what = a.target.join(' ');
  return [
    `:raised_hand: ${mention(a.requestedBy)} asks to run \`${mrkdwnClip(what, 500)}\` (${mrkdwnClip(a.stepText, RUNBOOK_TEXT_MAX.stepText)}).`,
    ...(a.warning ? [`:rotating_light: ${mrkdwnClip(a.warning, RUNBOOK_TEXT_MAX.stepWarning)}`] : []),
  ];
}

/** What was decided, by whom (and why, for a denial). */
function decidedLine(a: ApprovalView): string {
  const added = a.addedToDecide
    ? ` (not in this channel before: the bot added them to it to ${a.state === 'approved' ? 'approve' : 'deny'})`
    : '';
  return a.state === 'approved'
    ? `:white_check_mark: Approved by ${mention(a.decidedBy)}${added}; running it now.`
    : `:no_entry: Denied by ${mention(a.decidedBy)}${added}${a.reason ? `: ${mrkdwnClip(a.reason, 500)}` : ''}.`;
}

/**
 * The approvers not in the channel, who cannot see the request there: each said to have it in a direct message, or
 * not (the direct message failed: someone must tell them).
 */
function outsideLine(outside: NonNullable<ApprovalView['outside']>): string | null {
  if (outside.length === 0) return null;
  const shown = outside.slice(0, OUTSIDE_SHOWN);
  const more = outside.length - shown.length;
  const names = (dmed: boolean) =>
    shown
      .filter((o) => o.dmed === dmed)
      .map((o) => mention(o.userId))
      .join(', ');
  const parts = [
    names(true) ? `${names(true)} — DMed` : null,
    names(false) ? `${names(false)} — could not be DMed: tell them` : null,
  ].filter(Boolean);
  return `:bust_in_silhouette: Not in this channel: ${parts.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}.`;
}

/**
 * The approvers not in a private incident's channel: the bot told them nothing of it, so they were not asked; adding
 * them to the channel lets them see the request here and approve it.
 */
function notAskedLine(notAsked: readonly string[]): string | null {
  if (notAsked.length === 0) return null;
  const shown = notAsked
    .slice(0, OUTSIDE_SHOWN)
    .map((u) => mention(u))
    .join(', ');
  const more = notAsked.length - Math.min(notAsked.length, OUTSIDE_SHOWN);
  return `:lock: Not asked: ${shown}${more > 0 ? ` (and ${more} more)` : ''} — not in this private channel, so the bot told them nothing of this incident. To have one of them approve, add them here (\`/invite @name\`): they then see this request in the channel and can approve it.`;
}

/** Approve and run (after Slack's confirmation) and Deny: the same on the channel's request and in a direct message. */
function approvalButtons(a: ApprovalView): ActionsBlock {
  const what = a.target.join(' ');
  return {
    type: 'actions',
    block_id: `approval:${a.approvalId}`,
    elements: [
      {
        type: 'button',
        action_id: ACTION.approveStep,
        text: { type: 'plain_text', text: 'Approve and run' },
        style: 'primary',
        value: approvalRef.encode(a.approvalId),
        confirm: {
          title: { type: 'plain_text', text: 'Approve this run?' },
          text: {
            type: 'mrkdwn',
            text: clipEscaped(
              `This runs \`${escapeMrkdwn(what)}\` in production.${a.warning ? `\n${escapeMrkdwn(a.warning)}` : ''}`,
              300,
            ),
          },
          confirm: { type: 'plain_text', text: 'Approve and run' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
      {
        type: 'button',
        action_id: ACTION.denyStep,
        text: { type: 'plain_text', text: 'Deny' },
        style: 'danger',
        value: approvalRef.encode(a.approvalId),
      },
    ],
  };
}

/**
 * A request to run a step that needs a second person: what would run, the warning, who may approve (and which of
 * them are not in this channel, sent it in a direct message), Approve and Deny. Pure.
 */
export function renderApproval(a: ApprovalView): Message {
  const what = a.target.join(' ');
  const lines = [
    ...askedLines(a),
    ...(a.state === 'pending'
      ? [
          `It needs approval by a second person${a.approvers.length ? `: ${a.approvers.map(mentionContact).join(', ')}` : ''}.`,
          outsideLine(a.outside ?? []),
          notAskedLine(a.notAsked ?? []),
        ]
      : [decidedLine(a)]),
  ].filter((l): l is string => Boolean(l));
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(lines.join('\n'), LIMITS.sectionText) } },
  ];
  if (a.state === 'pending') blocks.push(approvalButtons(a));
  return { text: mrkdwnClip(`Approval requested: ${what}`, 500), blocks };
}

/** Where the request waits, in words: a private incident is named by nothing but its channel. */
function whereWords(w: ApprovalWhere): string {
  const channel = w.channelId ? ` in ${channelLink(w.channelId)}` : '';
  if (w.kind === 'run') return `a playbook run in ${channelLink(w.channelId)}`;
  return w.private ? `a private incident${channel}` : `incident #${w.number} ${boldName(w.title, 150)}${channel}`;
}

/**
 * An approval request in an approver's direct message: the same request as in the channel (who asks, the command as
 * the runbook names it, the warning), for which incident and playbook, a link to the request there, and the same
 * Approve and Deny. Someone not in the channel is told that a press adds them to it, or (a channel the bot cannot add
 * them to) that only its people approve, and how to get in. Once decided, by whom, without buttons. Pure.
 */
export function renderApprovalDm(a: ApprovalDmView): Message {
  const what = a.target.join(' ');
  const lines = [
    `${a.state === 'pending' ? ':bell: *Approval needed*' : 'Approval request'} for ${whereWords(a.where)}, playbook ${boldName(a.playbookTitle, 150)}${a.link ? ` (<${a.link}|see the request>)` : ''}.`,
    ...askedLines(a),
    ...(a.state === 'pending'
      ? [
          'You are an approver: approve or deny it here or in the channel; the first decision counts.',
          a.joinFirst
            ? `:warning: Only people in the channel may approve or deny, and you are not in it: ${escapeMrkdwn(a.joinFirst)}, then press a button.`
            : a.addedOnClick
              ? 'You are not in the channel: pressing Approve and run or Deny adds you to it.'
              : null,
        ]
      : [decidedLine(a)]),
  ].filter((l): l is string => Boolean(l));
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(lines.join('\n'), LIMITS.sectionText) } },
  ];
  if (a.state === 'pending') blocks.push(approvalButtons(a));
  const state = a.state === 'pending' ? 'Approval needed' : a.state === 'approved' ? 'Approved' : 'Denied';
  return { text: mrkdwnClip(`${state}: ${what}`, 500), blocks };
}
