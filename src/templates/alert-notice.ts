/**
 * An alert's notice in the incidents channel (a warning, a group of them, a critical alert held back by maintenance, a
 * security alert's, on-call's direct copy), with Declare incident and Add to an open incident; and the answer to
 * Declare incident on an alert already in an incident. Pure.
 */

import type { KnownBlock } from '@slack/types';
import type { AlertNoticeView } from '../incidents/alert-types.js';
import type { Incident } from '../incidents/types.js';
import { RUNBOOK_TEXT_MAX } from '../runbook/text-limits.js';
import { alertLine, at, incidentNamed, measured, namedWithLinks, tellingLabels, thresholdFor } from './alert-lines.js';
import { button, packLines, wholeLines } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { alertRef } from './payloads.js';
import { boldName, channelLink, clipEscaped, LIMITS, mention, mrkdwnClip } from './text.js';

/** What a notice calls its alert: a warning, or a critical alert (one a maintenance window held back). */
const NOTICE_LABEL = { critical: 'Critical alert', warning: 'Warning', info: 'Alert' } as const;

/**
 * An alert in the incidents channel, for a person to decide on: what fired and what the runbook says, and Declare
 * incident. A warning's; or a critical alert's that a maintenance window held back (recorded, not declared, as its
 * runbook row says), which the notice says. Pure.
 */
export function renderAlertNotice(
  n: AlertNoticeView,
  /** `direct`: a security alert's notice sent to on-call by direct message (see AlertNoticeView.security). */
  to: 'channel' | 'direct' = 'channel',
  /**
   * Sent directly: whether the incidents channel heard that the alert fired (there is one, and private incidents are
   * announced there as such), which the message tells on-call; else the channel heard nothing of it.
   */
  channelHeard = false,
): Message {
  // Withdrawn: on-call's direct copy (if it was sent one) as the channel's, naming nothing of the alert either.
  if (n.withdrawn) return renderWithdrawnNotice(n);
  if (n.security && to === 'channel') return renderSecurityNotice(n);
  const notice = n.group ? renderGroupNotice(n, n.group) : renderOneNotice(n);
  if (!n.security) return notice;
  // Sent to on-call alone: said why, and only Declare incident (its form has Private ticked); Add to an open incident
  // would offer public incidents too.
  const heard = channelHeard
    ? `the incidents channel was told only that ${n.group ? 'security alerts' : 'a security alert'} fired, nothing of what`
    : `the incidents channel was told nothing of ${n.group ? 'them' : 'it'}`;
  const why = `:lock: *Sent to you directly, on call:* ${n.group ? 'these alerts read' : 'this alert reads'} as a security matter, so ${heard}. Declaring from here opens a private incident.`;
  const blocks = notice.blocks.map((b) =>
    b.type === 'actions'
      ? { ...b, elements: b.elements.filter((e) => 'action_id' in e && e.action_id !== ACTION.attachAlert) }
      : b,
  );
  return { text: `Security alert (sent to you directly): ${notice.text}`, blocks: [sectionOf(why), ...blocks] };
}

const sectionOf = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

/**
 * A notice in the incidents channel whose alerts (no security alert among them) joined a private incident, their
 * group's, after it was posted: withdrawn, naming nothing of the alert, nor why the group is handled privately (its
 * host and addresses, or a word of security, would tell what the private incident is about), or from which someone
 * declared a private incident (said so). No button. On-call's direct copy, if it was sent one, the same: the private
 * incident, not a DM, is where its alerts are seen now. Pure.
 */
function renderWithdrawnNotice(n: AlertNoticeView): Message {
  const what = n.group ? 'these alerts' : 'this alert';
  // Someone declared a private incident from the notice itself (its button, Private ticked): said so, as ever.
  const byHand = n.declared && 'private' in n.declared && !n.declared.joined && !n.declared.attached;
  const text = byHand
    ? `:lock: *This notice was withdrawn:* a private incident was declared from ${what}, so what it showed is no longer shown here.`
    : ':information_source: *This notice was withdrawn:* its alert is now handled privately, with the other alerts of its group, so what it showed is no longer shown here.';
  return { text: 'Alert notice withdrawn: its alert is now handled privately', blocks: [sectionOf(text)] };
}

/**
 * A security alert's notice in the incidents channel: that one fired, at which level, and whether it resolved or an
 * incident was declared from it, no more than a private incident's announcement says (no name, summary, labels,
 * values or links, no button: on-call has the notice whole). Pure.
 */
function renderSecurityNotice(n: AlertNoticeView): Message {
  const a = n.alert;
  const firing = n.group ? n.group.firing > 0 : a.status === 'firing';
  const what = `${n.group ? 'Security alerts' : 'A security alert'} fired (${a.level} level)`;
  const text = firing
    ? `:lock: *${what}.* What fired went to on-call directly; it is not shown here.`
    : `:white_check_mark: *${what}, and ${n.group ? 'have' : 'has'} resolved.* What fired went to on-call directly; it is not shown here.`;
  const blocks: KnownBlock[] = [sectionOf(text)];
  if (n.declared) blocks.push(...noticeOutcome(n, n.group ? 'these alerts' : 'this alert', !firing));
  return { text: `${what}: sent to on-call directly`, blocks };
}

function renderOneNotice(n: AlertNoticeView): Message {
  const a = n.alert;
  const emoji =
    a.status === 'resolved' ? ':white_check_mark:' : a.level === 'critical' ? ':rotating_light:' : ':warning:';
  const title = `${emoji} *${NOTICE_LABEL[a.level]}:* ${namedWithLinks(a)} — ${mrkdwnClip(a.summary, 300)}`;
  const held =
    a.level === 'critical' && a.maintenance
      ? `:construction: *Recorded, not declared:* a maintenance window is open and the runbook's row for this alert says \`during_maintenance: record\`.${a.status === 'firing' && !n.declared ? ' Declare an incident if it needs one; if it still fires once the window is over, the bot declares it.' : ''}`
      : null;
  const facts = [
    `*Source* ${mrkdwnClip(a.source, 40)}`,
    a.service ? `*Service* ${mrkdwnClip(a.service, 60)}` : null,
    measured(a) ? `*Measured* ${measured(a)}` : null,
    n.rule ? `*Threshold* ${thresholdFor(n.rule)}` : null,
  ].filter(Boolean);
  const lines = [
    title,
    facts.join(' · '),
    runbookAction(n),
    `${a.status === 'resolved' ? `Resolved ${a.resolvedAt ? at(a.resolvedAt) : ''}` : 'Firing'} · first ${at(a.firstSeen)} · last ${at(a.lastSeen)} · ×${a.count}`,
    held,
    beforeLine(n),
  ].filter((l): l is string => Boolean(l));
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: wholeLines(lines) } }];
  blocks.push(...noticeOutcome(n, 'this alert', a.status === 'resolved'));
  const text = `${a.status === 'resolved' ? 'Resolved' : a.level === 'critical' ? 'Critical' : 'Warning'} alert ${mrkdwnClip(a.name, 80)}${held ? ' (recorded during maintenance, not declared)' : ''}: ${mrkdwnClip(a.summary, 300)}`;
  return { text, blocks };
}

/**
 * A notice's runbook line: its row's action, and the playbook the row points at (the one an incident declared from it
 * is given, as its card shows); null without a row.
 */
function runbookAction(n: AlertNoticeView): string | null {
  if (!n.rule) return null;
  const playbook = n.rule.playbook
    ? ` · *Playbook:* ${mrkdwnClip(n.rule.playbook.title, RUNBOOK_TEXT_MAX.playbookTitle)}`
    : '';
  return `*Runbook action:* ${mrkdwnClip(n.rule.action, RUNBOOK_TEXT_MAX.alertAction)}${playbook}`;
}

/** The incident the notice's alert was in before it fired again (said while no incident holds it); null: none. */
function beforeLine(n: AlertNoticeView): string | null {
  if (!n.before || n.declared) return null;
  return `:leftwards_arrow_with_hook: The same alert was in ${incidentNamed(n.before)} before; it was resolved and this alert fired again.`;
}

/**
 * The notice's last part: who declared an incident from it, or its Declare incident button; once every alert of it
 * has resolved, the button stays (the incident may not be over) but is not the one to press first, and says so.
 */
function noticeOutcome(n: AlertNoticeView, what: 'this alert' | 'these alerts', resolved: boolean): KnownBlock[] {
  if (n.declared) {
    const source = mrkdwnClip(n.alert.source, 40);
    const cap = `past the storm cap: ${source} had opened as many incidents from alerts as \`ALERTS_MAX_INCIDENTS\` allows in 10 minutes, so storm control sent ${what === 'these alerts' ? 'them' : 'it'} there instead of declaring one`;
    const said = n.declared.joined
      ? 'private' in n.declared
        ? `:lock: ${what === 'these alerts' ? 'These alerts' : 'This alert'} joined a private incident, ${cap}.`
        : `:twisted_rightwards_arrows: Joined incident #${n.declared.number}${n.declared.channelId ? ` in ${channelLink(n.declared.channelId)}` : ''}, ${cap}. A different trouble? Declare incident takes ${what === 'these alerts' ? 'them' : 'it'} out of #${n.declared.number} into ${what === 'these alerts' ? 'their' : 'its'} own.`
      : 'private' in n.declared
        ? n.declared.attached
          ? `:lock: ${what === 'these alerts' ? 'These alerts were' : 'This alert was'} added to a private incident.`
          : `:lock: A private incident was declared from ${what}.`
        : `${n.declared.attached ? 'Added to' : 'Declared as'} incident #${n.declared.number}${n.declared.channelId ? ` in ${channelLink(n.declared.channelId)}` : ''} by ${mention(n.declared.by)}.`;
    const context: KnownBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: said }] };
    // Joined a storm's public incident: it may be a different trouble, declared apart from here as from the incidents
    // channel's message of names new to that incident.
    if (!n.declared.joined || 'private' in n.declared || resolved) return [context];
    return [
      context,
      {
        type: 'actions',
        block_id: `${BLOCK.alertNoticeActions}:${n.alert.id}`,
        elements: [button(ACTION.declareFromAlert, 'Declare incident', alertRef.encode(n.alert.id))],
      },
    ];
  }
  const actions: KnownBlock = {
    type: 'actions',
    block_id: `${BLOCK.alertNoticeActions}:${n.alert.id}`,
    elements: [
      button(
        ACTION.declareFromAlert,
        'Declare incident',
        alertRef.encode(n.alert.id),
        resolved ? undefined : 'primary',
      ),
      // What it warns of may be part of an incident already open: its alerts join that one instead.
      button(ACTION.attachAlert, 'Add to an open incident', alertRef.encode(n.alert.id)),
    ],
  };
  if (!resolved) return [actions];
  const note = `Every alert of it has resolved: declare an incident only if what it warned of is not over.`;
  return [{ type: 'context', elements: [{ type: 'mrkdwn', text: note }] }, actions];
}

/**
 * A group's alerts in one notice (a delivery of many warnings, or warnings of the group that came while its notice
 * was live): how many fire, what the runbook says, each alert's line (the first few), and one Declare incident, which
 * takes every firing alert of the group into the incident. Pure.
 */
function renderGroupNotice(n: AlertNoticeView, g: NonNullable<AlertNoticeView['group']>): Message {
  const a = n.alert;
  const listed = g.alerts;
  const label = NOTICE_LABEL[a.level];
  const emoji = g.firing === 0 ? ':white_check_mark:' : a.level === 'critical' ? ':rotating_light:' : ':warning:';
  const names = [...new Set(listed.map((x) => x.name))];
  const named = names
    .slice(0, 3)
    .map((name) => `${boldName(name, 60)}`)
    .join(', ');
  const resolved = g.total - g.firing;
  const head = `${emoji} *${label}s of one group: ${g.total}* (${g.firing} firing${resolved ? `, ${resolved} resolved` : ''}) — ${named}${names.length > 3 ? ', …' : ''}`;
  const facts = [`*Source* ${mrkdwnClip(a.source, 40)}`, n.rule ? `*Threshold* ${thresholdFor(n.rule)}` : null].filter(
    Boolean,
  );
  const held =
    a.level === 'critical' && a.maintenance
      ? ":construction: *Recorded, not declared:* a maintenance window is open and the runbook's row for these alerts says `during_maintenance: record`."
      : null;
  const top = [head, facts.join(' · '), runbookAction(n), held].filter(Boolean).join('\n');
  const telling = tellingLabels(listed);
  const { blocks: lines, shown } = packLines(
    listed.map((x) => alertLine(x, telling(x))),
    3,
  );
  const more = g.total - shown;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clipEscaped(top, LIMITS.sectionText) } },
    ...lines,
  ];
  if (more > 0)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `…and ${more} more of this group${g.firing > 0 ? ': `/incident alerts` lists what fires' : ''}.`,
        },
      ],
    });
  if (g.leftOut)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${g.leftOut.toLocaleString('en-US')} more not sent by ${mrkdwnClip(a.source, 40)} (its \`max_alerts\`): see them there.`,
        },
      ],
    });
  blocks.push(...noticeOutcome(n, 'these alerts', g.firing === 0));
  const text = `${g.firing === 0 ? 'Resolved' : label} alerts: ${g.total} of one group (${g.firing} firing), ${names
    .slice(0, 3)
    .map((x) => mrkdwnClip(x, 60))
    .join(', ')}`;
  return { text, blocks };
}

/**
 * The answer to Declare incident on an alert already in an open incident, told to whoever clicked (anyone in the
 * incidents channel): a private incident is not named. Pure.
 */
export function alreadyInIncident(incident: Incident): string {
  if (incident.private) {
    return ':lock: This alert is already in a private incident. If you should be part of it, ask the security responders to invite you.';
  }
  const where = incident.channelId ? ` in ${channelLink(incident.channelId)}` : '';
  return `:information_source: This alert is already in incident #${incident.number}${where}.`;
}
