/**
 * Alerts that could not reach an incident as they should: monitoring gone quiet (a heartbeat), incidents from alerts
 * waiting for Slack's channel budget, or refused their channel. Pure.
 */
import type {
  ChannelBudgetView,
  HeartbeatView,
  NotDeclaredView,
  WaitingForChannelView,
} from '../incidents/alert-types.js';
import { severityLabel } from '../incidents/severity.js';
import { describeDuration } from '../runbook/duration.js';
import { RUNBOOK_TEXT_MAX } from '../runbook/text-limits.js';
import { at } from './alert-lines.js';
import { wholeLines } from './blocks.js';
import type { Message } from './incident-card.js';
import { boldName, clipEscaped, LIMITS, mrkdwnClip } from './text.js';

/** A heartbeat gone quiet, or back, in the incidents channel: what it means and what to do (its row's action). Pure. */
export function renderHeartbeat(v: HeartbeatView): Message {
  const name = `${boldName(v.rule.name, 60)} from ${boldName(v.source, 40)}`;
  const silent = describeDuration(Math.max(0, Math.round((v.now.getTime() - v.since.getTime()) / 1000) * 1000));
  const why = v.resolved
    ? `${name} resolved ${at(v.since)}: an alert that always fires has stopped firing (its source no longer hears from what raises it)`
    : `no ${name} for ${silent} (its heartbeat is ${describeDuration(v.rule.heartbeatMs)}; the last came ${at(v.since)})`;
  const text = v.quiet
    ? `:warning: *Monitoring may be down:* ${why}. Alerts may not be reaching anyone until it is back.\n*Runbook action:* ${mrkdwnClip(v.rule.action, RUNBOOK_TEXT_MAX.alertAction)}`
    : `:white_check_mark: ${name} is back, after ${silent} without it (from ${at(v.since)}): alerts reach the bot again. Whatever fired meanwhile is sent again by its source while it still fires.`;
  return {
    text: v.quiet
      ? v.resolved
        ? `Monitoring may be down: ${v.rule.name} from ${v.source} resolved.`
        : `Monitoring may be down: no ${v.rule.name} from ${v.source} for ${silent}.`
      : `${v.rule.name} from ${v.source} is back.`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clipEscaped(text, LIMITS.sectionText) } }],
  };
}

/**
 * In the incidents channel: incidents from alerts wait for Slack's channel budget, with how many and when the next
 * comes; nothing is dropped. Pure.
 */
export function renderChannelBudget(v: ChannelBudgetView): Message {
  const next = describeDuration(Math.max(1, Math.ceil(v.nextInMs / 1000)) * 1000);
  const text = `:hourglass_flowing_sand: *Incidents from alerts are waiting:* ${mrkdwnClip(v.limit, 200)}, and they were all used just now. Incidents from alerts wait their turn to be declared: each is declared, and its on-call paged, as channels come free (the next in about ${next}). No alert is dropped; \`/incident alerts\` lists what fires.`;
  return {
    text: `Incidents from alerts wait for Slack's limit on new channels; the next in about ${next}.`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

/**
 * A critical alert whose incident waits for Slack's channel budget, sent to the people its declaration will page, at
 * once: what fired, and that their page (with the incident's channel) follows as soon as a channel is free. Pure.
 */
export function renderWaitingForChannel(v: WaitingForChannelView): Message {
  const next = describeDuration(Math.max(1, Math.ceil(v.nextInMs / 1000)) * 1000);
  const what = v.title === null ? 'A security alert' : `${boldName(v.title, 200)}`;
  const head = `:rotating_light: *You are on call:* a critical alert fired (${mrkdwnClip(v.source, 40)}, ${severityLabel(v.severity)}). Its incident waits for Slack's limit on new channels (the next in about ${next}), so you are told now rather than when it opens.`;
  const todo =
    'Your page, with the incident channel and *Acknowledge*, follows as soon as its channel is open. Meanwhile follow the runbook; `/incident alerts` lists what fires.';
  return {
    text: `On call: a critical alert fired (${v.source}, ${severityLabel(v.severity)})${v.title === null ? '' : `: ${v.title}`}; its incident channel follows shortly`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: wholeLines([head, what, todo]) } }],
  };
}

/**
 * A critical alert whose incident Slack would not let the bot open (its channel refused): in the incidents channel and,
 * as `dm`, to the people its declaration would have paged. What fired, what Slack said, and what to do meanwhile.
 * Pure.
 */
export function renderNotDeclared(v: NotDeclaredView, dm: boolean): Message {
  const what = v.title === null ? 'A security alert' : `${boldName(v.title, 200)}`;
  const head = `:rotating_light: ${dm ? 'You would be paged: a' : 'A'} critical alert fired (${mrkdwnClip(v.source, 40)}, ${severityLabel(v.severity)}) and its incident *could not be opened*: Slack answered \`${mrkdwnClip(v.slackError, 60)}\` when the bot made its channel.`;
  const todo = `The bot keeps trying, and pages on-call as soon as the incident is open. Meanwhile follow the runbook by hand${dm ? '' : ' (page on-call yourself)'}, and have a Slack admin let the app create channels (its \`channels:manage\` scope, the workspace's channel-creation policy).`;
  return {
    text: `${dm ? 'Paged by hand: ' : ''}a critical alert's incident could not be opened (Slack: ${v.slackError})${v.title === null ? '' : `: ${v.title}`}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: wholeLines([head, what, todo]) } }],
  };
}
