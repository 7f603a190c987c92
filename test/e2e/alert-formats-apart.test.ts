import { describe, expect, it } from 'vitest';
import { ALERTS_ENV, alertmanagerFixture, genericAlert, postAlerts } from '../support/alert-request.js';
import { alertRunbook, inboxDone } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';

/**
 * Alertmanager's fingerprints and the generic format's keys are each an alert's identity within its source, but of
 * two formats: a generic alert whose key is a fingerprint an Alertmanager alert of the same source has (or the
 * reverse) is another alert, never a repeat of that one.
 */
describe('an Alertmanager alert and a generic alert of one source', () => {
  const bot = useBot({
    env: ALERTS_ENV,
    incidentsChannel: true,
    runbook: alertRunbook(),
    alerts: { duplicateWindowMs: 1 },
  });
  const rows = async (source: string) =>
    (
      await bot.db.query<{ fingerprint: string; name: string; count: number; alert_incident_id: number | null }>(
        'SELECT fingerprint, name, count, alert_incident_id FROM alerts WHERE source = $1 ORDER BY id',
        [source],
      )
    ).rows;
  /** A generic info alert (no runbook row: recorded only) of `source`, keyed `key`. */
  const probe = (source: string, key: string) =>
    genericAlert({ source, key, level: 'info', name: 'ProbeLatency', metric: 'probe_latency', summary: 'probe slow' });

  it('a generic key equal to a live fingerprint is its own alert', async () => {
    const am = await postAlerts(
      bot.baseUrl,
      '/hooks/alertmanager?source=shared-a',
      alertmanagerFixture('group-firing'),
    );
    expect(am.status).toBe(202);
    await inboxDone(bot.db);
    const before = await rows('shared-a');
    expect(before.map((r) => [r.fingerprint, r.name, r.count])).toEqual([
      ['a8a496fc62f0b8a6', 'HighErrorRate', 1],
      ['3a310acdd5c74e5a', 'HighErrorRate', 1],
    ]);
    const g = await postAlerts(bot.baseUrl, '/hooks/alerts', probe('shared-a', 'a8a496fc62f0b8a6'));
    expect(g.status).toBe(202);
    await inboxDone(bot.db);
    const after = await rows('shared-a');
    expect(after.map((r) => [r.fingerprint, r.name, r.count])).toEqual([
      ['a8a496fc62f0b8a6', 'HighErrorRate', 1],
      ['3a310acdd5c74e5a', 'HighErrorRate', 1],
      ['a8a496fc62f0b8a6', 'ProbeLatency', 1],
    ]);
    // The generic alert joined no incident of the Alertmanager group.
    expect(after[2]!.alert_incident_id).toBeNull();
    expect(after[0]!.alert_incident_id).not.toBeNull();
  });

  it('an Alertmanager fingerprint equal to a live generic key is its own alert', async () => {
    const g = await postAlerts(bot.baseUrl, '/hooks/alerts', probe('shared-b', '3a310acdd5c74e5a'));
    expect(g.status).toBe(202);
    await inboxDone(bot.db);
    const am = await postAlerts(
      bot.baseUrl,
      '/hooks/alertmanager?source=shared-b',
      alertmanagerFixture('group-firing'),
    );
    expect(am.status).toBe(202);
    await inboxDone(bot.db);
    const after = await rows('shared-b');
    expect(after.map((r) => [r.fingerprint, r.name, r.count])).toEqual([
      ['3a310acdd5c74e5a', 'ProbeLatency', 1],
      ['a8a496fc62f0b8a6', 'HighErrorRate', 1],
      ['3a310acdd5c74e5a', 'HighErrorRate', 1],
    ]);
    expect(after[1]!.alert_incident_id).not.toBeNull();
    expect(after[2]!.alert_incident_id).toBe(after[1]!.alert_incident_id);
  });
});
