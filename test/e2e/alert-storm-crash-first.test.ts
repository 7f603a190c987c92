import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { inboxDone, waitUntil } from '../support/alert-runbook.js';
import { stormMessageCalls, stormOf, stormReturnRunbook } from '../support/alert-storm.js';
import { useBot } from '../support/bot-harness.js';

/**
 * A storm's incidents-channel message posted by a process that died once Slack took it, before it recorded where it
 * went: its claim of the message (alert_storm_messages.posting) is no longer renewed, and the storm's next step takes
 * it over, finds that post and tells its move in that message's thread, rather than post a second message.
 */
describe("a storm's first incidents-channel message posted by a process that died before recording it", () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: stormReturnRunbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
  });
  /** The storm's top-level messages in the incidents channel (not its thread's) Slack took. */
  const stormMessages = (source: string) => stormMessageCalls(bot, source, { taken: true });

  it("is found by the storm's next step, which tells its move in that message's thread", async () => {
    const source = 'storm-crash-first';
    const s = stormOf(bot, source);
    const { a, ts } = await s.start();
    await inboxDone(bot.db, 30_000);
    const { rows } = await bot.db.query<{ id: number }>(
      'SELECT id FROM alert_incidents WHERE incident_id = $1 ORDER BY id LIMIT 1',
      [a.id],
    );
    // What A's step leaves when its process dies after Slack took the message: the message not kept, its claim
    // last renewed 40 s ago (stale).
    await bot.db.query(
      `UPDATE alert_storm_messages SET channel = NULL, ts = NULL, replied = false, posting = $2,
         posting_since = now() - interval '45 seconds', posting_at = now() - interval '40 seconds'
        WHERE source = $1`,
      [source, `storm:${rows[0]!.id}:everyone`],
    );
    const c = await s.moveToSev1('sev1a', 'sev1b');
    await inboxDone(bot.db, 60_000);
    expect(stormMessages(source).map((m) => m.response!.ts)).toEqual([ts]);
    expect(await s.list()).toEqual([a.id, c.id]);
    await waitUntil('the move told in its thread, the message kept', async () =>
      s.replies(ts).length === 1 &&
      (await bot.db.query('SELECT 1 FROM alert_storm_messages WHERE source = $1 AND ts = $2', [source, ts])).rows
        .length === 1
        ? true
        : null,
    );
  }, 90_000);
});
