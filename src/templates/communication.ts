import type { KnownBlock } from '@slack/types';
import { flagNote } from '../incidents/escalation-policy.js';
import { severityLabel } from '../incidents/severity.js';
import { type Incident, type RaisedFlag, STATUS_LABELS, type StatusUpdateInput } from '../incidents/types.js';
import type { Message } from './incident-card.js';
import { LIMITS, mention, mrkdwnClip, mrkdwnName, slackDate, truncate, utcStamp, zonedStamp } from './text.js';

/**
 * When the next update comes: none once resolved (the form's date picker still sends one). Without a time, `unset`
 * says so: an update posted without one comes "with the next change"; a page says none is set.
 */
const nextUpdate = (
  u: Pick<StatusUpdateInput, 'status' | 'nextUpdateAt'>,
  unset = 'with the next change',
  timeZone = 'UTC',
) =>
  u.status === 'resolved'
    ? 'none: the incident is resolved'
    : u.nextUpdateAt
      ? zonedStamp(u.nextUpdateAt, timeZone)
      : unset;

/**
 * The runbook's communication template, filled in: the plain text that goes to email, status pages and DMs. Its times
 * on the clock of `timeZone` (TIME_ZONE), which they name; UTC by default.
 */
export function communicationTemplate(
  i: Incident,
  u: Omit<StatusUpdateInput, 'publish'>,
  /** What NEXT UPDATE says when no time is set (see nextUpdate). */
  noNextUpdate?: string,
  timeZone = 'UTC',
): string {
  return [
    `SUBJECT: [${severityLabel(i.severity)}] ${i.title}`,
    '',
    `SEVERITY: ${severityLabel(i.severity)}`,
    `STATUS: ${STATUS_LABELS[u.status]}`,
    `STARTED: ${zonedStamp(i.createdAt, timeZone)}`,
    `AFFECTED: ${u.affected || '-'}`,
    `CURRENT IMPACT: ${u.currentImpact || '-'}`,
    '',
    'CURRENT STATUS:',
    u.currentStatus || '-',
    '',
    'MITIGATION STEPS:',
    u.mitigationSteps || '-',
    '',
    `NEXT UPDATE: ${nextUpdate(u, noNextUpdate, timeZone)}`,
  ].join('\n');
}

/**
 * The template a page carries: the incident as it stands. While no status update has said what is affected and how,
 * what was said with a flag stands in (the one who raised it typed it for this); a status update's words win. No next
 * update promised: "none set", as the card then shows none. Pure.
 */
export function pageTemplate(i: Incident, timeZone = 'UTC'): string {
  const impact = flagNote(i, 'customer_impact');
  const dataLoss = flagNote(i, 'data_loss');
  const flagged = [
    impact ? `customer impact flagged: ${impact}` : null,
    dataLoss ? `data-loss risk flagged: ${dataLoss}` : null,
  ]
    .filter(Boolean)
    .join('; ');
  return communicationTemplate(
    i,
    {
      status: i.status,
      affected: i.affected || (impact ? `customers (flagged: ${impact})` : ''),
      currentImpact: i.currentImpact || flagged,
      currentStatus: i.currentStatus ?? '',
      mitigationSteps: i.mitigationSteps ?? '',
      nextUpdateAt: i.nextUpdateAt,
      customerImpact: i.customerImpact,
      dataLossRisk: i.dataLossRisk,
    },
    'none set',
    timeZone,
  );
}

/** How long what was said with a flag is in a page's first line (the template and the channel have all of it). */
const FLAG_NOTE_LEAD = 150;

/**
 * What a page for a flag adds to its reason: `: "what was said"` (cut to FLAG_NOTE_LEAD), or nothing. Plain text; a
 * caller that writes mrkdwn escapes it (`mrkdwn`). Pure.
 */
export function flaggedLead(i: Incident, flag: RaisedFlag | null | undefined, mrkdwn = false): string {
  const note = flagNote(i, flag);
  if (!note) return '';
  return `: "${mrkdwn ? mrkdwnClip(note, FLAG_NOTE_LEAD) : truncate(note, FLAG_NOTE_LEAD)}"`;
}

/** A status update as posted in Slack: the template's fields in its order, user text escaped. Pure. */
/**
 * What an update marked for the status page says of it: a private incident is never on the page, so its update is
 * kept for the page until the incident is made public.
 */
function publishedNote(i: Incident): string {
  return i.private
    ? ':lock: Not on the status page while the incident is private: shown there once it is made public'
    : ':globe_with_meridians: Published on the status page';
}

export function renderStatusUpdate(i: Incident, u: StatusUpdateInput, authorId: string): Message {
  const head = `*SUBJECT: [${severityLabel(i.severity)}] ${mrkdwnName(i.title, 200)}*`;
  const facts = [
    `*SEVERITY:* ${severityLabel(i.severity)}`,
    `*STATUS:* ${STATUS_LABELS[u.status]}`,
    `*STARTED:* ${utcStamp(i.createdAt)}`,
    `*AFFECTED:* ${u.affected ? mrkdwnClip(u.affected, 600) : '-'}`,
    `*CURRENT IMPACT:* ${u.currentImpact ? mrkdwnClip(u.currentImpact, 1500) : '-'}`,
  ].join('\n');
  const flags = [
    u.customerImpact ? ':warning: Customer impact' : null,
    u.dataLossRisk ? ':rotating_light: Data-loss risk' : null,
  ]
    .filter(Boolean)
    .join('  ·  ');
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: head } },
    { type: 'section', text: { type: 'mrkdwn', text: facts } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*CURRENT STATUS:*\n${u.currentStatus ? mrkdwnClip(u.currentStatus, LIMITS.sectionText - 40) : '-'}`,
      },
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*MITIGATION STEPS:*\n${u.mitigationSteps ? mrkdwnClip(u.mitigationSteps, LIMITS.sectionText - 40) : '-'}`,
      },
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        // On each reader's clock, saying so (Slack renders the date token in the reader's time zone); UTC where
        // Slack cannot (notifications, the console).
        text: `*NEXT UPDATE:* ${u.status !== 'resolved' && u.nextUpdateAt ? slackDate(u.nextUpdateAt, utcStamp(u.nextUpdateAt), '{date_short_pretty} {time} (your time)') : nextUpdate(u)}`,
      },
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: [`Posted by ${mention(authorId)}`, flags, u.publish ? publishedNote(i) : null]
            .filter(Boolean)
            .join('  ·  '),
        },
      ],
    },
  ];
  const text = mrkdwnClip(communicationTemplate(i, u), LIMITS.sectionText);
  return { text, blocks };
}
