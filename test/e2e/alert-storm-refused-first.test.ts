import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { alertRunbook, inboxDone, stormAlerts, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * A public storm joins A, then C: A's step, its incidents-channel message refused by Slack before it could be recorded,
 * and tried again after C's, keeps its place (first) in the storm's one message, and says nothing of its own then. C's
 * step posted that message, naming A before C: its thread has no reply, and it does not say the thread tells when it
 * changed.
 */
describe("a public storm's first step refused before it recorded its message", () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: alertRunbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
  });
  const source = 'storm-refused-first';
  /** Its alerts (of `metric`: its runbook row's severity, SEV-2 for cpu, memory, disk; none: SEV-1). */
  const { fire, incidentOf, declared } = stormAlerts(bot, source);
  const stormPosts = () =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('further critical alerts'));

  it('lists the incidents in the order the storm joined them', async () => {
    // Two SEV-2 incidents: the cap. Slack refuses the incidents channel's storm message naming the first the storm joins
    // (each of its step's attempts), until the storm's next step (C's, `admitted`) has posted its own.
    let refusing = true;
    let admitted: string | null = null;
    bot.fake.failNext(
      'chat.postMessage',
      { error: 'internal_error' },
      100,
      (args) =>
        refusing &&
        args.channel === INCIDENTS_CHANNEL_ID &&
        !args.thread_ts &&
        String(args.text).startsWith('Alert storm:') &&
        String(args.text).includes('join incident #') &&
        !(admitted && String(args.text).endsWith(admitted)),
    );
    await fire('mem-1', 'memory_usage');
    await fire('cpu-1', 'cpu_usage');
    await fire('disk-1', 'disk_usage', { wait: false });
    const a = await declared(await incidentOf('disk-1'));
    await waitUntil("A's storm message refused", async () => stormPosts().some((c) => c.failed !== undefined));
    // A SEV-1 alert (no row), more severe than A: opened past the cap as C; the next SEV-1 one joins C, the storm too.
    // Slack takes C's storm message, not A's: C's step posts the storm's, naming A before C; A's step is tried again
    // after it.
    await fire('sev1-1', 'queue_depth', { wait: false });
    const c = await declared(await incidentOf('sev1-1'));
    admitted = `incident #${c.number}`;
    await fire('sev1-2', 'payments_up', { wait: false });
    expect(await incidentOf('sev1-2')).toBe(c.id);
    await waitUntil("C's storm message", async () =>
      stormPosts().find((m) => !m.failed && String(m.args.text).endsWith(`incident #${c.number}`)),
    );
    refusing = false;
    await inboxDone(bot.db, 90_000);
    // One message, naming C now and A before it; nothing in its thread says the storm went from C to A. Its thread
    // has no reply at all: the message does not say the thread tells when it changed.
    const posted = stormPosts().filter((m) => !m.failed && !m.args.thread_ts);
    expect(posted).toHaveLength(1);
    const ts = String(posted[0]!.response!.ts);
    const shown = json(bot.fake.message(INCIDENTS_CHANNEL_ID, ts)?.blocks);
    expect(shown).toContain(`incident #${c.number}`);
    expect(shown).toContain(`before: #${a.number})`);
    const replies = bot.fake.callsTo('chat.postMessage').filter((m) => m.args.thread_ts === ts && !m.failed);
    expect(replies).toHaveLength(0);
    expect(shown).not.toContain('the thread says');
  }, 120_000);
});
