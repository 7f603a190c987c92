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

  it("give the template's times on the clock of TIME_ZONE, naming it; UTC without one", () => {
    const page = { roleName: 'On-Call Engineer', reason: 'a new incident was declared', person };
    const at = {
      ...incident,
      createdAt: new Date('2026-11-28T01:05:00Z'),
      nextUpdateAt: new Date('2026-11-28T02:00:00Z'),
    };
    const zoned = renderPageEmail(at, page, severities, 'America/New_York').text;
    expect(zoned).toContain('STARTED: 2026-11-27 20:05 America/New_York');
    expect(zoned).toContain('NEXT UPDATE: 2026-11-27 21:00 America/New_York');
    expect(pagerdutyPayload(at, page, 'Europe/Berlin').payload.custom_details.communication).toContain(
      'STARTED: 2026-11-28 02:05 Europe/Berlin',
    );
    expect(renderPageEmail(at, page, severities).text).toContain('STARTED: 2026-11-28 01:05 UTC');
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

  it("say what was said with the flag the page is for, on one line; a lowered flag's note is not said", () => {
    const flagged = makeIncident({
      title: 'writes failing',
      dataLossRisk: true,
      dataLossNote: 'orders table\nmay lose writes',
      customerImpact: false,
      customerImpactNote: 'an old note of a lowered flag',
    });
    const page = { roleName: 'CTO', reason: 'a data-loss risk was flagged', flag: 'data_loss' as const, person };
    const { text } = renderPageEmail(flagged, page, severities);
    expect(text).toContain('because a data-loss risk was flagged: "orders table may lose writes".');
    expect(text).toContain('AFFECTED: -');
    expect(text).toContain('CURRENT IMPACT: data-loss risk flagged: orders table may lose writes');
    expect(text).toContain('NEXT UPDATE: none set');
    expect(text).not.toContain('old note');
    const pd = pagerdutyPayload(flagged, page).payload;
    expect(pd.summary).toContain('because a data-loss risk was flagged: "orders table may lose writes"');
    expect(pd.custom_details.flagged).toBe('orders table may lose writes');
    // A status update's words win over the flag's; its next update is said.
    const updated = { ...flagged, affected: 'EU shoppers', currentImpact: 'slow checkout' };
    const later = renderPageEmail(
      { ...updated, nextUpdateAt: new Date('2026-11-28T01:00:00Z') },
      page,
      severities,
    ).text;
    expect(later).toContain('AFFECTED: EU shoppers');
    expect(later).toContain('CURRENT IMPACT: slow checkout');
    expect(later).toContain('NEXT UPDATE: 2026-11-28 01:00 UTC');
    // A private incident's PagerDuty event keeps the incident's words out.
    const secret = pagerdutyPayload({ ...flagged, private: true }, page).payload;
    expect(JSON.stringify(secret)).not.toContain('orders table');
  });
});
