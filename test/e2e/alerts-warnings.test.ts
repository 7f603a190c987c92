import { describe, expect, it } from 'vitest';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { postAlerts } from '../support/alert-request.js';
import { inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID } from '../support/bot-harness.js';
import { BOT_USER_ID } from '../support/fake-slack.js';
import { TEST_REPORTER_ID } from '../support/slack-request.js';
import { postGenericAlert as post, useAlertsBot } from '../support/use-alerts-bot.js';

const json = (v: unknown) => JSON.stringify(v);

/** Warnings and alerts a maintenance window held back: a notice in the incidents channel, declared from it. */
describe('alerts open and track incidents', () => {
  const { bot, maintenance, cardText, one, alertRows } = useAlertsBot();

  it('a warning posts a notice in the incidents channel whose button declares, prefilled', async () => {
    const warning = {
      source: 'integration-metrics',
      key: 'api-error-rate-warning',
      level: 'warning',
      value: '7%',
      threshold: '> 5%',
      summary: 'Error rate above 5% on api-service',
    };
    await post(bot.baseUrl, warning);
    await inboxDone(bot.db);
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('ElevatedErrorRate'),
    );
    expect(json(notice.args)).toContain('Check logs for patterns');
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
    const actions = notice.args.blocks.find((b: { type: string }) => b.type === 'actions');
    const button = actions.elements[0];
    expect(button).toMatchObject({ action_id: ACTION.declareFromAlert, text: { text: 'Declare incident' } });

    await bot.press(notice, ACTION.declareFromAlert);
    const opened = await bot.fake.waitFor('views.open');
    const view = opened.args.view;
    expect(view.callback_id).toBe(VIEW.declare);
    const blocks = json(view.blocks);
    expect(blocks).toContain('"initial_value":"Error rate above 5% on api-service"');
    expect(blocks).toContain('"initial_option":{"text":{"type":"plain_text","text":"SEV-2 (Medium)"}');

    const submitted = await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: view.private_metadata,
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: { type: 'static_select', selected_option: { value: '2' } } },
        [BLOCK.declareTitle]: {
          [INPUT.text]: { type: 'plain_text_input', value: 'Errors creeping up on api-service' },
        },
      },
    });
    expect(submitted.status).toBe(200);
    const incident = await waitUntil('the declared incident', async () =>
      (await incidentsOfSource(bot.db, 'integration-metrics')).find((i) => i.card_ts),
    );
    expect(incident).toMatchObject({
      title: 'Errors creeping up on api-service',
      severity: 2,
      reporter_id: TEST_REPORTER_ID,
    });
    expect(cardText(incident)).toContain('ElevatedErrorRate');
    // The notice now says who declared it, and offers no second declaration.
    await waitUntil('the notice to be updated', async () =>
      json(bot.fake.message(INCIDENTS_CHANNEL_ID, notice.response!.ts)?.blocks).includes(
        `Declared as incident #${incident.number}`,
      ),
    );
    expect(json(bot.fake.message(INCIDENTS_CHANNEL_ID, notice.response!.ts)?.blocks)).not.toContain(
      ACTION.declareFromAlert,
    );
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === incident.channel_id && json(c.args).includes('High Error Rates'),
    );
    // The warning resolves: its notice says so, as the card does, still naming the incident.
    await post(bot.baseUrl, { ...warning, status: 'resolved' });
    await waitUntil('the notice to show the warning resolved', async () =>
      json(bot.fake.message(INCIDENTS_CHANNEL_ID, notice.response!.ts)?.blocks).includes('Resolved <!date^')
        ? true
        : null,
    );
    expect(json(bot.fake.message(INCIDENTS_CHANNEL_ID, notice.response!.ts)?.blocks)).toContain(
      `Declared as incident #${incident.number}`,
    );
  });

  it("a group's warnings are one notice, updated as they come, and one Declare incident takes them all", async () => {
    const warning = (i: number, status = 'firing') => ({
      status,
      labels: { alertname: 'DiskFilling', instance: `node-${i}`, service: 'storage', severity: 'warning' },
      annotations: { summary: `Disk 85% on node-${i}` },
      startsAt: '2026-11-30T08:00:00Z',
      endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-30T08:30:00Z',
      generatorURL: '',
      fingerprint: `disk-${i}`,
    });
    const group = (alerts: object[]) => ({
      receiver: 'bot',
      status: 'firing',
      alerts,
      groupLabels: { alertname: 'DiskFilling' },
      commonLabels: { alertname: 'DiskFilling', severity: 'warning' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example:9093',
      version: '4',
      groupKey: '{}:{alertname="DiskFilling"}',
      truncatedAlerts: 0,
    });
    const notices = () =>
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('DiskFilling'));
    const thirty = Array.from({ length: 30 }, (_, i) => warning(i + 1));
    expect((await postAlerts(bot.baseUrl, '/hooks/alertmanager', group(thirty))).status).toBe(202);
    await inboxDone(bot.db);
    const posted = await waitUntil('the notice', async () => notices()[0]);
    const text = json(posted.args.blocks);
    expect(text).toContain('Warnings of one group: 30* (30 firing)');
    expect(text).toContain('Disk 85% on node-1');
    expect(text).toContain('…and 20 more of this group');
    // One Declare incident for the group.
    expect(text.split(ACTION.declareFromAlert)).toHaveLength(2);

    // Alertmanager's next delivery of the group: a new warning, and one resolved. The same notice says so.
    await postAlerts(
      bot.baseUrl,
      '/hooks/alertmanager',
      group([thirty[0]!, ...thirty.slice(2), warning(2, 'resolved'), warning(31)]),
    );
    await inboxDone(bot.db);
    await waitUntil('the notice updated', async () =>
      json(bot.fake.message(INCIDENTS_CHANNEL_ID, posted.response!.ts)?.blocks).includes(
        'Warnings of one group: 31* (30 firing, 1 resolved)',
      ),
    );
    expect(notices()).toHaveLength(1);
    const { rows: shared } = await bot.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM alerts WHERE source = 'alertmanager' AND group_key = $1 AND notice_ts = $2`,
      ['{}:{alertname="DiskFilling"}', posted.response!.ts],
    );
    expect(shared[0]!.n).toBe(31);

    // Declared from the notice: every firing alert of the group joins, and the notice says where they went.
    const latest = bot.fake.message(INCIDENTS_CHANNEL_ID, posted.response!.ts)!.blocks as {
      type: string;
      block_id: string;
      elements: { value: string }[];
    }[];
    const actions = latest.find((b) => b.type === 'actions')!;
    const opened = bot.fake.callsTo('views.open').length;
    await bot.click({
      channelId: INCIDENTS_CHANNEL_ID,
      messageTs: posted.response!.ts,
      actionId: ACTION.declareFromAlert,
      blockId: actions.block_id,
      value: actions.elements[0]!.value,
    });
    const view = (await bot.fake.waitForCount('views.open', opened + 1)).at(-1)!.args.view;
    // The form says the group's other firing alerts join too.
    expect(json(view.blocks)).toMatch(/The 29 other firing alerts of its group join the incident too\./);
    // Two people submit the form at the same moment: one incident, and the other is told where the alerts went.
    const submitAs = (userId: string, title: string) =>
      bot.submit({
        callbackId: VIEW.declare,
        privateMetadata: view.private_metadata,
        userId,
        viewId: `VDECL${userId}`,
        values: {
          [BLOCK.declareSeverity]: { [INPUT.severity]: { type: 'static_select', selected_option: { value: '3' } } },
          [BLOCK.declareTitle]: { [INPUT.text]: { type: 'plain_text_input', value: title } },
        },
      });
    await Promise.all([submitAs('U0DISKA', 'disks filling on storage'), submitAs('U0DISKB', 'storage disks filling')]);
    await waitUntil('the second told', async () =>
      bot.fake
        .callsTo('chat.postEphemeral')
        .concat(bot.fake.callsTo('chat.postMessage'))
        .find((c) => /already in incident #\d+/.test(String(c.args.text))),
    );
    // The second may be told while the first is still being declared (its channel being made): one incident, whole
    // or on its way, never two.
    const { rows: made } = await bot.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM incidents WHERE title LIKE '%storage%'",
    );
    expect(made[0]!.n).toBe(1);
    const incident = await waitUntil('the declared incident', async () =>
      (await incidentsOfSource(bot.db, 'alertmanager')).find((i) => i.card_ts && i.title.includes('storage')),
    );
    await waitUntil('the notice to name the incident', async () =>
      json(bot.fake.message(INCIDENTS_CHANNEL_ID, posted.response!.ts)?.blocks).includes(
        `Declared as incident #${incident.number}`,
      ),
    );
    expect(json(bot.fake.message(INCIDENTS_CHANNEL_ID, posted.response!.ts)?.blocks)).not.toContain(
      ACTION.declareFromAlert,
    );
    const { rows: joined } = await bot.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
       WHERE ai.incident_id = $1 AND a.status = 'firing'`,
      [incident.id],
    );
    expect(joined[0]!.n).toBe(30);

    // A warning of the group after that joins the incident declared for it: no notice of its own.
    await postAlerts(bot.baseUrl, '/hooks/alertmanager', group([warning(40)]));
    await inboxDone(bot.db);
    const { rows: later } = await bot.db.query<{ incident_id: number }>(
      `SELECT ai.incident_id FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
       WHERE a.fingerprint = 'disk-40'`,
    );
    expect(later[0]?.incident_id).toBe(incident.id);
    expect(notices()).toHaveLength(1);
  }, 30_000);

  it('during a maintenance window, a row that says record is recorded and shown, not declared', async () => {
    maintenance.open = true;
    try {
      await post(bot.baseUrl, {
        source: 'maintenance',
        key: 'health',
        metric: 'app_health_check_failures',
        summary: 'Health checks failing on node-1',
      });
      await inboxDone(bot.db);
      expect(await incidentsOfSource(bot.db, 'maintenance')).toHaveLength(0);
      const { rows } = await bot.db.query<{ maintenance: boolean }>(
        `SELECT maintenance FROM alerts WHERE source = 'maintenance'`,
      );
      expect(rows).toEqual([{ maintenance: true }]);
      // A row that declares during maintenance still does.
      await post(bot.baseUrl, { source: 'maintenance', key: 'errors', summary: 'Errors during maintenance' });
      expect(await one('maintenance')).toMatchObject({ title: 'Errors during maintenance' });
    } finally {
      maintenance.open = false;
    }
  });

  it('a critical alert a window held back is noticed (Declare incident), and fires again after it: one incident', async () => {
    const health = {
      source: 'held-back',
      key: 'health',
      metric: 'app_health_check_failures',
      summary: 'Health checks failing on node-2',
    };
    maintenance.open = true;
    try {
      await post(bot.baseUrl, health);
      await inboxDone(bot.db);
      expect(await incidentsOfSource(bot.db, 'held-back')).toHaveLength(0);
      // Shown in the incidents channel: recorded, not declared, because of the window; a person may declare it.
      const notice = await bot.fake.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('Health checks failing on node-2'),
      );
      expect(json(notice.args)).toContain('Recorded, not declared:* a maintenance window is open');
      expect(json(notice.args)).toContain(ACTION.declareFromAlert);
    } finally {
      maintenance.open = false;
    }
    // The window is over and the alert still fires: the same key again opens one incident (the loop's sweep may
    // release it first; then the delivery joins it).
    await post(bot.baseUrl, { ...health, value: '60%' });
    await inboxDone(bot.db);
    const incident = await one('held-back');
    expect(incident).toMatchObject({ title: 'Health checks failing on node-2', reporter_id: BOT_USER_ID });
    await new Promise((r) => setTimeout(r, 1000));
    await inboxDone(bot.db);
    expect(await incidentsOfSource(bot.db, 'held-back')).toHaveLength(1);
    expect(bot.fake.callsTo('conversations.create').filter((c) => json(c.args).includes('on-node-2'))).toHaveLength(1);
    expect(await alertRows('held-back')).toMatchObject([{ status: 'firing', alert_incident_id: expect.any(Number) }]);
  });
});
