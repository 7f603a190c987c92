import { parseRunbook } from '../../src/runbook/runbook.js';
import { testRunbookData } from './test-runbook.js';

/** The CTO role's PagerDuty routing key in ctoThroughPagerDuty's runbook. */
export const CTO_KEY = 'fedcba9876543210fedcba9876543210';
/** The PagerDuty webhook's signing secret the tests give the bot. */
export const PD_WEBHOOK_SECRET = 'pagerduty-webhook-secret-0123';

/** The test runbook with the CTO paged through PagerDuty a second after Slack (a SEV-0 pages the CTO). */
export function ctoThroughPagerDuty() {
  const data = testRunbookData();
  const roles = data.escalation.roles;
  return parseRunbook({
    ...data,
    people: { U0CTO: { name: 'Carol', email: 'carol@example.com' } },
    escalation: {
      ...data.escalation,
      roles: {
        ...roles,
        cto: {
          ...roles.cto,
          pagerduty: { routing_key: CTO_KEY },
          notify: [{ via: 'slack' }, { via: 'pagerduty', after: '1s' }],
        },
      },
    },
  });
}
