import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ALERTS_ENV } from '../support/alert-request.js';
import { alertRunbookData, fireAlert, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * A storm step's post is claimed (alert_step_posts) before it is made. A process killed between the claim and the post
 * left a claim nobody posted: the step's retry took it for posted, and the storm was never told (found from outside).
 */
describe('a storm post claimed by a process that died is posted by the retry', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: parseRunbook(alertRunbookData()),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
  });
  const fire = (over: Record<string, unknown>) => fireAlert(bot, over, { wait: false });
  const posted = (channel: string, text: string) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === channel && c.response?.ok && json(c.args.blocks).includes(text));

  it('claimed and never posted (its process killed): the timer loop posts it once the claim is stale, once', async () => {
    const source = 'storm-killed';
    await fire({ source, key: 'mem', metric: 'memory_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    await fire({ source, key: 'disk', metric: 'disk_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    await inboxDone(bot.db);
    const opened = await waitUntil('the two incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
    // A process claimed the storm's posts (whichever incident the storm joins) and was killed before it posted: its
    // claims are left, not posted, made a little under two minutes ago (stale in a few seconds).
    const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM alert_incidents WHERE source = $1', [source]);
    for (const { id } of rows)
      for (const where of ['here', 'everyone'])
        await bot.db.query(
          `INSERT INTO alert_step_posts (key, claimed_at) VALUES ($1, now() - interval '117 seconds')`,
          [`storm:${id}:${where}`],
        );
    // And Slack fails the first post the retry makes: its claim is given back, and the next retry posts it.
    bot.fake.failNext('chat.postMessage', { error: 'internal_error' });
    await fire({ source, key: 'cpu', metric: 'cpu_usage', value: '97%', threshold: '> 90%', service: 'api' });
    const told = await waitUntil(
      'the storm told in the incidents channel',
      async () => posted(INCIDENTS_CHANNEL_ID, 'reached its cap')[0],
      30_000,
    );
    expect(json(told.args.blocks)).toContain(source);
    await inboxDone(bot.db, 30_000);
    const { rows: joined } = await bot.db.query<{ incident_id: number }>(
      `SELECT ai.incident_id FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
        WHERE a.source = $1 AND a.fingerprint = 'cpu'`,
      [source],
    );
    const into = opened.find((i) => i.id === Number(joined[0]!.incident_id))!;
    expect(posted(INCIDENTS_CHANNEL_ID, 'reached its cap')).toHaveLength(1);
    expect(posted(into.channel_id, 'reached its cap')).toHaveLength(1);
  }, 60_000);
});
