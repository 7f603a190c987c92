import type { NotificationSenders } from './notification-ports.js';
import type { IncidentChat } from './ports.js';
import type { Incident } from './types.js';

/** The fields of an incident that hold what people typed (a maintenance window's title is typed too). */
const TYPED_FIELDS = [
  'title',
  'resolutionSummary',
  'customerImpactNote',
  'dataLossNote',
  'affected',
  'currentImpact',
  'currentStatus',
  'mitigationSteps',
  'maintenance',
] as const satisfies readonly (keyof Incident)[];

/**
 * The incident as it is shown: what people typed in it masked. What is typed is masked before it is stored, but a row
 * stored before a value was known to be secret (an older version, a COMMAND_ENV value added since) holds it: it is
 * masked as it is read, as the timeline's events and the audit's rows are (see maskStored). Pure.
 */
export function maskedIncident(incident: Incident, mask: (text: string) => string): Incident {
  const out = { ...incident };
  for (const field of TYPED_FIELDS) {
    const value = incident[field];
    if (value) out[field] = mask(value);
  }
  return out;
}

/**
 * The chat with every incident it is given masked as shown (see maskedIncident), and what a notice carries that was
 * read from the row (a rename's old title): the card, the announcement, the channel's topic, the notices and the pages
 * show no value known to be secret, whenever the row was stored. Whatever else the chat does passes through.
 */
export function maskedChat<C extends IncidentChat>(inner: C, mask: (text: string) => string): C {
  const shown = (incident: Incident) => maskedIncident(incident, mask);
  const over: Partial<IncidentChat> = {
    openChannel: (incident, onCreated) => inner.openChannel(shown(incident), onCreated),
    // Its name was made from the title as shown.
    ...(inner.findChannel ? { findChannel: (incident) => inner.findChannel!(shown(incident)) } : {}),
    postCard: (incident, ...rest) => inner.postCard(shown(incident), ...rest),
    refreshCard: (incident, ...rest) => inner.refreshCard(shown(incident), ...rest),
    announce: (incident, ...rest) => inner.announce(shown(incident), ...rest),
    // A notice carries what was just typed (masked then); a rename, the old title as the row held it.
    notify: (incident, notice, post) =>
      inner.notify(shown(incident), notice.kind === 'renamed' ? { ...notice, from: mask(notice.from) } : notice, post),
    sendPage: (incident, ...rest) => inner.sendPage(shown(incident), ...rest),
    ...(inner.updatePage ? { updatePage: (incident, ...rest) => inner.updatePage!(shown(incident), ...rest) } : {}),
    tellDeclarer: (report) => inner.tellDeclarer({ ...report, incident: shown(report.incident) }),
  };
  return Object.assign(Object.create(inner) as C, over);
}

/** The ways out besides Slack, with every incident they are given masked as shown (an email's subject, a page's). */
export function maskedSenders(senders: NotificationSenders, mask: (text: string) => string): NotificationSenders {
  const { email, pagerduty } = senders;
  return {
    email: email && { sendPage: (incident, ...rest) => email.sendPage(maskedIncident(incident, mask), ...rest) },
    pagerduty: pagerduty && {
      trigger: (incident, ...rest) => pagerduty.trigger(maskedIncident(incident, mask), ...rest),
      follow: (action, target) => pagerduty.follow(action, target),
    },
  };
}
