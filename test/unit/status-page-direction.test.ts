import { describe, expect, it } from 'vitest';
import type { PublicIncident, StatusSnapshot } from '../../src/incidents/status-page.js';
import { renderStatusPage } from '../../src/templates/status-page.js';

const at = new Date('2026-11-27T23:00:00Z');
/** Written in Arabic: "Payment is down!", "All customers", "Payments fail", "We are restoring the service." */
const TITLE = 'الدفع معطل!';
const AFFECTED = 'جميع العملاء';
const IMPACT = 'فشل المدفوعات';
const STATUS = 'نعمل على استعادة الخدمة.';

const incident = (over: Partial<PublicIncident>): PublicIncident => ({
  id: 1,
  title: TITLE,
  impact: 'Partial outage',
  impactLevel: 1,
  status: 'investigating',
  startedAt: at,
  resolvedAt: null,
  latest: {
    at,
    status: 'investigating',
    affected: AFFECTED,
    currentImpact: IMPACT,
    currentStatus: STATUS,
    nextUpdateAt: new Date(at.getTime() + 1_800_000),
  },
  reopenedAt: null,
  latestPredatesReopening: false,
  ...over,
});

const page = (s: Partial<StatusSnapshot>) =>
  renderStatusPage(
    { generatedAt: at, active: [], resolved: [], entries: [], maintenance: [], maintenanceDays: 7, ...s },
    { title: 'ATOM status', historyDays: 7 },
  );

/** The opening tag of the element whose whole text is `text`. */
function tagAround(html: string, text: string): string {
  const m = new RegExp(`<(h3|dd)\\b([^>]*)>${text}</\\1>`).exec(html);
  if (!m) throw new Error(`no element holds ${text}`);
  return m[0];
}

describe('text people wrote in a right-to-left script reads right to left on the status page', () => {
  it("an open incident's title and its update's texts are laid out in their own direction", () => {
    const html = page({ active: [incident({})] });
    for (const text of [TITLE, AFFECTED, IMPACT, STATUS]) expect(tagAround(html, text), text).toContain('dir="auto"');
    // The page's own words stay left to right.
    expect(html).toContain('<html lang="en">');
    expect(html).not.toMatch(/<(html|body|dl|dt)\b[^>]*dir=/);
  });

  it("a resolved incident's title and its last update too", () => {
    const html = page({ resolved: [incident({ status: 'resolved', resolvedAt: new Date(at.getTime() + 60_000) })] });
    for (const text of [TITLE, AFFECTED, IMPACT, STATUS]) expect(tagAround(html, text), text).toContain('dir="auto"');
  });
});
