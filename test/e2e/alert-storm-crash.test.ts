import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ALERTS_ENV } from '../support/alert-request.js';
import { alertRunbookData, fireAlert, inboxDone, incidentOfAlert, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * A storm's message posted by a process killed once Slack took it, before it recorded where it went: the storm step's
 * retry (its claim stale two minutes on) finds it in the channel and keeps it, rather than post it again.
 */
describe('a storm message posted by a process that died before recording it', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: parseRunbook(alertRunbookData()),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '1' },
  });
  /** One alert in the generic format, recorded and its plan carried out before the next. */
  const fire = (over: Record<string, unknown>) => fireAlert(bot, over);
  const told = (channel: string | null) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === channel && c.response?.ok && json(c.args.blocks).includes('reached its cap'));

  it('is found where it went, in both places, and kept: not posted again', async () => {
    const source = 'storm-crash';
    await fire({ source, key: 'mem', metric: 'memory_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    await fire({ source, key: 'cpu', metric: 'cpu_usage', value: '97%', threshold: '> 90%', service: 'api' });
    const incidentId = await waitUntil('the storm joining the first incident', () =>
      incidentOfAlert(bot.db, source, 'cpu'),
    );
    const { rows: incident } = await bot.db.query<{ channel_id: string }>(
      'SELECT channel_id FROM incidents WHERE id = $1',
      [incidentId],
    );
    const channel = incident[0]!.channel_id;
    await waitUntil(
      'the storm told in both places',
      async () => told(channel).length + told(INCIDENTS_CHANNEL_ID).length === 2,
    );
    const [here, everyone] = [told(channel)[0]!, told(INCIDENTS_CHANNEL_ID)[0]!];

    // What a process killed after both posts, before it recorded them, leaves: its claims two minutes old, nothing
    // kept of where the posts went, the storm's message claimed and not kept, and its delivery's plan not done.
    await bot.db.query(
      `UPDATE alert_step_posts SET posted = false, channel = NULL, ts = NULL, claimed_at = now() - interval '119 seconds'
        WHERE key LIKE 'storm:%'`,
    );
    await bot.db.query(
      `UPDATE alert_storm_messages SET channel = NULL, ts = NULL, told_at = now() - interval '119 seconds'
        WHERE source = $1`,
      [source],
    );
    const { rows: replayed } = await bot.db.query(
      `UPDATE alert_deliveries SET state = 'recorded', done = '{}', due_at = now(), locked_until = NULL
        WHERE source = $1 AND plan::text LIKE '%"kind": "storm"%' RETURNING id`,
      [source],
    );
    expect(replayed).toHaveLength(1);
    // The loop wakes for a delivery (of another source), and takes the storm's over with it.
    await fire({
      source: 'elsewhere',
      key: 'w',
      level: 'warning',
      metric: 'queue_depth',
      value: '9',
      summary: 'Queue',
    });
    await inboxDone(bot.db, 20_000);

    expect(told(channel)).toHaveLength(1);
    expect(told(INCIDENTS_CHANNEL_ID)).toHaveLength(1);
    // Kept where they went: a later move of the storm updates that message.
    const { rows: kept } = await bot.db.query<{ key: string; ts: string; posted: boolean }>(
      `SELECT key, ts, posted FROM alert_step_posts WHERE key LIKE 'storm:%' ORDER BY key`,
    );
    expect(kept.map((k) => [k.key.split(':')[2], k.ts, k.posted])).toEqual([
      ['everyone', everyone.response!.ts, true],
      ['here', here.response!.ts, true],
    ]);
    const { rows: message } = await bot.db.query<{ ts: string }>(
      'SELECT ts FROM alert_storm_messages WHERE source = $1',
      [source],
    );
    expect(message[0]!.ts).toBe(everyone.response!.ts);
  }, 60_000);
});
