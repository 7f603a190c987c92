import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { AlertCardView } from '../incidents/alert-types.js';
import type { EscalationView, FollowUpCardView, ObjectivesView, OnCallPeople } from '../incidents/ports.js';
import { recovery } from '../incidents/recovery-objectives.js';
import { summaryRepeats } from '../incidents/resolution-summary.js';
import { SEVERITIES, type SeverityDefs, severityLabel, severityWithResponse } from '../incidents/severity.js';
import { type Incident, PHASE_LABELS, STATUS_LABELS } from '../incidents/types.js';
import { describeDuration } from '../runbook/duration.js';
import { renderAlertSection } from './alert-section.js';
import { button } from './blocks.js';
import { pagedLine } from './card-paged-line.js';
import { ACTION, BLOCK } from './ids.js';
import { renderNotifiedLines } from './notified.js';
import { ackRef, escalateRef } from './payloads.js';
import { severityOption } from './severities.js';
import {
  boldName,
  clipEscaped,
  humanDuration,
  LIMITS,
  mention,
  mrkdwnClip,
  slackAgo,
  slackDate,
  truncate,
  utcStamp,
} from './text.js';

export interface Message {
  text: string;
  blocks: KnownBlock[];
}

const STATUS_EMOJI = {
  investigating: ':red_circle:',
  mitigated: ':large_yellow_circle:',
  resolved: ':white_check_mark:',
};

/** `#42 db down` as a header-safe string. */
export function incidentName(i: Pick<Incident, 'number' | 'title'>): string {
  return `#${i.number} ${i.title}`;
}

/** " from prom alerts": the monitoring whose alerts opened it, after who reported it; '' for one typed. */
const openedFrom = (alerts: AlertCardView | undefined) => {
  const sources = alerts?.openedFrom ?? alerts?.sources ?? [];
  return sources.length ? ` from ${sources.map((s) => mrkdwnClip(s, 40)).join(', ')} alerts` : '';
};

/**
 * The pinned card: everything a responder needs at a glance, and the buttons to act. Severity names and response
 * times come from the runbook (`severities`), as the escalation timers do; an incident opened from monitoring alerts
 * shows them (`alerts`). Pure.
 */
export function renderIncidentCard(
  i: Incident,
  now: Date,
  severities: SeverityDefs,
  escalation?: EscalationView,
  alerts?: AlertCardView,
  objectives?: ObjectivesView,
  followUp?: FollowUpCardView,
): Message {
  const fields = [
    `*Severity*\n${severityWithResponse(i.severity, severities)}`,
    `*Status*\n${STATUS_EMOJI[i.status]} ${STATUS_LABELS[i.status]}`,
    `*Phase*\n${PHASE_LABELS[i.phase]}`,
    `*Started*\n${slackDate(i.createdAt, utcStamp(i.createdAt), '{date_short_pretty} {time} ({ago})')}`,
    // Resolved with nobody in command: nobody, not "nobody yet".
    `*Commander*\n${i.commanderId || i.status !== 'resolved' ? mention(i.commanderId) : '_nobody_'}`,
    // Opened from alerts (or declared from a warning's notice): by whom, and from which monitoring.
    `*Reported by*\n${mention(i.reporterId)}${openedFrom(alerts)}`,
  ];
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(`${severityLabel(i.severity)} · ${incidentName(i)}`, LIMITS.headerText),
        emoji: true,
      },
    },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
  ];

  const facts: string[] = [];
  if (i.acknowledgedAt)
    facts.push(`Acknowledged after ${humanDuration(i.createdAt, i.acknowledgedAt)} by ${mention(i.acknowledgedBy)}`);
  if (i.reopenedAt)
    facts.push(
      `:repeat: Reopened ${slackDate(i.reopenedAt, utcStamp(i.reopenedAt))}${i.reopenedBy ? ` by ${mention(i.reopenedBy)}` : ''}`,
    );
  if (i.resolvedAt)
    facts.push(`Resolved after ${humanDuration(i.createdAt, i.resolvedAt)} by ${mention(i.resolvedBy)}`);
  if (i.private)
    facts.push(':lock: Private: listed only to its people, its title shown nowhere public (`/incident public`)');
  if (i.maintenance) facts.push(`:construction: Declared during ${boldName(i.maintenance, 100)}`);
  // What was said with a flag, kept while it is up (the page it caused says it too).
  const note = (text: string | null | undefined) => (text ? `: ${mrkdwnClip(text, 150)}` : '');
  if (i.customerImpact) facts.push(`:warning: Customer impact${note(i.customerImpactNote)}`);
  if (i.dataLossRisk) facts.push(`:rotating_light: Data-loss risk${note(i.dataLossNote)}`);
  // Past it (the commander's reminder shows the card again then): said overdue, not as if it were still to come.
  if (i.nextUpdateAt && i.status !== 'resolved')
    facts.push(
      i.nextUpdateAt <= now
        ? `:alarm_clock: Next update was due ${slackDate(i.nextUpdateAt, utcStamp(i.nextUpdateAt))}: overdue`
        : `Next update due ${slackDate(i.nextUpdateAt, utcStamp(i.nextUpdateAt))}`,
    );
  if (facts.length) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwnSafeJoin(facts) }] });
  // Until resolved, someone may page the next role: a mitigated incident's root cause is still to fix.
  const escalateTo = i.status !== 'resolved' ? (escalation?.escalateTo ?? null) : null;
  if (escalation && (escalation.paged.length || escalation.next || escalateTo)) {
    const { text: paged, notReached } = pagedLine(escalation);
    // A role with nobody to page is not said to be due: its timer pages nobody (the channel is told how to add them).
    // The roles paged with it, or by timers due with it, are said all the same, each marked when it has nobody.
    // Nobody acknowledged through every round: paging stopped, and the card says what to do (not just no Next).
    const stopped =
      escalation.stopped && i.status === 'investigating' && !i.acknowledgedAt
        ? `:no_bell: Paging stopped after ${escalation.stopped.rounds} rounds, nobody acknowledging: page someone with \`/incident page @person\` or \`/incident escalate <role>\``
        : null;
    const next = escalation.next ? nextLine(escalation.next) : null;
    // What the Escalate now button pages: it carries this role, so a click pages it or, if paged meanwhile, nobody.
    // The people are said once: when the next timer pages the same role, they are on its Next.
    const sameRole = escalateTo && escalation.next && escalateTo.roleName === escalation.next.roleName;
    const escalateNow = escalateTo
      ? `Escalate now: ${mrkdwnClip(escalateTo.roleName, 60)}${nobody(escalateTo.who) ? ' (no contacts)' : sameRole ? '' : whoLine(escalateTo.who)}`
      : i.status !== 'resolved' && escalation.paged.length
        ? // A role whose page reached nobody was not paged: said to have been tried, its line says how to page it again.
          `Everyone in the contact order has been ${notReached.length ? 'paged or tried' : 'paged'}`
        : null;
    // Within a block's 3000 characters, the paged part gives way first (many roles, each with people Slack could not
    // reach): what comes next and what to press are never the part cut off. Clipped without leaving a code span open.
    const rest = [stopped, next, escalateNow].filter(Boolean).join('  ·  ');
    const head = rest ? clipEscaped(paged, Math.max(1, LIMITS.sectionText - rest.length - 5)) : paged;
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncate([head, rest].filter(Boolean).join('  ·  '), LIMITS.sectionText) }],
    });
  }
  const notified = renderNotifiedLines(escalation?.notified);
  if (notified) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: notified }] });

  if (alerts) blocks.push(...renderAlertSection(alerts));
  if (objectives) blocks.push(renderObjectives(i, objectives, now));

  if (i.currentStatus || i.affected || i.currentImpact) {
    const lines = [
      i.affected ? `*Affected:* ${mrkdwnClip(i.affected, 500)}` : null,
      i.currentImpact ? `*Current impact:* ${mrkdwnClip(i.currentImpact, 800)}` : null,
      i.currentStatus ? `*Current status:* ${mrkdwnClip(i.currentStatus, 1500)}` : null,
    ].filter(Boolean);
    // Reopened since the last status update: what it said is from before (a "Mitigated" update's "errors falling" is
    // not the state of a reopened incident), and is said to be.
    const before =
      i.reopenedAt && i.status !== 'resolved' && (!i.lastUpdateAt || i.lastUpdateAt < i.reopenedAt)
        ? `_From the last status update${i.lastUpdateAt ? ` (${slackDate(i.lastUpdateAt, utcStamp(i.lastUpdateAt))})` : ''}, before the incident was reopened: post a new one._`
        : null;
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate([before, ...lines].filter(Boolean).join('\n'), LIMITS.sectionText) },
    });
  }
  // A summary taken from the current status (resolved by a status update) is not said twice.
  if (i.status === 'resolved' && i.resolutionSummary && !summaryRepeats(i.resolutionSummary, i.currentStatus)) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Resolution:* ${mrkdwnClip(i.resolutionSummary, LIMITS.sectionText - 20)}` },
    });
  }
  const afterwards = followUpLine(i, followUp);
  if (afterwards) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: afterwards }] });
  // Everyone in the contact order paged (the escalation read, with nobody left): no Escalate now to press for nothing.
  const nobodyLeft = escalation !== undefined && !escalation.escalateTo;
  if (i.status !== 'resolved') blocks.push(cardActions(i, severities, escalateTo?.role ?? null, nobodyLeft));
  else
    blocks.push({
      type: 'actions',
      block_id: `${BLOCK.postmortemActions}:${i.id}`,
      elements: [
        // Written already: the same form, with its answers, makes the next version.
        button(
          ACTION.writePostmortem,
          followUp?.postmortem ? 'Update post-mortem' : 'Write post-mortem',
          String(i.id),
          'primary',
        ),
        {
          ...button(ACTION.reopen, 'Reopen', String(i.id)),
          confirm: {
            title: { type: 'plain_text', text: 'Reopen the incident?' },
            text: {
              type: 'mrkdwn',
              text: `Incident #${i.number} goes back to *Investigating*, and its escalation timers count from now. To say why, type \`/incident reopen [why]\` instead.`,
            },
            confirm: { type: 'plain_text', text: 'Reopen' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
      ],
    });

  const text = `${severityLabel(i.severity)} incident #${i.number}: ${mrkdwnClip(i.title, 300)} — ${STATUS_LABELS[i.status]}`;
  return { text, blocks };
}

/**
 * The work after the incident, as the card says it: the post-mortem (once resolved: written, with its version, who and
 * when, or still to write) and the action items (open of all, when it has any). Null when there is nothing to say.
 */
function followUpLine(i: Incident, f: FollowUpCardView | undefined): string | null {
  if (!f) return null;
  const parts: string[] = [];
  if (i.status === 'resolved') {
    const pm = f.postmortem;
    parts.push(
      pm
        ? `:memo: Post-mortem version ${pm.version} written by ${mention(pm.writtenBy)} ${slackDate(pm.writtenAt, utcStamp(pm.writtenAt))} (the document is in this channel)`
        : ':memo: Post-mortem not written yet',
    );
  }
  const { open, total } = f.actionItems;
  if (total > 0)
    parts.push(
      open === 0
        ? `:white_check_mark: Action items: all ${total} done`
        : `:clipboard: Action items: ${open} open of ${total} (\`/incident actions\`)`,
    );
  return parts.length ? parts.join('  ·  ') : null;
}

/** People named at most on one escalation line; the rest are counted. */
const WHO_SHOWN = 3;

/** Known to have nobody to page (no contacts, nobody on call): unknown (not read) is not nobody. */
const nobody = (who: OnCallPeople | undefined) => who !== undefined && who.userIds.length === 0;

/** A role named beside the next one, marked when its page would reach nobody. */
const roleNamed = (r: { roleName: string; noContacts?: true }) =>
  `${mrkdwnClip(r.roleName, 60)}${r.noContacts ? ' (no contacts)' : ''}`;

/**
 * The card's "Next:": the role the next timer pages (again, when paged already, with who is on call), the roles it
 * pages with it, when, unless what; then the roles of the timers due with it, each with what stops it. A next role
 * with nobody to page, alone, is said to page nobody.
 */
function nextLine(n: NonNullable<EscalationView['next']>): string {
  const at = slackDate(n.dueAt, utcStamp(n.dueAt));
  const withIt = n.with ?? [];
  const also = n.also ?? [];
  if (nobody(n.who) && withIt.length === 0 && also.length === 0)
    return `Next: ${mrkdwnClip(n.roleName, 60)} ${at}, but it has no contacts: nobody will be paged`;
  const first = nobody(n.who)
    ? `${mrkdwnClip(n.roleName, 60)} (no contacts)`
    : `${mrkdwnClip(n.roleName, 60)}${n.again ? ' again' : ''}${whoLine(n.who)}`;
  const main = `Next: ${[first, ...withIt.map(roleNamed)].join(' and ')} ${at}${n.unless ? ` unless ${n.unless}` : ''}`;
  if (also.length === 0) return main;
  const rest = also.map((a) => `${a.roles.map(roleNamed).join(' and ')}${a.unless ? ` unless ${a.unless}` : ''}`);
  return `${main}; then too: ${rest.join(', and ')}`;
}

/**
 * ` (<@U1>, on call until <date>)`: whom a role would page now; empty when nobody is known. The end is that of the
 * first person's shift (the rotation's person on call): said right after them, so that a second layer's person or a
 * fixed contact after them is not said to be on call until then (` (<@U1>, on call until <date>; <@U2>)`).
 */
function whoLine(who: OnCallPeople | undefined): string {
  if (!who || who.userIds.length === 0) return '';
  // A user group is named, not mentioned: the card would ping all of it whenever it is posted.
  const names = who.userIds.slice(0, WHO_SHOWN).map((id) => (id.startsWith('S') ? `\`${id}\`` : mention(id)));
  const more = who.userIds.length > WHO_SHOWN ? ` +${who.userIds.length - WHO_SHOWN} more` : '';
  if (!who.until) return ` (${names.join(', ')}${more})`;
  const until = `, on call until ${slackDate(who.until, utcStamp(who.until))}`;
  const rest = names.slice(1);
  return ` (${names[0]}${until}${rest.length ? `; ${rest.join(', ')}` : ''}${more})`;
}

/**
 * Where a recovery stands against its RTO at `end` (now, or when service was restored: see recoveredAt), counted from the declaration: past
 * the RTO, past its lower bound, or within it; and when the RTO is due. The card, `/incident list` and the post-mortem
 * say it from this.
 */
export function rtoStanding(
  createdAt: Date,
  end: Date,
  rto: { minMs: number; maxMs: number },
): { state: 'past' | 'past_lower' | 'within'; due: Date } {
  const elapsed = end.getTime() - createdAt.getTime();
  const state = elapsed > rto.maxMs ? 'past' : elapsed > rto.minMs ? 'past_lower' : 'within';
  return { state, due: new Date(createdAt.getTime() + rto.maxMs) };
}

/** `2 hours` or `2-4 hours`: an objective as the runbook writes it. */
export function span(minMs: number, maxMs: number): string {
  if (minMs === maxMs) return describeDuration(minMs);
  const [lo, hi] = [describeDuration(minMs), describeDuration(maxMs)];
  const unit = / (\S+)$/.exec(hi)?.[1];
  // "2 hours" and "4 hours" read "2-4 hours"; different units stay whole.
  return unit && lo.endsWith(` ${unit}`) && !lo.includes(' ', lo.indexOf(' ') + 1)
    ? `${lo.slice(0, lo.indexOf(' '))}-${hi}`
    : `${lo} to ${hi}`;
}

/**
 * The recovery objectives of the incident's procedure (Disaster Recovery): the time elapsed since declaration against
 * the RTO (and by when it is due, in each reader's time zone), then the RPO. Recovered (mitigated or resolved: see
 * recoveredAt): how long recovery took.
 */
function renderObjectives(i: Incident, o: ObjectivesView, now: Date): KnownBlock {
  const recovered = recovery(i);
  const end = recovered?.at ?? now;
  const parts: string[] = [];
  if (o.rto) {
    const rto = `RTO ${span(o.rto.minMs, o.rto.maxMs)}`;
    const taken = humanDuration(i.createdAt, end);
    const { state: standing, due } = rtoStanding(i.createdAt, end, o.rto);
    // Open, the times are as Slack counts them for each reader when they read it (the card stays up for hours), so it
    // renders the same until a bound is passed; recovered, how long the recovery took.
    const state =
      standing === 'past'
        ? `:rotating_light: past the RTO${recovered ? ` by ${humanDuration(due, end)}` : `, due ${slackAgo(due)}`}`
        : standing === 'past_lower'
          ? ':warning: past the lower bound'
          : null;
    parts.push(
      recovered
        ? `:stopwatch: ${rto}: recovered (${recovered.by}) in ${taken}${state ? ` (${state})` : ' (within the RTO)'}`
        : `:stopwatch: ${rto}: started ${slackAgo(i.createdAt)}, due by ${slackDate(due, utcStamp(due))}${state ? ` · ${state}` : ''}`,
    );
  }
  if (o.rpo) parts.push(`RPO ${describeDuration(o.rpo.ms)}${o.rpo.note ? ` (${mrkdwnClip(o.rpo.note, 100)})` : ''}`);
  return {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: truncate(`${boldName(o.playbookTitle, 80)} · ${parts.join('  ·  ')}`, LIMITS.sectionText),
      },
    ],
  };
}

function mrkdwnSafeJoin(parts: string[]): string {
  return truncate(parts.join('  ·  '), LIMITS.sectionText);
}

function cardActions(
  i: Incident,
  severities: SeverityDefs,
  escalateTo: string | null,
  nobodyLeft = false,
): ActionsBlock {
  const value = String(i.id);
  const elements: ActionsBlock['elements'] = [];
  // Once acknowledged, the button takes command from the commander it shows (its value carries them).
  elements.push(
    i.acknowledgedAt
      ? button(ACTION.acknowledge, 'Take command', ackRef.encode({ incidentId: i.id, takeFrom: i.commanderId }))
      : button(ACTION.acknowledge, 'Acknowledge', value, 'primary'),
  );
  elements.push({
    type: 'static_select',
    action_id: ACTION.changeSeverity,
    placeholder: { type: 'plain_text', text: 'Change severity' },
    options: SEVERITIES.map((s) => severityOption(s, severities)),
    initial_option: severityOption(i.severity, severities),
  });
  elements.push(button(ACTION.postUpdate, 'Post status update', value));
  if (i.status === 'investigating') elements.push(button(ACTION.markMitigated, 'Mark mitigated', value));
  if (!nobodyLeft)
    elements.push(button(ACTION.escalate, 'Escalate now', escalateRef.encode({ incidentId: i.id, role: escalateTo })));
  elements.push(button(ACTION.rollback, 'Roll back', value));
  elements.push(button(ACTION.resolve, 'Resolve', value, 'danger'));
  return { type: 'actions', block_id: `${BLOCK.cardActions}:${i.id}`, elements };
}
