import { describe, expect, it } from 'vitest';
import { loadRunbook } from '../../src/runbook/runbook.js';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { inboxDone } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);
const RUNBOOK = await loadRunbook();

/**
 * The runbook's Target Thresholds (Monitoring -> Key Metrics to Monitor) as rows of the bundled runbook: an alert of
 * one is a warning, noticed with its row's threshold and action, whatever level its sender gave it.
 */
describe("alerts of the runbook's Target Thresholds, with the bundled runbook", () => {
  const bot = useBot({ env: ALERTS_ENV, incidentsChannel: true, runbook: RUNBOOK });

  it('a database size alert sent as critical is noticed as its row says, with its action; nothing is declared', async () => {
    const r = await postAlerts(
      bot.baseUrl,
      '/hooks/alerts',
      genericAlert({
        key: 'neon-db-size',
        name: 'DatabaseSizeNearQuota',
        metric: undefined,
        level: 'critical',
        value: '93%',
        threshold: undefined,
        summary: 'Database size at 93% of quota',
      }),
    );
    expect(r.status).toBe(202);
    await inboxDone(bot.db);
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('Database size at 93% of quota'),
    );
    expect(json(notice.args)).toContain('&gt; 90% of quota');
    expect(json(notice.args)).toContain('Alert (the runbook gives no further action)');
    expect(json(notice.args)).not.toContain('% of quota for');
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
    const { rows } = await bot.db.query<{ level: string; rule: string | null }>(
      `SELECT level, rule FROM alerts WHERE fingerprint = 'neon-db-size'`,
    );
    expect(rows).toEqual([{ level: 'warning', rule: 'DatabaseSizeNearQuota' }]);
  });

  it("a disk alert sent as critical at 91% takes the row its value is past (> 90%, a warning), not the critical row's > 95%", async () => {
    const disk = {
      source: 'grafana',
      key: 'disk-db',
      status: 'firing',
      level: 'critical',
      metric: 'disk_usage',
      value: '91%',
      service: 'db',
      summary: 'disk 91% on db',
    };
    const r = await postAlerts(bot.baseUrl, '/hooks/alerts', disk);
    expect(r.status, r.text).toBe(202);
    await inboxDone(bot.db);
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('disk 91% on db'),
    );
    // Its row's name, the value beside the threshold it is past, and that row's action: a warning, with Declare.
    expect(json(notice.args)).toContain('ElevatedDiskUsage');
    expect(json(notice.args)).toContain('disk_usage 91% (&gt; 90%)');
    expect(json(notice.args)).not.toContain('&gt; 95%');
    expect(json(notice.args)).not.toContain(':red_circle:');
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
    const row = async () =>
      (
        await bot.db.query<{ level: string; rule: string | null; threshold: string | null }>(
          `SELECT level, rule, threshold FROM alerts WHERE fingerprint = 'disk-db'`,
        )
      ).rows;
    expect(await row()).toEqual([{ level: 'warning', rule: 'ElevatedDiskUsage', threshold: '> 90%' }]);

    // Past the critical row's > 95% (the same key): its critical row, and an incident is declared.
    const worse = await postAlerts(bot.baseUrl, '/hooks/alerts', { ...disk, value: '97%', summary: 'disk 97% on db' });
    expect(worse.status, worse.text).toBe(202);
    await inboxDone(bot.db);
    await bot.fake.waitFor('conversations.create');
    expect(await row()).toEqual([{ level: 'critical', rule: 'HighDiskUsage', threshold: '> 95%' }]);
  });

  it('its resolution, sent with the value it recovered to, keeps the row it fired under (a resolution does not reclassify)', async () => {
    const disk = {
      source: 'grafana',
      key: 'disk-db-2',
      status: 'firing',
      level: 'critical',
      metric: 'disk_usage',
      value: '91%',
      service: 'db',
      summary: 'disk 91% on db',
    };
    expect((await postAlerts(bot.baseUrl, '/hooks/alerts', disk)).status).toBe(202);
    await inboxDone(bot.db);
    const resolved = { ...disk, status: 'resolved', value: '70%', summary: 'disk 70% on db' };
    expect((await postAlerts(bot.baseUrl, '/hooks/alerts', resolved)).status).toBe(202);
    await inboxDone(bot.db);
    const { rows } = await bot.db.query<{ name: string; level: string; rule: string | null; status: string }>(
      `SELECT name, level, rule, status FROM alerts WHERE fingerprint = 'disk-db-2'`,
    );
    expect(rows).toEqual([
      { name: 'ElevatedDiskUsage', level: 'warning', rule: 'ElevatedDiskUsage', status: 'resolved' },
    ]);
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
  });
});
