import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { inboxDone, waitUntil } from '../support/alert-runbook.js';
import { isStormPost, stormMessagesShown, stormOf, stormPostTo, stormReturnRunbook } from '../support/alert-storm.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * A storm's first incidents-channel message, posted by A's step, is held by Slack while that step cannot renew its
 * claim (its database out of reach, its process frozen): the storm's next step, C's, takes the claim over, finds no
 * post of A's and posts the storm's message. Then Slack answers A's post: A's step does not record its message over
 * C's, it withdraws it, and the channel shows one storm message.
 */
describe("a storm's first incidents-channel message whose step stalled past its claim", () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: stormReturnRunbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
    alerts: { stormWithdrawals: { firstRetryMs: 100 } },
  });
  /** The storm's top-level messages in the incidents channel as it shows them (deleted ones gone). */
  const shownInChannel = (source: string) => stormMessagesShown(bot, source);

  it.each([
    ['', 0],
    [', Slack refusing its deletion once (deleted by the alert loop after)', 1],
    [', Slack refusing its deletion twice (deleted by the alert loop after)', 2],
  ])(
    "withdraws the stalled step's post once Slack answers it, the one the next step posted standing%s",
    async (_, refusals) => {
      const source = `storm-stalled-first-${refusals}`;
      const s = stormOf(bot, source);
      if (refusals > 0) bot.fake.failNext('chat.delete', { error: 'internal_error' }, refusals);
      let release = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      // Slack holds A's storm message until C's is posted (under the client's 10 s timeout: one request).
      bot.fake.failNext('chat.postMessage', { until: held }, 1, stormPostTo(source));
      const safety = setTimeout(release, 9000);
      try {
        await s.fire('mem-1', 'memory_usage');
        await s.fire('cpu-1', 'cpu_usage');
        await s.fire('disk-1', 'disk_usage', { wait: false });
        const a = await s.declared(await s.incidentOf('disk-1'));
        // A's step claimed the message and Slack holds it; the claim last renewed 40 s ago, as when A's step is stalled.
        await waitUntil('A posting the storm message', async () => {
          const { rows } = await bot.db.query(
            `UPDATE alert_storm_messages SET posting_since = now() - interval '45 seconds',
             posting_at = now() - interval '40 seconds'
            WHERE source = $1 AND ts IS NULL AND posting IS NOT NULL RETURNING source`,
            [source],
          );
          return rows.length > 0;
        });
        await s.fire('sev1a', 'sev1a_depth', { wait: false });
        const c = await s.declared(await s.incidentOf('sev1a'));
        await s.fire('sev1b', 'sev1b_depth', { wait: false });
        // C's step takes the claim over and posts the storm's message, naming C, A before it.
        const cPost = await bot.fake.waitFor('chat.postMessage', (m) => stormPostTo(source)(m.args));
        expect(json(cPost.args.blocks)).toContain(`before: #${a.number}`);
        const ts = String(cPost.response!.ts);
        await waitUntil('C recorded as the storm message', async () =>
          (await bot.db.query('SELECT 1 FROM alert_storm_messages WHERE source = $1 AND ts = $2', [source, ts])).rows
            .length === 1
            ? true
            : null,
        );
        // Slack answers A's post now.
        release();
        const aPost = await bot.fake.waitFor(
          'chat.postMessage',
          (m) => m.delayedMs !== undefined && isStormPost(source, m.args.text),
        );
        await inboxDone(bot.db, 60_000);
        expect(aPost.response!.ts).not.toBe(ts);
        // One storm message in the channel, C's, the one recorded; A's withdrawn.
        await waitUntil('one storm message shown', async () => (shownInChannel(source).length === 1 ? true : null));
        expect(shownInChannel(source).map((m) => m.ts)).toEqual([ts]);
        expect(bot.fake.message(INCIDENTS_CHANNEL_ID, String(aPost.response!.ts))?.deleted).toBe(true);
        const { rows } = await bot.db.query<{ ts: string }>('SELECT ts FROM alert_storm_messages WHERE source = $1', [
          source,
        ]);
        expect(rows.map((r) => r.ts)).toEqual([ts]);
        expect(await s.list()).toEqual([a.id, c.id]);
        // Deleted after each refusal Slack answered, nothing left to withdraw.
        const deletions = bot.fake.callsTo('chat.delete').filter((d) => d.args.ts === aPost.response!.ts);
        expect(deletions.map((d) => d.failed !== undefined)).toEqual([...Array(refusals).fill(true), false]);
        await waitUntil(
          'nothing left to withdraw',
          async () =>
            (await bot.db.query('SELECT 1 FROM alert_storm_withdrawals WHERE source = $1', [source])).rows.length === 0,
        );
      } finally {
        clearTimeout(safety);
        release();
      }
    },
    120_000,
  );
});
