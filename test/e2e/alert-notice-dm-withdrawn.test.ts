import { describe, expect, it } from 'vitest';
import { ALERTS_ENV, alertmanagerAlert, alertmanagerGroup, postAlerts } from '../support/alert-request.js';
import { inboxDone, privateAlertRunbook, securityRow, waitUntil } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/** A critical row handled as unauthorized access (a security playbook): its alert takes its group private. */
const BRUTE_FORCE_ROW = securityRow('BruteForceLogins', 'auth_failures', 'SEV-1', '> 100 / min');

/**
 * A warning's notice sent whole to on-call (it read as a security matter), then withdrawn (its group's private
 * incident took it): on-call's copy says so too. Slack refusing that update for longer than the alert delivery's own
 * attempts last (12, about six minutes) left the copy whole for good; it is drawn again on durable time (the alert
 * loop's sweep, ALERTS_DM_RETRY apart at first) until Slack takes it.
 */
describe("a withdrawn notice's copy sent to on-call", () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: privateAlertRunbook([BRUTE_FORCE_ROW]),
    env: { ...ALERTS_ENV, ALERTS_DM_RETRY: '50ms' },
  });
  const startsAt = () => new Date(Date.now() - 60_000).toISOString();
  const alert = (fp: string, labels: Record<string, string>, summary: string) =>
    alertmanagerAlert(fp, { instance: 'bastion-7:22', ...labels }, { summary }, { startsAt: startsAt() });
  const post = (source: string, alerts: Record<string, unknown>[]) =>
    postAlerts(
      bot.baseUrl,
      `/hooks/alertmanager?source=${source}`,
      alertmanagerGroup('{}:{instance="bastion-7:22"}', alerts),
    );

  it('is drawn withdrawn once Slack takes the update, however many times it refused it first', async () => {
    const source = 'bastion-dm-refused';
    const latency = (summary: string) =>
      alert('lat', { alertname: 'SshLoginLatency', severity: 'warning', client: '198.51.100.4' }, summary);
    await post(source, [latency('Suspicious login attempts on bastion-7 from 198.51.100.4')]);
    await inboxDone(bot.db);
    const dm = await waitUntil("on-call's copy of the notice", async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .find((c) => c.args.channel === 'U0ONCALL' && json(c.args).includes('SshLoginLatency') && c.response?.ts),
    );
    const ofDm = () =>
      bot.fake
        .callsTo('chat.update')
        .filter((c) => c.args.channel === dm.response?.channel && c.args.ts === dm.response?.ts);
    // Slack refuses every update of on-call's copy, more times than a delivery is attempted, then takes it.
    let refusing = true;
    bot.fake.failNext(
      'chat.update',
      { error: 'internal_error' },
      1000,
      (args) => refusing && args.ts === dm.response?.ts,
    );
    // Its summary reads as an ordinary warning now, and the group's security alert takes it to a private incident.
    await post(source, [
      latency('Slow SSH logins on bastion-7 (p95 9s) for 198.51.100.4'),
      alert('bf', { alertname: 'BruteForceLogins', severity: 'critical' }, 'Brute force: 4000 failed logins a minute'),
    ]);
    await waitUntil('13 refused updates of the copy', async () => ofDm().filter((c) => c.failed).length >= 13, 45_000);
    refusing = false;
    await waitUntil("on-call's copy withdrawn", async () => ofDm().some((c) => !c.failed), 15_000);
    const last = ofDm().at(-1)!;
    expect(json(last.args)).toContain('This notice was withdrawn');
    expect(json(last.args)).not.toContain('SshLoginLatency');
    // Drawn once it took: not again.
    await inboxDone(bot.db);
    await new Promise((r) => setTimeout(r, 1500));
    expect(ofDm().filter((c) => !c.failed)).toHaveLength(1);
  }, 90_000);
});
