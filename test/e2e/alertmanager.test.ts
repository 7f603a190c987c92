import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { ALERTS_TOKEN } from '../support/alert-request.js';
import { alertRunbook, alertRunbookData, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { type AlertToPost, freePort, type RunningAlertmanager, startAlertmanager } from '../support/alertmanager.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, SIGNING_SECRET, startBot } from '../support/bot-harness.js';
import { startBotProcess } from '../support/bot-process.js';
import { BOT_USER_ID, type RecordedCall } from '../support/fake-slack.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

const json = (v: unknown) => JSON.stringify(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('end to end with a real Prometheus Alertmanager', () => {
  const fake = useFakeSlack({ reset: true });
  let drop: () => Promise<void>;
  let databaseUrl: string;
  let a: BotHarness;
  let b: BotHarness;
  let am: RunningAlertmanager;
  let processPort: number;
  let dir: string;
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    fake.addChannel('incidents', { id: INCIDENTS_CHANNEL_ID, botIsMember: true });
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
    const s = await createMigratedTestSchema();
    drop = s.drop;
    databaseUrl = s.url;
    // Two replicas on one database and one Slack; Alertmanager repeats groups every 2 s and every delivery counts.
    const bot = () =>
      startBot({
        fake,
        databaseUrl,
        incidentsChannel: true,
        runbook: alertRunbook(),
        env: { ALERTS_TOKEN, INCIDENTS_CHANNEL: INCIDENTS_CHANNEL_ID, ALERTS_REPEAT_REFRESH: '1s' },
        alerts: { duplicateWindowMs: 1 },
      });
    a = await bot();
    b = await bot();
    processPort = await freePort();
    const hook = (base: string, source: string) => `${base}/hooks/alertmanager?source=${source}`;
    am = await startAlertmanager({
      token: ALERTS_TOKEN,
      groupWait: '1s',
      groupInterval: '1s',
      repeatInterval: '2s',
      routes: [
        { suite: 'critical', urls: [hook(a.baseUrl, 'am-critical')] },
        { suite: 'warning', urls: [hook(a.baseUrl, 'am-warning')] },
        { suite: 'storm', urls: [hook(a.baseUrl, 'am-storm')], groupBy: ['alertname', 'instance'] },
        { suite: 'capped', urls: [hook(a.baseUrl, 'am-capped')], maxAlerts: 2 },
        { suite: 'pair', urls: [hook(a.baseUrl, 'am-pair'), hook(b.baseUrl, 'am-pair')] },
        { suite: 'killed', urls: [hook(`http://127.0.0.1:${processPort}`, 'am-killed')] },
      ],
    });
    dir = await mkdtemp(join(tmpdir(), 'am-bot-'));
    await writeFile(join(dir, 'runbook.yml'), stringify(alertRunbookData()));
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    await am?.stop();
    await a?.stop();
    await b?.stop();
    await drop?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const alertRows = async (source: string) =>
    (
      await a.db.query<{ fingerprint: string; status: string; count: number; alert_incident_id: number | null }>(
        'SELECT fingerprint, status, count, alert_incident_id FROM alerts WHERE source = $1 ORDER BY id',
        [source],
      )
    ).rows;
  const cardOf = async (source: string, timeoutMs = 15_000) => {
    const i = await waitUntil(
      `the card of ${source}`,
      async () => (await incidentsOfSource(a.db, source)).find((x) => x.card_ts),
      timeoutMs,
    );
    return { incident: i, text: () => json(fake.message(i.channel_id, i.card_ts!)?.blocks) };
  };
  const created = (title: string) =>
    fake.callsTo('conversations.create').filter((c) => String(c.args.name).includes(title));

  it('a critical alert opens one incident (channel, card, playbook, page); repeats and group updates open no more; resolved updates the card and offers Resolve', async () => {
    const first: AlertToPost = {
      labels: { suite: 'critical', alertname: 'HighErrorRate', severity: 'critical', service: 'api-service' },
      annotations: { summary: 'Error rate above 10% on api-service', value: '12.5%' },
      generatorURL: 'http://prometheus.example/graph?g0.expr=error_rate',
    };
    await am.post([first]);
    const { incident, text } = await cardOf('am-critical');
    expect(incident).toMatchObject({
      title: 'Error rate above 10% on api-service',
      severity: 1,
      reporter_id: BOT_USER_ID,
    });
    expect(text()).toContain('*Alerts* · 1 firing · 0 resolved · from am-critical');
    expect(text()).toContain('Check logs, identify root cause');
    // Each alert links Alertmanager's silence form for its labels (on Alertmanager's external URL).
    const silence = /<(http:\/\/[^|>]+\/#\/silences\/new\?filter=[^|>]+)\|silence>/.exec(text())?.[1];
    expect(decodeURIComponent(silence ?? '')).toContain('alertname="HighErrorRate"');
    expect(decodeURIComponent(silence ?? '')).toContain('suite="critical"');
    await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === incident.channel_id && json(c.args).includes('High Error Rates'),
    );
    await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0ONCALL' && json(c.args).includes('api-service'),
    );

    // A second alert joins the group (Alertmanager sends the group again), and the group repeats every 2 s.
    const second: AlertToPost = { ...first, labels: { ...first.labels, instance: 'node-2' } };
    await am.post([first, second]);
    await waitUntil('both alerts on the card', async () => text().includes('2 firing'));
    await waitUntil('a repeat', async () => (await alertRows('am-critical')).every((r) => r.count >= 2), 15_000);
    expect(await incidentsOfSource(a.db, 'am-critical')).toHaveLength(1);
    expect(created('error-rate')).toHaveLength(1);
    const rows = await alertRows('am-critical');
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => r.alert_incident_id)).size).toBe(1);

    // Both clear: Alertmanager sends them resolved; the card says so and the channel is offered Resolve.
    await am.resolve([first, second]);
    const offer = await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === incident.channel_id && json(c.args).includes('Every alert of this incident'),
      15_000,
    );
    expect(json(offer.args)).toContain(ACTION.resolve);
    await waitUntil('the card to show them resolved', async () => text().includes('0 firing · 2 resolved'));
    expect((await incidentsOfSource(a.db, 'am-critical'))[0]!.status).toBe('investigating');
  }, 60_000);

  it("a receiver's max_alerts: the alerts it leaves out of a group's deliveries are named on the card", async () => {
    const node = (i: number): AlertToPost => ({
      labels: {
        suite: 'capped',
        alertname: 'HighErrorRate',
        severity: 'critical',
        service: 'api-service',
        instance: `node-${i}`,
      },
      annotations: { summary: 'Error rate above 10% on api-service' },
    });
    await am.post([0, 1, 2, 3, 4].map(node));
    const { text } = await cardOf('am-capped');
    await waitUntil('the card to name the 3 left out', async () => text().includes('3 more alerts not sent'), 15_000);
    expect(text()).toContain('*Alerts* · 2 firing');
    expect(await alertRows('am-capped')).toHaveLength(2);
  }, 60_000);

  it('a warning posts a notice whose Declare incident button opens the form, prefilled, and declares', async () => {
    await am.post([
      {
        labels: { suite: 'warning', alertname: 'SlowResponseTime', severity: 'warning', service: 'web-platform' },
        annotations: { summary: 'p95 above 3s on web-platform', value: '3.8s' },
      },
    ]);
    const notice = await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('SlowResponseTime'),
      15_000,
    );
    expect(json(notice.args)).toContain('Investigate slow queries');
    const actions = notice.args.blocks.find((x: { type: string }) => x.type === 'actions');
    await a.click({
      channelId: INCIDENTS_CHANNEL_ID,
      messageTs: notice.response!.ts,
      actionId: ACTION.declareFromAlert,
      blockId: actions.block_id,
      value: actions.elements[0].value,
    });
    const view = (await fake.waitFor('views.open')).args.view;
    expect(json(view.blocks)).toContain('"initial_value":"p95 above 3s on web-platform"');
    await a.submit({
      callbackId: VIEW.declare,
      privateMetadata: view.private_metadata,
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: { type: 'static_select', selected_option: { value: '2' } } },
        [BLOCK.declareTitle]: { [INPUT.text]: { type: 'plain_text_input', value: 'p95 above 3s on web-platform' } },
      },
    });
    const { incident, text } = await cardOf('am-warning');
    expect(incident.severity).toBe(2);
    expect(text()).toContain('SlowResponseTime');
    // Alertmanager's repeats of the warning join that incident: no second notice.
    await sleep(3000);
    await inboxDone(a.db);
    const notices = fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('Warning alert'));
    expect(notices).toHaveLength(1);
    expect(await incidentsOfSource(a.db, 'am-warning')).toHaveLength(1);
  }, 60_000);

  it('storm control caps the incidents of a source and loses no alert', async () => {
    const nodes = [1, 2, 3, 4, 5].map((n) => ({
      labels: { suite: 'storm', alertname: 'HighCpuUsage', severity: 'critical', instance: `node-${n}` },
      annotations: { summary: `CPU above 90% on node-${n}` },
    }));
    await am.post(nodes);
    await waitUntil('all five alerts', async () => (await alertRows('am-storm')).length === 5, 15_000);
    await inboxDone(a.db);
    const incidents = await incidentsOfSource(a.db, 'am-storm');
    expect(incidents).toHaveLength(3);
    const rows = await alertRows('am-storm');
    expect(rows.every((r) => r.alert_incident_id !== null)).toBe(true);
    // The card the storm's alerts joined ends showing all three (its own and the two that joined), not the count it had
    // when a refresh under way read them.
    await waitUntil(
      'the storm on a card, with its three alerts',
      async () => {
        for (const i of await incidentsOfSource(a.db, 'am-storm')) {
          const blocks = i.card_ts ? json(fake.message(i.channel_id, i.card_ts)?.blocks) : '';
          if (blocks.includes('Alert storm') && blocks.includes('3 firing')) return i;
        }
        return null;
      },
      15_000,
      async () => {
        const seen = [];
        for (const i of await incidentsOfSource(a.db, 'am-storm')) {
          const blocks = i.card_ts ? json(fake.message(i.channel_id, i.card_ts)?.blocks) : '(no card)';
          seen.push(`#${i.number} ${i.title}: ${/\*Alerts\*[^"]*/.exec(blocks)?.[0] ?? blocks.slice(0, 300)}`);
        }
        const { rows } = await a.db.query(
          'SELECT ai.id, ai.incident_id, ai.storm, ai.state, ai.card_due_at, count(al.id)::int AS alerts FROM alert_incidents ai LEFT JOIN alerts al ON al.alert_incident_id = ai.id WHERE ai.source = $1 GROUP BY ai.id ORDER BY ai.id',
          ['am-storm'],
        );
        return [...seen, json(rows)].join('\n');
      },
    );
  }, 60_000);

  it('two bot processes receiving the same group process it once', async () => {
    const pair = [1, 2].map((n) => ({
      labels: {
        suite: 'pair',
        alertname: 'HighMemoryUsage',
        severity: 'critical',
        service: 'api-service',
        instance: `i-${n}`,
      },
      annotations: { summary: 'Memory above 95% on api-service' },
    }));
    await am.post(pair);
    const { incident } = await cardOf('am-pair');
    // Both replicas took deliveries; one incident, one channel, one card, one page.
    await waitUntil('deliveries at both replicas', async () => {
      const { rows } = await a.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM alert_deliveries WHERE source = 'am-pair'`,
      );
      return rows[0]!.n >= 2;
    });
    await sleep(2500);
    await inboxDone(a.db);
    expect(await incidentsOfSource(a.db, 'am-pair')).toHaveLength(1);
    expect(created('memory')).toHaveLength(1);
    const cards = fake
      .callsTo('chat.postMessage')
      .filter((c: RecordedCall) => c.args.channel === incident.channel_id && json(c.args).includes('*Alerts*'));
    expect(cards).toHaveLength(1);
    const pages = fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === 'U0ONCALL' && json(c.args).includes('Memory above 95%'));
    expect(pages).toHaveLength(1);
    expect(await alertRows('am-pair')).toHaveLength(2);
  }, 60_000);

  it('a bot killed (-9) after its 202 loses nothing: the next process records and declares the alert', async () => {
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-killed',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      DATABASE_URL: databaseUrl,
      RUNBOOK_FILE: join(dir, 'runbook.yml'),
      PORT: String(processPort),
      LOG_LEVEL: 'error',
      ALERTS_TOKEN,
    };
    // The two replicas above stop working the inbox, so that only the killed process and the next one can.
    await a.alerts.stop();
    await b.alerts.stop();
    // Hold the source's lock: the first process takes the delivery and then waits, as if killed mid-way.
    const holder = new pg.Client({ connectionString: databaseUrl });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(hashtext($1))', ['alerts:am-killed']);
      const first = (await startBotProcess(env)).proc;
      procs.push(first);
      await am.post([
        {
          labels: { suite: 'killed', alertname: 'DatabasePoolSaturated', severity: 'critical', service: 'db' },
          annotations: { summary: 'Connection pool at 97%' },
        },
      ]);
      await waitUntil(
        'the delivery, answered 202 and taken',
        async () => {
          const { rows } = await a.db.query<{ attempts: number }>(
            `SELECT attempts FROM alert_deliveries WHERE source = 'am-killed' ORDER BY id LIMIT 1`,
          );
          return (rows[0]?.attempts ?? 0) >= 1;
        },
        15_000,
      );
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      expect(await incidentsOfSource(a.db, 'am-killed')).toHaveLength(0);
      expect(await alertRows('am-killed')).toHaveLength(0);
      expect(created('pool')).toHaveLength(0);
    } finally {
      await holder.query('SELECT pg_advisory_unlock_all()');
      await holder.end();
    }
    const second = (await startBotProcess(env)).proc;
    procs.push(second);
    // Its lease (10 s) runs out, then the second process takes the delivery.
    const { incident } = await cardOf('am-killed', 45_000);
    expect(incident.title).toBe('Connection pool at 97%');
    await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0ONCALL' && json(c.args).includes('pool'),
      15_000,
    );
    await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === incident.channel_id && json(c.args).includes('Connection Pool Exhaustion'),
    );
    expect(created('pool')).toHaveLength(1);
    expect(await alertRows('am-killed')).toHaveLength(1);
    second.kill('SIGTERM');
  }, 180_000);
});
