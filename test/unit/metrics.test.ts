import { LogLevel, WebClient } from '@slack/web-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { slackMethod } from '../../src/slack/metered-fetch.js';
import { createPostgresDatabase } from '../../src/store/db.js';
import { parsePrometheusText } from '../support/prometheus-text.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

describe('the metrics registry', () => {
  it('scrapes without the database: the gauge is absent and says why, the rest is served', async () => {
    // A real Postgres client pointed where nothing listens.
    const db = createPostgresDatabase('postgresql://postgres@127.0.0.1:1/none', { connectionTimeoutMillis: 500 });
    const warnings: string[] = [];
    const m = createMetrics(db, { processDefaults: false, log: { warn: (w) => warnings.push(String(w)) } });
    try {
      m.alertReceived('grafana', 'critical');
      m.alertReceived('grafana', 'critical');
      m.alertReceived('x'.repeat(200), 'warning');
      m.declared(0, 'alert');
      m.reached('acknowledge', 0, 42);
      const text = parsePrometheusText(await m.text());
      expect(text.value('incident_bot_metrics_database_up')).toBe(0);
      expect(text.sum('incident_bot_open_incidents')).toBe(0);
      expect(text.samples.some((s) => s.name === 'incident_bot_open_incidents')).toBe(false);
      expect(warnings.join('\n')).toMatch(/metrics: could not read open incidents/);
      expect(text.value('incident_bot_alerts_received_total', { source: 'grafana', level: 'critical' })).toBe(2);
      // A label value is kept short, whatever a caller passes.
      expect(text.value('incident_bot_alerts_received_total', { source: 'x'.repeat(64), level: 'warning' })).toBe(1);
      expect(text.value('incident_bot_incidents_declared_total', { severity: 'SEV-0', source: 'alert' })).toBe(1);
      expect(text.value('incident_bot_time_to_acknowledge_seconds_bucket', { severity: 'SEV-0', le: '30' })).toBe(0);
      expect(text.value('incident_bot_time_to_acknowledge_seconds_bucket', { severity: 'SEV-0', le: '60' })).toBe(1);
      expect(text.value('incident_bot_time_to_acknowledge_seconds_sum', { severity: 'SEV-0' })).toBe(42);
    } finally {
      await db.close();
    }
  });

  it('two registries in one process do not clash (each bot has its own)', async () => {
    const db = createPostgresDatabase('postgresql://postgres@127.0.0.1:1/none', { connectionTimeoutMillis: 200 });
    try {
      const one = createMetrics(db, { processDefaults: false });
      const two = createMetrics(db, { processDefaults: false });
      one.rolledBack('succeeded');
      expect(
        parsePrometheusText(await one.text()).value('incident_bot_rollbacks_total', { outcome: 'succeeded' }),
      ).toBe(1);
      expect(
        parsePrometheusText(await two.text()).value('incident_bot_rollbacks_total', { outcome: 'succeeded' }),
      ).toBeUndefined();
    } finally {
      await db.close();
    }
  });
});

describe('counting Slack Web API calls through the client fetch', () => {
  const fake = useFakeSlack();
  beforeAll(async () => {
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
  });

  const counting = (apiUrl = fake.url) => {
    const calls: [string, string | null][] = [];
    const options = slackClientOptions(apiUrl, (method, error) => calls.push([method, error]));
    // Retries quickly, as Slack's client does, for the test's patience.
    const client = new WebClient('xoxb-test', {
      ...options,
      retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 20 },
      timeout: 2000,
      logLevel: LogLevel.ERROR,
    });
    return { calls, client };
  };

  it('counts each attempt with its method, and Slack errors, rate limits and 5xx answers by name', async () => {
    const { calls, client } = counting();
    await client.chat.postMessage({ channel: 'C0GENERAL', text: 'hello' });
    fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    await expect(client.chat.postMessage({ channel: 'C0NOPE', text: 'x' })).rejects.toThrow(/channel_not_found/);
    fake.failNext('conversations.info', { status: 429, retryAfter: 0 });
    fake.failNext('conversations.info', { status: 503 });
    await client.conversations.info({ channel: 'C0GENERAL' });
    expect(calls).toEqual([
      ['chat.postMessage', null],
      ['chat.postMessage', 'channel_not_found'],
      ['conversations.info', 'ratelimited'],
      ['conversations.info', 'http_503'],
      ['conversations.info', null],
    ]);
  });

  it('counts a call that got no answer as request_error, and hands the error on', async () => {
    const { calls, client } = counting('http://127.0.0.1:1/api/');
    await expect(client.auth.test()).rejects.toThrow();
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.every(([m, e]) => m === 'auth.test' && e === 'request_error')).toBe(true);
  });

  it('names the method from the URL, and anything outside the API as one label', () => {
    const api = 'https://slack.com/api/';
    expect(slackMethod('https://slack.com/api/chat.postMessage', api)).toBe('chat.postMessage');
    expect(slackMethod('https://slack.com/api/chat.postMessage?x=1', api)).toBe('chat.postMessage');
    expect(slackMethod('https://hooks.slack.com/actions/T0/123/abc', api)).toBe('external_url');
    expect(slackMethod('https://slack.com/api/../../etc/passwd', api)).toBe('other');
  });
});
