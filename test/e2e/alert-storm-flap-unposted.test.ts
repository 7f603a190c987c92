import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { inboxDone, waitUntil } from '../support/alert-runbook.js';
import { stormMessageCalls, stormOf, stormPostTo, stormReturnRunbook } from '../support/alert-storm.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * A public storm joins A, then C (more severe, opened past the cap); C resolved, it flaps back to A (within
 * ALERTS_STORM_RETURN_GAP: told nowhere) before the incidents channel's storm message is up. The message that appears
 * in the end names A, the storm's incident now, C before it.
 */
describe('a storm flapping back while its incidents-channel message is not up yet', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: stormReturnRunbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2', ALERTS_STORM_RETURN_GAP: '5m' },
  });
  /** The storm's top-level messages in the incidents channel (not its thread's), Slack took or not. */
  const stormMessages = (source: string) => stormMessageCalls(bot, source);
  /** The storm's message as recorded (alert_storm_messages); null while it is not up. */
  const messageTs = async (source: string) =>
    (await bot.db.query<{ ts: string | null }>('SELECT ts FROM alert_storm_messages WHERE source = $1', [source]))
      .rows[0]?.ts ?? null;
  const shown = (ts: string) => json(bot.fake.message(INCIDENTS_CHANNEL_ID, ts)?.blocks);

  it('names the incident it flapped back to once its post, slow while the storm moved, is up', async () => {
    const source = 'storm-flap-pending';
    const s = stormOf(bot, source);
    // Slack takes A's storm message only after 8 s: the storm moves to C, and flaps back to A, meanwhile.
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
    // C resolved: the storm's next alert goes back to A, a flap.
    await s.resolve(c);
    await s.fire('back-1', 'back_one', { wait: false });
    expect(await s.incidentOf('back-1')).toBe(a.id);
    expect(await s.list()).toEqual([c.id, a.id]);
    expect(await messageTs(source)).toBeNull();
    await inboxDone(bot.db, 60_000);
    // The storm's message (A's step's, posted while it went to C and back), as it reads now.
    const ts = (await messageTs(source))!;
    await waitUntil('the storm message naming A, C before it', async () =>
      shown(ts).includes(`incident #${a.number}`) && shown(ts).includes(`before: #${c.number})`) ? true : null,
    );
    expect(shown(ts)).not.toContain(`incident #${c.number}`);
  }, 120_000);

  it('names the incident it flapped back to once Slack takes it, its steps done meanwhile', async () => {
    const source = 'storm-flap-refused';
    const s = stormOf(bot, source);
    // Slack refuses the storm's message, whichever step posts it, until the flap is over.
    let refusing = true;
    bot.fake.failNext(
      'chat.postMessage',
      { error: 'internal_error' },
      1000,
      (args) => refusing && stormPostTo(source)(args),
    );
    await s.fire('mem-1', 'memory_usage');
    await s.fire('cpu-1', 'cpu_usage');
    await s.fire('disk-1', 'disk_usage', { wait: false });
    const a = await s.declared(await s.incidentOf('disk-1'));
    await waitUntil("A's storm message refused", async () => stormMessages(source).some((m) => m.failed));
    await s.fire('sev1a', 'sev1a_depth', { wait: false });
    const c = await s.declared(await s.incidentOf('sev1a'));
    await s.fire('sev1b', 'sev1b_depth', { wait: false });
    expect(await s.incidentOf('sev1b')).toBe(c.id);
    // A's step, tried again with C after it in the storm's list, leaves the message to C's step and is done.
    const aStep = await bot.db.query<{ id: number }>(
      'SELECT id FROM alert_incidents WHERE incident_id = $1 ORDER BY id LIMIT 1',
      [a.id],
    );
    const aKey = `storm:${aStep.rows[0]!.id}:everyone`;
    await waitUntil(
      "A's step done",
      async () =>
        (await bot.db.query('SELECT 1 FROM alert_step_posts WHERE key = $1 AND posted', [aKey])).rows.length > 0,
      30_000,
    );
    // C resolved, the storm flaps back to A: C's step, tried again, leaves the message to A's, which is done.
    await s.resolve(c);
    await s.fire('back-1', 'back_one', { wait: false });
    expect(await s.incidentOf('back-1')).toBe(a.id);
    expect(await s.list()).toEqual([c.id, a.id]);
    refusing = false;
    await inboxDone(bot.db, 90_000);
    const posted = await waitUntil('the storm message up', async () =>
      stormMessages(source).find((m) => !m.failed && m.response),
    );
    expect(stormMessages(source).filter((m) => !m.failed)).toHaveLength(1);
    const ts = String(posted.response!.ts);
    await waitUntil('the storm message naming A, C before it', async () =>
      shown(ts).includes(`incident #${a.number}`) && shown(ts).includes(`before: #${c.number})`) ? true : null,
    );
  }, 150_000);
});
