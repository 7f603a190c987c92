import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ALERTS_TOKEN, alertmanagerFixture, postAlerts } from '../support/alert-request.js';
import { alertRunbookData, inboxDone, waitUntil } from '../support/alert-runbook.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, startBot } from '../support/bot-harness.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

/** The runbook's rows and a heartbeat row, as kube-prometheus's always-firing Watchdog is used: 2 s here. */
const runbook = () => {
  const data = alertRunbookData();
  const watchdog = {
    name: 'Watchdog',
    metric: 'watchdog',
    threshold: 'always firing',
    duration: '1m',
    level: 'info',
    action: 'Check that Prometheus and Alertmanager are up and can reach the bot',
    heartbeat: '2s',
  };
  // One that monitoring stops on purpose during maintenance windows.
  const nightly = { ...watchdog, name: 'NightlyWatchdog', during_maintenance: 'record' };
  return parseRunbook({ ...data, alerts: [...data.alerts, watchdog, nightly] });
};

/** Alertmanager's delivery of the Watchdog group: one alert, firing, severity none (kube-prometheus's). */
const watchdog = (n: number, name = 'Watchdog', status: 'firing' | 'resolved' = 'firing') => {
  const am = JSON.parse(alertmanagerFixture('group-firing')) as Record<string, unknown> & {
    alerts: Record<string, unknown>[];
  };
  const alert = {
    ...am.alerts[0],
    labels: { alertname: name, severity: 'none' },
    annotations: { summary: `An alert that should always be firing (${n})` },
    fingerprint: name.toLowerCase(),
    status,
    ...(status === 'resolved' ? { endsAt: new Date().toISOString() } : {}),
  };
  return { ...am, status, groupKey: `{}:{alertname="${name}"}`, commonLabels: alert.labels, alerts: [alert] };
};

describe('a heartbeat row (the Watchdog): its silence is told once, and its return', () => {
  const fake = useFakeSlack();
  let drop: () => Promise<void>;
  let a: BotHarness;
  let b: BotHarness;
  let maintenance = false;
  const windows = { inMaintenance: async () => maintenance };
  const told = (re: RegExp) =>
    fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && re.test(String(c.args.text)));

  beforeAll(async () => {
    fake.addChannel('incidents', { id: INCIDENTS_CHANNEL_ID, botIsMember: true });
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
    const s = await createMigratedTestSchema();
    drop = s.drop;
    // Two replicas on one database: each looks at the heartbeats; each change is told by one.
    const bot = () =>
      startBot({
        fake,
        databaseUrl: s.url,
        incidentsChannel: true,
        runbook: runbook(),
        env: { ALERTS_TOKEN, INCIDENTS_CHANNEL: INCIDENTS_CHANNEL_ID },
        alerts: { duplicateWindowMs: 1, maintenance: windows },
      });
    a = await bot();
    b = await bot();
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await drop?.();
  });

  it('is recorded only while it comes; quiet for longer than its heartbeat, the incidents channel hears it once', async () => {
    let lastSent = 0;
    for (let n = 0; n < 3; n++) {
      lastSent = Date.now();
      expect((await postAlerts(a.baseUrl, '/hooks/alertmanager', watchdog(n))).status).toBe(202);
      await new Promise((r) => setTimeout(r, 700));
    }
    await inboxDone(a.db);
    // Coming every 0.7 s, within its 2 s: nothing said, no incident, no notice.
    expect(told(/Monitoring may be down|is back/)).toHaveLength(0);
    expect(fake.callsTo('conversations.create')).toHaveLength(0);
    // Nor is it among the alerts firing now: it always fires while monitoring works.
    await a.command('alerts', { channel_id: 'C0GENERAL', response_url: fake.responseUrl('firing-now') });
    const firing = await fake.waitFor('response_url', (c) => (c as { key?: string }).key === 'firing-now');
    expect(String(firing.args.text)).toBe('No alert is firing now.');
    const notice = await waitUntil('the silence to be told', async () => told(/Monitoring may be down/)[0], 15_000);
    // Really waited: its heartbeat (2 s) passed since the last delivery was sent (received after that).
    expect(Date.now() - lastSent).toBeGreaterThanOrEqual(2000);
    // Told within a check (a second) of its heartbeat passing: 2 seconds, 3 on a busy machine.
    const silent = /^Monitoring may be down: no Watchdog from alertmanager for (\d+) seconds\.$/.exec(
      String(notice.args.text),
    );
    expect(Number(silent?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(silent?.[1])).toBeLessThanOrEqual(5);
    const blocks = JSON.stringify(notice.args.blocks);
    expect(blocks).toContain('its heartbeat is 2 seconds');
    expect(blocks).toContain('Check that Prometheus and Alertmanager are up and can reach the bot');
    // Both replicas kept looking for another 2 s: it was said once.
    await new Promise((r) => setTimeout(r, 2000));
    expect(told(/Monitoring may be down/)).toHaveLength(1);
  });

  it('when it comes back the channel hears so, once; silent again, it is told again', async () => {
    expect((await postAlerts(b.baseUrl, '/hooks/alertmanager', watchdog(10))).status).toBe(202);
    const back = await waitUntil('its return to be told', async () => told(/is back/)[0], 15_000);
    expect(String(back.args.text)).toBe('Watchdog from alertmanager is back.');
    expect(JSON.stringify(back.args.blocks)).toMatch(/is back, after \d+ seconds without it/);
    await waitUntil('the second silence', async () => told(/Monitoring may be down/)[1], 15_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(told(/is back/)).toHaveLength(1);
    expect(told(/Monitoring may be down/)).toHaveLength(2);
    const { rows } = await a.db.query<{ quiet: boolean }>(
      `SELECT quiet FROM alert_heartbeats WHERE rule = 'Watchdog' AND source = 'alertmanager'`,
    );
    expect(rows).toEqual([{ quiet: true }]);
  });

  it('resolved (Alertmanager resolves it once Prometheus stops sending it) is told as such, not as a delivery', async () => {
    expect((await postAlerts(a.baseUrl, '/hooks/alertmanager', watchdog(20))).status).toBe(202);
    await waitUntil('its return', async () => told(/is back/)[1], 15_000);
    expect((await postAlerts(a.baseUrl, '/hooks/alertmanager', watchdog(21, 'Watchdog', 'resolved'))).status).toBe(202);
    const resolved = await waitUntil('the resolution to be told', async () => told(/resolved\.$/)[0], 15_000);
    expect(String(resolved.args.text)).toBe('Monitoring may be down: Watchdog from alertmanager resolved.');
    expect(JSON.stringify(resolved.args.blocks)).toContain('an alert that always fires has stopped firing');
    await new Promise((r) => setTimeout(r, 3000));
    expect(told(/Monitoring may be down/)).toHaveLength(3);
  });

  it('a row that says during_maintenance: record is told quiet only once no maintenance window holds it', async () => {
    maintenance = true;
    expect((await postAlerts(a.baseUrl, '/hooks/alertmanager', watchdog(0, 'NightlyWatchdog'))).status).toBe(202);
    await inboxDone(a.db);
    await new Promise((r) => setTimeout(r, 4000));
    expect(told(/NightlyWatchdog/)).toHaveLength(0);
    maintenance = false;
    const notice = await waitUntil('the silence to be told', async () => told(/NightlyWatchdog/)[0], 15_000);
    expect(String(notice.args.text)).toMatch(
      /^Monitoring may be down: no NightlyWatchdog from alertmanager for \d+ seconds\.$/,
    );
  });
});
