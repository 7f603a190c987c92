import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { alertRunbookData, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * Where storm control moves alerts (ALERTS_MAX_INCIDENTS reached), and what each channel is told of it: an alert a
 * maintenance window held back that joins a storm's incident once the window ends, an alert that fires again after
 * its incident was resolved, an alert declared apart, a storm whose incident changes.
 */
describe('alerts storm control moves are told where people look', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: parseRunbook({
      ...alertRunbookData(),
      maintenance: {
        notice_before: '1h',
        process: { before: ['Notify users'], during: ['Watch the metrics'], after: ['Smoke test'] },
        windows: {},
      },
    }),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
  });
  const fire = async (over: Record<string, unknown>) => {
    const r = await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(over));
    expect(r.status).toBe(202);
    await inboxDone(bot.db);
  };
  const incidentOf = async (source: string, key: string) => {
    const { rows } = await bot.db.query<{ incident_id: number }>(
      `SELECT ai.incident_id FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
       WHERE a.source = $1 AND a.fingerprint = $2 ORDER BY a.id DESC LIMIT 1`,
      [source, key],
    );
    return rows.map((r) => Number(r.incident_id))[0] ?? null;
  };
  const posts = (channel: string) => bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === channel);
  const now = (m: RecordedCall) => json(bot.fake.message(String(m.args.channel), String(m.response!.ts))?.blocks);
  /** Two SEV-1 incidents of the source: its cap. */
  const twoIncidents = async (source: string) => {
    await fire({ source, key: 'a', metric: 'queue_depth_a', summary: `Queue A stuck (${source})` });
    await fire({ source, key: 'b', metric: 'queue_depth_b', summary: `Queue B stuck (${source})` });
    return waitUntil('the two incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
  };

  it('a critical alert a window held back that joins a storm incident once it ends: its notice says it joined, not declared', async () => {
    const source = 'held-storm';
    const opened = await twoIncidents(source);
    await bot.command('maintenance start db upgrade for 1h');
    await waitUntil('the window open', async () =>
      (await bot.db.query("SELECT 1 FROM maintenance_windows WHERE stage <> 'closed'")).rows.length > 0 ? true : null,
    );
    try {
      await fire({
        source,
        key: 'health',
        metric: 'app_health_check_failures',
        value: '40%',
        threshold: '> 20%',
        summary: 'Health checks failing on node-3',
      });
      const notice = await bot.fake.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('Health checks failing on node-3'),
      );
      expect(json(notice.args)).toContain('Recorded, not declared');
    } finally {
      await bot.command('maintenance end');
    }
    const joined = await waitUntil('the held alert to join an open incident', () => incidentOf(source, 'health'));
    const into = opened.find((i) => i.id === joined)!;
    expect(into).toBeDefined();
    const notice = posts(INCIDENTS_CHANNEL_ID).find((c) => json(c.args).includes('Health checks failing on node-3'))!;
    const said = await waitUntil(
      'the notice to say where it went',
      async () => (now(notice).includes(`#${into.number}`) ? now(notice) : null),
      15_000,
    );
    expect(said).not.toContain('Declared as');
    expect(said).toContain(`Joined incident #${into.number}`);
    expect(said).toContain('storm cap');
    // It may be a different trouble: the notice still offers to declare it apart.
    expect(said).toContain(ACTION.declareFromAlert);
  }, 60_000);
});
