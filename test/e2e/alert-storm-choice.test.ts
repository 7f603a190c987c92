import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ALERTS_ENV } from '../support/alert-request.js';
import {
  alertRunbookData,
  fireAlert,
  inboxDone,
  incidentOfAlert,
  incidentsOfSource,
  waitUntil,
} from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * Past the cap, which incident an alert joins: one that has its alert (or runbook row), else the storm's incident, not
 * whichever was opened last. Found from outside: a SEV-1 payments incident opened past the cap, then joined by more of
 * its own alert, took the storm's unrelated disk and CPU alerts.
 */
describe('storm control: where an alert past the cap goes, and why, is said', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: parseRunbook(alertRunbookData()),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
  });
  /** One alert in the generic format, recorded and its plan carried out before the next. */
  const fire = (over: Record<string, unknown>) => fireAlert(bot, over);
  const incidentOf = (source: string, key: string) => incidentOfAlert(bot.db, source, key);
  const inIncidents = () => bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID);

  it('a payments incident opened past the cap takes more of its own alert, not the storm’s unrelated ones; each message says why', async () => {
    const source = 'prom-pay';
    await fire({ source, key: 'mem-1', metric: 'memory_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    await fire({ source, key: 'disk-1', metric: 'disk_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    const opened = await waitUntil('the two incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
    // Payments down: no row, so SEV-1, more severe than both: opened past the cap.
    const payments = {
      source,
      name: 'PaymentsDown',
      metric: 'payments_up',
      value: '0',
      threshold: '< 1',
      service: 'payments',
    };
    await fire({ ...payments, key: 'pay-eu', summary: 'Payments down in eu' });
    const pay = await waitUntil('the payments incident', async () => {
      const id = await incidentOf(source, 'pay-eu');
      const l = await incidentsOfSource(bot.db, source);
      return id ? l.find((i) => i.id === id && i.card_ts) : null;
    });
    expect(pay.severity).toBe(1);
    // More of the same alert (another region, another group): it joins payments, for the same alert.
    await fire({ ...payments, key: 'pay-us', summary: 'Payments down in us' });
    expect(await incidentOf(source, 'pay-us')).toBe(pay.id);
    // A CPU alert, of no open incident's alert: not the payments incident (the latest, and more severe than it needs).
    await fire({ source, key: 'cpu-1', metric: 'cpu_usage', value: '97%', threshold: '> 90%', service: 'api' });
    const cpu = await incidentOf(source, 'cpu-1');
    expect(cpu).not.toBe(pay.id);
    expect(opened.map((i) => i.id)).toContain(cpu);
    const into = opened.find((i) => i.id === cpu)!;
    // The incidents channel says where it went and why.
    const told = await waitUntil('the incidents channel told of the CPU alert', async () =>
      inIncidents().find((c) => json(c.args.blocks).includes('HighCpuUsage')),
    );
    expect(json(told.args.blocks)).toContain(`joined incident #${into.number}`);
    expect(json(told.args.blocks)).toContain("the storm's incident");
    // The payments channel was never told it is where the storm's alerts go (only why it was opened past the cap).
    await inboxDone(bot.db);
    expect(
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === pay.channel_id && json(c.args.blocks).includes('Alert storm:')),
    ).toHaveLength(0);
  }, 60_000);
});
