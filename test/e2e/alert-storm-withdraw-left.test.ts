import { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { inboxDone, waitUntil } from '../support/alert-runbook.js';
import { stormMessagesShown, stormOf, stormReturnRunbook } from '../support/alert-storm.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

/**
 * A post of a storm's incidents-channel message one too many, recorded to be withdrawn (alert_storm_withdrawals) and
 * not deleted (Slack refused it, or the step's process died first), while no step of the storm comes any more: the
 * alert loop's sweep deletes it, its storm's message left standing.
 */
describe("a storm's post one too many left to withdraw, the storm over", () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: stormReturnRunbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
    alerts: { stormWithdrawals: { firstRetryMs: 100, maxAttempts: 3 } },
  });

  it('is deleted by the alert loop, Slack refusing it once first', async () => {
    const source = 'storm-withdraw-left';
    const s = stormOf(bot, source);
    const { ts } = await s.start();
    await inboxDone(bot.db, 60_000);
    // A stalled step's post, answered late, its withdrawal recorded by a process that died before deleting it.
    const client = new WebClient('xoxb-e2e-token', { slackApiUrl: bot.fake.url, retryConfig: { retries: 0 } });
    const late = await client.chat.postMessage({
      channel: INCIDENTS_CHANNEL_ID,
      text: `Alert storm: ${source}'s further critical alerts join`,
    });
    const dup = String(late.ts);
    expect(stormMessagesShown(bot, source)).toHaveLength(2);
    bot.fake.failNext('chat.delete', { error: 'internal_error' }, 1, (a) => a.ts === dup);
    await bot.db.query('INSERT INTO alert_storm_withdrawals (channel, ts, source) VALUES ($1, $2, $3)', [
      INCIDENTS_CHANNEL_ID,
      dup,
      source,
    ]);
    await waitUntil('the post one too many deleted', async () => bot.fake.message(INCIDENTS_CHANNEL_ID, dup)?.deleted);
    expect(stormMessagesShown(bot, source).map((m) => m.ts)).toEqual([ts]);
    const deletions = bot.fake.callsTo('chat.delete').filter((d) => d.args.ts === dup);
    expect(deletions.map((d) => d.failed !== undefined)).toEqual([true, false]);
    await waitUntil(
      'nothing left to withdraw',
      async () => (await bot.db.query('SELECT 1 FROM alert_storm_withdrawals')).rows.length === 0,
    );
  }, 60_000);
});
