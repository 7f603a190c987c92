import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { AlertCardView } from '../incidents/alert-types.js';
import type { EscalationView, FollowUpCardView, ObjectivesView, OnCallPeople } from '../incidents/ports.js';
import { recovery } from '../incidents/recovery-objectives.js';
import { summaryRepeats } from '../incidents/resolution-summary.js';
import { SEVERITIES, type SeverityDefs, severityLabel, severityWithResponse } from '../incidents/severity.js';
import { type Incident, PHASE_LABELS, STATUS_LABELS } from '../incidents/types.js';
import { describeDuration } from '../runbook/duration.js';
import { renderAlertSection } from './alerts.js';
import { button } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import { renderNotifiedLines } from './notified.js';
import { ackRef, escalateRef } from './payloads.js';
import { severityOption } from './severities.js';
import {
  boldName,
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
    // Each role once, in the order first paged: how many times and the last (rounds page on-call again and again).
    const byRole = new Map<string, { roleName: string; at: Date; times: number }>();
    for (const p of escalation.paged) {
      // A role with nobody to page, or whose only person is the declarer (sent no page): not said to be paged. Nor one
      // whose page has not gone out (being sent, or given up): said apart below.
      if (p.skipped || p.declarerOnly || p.going || p.failed) continue;
      const seen = byRole.get(p.roleName);
      if (seen) {
        seen.times += 1;
        if (p.at > seen.at) seen.at = p.at;
      } else byRole.set(p.roleName, { roleName: p.roleName, at: p.at, times: 1 });
    }
    const reached = [...byRole.values()];
    const skipped = [...new Set(escalation.paged.filter((p) => p.skipped).map((p) => p.roleName))];
    // Not once the role has been paged since and reached someone (an override put another person on call, who was
    // paged): the card would still say the role's page went to nobody but the declarer.
    const pagedLater = (d: { roleName: string; at: Date }) =>
      escalation.paged.some(
        (p) => p.roleName === d.roleName && !p.skipped && !p.declarerOnly && !p.going && !p.failed && p.at > d.at,
      );
    const declarers = escalation.paged.flatMap((p) =>
      p.declarer && !pagedLater(p) ? [{ declarer: p.declarer, roleName: p.roleName }] : [],
    );
    // Pages not gone out yet: being paged, not paged (as PagerDuty says "triggered" before "notified"). Slack's last
    // answer when a try failed, so nobody takes a page stuck on Slack for one on its way.
    const going = new Map<string, string | null>();
    for (const p of escalation.paged)
      if (p.going) going.set(p.roleName, p.going.error ?? going.get(p.roleName) ?? null);
    const paging = going.size
      ? `:hourglass_flowing_sand: Paging: ${[...going]
          .map(([role, error]) =>
            error
              ? `${mrkdwnClip(role, 60)} (not sent yet: ${mrkdwnClip(error, 100)}; trying again)`
              : mrkdwnClip(role, 60),
          )
          .join(', ')}`
      : null;
    // Given up before it went (its DMs failing try after try), and not paged since: the role was not paged, and
    // Escalate now offers it again (or its next round pages it).
    const failedRoles = new Map<string, string | null>();
    for (const p of escalation.paged)
      if (p.failed && !pagedLater(p) && !going.has(p.roleName)) failedRoles.set(p.roleName, p.failed.error);
    const failed = failedRoles.size
      ? `:warning: Page failed, not sent: ${[...failedRoles]
          .map(([role, error]) => `${mrkdwnClip(role, 60)}${error ? ` (${mrkdwnClip(error, 100)})` : ''}`)
          .join(
            ', ',
          )}: page ${failedRoles.size === 1 ? 'it' : 'them'} again with \`/incident escalate ${failedRoles.size === 1 ? mrkdwnClip([...failedRoles.keys()][0]!, 60) : '<role>'}\`, or call ${failedRoles.size === 1 ? 'its people' : 'their people'}`
      : null;
    // Paged, but some of its people never reached (their DMs failing till its job's last try), and not paged since:
    // named, with Slack's answer, so that someone reaches them another way.
    const neverReached = escalation.paged.flatMap((p) =>
      p.missed?.userIds.length && !pagedLater(p)
        ? [
            `${p.missed.userIds.map(mention).join(', ')} of ${mrkdwnClip(p.roleName, 60)}${p.missed.error ? ` (${mrkdwnClip(p.missed.error, 100)})` : ''}`,
          ]
        : [],
    );
    const missed = neverReached.length
      ? `:warning: Never reached: ${neverReached.join('; ')}: call them or reach them another way`
      : null;
    const paged = [
      reached.length
        ? `:pager: Paged: ${reached.map((p) => `${mrkdwnClip(p.roleName, 60)}${p.times > 1 ? ` ×${p.times} (last ${slackAgo(p.at)})` : ` (${slackAgo(p.at)})`}`).join(', ')}`
        : declarers.length || going.size
          ? null
          : ':pager: Nobody paged yet',
      paging,
      failed,
      missed,
      // A role without contacts was not paged: the card must not say it was (the channel has the fix).
      skipped.length ? `:warning: Not paged (no contacts): ${skipped.map((r) => mrkdwnClip(r, 60)).join(', ')}` : null,
      // The declarer on call for a role: their declaration reached them, and sent them no page (the channel says so).
      ...declarers.map(
        (d) =>
          `${reached.length ? '' : ':pager: '}${mention(d.declarer)} declared this and is on call for ${mrkdwnClip(d.roleName, 60)}, so was not sent a page`,
      ),
    ]
      .filter(Boolean)
      .join('  ·  ');
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
        ? 'Everyone in the contact order has been paged'
        : null;
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: truncate([paged, stopped, next, escalateNow].filter(Boolean).join('  ·  '), LIMITS.sectionText),
        },
      ],
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
