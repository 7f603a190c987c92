import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { inboxDone, waitUntil } from '../support/alert-runbook.js';
import { stormMessagesShown, stormOf, stormPostTo, stormReturnRunbook } from '../support/alert-storm.js';
import { useBot } from '../support/bot-harness.js';

/**
 * Slack takes a storm's first incidents-channel message but answers an error (its answer lost): the step's retry looks
 * for that post before posting again, and keeps it: one storm message in the channel.
 */
describe("a storm's first incidents-channel message Slack took but answered with an error", () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: stormReturnRunbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
  });
  /** The storm's top-level messages in the incidents channel as it shows them. */
  const shownInChannel = (source: string) => stormMessagesShown(bot, source);

  it('is found by the retry and kept, not posted again', async () => {
    const source = 'storm-lost-answer';
    const s = stormOf(bot, source);
    bot.fake.failNext('chat.postMessage', { takenThen: 'internal_error' }, 1, stormPostTo(source));
    await s.fire('mem-1', 'memory_usage');
    await s.fire('cpu-1', 'cpu_usage');
    await s.fire('disk-1', 'disk_usage', { wait: false });
    const a = await s.declared(await s.incidentOf('disk-1'));
    const lost = await bot.fake.waitFor('chat.postMessage', (m) => m.taken !== undefined, 30_000, {
      includeFailed: true,
    });
    const ts = String(lost.taken!.ts);
    // The retry keeps the post Slack took: the storm's message, recorded.
    await waitUntil(
      'the post Slack took recorded as the storm message',
      async () =>
        (await bot.db.query('SELECT 1 FROM alert_storm_messages WHERE source = $1 AND ts = $2', [source, ts])).rows
          .length === 1,
      60_000,
    );
    await inboxDone(bot.db, 60_000);
    expect(shownInChannel(source).map((m) => m.ts)).toEqual([ts]);
    expect(await s.list()).toEqual([a.id]);
  }, 120_000);
});
