import { describe, expect, it } from 'vitest';
import { pagerdutyPayload, renderPageEmail } from '../../src/templates/page-notifications.js';
import { makeIncident } from '../support/incident-fixture.js';
import { testRunbook } from '../support/test-runbook.js';

const severities = testRunbook().severities;
const incident = makeIncident({ severity: 1, title: 'search latency doubled' });
const person = { id: 'U0DANA', name: 'Dana' };

describe('the email and PagerDuty texts of a page', () => {
  it("say the role a role's page is for", () => {
    const page = { roleName: 'On-Call Engineer', reason: 'a new incident was declared', person };
    expect(renderPageEmail(incident, page, severities).text).toContain(
      'Dana, you are paged as On-Call Engineer because a new incident was declared.',
    );
    expect(pagerdutyPayload(incident, page).payload.summary).toContain(
      'paging On-Call Engineer because a new incident was declared',
    );
  });

  it('say that a page by name (`/incident page @dana`) is by name, not "as" the person', () => {
    const page = { roleName: 'Dana Scully', byName: true, reason: 'someone escalated by hand', person };
    const { text } = renderPageEmail(incident, page, severities);
    expect(text).toContain('Dana, you are paged by name because someone escalated by hand.');
    expect(text).not.toContain('paged as');
    expect(pagerdutyPayload(incident, page).payload.summary).toContain(
      'paging Dana Scully by name because someone escalated by hand',
    );
  });
});
