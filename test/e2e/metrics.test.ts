import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { ALERTS_ENV, alertmanagerFixture, genericAlert, postAlerts } from '../support/alert-request.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually, type Opened } from '../support/incident-flow.js';
import { type Exposition, parsePrometheusText } from '../support/prometheus-text.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { TEST_REPORTER_ID } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

const ADMIN_TOKEN = 'metrics-admin-token-0123456789';
const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
const RESPONDER = 'U0RESPONDER';

const runbook = () =>
  parseRunbook({
    ...testRunbookData(),
    access: { responders: [RESPONDER], approvers: [] },
    playbooks: {
      nodes: {
        title: 'Node trouble',
        kind: 'incident',
        match: ['nodes'],
        mitigation: [{ text: 'List the nodes', run: ['atom-cli', 'nodes', 'list'], timeout: '10s' }],
      },
    },
  });

/**
 * Two replicas on one database, as in production: the incidents move through one (declared, paged, acknowledged,
 * a step run, rolled back, mitigated, resolved), and both are scraped over HTTP.
 */
describe('GET /metrics', () => {
  let a: BotHarness;
  let b: BotHarness;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const schema = await createMigratedTestSchema();
    drop = schema.drop;
    const env = { ADMIN_TOKEN, ATOM_CLI, ...ALERTS_ENV };
    a = await startBot({ runbook: runbook(), databaseUrl: schema.url, env });
    b = await startBot({ runbook: runbook(), databaseUrl: schema.url, env, timers: false });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await drop?.();
  });

  const scrape = async (bot: BotHarness, token: string | null = ADMIN_TOKEN) =>
    fetch(`${bot.baseUrl}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const metrics = async (bot: BotHarness): Promise<Exposition> => {
    const res = await scrape(bot);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheusText(await res.text());
  };
  /** Scrapes `bot` until `check` holds (counters move after the ack, when the work is done). */
  /** Scrapes `bot` until `check` holds; a time-out prints the bot's own series and what it last posted. */
  const until = (bot: BotHarness, check: (m: Exposition) => boolean, what: string) =>
    eventually(
      async () => {
        const m = await metrics(bot);
        return check(m) ? m : undefined;
      },
      what,
      30_000,
    ).catch(async (err) => {
      const series = (await (await scrape(bot)).text()).split('\n').filter((l) => l.startsWith('incident_bot_'));
      const posted = bot.fake.calls.slice(-8).map((c) => `${c.method} ${JSON.stringify(c.args).slice(0, 300)}`);
      console.error(`${what}:\n${series.join('\n')}\nlast Slack calls:\n${posted.join('\n')}`);
      throw err;
    });

  it('refuses without the admin token, or with another, and audits the refusal', async () => {
    for (const token of [null, 'not-the-admin-token-at-all']) {
      const res = await scrape(a, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({
        error: 'unauthorized',
        message: 'Send Authorization: Bearer <ADMIN_TOKEN>.',
      });
    }
    const { rows } = await a.db.query<{ reason: string }>(
      "SELECT reason FROM audit_log WHERE action = 'metrics_scrape' AND outcome = 'refused' ORDER BY id",
    );
    expect(rows.map((r) => r.reason)).toEqual(['no admin token', 'wrong admin token']);
  });

  it('parses as Prometheus text, with every declared metric and the process defaults', async () => {
    const m = await metrics(a);
    for (const [name, type] of [
      ['incident_bot_incidents_declared_total', 'counter'],
      ['incident_bot_open_incidents', 'gauge'],
      ['incident_bot_time_to_detect_seconds', 'histogram'],
      ['incident_bot_time_to_acknowledge_seconds', 'histogram'],
      ['incident_bot_time_to_mitigate_seconds', 'histogram'],
      ['incident_bot_time_to_resolve_seconds', 'histogram'],
      ['incident_bot_pages_sent_total', 'counter'],
      ['incident_bot_escalation_lateness_seconds', 'histogram'],
      ['incident_bot_playbook_step_runs_total', 'counter'],
      ['incident_bot_rollbacks_total', 'counter'],
      ['incident_bot_alerts_received_total', 'counter'],
      ['incident_bot_slack_api_calls_total', 'counter'],
      ['incident_bot_slack_api_errors_total', 'counter'],
      ['incident_bot_request_ack_seconds', 'histogram'],
      ['incident_bot_metrics_database_up', 'gauge'],
      ['process_cpu_seconds_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
    ]) {
      expect(m.types.get(name!), name).toBe(type);
      expect(m.help.get(name!), name).toBeTruthy();
    }
    expect(m.value('incident_bot_incidents_declared_total', { severity: 'SEV-0', source: 'alert' })).toBe(0);
    expect(m.value('incident_bot_open_incidents', { severity: 'SEV-1', status: 'investigating' })).toBe(0);
    expect(m.value('incident_bot_metrics_database_up')).toBe(1);
  });

  it('moves as an incident moves, counters on the replica that did the work, open incidents on both', async () => {
    a.fake.reset();
    // Slack refuses one call (the reporter is in the channel already), which the bot takes in its stride.
    a.fake.failNext('conversations.invite', { error: 'already_in_channel' });
    const i: Opened = await declareThroughBot(a, 'sev1 nodes keep restarting');
    // The reporter (whose invite Slack refused as already_in_channel) and the responder work in the channel: only
    // people in it run its steps.
    a.fake.channels.get(i.channelId)!.members.add(TEST_REPORTER_ID).add(RESPONDER);
    const declared = await until(
      a,
      (m) => m.value('incident_bot_pages_sent_total', { role: 'on_call', reason: 'declared' }) === 1,
      'the declaration and its page',
    );
    expect(declared.value('incident_bot_incidents_declared_total', { severity: 'SEV-1', source: 'person' })).toBe(1);
    expect(declared.value('incident_bot_open_incidents', { severity: 'SEV-1', status: 'investigating' })).toBe(1);
    expect(declared.sum('incident_bot_escalation_lateness_seconds_count', { rule: 'declared' })).toBe(1);
    expect(declared.sum('incident_bot_request_ack_seconds_count', { kind: 'command' })).toBeGreaterThanOrEqual(1);
    expect(declared.value('incident_bot_slack_api_calls_total', { method: 'conversations.create' })).toBe(1);
    expect(
      declared.value('incident_bot_slack_api_errors_total', {
        method: 'conversations.invite',
        error: 'already_in_channel',
      }),
    ).toBe(1);
    // The other replica did none of it, but reads the same open incidents from the database.
    const other = await metrics(b);
    expect(other.value('incident_bot_incidents_declared_total', { severity: 'SEV-1', source: 'person' })).toBe(0);
    expect(other.value('incident_bot_open_incidents', { severity: 'SEV-1', status: 'investigating' })).toBe(1);

    await a.clickCard({ id: i.incidentId, channelId: i.channelId, cardTs: i.cardTs }, ACTION.acknowledge, RESPONDER);
    const acked = await until(
      a,
      (m) => m.value('incident_bot_time_to_acknowledge_seconds_count', { severity: 'SEV-1' }) === 1,
      'the acknowledgement',
    );
    expect(acked.sum('incident_bot_request_ack_seconds_count', { kind: 'action' })).toBeGreaterThanOrEqual(1);

    // A playbook step, then a rollback (which runs the post-deployment checks, each a step of its own).
    const pb = a.fake.messagesIn(i.channelId).find((msg) => /^Playbook:/.test(msg.text ?? ''))!;
    await a.click({
      channelId: i.channelId,
      messageTs: pb.ts,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'nodes', s: 'mitigation.0' }),
    });
    await until(
      a,
      (m) => m.value('incident_bot_playbook_step_runs_total', { playbook: 'nodes', outcome: 'succeeded' }) === 1,
      'the step run',
    );
    a.fake.reset();
    await a.command('rollback', { channel_id: i.channelId, user_id: RESPONDER });
    const list = await a.fake.waitFor('chat.postMessage', (c) => /Recent deployments/.test(String(c.args.text)));
    await a.click({
      channelId: i.channelId,
      messageTs: (list.response as { ts: string }).ts,
      actionId: ACTION.rollbackTo,
      value: 'v57',
      userId: RESPONDER,
    });
    const rolled = await until(
      a,
      (m) => m.value('incident_bot_rollbacks_total', { outcome: 'succeeded' }) === 1,
      'the rollback',
    );
    expect(rolled.sum('incident_bot_playbook_step_runs_total', { playbook: 'rollback' })).toBeGreaterThanOrEqual(2);

    // A person paged by name is counted as `person`, not by a label of their own.
    a.fake.addUser('U0DANA', { name: 'dana', real_name: 'Dana Scully' });
    await a.command('page <@U0DANA|dana>', { channel_id: i.channelId, user_id: RESPONDER });
    const byName = await until(
      a,
      (m) => m.value('incident_bot_pages_sent_total', { role: 'person', reason: 'manual' }) === 1,
      'the page by name',
    );
    expect((await (await scrape(a)).text()).includes('U0DANA')).toBe(false);
    expect(byName.value('incident_bot_pages_sent_total', { role: 'on_call', reason: 'declared' })).toBe(1);

    await a.command('mitigated', { channel_id: i.channelId, user_id: RESPONDER });
    // The gauge is read from the database as a scrape begins, the counter as it ends: a scrape made while the change
    // commits can show the counter moved and the gauge not yet. The next one shows both.
    const mitigated = await until(
      a,
      (m) =>
        m.value('incident_bot_time_to_mitigate_seconds_count', { severity: 'SEV-1' }) === 1 &&
        m.value('incident_bot_open_incidents', { severity: 'SEV-1', status: 'mitigated' }) === 1,
      'mitigated',
    );
    expect(mitigated.value('incident_bot_open_incidents', { severity: 'SEV-1', status: 'mitigated' })).toBe(1);
    expect(mitigated.value('incident_bot_open_incidents', { severity: 'SEV-1', status: 'investigating' })).toBe(0);

    await a.command('resolve fixed it', { channel_id: i.channelId, user_id: RESPONDER });
    const resolved = await until(
      a,
      (m) =>
        m.value('incident_bot_time_to_resolve_seconds_count', { severity: 'SEV-1' }) === 1 &&
        m.sum('incident_bot_open_incidents') === 0,
      'resolved',
    );
    expect(resolved.sum('incident_bot_open_incidents')).toBe(0);
    expect(resolved.value('incident_bot_time_to_resolve_seconds_sum', { severity: 'SEV-1' })).toBeGreaterThan(0);
    // Mitigated first, so resolving did not count a second time to mitigate.
    expect(resolved.value('incident_bot_time_to_mitigate_seconds_count', { severity: 'SEV-1' })).toBe(1);
    expect((await metrics(b)).sum('incident_bot_open_incidents')).toBe(0);
  });

  it('counts each alert received, by source and level, once however often its sender retries the same delivery', async () => {
    const delivery = genericAlert({ key: 'metrics-disk', level: 'info', source: 'metrics-probe' });
    for (let n = 0; n < 2; n++) expect((await postAlerts(a.baseUrl, '/hooks/alerts', delivery)).status).toBe(202);
    expect((await postAlerts(a.baseUrl, '/hooks/alerts', { ...delivery, level: 'warning' })).status).toBe(202);
    const m = await metrics(a);
    expect(m.value('incident_bot_alerts_received_total', { source: 'metrics-probe', level: 'info' })).toBe(1);
    expect(m.value('incident_bot_alerts_received_total', { source: 'metrics-probe', level: 'warning' })).toBe(1);
    expect((await metrics(b)).sum('incident_bot_alerts_received_total')).toBe(0);
  });

  it('counts an incident the bot declared from a critical alert as declared by an alert, not a person', async () => {
    // Both replicas work the shared inbox: whichever claims the delivery declares it and counts it (a scrape of every
    // replica, summed, as Prometheus does).
    const declared = async (source: 'alert' | 'person') =>
      (await Promise.all([a, b].map(metrics)))
        .map((m) => m.value('incident_bot_incidents_declared_total', { severity: 'SEV-1', source }) ?? 0)
        .reduce((x, y) => x + y, 0);
    const people = await declared('person');
    const delivery = genericAlert({ key: 'metrics-critical', level: 'critical', source: 'metrics-critical' });
    expect((await postAlerts(a.baseUrl, '/hooks/alerts', delivery)).status).toBe(202);
    await eventually(async () => ((await declared('alert')) === 1 ? true : undefined), 'the alert declaration counted');
    expect(await declared('person')).toBe(people);
  });

  it("counts the time to detect of an incident declared from alerts: from its first alert's own start to the declaration", async () => {
    const detect = async (what: 'count' | 'sum') =>
      (await Promise.all([a, b].map(metrics)))
        .map((m) => m.value(`incident_bot_time_to_detect_seconds_${what}`, { severity: 'SEV-1' }) ?? 0)
        .reduce((x, y) => x + y, 0);
    // The earlier test's declaration is timed after it is counted declared: waited for, or its time (a fraction of a
    // second) would be taken for this one's on a loaded machine.
    const declaredByAlerts = async () =>
      (await Promise.all([a, b].map(metrics)))
        .map((m) => m.value('incident_bot_incidents_declared_total', { severity: 'SEV-1', source: 'alert' }) ?? 0)
        .reduce((x, y) => x + y, 0);
    await eventually(
      async () => ((await detect('count')) === (await declaredByAlerts()) ? true : undefined),
      'the earlier alert declarations timed',
    );
    const before = { count: await detect('count'), sum: await detect('sum') };
    // Alertmanager says the alerts started 10 and 9 minutes ago (Prometheus held them until their `for:` passed).
    const started = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    const payload = JSON.parse(alertmanagerFixture('group-firing')) as {
      groupKey: string;
      alerts: { startsAt: string; fingerprint: string }[];
    };
    payload.groupKey = '{}:{alertname="HighErrorRate", service="detect-probe"}';
    payload.alerts.forEach((alert, n) => {
      alert.startsAt = started(10 - n);
      alert.fingerprint = `detect-${n}`;
    });
    // An info alert of the group (recorded only) that started half an hour before is not when it was detected.
    payload.alerts.push({
      ...payload.alerts[0]!,
      labels: { alertname: 'PodRestarts', severity: 'info', service: 'detect-probe' },
      startsAt: started(30),
      fingerprint: 'detect-info',
    } as (typeof payload.alerts)[number]);
    expect(
      (await postAlerts(a.baseUrl, '/hooks/alertmanager?source=detect-probe', JSON.stringify(payload))).status,
    ).toBe(202);
    await eventually(
      async () => ((await detect('count')) === before.count + 1 ? true : undefined),
      'the time to detect counted once',
    );
    const seconds = (await detect('sum')) - before.sum;
    expect(seconds).toBeGreaterThanOrEqual(600);
    expect(seconds).toBeLessThan(660);
  });
});
