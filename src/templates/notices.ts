import type { KnownBlock } from '@slack/types';
import type { AlertCardView } from '../incidents/alert-types.js';
import type { PrivateWhy } from '../incidents/declaration.service.js';
import type {
  AnsweredPage,
  DeclarationReport,
  DeclareProblem,
  IncidentNotice,
  PageMessage,
  StillFiring,
} from '../incidents/ports.js';
import { type SeverityDefs, severityLabel, severityWithResponse } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { describeDuration } from '../runbook/duration.js';
import { RUNBOOK_TEXT_MAX } from '../runbook/text-limits.js';
import { pageAlerts } from './alert-page.js';
import { alertsStillFiring } from './alert-resolved.js';
import { climbHeldWords } from './climb-held.js';
import { flaggedLead, pageTemplate, renderStatusUpdate } from './communication.js';
import { ACTION, BLOCK } from './ids.js';
import { type Message, span } from './incident-card.js';
import { neverReachedWho, unreachableWho } from './never-reached.js';
import { escalateRef } from './payloads.js';
import { renderMadePublicNotice } from './private-incidents.js';
import {
  boldName,
  channelLink,
  codeBlock,
  humanDuration,
  LIMITS,
  mention,
  mrkdwnClip,
  slackAgo,
  slackDate,
  truncate,
  utcStamp,
} from './text.js';

const simple = (text: string): Message => ({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });

/** What the incident channel is told when something changes; response times from the runbook's `severities`. Pure. */
export function renderNotice(i: Incident, n: IncidentNotice, severities: SeverityDefs): Message {
  switch (n.kind) {
    case 'severity_changed': {
      const direction = n.to < n.from ? ':arrow_up: raised' : ':arrow_down: lowered';
      return simple(
        `Severity ${direction} from *${severityLabel(n.from)}* to *${severityWithResponse(n.to, severities)}* by ${mention(n.actorId)}.`,
      );
    }
    case 'acknowledged':
      return simple(
        n.previousCommanderId && n.previousCommanderId !== n.actorId
          ? `:raising_hand: ${mention(n.actorId)} took command from ${mention(n.previousCommanderId)}.`
          : `:raising_hand: ${mention(n.actorId)} acknowledged the incident and is now commander${
              i.acknowledgedAt ? ` (time to acknowledge: ${humanDuration(i.createdAt, i.acknowledgedAt)})` : ''
            }.`,
      );
    case 'command_taken':
      return simple(`:raising_hand: ${mention(n.actorId)} took command from ${mention(n.previousCommanderId)}.`);
    case 'command_handed':
      return simple(
        n.toId === n.actorId
          ? `:raising_hand: ${mention(n.actorId)} took command${n.previousCommanderId ? ` from ${mention(n.previousCommanderId)}` : ''}.`
          : `:raising_hand: ${mention(n.actorId)} handed command to ${mention(n.toId)}${n.previousCommanderId ? ` (from ${mention(n.previousCommanderId)})` : ''}. ${mention(n.toId)} is the commander now.`,
      );
    case 'status_update':
      return renderStatusUpdate(i, n.update, n.authorId);
    case 'mitigated':
      return simple(
        `:large_yellow_circle: ${mention(n.actorId)} marked the incident *mitigated*${n.how ? `: ${mrkdwnClip(n.how, 300)}` : ''}. Next: fix the root cause, then resolve.`,
      );
    case 'resolved': {
      // Resolved by a status update: the update as posted, then the resolution (one message, one notice), its summary
      // not said again where the update's CURRENT STATUS it was taken from shows above it.
      const resolved = renderResolved(i, n.actorId, n.update ? null : n.summary, n.stillFiring);
      if (!n.update) return resolved;
      const update = renderStatusUpdate(i, n.update, n.actorId);
      return {
        text: truncate(`${resolved.text}\n\n${update.text}`, LIMITS.messageText),
        blocks: [...update.blocks, { type: 'divider' }, ...resolved.blocks],
      };
    }
    case 'reopened':
      return simple(
        `:repeat: *Incident #${i.number} reopened* by ${mention(n.actorId)}${n.why ? `: ${mrkdwnClip(n.why, 300)}` : ''}. It is *Investigating* again${i.channelId ? ` in ${channelLink(i.channelId)}` : ''}; its escalation timers count from now. \`/incident update\` says where it stands, \`/incident resolve\` closes it again.`,
      );
    case 'renamed':
      return simple(
        `:pencil2: ${mention(n.actorId)} renamed incident #${i.number}${i.channelId ? ` (${channelLink(i.channelId)})` : ''} from ${boldName(n.from, 200)} to ${boldName(i.title, 200)}.`,
      );
    case 'flag_set':
      return simple(
        n.flag === 'customer_impact'
          ? `:warning: ${mention(n.actorId)} flagged *customer impact*${n.what ? `: ${mrkdwnClip(n.what, 300)}` : ''}.`
          : `:rotating_light: ${mention(n.actorId)} flagged a *data-loss risk*${n.what ? `: ${mrkdwnClip(n.what, 300)}` : ''}.`,
      );
    case 'paged': {
      const who = n.userIds.length ? n.userIds.map(mention).join(', ') : 'nobody could be reached';
      // Each with Slack's answer and what it means (user_not_found: no such Slack user …), to fix the contacts by.
      const unreachable = unreachableWho(
        n.unreachable,
        n.unreachableErrors,
        (a) => ` (Slack answered ${a})`,
        n.byName === true,
      );
      // Reached by their DM (paged), but Slack would not add them to the channel: said apart, never as unreachable.
      const notInvited = n.notInvited?.length
        ? `:information_source: Slack would not add ${n.notInvited.map(mention).join(', ')} to this channel (the page reached them by direct message): invite them by hand.`
        : null;
      // A person paged by name: them, once; or that Slack could not reach them.
      if (n.byName) {
        const head = n.userIds.length
          ? `:pager: Paged ${who} by name because ${why(n)}.`
          : `:warning: Could not page ${boldName(n.roleName, 100)} by name: Slack could not reach ${unreachable || 'them'}. Reach them another way.`;
        return simple(notInvited ? `${head}\n${notInvited}` : head);
      }
      const others = n.userIds.filter((u) => u !== n.declarer);
      const already = n.alreadyPaged?.length ? n.alreadyPaged.map(mention).join(', ') : null;
      // Slack could reach none of those it tried: the role was not paged by it, which the line says (not "Paged").
      const reachedNobody = n.userIds.length === 0 && n.unreachable.length > 0;
      const lines = [
        already && n.userIds.length === 0 && n.unreachable.length === 0
          ? `:pager: Nobody new to page for ${boldName(n.roleName, 100)} (${why(n)}): ${already} ${n.alreadyPaged!.length === 1 ? 'was' : 'were'} paged for this incident already and ${n.alreadyPaged!.length === 1 ? 'is' : 'are'} not paged again.`
          : reachedNobody
            ? `:warning: Could not page ${boldName(n.roleName, 100)} (${why(n)}): nobody of it was reached.${already ? ` Already paged for this incident, not paged again: ${already}.` : ''}`
            : already
              ? `:pager: Paged ${boldName(n.roleName, 100)} (${who}) because ${why(n)}. Already paged for this incident, not paged again: ${already}.`
              : n.declarer
                ? `:pager: ${mention(n.declarer)} declared this and is on call for ${boldName(n.roleName, 100)}, so was not sent a page${others.length ? `; paged ${others.map(mention).join(', ')} because ${why(n)}` : ''}. Acknowledge on the card to take command.`
                : `:pager: Paged ${boldName(n.roleName, 100)} (${who}) because ${why(n)}.`,
      ];
      if (n.unreachable.length) {
        lines.push(
          `:warning: Could not reach ${unreachable}: check the contacts of this role in the runbook file${reachedNobody ? `, then page it again with \`/incident escalate ${mrkdwnClip(n.roleName, 100)}\`` : ''}.`,
        );
      }
      if (n.missed?.userIds.length) {
        const { people, shared } = neverReachedWho(n.missed, (e) => ` (Slack answered: ${mrkdwnClip(e, 200)})`);
        lines.push(
          `:warning: Never reached: ${people}${shared}. Slack refused the direct message try after try for about ten minutes, so the bot stopped trying: call them or reach them another way.`,
        );
      }
      if (notInvited) lines.push(notInvited);
      return simple(lines.join('\n'));
    }
    case 'page_held': {
      const names = n.roles.map((r) => boldName(r.roleName, 100));
      const latest = Math.max(...n.roles.map((r) => r.pagedAt.getTime()));
      const escalate = n.roles.map((r) => `\`/incident escalate ${r.role}\``).join(', ');
      return simple(
        `:information_source: Not paged again because ${mrkdwnClip(n.reason, 300)}: ${names.join(' and ')}, paged <!date^${Math.floor(latest / 1000)}^{time}|moments ago> for this incident (that page is still reaching them). To page ${n.roles.length === 1 ? 'them' : 'one'} again now: ${escalate}.`,
      );
    }
    case 'climb_held': {
      const held = n.roles.map((r) => ({ name: boldName(r.roleName, 100), when: r.when }));
      const escalate = n.roles.map((r) => `\`/incident escalate ${r.role}\``).join(', ');
      return simple(
        `:information_source: Nobody acknowledged: ${boldName(n.roleName, 100)} was paged again, and nobody further up. The runbook's contact order pages ${climbHeldWords(held)} to this incident. To page ${n.roles.length === 1 ? 'them' : 'one of them'} now: ${escalate}.`,
      );
    }
    case 'page_skipped':
      return simple(
        `:warning: Would have paged ${boldName(n.roleName, 100)} because ${why(n)}, but nobody is configured for that role. Add contacts under \`escalation.roles\` in the runbook file.`,
      );
    case 'made_public':
      return renderMadePublicNotice(n.actorId, n.announced);
    case 'runbook_action':
      return simple(
        `:clipboard: The runbook has no playbook for this. Its Alert Thresholds say, for ${boldName(n.rule.name, 100)} (${mrkdwnClip(`${n.rule.metric} ${n.rule.threshold}${n.rule.duration ? ` for ${n.rule.duration}` : ''}`, 200)}): ${boldName(n.rule.action, RUNBOOK_TEXT_MAX.alertAction)}.`,
      );
    case 'paging_stopped':
      // Said in the incident's channel and copied to the incidents channel: it names the incident.
      return simple(
        `:no_bell: Paging stopped after ${n.rounds} rounds: nobody acknowledged *incident #${i.number}* (${severityLabel(i.severity)}: ${mrkdwnClip(i.title, 150)}${i.channelId ? `, ${channelLink(i.channelId)}` : ''}) in ${describeDuration(n.afterMs)}. The bot pages nobody more for it by itself. Page someone by name with \`/incident page @person\`, or a role with \`/incident escalate <role>\`; whoever takes it, acknowledge on the card.`,
      );
    case 'reminder':
      return simple(
        n.public
          ? `:alarm_clock: ${n.commanderId ? mention(n.commanderId) : 'Commander'}: the status page promised the next update by ${slackDate(n.nextUpdateAt, utcStamp(n.nextUpdateAt))}, and still says so (the updates since were not published). Publish one with \`/incident update\` (tick Publish to status page).`
          : `:alarm_clock: ${n.commanderId ? mention(n.commanderId) : 'Commander'}: the next status update was due ${slackDate(n.nextUpdateAt, utcStamp(n.nextUpdateAt))}. Post one with \`/incident update\`.`,
      );
    case 'recovery_time': {
      const who = n.commanderId ? mention(n.commanderId) : 'Commander';
      const title = boldName(n.playbookTitle, 100);
      const due = new Date(i.createdAt.getTime() + n.maxMs);
      // When it was declared as Slack counts it for the reader: right however late the reminder came (a procedure
      // attached late, the bot down over the bound) and however long after it is read.
      const declared = `the incident was declared ${slackAgo(i.createdAt, utcStamp(i.createdAt))}`;
      return simple(
        n.bound === 'lower'
          ? `:hourglass_flowing_sand: ${who}: ${title} is past the lower bound of its RTO (${span(n.minMs, n.maxMs)}): ${declared}, and the RTO is due ${slackDate(due, utcStamp(due))}. If recovery will take longer, say so in a status update (\`/incident update\`).`
          : `:rotating_light: ${who}: ${title} is past its RTO (${span(n.minMs, n.maxMs)}): ${declared}. Give stakeholders a new estimate (\`/incident update\`), and page more help if you need it (\`/incident escalate\`).`,
      );
    }
    case 'page_failed':
      return simple(pageFailedText(n));
    case 'notify_failed': {
      const who = n.userId ? ` (${mention(n.userId)})` : '';
      const what = n.action === 'notify' ? `by ${n.method}` : `${n.method} ${n.action}`;
      const head = n.attempts
        ? `:warning: Could not reach ${boldName(n.roleName, 100)}${who} ${what} after ${n.attempts} attempt${n.attempts === 1 ? '' : 's'}`
        : `:warning: Could not page ${boldName(n.roleName, 100)}${who} ${what}`;
      return simple(`${head}: ${mrkdwnClip(n.detail, 500)}. The other methods go on.`);
    }
    case 'pagerduty_acknowledged': {
      const who = n.userId ? `${mention(n.userId)} (${mrkdwnClip(n.name, 80)})` : mrkdwnClip(n.name, 80);
      const tail = n.commander
        ? ' and is now commander'
        : n.userId
          ? ''
          : ': nobody under people: in the runbook file has their email, so nobody here became commander';
      return simple(
        `:pager: ${who} acknowledged the page of ${boldName(n.roleName, 100)} in PagerDuty${tail}. Its remaining notifications are stopped.`,
      );
    }
    case 'page_acknowledged':
      return simple(
        `:pager: ${mention(n.actorId)} acknowledged ${n.roleNames.length ? `the page of ${roleList(n.roleNames)}${n.byName ? ' and their page by name' : ''}` : 'their page by name'}: its remaining notifications are stopped.`,
      );
    case 'pagerduty_resolved':
      return simple(
        `:pager: ${mrkdwnClip(n.name, 80)} resolved the PagerDuty incident of ${boldName(n.roleName, 100)}. The incident here stays open: resolve it with \`/incident resolve\` when it is over.`,
      );
  }
}

/**
 * What failed when a paging job was given up, for whom, Slack's last answer and what to do: the channel's notice, and
 * the body of the commander's direct message. Pure.
 */
function pageFailedText(n: Extract<IncidentNotice, { kind: 'page_failed' }>): string {
  const who = n.commanderId ? `${mention(n.commanderId)}: ` : '';
  const answered = (error: string | null) => (error ? ` (Slack answered: ${mrkdwnClip(error, 200)})` : '');
  const lines: string[] = [];
  if (n.roles.length) {
    const one = n.roles.length === 1;
    const roles = n.roles.map((r) => `${boldName(r.roleName, 100)}${answered(r.error)}`).join(', ');
    const escalate = one ? mrkdwnClip(n.roles[0]!.roleName, 100) : '<role>';
    lines.push(
      `:warning: Page failed: ${roles} ${one ? 'was' : 'were'} not paged. Slack refused the direct messages try after try for about ten minutes, so the bot stopped trying. ${who}page ${one ? 'it' : 'them'} again with \`/incident escalate ${escalate}\`, or call ${one ? 'its' : 'their'} people.`,
    );
  }
  // Pages that went out (their roles count as paged) to some of their people only.
  const missed = n.missed ?? [];
  if (missed.length) {
    const people = missed.flatMap((m) => m.userIds);
    const one = people.length === 1;
    const of = missed
      .map((m) => {
        const { people, shared } = neverReachedWho(m, answered);
        return `${people} of ${boldName(m.roleName, 100)}${shared}`;
      })
      .join('; ');
    lines.push(
      `:warning: Never reached: ${of}. Slack refused ${one ? 'that direct message' : 'those direct messages'} try after try for about ten minutes, so the bot stopped trying; the role's other people were paged. ${who}call ${one ? 'them' : 'each of them'} or reach them another way.`,
    );
  }
  // People Slack said cannot be messaged at all (user_not_found, cannot_dm_bot …): each with its answer and what it
  // means, so that they are reached another way and the runbook's contacts fixed.
  const unreachable = n.unreachable ?? [];
  if (unreachable.length) {
    const one = unreachable.flatMap((u) => u.userIds).length === 1;
    const of = unreachable
      .map((u) =>
        u.byName
          ? `${unreachableWho(u.userIds, u.errors, (a) => ` (Slack answered ${a})`, true)} paged by name`
          : `${unreachableWho(u.userIds, u.errors, (a) => ` (Slack answered ${a})`)} of ${boldName(u.roleName, 100)}${u.reachedNobody ? ': nobody of it was reached' : ''}`,
      )
      .join('; ');
    lines.push(
      `:warning: Could not reach: ${of}. Slack says ${one ? 'that person' : 'those people'} cannot be messaged at all, so the bot did not page them. ${who}call ${one ? 'them' : 'each of them'} or reach them another way.`,
    );
  }
  return lines.join('\n');
}

/**
 * The commander's direct message when a page of their incident failed (see pageFailedText), naming the incident and
 * its channel. Pure.
 */
export function renderPageFailedDm(i: Incident, n: Extract<IncidentNotice, { kind: 'page_failed' }>): Message {
  const where = `*Incident #${i.number}* (${mrkdwnClip(i.title, 150)}${i.channelId ? `, ${channelLink(i.channelId)}` : ''})`;
  return simple(`${where}\n${pageFailedText({ ...n, commanderId: null })}`);
}

/**
 * A notice posted late: the process that made the change died before posting it, and another posts it now. A line
 * under it says so, and when the change was made (as Slack shows it to each reader, the card's way), so that nobody
 * reading it takes it for news; its text (what notifications show) says so too. Pure.
 */
export function postedLate(msg: Message, madeAt: Date): Message {
  const when = slackDate(madeAt, utcStamp(madeAt), '{date_short_pretty} {time} ({ago})');
  const line = `:hourglass: Posted late: the bot restarted before posting this (the change was made ${when}).`;
  const tail = ` (posted late: the change was made ${utcStamp(madeAt)})`;
  return {
    text: `${truncate(msg.text, LIMITS.messageText - tail.length)}${tail}`,
    blocks: [
      ...msg.blocks.slice(0, LIMITS.blocksPerMessage - 1),
      { type: 'context', elements: [{ type: 'mrkdwn', text: line }] },
    ],
  };
}

/** `*Senior DevOps Engineer*` or `*A* and *B*`. */
export const roleList = (names: readonly string[]) =>
  names.map((n) => `${boldName(n, 100)}`).join(' and ') || 'their role';

/** How a person's own acknowledged pages were sent: `as *CTO*`, `by name`, `as *CTO* and your page by name`. Pure. */
export const pagesAs = (p: { roleNames: readonly string[]; byName?: boolean }) =>
  [p.roleNames.length ? `as ${roleList(p.roleNames)}` : null, p.byName ? 'by name' : null]
    .filter(Boolean)
    .join(' and your page ') || `as ${roleList([])}`;

/** Why a role was paged: the rule's reason, or the person who escalated by hand. */
const why = (p: { reason: string; by?: string }) => (p.by ? `${mention(p.by)} escalated by hand` : p.reason);

/**
 * The page a contact receives by direct message: the severity with the runbook's response time, what fired (an
 * incident opened from or joined by monitoring alerts: `alerts`), the communication template, a link, Acknowledge.
 */
export function renderPage(
  i: Incident,
  page: PageMessage,
  severities: SeverityDefs,
  channelLinkUrl?: string,
  alerts?: AlertCardView,
  /** The zone the template gives times in (TIME_ZONE). */
  timeZone = 'UTC',
): Message {
  // An incident opened from (or joined by) monitoring alerts: what fired, before the template, which is empty then.
  const fired = alerts ? pageAlerts(alerts) : null;
  const severity = severityWithResponse(i.severity, severities);
  const template = pageTemplate(i, timeZone);
  const where = i.channelId ? channelLink(i.channelId) : 'the incident channel';
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:pager: You are paged ${page.byName ? 'by name' : `as ${boldName(page.roleName, 100)}`} because ${why(page)}${flaggedLead(i, page.flag, true)}. Join ${where}.\n*${severity}*`,
      },
    },
    ...(fired ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: fired.mrkdwn } }] : []),
    { type: 'section', text: { type: 'mrkdwn', text: codeBlock(template, LIMITS.sectionText - 4) } },
    {
      type: 'actions',
      block_id: `${BLOCK.pageActions}:${i.id}`,
      elements: [acknowledgeButton(i), ...escalateButton(i, page), ...openChannelButton(channelLinkUrl)],
    },
  ];
  // The notification's text (a phone's lock screen): what was flagged, or what fired, comes first.
  const flagged = page.flag && flaggedLead(i, page.flag) ? `Because ${page.reason}${flaggedLead(i, page.flag)}. ` : '';
  const lead = `${flagged}${fired ? `${fired.short}. ` : ''}`;
  return {
    text: mrkdwnClip(`Paged (${page.byName ? 'by name' : page.roleName}; ${severity}): ${lead}${template}`, 3000),
    blocks,
  };
}

/**
 * A page's Escalate to …: the paged person who cannot take it pages the next role at once, as the card's Escalate now
 * (its value the same: the incident and that role, so a role paged meanwhile is not paged twice). None when there is
 * no next role (see PageMessage.escalateTo).
 */
const escalateButton = (i: Incident, page: PageMessage) =>
  page.escalateTo
    ? [
        {
          type: 'button' as const,
          action_id: ACTION.escalate,
          text: {
            type: 'plain_text' as const,
            text: truncate(`Escalate to ${page.escalateTo.roleName}`, LIMITS.buttonLabel),
          },
          value: escalateRef.encode({ incidentId: i.id, role: page.escalateTo.role }),
        },
      ]
    : [];

/** A page's Acknowledge (its value the incident). */
const acknowledgeButton = (i: Incident) => ({
  type: 'button' as const,
  action_id: ACTION.acknowledge,
  text: { type: 'plain_text' as const, text: 'Acknowledge' },
  style: 'primary' as const,
  value: String(i.id),
});

/** The link to the incident channel (a page's, a new commander's), when there is one. */
export const openChannelButton = (url: string | undefined) =>
  url
    ? [
        {
          type: 'button' as const,
          action_id: ACTION.openChannel,
          text: { type: 'plain_text' as const, text: 'Open the incident channel' },
          url,
        },
      ]
    : [];

/**
 * A page's direct message once answered (it replaces the page): for which incident and role the person was paged,
 * who acknowledged it or resolved the incident and when ("you" when it was them; a resolution names who had
 * acknowledged the incident before, if anyone), and the link to the channel; no
 * Acknowledge, so nobody acknowledges a page already answered. An incident resolved before anyone acknowledged it and
 * then reopened: who reopened it and when, with Acknowledge again.
 */
export function renderAnsweredPage(
  i: Incident,
  a: AnsweredPage,
  severities: SeverityDefs,
  channelLinkUrl?: string,
): Message {
  const severity = severityWithResponse(i.severity, severities);
  const where = i.channelId ? ` (${channelLink(i.channelId)})` : '';
  // By whom, as this DM's reader reads it: "you" when it was them.
  const byWhom = (u: string | null) => (u === null ? '' : u === a.userId ? ' by you' : ` by ${mention(u)}`);
  const who = byWhom(a.by);
  const answer =
    a.state === 'resolved'
      ? // Acknowledged before it was resolved: who acknowledged it and when, not "nothing to acknowledge".
        i.acknowledgedAt && i.acknowledgedAt <= a.at
        ? `:white_check_mark: The incident was acknowledged${byWhom(i.acknowledgedBy)} ${slackDate(i.acknowledgedAt)}, then *resolved*${who} ${slackDate(a.at)}.`
        : `:white_check_mark: The incident was *resolved*${who} ${slackDate(a.at)}: nothing to acknowledge.`
      : a.state === 'reopened'
        ? `:repeat: The incident was *reopened*${who} ${slackDate(a.at)}, and nobody has acknowledged it: this page is open again.`
        : `:eyes: This page was *acknowledged*${who} ${slackDate(a.at)}.`;
  const paged = `:pager: You were paged ${a.byName ? 'by name' : `as ${boldName(a.roleName, 100)}`} for incident #${i.number}${where}: ${mrkdwnClip(i.title, 200)}\n*${severity}*`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: paged } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: answer }] },
  ];
  // Reopened and not acknowledged: Acknowledge again, as the page had it.
  const buttons = [...(a.state === 'reopened' ? [acknowledgeButton(i)] : []), ...openChannelButton(channelLinkUrl)];
  if (buttons.length) blocks.push({ type: 'actions', block_id: `${BLOCK.pageActions}:${i.id}`, elements: buttons });
  return {
    text: mrkdwnClip(`Paged (${a.byName ? 'by name' : a.roleName}) for incident #${i.number}: ${a.state}`, 3000),
    blocks,
  };
}

/** `summary` null: shown already in the same message (a status update's CURRENT STATUS, which resolved it). */
export function renderResolved(
  i: Incident,
  actorId: string,
  summary: string | null,
  stillFiring?: StillFiring,
): Message {
  const resolvedAt = i.resolvedAt ?? new Date();
  const tta = i.acknowledgedAt ? humanDuration(i.createdAt, i.acknowledgedAt) : 'never acknowledged';
  const ttr = humanDuration(i.createdAt, resolvedAt);
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:white_check_mark: *Incident #${i.number} resolved* by ${mention(actorId)}.${summary === null ? '' : `\n*Summary:* ${mrkdwnClip(summary, 2500)}`}`,
      },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Time to acknowledge*\n${tta}` },
        { type: 'mrkdwn', text: `*Time to resolve*\n${ttr}` },
      ],
    },
    ...(stillFiring && stillFiring.count > 0 ? [stillFiringBlock(stillFiring, i.resolvedAt ?? new Date())] : []),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'Phase: *Post-mortem* — document the timeline, find the root cause, create action items, update the runbook if needed. `/incident timeline` lists what happened.',
        },
      ],
    },
  ];
  return {
    text: `Incident #${i.number} resolved${summary === null ? '' : `: ${mrkdwnClip(summary, 300)}`} (time to acknowledge: ${tta}; time to resolve: ${ttr})`,
    blocks,
  };
}

/**
 * Resolved while monitoring still reports alerts of the incident firing: said, with what to do, as a person resolving
 * with alerts firing would want to be told (the trouble may not be over).
 */
function stillFiringBlock(f: StillFiring, at: Date): KnownBlock {
  const from = f.sources.length ? ` (from ${f.sources.map((s) => mrkdwnClip(s, 40)).join(', ')})` : '';
  const [they, themselves, them, its] =
    f.count === 1 ? ['it', 'itself', 'it', 'its'] : ['they', 'themselves', 'them', 'their'];
  const quiet = f.lastHeard ? at.getTime() - f.lastHeard.getTime() : 0;
  // Heard of long ago: its source may send no resolutions (Alertmanager's send_resolved: false), so it may be over.
  const seen =
    quiet >= STILL_FIRING_QUIET_MS
      ? `last reported firing ${describeDuration(Math.round(quiet / 60_000) * 60_000)} before: ${f.count === 1 ? 'its source' : 'their sources'} may not send resolutions, check ${them} there`
      : 'monitoring still sees the trouble';
  const again = f.opensAgain
    ? ` A source that gives no start time cannot tell a report of the same firing from a new one: ${its} next report while ${they} ${f.count === 1 ? 'fires' : 'fire'} opens a new incident and pages again, so resolve or silence ${them} at the source.`
    : '';
  return {
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: `:warning: *${alertsStillFiring(f.count)}*${from}: ${seen}. If it is not over, reopen the incident (\`/incident reopen\`); if it is, ${they} should resolve by ${themselves}: silence ${them} at the source if not.${again} The card shows each alert as it changes.`,
    },
  };
}

/** Alerts last reported firing this long before a resolution may be over (their source may not send resolutions). */
const STILL_FIRING_QUIET_MS = 10 * 60_000;

/** The incidents channel hears of a new incident, with a link to its channel. */
export function renderAnnouncement(i: Incident, severities: SeverityDefs, alertSources?: readonly string[]): Message {
  const where = i.channelId ? channelLink(i.channelId) : 'its channel';
  // Opened from alerts (by the bot, or by a person from a warning's notice): from which monitoring, as the card says.
  const from = alertSources?.length
    ? ` from ${alertSources
        .slice(0, 3)
        .map((s) => mrkdwnClip(s, 40))
        .join(', ')}${alertSources.length > 3 ? ', …' : ''} alerts`
    : '';
  const text = `:rotating_light: *${severityWithResponse(i.severity, severities)}* — incident #${i.number}: ${mrkdwnClip(i.title, 300)}\nDeclared by ${mention(i.reporterId)}${from}. Join ${where} to help.`;
  return simple(text);
}

/** What `/incident` commands do without the card's buttons, for a declarer whose card could not be posted. */
const WITHOUT_BUTTONS =
  '`/incident ack` to take command, `/incident update` for a status update, `/incident resolve` when it is over; `/incident status` shows you the card and `/incident help` lists every command';

const sentence = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);

/** In the thread of a message an incident was declared about (its Declare incident shortcut): where it is. */
export function renderDeclaredAboutMessage(i: Incident): string {
  return `:rotating_light: Incident #${i.number} (${severityLabel(i.severity)}) was declared about this message: ${i.channelId ? channelLink(i.channelId) : 'its channel'}. Join it to follow or help.`;
}

/**
 * The reply to a declaration taken for one the same person made a moment ago (the same title): no second incident.
 * When the severity asked for differs, it says how to change it, for that is likely why it was typed again.
 */
export function renderAlreadyDeclared(i: Incident, asked: Incident['severity']): string {
  const where = i.channelId ? ` in ${channelLink(i.channelId)}` : '';
  const first = `:information_source: You declared this a moment ago: incident #${i.number}${where}. No second incident was opened.`;
  if (asked === i.severity) return first;
  const there = i.channelId ? ` in ${channelLink(i.channelId)}` : ' in its channel';
  return `${first} It is ${severityLabel(i.severity)}; to make it ${severityLabel(asked)}, type \`/incident sev${asked}\`${there} (or use the card's severity select).`;
}

/**
 * The private reply to whoever declared it. A private incident says so (and why, when its title made it private: it
 * reads as a security incident, or held a secret). `problems` are the parts that did not happen in Slack: the card and the
 * announcement are each said with what to do; anything else is listed after "But".
 */
export function renderDeclaredReply(
  i: Incident,
  problems: readonly (string | DeclareProblem)[],
  privateWhy?: PrivateWhy,
): string {
  const where = i.channelId ? channelLink(i.channelId) : 'its channel';
  const of = (step: DeclareProblem['step']) =>
    problems.find((p): p is DeclareProblem => typeof p !== 'string' && p.step === step);
  const card = of('card');
  const announce = of('announce');
  const lines = card
    ? [
        `Incident #${i.number} (${severityLabel(i.severity)}) is open: ${where}, but its card could not be posted there, so it has no card and no buttons. ${sentence(card.reason)}`,
        `Work from ${where} with the commands meanwhile: ${WITHOUT_BUTTONS}.`,
      ]
    : [
        `Incident #${i.number} (${severityLabel(i.severity)}) is open: ${where}. The card there has the buttons; \`/incident help\` lists the commands.`,
      ];
  if (i.private) {
    // Declared without asking for it, a private incident surprises its declarer: nobody else hears of it.
    const why =
      privateWhy === 'security'
        ? ' because its title reads as a security incident'
        : privateWhy === 'secret'
          ? ' because its title held a secret (a key or token, shown as `***` wherever the bot shows the title)'
          : '';
    lines.push(
      `:lock: It is private${why}: announced nowhere, listed only to its people. \`/incident public\` in ${where} makes it public (it asks first).`,
    );
    if (privateWhy === 'secret') lines.push(':key: Rotate that secret: it was typed into Slack, so count it as seen.');
  }
  if (announce) {
    lines.push(
      `:warning: It was not announced in the incidents channel: ${sentence(announce.reason)} Until that is fixed, tell them yourself: post a link to ${where} there.`,
    );
  }
  const rest = problems.flatMap((p) => {
    if (typeof p === 'string') return [p];
    if (p.step === 'pin') return [`the card could not be pinned (${p.reason})`];
    if (p.step === 'link')
      return [
        'the card was posted without being linked to the incident yet (the database did not answer): it updates once the bot links it, when the database is back',
      ];
    return [];
  });
  if (rest.length) lines.push(`:warning: But ${rest.join('; ')}.`);
  return lines.join('\n');
}

/**
 * The answer to a declaration that made its incident whole (channel, timers) and then failed (its answer refused by
 * Slack, the database lost, anything unexpected): the incident exists, so the declarer is told which it is and where,
 * never that nothing was changed (they would declare it twice). `failed` says what failed, `ref` is in the log.
 */
export function renderDeclaredThenFailed(i: Incident, failed: string, ref: string): string {
  const where = i.channelId ? channelLink(i.channelId) : 'its channel';
  const card = i.cardTs ? 'the card there has the buttons' : `work from there with the commands: ${WITHOUT_BUTTONS}`;
  return `:warning: Incident #${i.number} (${severityLabel(i.severity)}) was declared: ${where} (${card}), but ${failed} (reference ${ref}). Do not declare it again; give the reference to whoever runs the bot.`;
}

/**
 * A direct message to the declarer of a declaration that was interrupted (the bot restarted or lost its database
 * half-way) and settled later by the bot.
 */
export function renderDeclarationReport(r: DeclarationReport, severities: SeverityDefs): string {
  const i = r.incident;
  if (r.kind === 'finished') {
    return `:information_source: The bot was interrupted (it restarted or lost its database) while declaring your incident ${boldName(i.title, 300)}; it has finished it now.\n${renderDeclaredReply(i, r.problems)}`;
  }
  const what = `${boldName(i.title, 300)} (${severityWithResponse(i.severity, severities)}), declared ${slackDate(i.createdAt)}`;
  const channel = !r.channel
    ? ''
    : r.channel.archived
      ? ` Its channel ${channelLink(r.channel.id)} is archived.`
      : ` Its channel ${channelLink(r.channel.id)} could not be archived: archive it by hand.`;
  return `:warning: Your incident ${what}, was interrupted before it was complete (the bot restarted or lost its database), so it was not kept: there is no incident #${i.number}.${channel} If it is still happening, declare it again (\`/incident sev${i.severity} ${mrkdwnClip(i.title, 150)}\`), and follow the runbook by hand meanwhile.`;
}
