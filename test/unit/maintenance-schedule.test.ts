import { describe, expect, it } from 'vitest';
import {
  describeSchedule,
  holding,
  type MaintenanceSchedule,
  nextOccurrence,
  takesPrecedence,
} from '../../src/runbook/maintenance.js';
import { loadRunbook, parseRunbook, RunbookError } from '../../src/runbook/runbook.js';
import type { MaintenanceWindowRow } from '../../src/store/maintenance.repo.js';
import { renderMaintenanceMessage } from '../../src/templates/maintenance.js';
import { testRunbookData } from '../support/test-runbook.js';

const at = (iso: string) => new Date(iso);
const span = (s: MaintenanceSchedule, iso: string) => {
  const o = nextOccurrence(s, at(iso));
  return [o.startsAt.toISOString(), o.endsAt.toISOString()];
};

describe('maintenance schedules', () => {
  const weekly: MaintenanceSchedule = { kind: 'weekly', weekday: 0, fromMin: 120, toMin: 240 };
  const monthly: MaintenanceSchedule = { kind: 'monthly', nth: 1, weekday: 0, fromMin: 120, toMin: 360, months: null };

  it('weekly: Sundays 02:00–04:00 UTC, the open one while it is open', () => {
    expect(span(weekly, '2026-03-04T12:00:00Z')).toEqual(['2026-03-08T02:00:00.000Z', '2026-03-08T04:00:00.000Z']);
    expect(span(weekly, '2026-03-08T03:59:00Z')).toEqual(['2026-03-08T02:00:00.000Z', '2026-03-08T04:00:00.000Z']);
    expect(span(weekly, '2026-03-08T04:00:00Z')[0]).toBe('2026-03-15T02:00:00.000Z');
    expect(describeSchedule(weekly)).toBe('Sundays 02:00–04:00 UTC');
  });

  it('monthly: the first Sunday 02:00–06:00 UTC; the last weekday; some months only', () => {
    expect(span(monthly, '2026-03-02T00:00:00Z')).toEqual(['2026-04-05T02:00:00.000Z', '2026-04-05T06:00:00.000Z']);
    expect(span(monthly, '2026-02-15T00:00:00Z')[0]).toBe('2026-03-01T02:00:00.000Z');
    expect(span({ ...monthly, nth: -1, weekday: 5 }, '2026-01-01T00:00:00Z')[0]).toBe('2026-01-30T02:00:00.000Z');
    expect(span({ ...monthly, months: [1, 4, 7, 10] }, '2026-02-01T00:00:00Z')[0]).toBe('2026-04-05T02:00:00.000Z');
    expect(describeSchedule(monthly)).toBe('first Sunday of the month 02:00–06:00 UTC');
  });

  it('a window past midnight, and every <duration>', () => {
    const late: MaintenanceSchedule = { kind: 'weekly', weekday: 6, fromMin: 23 * 60, toMin: 60 };
    expect(span(late, '2026-03-08T00:30:00Z')).toEqual(['2026-03-07T23:00:00.000Z', '2026-03-08T01:00:00.000Z']);
    const every: MaintenanceSchedule = { kind: 'interval', everyMs: 10_000, forMs: 4_000 };
    expect(span(every, '1970-01-01T00:00:12Z')).toEqual(['1970-01-01T00:00:10.000Z', '1970-01-01T00:00:14.000Z']);
    expect(span(every, '1970-01-01T00:00:15Z')[0]).toBe('1970-01-01T00:00:20.000Z');
  });
});

describe('overlapping windows', () => {
  const weekly: MaintenanceSchedule = { kind: 'weekly', weekday: 0, fromMin: 120, toMin: 240 };
  const monthly: MaintenanceSchedule = { kind: 'monthly', nth: 1, weekday: 0, fromMin: 120, toMin: 360, months: null };

  it('the monthly window holds the weekly one on the first Sunday only, and takes precedence', () => {
    const first = nextOccurrence(weekly, at('2026-03-01T00:00:00Z'));
    expect(first.startsAt.toISOString()).toBe('2026-03-01T02:00:00.000Z');
    expect(holding(monthly, first)?.endsAt.toISOString()).toBe('2026-03-01T06:00:00.000Z');
    expect(holding(monthly, nextOccurrence(weekly, at('2026-03-02T00:00:00Z')))).toBeNull();
    expect(takesPrecedence({ key: 'monthly', schedule: monthly }, { key: 'weekly', schedule: weekly })).toBe(true);
    expect(takesPrecedence({ key: 'weekly', schedule: weekly }, { key: 'monthly', schedule: monthly })).toBe(false);
    expect(takesPrecedence({ key: 'quarterly', schedule: null }, { key: 'weekly', schedule: weekly })).toBe(false);
  });

  it('the bundled file has one unlisted checklist with both task lists, each task saying its window', async () => {
    const rb = await loadRunbook();
    expect(rb.maintenance.combined).toEqual({ 'monthly+weekly': 'maintenance-monthly+weekly' });
    const both = rb.playbooks.find((p) => p.id === 'maintenance-monthly+weekly')!;
    expect(both.unlisted).toBe(true);
    const texts = both.mitigation.map((s) => s.text);
    expect(texts).toContain('Monthly Maintenance: Dependency updates');
    expect(texts).toContain('Weekly Maintenance: Backup verification');
    expect(texts.indexOf('Monthly Maintenance: Runbook updates')).toBeLessThan(
      texts.indexOf('Weekly Maintenance: Database maintenance (Neon)'),
    );
    expect(both.detection.length).toBeGreaterThan(0);
    expect(both.resolution.length).toBeGreaterThan(0);
  });
});

describe('the maintenance section of the runbook file', () => {
  const problems = (maintenance: unknown, extra: Record<string, unknown> = {}) => {
    try {
      parseRunbook({ ...testRunbookData(), ...extra, maintenance });
      return [];
    } catch (err) {
      if (err instanceof RunbookError) return err.problems;
      throw err;
    }
  };

  it('the bundled file has the runbook windows, the notice 24 hours ahead and the process as checklists', async () => {
    const rb = await loadRunbook();
    expect(rb.maintenance.noticeBeforeMs).toBe(24 * 3_600_000);
    expect(rb.maintenance.windows.map((w) => [w.key, w.schedule && describeSchedule(w.schedule)])).toEqual([
      ['weekly', 'Sundays 02:00–04:00 UTC'],
      ['monthly', 'first Sunday of the month 02:00–06:00 UTC'],
      ['quarterly', null],
    ]);
    const weekly = rb.playbooks.find((p) => p.id === 'maintenance-weekly')!;
    expect(weekly.kind).toBe('procedure');
    expect(weekly.outsideIncident).toEqual({ channel: null });
    expect(weekly.detection.map((s) => s.text)[0]).toBe('Notify users 24 hours in advance');
    expect(weekly.mitigation.map((s) => s.text)).toContain('Backup verification');
    expect(weekly.resolution.map((s) => s.text)).toContain('Smoke test critical paths');
    expect(rb.privateIncidents).toEqual({ announce: 'none' });
  });

  it('names each malformed entry', () => {
    expect(
      problems({ windows: { weekly: { title: 'W', schedule: { every: 'funday', from: '02:00', to: '04:00' } } } }),
    ).toEqual([expect.stringMatching(/^maintenance\.windows\.weekly\.schedule\.every: must be a weekday/)]);
    expect(
      problems({ windows: { w: { title: 'W', schedule: { every: 'sunday', from: '2am', to: '04:00' } } } })[0],
    ).toMatch(/^maintenance\.windows\.w\.schedule\.from: must be a time of day/);
    expect(problems({ windows: { w: { title: 'W', schedule: { every: '10s' } } } })[0]).toMatch(/\.for: /);
    expect(problems({ notice_before: 'a day' })[0]).toMatch(/^maintenance\.notice_before: /);
    expect(
      problems({ windows: { w: { title: 'W', tasks: [{ text: 'x', run: 'atom-cli nodes restart' }] } } })[0],
    ).toMatch(/^maintenance\.windows\.w\.tasks step 1 \("x"\), run: /);
    expect(problems({}, { private_incidents: { announce: 'loud' } })[0]).toMatch(/^private_incidents\.announce: /);
    expect(
      problems(
        { process: { before: ['x'] } },
        { playbooks: { maintenance: { title: 'Mine', kind: 'procedure', detection: ['y'] } } },
      ),
    ).toEqual([expect.stringContaining('maintenance.process: its checklist is the playbook "maintenance"')]);
  });
});

describe("a scheduled window's notice", () => {
  const startsAt = new Date('2026-12-06T02:00:00Z');
  const window: MaintenanceWindowRow = {
    id: 1,
    windowKey: 'weekly',
    title: 'Weekly Maintenance',
    playbookId: null,
    channelId: 'C0INCIDENTS',
    noticeAt: new Date('2026-12-05T02:00:00Z'),
    startsAt,
    endsAt: new Date('2026-12-06T04:00:00Z'),
    stage: 'noticed',
    scheduled: true,
    openedBy: null,
    closedBy: null,
  };

  it('says when it starts as Slack shows each reader, not "in 1 day" written once and read a day later', () => {
    const posted = renderMaintenanceMessage({ kind: 'notice', window }, new Date('2026-12-05T02:00:00Z'));
    const ts = startsAt.getTime() / 1000;
    // The time in the reader's own zone, counted as they read it; "in 1 day" only where tokens do not show.
    expect(posted.text).toContain(`(<!date^${ts}^{date_short_pretty} at {time}|in 1 day>)`);
    // The same notice whenever it is rendered but for that fallback.
    const later = renderMaintenanceMessage({ kind: 'notice', window }, new Date('2026-12-06T01:00:00Z'));
    expect(later.text.replace(/\|[^>]*>/, '')).toBe(posted.text.replace(/\|[^>]*>/, ''));
  });
});

describe("a maintenance window's end", () => {
  const window = {
    id: 1,
    windowKey: null,
    title: 'db upgrade',
    playbookId: 'maintenance',
    channelId: 'C0INC',
    noticeAt: null,
    startsAt: at('2026-03-08T02:00:00Z'),
    endsAt: at('2026-03-08T03:00:00Z'),
    stage: 'open',
    scheduled: false,
    openedBy: 'U0A',
    closedBy: 'U0A',
  } satisfies MaintenanceWindowRow;
  const incident = (number: number, priv = false, visible = !priv) => ({
    number,
    severity: 2,
    status: 'investigating',
    channelId: `C0I${number}`,
    private: priv,
    visible,
  });

  it('names at most ten incidents, counts the rest and the private ones, and keeps to one section', () => {
    const incidents = [...Array.from({ length: 40 }, (_, i) => incident(i + 1)), incident(41, true, true)];
    const checklist = {
      title: 'Maintenance process',
      total: 12,
      done: 2,
      skipped: 1,
      leftCount: 9,
      left: [{ section: 'During', number: 1, text: 'Execute <maintenance> tasks' }],
    };
    const { text, blocks } = renderMaintenanceMessage(
      { kind: 'ended', window, summary: { checklist, incidents } },
      at('2026-03-08T03:00:00Z'),
    );
    expect(text).toContain(
      'was left at 2 of 12 done (1 skipped): 9 not done, starting with During 1. Execute &lt;maintenance&gt; tasks; and 8 more.',
    );
    expect(text).toContain('41 incidents were declared during it: #1 (SEV-2, Investigating) <#C0I1>, ');
    expect(text).toContain('#10 (SEV-2, Investigating) <#C0I10>, 30 more and a private incident.');
    expect(text).not.toContain('#11 ');
    expect(text).not.toContain('C0I41');
    expect(JSON.stringify(blocks)).toContain('post-incident report');
  });
});
