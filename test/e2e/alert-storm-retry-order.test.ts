import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { alertRunbook, inboxDone, incidentsOfSource, stormAlerts, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * A public storm's moves (A, then B, then C) in the incidents channel's one message: B's step, refused by Slack in the
 * thread and tried again after the storm moved on to C, keeps the order they came in, and says nothing of B now.
 */
describe("a public storm's step tried again after the storm moved on", () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: alertRunbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
  });
  const source = 'storm-order';
  /** Its alerts (of `metric`: its runbook row's severity, SEV-2 for cpu, memory, disk; none: SEV-1). */
  const { fire, incidentOf, declared } = stormAlerts(bot, source);
  const resolve = async (i: { id: number; channel_id: string }) => {
    await bot.command('resolve queue drained', { channel_id: i.channel_id });
    await waitUntil(
      'resolved',
      async () =>
        (await bot.db.query("SELECT 1 FROM incidents WHERE id = $1 AND status = 'resolved'", [i.id])).rows.length > 0,
    );
  };

  it('lists the incidents in the order the storm joined them', async () => {
    // Two SEV-2 incidents: the cap. A disk alert joins one of them, A: the storm's.
    await fire('mem-1', 'memory_usage');
    await fire('cpu-1', 'cpu_usage');
    await fire('disk-1', 'disk_usage');
    const a = await declared(await incidentOf('disk-1'));
    const storm = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && !c.args.thread_ts && json(c.args).includes('reached its cap'),
    );
    const ts = String(storm.response!.ts);
    const shown = () => json(bot.fake.message(INCIDENTS_CHANNEL_ID, ts)?.blocks);
    const b = await declared((await incidentsOfSource(bot.db, source)).find((i) => i.id !== a.id)!.id);
    // A resolved, more of B's alert moves the storm to B; Slack refuses B's reply in the thread until C has come.
    let refusing = true;
    bot.fake.failNext(
      'chat.postMessage',
      { error: 'internal_error' },
      50,
      (args) => refusing && args.thread_ts === ts && String(args.text).endsWith(`incident #${b.number}`),
    );
    await resolve(a);
    const bAlert = (await incidentOf('cpu-1')) === b.id ? 'cpu_usage' : 'memory_usage';
    await fire('more-of-b', bAlert, { wait: false });
    expect(await incidentOf('more-of-b')).toBe(b.id);
    await waitUntil("B's reply refused", async () =>
      bot.fake.callsTo('chat.postMessage').some((m) => m.args.thread_ts === ts && m.failed !== undefined),
    );
    // A SEV-1 alert (no row), more severe than B: opened past the cap as C; the next SEV-1 one joins C, the storm too.
    await fire('sev1-1', 'queue_depth', { wait: false });
    const c = await declared(await incidentOf('sev1-1'));
    await fire('sev1-2', 'payments_up', { wait: false });
    expect(await incidentOf('sev1-2')).toBe(c.id);
    await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.thread_ts === ts && !m.failed && String(m.args.text).endsWith(`incident #${c.number}`),
    );
    // Redrawn once C's reply is posted (the first reply its thread has), to point to the thread.
    await waitUntil('the message naming C', async () => shown().includes(`incident #${c.number}`));
    await waitUntil('the message pointing to its thread', async () =>
      shown().includes(`before: #${a.number}, #${b.number}; the thread says when it changed`),
    );
    // Slack takes B's reply again: B's step (B open still), tried again, is done; the message still names C, in order.
    refusing = false;
    await inboxDone(bot.db, 90_000);
    expect(shown()).toContain(`incident #${c.number}`);
    expect(shown()).toContain(`before: #${a.number}, #${b.number};`);
    const replies = bot.fake.callsTo('chat.postMessage').filter((m) => m.args.thread_ts === ts && !m.failed);
    expect(replies.map((m) => String(m.args.text).replace(/.* /, ''))).toEqual([`#${c.number}`]);
  }, 120_000);
});
