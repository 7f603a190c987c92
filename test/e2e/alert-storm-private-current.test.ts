import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { fireAlert, incidentOfAlert, privateAlertRunbook, securityRow, waitUntil } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/** Critical SEV-2 rows of an operator's own, each handled as unauthorized access (private incidents). */
const row = (name: string, metric: string) => securityRow(name, metric, 'SEV-2', '> 50 / min');

/**
 * A private storm's current incident is the one alert_private_storms names last (the incidents channel hears nothing
 * of a private storm, so alert_storm_messages never names it): its further alerts join that one, as a public storm's
 * join the one its message names, not the least severe private incident open.
 */
describe("a private storm's further alerts", () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: privateAlertRunbook([
      row('FailedAdminLogins', 'login_failures'),
      row('TokenAbuse', 'token_failures'),
      row('MfaFailures', 'mfa_failures'),
    ]),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '1' },
  });
  const source = 'sec-current';
  const incidentOf = (key: string) => waitUntil(`the incident of ${key}`, () => incidentOfAlert(bot.db, source, key));
  const incident = async (id: number) => {
    const { rows } = await bot.db.query<{ private: boolean; severity: number; channel_id: string }>(
      'SELECT private, severity, channel_id FROM incidents WHERE id = $1',
      [id],
    );
    return rows[0]!;
  };

  it('join the private incident the storm moved to last, not the least severe one open', async () => {
    // A SEV-2 private incident; past the cap (1), the next alert of another name joins it: the storm's incident.
    await fireAlert(bot, {
      source,
      key: 'admin',
      metric: 'login_failures',
      summary: 'Failed logins on the admin console',
    });
    const a = await incidentOf('admin');
    expect(await incident(a)).toMatchObject({ private: true, severity: 2 });
    await fireAlert(bot, { source, key: 'token', metric: 'token_failures', summary: 'Token abuse on the API' });
    expect(await incidentOf('token')).toBe(a);
    // A SEV-1 security alert (no row): more severe than A, so opened past the cap as B; the next SEV-1 one joins B,
    // and the storm moves there (A's channel is told so).
    await fireAlert(bot, { source, key: 'vpn', metric: 'vpn_logins', summary: 'Suspicious login attempts on the VPN' });
    const b = await incidentOf('vpn');
    expect(b).not.toBe(a);
    expect(await incident(b)).toMatchObject({ private: true, severity: 1 });
    await fireAlert(bot, { source, key: 'ssh', metric: 'ssh_logins', summary: 'Suspicious login attempts over SSH' });
    expect(await incidentOf('ssh')).toBe(b);
    const { channel_id: aChannel } = await incident(a);
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === aChannel && json(c.args.blocks).includes('no longer join this incident'),
    );
    const { rows } = await bot.db.query<{ incidents: number[] }>(
      'SELECT incidents FROM alert_private_storms WHERE source = $1',
      [source],
    );
    expect(rows[0]!.incidents.map(Number)).toEqual([a, b]);
    // A SEV-2 alert of a new name, which either may take: the storm's incident now, B, as its channels were told.
    await fireAlert(bot, { source, key: 'mfa', metric: 'mfa_failures', summary: 'MFA failures on the admin console' });
    expect(await incidentOf('mfa')).toBe(b);
  }, 60_000);
});
