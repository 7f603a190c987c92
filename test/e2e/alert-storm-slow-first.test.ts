import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { inboxDone, waitUntil } from '../support/alert-runbook.js';
import { stormMessageCalls, stormOf, stormPostTo, stormReturnRunbook } from '../support/alert-storm.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * A public storm joins A; Slack is slow to take the incidents channel's storm message A's step posts, and the storm
 * moves to C (more severe, opened past the cap) meanwhile. C's step waits for that message and tells the move in its
 * thread: one storm, one message, whatever Slack's delays.
 */
describe('a storm moving while Slack is slow to take its first incidents-channel message', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: stormReturnRunbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
  });
  /** The storm's top-level messages in the incidents channel (not its thread's) Slack took. */
  const stormMessages = (source: string) => stormMessageCalls(bot, source, { taken: true });
  const shown = (ts: string) => json(bot.fake.message(INCIDENTS_CHANNEL_ID, ts)?.blocks);

  it('posts one message, naming C with A before it, and tells the move in its thread', async () => {
    const source = 'storm-slow-first';
    const s = stormOf(bot, source);
    // Slack takes the storm's first message only after 8 s (under the client's 10 s timeout: taken once).
    bot.fake.failNext('chat.postMessage', { delayMs: 8000 }, 1, stormPostTo(source));
    await s.fire('mem-1', 'memory_usage');
    await s.fire('cpu-1', 'cpu_usage');
    await s.fire('disk-1', 'disk_usage', { wait: false });
    const a = await s.declared(await s.incidentOf('disk-1'));
    // A SEV-1 alert (no row), more severe than A: opened past the cap as C; the next joins C, and so does the storm.
    await s.fire('sev1a', 'sev1a_depth', { wait: false });
    const c = await s.declared(await s.incidentOf('sev1a'));
    await s.fire('sev1b', 'sev1b_depth', { wait: false });
    expect(await s.incidentOf('sev1b')).toBe(c.id);
    await waitUntil('the storm at C', async () => (await s.list()).at(-1) === c.id);
    await inboxDone(bot.db, 60_000);
    // One message: A's, slow as it was (C's step did not post one of its own meanwhile).
    expect(stormMessages(source).map((m) => m.delayedMs)).toEqual([8000]);
    const ts = String(stormMessages(source)[0]!.response!.ts);
    expect(await s.list()).toEqual([a.id, c.id]);
    await waitUntil('the storm message naming C, A before it, the move in its thread', async () =>
      shown(ts).includes(`incident #${c.number}`) &&
      shown(ts).includes(`before: #${a.number}`) &&
      s.replies(ts).length === 1
        ? true
        : null,
    );
    expect(shown(ts)).not.toContain(`incident #${a.number}`);
  }, 120_000);
});
