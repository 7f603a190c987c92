import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { alertSignature } from '../../src/http/alert-auth.js';
import { type RunningBot, start } from '../../src/start.js';
import {
  ALERTS_ENV,
  ALERTS_SIGNING_SECRET,
  ALERTS_TOKEN,
  alertmanagerFixture,
  genericAlert,
  grafanaFixture,
  type PostedAlert,
  postAlerts,
  QSTASH_NEXT,
  qstashSignature,
} from '../support/alert-request.js';
import { inboxDone, waitUntil } from '../support/alert-runbook.js';
import { startBot, useBot } from '../support/bot-harness.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the alert hooks at the HTTP edge', () => {
  const bot = useBot({ env: ALERTS_ENV, incidentsChannel: true });
  // Each test's deliveries are worked through (their incidents declared) before the next looks at what was opened.
  afterEach(async () => inboxDone(bot.db));
  const deliveries = async () =>
    Number((await bot.db.query<{ n: string }>('SELECT count(*) AS n FROM alert_deliveries')).rows[0]!.n);
  const alerts = async () => Number((await bot.db.query<{ n: string }>('SELECT count(*) AS n FROM alerts')).rows[0]!.n);
  /** Posts, expects the status, and that nothing was recorded and nothing opened in Slack. */
  const refused = async (status: number, post: () => Promise<PostedAlert>) => {
    const before = await deliveries();
    const r = await post();
    expect(r.status, r.text).toBe(status);
    expect(r.json, r.text).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    expect(r.text).not.toMatch(/at .*\.ts:\d+|Error: /);
    await sleep(50);
    expect(await deliveries()).toBe(before);
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
    return r;
  };

  it('takes a real Alertmanager delivery with its bearer token: 202, written before the answer', async () => {
    const r = await postAlerts(bot.baseUrl, '/hooks/alertmanager', alertmanagerFixture('group-firing'));
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ status: 'accepted', alerts: 2, delivery: expect.any(Number) });
    const { rows } = await bot.db.query<{ source: string; group_key: string; format: string }>(
      'SELECT source, group_key, format FROM alert_deliveries WHERE id = $1',
      [r.json.delivery],
    );
    expect(rows[0]).toEqual({
      source: 'alertmanager',
      format: 'alertmanager',
      group_key: '{}:{alertname="HighErrorRate", service="api-service"}',
    });
    await bot.fake.waitFor('conversations.create');
    expect(await alerts()).toBe(2);
  });

  it("takes Grafana Alerting's webhook body unchanged (version 1): 202, and its critical alerts open an incident", async () => {
    const r = await postAlerts(bot.baseUrl, '/hooks/alertmanager?source=grafana', grafanaFixture('firing'));
    expect(r.status, r.text).toBe(202);
    expect(r.json).toMatchObject({ status: 'accepted', alerts: 2 });
    const created = await bot.fake.waitFor('conversations.create');
    expect(String(created.args.name)).toContain('error-rate-above-10-on-api-service');
    const { rows } = await bot.db.query<{ fingerprint: string; level: string; alert_incident_id: number | null }>(
      `SELECT fingerprint, level, alert_incident_id FROM alerts WHERE source = 'grafana' ORDER BY fingerprint`,
    );
    expect(rows).toEqual([
      { fingerprint: 'bc97ff14869b13e3', level: 'critical', alert_incident_id: expect.any(Number) },
      { fingerprint: 'c6eadffa33fcdf37', level: 'critical', alert_incident_id: expect.any(Number) },
    ]);
    // The card's alert lines link each alert's source and, beside it, its graph (Grafana's panelURL), its runbook (the
    // runbook_url annotation) and where it is silenced (Grafana's silenceURL).
    // The card, in the incident's channel (the page's direct message links the runbook too, and may come first).
    const channelId = bot.fake.channelByName(String(created.args.name))!.id;
    const card = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /runbook>/.test(JSON.stringify(c.args)),
    );
    expect(String(card.args.text)).toMatch(/^SEV-1 incident #\d+: /);
    expect(JSON.stringify(card.args)).toContain(
      '<https://grafana.example/alerting/grafana/be1xq8a2z/view?orgId=1|*HighErrorRate*> (<https://grafana.example/d/api-overview?orgId=1&viewPanel=4|graph> · <https://runbooks.example/high-error-rate|runbook> · <https://grafana.example/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DHighErrorRate&matcher=grafana_folder%3DAPI&matcher=service%3Dapi-service&matcher=severity%3Dcritical&matcher=zone%3Deu-1&orgId=1|silence>)',
    );
    // What each rule measured (Grafana's values: the reduced value, not the condition's 1), named as a value: this
    // bot's runbook has no row for the alert, so no metric names it.
    expect(JSON.stringify(card.args)).toContain(
      'api-service · value 12.53 · Error rate above 10% on api-service (eu-1)',
    );
    expect(JSON.stringify(card.args)).toContain(
      'api-service · value 11.2 · Error rate above 10% on api-service (us-1)',
    );
  });

  it('recognises a retried delivery (the same body moments later): 202, not written twice', async () => {
    const body = JSON.stringify(genericAlert({ key: 'retried', level: 'info', metric: 'agent_execution_rate' }));
    const first = await postAlerts(bot.baseUrl, '/hooks/alerts', body);
    expect(first.json.status).toBe('accepted');
    const before = await deliveries();
    const again = await postAlerts(bot.baseUrl, '/hooks/alerts', body);
    expect(again.status).toBe(202);
    expect(again.json).toMatchObject({ status: 'duplicate', delivery: first.json.delivery });
    expect(await deliveries()).toBe(before);
    // Copies arriving at once (an Alertmanager HA pair): exactly one is written.
    const copy = JSON.stringify(genericAlert({ key: 'ha-pair', level: 'info', metric: 'agent_execution_rate' }));
    const answers = await Promise.all(Array.from({ length: 10 }, () => postAlerts(bot.baseUrl, '/hooks/alerts', copy)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    expect(answers.filter((a) => a.json.status === 'accepted')).toHaveLength(1);
    expect(await deliveries()).toBe(before + 1);
  });

  it('takes the generic format with a bearer token, an HMAC signature, or a QStash signature (either key)', async () => {
    const info = (key: string) => genericAlert({ key, level: 'info', metric: 'agent_execution_rate' });
    expect((await postAlerts(bot.baseUrl, '/hooks/alerts', info('bearer'))).status).toBe(202);
    expect((await postAlerts(bot.baseUrl, '/hooks/alerts', info('hmac'), { hmac: {} })).status).toBe(202);
    expect((await postAlerts(bot.baseUrl, '/hooks/alerts', info('qstash'), { qstash: {} })).status).toBe(202);
    const next = await postAlerts(bot.baseUrl, '/hooks/alerts', info('qstash-next'), { qstash: { key: QSTASH_NEXT } });
    expect(next.status).toBe(202);
    // Behind a proxy: signed for the public URL, the public host in X-Forwarded-Host.
    const proxied = await postAlerts(bot.baseUrl, '/hooks/alerts', info('qstash-proxied'), {
      qstash: { url: 'https://bot.example.com/hooks/alerts' },
      headers: { 'x-forwarded-host': 'bot.example.com' },
    });
    expect(proxied.status, proxied.text).toBe(202);
    const { rows } = await bot.db.query<{ group_key: string }>(
      `SELECT group_key FROM alert_deliveries WHERE group_key IN ('bearer', 'hmac', 'qstash', 'qstash-next')`,
    );
    expect(rows.map((r) => r.group_key).sort()).toEqual(['bearer', 'hmac', 'qstash', 'qstash-next']);
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
  });

  it('takes HTTP basic auth with the token as the password (or the user name): senders that offer only that', async () => {
    const basic = (pair: string) => ({ token: null, headers: { authorization: `Basic ${btoa(pair)}` } });
    const info = (key: string) => genericAlert({ key, level: 'info' });
    expect((await postAlerts(bot.baseUrl, '/hooks/alerts', info('basic-user'), basic(`${ALERTS_TOKEN}:`))).status).toBe(
      202,
    );
    expect((await postAlerts(bot.baseUrl, '/hooks/alerts', info('basic-bare'), basic(ALERTS_TOKEN))).status).toBe(202);
    const wrong = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', info('basic-wrong'), basic(`${ALERTS_TOKEN}:not-the-token`)),
    );
    expect(wrong.json.message).toMatch(/wrong password in basic auth \(send ALERTS_TOKEN as the password\)/);
    expect(wrong.text).not.toContain(ALERTS_TOKEN);
    const scheme = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', info('token-scheme'), {
        token: null,
        headers: { authorization: `Token ${ALERTS_TOKEN}` },
      }),
    );
    expect(scheme.json.message).toMatch(/the Authorization scheme "Token" is not taken: send "Bearer <ALERTS_TOKEN>"/);
    expect(scheme.text).not.toContain(ALERTS_TOKEN);
    // Alertmanager's `basic_auth` (username anything, password the token): its critical group opens an incident.
    const am = JSON.parse(alertmanagerFixture('group-firing'));
    const fresh = {
      ...am,
      groupKey: 'basic-auth-group',
      alerts: am.alerts.map((a: { fingerprint: string }) => ({ ...a, fingerprint: `basic-${a.fingerprint}` })),
    };
    const r = await postAlerts(bot.baseUrl, '/hooks/alertmanager', fresh, basic(`alertmanager:${ALERTS_TOKEN}`));
    expect(r.status, r.text).toBe(202);
    expect(r.json).toMatchObject({ status: 'accepted', alerts: 2 });
  });

  it('takes the HMAC signature as bare hex, in upper case, in base64, or among several (a secret being rotated)', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const signedAs = async (key: string, form: (hex: string) => string) => {
      const body = JSON.stringify(genericAlert({ key, level: 'info' }));
      const hex = alertSignature(ALERTS_SIGNING_SECRET, ts, body).slice('sha256='.length);
      return postAlerts(bot.baseUrl, '/hooks/alerts', body, { hmac: { timestamp: Number(ts), signature: form(hex) } });
    };
    expect((await signedAs('bare-hex', (h) => h)).status).toBe(202);
    expect((await signedAs('upper-hex', (h) => `SHA256=${h.toUpperCase()}`)).status).toBe(202);
    expect((await signedAs('rotating', (h) => `sha256=${'0'.repeat(64)}, sha256=${h}`)).status).toBe(202);
    // Base64, as many HMAC helpers give it (`openssl dgst -binary | base64`), with or without `sha256=`; its case is
    // its own, so the same letters in another case are refused.
    const b64 = (h: string) => Buffer.from(h, 'hex').toString('base64');
    expect((await signedAs('base64', (h) => b64(h))).status).toBe(202);
    expect((await signedAs('base64-prefixed', (h) => `sha256=${b64(h)}`)).status).toBe(202);
    const swapped = (t: string) =>
      t.replace(/[a-zA-Z]/g, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
    await refused(401, () => signedAs('base64-case', (h) => swapped(b64(h))));
    const wrong = await refused(401, () => signedAs('wrong', () => `sha256=${'0'.repeat(64)}`));
    expect(wrong.json.message).toMatch(/sha256=<hex HMAC-SHA256 of "<timestamp>\.<body>" with ALERTS_SIGNING_SECRET>/);
    const sentMs = Date.now();
    const ms = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ key: 'ms' }), { hmac: { timestamp: sentMs } }),
    );
    // With what came, as the other bad forms say.
    expect(ms.json.message).toMatch(/looks like milliseconds: send Unix seconds/);
    expect(ms.json.message).toContain(`(and sign those), got "${sentMs}"`);
    // A timestamp that is there but not whole seconds is named as such, with what came (cut), not taken for missing.
    const g = genericAlert({ key: 'ts' });
    for (const [sent, shown] of [
      ['1796231234.0', '"1796231234.0"'],
      ['2026-01-01T00:00:00Z', '"2026-01-01T00:00:00Z"'],
      ['9'.repeat(20) + 'x'.repeat(40), `"${'9'.repeat(20)}${'x'.repeat(19)}…"`],
    ]) {
      const r = await refused(401, () =>
        postAlerts(bot.baseUrl, '/hooks/alerts', g, {
          token: null,
          headers: { 'x-alerts-signature': 'sha256=00', 'x-alerts-timestamp': sent! },
        }),
      );
      expect(r.json.message).toMatch(
        /^Refused: x-alerts-timestamp must be whole seconds since 1970 \(Unix time, such as \d{10}\), got /,
      );
      expect(r.json.message).toContain(`got ${shown}`);
      expect(r.json.message).not.toMatch(/needs/);
    }
    const none = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', g, { token: null, headers: { 'x-alerts-signature': 'sha256=00' } }),
    );
    expect(none.json.message).toMatch(/a signed request needs x-alerts-timestamp/);
  });

  it('401 for a missing or wrong token or signature, and for a stale timestamp; nothing recorded', async () => {
    const am = alertmanagerFixture('group-firing');
    const g = genericAlert({ key: 'refused' });
    const now = Math.floor(Date.now() / 1000);
    await refused(401, () => postAlerts(bot.baseUrl, '/hooks/alertmanager', am, { token: null }));
    await refused(401, () => postAlerts(bot.baseUrl, '/hooks/alertmanager', am, { token: `${ALERTS_TOKEN}x` }));
    await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alertmanager', am, { token: null, headers: { authorization: 'Basic Ym90OnB3' } }),
    );
    // Alertmanager's hook takes the bearer token only.
    await refused(401, () => postAlerts(bot.baseUrl, '/hooks/alertmanager', am, { hmac: {} }));
    await refused(401, () => postAlerts(bot.baseUrl, '/hooks/alerts', g, { token: null }));
    await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', g, { hmac: { secret: `${ALERTS_SIGNING_SECRET}x` } }),
    );
    await refused(401, () => postAlerts(bot.baseUrl, '/hooks/alerts', g, { hmac: { signature: 'sha256=00' } }));
    await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', g, { qstash: { key: 'sig_somebody_else_0123456789abcdef' } }),
    );
    await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', g, { qstash: { body: JSON.stringify(genericAlert({ key: 'other' })) } }),
    );
    // Signed with the current key but expired, or with no expiry, or from another issuer: said as such (the next key's
    // failed try is not what went wrong).
    const expired = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', g, { qstash: { expiresIn: -60 } }),
    );
    expect(expired.json.message).toMatch(/QStash signature refused \(.*"exp" claim timestamp check failed/);
    const forever = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', g, { qstash: { expiresIn: null } }),
    );
    expect(forever.json.message).toContain('QStash signature refused (the JWT has no expiry');
    const issuer = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', g, { qstash: { issuer: 'Somebody' } }),
    );
    expect(issuer.json.message).toMatch(/QStash signature refused \(.*"iss" claim/);
    // Signed with the right key for the right body, but for another app's endpoint (or another path of this host).
    const other = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', g, { qstash: { url: 'https://other-app.example/api/webhook' } }),
    );
    expect(other.json.message).toMatch(/signed for another URL \("https:\/\/other-app\.example\/api\/webhook", not/);
    const path = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', g, { qstash: { url: `${bot.baseUrl}/api/webhook` } }),
    );
    expect(path.json.message).toMatch(/signed for another URL/);
    const host = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', g, {
        qstash: { url: 'https://bot.example.com/hooks/alerts' },
        headers: { 'x-forwarded-host': 'evil.example.com' },
      }),
    );
    expect(host.json.message).toMatch(/signed for another URL/);
    // The whole URL must be this one: its query, its scheme, no fragment, and a Host that is only a host.
    for (const [url, headers] of [
      [`${bot.baseUrl}/hooks/alerts?source=other`, {}],
      [`${bot.baseUrl.replace('http:', 'ftp:')}/hooks/alerts`, {}],
      [`${bot.baseUrl}/hooks/alerts#x`, {}],
      ['https://bot.example.com/hooks/alerts', { 'x-forwarded-host': 'evil@bot.example.com' }],
    ] as const) {
      const r = await refused(401, () => postAlerts(bot.baseUrl, '/hooks/alerts', g, { qstash: { url }, headers }));
      expect(r.json.message, url).toMatch(/signed for another URL/);
    }
    const stale = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', g, { hmac: { timestamp: now - 6 * 60 } }),
    );
    expect(stale.json.message).toMatch(/stale timestamp: x-alerts-timestamp is 3\d\d s in the past/);
    const future = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', g, { hmac: { timestamp: now + 6 * 60 } }),
    );
    expect(future.json.message).toMatch(/in the future/);
    // A correct signature of a replayed request is still refused once its timestamp is stale.
    const body = JSON.stringify(g);
    const r = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', body, { hmac: { timestamp: now - 301 } }),
    );
    expect(r.json.error).toBe('unauthorized');
  });

  it('400 naming the problem: malformed JSON, a missing field, an unknown status or level', async () => {
    const post = (path: string, body: unknown) => postAlerts(bot.baseUrl, path, body as object);
    const json = await refused(400, () => post('/hooks/alerts', '{"source": "x", '));
    expect(json.json.error).toBe('malformed_json');
    const noKey = await refused(400, () => post('/hooks/alerts', { ...genericAlert(), key: undefined }));
    expect(noKey.json).toMatchObject({ error: 'missing_field', message: 'key: is missing' });
    const status = await refused(400, () => post('/hooks/alerts', genericAlert({ status: 'burning' })));
    expect(status.json).toMatchObject({ error: 'unknown_status', message: expect.stringMatching(/^status: /) });
    const level = await refused(400, () => post('/hooks/alerts', genericAlert({ level: 'urgent' })));
    expect(level.json).toMatchObject({ error: 'unknown_level', message: expect.stringMatching(/^level: /) });
    const many = await refused(400, () => post('/hooks/alerts', { source: 'x' }));
    expect(many.json.problems).toEqual(
      expect.arrayContaining(['key: is missing', 'status: is missing', 'level: is missing']),
    );
    expect((await refused(400, () => post('/hooks/alerts', [genericAlert()]))).json.error).toBe('invalid_payload');

    const am = JSON.parse(alertmanagerFixture('group-firing')) as Record<string, unknown> & {
      alerts: Record<string, unknown>[];
    };
    const noGroup = await refused(400, () => post('/hooks/alertmanager', { ...am, groupKey: undefined }));
    expect(noGroup.json).toMatchObject({ error: 'missing_field', message: 'groupKey: is missing' });
    const badAlert = { ...am, alerts: [{ ...am.alerts[0], status: 'pending' }] };
    const amStatus = await refused(400, () => post('/hooks/alertmanager', badAlert));
    expect(amStatus.json).toMatchObject({
      error: 'unknown_status',
      message: expect.stringMatching(/^alerts\[0\]\.status: /),
    });
    // A severity label the bot does not know is taken (as a warning, saying so), not refused: a 400 would make
    // Alertmanager drop the alert.
    const odd = {
      ...am,
      alerts: [{ ...am.alerts[0], labels: { alertname: 'SomethingElse', severity: 'purple' } }],
    };
    const amLevel = await post('/hooks/alertmanager', odd);
    expect(amLevel.status).toBe(202);
    const empty = await refused(400, () => post('/hooks/alertmanager', { ...am, alerts: [] }));
    expect(empty.json.message).toBe('alerts: must hold at least one alert');

    // Each hook given the other's format (a URL pasted wrong) says where it goes, not every field it lacks.
    const amToGeneric = await refused(400, () => post('/hooks/alerts', am));
    expect(amToGeneric.json.message).toMatch(
      /^body: this is an Alertmanager webhook delivery .*POST \/hooks\/alertmanager/,
    );
    const genericToAm = await refused(400, () => post('/hooks/alertmanager', genericAlert()));
    expect(genericToAm.json.message).toMatch(/^body: this is an alert in the generic format .*POST \/hooks\/alerts;/);
  });

  it('400 names each field as its sender finds it in their JSON: alerts[1].labels.n, labels["app.kubernetes.io/name"]', async () => {
    const post = (path: string, body: unknown) => postAlerts(bot.baseUrl, path, body as object);
    const am = JSON.parse(alertmanagerFixture('group-firing')) as Record<string, unknown> & {
      alerts: Record<string, unknown>[];
    };
    // The second alert of the group (jq's `.alerts[1]`), a label of it that is not text.
    const second = { ...am.alerts[1], labels: { alertname: 'HighErrorRate', n: 1 } };
    const label = await refused(400, () => post('/hooks/alertmanager', { ...am, alerts: [am.alerts[0], second] }));
    expect(label.json).toMatchObject({ error: 'invalid_payload', message: 'alerts[1].labels.n: must be text' });
    const status = await refused(400, () =>
      post('/hooks/alertmanager', { ...am, alerts: [am.alerts[0], { ...am.alerts[1], status: 'pending' }] }),
    );
    expect(status.json).toMatchObject({
      error: 'unknown_status',
      message: expect.stringMatching(/^alerts\[1\]\.status: /),
    });
    const time = await refused(400, () =>
      post('/hooks/alertmanager', { ...am, alerts: [{ ...am.alerts[0], startsAt: 'yesterday' }] }),
    );
    expect(time.json.problems).toEqual([expect.stringMatching(/^alerts\[0\]\.startsAt: must be a time/)]);
    // A label name that is no identifier (Kubernetes' dotted names) is quoted, as jq writes it: `.labels["a.b/c"]`.
    const dotted = await refused(400, () =>
      post('/hooks/alerts', genericAlert({ labels: { 'app.kubernetes.io/name': { x: 1 } } })),
    );
    expect(dotted.json).toMatchObject({
      error: 'invalid_payload',
      message: 'labels["app.kubernetes.io/name"]: must be text',
    });
  });

  it("takes a generic alert whose optional fields are null (a script's None) as if they were left out", async () => {
    const body = genericAlert({
      source: 'null-fields',
      key: 'disk-check',
      level: 'info',
      name: null,
      metric: null,
      value: null,
      threshold: null,
      service: null,
      summary: null,
      labels: null,
      url: null,
      runbook_url: null,
    });
    const r = await postAlerts(bot.baseUrl, '/hooks/alerts', body);
    expect(r.status, r.text).toBe(202);
    expect(r.json).toMatchObject({ status: 'accepted', alerts: 1 });
    const row = await waitUntil('the alert recorded', async () => {
      const { rows } = await bot.db.query<{ name: string; summary: string; labels: unknown; url: string | null }>(
        `SELECT name, summary, labels, url FROM alerts WHERE source = 'null-fields'`,
      );
      return rows[0];
    });
    expect(row).toEqual({ name: 'disk-check', summary: 'disk-check', labels: {}, url: null });
    // Required fields are still required: null is no key, status or level.
    const noKey = await refused(400, () => postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ key: null })));
    expect(noKey.json.error).toBe('invalid_payload');
    const noLevel = await refused(400, () => postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ level: null })));
    expect(noLevel.json.error).toBe('unknown_level');
  });

  it('leaves out a generic label sent as null (an unset variable), as Prometheus takes an empty label for none', async () => {
    const body = genericAlert({
      source: 'null-label',
      key: 'backup',
      level: 'info',
      labels: { region: null, tenant: 'acme', shard: 3 },
    });
    const r = await postAlerts(bot.baseUrl, '/hooks/alerts', body);
    expect(r.status, r.text).toBe(202);
    const labels = await waitUntil('the alert recorded', async () => {
      const { rows } = await bot.db.query<{ labels: unknown }>(`SELECT labels FROM alerts WHERE source = 'null-label'`);
      return rows[0]?.labels;
    });
    expect(labels).toEqual({ tenant: 'acme', shard: '3' });
    // A value that is no text, number or true/false is still refused, naming the label.
    const nested = await refused(400, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ labels: { region: { name: 'eu' } } })),
    );
    expect(nested.json.message).toBe('labels.region: must be text');
  });

  it("takes a generic value or threshold sent as true/false (a check's result) as its text, not refused", async () => {
    const body = genericAlert({
      source: 'bool-value',
      key: 'replication-ok',
      level: 'warning',
      name: 'ReplicationCheck',
      metric: 'replication_ok',
      value: false,
      threshold: true,
      summary: null,
    });
    const r = await postAlerts(bot.baseUrl, '/hooks/alerts', body);
    expect(r.status, r.text).toBe(202);
    const row = await waitUntil('the alert recorded', async () => {
      const { rows } = await bot.db.query<{ value: string; threshold: string; summary: string }>(
        `SELECT value, threshold, summary FROM alerts WHERE source = 'bool-value'`,
      );
      return rows[0];
    });
    expect(row).toEqual({ value: 'false', threshold: 'true', summary: 'api-service replication_ok is false (true)' });
    // What is neither a number, a text nor true/false is still refused, saying what is taken.
    const listed = await refused(400, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ source: 'bool-value', value: [1] })),
    );
    expect(listed.json.message).toBe('value: must be a number, a text or true/false');
  });

  it('shows a generic value too large for a number (1e400) as the sender sent it, not as Infinity', async () => {
    const body = JSON.stringify(
      genericAlert({ source: 'huge-value', key: 'huge', level: 'warning', name: 'HugeValue', summary: null }),
    )
      .replace('"value":"12.5%"', '"value":1e400')
      .replace('"threshold":"> 10%"', '"threshold":-2E+999');
    expect(body).toContain('"value":1e400');
    const r = await postAlerts(bot.baseUrl, '/hooks/alerts', body);
    expect(r.status, r.text).toBe(202);
    const row = await waitUntil('the alert recorded', async () => {
      const { rows } = await bot.db.query<{ value: string; threshold: string; summary: string }>(
        `SELECT value, threshold, summary FROM alerts WHERE source = 'huge-value'`,
      );
      return rows[0];
    });
    expect(row).toEqual({ value: '1e400', threshold: '-2E+999', summary: 'api-service error_rate is 1e400 (-2E+999)' });
    // The notice people see says it too.
    const notice = await bot.fake.waitFor('chat.postMessage', (m) => JSON.stringify(m.args).includes('HugeValue'));
    expect(JSON.stringify(notice.args)).toContain('1e400');
    expect(JSON.stringify(notice.args)).not.toContain('Infinity');
  });

  it('keeps whole numbers past 2^53 as sent (a numeric key, a value), not rounded: two keys that round alike are two alerts', async () => {
    const send = (key: string) =>
      postAlerts(
        bot.baseUrl,
        '/hooks/alerts',
        JSON.stringify(genericAlert({ source: 'big-numbers', key: 'KEY', level: 'info', name: 'BigNumbers' }))
          .replace('"key":"KEY"', `"key":${key}`)
          .replace('"value":"12.5%"', '"value":9007199254740993'),
      );
    // Both read as 12345678901234567000 by JSON.parse.
    for (const key of ['12345678901234567891', '12345678901234567892']) {
      const r = await send(key);
      expect(r.status, r.text).toBe(202);
    }
    const rows = await waitUntil('both alerts recorded', async () => {
      const { rows } = await bot.db.query<{ row: string }>(
        `SELECT row_to_json(a)::text AS row FROM alerts a WHERE source = 'big-numbers' ORDER BY id`,
      );
      return rows.length === 2 ? rows.map((r) => r.row) : undefined;
    });
    expect(rows[0]).toContain('12345678901234567891');
    expect(rows[1]).toContain('12345678901234567892');
    expect(rows[0]).toContain('9007199254740993');
    expect(rows.join()).not.toContain('12345678901234567000');
  });

  it('keeps a decimal of more digits than a double holds as sent (value, threshold), stored and shown, not rounded', async () => {
    const body = JSON.stringify(
      genericAlert({ source: 'long-decimals', key: 'long', level: 'warning', name: 'LongDecimals', summary: null }),
    )
      .replace('"value":"12.5%"', '"value":0.12345678901234567890123')
      .replace('"threshold":"> 10%"', '"threshold":-98765.432109876543210');
    // JSON.parse reads them as 0.12345678901234568 and -98765.43210987654.
    expect(JSON.parse(body).value).toBe(0.12345678901234568);
    const r = await postAlerts(bot.baseUrl, '/hooks/alerts', body);
    expect(r.status, r.text).toBe(202);
    const row = await waitUntil('the alert recorded', async () => {
      const { rows } = await bot.db.query<{ value: string; threshold: string; summary: string }>(
        `SELECT value, threshold, summary FROM alerts WHERE source = 'long-decimals'`,
      );
      return rows[0];
    });
    expect(row).toEqual({
      value: '0.12345678901234567890123',
      threshold: '-98765.432109876543210',
      summary: 'api-service error_rate is 0.12345678901234567890123 (-98765.432109876543210)',
    });
    // The notice people see says it as sent.
    const notice = await bot.fake.waitFor('chat.postMessage', (m) => JSON.stringify(m.args).includes('LongDecimals'));
    expect(JSON.stringify(notice.args)).toContain('0.12345678901234567890123');
    expect(JSON.stringify(notice.args)).toContain('-98765.432109876543210');
    expect(JSON.stringify(notice.args)).not.toContain('0.12345678901234568');
  });

  it('a QStash retry (its Upstash-Message-Id again) is the same delivery, even after a newer body of its key', async () => {
    const firing = genericAlert({ source: 'qstash-retry', key: 'flap', level: 'info' });
    const resolved = { ...firing, status: 'resolved' };
    const send = (body: object, id: string, retried = '0') =>
      postAlerts(bot.baseUrl, '/hooks/alerts', body, {
        qstash: {},
        headers: { 'upstash-message-id': id, 'upstash-retried': retried },
      });
    const first = await send(firing, 'msg_2XbbHqPE7fKj3FnpXeT9Vx');
    expect(first.status, first.text).toBe(202);
    expect(first.json.status).toBe('accepted');
    const second = await send(resolved, 'msg_2XbbHqPE7fKj3FnpXeT9Vy');
    expect(second.json.status).toBe('accepted');
    // QStash did not hear the first answer (a connection lost after the commit) and tries again, after the check
    // resolved: the same message, not the alert firing again.
    const retry = await send(firing, 'msg_2XbbHqPE7fKj3FnpXeT9Vx', '1');
    expect(retry.status, retry.text).toBe(202);
    expect(retry.json).toMatchObject({ status: 'duplicate', delivery: first.json.delivery });
    const { rows } = await bot.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM alert_deliveries WHERE source = 'qstash-retry'`,
    );
    expect(rows[0]!.n).toBe(2);
    // Two messages are two deliveries, whatever their bodies: a check that fires, resolves and fires again.
    const again = await send(firing, 'msg_2XbbHqPE7fKj3FnpXeT9Vz');
    expect(again.json.status).toBe('accepted');
  });

  it('a signed delivery sent again as it was (a replay within the 5 minutes its timestamp is good for) is recorded once', async () => {
    const firing = JSON.stringify(genericAlert({ source: 'replayed', key: 'checkout', level: 'info' }));
    const resolved = JSON.stringify({ ...JSON.parse(firing), status: 'resolved' });
    const signed = (body: string, timestamp: number) => ({
      timestamp,
      signature: alertSignature(ALERTS_SIGNING_SECRET, String(timestamp), body),
    });
    const now = Math.floor(Date.now() / 1000);
    const captured = signed(firing, now - 20);
    const first = await postAlerts(bot.baseUrl, '/hooks/alerts', firing, { hmac: captured });
    expect(first.json.status, first.text).toBe('accepted');
    expect(
      (await postAlerts(bot.baseUrl, '/hooks/alerts', resolved, { hmac: signed(resolved, now) })).json.status,
    ).toBe('accepted');
    // The captured request, sent again: not the alert firing again (it would open an incident and page).
    const replay = await postAlerts(bot.baseUrl, '/hooks/alerts', firing, { hmac: captured });
    expect(replay.status, replay.text).toBe(202);
    expect(replay.json).toMatchObject({ status: 'duplicate', delivery: first.json.delivery });
    // Its base64 form is the same signature.
    const b64 = Buffer.from(captured.signature.slice('sha256='.length), 'hex').toString('base64');
    const again = await postAlerts(bot.baseUrl, '/hooks/alerts', firing, { hmac: { ...captured, signature: b64 } });
    expect(again.json.status).toBe('duplicate');
    // Signed anew (a later timestamp), the same body is a new delivery: the check fired again.
    const fresh = await postAlerts(bot.baseUrl, '/hooks/alerts', firing, { hmac: signed(firing, now + 1) });
    expect(fresh.json.status).toBe('accepted');

    // A QStash JWT is good for one delivery: sent again under another message id, it is the same one.
    const body = JSON.stringify(genericAlert({ source: 'replayed', key: 'qstash-jwt', level: 'info' }));
    const jwt = await qstashSignature(body, { url: `${bot.baseUrl}/hooks/alerts` });
    const once = await postAlerts(bot.baseUrl, '/hooks/alerts', body, {
      token: null,
      headers: { 'upstash-signature': jwt, 'upstash-message-id': 'msg_replay_1' },
    });
    expect(once.json.status, once.text).toBe('accepted');
    await postAlerts(bot.baseUrl, '/hooks/alerts', { ...JSON.parse(body), status: 'resolved' }, { qstash: {} });
    const twice = await postAlerts(bot.baseUrl, '/hooks/alerts', body, {
      token: null,
      headers: { 'upstash-signature': jwt, 'upstash-message-id': 'msg_replay_2' },
    });
    expect(twice.json).toMatchObject({ status: 'duplicate', delivery: once.json.delivery });
    const { rows } = await bot.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM alert_deliveries WHERE source = 'replayed'`,
    );
    expect(rows[0]!.n).toBe(5);
  });

  it("checks every proof sent: a wrong signature beside the right token refuses; a proxy's Authorization beside a right signature does not", async () => {
    const body = JSON.stringify(genericAlert({ source: 'proofs', key: 'both', level: 'info' }));
    const wrong = await refused(401, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', body, {
        token: null,
        headers: {
          authorization: `Bearer ${ALERTS_TOKEN}`,
          'x-alerts-timestamp': String(Math.floor(Date.now() / 1000)),
          'x-alerts-signature': `sha256=${'0'.repeat(64)}`,
        },
      }),
    );
    expect(wrong.json.message).toMatch(/the signature does not match the body and timestamp/);
    for (const authorization of ['', 'Basic cHJveHk6cGFzcw==']) {
      const r = await postAlerts(bot.baseUrl, '/hooks/alerts', body, { hmac: {}, headers: { authorization } });
      expect(r.status, `${JSON.stringify(authorization)}: ${r.text}`).toBe(202);
    }
  });

  it('400 for a hook URL naming its source twice (which one was meant?), not as a source is written, or misspelled; nothing recorded', async () => {
    const am = alertmanagerFixture('group-firing');
    const twice = await refused(400, () =>
      postAlerts(bot.baseUrl, '/hooks/alertmanager?source=grafana&source=prod', am),
    );
    expect(twice.json).toMatchObject({
      error: 'invalid_payload',
      message: 'source (query): given 2 times ("grafana", "prod"): name one source',
    });
    const odd = await refused(400, () => postAlerts(bot.baseUrl, '/hooks/alertmanager?source=has%20space', am));
    expect(odd.json.message).toMatch(/^source \(query\): must be 1 to 64 letters/);
    // A misspelled parameter would be no source at all: these alerts counted and stormed with another sender's.
    for (const query of ['Source=grafana', 'source[]=grafana', 'source=grafana&team=db']) {
      const misspelled = await refused(400, () => postAlerts(bot.baseUrl, `/hooks/alertmanager?${query}`, am));
      expect(misspelled.json.message).toMatch(/ \(query\): not a parameter this hook takes; it takes only source/);
    }
  });

  it('an odd alert does not cost its Alertmanager group: no alertname, 80 labels, a 3,000-character group key', async () => {
    const am = JSON.parse(alertmanagerFixture('group-firing')) as Record<string, unknown> & {
      alerts: Record<string, unknown>[];
    };
    const many = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`label_${i}`, `value ${i}`]));
    const group = {
      ...am,
      groupKey: `{}:{instance=~"${'i'.repeat(3000)}"}`,
      alerts: [
        { ...am.alerts[0], labels: { severity: 'info', job: 'node' }, fingerprint: 'no-name-1' },
        { ...am.alerts[1], labels: { ...many, alertname: 'Crowded', severity: 'info' }, fingerprint: 'crowded-1' },
        { ...am.alerts[1], labels: { alertname: 'Plain', severity: 'info' }, fingerprint: 'plain-1' },
      ],
    };
    const r = await postAlerts(bot.baseUrl, '/hooks/alertmanager?source=odd-group', group);
    expect(r.status, r.text).toBe(202);
    expect(r.json).toMatchObject({ status: 'accepted', alerts: 3 });
    const rows = await waitUntil('the three alerts recorded', async () => {
      const { rows } = await bot.db.query<{ fingerprint: string; name: string; n: number; left_out: string | null }>(
        `SELECT fingerprint, name, (SELECT count(*)::int FROM jsonb_object_keys(labels)) AS n,
           labels->>'incident_bot_labels_left_out' AS left_out
         FROM alerts WHERE source = 'odd-group' ORDER BY fingerprint`,
      );
      return rows.length === 3 ? rows : null;
    });
    expect(rows).toEqual([
      { fingerprint: 'crowded-1', name: 'Crowded', n: 64, left_out: '19 of 82' },
      { fingerprint: 'no-name-1', name: 'unnamed alert no-name-1', n: 2, left_out: null },
      { fingerprint: 'plain-1', name: 'Plain', n: 2, left_out: null },
    ]);
  });

  it('a NUL or a lone surrogate anywhere in a body is stored as U+FFFD: 202, recorded and declared, never a 503', async () => {
    // Valid JSON that Postgres cannot store as sent (a NUL in text or jsonb, a lone surrogate in jsonb): it was answered
    // 503 "send it again", which a sender does for ever, the alert never recorded.
    const generic = genericAlert({
      source: 'nul-generic',
      key: 'k\u0000ey',
      summary: 'Disk \u0000 errors \ud800 on api',
      value: '9\u00009',
      metric: 'm\udc00',
      labels: { 'ho\u0000st': 'db\u00001', lone: '\ud800' },
    });
    const r1 = await postAlerts(bot.baseUrl, '/hooks/alerts', generic);
    expect(r1.status, r1.text).toBe(202);
    const am = JSON.parse(alertmanagerFixture('group-firing')) as Record<string, unknown> & {
      alerts: Record<string, unknown>[];
    };
    const group = {
      ...am,
      groupKey: '{}:{alertname="A\u0000B"}',
      commonLabels: { alertname: 'A\u0000B' },
      alerts: [
        {
          ...am.alerts[0],
          labels: { alertname: 'A\u0000B', severity: 'info', 'x\u0000y': '\udc00' },
          annotations: { summary: 'nul \u0000 here' },
          fingerprint: 'f\u00001',
        },
      ],
    };
    const r2 = await postAlerts(bot.baseUrl, '/hooks/alertmanager?source=nul-am', group);
    expect(r2.status, r2.text).toBe(202);
    const rows = await waitUntil('both alerts recorded', async () => {
      const { rows } = await bot.db.query<{ source: string; fingerprint: string; name: string; value: string | null }>(
        "SELECT source, fingerprint, name, value, labels FROM alerts WHERE source LIKE 'nul-%' ORDER BY source",
      );
      return rows.length === 2 ? rows : null;
    });
    expect(rows).toEqual([
      {
        source: 'nul-am',
        fingerprint: 'f\ufffd1',
        name: 'A\ufffdB',
        value: null,
        labels: { alertname: 'A\ufffdB', severity: 'info', 'x\ufffdy': '\ufffd' },
      },
      {
        source: 'nul-generic',
        fingerprint: 'k\ufffdey',
        name: expect.any(String),
        value: '9\ufffd9',
        labels: { 'ho\ufffdst': 'db\ufffd1', lone: '\ufffd' },
      },
    ]);
    // The critical one opens its incident, titled from its summary.
    const create = await bot.fake.waitFor('conversations.create');
    expect(create.args.name).toMatch(/disk.*errors/);
  });

  it('400 for bytes that are not UTF-8 (as sent or read back from gzip): refused, not stored with U+FFFD', async () => {
    const json = JSON.stringify(genericAlert({ key: 'latin', level: 'info', labels: { c__1: 'x' } }));
    // The key `c\xff\xfe1`: bytes no UTF-8 text has.
    const bytes = Buffer.concat(
      json.split('__').flatMap((part, i) => (i ? [Buffer.from([0xff, 0xfe]), Buffer.from(part)] : [Buffer.from(part)])),
    );
    for (const [how, sent, headers] of [
      ['as sent', bytes, {}],
      ['gzipped', gzipSync(bytes), { 'content-encoding': 'gzip' }],
    ] as const) {
      const r = await refused(400, () => postAlerts(bot.baseUrl, '/hooks/alerts', json, { bytes: sent, headers }));
      expect(r.json, how).toMatchObject({
        error: 'malformed_body',
        message: expect.stringMatching(/^the body is not valid UTF-8( once read back)?: JSON must be sent as UTF-8/),
      });
    }
  });

  it('413 for a body over 1 MB, 404 for an unknown path under /hooks, 405 for another method', async () => {
    const huge = JSON.stringify(genericAlert({ summary: 'x'.repeat(1024 * 1024) }));
    const big = await refused(413, () => postAlerts(bot.baseUrl, '/hooks/alerts', huge));
    expect(big.json.error).toBe('too_large');
    await refused(404, () => postAlerts(bot.baseUrl, '/hooks/prometheus', genericAlert()));
    await refused(404, () => postAlerts(bot.baseUrl, '/hooks/alertmanager/v2', genericAlert()));
    const get = await fetch(`${bot.baseUrl}/hooks/alerts`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('reads a body sent compressed (gzip, deflate, br) as if sent as it is; refuses one it cannot read back', async () => {
    const am = alertmanagerFixture('group-firing');
    for (const compress of ['gzip', 'deflate', 'br'] as const) {
      const info = genericAlert({ level: 'info', key: `compressed-${compress}` });
      const r = await postAlerts(bot.baseUrl, '/hooks/alerts', info, { compress });
      expect(r.status, `${compress}: ${r.text}`).toBe(202);
      const signed = genericAlert({ level: 'info', key: `signed-${compress}` });
      const s = await postAlerts(bot.baseUrl, '/hooks/alerts', signed, { compress, hmac: {}, token: null });
      expect(s.status, `${compress} signed: ${s.text}`).toBe(202);
    }
    const gz = await postAlerts(bot.baseUrl, '/hooks/alertmanager?source=gzipped', am, { compress: 'gzip' });
    expect(gz.json).toMatchObject({ status: 'accepted', alerts: 2 });
    const { rows } = await bot.db.query<{ group_key: string }>(
      "SELECT DISTINCT group_key FROM alert_deliveries WHERE source IN ('gzipped', 'integration-metrics') ORDER BY 1",
    );
    expect(rows.map((r) => r.group_key)).toEqual(
      expect.arrayContaining(['{}:{alertname="HighErrorRate", service="api-service"}', 'compressed-br', 'signed-gzip']),
    );

    // The gzipped group opens its own incident (a source of its own): declared before what follows is looked at.
    await inboxDone(bot.db);
    bot.fake.reset();
    // Not gzip at all, gzip of more than 1 MB (a few KB sent), an encoding not read: each named, nothing recorded.
    const bad = await refused(400, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(), {
        bytes: Buffer.from('{"not":"gzip"}'),
        headers: { 'content-encoding': 'gzip' },
      }),
    );
    expect(bad.json).toMatchObject({ error: 'malformed_body', message: expect.stringMatching(/not valid gzip/) });
    expect(bad.text).not.toMatch(/\\u001f|\ufffd/);
    const bomb = gzipSync(JSON.stringify(genericAlert({ summary: 'x'.repeat(3 * 1024 * 1024) })));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const big = await refused(413, () =>
      postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(), {
        bytes: bomb,
        headers: { 'content-encoding': 'gzip' },
      }),
    );
    expect(big.json).toMatchObject({
      error: 'too_large',
      message:
        'The body is over 1048576 bytes (1 MB) once read back. Send one alert per request, with a shorter summary and fewer labels.',
    });
    const zstd = await refused(415, () =>
      postAlerts(bot.baseUrl, '/hooks/alertmanager', am, { headers: { 'content-encoding': 'zstd' } }),
    );
    expect(zstd.json).toMatchObject({
      error: 'unsupported_encoding',
      message: expect.stringMatching(/"zstd" is not read/),
    });
  });

  it('a hook with no way to prove a sender configured answers 404', async () => {
    const plain = await startBot({ alertLoop: false });
    try {
      const r = await postAlerts(plain.baseUrl, '/hooks/alertmanager', alertmanagerFixture('group-firing'));
      expect(r.status).toBe(404);
      expect(r.json.message).toMatch(/set ALERTS_TOKEN/);
    } finally {
      await plain.stop();
    }
  });
});

/** 10 MiB posted to a hook as one buffer (Content-Length) or as a stream (chunked), with the bearer token. */
async function postHuge(baseUrl: string, path: string, chunked: boolean): Promise<PostedAlert> {
  const mib = Buffer.alloc(1024 * 1024, 'x');
  const body = chunked
    ? new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 10; i++) c.enqueue(mib);
          c.close();
        },
      })
    : Buffer.concat(Array(10).fill(mib));
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ALERTS_TOKEN}` },
    body,
    duplex: 'half',
  } as RequestInit);
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), text };
}

describe.each([
  ['the acknowledging front', 'on'],
  ["the bot's own server", 'off'],
])('the hooks at %s', (_where, ackThread) => {
  /** Where QStash posts, through a proxy that takes another host and path to the bot's /hooks/alerts. */
  const QSTASH_URL = 'https://bot.example.com/incident-bot/hooks/alerts';
  const bot = useBot({ env: { ...ALERTS_ENV, ACK_THREAD: ackThread, QSTASH_URL } });

  it('gets a 413 JSON answer saying what to do, with Content-Length or chunked, on either hook; nothing is recorded', async () => {
    // Alertmanager's sender can make its groups' deliveries smaller; a generic sender its one alert.
    const what = {
      '/hooks/alertmanager':
        'Its group holds too many alerts for one delivery: set max_alerts on the webhook receiver (the alerts it leaves out are counted on the incident card), or group_by more labels.',
      '/hooks/alerts': 'Send one alert per request, with a shorter summary and fewer labels.',
    };
    for (const [path, hint] of Object.entries(what)) {
      for (const chunked of [false, true]) {
        const r = await postHuge(bot.baseUrl, path, chunked);
        expect(r.status, `${path} ${chunked ? 'chunked' : 'Content-Length'}: ${r.text}`).toBe(413);
        expect(r.json).toEqual({ error: 'too_large', message: `The body is over 1048576 bytes (1 MB). ${hint}` });
      }
    }
    const { rows } = await bot.db.query<{ n: string }>('SELECT count(*) AS n FROM alert_deliveries');
    expect(Number(rows[0]!.n)).toBe(0);
    // The server goes on taking deliveries.
    expect((await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ level: 'info' }))).status).toBe(202);
  });

  it("a keep-alive client (Node's http, as a sender's SDK) reads every 413, its connection kept for the next", async () => {
    const agent = new Agent({ keepAlive: true });
    onTestFinished(() => agent.destroy());
    const body = Buffer.alloc(1024 * 1024 + 1, 'x');
    const once = () =>
      new Promise<{ status: number } | { error: string }>((resolve) => {
        const req = httpRequest(`${bot.baseUrl}/hooks/alerts`, {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': String(body.length),
            authorization: `Bearer ${ALERTS_TOKEN}`,
          },
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode! }));
        });
        req.on('error', (err) => resolve({ error: err.message }));
        req.end(body);
      });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await once());
    expect(answers).toEqual(Array(5).fill({ status: 413 }));
  });

  it('answers the same JSON 404 for /hooks, /hooks/ and any other unknown path under it', async () => {
    for (const path of ['/hooks', '/hooks/', '/hooks/nope']) {
      const r = await postAlerts(bot.baseUrl, path, genericAlert());
      expect(r.status, path).toBe(404);
      expect(r.json, path).toEqual({
        error: 'not_found',
        message: `No hook at ${path}; alerts go to /hooks/alertmanager or /hooks/alerts.`,
      });
    }
  });

  it('refuses a hook written with a trailing slash with the JSON 404, as Slack refuses /slack/events/; nothing recorded', async () => {
    const before = Number((await bot.db.query<{ n: string }>('SELECT count(*) AS n FROM alert_deliveries')).rows[0]!.n);
    for (const path of ['/hooks/alerts/', '/hooks/alertmanager/', '/hooks/pagerduty/', '/hooks/alerts/?source=x']) {
      const r = await postRaw(bot.baseUrl, path, JSON.stringify(genericAlert({ level: 'info' })));
      expect(r.status, `${path}: ${r.text}`).toBe(404);
      expect(JSON.parse(r.text), path).toEqual({
        error: 'not_found',
        message: `No hook at ${path.split('?')[0]} (no trailing slash: a path under /hooks is taken as written); alerts go to /hooks/alertmanager or /hooks/alerts.`,
      });
    }
    const now = Number((await bot.db.query<{ n: string }>('SELECT count(*) AS n FROM alert_deliveries')).rows[0]!.n);
    expect(now).toBe(before);
  });

  it('with QSTASH_URL, takes a QStash delivery signed for it, whatever the Host; the Host headers are not trusted', async () => {
    const g = genericAlert({ key: 'qstash-public-url', level: 'info' });
    const r = await postAlerts(bot.baseUrl, '/hooks/alerts', g, { qstash: { url: QSTASH_URL } });
    expect(r.status, r.text).toBe(202);
    // Signed for the URL the bot sees, or for a host the request names: not what QStash was told to call.
    for (const [url, headers] of [
      [`${bot.baseUrl}/hooks/alerts`, {}],
      ['https://bot.example.com/hooks/alerts', { 'x-forwarded-host': 'bot.example.com' }],
      [`${QSTASH_URL}?source=other`, {}],
    ] as const) {
      const refused = await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ key: 'qstash-elsewhere' }), {
        qstash: { url },
        headers,
      });
      expect(refused.status, `${url}: ${refused.text}`).toBe(401);
      expect(refused.json.message).toMatch(/signed for another URL .*, not QSTASH_URL "https:\/\/bot\.example\.com/);
    }
    const { rows } = await bot.db.query<{ group_key: string }>(
      `SELECT group_key FROM alert_deliveries WHERE group_key LIKE 'qstash-%'`,
    );
    expect(rows.map((x) => x.group_key)).toEqual(['qstash-public-url']);
  });

  it('answers a JSON 404 naming why for a path under /hooks not written as the hooks are; none reaches a handler', async () => {
    const before = Number((await bot.db.query<{ n: string }>('SELECT count(*) AS n FROM alert_deliveries')).rows[0]!.n);
    for (const [path, why] of [
      ['//hooks/alerts', /taken as written/],
      ['/HOOKS/alerts', /case-sensitive/],
      ['/hooks/%2e%2e/slack/events', /taken as written/],
      ['/hooks/%2e%2e/health', /taken as written/],
    ] as const) {
      const r = await postRaw(bot.baseUrl, path, JSON.stringify(genericAlert()));
      expect(r.status, `${path}: ${r.text}`).toBe(404);
      const answer = JSON.parse(r.text);
      expect(answer.error, path).toBe('not_found');
      expect(answer.message.startsWith(`No hook at ${path} (`), answer.message).toBe(true);
      expect(answer.message.endsWith('; alerts go to /hooks/alertmanager or /hooks/alerts.'), answer.message).toBe(
        true,
      );
      expect(answer.message, path).toMatch(why);
    }
    const now = Number((await bot.db.query<{ n: string }>('SELECT count(*) AS n FROM alert_deliveries')).rows[0]!.n);
    expect(now).toBe(before);
  });
});

/** POSTs to a path sent exactly as given (fetch would resolve `%2e%2e` first): status and text. */
function postRaw(baseUrl: string, path: string, body: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ALERTS_TOKEN}` },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

/** A free TCP port on this machine. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('the alert hooks with the bearer token only', () => {
  const bot = useBot({ env: { ALERTS_TOKEN } });

  it('takes a delivery on the right token whatever signature headers of kinds it is not set up for come with it', async () => {
    const body = JSON.stringify(genericAlert({ source: 'token-only', key: 'k', level: 'info' }));
    // As QStash posts (it signs every delivery) to a bot told only the token; a stray X-Alerts-Signature too.
    const stray: Record<string, string>[] = [
      { 'upstash-signature': 'eyJhbGciOiJIUzI1NiJ9.e30.x' },
      { 'x-alerts-signature': 'sha256=00' },
    ];
    for (const headers of stray) {
      const r = await postAlerts(bot.baseUrl, '/hooks/alerts', body, { headers });
      expect(r.status, `${Object.keys(headers)[0]}: ${r.text}`).toBe(202);
    }
    // Without the token, such a signature is still refused, saying the bot does not take it.
    const bare = await postAlerts(bot.baseUrl, '/hooks/alerts', body, {
      token: null,
      headers: { 'x-alerts-signature': 'sha256=00', 'x-alerts-timestamp': String(Math.floor(Date.now() / 1000)) },
    });
    expect(bare.status).toBe(401);
    expect(bare.json.message).toContain('ALERTS_SIGNING_SECRET is not set');
  });
});

describe('the alert hooks in Socket Mode', () => {
  const fake = useFakeSlack();
  let wss: WebSocketServer;
  let bot: RunningBot;
  let drop: () => Promise<void>;
  let port: number;

  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    fake.socketModeUrl = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/link`;
    const connected = new Promise<WebSocket>((resolve) => {
      wss.on('connection', (ws) => {
        ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0TESTAPP' } }));
        resolve(ws);
      });
    });
    const s = await createMigratedTestSchema();
    drop = s.drop;
    port = await freePort();
    bot = await start(
      {
        PORT: String(port),
        DATABASE_URL: s.url,
        SLACK_BOT_TOKEN: 'xoxb-socket',
        SLACK_APP_TOKEN: 'xapp-1-socket',
        SLACK_API_URL: fake.url,
        LOG_LEVEL: 'error',
        ...ALERTS_ENV,
      },
      () => {},
    );
    await connected;
  });
  afterAll(async () => {
    await bot?.stop().catch(() => {});
    wss?.close();
    await drop?.();
  });

  it('serves the hooks on PORT beside /health, and records what they take', async () => {
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const r = await postAlerts(base, '/hooks/alerts', genericAlert({ key: 'socket', level: 'info' }), { hmac: {} });
    expect(r.status).toBe(202);
    expect((await postAlerts(base, '/hooks/alerts', genericAlert(), { token: 'nope-nope-nope-nope' })).status).toBe(
      401,
    );
    expect((await postAlerts(base, '/hooks/elsewhere', genericAlert())).status).toBe(404);
    // Stray paths under /hooks are refused here too, before the routes (/hooks/%2e%2e/health was /health).
    for (const path of ['//hooks/alerts', '/HOOKS/alerts', '/hooks/%2e%2e/health', '/hooks/alerts/']) {
      const stray = await postRaw(base, path, JSON.stringify(genericAlert()));
      expect(stray.status, path).toBe(404);
      expect(JSON.parse(stray.text), path).toMatchObject({
        error: 'not_found',
        message: expect.stringMatching(/^No hook at /),
      });
    }
    const { rows } = await bot.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM alert_deliveries WHERE group_key = 'socket'`,
    );
    expect(Number(rows[0]!.n)).toBe(1);
  });
});
