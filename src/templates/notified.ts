import type { EscalationView } from '../incidents/ports.js';
import { LIMITS, mention, mrkdwnClip, slackTime, truncate } from './text.js';

const METHOD = { slack: 'Slack', email: 'email', pagerduty: 'PagerDuty' } as const;
const MARK = { sent: '✓', failed: '✗', skipped: '(not set up)' } as const;
/** The latest lines the card shows; older pages are on the timeline. */
const MAX_LINES = 5;

/**
 * The card's page lines, one per person paged with more than the Slack DM: "paged Olive: Slack ✓, email ✓,
 * PagerDuty ✓ 02:14", the time of the latest delivery in the reader's time zone, as the rest of the card shows times
 * ("02:14 UTC" where Slack's date tokens do not show). Null when there is none. Pure.
 */
export function renderNotifiedLines(notified: EscalationView['notified']): string | null {
  if (!notified?.length) return null;
  const lines = notified.slice(-MAX_LINES).map((n) => {
    const who = n.name ? mrkdwnClip(n.name, 60) : mention(n.userId);
    const methods = n.methods.map((m) => `${METHOD[m.via]} ${MARK[m.outcome]}`).join(', ');
    return `:telephone_receiver: paged ${who} (${mrkdwnClip(n.roleName, 60)}): ${methods} ${slackTime(n.at)}`;
  });
  const more = notified.length > MAX_LINES ? `\n_and ${notified.length - MAX_LINES} earlier on the timeline_` : '';
  return truncate(lines.join('\n') + more, LIMITS.sectionText);
}
