import { describe, expect, it } from 'vitest';
import { ACTION, VIEW } from '../../src/templates/ids.js';
import {
  ALERTS_ENV,
  alertmanagerAlert,
  alertmanagerFixture,
  alertmanagerGroup,
  postAlerts,
} from '../support/alert-request.js';
import { alertRunbook, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';
import { BOT_USER_ID } from '../support/fake-slack.js';
import { postGenericAlert as post, useAlertsBot } from '../support/use-alerts-bot.js';

const json = (v: unknown) => JSON.stringify(v);

/** Alerts open incidents and the card tracks them: titles, playbooks, pages, repeats, Alertmanager's times. */
describe('alerts open and track incidents', () => {
  const { bot, card, cardText, one, alertRows } = useAlertsBot();

  it('a critical Alertmanager group opens one incident: channel, card with its alerts, playbook, page', async () => {
    const r = await postAlerts(bot.baseUrl, '/hooks/alertmanager', alertmanagerFixture('group-firing'));
    expect(r.status).toBe(202);
    const incident = await one('alertmanager');
    // Declared as if typed: by the bot, titled from the summary, the row's severity (HighErrorRate: SEV-1).
    expect(incident).toMatchObject({
      title: 'Error rate above 10% on api-service',
      severity: 1,
      reporter_id: BOT_USER_ID,
    });
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(1);
    // Its reporter is the bot, which made the channel and is in it: nobody to invite (Slack would say
    // cant_invite_self).
    const invited = bot.fake.callsTo('conversations.invite').flatMap((c) => String(c.args.users).split(','));
    expect(invited).not.toContain(BOT_USER_ID);
    await waitUntil('the card', async () => (await incidentsOfSource(bot.db, 'alertmanager'))[0]?.card_ts);
    const withCard = (await incidentsOfSource(bot.db, 'alertmanager'))[0]!;
    const text = cardText(withCard);
    expect(text).toContain('*Alerts* · 2 firing · 0 resolved · from alertmanager');
    expect(text).toContain('Check logs, identify root cause');
    expect(text).toContain('HighErrorRate');
    expect(text).toContain('×1');
    // The row's playbook is suggested (the message says from which row), on-call paged by the existing rules, the
    // incident announced.
    const playbook = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === incident.channel_id && json(c.args).includes('High Error Rates'),
    );
    expect(json(playbook.args)).toContain("From the runbook's alert row *HighErrorRate*, for this incident's alerts.");
    expect(json(playbook.args)).not.toContain('Suggested from the incident title');
    const page = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    expect(json(page.args)).toContain('Error rate above 10% on api-service');
    // The page says what fired, and what the runbook says to do, before the (still empty) template; its notification
    // text starts with the first alert.
    const fired = page.args.blocks[1].text.text as string;
    expect(fired).toMatch(/^\*What fired\* \(from alertmanager\):\n:red_circle: /);
    expect(fired).toContain('*HighErrorRate*');
    expect(fired).toContain('*Runbook:* HighErrorRate &gt; 10% for 2m — Check logs, identify root cause');
    expect(fired).not.toContain('first <!date');
    expect(String(page.args.text)).toMatch(
      /^Paged \(On-Call Engineer; SEV-1 · respond within 15 minutes\): HighErrorRate /,
    );
    // Why: monitoring opened it, in the page and in the channel's line, not "a new incident was declared".
    expect(json(page.args)).toContain('because an alert from monitoring opened the incident');
    const paged = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === incident.channel_id && String(c.args.text).includes('Paged *On-Call Engineer*'),
    );
    expect(String(paged.args.text)).toContain('because an alert from monitoring opened the incident');
    expect(json(bot.fake.calls)).not.toContain('a new incident was declared');
    // Announced as declared by the bot from Alertmanager's alerts, as the card says, not as if a person had.
    const announced = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === INCIDENTS_CHANNEL_ID);
    expect(json(announced.args)).toContain(`Declared by <@${BOT_USER_ID}> from alertmanager alerts.`);
    const { rows: events } = await bot.db.query<{ kind: string }>(
      `SELECT kind FROM incident_events WHERE incident_id = $1 AND kind IN ('note', 'alert_fired') ORDER BY id`,
      [incident.id],
    );
    expect(events.map((e) => e.kind)).toEqual(['note', 'alert_fired', 'alert_fired']);
  });

  it('a group of alerts with their own summaries is titled by the first and how many more, in Slack too', async () => {
    const am = JSON.parse(alertmanagerFixture('group-firing')) as Record<string, unknown> & {
      alerts: Record<string, unknown>[];
    };
    const nodes = Array.from({ length: 40 }, (_, i) => ({
      ...am.alerts[0],
      labels: { alertname: 'NodeDown', severity: 'critical', instance: `node-${i}` },
      annotations: { summary: `node-${i} down` },
      fingerprint: `node-down-${i}`,
    }));
    const body = { ...am, groupKey: '{}:{alertname="NodeDown"}', commonAnnotations: {}, alerts: nodes };
    const r = await postAlerts(bot.baseUrl, '/hooks/alertmanager?source=node-group', body);
    expect(r.status, r.text).toBe(202);
    const incident = await one('node-group');
    expect(incident.title).toBe('node-0 down, and 39 more NodeDown alerts');
    // Announced so: whoever reads the incidents channel sees 40 nodes down, not one.
    const announced = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === INCIDENTS_CHANNEL_ID);
    expect(String(announced.args.text)).toContain('node-0 down, and 39 more NodeDown alerts');
  });

  it("a row that names no playbook suggests none: its action is the procedure, the title's words are not", async () => {
    // HighDiskUsage's row names no playbook. The title's "db" would suggest Database Connection Failures, which is
    // not the procedure for a full disk.
    const r = await post(bot.baseUrl, {
      source: 'disk-check',
      key: 'db-1-disk',
      metric: 'disk_usage',
      value: '96%',
      threshold: '> 95%',
      service: 'db-1',
      summary: 'Disk filling on db-1',
    });
    expect(r.status).toBe(202);
    const incident = await one('disk-check');
    expect(incident).toMatchObject({ title: 'Disk filling on db-1', severity: 2 });
    await waitUntil('the card', async () => (await incidentsOfSource(bot.db, 'disk-check'))[0]?.card_ts);
    expect(cardText((await incidentsOfSource(bot.db, 'disk-check'))[0]!)).toContain('Clean up or scale storage');
    // The declaration's last step (where a playbook is suggested) is done once its row is gone.
    await waitUntil('the declaration to finish', async () =>
      (await bot.db.query('SELECT 1 FROM declarations WHERE incident_id = $1', [incident.id])).rows.length === 0
        ? true
        : undefined,
    );
    const attached = await bot.db.query('SELECT playbook_id FROM incident_playbooks WHERE incident_id = $1', [
      incident.id,
    ]);
    expect(attached.rows).toEqual([]);
    const inChannel = bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === incident.channel_id);
    expect(inChannel.length).toBeGreaterThan(0);
    expect(inChannel.filter((c) => json(c.args).includes('Database Connection Failures'))).toEqual([]);
  });

  it('repeats and group updates do not open more; the card counts; resolved alerts update it and offer Resolve', async () => {
    const before = await one('alertmanager');
    await postAlerts(bot.baseUrl, '/hooks/alertmanager', alertmanagerFixture('group-firing'));
    await postAlerts(bot.baseUrl, '/hooks/alertmanager', alertmanagerFixture('group-firing'));
    await inboxDone(bot.db);
    expect(await one('alertmanager')).toMatchObject({ id: before.id });
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
    expect((await alertRows('alertmanager')).map((a) => a.count)).toEqual([3, 3]);
    await waitUntil('the card to count 3', async () => cardText(before).includes('×3'));

    // One of the two resolves: the card says so; not every alert has resolved, so nothing is offered yet.
    await postAlerts(bot.baseUrl, '/hooks/alertmanager', alertmanagerFixture('group-one-resolved'));
    await inboxDone(bot.db);
    await waitUntil('the card to show one resolved', async () => cardText(before).includes('1 firing · 1 resolved'));
    const offers = () =>
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === before.channel_id && json(c.args).includes('Every alert of this incident'));
    expect(offers()).toHaveLength(0);

    // Then the other: the channel is told and offered Resolve incident (the incident stays open).
    const am = JSON.parse(alertmanagerFixture('group-one-resolved'));
    am.status = 'resolved';
    am.alerts[0].status = 'resolved';
    am.alerts[0].endsAt = new Date().toISOString();
    await postAlerts(bot.baseUrl, '/hooks/alertmanager', am);
    const offer = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === before.channel_id && json(c.args).includes('Every alert of this incident'),
    );
    const button = offer.args.blocks[1].elements[0];
    expect(button).toMatchObject({ action_id: ACTION.resolve, text: { text: 'Resolve incident' } });
    await waitUntil('the card to show both resolved', async () => cardText(before).includes('0 firing · 2 resolved'));
    expect((await one('alertmanager')).status).toBe('investigating');
    const { rows } = await bot.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM incident_events WHERE incident_id = $1 AND kind = 'alert_resolved'`,
      [before.id],
    );
    expect(rows[0]!.n).toBe(2);

    // Its button opens the resolve form.
    await bot.click({
      channelId: before.channel_id,
      messageTs: offer.response!.ts,
      actionId: ACTION.resolve,
      value: button.value,
    });
    const form = await bot.fake.waitFor('views.open');
    expect(form.args.view.callback_id).toBe(VIEW.resolve);
    // `/incident alerts` lists both, with their counts.
    await bot.command('alerts', { channel_id: before.channel_id });
    const reply = await waitUntil('the alert list', async () =>
      bot.replies().find((m) => json(m).includes('Alerts · #')),
    );
    expect(json(reply)).toContain('2 alerts · 0 firing · 2 resolved');
  });

  it("a group's critical alert with nine info alerts: the card and the list name the critical one first, the page it alone", async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const alert = (labels: Record<string, string>, summary: string) =>
      alertmanagerAlert(Object.values(labels).join('-'), labels, { summary }, { startsAt });
    const pods = Array.from({ length: 9 }, (_, n) =>
      alert(
        { alertname: 'KubePodRestarting', service: 'payments', severity: 'info', pod: `pay-worker-${n}` },
        `Pod pay-worker-${n} restarting`,
      ),
    );
    const down = alert(
      { alertname: 'PaymentsDown', service: 'payments', severity: 'critical' },
      'Payments API returns 503 for all requests',
    );
    expect(
      (
        await postAlerts(
          bot.baseUrl,
          '/hooks/alertmanager?source=mixed-levels',
          alertmanagerGroup('{}:{service="payments"}', [down, ...pods]),
        )
      ).status,
    ).toBe(202);
    const incident = await waitUntil('the card', async () =>
      (await incidentsOfSource(bot.db, 'mixed-levels')).find((i) => i.card_ts),
    );
    expect(incident.title).toBe('Payments API returns 503 for all requests');
    const text = cardText(incident);
    expect(text).toContain('PaymentsDown');
    expect(text.indexOf('PaymentsDown')).toBeLessThan(text.indexOf('KubePodRestarting'));
    expect(text).toMatch(/KubePodRestarting\*>?(?: \([^)]*\))? · info · /);
    const page = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => String(c.args.channel).startsWith('U') && json(c.args).includes('Payments API returns 503'),
    );
    const paged = json(page.args.blocks);
    // The page names what the person is woken for: the critical alert, not the info ones (recorded only).
    expect(paged).toContain('PaymentsDown');
    expect(paged).not.toContain('KubePodRestarting');
    await bot.command('alerts', { channel_id: incident.channel_id });
    const reply = await waitUntil('the alert list', async () =>
      bot.replies().find((m) => json(m).includes('PaymentsDown') && json(m).includes('KubePodRestarting')),
    );
    expect(json(reply).indexOf('PaymentsDown')).toBeLessThan(json(reply).indexOf('KubePodRestarting'));
  });

  it('groups with one summary are incidents of their own, whichever their source', async () => {
    for (const [source, key] of [
      ['twins', 'cpu-api'],
      ['twins', 'cpu-web'],
      ['twins-cron', 'cpu-batch'],
    ] as const) {
      const r = await post(bot.baseUrl, { source, key, summary: 'CPU usage above 90%' });
      expect(r.status).toBe(202);
    }
    await inboxDone(bot.db);
    const twins = await incidentsOfSource(bot.db, 'twins');
    const cron = await incidentsOfSource(bot.db, 'twins-cron');
    expect(twins).toHaveLength(2);
    expect(cron).toHaveLength(1);
    const ids = new Set([...twins, ...cron].map((i) => i.id));
    expect(ids.size).toBe(3);
    for (const i of [...twins, ...cron]) {
      await waitUntil('its card', async () => card(i));
      expect(cardText(i)).not.toContain('Alert storm');
    }
  });

  it('info is recorded only', async () => {
    await post(bot.baseUrl, {
      source: 'business',
      key: 'agents',
      level: 'info',
      metric: 'agent_execution_rate',
      value: '4/hour',
    });
    await inboxDone(bot.db);
    expect(await alertRows('business')).toMatchObject([{ status: 'firing', count: 1, alert_incident_id: null }]);
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => json(c.args).includes('agent_execution_rate'))).toEqual(
      [],
    );
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
  });

  it("Alertmanager's times: first seen is startsAt, resolved is endsAt; a resend of the same firing after a person resolved its incident opens nothing, a new startsAt does", async () => {
    const at = (ms: number) => new Date(Date.now() - ms).toISOString();
    const token = (iso: string) => `<!date^${Math.floor(Date.parse(iso) / 1000)}^`;
    const firing = (startsAt: string, over: Record<string, unknown> = {}) => {
      const am = JSON.parse(alertmanagerFixture('group-firing'));
      am.groupKey = '{}:{alertname="DatabasePoolSaturated", service="db"}';
      am.alerts = [
        {
          ...am.alerts[0],
          labels: { alertname: 'DatabasePoolSaturated', service: 'db', severity: 'critical' },
          annotations: { summary: 'Connection pool at 97% on db' },
          fingerprint: 'pool-db',
          startsAt,
          ...over,
        },
      ];
      if (over.status === 'resolved') am.status = 'resolved';
      return am;
    };
    const hook = '/hooks/alertmanager?source=am-times';
    const firstStart = at(20 * 60_000);
    await postAlerts(bot.baseUrl, hook, firing(firstStart));
    const first = await waitUntil('the card', async () =>
      (await incidentsOfSource(bot.db, 'am-times')).find((i) => i.card_ts),
    );
    // First seen is when the alert started, 20 minutes ago, not when the bot heard of it.
    expect(cardText(first)).toContain(`first ${token(firstStart)}`);

    // A person resolves the incident while Alertmanager still reports the alert: its resends (every repeat_interval,
    // the same startsAt) are the same firing, recorded on it, not a new incident and a new page.
    await bot.command('resolve pool drained by hand', { channel_id: first.channel_id });
    await waitUntil('the resolution', async () => (await one('am-times')).status === 'resolved');
    await postAlerts(bot.baseUrl, hook, firing(firstStart));
    await postAlerts(bot.baseUrl, hook, firing(firstStart));
    await inboxDone(bot.db);
    expect(await incidentsOfSource(bot.db, 'am-times')).toHaveLength(1);
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(1);
    expect(await alertRows('am-times')).toMatchObject([{ count: 3, status: 'firing' }]);

    // It resolved and fired again in between (a new startsAt): a new firing, a new incident naming the first.
    const secondStart = at(60_000);
    await postAlerts(bot.baseUrl, hook, firing(secondStart));
    await inboxDone(bot.db);
    const second = await waitUntil('the second card', async () =>
      (await incidentsOfSource(bot.db, 'am-times')).find((i) => i.id !== first.id && i.card_ts),
    );
    expect(cardText(second)).toContain(`The same alert was in incident #${first.number}`);
    expect(cardText(second)).toContain(`first ${token(secondStart)}`);

    // Its resolution: the card and the timeline say when it ended (endsAt), not when the bot heard.
    const ended = at(30_000);
    await postAlerts(bot.baseUrl, hook, firing(secondStart, { status: 'resolved', endsAt: ended }));
    await waitUntil('the card to show it resolved', async () => cardText(second).includes(`resolved ${token(ended)}`));
    const { rows } = await bot.db.query<{ details: Record<string, string> }>(
      `SELECT details FROM incident_events WHERE incident_id = $1 AND kind = 'alert_resolved'`,
      [second.id],
    );
    expect(rows.map((r) => [r.details.resolvedAt, r.details.endsAt])).toEqual([[ended, ended]]);
    await bot.command('timeline', { channel_id: second.channel_id });
    const timeline = await waitUntil('the timeline', async () =>
      bot.replies().find((m) => json(m).includes('Timeline · #')),
    );
    expect(json(timeline)).toContain(
      `*DatabasePoolSaturated* resolved at ${ended.replace('T', ' ').slice(0, 16)} UTC: Connection pool at 97% on db`,
    );
    expect(json(timeline)).toContain(
      `*DatabasePoolSaturated* (critical) fired at ${secondStart.replace('T', ' ').slice(0, 16)} UTC`,
    );
  });

  it("a big group's card and page start with the alert the incident is titled after, then those that came next", async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const nodes = Array.from({ length: 12 }, (_, n) =>
      alertmanagerAlert(
        `order-node-${n}`,
        { alertname: 'OrderNodeDown', instance: `node-${n}`, severity: 'critical' },
        { summary: `node-${n} is down` },
        { startsAt },
      ),
    );
    await postAlerts(bot.baseUrl, '/hooks/alertmanager?source=order', alertmanagerGroup('order-nodes', nodes));
    const incident = await waitUntil('the card', async () =>
      (await incidentsOfSource(bot.db, 'order')).find((i) => i.card_ts),
    );
    expect(incident.title).toMatch(/^node-0 is down/);
    const text = cardText(incident);
    // The card's first lines: node-0, node-1, node-2 (not node-11, node-10, node-9).
    const shown = [...text.matchAll(/ · node-(\d+) is down · /g)].map((m) => Number(m[1]));
    expect(shown.slice(0, 3)).toEqual([0, 1, 2]);
    const page = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0ONCALL' && json(c.args).includes('node-0 is down'),
    );
    const fired = String(page.args.blocks[1].text.text);
    expect([...fired.matchAll(/instance=node-(\d+)/g)].map((m) => Number(m[1]))).toEqual([0, 1, 2]);
    expect(fired).toContain('…and 9 more firing.');
  });
});

describe('alerts on the embedded database', () => {
  const bot = useBot({ database: 'embedded', env: ALERTS_ENV, incidentsChannel: true, runbook: alertRunbook() });

  it('records a delivery and opens its incident, as on Postgres', async () => {
    const r = await postAlerts(bot.baseUrl, '/hooks/alertmanager', alertmanagerFixture('group-firing'));
    expect(r.status).toBe(202);
    const incident = await waitUntil('the card', async () =>
      (await incidentsOfSource(bot.db, 'alertmanager')).find((i) => i.card_ts),
    );
    expect(json(bot.fake.message(incident.channel_id, incident.card_ts!)?.blocks)).toContain('2 firing');
    const again = await postAlerts(bot.baseUrl, '/hooks/alertmanager', alertmanagerFixture('group-firing'));
    expect(again.json.status).toBe('duplicate');
  });
});
