import { describe, expect, it } from 'vitest';
import {
  fieldPath,
  LABELS_LEFT_OUT,
  labelSeverity,
  parseAlertmanager,
  parseGeneric,
  parseJson,
} from '../../src/incidents/alert-formats.js';
import type { AlertDelivery } from '../../src/incidents/alert-types.js';
import { matchRule } from '../../src/runbook/alert-rules.js';
import { loadRunbook, parseRunbook, RunbookError } from '../../src/runbook/runbook.js';
import { alertmanagerFixture, genericAlert, grafanaFixture } from '../support/alert-request.js';
import { alertRunbookData } from '../support/alert-runbook.js';

const RULES = (await loadRunbook()).alerts;
const am = () =>
  JSON.parse(alertmanagerFixture('group-firing')) as Record<string, unknown> & {
    alerts: Record<string, unknown>[];
  };

function delivery(r: ReturnType<typeof parseGeneric>): AlertDelivery {
  if (!r.ok) throw new Error(`expected a delivery, got ${JSON.stringify(r.problem)}`);
  return r.delivery;
}

describe("the runbook's Alert Thresholds table (alerts:)", () => {
  it('the bundled runbook holds every row of the table, with its level, action, playbook and severity', () => {
    const byName = Object.fromEntries(RULES.map((r) => [r.name, r]));
    expect(RULES.filter((r) => r.level === 'critical').map((r) => [r.metric, r.threshold, r.duration])).toEqual([
      ['app_health_check_failures', '> 50% failures', '1m'],
      ['database_pool_usage', '> 90% pool usage', '2m'],
      ['error_rate', '> 10%', '2m'],
      ['cpu_usage', '> 90%', '5m'],
      ['memory_usage', '> 95%', '5m'],
      ['disk_usage', '> 95%', '5m'],
    ]);
    // The Warning Alerts table (each with its duration), then the Target Thresholds (which give none).
    expect(RULES.filter((r) => r.level === 'warning' && r.duration !== '')).toHaveLength(5);
    expect(RULES.filter((r) => r.level === 'info')).toHaveLength(3);
    expect(byName.HighErrorRate).toMatchObject({
      action: 'Check logs, identify root cause',
      playbook: 'high-error-rates',
      severity: 1,
      durationMs: 120_000,
      autoResolve: false,
      duringMaintenance: 'declare',
    });
    expect(byName.AppHealthCheckFailing).toMatchObject({
      duringMaintenance: 'record',
      playbook: 'health-check-failures',
    });
    expect(byName.LowDailyActiveTenants).toMatchObject({
      threshold: '< 5',
      durationMs: 86_400_000,
      action: 'Review engagement',
    });
  });

  // Monitoring -> Key Metrics to Monitor -> Target Thresholds: "Disk usage: Alert if > 90%", "Connection pool: Alert if
  // > 80%", "Slow queries: Investigate if > 10 per minute", "Database size: Alert if > 90% of quota", Redis "Memory
  // usage: Alert if > 90%", LLM "Rate limit hits: Alert if > 10 per minute", "Request rate: Scale up if sustained
  // > 100 req/s". Without a row, such an alert was taken at its own severity label.
  const TARGETS = [
    ['ElevatedDiskUsage', 'disk_usage', '> 90%', 'Clean up or scale storage', null],
    [
      'ElevatedConnectionPoolUsage',
      'database_pool_usage',
      '> 80%',
      'Check for connection leaks',
      'connection-pool-exhaustion',
    ],
    ['ManySlowQueries', 'slow_queries', '> 10 per minute', 'Investigate', 'slow-query-performance'],
    ['DatabaseSizeNearQuota', 'database_size', '> 90% of quota', 'Alert (the runbook gives no further action)', null],
    ['HighRedisMemoryUsage', 'redis_memory_usage', '> 90%', 'Alert (the runbook gives no further action)', null],
    [
      'LlmRateLimitHits',
      'llm_rate_limit_hits',
      '> 10 per minute',
      'Alert (the runbook gives no further action)',
      'llm-provider-outage',
    ],
    ['HighRequestRate', 'request_rate', '> 100 req/s sustained', 'Scale up', null],
  ] as const;

  it.each(TARGETS)(
    "the Target Threshold %s is a warning row with the runbook's threshold and action",
    (name, metric, threshold, action, playbook) => {
      const row = RULES.find((r) => r.name === name);
      expect(row).toMatchObject({ metric, threshold, action, playbook, level: 'warning', duration: '', durationMs: 0 });
    },
  );

  it.each(TARGETS)(
    'an alert of %s is noticed as its row says, whatever its own severity',
    (name, metric, threshold) => {
      // Generic, by metric at the level it states; by name whatever level it states.
      const byMetric = delivery(
        parseGeneric(
          genericAlert({ key: `k-${metric}`, metric, level: 'warning', name: undefined, threshold: undefined }),
          RULES,
        ),
      );
      expect(byMetric.alerts[0]).toMatchObject({ rule: name, level: 'warning', threshold });
      const byName = delivery(
        parseGeneric(genericAlert({ key: `n-${metric}`, name, metric: undefined, level: 'critical' }), RULES),
      );
      expect(byName.alerts[0]).toMatchObject({ rule: name, level: 'warning' });
      // Alertmanager, its alertname the row's, its severity label saying critical: the row decides.
      const p = am();
      p.alerts = [{ ...p.alerts[0]!, labels: { alertname: name, severity: 'critical' } }];
      const fromAm = parseAlertmanager(p, RULES, 'alertmanager');
      if (!fromAm.ok) throw new Error(JSON.stringify(fromAm.problem));
      expect(fromAm.delivery.alerts[0]).toMatchObject({ rule: name, level: 'warning', metric, threshold });
    },
  );

  it('names each bad row: unknown playbook, duplicate name, bad duration, severity or level', () => {
    const data = alertRunbookData();
    const row = { name: 'X', metric: 'x', threshold: '> 1', duration: '1m', level: 'critical', action: 'Look' };
    const problems = (alerts: unknown[]) => {
      try {
        parseRunbook({ ...data, alerts }, 'rb.yml');
        return [];
      } catch (err) {
        expect(err).toBeInstanceOf(RunbookError);
        return (err as RunbookError).problems;
      }
    };
    expect(problems([{ ...row, playbook: 'nope' }])).toEqual([
      expect.stringMatching(
        /^alerts row 1 \("X"\), playbook: unknown playbook "nope"; the file's playbooks: database-connection/,
      ),
    ]);
    expect(problems([row, { ...row, name: 'x' }])).toEqual(['alerts row 2 ("x"), name: "x" is named twice']);
    // A procedure is run on purpose: an alert's incident does not get a deployment's checklist.
    expect(problems([{ ...row, playbook: 'deploy-web-platform' }])).toEqual([
      `alerts row 1 ("X"), playbook: "deploy-web-platform" is a procedure (kind: procedure), run on purpose and never given to an alert's incident; name an incident playbook, or none`,
    ]);
    // Names are matched ignoring case and punctuation: High_Error_Rate would never be reached beside HighErrorRate.
    expect(
      problems([
        { ...row, name: 'HighErrorRate' },
        { ...row, name: 'High_Error_Rate' },
      ]),
    ).toEqual([
      'alerts row 2 ("High_Error_Rate"), name: "High_Error_Rate" matches the same alerts as "HighErrorRate" (names are matched ignoring case and punctuation): give one another name',
    ]);
    expect(problems([{ ...row, duration: '5 minutes' }])[0]).toMatch(
      /^alerts row 1 \("X"\), duration: "5 minutes" is not a duration/,
    );
    expect(problems([{ ...row, duration: '99999999999d' }])[0]).toBe(
      'alerts row 1 ("X"), duration: "99999999999d" is longer than a year: write at most 366d',
    );
    expect(problems([{ ...row, severity: 'SEV-9' }])[0]).toMatch(
      /^alerts row 1 \("X"\), severity: "SEV-9" is not a severity/,
    );
    expect(problems([{ ...row, level: 'urgent' }])[0]).toMatch(
      /^alerts row 1 \("X"\), level: "urgent" is not one of critical, warning, info$/,
    );
    expect(problems([{ ...row, during_maintenance: 'skip' }])[0]).toMatch(
      /^alerts row 1 \("X"\), during_maintenance: "skip" is not one of declare, record$/,
    );
    expect(problems([{ ...row, colour: 'red' }])[0]).toMatch(/^alerts row 1 \("X"\): .*colour/);
    expect(parseRunbook({ ...data, alerts: [row] }).alerts[0]).toMatchObject({ severity: 1, playbook: null });
    // A heartbeat row: its duration, and only at level info (its alert always fires; only its silence is news).
    expect(problems([{ ...row, heartbeat: '10m' }])).toEqual([
      'alerts row 1 ("X"), level: must be info for a heartbeat row: its alert always fires, and only its silence is news',
    ]);
    expect(problems([{ ...row, level: 'info', heartbeat: 'often' }])[0]).toMatch(
      /^alerts row 1 \("X"\), heartbeat: "often" is not a duration/,
    );
    // Out of range: refused at start (one such row turned every heartbeat off: its interval overflowed Postgres's).
    expect(problems([{ ...row, level: 'info', heartbeat: '99999999999d' }])[0]).toMatch(
      /^alerts row 1 \("X"\), heartbeat: "99999999999d" is longer than a year/,
    );
    expect(problems([{ ...row, level: 'info', heartbeat: '1ms' }])[0]).toMatch(
      /^alerts row 1 \("X"\), heartbeat: "1ms" is shorter than a second/,
    );
    const beat = parseRunbook({ ...data, alerts: [{ ...row, level: 'info', heartbeat: '10m' }] }).alerts[0];
    expect(beat).toMatchObject({ level: 'info', heartbeatMs: 600_000 });
    expect(parseRunbook({ ...data, alerts: [row] }).alerts[0]!.heartbeatMs).toBeUndefined();
  });

  it('matches an alert by name, else by metric (the row of its own level first), ignoring case and punctuation', () => {
    expect(matchRule(RULES, { name: 'high-error-rate' })?.name).toBe('HighErrorRate');
    expect(matchRule(RULES, { metric: 'error_rate', level: 'warning' })?.name).toBe('ElevatedErrorRate');
    expect(matchRule(RULES, { metric: 'error_rate', level: 'critical' })?.name).toBe('HighErrorRate');
    expect(matchRule(RULES, { metric: 'error_rate', level: 'info' })).toBeNull();
    // No level said, the metric having a row per level: the most severe row its value is past, else the least severe
    // (it does not page on the strength of the row listed first).
    expect(matchRule(RULES, { metric: 'ERROR-RATE' })?.name).toBe('ElevatedErrorRate');
    expect(matchRule(RULES, { metric: 'error_rate', value: '6%' })?.name).toBe('ElevatedErrorRate');
    expect(matchRule(RULES, { metric: 'error_rate', value: '14.2%' })?.name).toBe('HighErrorRate');
    // A ratio against thresholds in percent (`{{ $value }}` of an error-rate rule): 0.14 is 14%.
    expect(matchRule(RULES, { metric: 'error_rate', value: '0.14' })?.name).toBe('HighErrorRate');
    expect(matchRule(RULES, { metric: 'error_rate', value: '0.06' })?.name).toBe('ElevatedErrorRate');
    expect(matchRule(RULES, { metric: 'cpu_usage', value: '82' })?.name).toBe('ElevatedCpuUsage');
    expect(matchRule(RULES, { metric: 'cpu_usage', value: 'n/a' })?.name).toBe('ElevatedCpuUsage');
    // A value short of the row of the level sent: the most severe row it is past (6% sent as critical is past only
    // the warning row's > 5%, not the critical row's > 10%), as a ratio too.
    expect(matchRule(RULES, { metric: 'error_rate', level: 'critical', value: '6%' })?.name).toBe('ElevatedErrorRate');
    expect(matchRule(RULES, { metric: 'error_rate', level: 'critical', value: '0.06' })?.name).toBe(
      'ElevatedErrorRate',
    );
    // A level the value bears out stands (14% is past the warning row's > 5% too); a value past none of the rows, or
    // one no threshold reads, leaves the row of the level sent; no row of that level, none.
    expect(matchRule(RULES, { metric: 'error_rate', level: 'warning', value: '14%' })?.name).toBe('ElevatedErrorRate');
    expect(matchRule(RULES, { metric: 'error_rate', level: 'critical', value: '2%' })?.name).toBe('HighErrorRate');
    expect(matchRule(RULES, { metric: 'error_rate', level: 'critical', value: 'n/a' })?.name).toBe('HighErrorRate');
    expect(matchRule(RULES, { metric: 'error_rate', level: 'info', value: '6%' })).toBeNull();
    // By name, the name's row, whatever the value.
    expect(matchRule(RULES, { name: 'HighErrorRate', metric: 'error_rate', value: '6%' })?.name).toBe('HighErrorRate');
    // A metric with one row: that row, whatever the value.
    expect(matchRule(RULES, { metric: 'response_time_p95', value: '1s' })?.name).toBe('SlowResponseTime');
    expect(matchRule(RULES, { name: 'Unknown', metric: 'unknown' })).toBeNull();
  });
});

describe('the Alertmanager webhook format', () => {
  it('a severity label written SEV-0, sev 1 or Sev_1 is the word sev0, sev1: critical', () => {
    const payload = am();
    const first = payload.alerts[0]!;
    const level = (severity: string) =>
      delivery(
        parseAlertmanager(
          { ...payload, alerts: [{ ...first, labels: { alertname: 'NoRow', severity } }], commonLabels: {} },
          RULES,
          'am',
        ),
      ).alerts[0]!;
    for (const s of ['SEV-0', 'sev 1', 'Sev_1', 'sev0']) expect(level(s), s).toMatchObject({ level: 'critical' });
    expect(labelSeverity('SEV-0')).toBe(0);
    expect(labelSeverity('sev1')).toBe(1);
    expect(labelSeverity('sev2')).toBeNull();
    expect(labelSeverity('critical')).toBeNull();
  });

  it('an alert with no severity label matched by its metric takes the row its value is past, not the first listed', () => {
    const payload = am();
    const first = payload.alerts[0]!;
    const at = (value: string) => {
      const alerts = [
        {
          ...first,
          labels: { alertname: 'ApiErrors', metric: 'error_rate' },
          annotations: { summary: 'api errors', value },
        },
      ];
      return delivery(parseAlertmanager({ ...payload, alerts, commonLabels: {}, commonAnnotations: {} }, RULES, 'am'))
        .alerts[0]!;
    };
    expect(at('6%')).toMatchObject({ level: 'warning', rule: 'ElevatedErrorRate', threshold: '> 5%' });
    expect(at('14%')).toMatchObject({ level: 'critical', rule: 'HighErrorRate', threshold: '> 10%' });
    // Labelled critical, its value short of the critical row's > 10%: the row it is past, and that row's level.
    const alerts = [
      {
        ...first,
        labels: { alertname: 'ApiErrors', metric: 'error_rate', severity: 'critical' },
        annotations: { summary: 'api errors', value: '6%' },
      },
    ];
    const labelled = delivery(
      parseAlertmanager({ ...payload, alerts, commonLabels: {}, commonAnnotations: {} }, RULES, 'am'),
    ).alerts[0]!;
    expect(labelled).toMatchObject({ level: 'warning', rule: 'ElevatedErrorRate', threshold: '> 5%' });
  });

  it('an alert listed twice is read once, as its last mention says, in the place of its first', () => {
    const payload = am();
    const [first, second] = payload.alerts as [Record<string, unknown>, Record<string, unknown>];
    const resolved = { ...first, status: 'resolved', endsAt: '2026-01-01T00:10:00Z' };
    const d = delivery(parseAlertmanager({ ...payload, alerts: [first, second, resolved] }, RULES, 'am'));
    expect(d.alerts.map((a) => [a.fingerprint, a.status])).toEqual([
      [first.fingerprint, 'resolved'],
      [second.fingerprint, 'firing'],
    ]);
  });

  it('reads a real delivery: each alert with its fingerprint, level from its row, summary, service and link', () => {
    const r = parseAlertmanager(am(), RULES, 'alertmanager');
    const d = delivery(r);
    expect(d).toMatchObject({
      source: 'alertmanager',
      format: 'alertmanager',
      groupKey: '{}:{alertname="HighErrorRate", service="api-service"}',
    });
    expect(d.alerts).toHaveLength(2);
    expect(d.alerts[1]).toMatchObject({
      fingerprint: '3a310acdd5c74e5a',
      name: 'HighErrorRate',
      status: 'firing',
      level: 'critical',
      rule: 'HighErrorRate',
      summary: 'Error rate above 10% on api-service',
      service: 'api-service',
      metric: 'error_rate',
      value: '12.5%',
      threshold: '> 10%',
      url: 'http://prometheus.example/graph?g0.expr=error_rate',
      startsAt: '2026-11-30T08:02:05.288Z',
      endsAt: null,
    });
    expect(d.alerts[0]).toMatchObject({ fingerprint: 'a8a496fc62f0b8a6', url: null, value: null });
  });

  it("links each alert to Alertmanager's silence form for its labels, on the delivery's externalURL", () => {
    const d = delivery(parseAlertmanager(am(), RULES, 'alertmanager'));
    expect(d.alerts[0]!.silenceUrl).toBe(
      `http://alertmanager.example:9093/#/silences/new?filter=${encodeURIComponent(
        '{alertname="HighErrorRate",instance="node-2",metric="error_rate",service="api-service",severity="critical"}',
      )}`,
    );
    const one = (externalURL: unknown, labels: Record<string, string>, silenceURL?: unknown) => {
      const p = { ...am(), externalURL };
      p.alerts = [{ ...p.alerts[0], labels, silenceURL }];
      return delivery(parseAlertmanager(p, RULES, 'alertmanager')).alerts[0]!.silenceUrl;
    };
    // Quotes and backslashes in a value are escaped as Alertmanager's matchers read them; a trailing slash is dropped.
    expect(decodeURIComponent(one('https://am.example/', { alertname: 'X', path: 'C:\\tmp "a"' })!)).toBe(
      'https://am.example/#/silences/new?filter={alertname="X",path="C:\\\\tmp \\"a\\""}',
    );
    // No web UI to link: none. A silence link given that is not http(s): the form instead.
    expect(one(undefined, { alertname: 'X' })).toBeNull();
    expect(one('ftp://am.example', { alertname: 'X' })).toBeNull();
    expect(one('https://am.example', { alertname: 'X' }, 'javascript:alert(1)')).toMatch(/^https:\/\/am\.example\/#/);
  });

  it('copies no long common annotation, nor a long externalURL, to each alert of a group', () => {
    const p = am();
    const alert = p.alerts[0]!;
    p.alerts = Array.from({ length: 200 }, (_, i) => ({ ...alert, fingerprint: `f${i}`, annotations: {} }));
    p.commonAnnotations = {
      summary: 's'.repeat(300_000),
      value: 'v'.repeat(300_000),
      threshold: 't'.repeat(300_000),
      runbook_url: `https://runbooks.example/${'r'.repeat(300_000)}`,
    };
    p.externalURL = `https://am.example/${'e'.repeat(100_000)}`;
    const d = delivery(parseAlertmanager(p, RULES, 'alertmanager'));
    expect(d.alerts).toHaveLength(200);
    // Each alert keeps at most a short cut of each (the body was 1 MB; 200 copies of it would be 200 MB).
    expect(JSON.stringify(d).length).toBeLessThan(600_000);
    expect(d.alerts[0]).toMatchObject({ runbookUrl: null, silenceUrl: null, url: null });
    expect(d.alerts[0]!.value).toHaveLength(100);
    expect(d.alerts[0]!.threshold).toHaveLength(100);
  });

  it('cuts a long summary at 1,000 characters, never inside one, and keeps a shorter one whole', () => {
    const summaryOf = (summary: string) => {
      const p = am();
      p.alerts = [{ ...p.alerts[0], annotations: { summary } }];
      return delivery(parseAlertmanager(p, RULES, 'alertmanager')).alerts[0]!.summary;
    };
    expect(summaryOf('😀'.repeat(3000))).toBe(`${'😀'.repeat(999)}…`);
    expect(summaryOf('x'.repeat(1500))).toBe(`${'x'.repeat(999)}…`);
    // 1,200 UTF-16 units but 600 characters: whole.
    expect(summaryOf('😀'.repeat(600))).toBe('😀'.repeat(600));
    // Control characters are still dropped before the cut (one between two words leaving a space).
    expect(summaryOf(`a\u0000b${'c'.repeat(5000)}`)).toBe(`a b${'c'.repeat(996)}…`);
    expect(summaryOf(`\u0000ab${'c'.repeat(5000)}`)).toBe(`ab${'c'.repeat(997)}…`);
  });

  it('an empty or blank summary is none: the description (else the message) says what fired', () => {
    const summaryOf = (annotations: Record<string, string>, common: Record<string, string> = {}) => {
      const p = am();
      p.alerts = [{ ...p.alerts[0], annotations }];
      p.commonAnnotations = common;
      return delivery(parseAlertmanager(p, RULES, 'alertmanager')).alerts[0]!.summary;
    };
    const description = 'Disk on db-9 is 99% full, writes will fail within 10 minutes';
    expect(summaryOf({ summary: '', description })).toBe(description);
    expect(summaryOf({ summary: '  ', description })).toBe(description);
    expect(summaryOf({ summary: '', description: ' ', message: 'Disk full on db-9' })).toBe('Disk full on db-9');
    // The alert's own empty summary does not hide the group's common one.
    expect(summaryOf({ summary: '' }, { summary: 'Disks filling' })).toBe('Disks filling');
    expect(summaryOf({ summary: 'Disk 99% on db-9', description })).toBe('Disk 99% on db-9');
  });

  it('reads truncatedAlerts (the alerts its max_alerts left out); a count that is none is none, not a refusal', () => {
    const truncated = (t: unknown) =>
      delivery(parseAlertmanager({ ...am(), truncatedAlerts: t }, RULES, 'alertmanager')).truncated;
    expect(delivery(parseAlertmanager(am(), RULES, 'alertmanager')).truncated).toBe(0);
    expect(truncated(0)).toBe(0);
    expect(truncated(38)).toBe(38);
    for (const none of [-1, 1.5, '38', null, {}, Number.MAX_VALUE]) expect(truncated(none), String(none)).toBe(0);
    expect(truncated(2 ** 40)).toBe(2 ** 31 - 1);
  });

  it('without a row, the severity label decides (common words too; none: warning); an unknown one is a warning that says so', () => {
    const parsed = (labels: Record<string, string>) => {
      const p = am();
      p.alerts = [{ ...p.alerts[0], labels }];
      return delivery(parseAlertmanager(p, RULES, 'alertmanager')).alerts[0]!;
    };
    const level = (labels: Record<string, string>) => parsed(labels).level;
    expect(level({ alertname: 'Custom', severity: 'Critical' })).toBe('critical');
    expect(level({ alertname: 'Custom', severity: 'info' })).toBe('info');
    expect(level({ alertname: 'Custom' })).toBe('warning');
    expect(level({ alertname: 'HighErrorRate', severity: 'page' })).toBe('critical');
    expect(level({ alertname: 'Custom', severity: 'page' })).toBe('critical');
    expect(level({ alertname: 'Custom', severity: 'error' })).toBe('warning');
    expect(level({ alertname: 'Custom', severity: 'minor' })).toBe('info');
    expect(parsed({ alertname: 'Custom', severity: 'page' }).summary).not.toMatch(/not a level/);
    const odd = parsed({ alertname: 'Custom', severity: 'purple' });
    expect(odd.level).toBe('warning');
    expect(odd.summary).toMatch(
      /severity "purple" is not a level the bot knows: taken as a warning; add a row for Custom/,
    );
    expect(odd.labels.severity).toBe('purple');
  });

  it('keeps the description annotation beside the summary (one line, at most 500 characters); the generic field too', () => {
    const d = delivery(parseAlertmanager(JSON.parse(grafanaFixture('firing')), RULES, 'grafana'));
    expect(d.alerts[0]!.description).toBe('5xx responses above 10% of requests for 2 minutes');
    // No summary: the description is the title, not said twice.
    const body = JSON.parse(grafanaFixture('firing'));
    const only = {
      ...body,
      commonAnnotations: {},
      alerts: [{ ...body.alerts[0], annotations: { description: 'line one\nline two' } }],
    };
    const [a] = delivery(parseAlertmanager(only, RULES, 'grafana')).alerts;
    expect(a!.summary).toBe('line one line two');
    expect(a!.description).toBeUndefined();
    const long = {
      ...body,
      commonAnnotations: {},
      alerts: [{ ...body.alerts[0], annotations: { summary: 's', description: `a\nb ${'x'.repeat(900)}` } }],
    };
    const [l] = delivery(parseAlertmanager(long, RULES, 'grafana')).alerts;
    expect(l!.description!.startsWith('a b xx')).toBe(true);
    expect([...l!.description!].length).toBeLessThanOrEqual(500);
    const g = delivery(
      parseGeneric(genericAlert({ summary: 'disk 91%', description: 'db-1 /data fills at 2%/h' }), RULES),
    );
    expect(g.alerts[0]!.description).toBe('db-1 /data fills at 2%/h');
  });

  it("titles Grafana's no-data and data-source-error alerts by the rule they are about", () => {
    const body = JSON.parse(grafanaFixture('firing'));
    const noData = (alertname: string, labels: Record<string, string> = { rulename: 'Disk usage' }) => ({
      ...body,
      commonAnnotations: {},
      alerts: [
        {
          ...body.alerts[0],
          labels: { alertname, grafana_folder: 'Infra', severity: 'critical', ...labels },
          annotations: {},
        },
      ],
    });
    const [a] = delivery(parseAlertmanager(noData('DatasourceNoData'), RULES, 'grafana')).alerts;
    expect(a).toMatchObject({ name: 'DatasourceNoData', summary: 'Disk usage: no data (DatasourceNoData)' });
    const [e] = delivery(parseAlertmanager(noData('DatasourceError'), RULES, 'grafana')).alerts;
    expect(e!.summary).toBe('Disk usage: its data source failed (DatasourceError)');
    // Without the rule's name, or for any other alert, the name as before.
    const [bare] = delivery(parseAlertmanager(noData('DatasourceNoData', {}), RULES, 'grafana')).alerts;
    expect(bare!.summary).toBe('DatasourceNoData');
  });

  it("reads Grafana Alerting's webhook body unchanged (version 1, its extra fields)", () => {
    const d = delivery(parseAlertmanager(JSON.parse(grafanaFixture('firing')), RULES, 'grafana'));
    expect(d).toMatchObject({
      source: 'grafana',
      format: 'alertmanager',
      groupKey:
        '{}/{__grafana_autogenerated__="true"}/{__grafana_receiver__="incident-bot"}:{alertname="HighErrorRate", grafana_folder="API"}',
    });
    expect(d.alerts).toHaveLength(2);
    expect(d.alerts[0]).toMatchObject({
      fingerprint: 'c6eadffa33fcdf37',
      name: 'HighErrorRate',
      status: 'firing',
      level: 'critical',
      rule: 'HighErrorRate',
      summary: 'Error rate above 10% on api-service (eu-1)',
      service: 'api-service',
      url: 'https://grafana.example/alerting/grafana/be1xq8a2z/view?orgId=1',
      // Its runbook_url annotation, kept beside the source link.
      runbookUrl: 'https://runbooks.example/high-error-rate',
      // Grafana's own silence link, as given.
      silenceUrl:
        'https://grafana.example/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DHighErrorRate&matcher=grafana_folder%3DAPI&matcher=service%3Dapi-service&matcher=severity%3Dcritical&matcher=zone%3Deu-1&orgId=1',
      // Its own time, kept in UTC to the millisecond.
      startsAt: '2026-11-30T08:51:03.157Z',
      endsAt: null,
    });
    expect(d.alerts[1]).toMatchObject({ fingerprint: 'bc97ff14869b13e3', summary: expect.stringContaining('(us-1)') });
    // Its graph: Grafana's panel, rather than the whole dashboard.
    expect(d.alerts[0]!.dashboardUrl).toBe('https://grafana.example/d/api-overview?orgId=1&viewPanel=4');
    // What the rule measured, from its values: the reduced value, not the condition's 1.
    expect(d.alerts.map((a) => a.value)).toEqual(['12.53', '11.2']);
  });

  it("links a Grafana alert's graph: its panel, else its dashboard; neither when they are empty or not http(s)", () => {
    const body = JSON.parse(grafanaFixture('firing')) as { alerts: Record<string, unknown>[] };
    const graph = (extra: Record<string, unknown>) =>
      delivery(parseAlertmanager({ ...body, alerts: [{ ...body.alerts[0], ...extra }] }, RULES, 'grafana')).alerts[0]!
        .dashboardUrl;
    expect(graph({ panelURL: '' })).toBe('https://grafana.example/d/api-overview?orgId=1');
    expect(graph({ panelURL: '', dashboardURL: '' })).toBeNull();
    expect(graph({ panelURL: 'javascript:alert(1)', dashboardURL: 42 })).toBeNull();
    expect(graph({ panelURL: `https://grafana.example/${'x'.repeat(2100)}`, dashboardURL: undefined })).toBeNull();
    // Alertmanager sends neither.
    expect(delivery(parseAlertmanager(am(), RULES, 'alertmanager')).alerts[0]!.dashboardUrl).toBeNull();
  });

  it("reads a Grafana alert's value from its values, else its valueString; an annotation named value comes first", () => {
    const body = JSON.parse(grafanaFixture('firing')) as { alerts: Record<string, unknown>[] };
    const [first] = body.alerts;
    const value = (extra: Record<string, unknown>, drop: string[] = ['values', 'valueString']) => {
      const a = { ...first, ...extra };
      for (const k of drop) if (!(k in extra)) delete a[k];
      return delivery(parseAlertmanager({ ...body, alerts: [a] }, RULES, 'grafana')).alerts[0]!.value;
    };
    expect(value({ values: { A: 44.23943737541908 } })).toBe('44.24');
    expect(value({ values: { B: 14151.331895396988, C: 1 } })).toBe('14151');
    // Two measured values: each, named.
    expect(value({ values: { B: 0.123456, D: 7, C: 0 } })).toBe('B=0.1235, D=7, C=0');
    // Only the condition: its value.
    expect(value({ values: { C: 1 } })).toBe('1');
    // Older Grafana: the text alone.
    expect(value({ valueString: "[ metric='' labels={} value=14151.331895396988 ]" })).toBe('14151');
    expect(
      value({ valueString: "[ var='B' labels={zone=eu-1} value=97.5 ], [ var='C' labels={zone=eu-1} value=1 ]" }),
    ).toBe('97.5');
    // Its values written as text are kept as `values`' are; `null` (an expression with no value) is none.
    expect(
      value({ valueString: "[ var='B' labels={zone=eu-1} value=+Inf ], [ var='C' labels={zone=eu-1} value=1 ]" }),
    ).toBe('+Inf');
    expect(value({ valueString: "[ var='B' labels={} value=NaN ], [ var='D' labels={} value=-Inf ]" })).toBe(
      'B=NaN, D=-Inf',
    );
    expect(value({ valueString: "[ var='B' labels={} value=no data ], [ var='C' labels={} value=0 ]" })).toBe(
      'no data',
    );
    expect(value({ valueString: "[ var='B' labels={} value=null ], [ var='C' labels={} value=1 ]" })).toBe('1');
    expect(value({ valueString: "[ var='B' labels={} value=1.5e+06 ], [ var='C' labels={} value=1 ]" })).toBe(
      '1500000',
    );
    // A value sent as text that is no number: kept as text (a null dropped); a number sent as text: a number.
    expect(value({ values: { B: 'high', C: null } })).toBe('high');
    expect(value({ values: { B: 'NaN', C: 1 } })).toBe('NaN');
    expect(value({ values: { B: '+Inf', D: 7 } })).toBe('B=+Inf, D=7');
    expect(value({ values: { B: '14151.331895396988', C: 1 } })).toBe('14151');
    expect(value({ values: { B: `  ${'x'.repeat(60)}  ` } })).toBe(`${'x'.repeat(29)}…`);
    // No value to read (empty text, an object, a list): no value, and the alert is kept.
    expect(value({ values: { B: '', C: { x: 1 } } })).toBeNull();
    expect(value({ values: [1, 2] })).toBeNull();
    expect(value({ valueString: 'nothing here' })).toBeNull();
    expect(value({})).toBeNull();
    // Set by the rule's own annotation: that, as written.
    expect(
      value({ annotations: { ...(first!.annotations as object), value: '12.5% of requests' }, values: { B: 12.53 } }),
    ).toBe('12.5% of requests');
  });

  it('computes a fingerprint from the labels when the sender sends none, whatever their order', () => {
    const p = am();
    const one = { ...p.alerts[0], fingerprint: undefined, labels: { alertname: 'A', b: '1', c: '2' } };
    const two = { ...p.alerts[0], fingerprint: undefined, labels: { c: '2', alertname: 'A', b: '1' } };
    const a = delivery(parseAlertmanager({ ...p, alerts: [one] }, RULES, 'alertmanager'));
    const b = delivery(parseAlertmanager({ ...p, alerts: [two] }, RULES, 'alertmanager'));
    expect(a.alerts[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(a.alerts[0]!.fingerprint).toBe(b.alerts[0]!.fingerprint);
  });

  it('takes a group whose alerts are odd but readable, so that none of its alerts is lost', () => {
    const p = am();
    const many = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`l${String(i).padStart(2, '0')}`, `v${i}`]));
    const group = {
      ...p,
      groupKey: `{}:{${'x'.repeat(3000)}}`,
      alerts: [
        // No alertname: named after its fingerprint, its summary saying so.
        { ...p.alerts[0], labels: { severity: 'critical', service: 'api' }, fingerprint: 'f00d' },
        // 82 labels and 81 annotations: the labels the bot reads and the first others kept, 64 in all, saying so.
        {
          ...p.alerts[1],
          labels: { ...many, alertname: 'HighErrorRate', severity: 'critical' },
          annotations: { ...many, summary: 'Error rate above 10%' },
          fingerprint: 'z'.repeat(300),
        },
      ],
    };
    const d = delivery(parseAlertmanager(group, RULES, 'x'));
    expect(d.alerts).toHaveLength(2);
    expect(d.alerts[0]).toMatchObject({
      fingerprint: 'f00d',
      name: 'unnamed alert f00d',
      level: 'critical',
      summary: 'Error rate above 10% on api-service (it has no alertname label: named after its fingerprint)',
    });
    const kept = d.alerts[1]!;
    expect(Object.keys(kept.labels)).toHaveLength(64);
    expect(kept.labels).toMatchObject({ alertname: 'HighErrorRate', severity: 'critical', l00: 'v0', l60: 'v60' });
    expect(kept.labels.l61).toBeUndefined();
    expect(kept.labels[LABELS_LEFT_OUT]).toBe('19 of 82');
    expect(kept).toMatchObject({ rule: 'HighErrorRate', summary: 'Error rate above 10%' });
    // An over-long fingerprint or group key still names one alert, one group: cut, with a hash of the whole.
    expect(kept.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(d.groupKey.length).toBeLessThanOrEqual(2000);
    expect(d.groupKey).toMatch(/^\{\}:\{x+…#[0-9a-f]{16}$/);
    const again = delivery(parseAlertmanager(group, RULES, 'x'));
    expect([again.groupKey, again.alerts[1]!.fingerprint]).toEqual([d.groupKey, kept.fingerprint]);
    const other = delivery(parseAlertmanager({ ...group, groupKey: `${group.groupKey}y` }, RULES, 'x'));
    expect(other.groupKey).not.toBe(d.groupKey);
  });

  it('names what is wrong: version, labels that are not text, times', () => {
    const p = am();
    // Versions 4 (Alertmanager) and 1 (Grafana Alerting) are read; another is refused, naming those.
    expect(parseAlertmanager({ ...p, version: '5' }, RULES, 'x')).toMatchObject({
      ok: false,
      problem: {
        error: 'invalid_payload',
        message:
          'version: must be "4" (Prometheus Alertmanager) or "1" (Grafana Alerting): the webhook formats this reads',
      },
    });
    // A version written by hand as a number is read as its text.
    expect(parseAlertmanager({ ...p, version: 4 }, RULES, 'x').ok).toBe(true);
    expect(parseAlertmanager({ ...p, version: 5 }, RULES, 'x')).toMatchObject({
      problem: { message: expect.stringMatching(/^version: must be "4"/) },
    });
    expect(parseAlertmanager({ ...p, version: true }, RULES, 'x')).toMatchObject({
      problem: { message: 'version: must be text' },
    });
    const numbers = { ...p, alerts: [{ ...p.alerts[0], labels: { alertname: 'A', n: 1 } }] };
    expect(parseAlertmanager(numbers, RULES, 'x')).toMatchObject({
      problem: { message: 'alerts[0].labels.n: must be text' },
    });
    // Times are kept (first seen, resolved): one that is not a time is named, not stored.
    const when = { ...p, alerts: [{ ...p.alerts[0], startsAt: 'yesterday' }] };
    expect(parseAlertmanager(when, RULES, 'x')).toMatchObject({
      problem: { message: 'alerts[0].startsAt: must be a time in RFC 3339, e.g. 2026-01-01T00:00:00Z' },
    });
    const end = { ...p, alerts: [{ ...p.alerts[0], status: 'resolved', endsAt: '2026-13-40T00:00:00Z' }] };
    expect(parseAlertmanager(end, RULES, 'x')).toMatchObject({
      problem: { message: 'alerts[0].endsAt: must be a time in RFC 3339, e.g. 2026-01-01T00:00:00Z' },
    });
  });
});

describe('the generic format', () => {
  it('reads one alert: its row by metric and level, the row name as its name, value as text', () => {
    const d = delivery(parseGeneric(genericAlert({ level: 'warning', value: 7.5 }), RULES));
    expect(d).toMatchObject({ source: 'integration-metrics', format: 'generic', groupKey: 'api-error-rate' });
    expect(d.alerts[0]).toMatchObject({
      fingerprint: 'api-error-rate',
      name: 'ElevatedErrorRate',
      rule: 'ElevatedErrorRate',
      level: 'warning',
      value: '7.5',
      labels: { tenant: 'acme' },
      url: 'https://console.atomagentos.com/metrics/error_rate',
      runbookUrl: null,
    });
    const linked = delivery(parseGeneric(genericAlert({ runbook_url: 'https://runbooks.example/error-rate' }), RULES));
    expect(linked.alerts[0]!.runbookUrl).toBe('https://runbooks.example/error-rate');
  });

  it('keeps the level it was sent when no row of that level matches, and makes a summary when none is sent', () => {
    const d = delivery(parseGeneric(genericAlert({ level: 'info', summary: undefined, threshold: undefined }), RULES));
    expect(d.alerts[0]).toMatchObject({
      level: 'info',
      rule: null,
      name: 'error_rate',
      summary: 'api-service error_rate is 12.5%',
    });
    // Sent as critical with a value short of the critical row's > 10%: the row it is past, and that row's level.
    const short = delivery(parseGeneric(genericAlert({ level: 'critical', value: '6%', threshold: undefined }), RULES));
    expect(short.alerts[0]).toMatchObject({ level: 'warning', rule: 'ElevatedErrorRate', threshold: '> 5%' });
  });

  it('names what is wrong', () => {
    const problem = (over: Record<string, unknown>) => {
      const r = parseGeneric(genericAlert(over), RULES);
      return r.ok ? null : r.problem;
    };
    expect(problem({ source: 'has spaces' })?.message).toMatch(/^source: must be 1 to 64 letters/);
    expect(problem({ url: 'not a url' })?.message).toBe('url: must be a URL');
    expect(problem({ runbook_url: 'not a url' })?.message).toBe('runbook_url: must be a URL');
    expect(problem({ labels: { a: { b: 'c' } } })?.message).toBe('labels.a: must be text');
    expect(problem({ key: '' })?.message).toBe('key: must not be empty');
    for (const key of ['   ', '\u200b\u200b', ' \u2066 '])
      expect(problem({ key })?.message, JSON.stringify(key)).toBe(
        'key: must hold something visible, not only spaces or invisible characters',
      );
    expect(problem({ key: ' disk-check ' })).toBeNull();
    expect(problem({ key: null })?.message).toBe('key: must be text');
    expect(problem({ key: 'k'.repeat(201) })?.message).toBe('key: must be at most 200 characters');
    expect(problem({ status: 'ok' })).toMatchObject({
      error: 'unknown_status',
      message: 'status: "ok" is not a status; use "firing" or "resolved"',
    });
    expect(problem({ level: 'urgent' })).toMatchObject({
      error: 'unknown_level',
      message: 'level: "urgent" is not a level; use "critical", "warning" or "info"',
    });
    expect(problem({ level: 3 })?.message).toBe('level: 3 is not a level; use "critical", "warning" or "info"');
    expect(problem({ status: 'x'.repeat(500) })?.message).toHaveLength(
      'status: "" is not a status; use "firing" or "resolved"'.length + 40,
    );
    // A list of alerts (a script batching them): one per request, said in words.
    const list = parseGeneric([genericAlert({}), genericAlert({ key: 'other' })], RULES);
    expect(list.ok ? null : list.problem).toMatchObject({
      error: 'invalid_payload',
      message: 'body: one alert per request, a JSON object; this is a list of 2: send each alert in a POST of its own',
    });
  });

  it('takes a status and a level in any case, with spaces around (as scripts send them)', () => {
    const d = delivery(parseGeneric(genericAlert({ status: ' FIRING', level: 'Critical ' }), RULES));
    expect(d.alerts[0]).toMatchObject({ status: 'firing', level: 'critical' });
    const r = delivery(parseGeneric(genericAlert({ status: 'Resolved', level: 'INFO', metric: 'x_rate' }), RULES));
    expect(r.alerts[0]).toMatchObject({ status: 'resolved' });
    expect(parseJson('{')).toMatchObject({ ok: false, problem: { error: 'malformed_json' } });
  });

  it('reads a body that starts with a byte order mark (PowerShell, some editors) as the JSON after it', () => {
    expect(parseJson('\uFEFF{"source":"ps","key":"k"}')).toEqual({ ok: true, value: { source: 'ps', key: 'k' } });
    expect(parseJson('\uFEFF')).toMatchObject({ ok: false, problem: { error: 'malformed_json' } });
  });

  it("reads a script's numbers and true/false as their text, in labels and the key, rather than dropping its alert", () => {
    const d = delivery(
      parseGeneric(genericAlert({ key: 1042, labels: { shard: 3, canary: true, tenant: 'acme' } }), RULES),
    );
    expect(d.groupKey).toBe('1042');
    expect(d.alerts[0]).toMatchObject({ fingerprint: '1042', labels: { shard: '3', canary: 'true', tenant: 'acme' } });
  });
});

describe('alert text as people will read it', () => {
  it('drops bidi controls (a right-to-left override turns text around) from summaries in both formats', () => {
    const g = delivery(
      parseGeneric(genericAlert({ summary: 'Disk \u202Eluf\u202C on db-1', service: 'a\u2066pi' }), RULES),
    );
    expect(g.alerts[0]!.summary).toBe('Disk luf on db-1');
    expect(g.alerts[0]!.service).toBe('api');
    const p = am();
    p.alerts = [{ ...p.alerts[0], annotations: { summary: 'Errors \u202Eon api' } }];
    expect(delivery(parseAlertmanager(p, RULES, 'alertmanager')).alerts[0]!.summary).toBe('Errors on api');
  });

  it('keeps every field shown on one line without bidi controls: a line break in a label makes no fake alert line', () => {
    const fake = '\n:white_check_mark: *DiskFull* · resolved · all clear';
    const p = am();
    p.alerts = [
      {
        ...p.alerts[0],
        labels: {
          alertname: `Disk${fake}`,
          service: `db${fake}`,
          metric: `disk\r\nfree`,
          severity: 'critical',
        },
        annotations: { summary: `Disk full${fake}`, value: `97%${fake}`, threshold: `> 95%\u202E${fake}` },
      },
    ];
    const a = delivery(parseAlertmanager(p, RULES, 'alertmanager')).alerts[0]!;
    for (const v of [a.name, a.service, a.metric, a.value, a.threshold, a.summary]) {
      expect(v).not.toMatch(/[\n\r\u202E]/);
      expect(v).not.toMatch(/ {2}/);
    }
    expect(a.service).toBe('db :white_check_mark: *DiskFull* · resolved · all clear');
    const g = delivery(
      parseGeneric(genericAlert({ name: `Disk${fake}`, value: `97%${fake}`, threshold: `\u202E> 95%\n` }), RULES),
    ).alerts[0]!;
    for (const v of [g.name, g.value, g.threshold]) expect(v).not.toMatch(/[\n\r\u202E]/);
    expect(g.threshold).toBe('> 95%');
  });

  it('a name that shows nothing (zero-width spaces) is none; a severity label with an invisible character is read', () => {
    const p = am();
    p.alerts = [
      {
        ...p.alerts[0],
        fingerprint: 'f00d',
        labels: { alertname: '\u200b\u200b', severity: 'critical\u200b', service: '\u200b' },
      },
      { ...p.alerts[0], fingerprint: 'f00e', labels: { alertname: 'PayDown', severity: '\u202ecritical' } },
    ];
    const [blank, rlo] = delivery(parseAlertmanager(p, RULES, 'alertmanager')).alerts;
    expect(blank!.name).toBe('unnamed alert f00d');
    expect(blank!.summary).toContain('it has no alertname label: named after its fingerprint');
    expect(blank!.level).toBe('critical');
    expect(blank!.service).toBeNull();
    expect(rlo!.level).toBe('critical');
    expect(rlo!.summary).not.toContain('is not a level the bot knows');
    const g = delivery(parseGeneric(genericAlert({ name: '\u200b', metric: undefined, key: 'chk-9' }), RULES));
    expect(g.alerts[0]!.name).toBe('chk-9');
  });

  it('cuts a summary past 1,000 characters (counted as people see them, not UTF-16 units) with an ellipsis', () => {
    const summaryOf = (summary: string) => delivery(parseGeneric(genericAlert({ summary }), RULES)).alerts[0]!.summary;
    const emoji = '\u{1F525}'; // two UTF-16 units
    expect(summaryOf(emoji.repeat(1000))).toBe(emoji.repeat(1000));
    expect(summaryOf(emoji.repeat(1001))).toBe(`${emoji.repeat(999)}…`);
    expect(summaryOf('a'.repeat(1000))).toBe('a'.repeat(1000));
    expect(summaryOf('a'.repeat(1001))).toBe(`${'a'.repeat(999)}…`);
  });
});

describe('a payload sent to the wrong hook', () => {
  const problemOf = (r: ReturnType<typeof parseGeneric>) => (r.ok ? null : r.problem);

  it('an Alertmanager (or Grafana Alerting) delivery to /hooks/alerts is told to go to /hooks/alertmanager', () => {
    const p = problemOf(parseGeneric(am(), RULES));
    expect(p?.error).toBe('invalid_payload');
    expect(p?.message).toBe(
      'body: this is an Alertmanager webhook delivery (it has alerts, groupKey and status): send it to POST /hooks/alertmanager, which reads that format; /hooks/alerts takes one alert in the generic format',
    );
  });

  it('a generic alert to /hooks/alertmanager is told to go to /hooks/alerts', () => {
    const p = problemOf(parseAlertmanager(genericAlert(), RULES, 'alertmanager'));
    expect(p?.error).toBe('invalid_payload');
    expect(p?.message).toBe(
      'body: this is an alert in the generic format (it has source, key and level): send it to POST /hooks/alerts; /hooks/alertmanager takes the Alertmanager webhook format',
    );
  });

  it("Grafana's legacy alerting webhook is told what to send instead", () => {
    const legacy = {
      title: '[Alerting] CPU high',
      ruleId: 1,
      ruleName: 'CPU high',
      state: 'alerting',
      evalMatches: [{ value: 95, metric: 'cpu', tags: {} }],
      message: 'cpu',
      ruleUrl: 'http://grafana/d/1',
    };
    const p = problemOf(parseAlertmanager(legacy, RULES, 'grafana'));
    expect(p?.error).toBe('invalid_payload');
    expect(p?.message).toMatch(
      /^body: this is Grafana's legacy alerting webhook \(ruleName, state, evalMatches\), which the bot does not read: send from a Grafana Alerting contact point of type Webhook/,
    );
    // Anything else keeps zod's words, field by field.
    expect(problemOf(parseAlertmanager({ status: 'firing' }, RULES, 'am'))?.problems).toContain('groupKey: is missing');
  });
});

describe("a problem's field, named as its sender finds it in their JSON", () => {
  it('writes indexes in brackets and quotes a key that is no identifier, as jq does', () => {
    expect(fieldPath([])).toBe('body');
    expect(fieldPath(['alerts', 0, 'labels', 'n'])).toBe('alerts[0].labels.n');
    expect(fieldPath(['labels', 'app.kubernetes.io/name'])).toBe('labels["app.kubernetes.io/name"]');
    expect(fieldPath(['labels', 'say "hi"'])).toBe('labels["say \\"hi\\""]');
    expect(fieldPath(['x-y'])).toBe('["x-y"]');
  });
});

describe('parseJson: numbers too large for a double', () => {
  it('keeps them as the text sent, and leaves strings and other numbers alone', () => {
    const r = parseJson('{"a":1e400,"b":[-1E+999,1.5e3,0],"c":"say \\"1e999\\" 1e400","d":2e308}');
    expect(r).toEqual({ ok: true, value: { a: '1e400', b: ['-1E+999', 1500, 0], c: 'say "1e999" 1e400', d: '2e308' } });
  });
});

describe('parseJson: decimals a double does not hold', () => {
  it('keeps them as the text sent; a decimal a double holds stays a number, however it is written', () => {
    const r = parseJson(
      '{"a":0.12345678901234567890123,"b":-98765.432109876543210,"c":1e-400,"d":[0.1,0.30000000000000004,1.5e-7,' +
        '12345.678901234,2.50,1E+2,123456.7890123456e-3],"e":"0.12345678901234567890123"}',
    );
    expect(r).toEqual({
      ok: true,
      value: {
        a: '0.12345678901234567890123',
        b: '-98765.432109876543210',
        c: '1e-400',
        d: [0.1, 0.30000000000000004, 1.5e-7, 12345.678901234, 2.5, 100, 123.4567890123456],
        e: '0.12345678901234567890123',
      },
    });
  });
});
