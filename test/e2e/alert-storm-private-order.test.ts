import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import {
  fireAlert,
  inboxDone,
  incidentOfAlert,
  privateAlertRunbook,
  securityRow,
  waitUntil,
} from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/** Critical SEV-2 rows of an operator's own, each handled as unauthorized access (private incidents). */
const row = (name: string, metric: string) => securityRow(name, metric, 'SEV-2', '> 50 / min');

/**
 * A private storm joins A, then B: A's step, refused by Slack in A's channel and tried again after B's step, keeps
 * A's place (first) in the storm's list (alert_private_storms), so B's channel is never told the storm moved to A.
 */
describe("a private storm's step refused, then tried again after a later incident's", () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: privateAlertRunbook([row('FailedAdminLogins', 'login_failures'), row('TokenAbuse', 'token_failures')]),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '1' },
  });
  const source = 'sec-order';
  const incidentOf = (key: string) => waitUntil(`the incident of ${key}`, () => incidentOfAlert(bot.db, source, key));
  const channelOf = async (id: number) => {
    const { rows } = await bot.db.query<{ channel_id: string }>('SELECT channel_id FROM incidents WHERE id = $1', [id]);
    return rows[0]!.channel_id;
  };
  const movedAway = (channel: string) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter(
        (c) => c.args.channel === channel && !c.failed && json(c.args.blocks).includes('no longer join this incident'),
      );

  it('lists the incidents in the order the storm joined them', async () => {
    // A SEV-2 private incident, A; past the cap (1), the next alert of another name joins it: the storm's incident.
    // Slack refuses A's channel the storm's message until B's step has run (A's step tried again meanwhile).
    await fireAlert(bot, {
      source,
      key: 'admin',
      metric: 'login_failures',
      summary: 'Failed logins on the admin console',
    });
    const a = await incidentOf('admin');
    const aChannel = await channelOf(a);
    let refusing = true;
    bot.fake.failNext(
      'chat.postMessage',
      { error: 'internal_error' },
      100,
      (args) => refusing && args.channel === aChannel && String(args.text).startsWith('Alert storm:'),
    );
    await fireAlert(
      bot,
      { source, key: 'token', metric: 'token_failures', summary: 'Token abuse on the API' },
      { wait: false },
    );
    expect(await incidentOf('token')).toBe(a);
    await waitUntil("A's storm message refused", async () =>
      bot.fake.callsTo('chat.postMessage').some((c) => c.args.channel === aChannel && c.failed !== undefined),
    );
    // A SEV-1 security alert (no row): more severe than A, opened past the cap as B; the next joins B, the storm too.
    await fireAlert(
      bot,
      { source, key: 'vpn', metric: 'vpn_logins', summary: 'Suspicious login attempts on the VPN' },
      { wait: false },
    );
    const b = await incidentOf('vpn');
    await fireAlert(
      bot,
      { source, key: 'ssh', metric: 'ssh_logins', summary: 'Suspicious login attempts over SSH' },
      { wait: false },
    );
    expect(await incidentOf('ssh')).toBe(b);
    const bChannel = await channelOf(b);
    await waitUntil("B's channel told of the storm", async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .some((c) => c.args.channel === bChannel && !c.failed && String(c.args.text).startsWith('Alert storm:')),
    );
    refusing = false;
    // A's step tried again, and done: A's channel told of the storm, and that it moved on to B; B's never that it
    // moved to A.
    await inboxDone(bot.db, 90_000);
    await waitUntil("A's channel told of the storm", async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .some((c) => c.args.channel === aChannel && !c.failed && String(c.args.text).startsWith('Alert storm:')),
    );
    const { rows } = await bot.db.query<{ incidents: number[] }>(
      'SELECT incidents FROM alert_private_storms WHERE source = $1',
      [source],
    );
    expect(rows[0]!.incidents.map(Number)).toEqual([a, b]);
    expect(movedAway(bChannel)).toHaveLength(0);
    expect(movedAway(aChannel)).toHaveLength(1);
  }, 120_000);
});
