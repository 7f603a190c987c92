import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ACTION, BLOCK } from '../../src/templates/ids.js';
import { ALERTS_TOKEN, alertmanagerGroup, genericAlert, grafanaFixture, postAlerts } from '../support/alert-request.js';
import { inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { limitProblems } from '../support/block-kit-limits.js';
import { INCIDENTS_CHANNEL_ID } from '../support/bot-harness.js';
import { useAlertsBot } from '../support/use-alerts-bot.js';

/**
 * Deliveries as senders send them in the wild, at the HTTP edge: what an on-call engineer expects of each (a 202 and
 * one incident, text shown as text, a 400 naming the problem), beside what the other alert tests cover.
 */

const STARTED = '2026-12-01T08:00:00Z';
const json = (v: unknown) => JSON.stringify(v);
/** A Slack call's arguments without their plain_text objects (headers, buttons), where Slack reads no markup. */
const markupOf = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && (x as { type?: unknown }).type === 'plain_text' ? null : x,
  );

/** One Alertmanager alert (critical HighErrorRate by default) with its own fingerprint, labels and annotations. */
const amAlert = (
  fingerprint: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  over: Record<string, unknown> = {},
) => ({
  status: 'firing',
  labels: { alertname: 'HighErrorRate', severity: 'critical', ...labels },
  annotations,
  startsAt: STARTED,
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: '',
  fingerprint,
  ...over,
});

describe('alert deliveries an outside tester sends', () => {
  const { bot, alertRows } = useAlertsBot();
  const am = (source: string, body: unknown, headers?: Record<string, string>) =>
    postAlerts(bot.baseUrl, `/hooks/alertmanager?source=${source}`, body as object, headers ? { headers } : {});

  it("an older Grafana's body (no fingerprints, its own fields) sent twice is one incident of two alerts, each counted twice", async () => {
    const source = 'grafana-old';
    const body = JSON.parse(grafanaFixture('firing')) as { alerts: Record<string, unknown>[] };
    for (const a of body.alerts) delete a.fingerprint;
    for (const n of [1, 2]) {
      const r = await am(source, body);
      expect(r.status, `delivery ${n}: ${r.text}`).toBe(202);
      await inboxDone(bot.db);
    }
    const incidents = await incidentsOfSource(bot.db, source);
    expect(incidents).toHaveLength(1);
    // Titled by what fired (its summary), not by Grafana's `title` or `message` of the whole group.
    expect(incidents[0]!.title).toContain('Error rate above 10% on api-service');
    const rows = await alertRows(source);
    expect(rows.map((r) => [r.status, r.count])).toEqual([
      ['firing', 2],
      ['firing', 2],
    ]);
    expect(new Set(rows.map((r) => r.fingerprint)).size).toBe(2);

    // Its resolution, as Grafana sends it (the same labels, an end, no fingerprint): both resolve in that incident.
    const resolved = {
      ...body,
      status: 'resolved',
      state: 'ok',
      title: '[RESOLVED] HighErrorRate API (api-service critical)',
      alerts: body.alerts.map((a) => ({ ...a, status: 'resolved', endsAt: new Date().toISOString() })),
    };
    const r = await am(source, resolved);
    expect(r.status, r.text).toBe(202);
    await inboxDone(bot.db);
    expect(await incidentsOfSource(bot.db, source)).toHaveLength(1);
    expect((await alertRows(source)).map((a) => [a.status, a.alert_incident_id])).toEqual([
      ['resolved', rows[0]!.alert_incident_id],
      ['resolved', rows[1]!.alert_incident_id],
    ]);
  });

  it('a group firing at the top with an alert inside resolved (never seen firing): the firing one declares, the other is recorded resolved', async () => {
    const source = 'mixed-group';
    const r = await am(source, {
      ...alertmanagerGroup('{}:{alertname="HighErrorRate"}', [
        amAlert('mixed-a', { zone: 'eu-1' }, { summary: 'Error rate above 10% in eu-1' }),
        amAlert(
          'mixed-b',
          { zone: 'us-1' },
          { summary: 'Error rate above 10% in us-1' },
          { status: 'resolved', endsAt: '2026-12-01T08:05:00Z' },
        ),
      ]),
      status: 'firing',
    });
    expect(r.status, r.text).toBe(202);
    await inboxDone(bot.db);
    const incidents = await incidentsOfSource(bot.db, source);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.title).toContain('eu-1');
    expect((await alertRows(source)).map((a) => [a.fingerprint, a.status])).toEqual([
      ['mixed-a', 'firing'],
      ['mixed-b', 'resolved'],
    ]);
  });

  it('a generic resolution of a key never seen firing: 202, recorded, no incident and no notice', async () => {
    const source = 'ghost';
    const r = await postAlerts(
      bot.baseUrl,
      '/hooks/alerts',
      genericAlert({ source, key: 'never-fired', status: 'resolved', level: 'critical' }),
    );
    expect(r.status, r.text).toBe(202);
    await inboxDone(bot.db);
    expect(await incidentsOfSource(bot.db, source)).toEqual([]);
    expect((await alertRows(source)).map((a) => a.status)).toEqual(['resolved']);
    expect(bot.fake.callsTo('conversations.create')).toEqual([]);
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID)).toEqual([]);
  });

  it('the same fingerprint twice in one delivery is one alert and one incident, twice firing or firing then resolved (the last copy is what is recorded)', async () => {
    const source = 'twice';
    const a = amAlert('twice-a', { zone: 'eu-1' }, { summary: 'Error rate above 10% in eu-1' });
    const same = await am(source, alertmanagerGroup('{}:{twice="same"}', [a, a]));
    expect(same.status, same.text).toBe(202);
    await inboxDone(bot.db);
    expect(await incidentsOfSource(bot.db, source)).toHaveLength(1);
    expect((await alertRows(source)).map((r) => [r.fingerprint, r.status, r.count])).toEqual([
      ['twice-a', 'firing', 1],
    ]);

    const flapped = await am(
      source,
      alertmanagerGroup('{}:{twice="flap"}', [
        amAlert('twice-b', { zone: 'us-1' }, { summary: 'Error rate above 10% in us-1' }),
        amAlert('twice-b', { zone: 'us-1' }, {}, { status: 'resolved', endsAt: '2026-12-01T08:05:00Z' }),
      ]),
    );
    expect(flapped.status, flapped.text).toBe(202);
    await inboxDone(bot.db);
    // The last copy of a fingerprint in one delivery is what it says now: resolved, as Alertmanager itself would send
    // an alert that fired and resolved before it sent anything. Nothing opens for it.
    expect((await alertRows(source)).filter((r) => r.fingerprint === 'twice-b').map((r) => r.status)).toEqual([
      'resolved',
    ]);
    expect(await incidentsOfSource(bot.db, source)).toHaveLength(1);
  });

  it("a firing alert whose end is past, and one whose start is ahead (a sender's clock): both fire, first seen never ahead", async () => {
    const source = 'odd-times';
    const ahead = new Date(Date.now() + 3_600_000).toISOString();
    const r = await am(
      source,
      alertmanagerGroup('{}:{alertname="HighErrorRate"}', [
        amAlert('past-end', { zone: 'eu-1' }, { summary: 'Error rate in eu-1' }, { endsAt: '2026-01-01T00:00:00Z' }),
        amAlert('ahead', { zone: 'us-1' }, { summary: 'Error rate in us-1' }, { startsAt: ahead }),
      ]),
    );
    expect(r.status, r.text).toBe(202);
    await inboxDone(bot.db);
    expect(await incidentsOfSource(bot.db, source)).toHaveLength(1);
    const { rows } = await bot.db.query<{
      fingerprint: string;
      status: string;
      first_seen: Date;
      resolved_at: Date | null;
    }>('SELECT fingerprint, status, first_seen, resolved_at FROM alerts WHERE source = $1 ORDER BY fingerprint', [
      source,
    ]);
    expect(rows.map((x) => [x.fingerprint, x.status, x.resolved_at])).toEqual([
      ['ahead', 'firing', null],
      ['past-end', 'firing', null],
    ]);
    for (const x of rows) expect(x.first_seen.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('Slack markup, unicode and very long values in names, summaries and labels are shown as text, within Slack limits', async () => {
    const source = 'markup';
    const long = 'L'.repeat(5000);
    const hostile = {
      service: `api<!channel>${'s'.repeat(3000)}`,
      instance: '<https://evil.example|api-1>',
      zone: '東京 🚨 ünïcödé',
      metric: `error_rate<!here>${'m'.repeat(3000)}`,
      job: long,
      team: long,
    };
    const r = await am(
      source,
      alertmanagerGroup('{}:{alertname="HighErrorRate"}', [
        amAlert('markup-crit', hostile, {
          summary: '<!channel> error *rate* on <https://evil.example|api> & <@UEVIL>',
          description: `<!here> see <!subteam^S0EVIL> ${long}`,
        }),
      ]),
    );
    expect(r.status, r.text).toBe(202);
    const warned = await am(
      source,
      alertmanagerGroup('{}:{alertname="Latency"}', [
        amAlert(
          'markup-warn',
          { ...hostile, alertname: 'Latency<!everyone>', severity: 'warning' },
          { summary: '<!here> latency *high* <https://evil.example|click>' },
        ),
      ]),
    );
    expect(warned.status, warned.text).toBe(202);
    await inboxDone(bot.db);
    // The card, the notice and whatever else the bot says of them.
    await waitUntil('the card', async () => {
      const [i] = await incidentsOfSource(bot.db, source);
      return i?.card_ts && bot.fake.message(i.channel_id, i.card_ts);
    });
    await waitUntil('the notice', async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .find((c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('atency')),
    );
    const said = bot.fake.calls.filter((c) => /^(chat|conversations|views|users)\./.test(c.method));
    const hostileTokens = ['<!channel>', '<!here>', '<!everyone>', '<!subteam', '<https://evil', '<@UEVIL>'];
    for (const c of said)
      for (const t of hostileTokens) expect(markupOf(c.args), `${c.method} says ${t} raw`).not.toContain(t);
    for (const c of said.filter((c) => ['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(c.method)))
      if (Array.isArray(c.args.blocks)) expect(limitProblems(c.args, 'message'), c.method).toEqual([]);
    for (const c of bot.fake.callsTo('conversations.create'))
      expect(String(c.args.name)).toMatch(/^[a-z0-9][a-z0-9_-]{0,79}$/);
  });

  it('annotations without a summary but with a description: the description titles the incident', async () => {
    const source = 'described';
    const r = await am(
      source,
      alertmanagerGroup('{}:{alertname="HighErrorRate"}', [
        amAlert('desc-a', { instance: 'db-1' }, { description: 'Disk /var at 97% on db-1' }),
      ]),
    );
    expect(r.status, r.text).toBe(202);
    await inboxDone(bot.db);
    const incidents = await incidentsOfSource(bot.db, source);
    expect(incidents.map((i) => i.title)).toEqual([expect.stringContaining('Disk /var at 97% on db-1')]);
  });

  it('a generic alert with numbers as text and fields the bot does not know: 202, shown as sent', async () => {
    const source = 'numeric-text';
    const r = await postAlerts(
      bot.baseUrl,
      '/hooks/alerts',
      genericAlert({ source, key: 'k1', value: '97.5', threshold: '90', team: 'db', extra: { nested: [1, 2] } }),
    );
    expect(r.status, r.text).toBe(202);
    await inboxDone(bot.db);
    const { rows } = await bot.db.query<{ value: string; threshold: string }>(
      'SELECT value, threshold FROM alerts WHERE source = $1',
      [source],
    );
    expect(rows).toEqual([{ value: '97.5', threshold: '90' }]);
  });

  it('400 naming labels for generic labels that are not an object (text, a list, a number); nothing recorded', async () => {
    const source = 'bad-labels';
    for (const labels of ['tenant=acme', ['tenant', 'acme'], 3]) {
      const r = await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ source, key: 'k', labels }));
      expect(r.status, r.text).toBe(400);
      expect(r.json.message, json(labels)).toMatch(/^labels: /);
    }
    expect(await alertRows(source)).toEqual([]);
  });

  it('takes JSON whatever its Content-Type says (charset, text/plain, empty, none) and with Expect: 100-continue', async () => {
    const source = 'content-types';
    const types = ['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'text/plain', ''];
    for (const [n, type] of types.entries()) {
      const r = await postAlerts(
        bot.baseUrl,
        '/hooks/alerts',
        genericAlert({ source, key: `ct-${n}`, level: 'info' }),
        { headers: { 'content-type': type } },
      );
      expect(r.status, `${JSON.stringify(type)}: ${r.text}`).toBe(202);
    }
    // No Content-Type at all (curl --data-binary with -H 'Content-Type:').
    const res = await fetch(`${bot.baseUrl}/hooks/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALERTS_TOKEN}` },
      body: new Blob([json(genericAlert({ source, key: 'ct-none', level: 'info' }))]),
    });
    expect(res.status, await res.text()).toBe(202);
    // curl's `Expect: 100-continue` for a body past 1 KB: the bot lets it send the body and answers it.
    const big = json(genericAlert({ source, key: 'ct-expect', level: 'info', summary: 's'.repeat(900) }));
    const expected = await new Promise<number>((resolve, reject) => {
      const req = request(`${bot.baseUrl}/hooks/alerts`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${ALERTS_TOKEN}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(big),
          expect: '100-continue',
        },
      });
      req.on('continue', () => req.end(big));
      req.on('response', (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('no answer to Expect: 100-continue')));
    });
    expect(expected).toBe(202);
    await inboxDone(bot.db);
    expect(await alertRows(source)).toHaveLength(types.length + 2);
  });

  it('400 naming alerts for an Alertmanager body with an empty alerts list; nothing recorded', async () => {
    const source = 'empty-group';
    const r = await am(source, alertmanagerGroup('{}:{x="y"}', []));
    expect(r.status, r.text).toBe(400);
    expect(r.json.message).toMatch(/^alerts: /);
    expect(await alertRows(source)).toEqual([]);
  });
});

describe('one alert in two groups of a source', () => {
  const { bot, alertRows } = useAlertsBot();

  it('the same fingerprint in a second group (a route with continue, a regrouping) is the same alert: no second incident', async () => {
    const source = 'two-groups';
    const alert = amAlert('shared-fp', { zone: 'eu-1' }, { summary: 'Error rate above 10% in eu-1' });
    for (const groupKey of ['{}:{alertname="HighErrorRate"}', '{}/{team="api"}:{alertname="HighErrorRate"}']) {
      const r = await postAlerts(
        bot.baseUrl,
        `/hooks/alertmanager?source=${source}`,
        alertmanagerGroup(groupKey, [alert]),
      );
      expect(r.status, r.text).toBe(202);
      await inboxDone(bot.db);
    }
    expect(await incidentsOfSource(bot.db, source)).toHaveLength(1);
    expect((await alertRows(source)).map((a) => [a.fingerprint, a.status, a.count])).toEqual([
      ['shared-fp', 'firing', 2],
    ]);
  });
});

describe("a warning's Declare button on a long, marked-up alert", () => {
  const { bot } = useAlertsBot();

  it('opens a form within Slack limits, its prefilled title no longer than the field takes', async () => {
    const source = 'long-warning';
    const r = await postAlerts(
      bot.baseUrl,
      '/hooks/alerts',
      genericAlert({
        source,
        key: 'lat',
        level: 'warning',
        name: `Latency<!channel>${'n'.repeat(300)}`,
        summary: `<!here> p99 *slow* ${'ü🚨'.repeat(600)}`,
        description: `<https://evil.example|x> ${'d'.repeat(3000)}`,
      }),
    );
    expect(r.status, r.text).toBe(202);
    await inboxDone(bot.db);
    const notice = await waitUntil('the notice', async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .find((c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('slow')),
    );
    expect(limitProblems(notice.args, 'message')).toEqual([]);
    await bot.press(notice, ACTION.declareFromAlert);
    const form = await bot.fake.waitFor('views.open');
    expect(form.failed).toBeUndefined();
    expect(limitProblems(form.args.view, 'modal')).toEqual([]);
    const title = (
      form.args.view.blocks as { block_id?: string; element?: { initial_value?: string; max_length?: number } }[]
    ).find((b) => b.block_id === BLOCK.declareTitle)?.element;
    expect(title?.initial_value).toBeTruthy();
    expect([...title!.initial_value!].length).toBeLessThanOrEqual(title!.max_length!);
  });
});
