import { describe, expect, it } from 'vitest';
import { alertEventDetails, groupTitle } from '../../src/incidents/alert-rows.js';
import type { AlertRow } from '../../src/store/alert.repo.js';

const a = (summary: string, name = 'NodeDown') => ({ summary, name });

describe('groupTitle: an incident opened by several alerts at once', () => {
  it('one alert, or alerts sharing a summary (the group common one): that summary alone', () => {
    expect(groupTitle([a('node-0 down')])).toBe('node-0 down');
    expect(groupTitle([a('Error rate above 10%'), a('Error rate above 10%')])).toBe('Error rate above 10%');
    // A blank summary is titled by the alert's name, as one alert is.
    expect(groupTitle([a(''), a('  ')])).toBe('NodeDown');
  });

  it('alerts with their own summaries: the first, and how many more, named by their alert when they share it', () => {
    const nodes = Array.from({ length: 1500 }, (_, i) => a(`node-${i} down`));
    expect(groupTitle(nodes)).toBe('node-0 down, and 1,499 more NodeDown alerts');
    expect(groupTitle([a('node-0 down'), a('node-1 down')])).toBe('node-0 down, and 1 more NodeDown alert');
    expect(groupTitle([a('node-0 down'), a('disk full', 'DiskFull'), a('x', 'Other')])).toBe(
      'node-0 down, and 2 more alerts',
    );
  });

  it('a long first summary is cut, the count kept whole, within 150 characters', () => {
    const long = `${'checkout latency very high '.repeat(10)}end`;
    const t = groupTitle([a(long, 'Latency'), a('other', 'Latency'), a('third', 'Latency')]);
    expect([...t].length).toBeLessThanOrEqual(150);
    expect(t.endsWith('…, and 2 more Latency alerts')).toBe(true);
    const hugeName = 'N'.repeat(400);
    const u = groupTitle([a('one', hugeName), a('two', hugeName)]);
    expect([...u].length).toBeLessThanOrEqual(150);
  });
});

describe("alertEventDetails: what an alert's timeline event records", () => {
  const row = (startsAt: Date | null, firstSeen: Date) =>
    ({
      id: 1,
      name: 'HighCpuUsage',
      level: 'critical',
      summary: 'CPU 97%',
      source: 'am',
      status: 'firing',
      resolvedAt: null,
      firstSeen,
      startsAt,
      endsAt: null,
    }) as unknown as AlertRow;

  it("keeps the source's start when it is not after the bot heard of it", () => {
    const start = new Date('2026-12-05T07:10:00Z');
    expect(alertEventDetails(row(start, start))).toMatchObject({ startsAt: start.toISOString() });
  });

  it("leaves out a start in the future (a sender's clock ahead): the timeline says when the bot heard of it", () => {
    const heard = new Date('2026-12-05T07:18:00Z');
    const ahead = new Date('2026-12-05T08:18:00Z');
    const d = alertEventDetails(row(ahead, heard));
    expect(d).not.toHaveProperty('startsAt');
    expect(d).toMatchObject({ firstSeen: heard.toISOString() });
  });

  it('keeps where it fired, from the labels that say it (instance, pod, node…), two at most; none when none says', () => {
    const start = new Date('2026-12-05T07:10:00Z');
    const labelled = (labels: Record<string, string>) => ({ ...row(start, start), labels }) as AlertRow;
    expect(alertEventDetails(labelled({ alertname: 'X', instance: 'web-2:9100', job: 'node' }))).toMatchObject({
      where: 'instance=web-2:9100',
    });
    expect(alertEventDetails(labelled({ pod: 'api-7f', node: 'n-3', host: 'h' })).where).toBe('pod=api-7f, node=n-3');
    expect(alertEventDetails(labelled({ alertname: 'X', severity: 'critical' }))).not.toHaveProperty('where');
  });
});
