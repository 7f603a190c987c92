import { flagNote } from '../incidents/escalation-policy.js';
import type { PageNotification } from '../incidents/notification-ports.js';
import { type SeverityDefs, severityLabel, severityWithResponse } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { pageAlertsText } from './alert-page.js';
import { flaggedLead, pageTemplate } from './communication.js';

/** A link that opens the incident's channel in Slack (the app, or the browser). */
export function channelUrl(i: Pick<Incident, 'teamId' | 'channelId'>): string | null {
  return i.channelId
    ? `https://slack.com/app_redirect?team=${encodeURIComponent(i.teamId)}&channel=${encodeURIComponent(i.channelId)}`
    : null;
}

/** The runbook's communication template as the incident stands now (see pageTemplate), its times in `timeZone`. */
const template = pageTemplate;

/** A page by email: why, where to go, what fired (an incident opened from alerts), the template. Plain text. Pure. */
export function renderPageEmail(
  i: Incident,
  page: PageNotification,
  severities: SeverityDefs,
  /** The zone the template gives times in (TIME_ZONE). */
  timeZone = 'UTC',
): { subject: string; text: string } {
  const link = channelUrl(i);
  const fired = page.alerts ? pageAlertsText(page.alerts) : [];
  const hello = page.person.name ? `${page.person.name}, you` : 'You';
  const text = [
    `${hello} are paged ${page.byName ? 'by name' : `as ${page.roleName}`} because ${page.reason}${flaggedLead(i, page.flag)}.`,
    `${severityWithResponse(i.severity, severities)}.`,
    link ? `Join the incident channel${i.channelName ? ` #${i.channelName}` : ''}: ${link}` : null,
    'Acknowledge in Slack (the Acknowledge button of the page or of the card) to stop further notifications.',
    ...(fired.length ? ['', ...fired] : []),
    '',
    template(i, timeZone),
  ]
    .filter((l) => l !== null)
    .join('\n');
  const subject = `[${severityLabel(i.severity)}] Paged: #${i.number} ${i.title}`
    .replace(/[\r\n]+/g, ' ')
    .slice(0, 200);
  return { subject, text };
}

const PD_SEVERITY = { 0: 'critical', 1: 'critical', 2: 'error', 3: 'warning' } as const;

/** The Events API v2 payload of a page (without routing key and action). Pure. */
export function pagerdutyPayload(i: Incident, page: PageNotification, timeZone = 'UTC') {
  // Whoever can see the PagerDuty service reads the event: a private incident is named there by nothing but its link
  // (a channel id; the paged person is let in), as in the incidents channel.
  const named = i.private ? 'a private incident' : `#${i.number} ${i.title}`;
  // What was said with a flag is the incident's words: not for a private incident's event, as its title is not.
  const flagged = i.private ? '' : flaggedLead(i, page.flag);
  const summary = `[${severityLabel(i.severity)}] ${named}: paging ${page.roleName}${page.byName ? ' by name' : ''} because ${page.reason}${flagged}`;
  const link = channelUrl(i);
  // What fired, for an incident opened from (or joined by) monitoring alerts; not for a private one.
  const fired = !i.private && page.alerts ? pageAlertsText(page.alerts) : [];
  return {
    payload: {
      summary: summary.slice(0, 1024),
      severity: PD_SEVERITY[i.severity],
      source: i.private ? 'a private incident' : i.channelName ? `#${i.channelName}` : `incident #${i.number}`,
      component: page.roleName,
      custom_details: {
        incident: named,
        severity: severityLabel(i.severity),
        status: i.status,
        role: page.roleName,
        reason: page.reason,
        ...(flagged ? { flagged: flagNote(i, page.flag) } : {}),
        paged: page.person.name ?? page.person.id,
        ...(link ? { channel: link } : {}),
        ...(i.private ? {} : { communication: template(i, timeZone) }),
        ...(fired.length ? { alerts: fired.join('\n') } : {}),
      },
    },
    client: 'Incident Bot',
    ...(link ? { client_url: link, links: [{ href: link, text: 'Incident channel in Slack' }] } : {}),
  };
}
