import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { ApprovalDmView, ApprovalView, ApprovalWhere } from '../incidents/ports.js';
import { RUNBOOK_TEXT_MAX } from '../runbook/text-limits.js';
import { ACTION } from './ids.js';
import type { Message } from './incident-card.js';
import { approvalRef } from './payloads.js';
import { killedBy } from './run-killed.js';
import {
  boldName,
  channelLink,
  clipEscaped,
  escapeMrkdwn,
  LIMITS,
  mention,
  mentionContact,
  mrkdwnClip,
  renderPhrase,
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

/** Why a request nobody decided was closed, in words: it ran nothing. */
function closedLine(a: ApprovalView): string {
  const who = a.decidedBy ? mention(a.decidedBy) : 'someone';
  switch (a.closedWhy) {
    case 'step_skipped':
      return `:no_entry_sign: Not run: ${who} skipped the step${a.reason ? `: ${mrkdwnClip(a.reason, 500)}` : ''}.`;
    case 'step_done':
      return `:no_entry_sign: Not run: ${who} ticked the step done.`;
    case 'playbook_detached':
      return `:no_entry_sign: Not run: ${who} detached the playbook from the incident.`;
    case 'incident_resolved':
      return ':no_entry_sign: Not run: the incident was resolved.';
    default:
      return ':no_entry_sign: Not run: this request was closed.';
  }
}

/** How an approved run ended, once it has: its state, exit code, and a link to its output; or why it did not run. */
function outcomeLine(o: NonNullable<ApprovalView['outcome']>): string {
  if (o.state === 'not_run') return `:warning: It did not run: ${truncate(renderPhrase(o.why), 600)}`;
  const how = {
    succeeded: ':large_green_circle: It ran and succeeded',
    failed: ':red_circle: It ran and failed',
    timed_out: ':red_circle: It ran and timed out',
    not_found: ':red_circle: It could not run: the command was not found',
    stopped: ':octagonal_sign: It was stopped before it ended: the bot stopped while it ran, so check what it did',
    lost: ':grey_question: How it ended is not known: the bot stopped while it ran, so check what it did before running it again',
    running: ':hourglass_flowing_sand: It is running',
  }[o.state];
  const signal = killedBy(o.state, o.signal);
  if (signal)
    return `:red_circle: It ran and was killed by ${signal}, not by the bot${o.link ? `: <${o.link}|see its output>` : ''}.`;
  const code = o.exitCode === null ? '' : ` (exit code ${o.exitCode})`;
  return `${how}${code}${o.link ? `: <${o.link}|see its output>` : ''}.`;
}

/** What was decided, by whom (and why, for a denial); a request closed without a decision, why. */
function decidedLine(a: ApprovalView): string {
  if (a.state === 'closed') return closedLine(a);
  const added = a.addedToDecide
    ? ` (not in this channel before: the bot added them to it to ${a.state === 'approved' ? 'approve' : 'deny'})`
    : '';
  if (a.state === 'approved') {
    return a.outcome
      ? `:white_check_mark: Approved by ${mention(a.decidedBy)}${added}. ${outcomeLine(a.outcome)}`
      : `:white_check_mark: Approved by ${mention(a.decidedBy)}${added}; running it now.`;
  }
  const reason = a.reason ? `: ${mrkdwnClip(a.reason, 500)}` : '';
  // The person who asked, turning their own request down, withdrew it: nobody denied them.
  if (a.decidedBy === a.requestedBy)
    return `:leftwards_arrow_with_hook: Withdrawn by ${mention(a.decidedBy)} (who asked)${reason}.`;
  return `:no_entry: Denied by ${mention(a.decidedBy)}${added}${reason}.`;
}

/** Who may approve, as the request names them: never the person who asked (they may not approve their own). */
function approversLine(a: ApprovalView): string {
  const others = a.approvers.filter((c) => c !== a.requestedBy);
  return `It needs approval by a second person${others.length ? `: ${others.map(mentionContact).join(', ')}` : ''}.`;
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
  return `:lock: Not asked: ${shown}${more > 0 ? ` (and ${more} more)` : ''} — not in this private channel, so the bot told them nothing of it. To have one of them approve, add them here (\`/invite @name\`): they then see this request in the channel and can approve it.`;
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
      ? [approversLine(a), outsideLine(a.outside ?? []), notAskedLine(a.notAsked ?? [])]
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
  const state =
    a.state === 'pending'
      ? 'Approval needed'
      : a.state === 'approved'
        ? 'Approved'
        : a.state === 'closed'
          ? 'Not run'
          : a.decidedBy === a.requestedBy
            ? 'Withdrawn'
            : 'Denied';
  return { text: mrkdwnClip(`${state}: ${what}`, 500), blocks };
}
