import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { inboxDone, waitUntil } from '../support/alert-runbook.js';
import { stormOf, stormReturnRunbook } from '../support/alert-storm.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * ALERTS_STORM_RETURN_GAP shorter than a storm step takes (1 s; A's step slowed by Slack for 8 s): the storm joins A,
 * moves to C, and, C resolved past the gap, goes back to A, all before A's step has told A's channel it joined. A's
 * channel hears the storm once, as joining it, never "Alert storm back" for a storm it was not yet told of; the
 * incidents channel's message names A, the storm's incident, in the end.
 */
describe('a storm back at an incident before its first step ran, the return gap short', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: stormReturnRunbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2', ALERTS_STORM_RETURN_GAP: '1s' },
  });
  const source = 'storm-short-gap';
  const s = stormOf(bot, source);

  it('is told once, as joining it', async () => {
    // Slack takes the storm's first post in an incident's channel (A's step's) only after 8 s (the bot's client waits 10 s).
    bot.fake.failNext(
      'chat.postMessage',
      { delayMs: 8000 },
      1,
      (args) =>
        args.channel !== INCIDENTS_CHANNEL_ID &&
        String(args.text).startsWith(`Alert storm: ${source}'s further critical alerts join`),
    );
    await s.fire('mem-1', 'memory_usage');
    await s.fire('cpu-1', 'cpu_usage');
    await s.fire('disk-1', 'disk_usage', { wait: false });
    const a = await s.declared(await s.incidentOf('disk-1'));
    // A SEV-1 alert (no row), more severe than A: opened past the cap as C; the next joins C, and so does the storm.
    await s.fire('sev1a', 'sev1a_depth', { wait: false });
    const c = await s.declared(await s.incidentOf('sev1a'));
    await s.fire('sev1b', 'sev1b_depth', { wait: false });
    expect(await s.incidentOf('sev1b')).toBe(c.id);
    await waitUntil("C's channel told of the storm", async () => s.toldIn(c).length === 1);
    // C resolved; past the gap (1 s), a SEV-2 alert of a new name goes back to A, its step still on its way.
    await s.resolve(c);
    await sleep(1500);
    await s.fire('back-1', 'back_one', { wait: false });
    expect(await s.incidentOf('back-1')).toBe(a.id);
    // All of it while A's step still waits for Slack (else this test shows nothing).
    expect(bot.fake.callsTo('chat.postMessage').some((m) => m.delayedMs)).toBe(false);
    await inboxDone(bot.db, 60_000);
    // A's channel: the storm joined it, once; no return of a storm it had not been told of.
    expect(s.toldIn(a)).toHaveLength(1);
    expect(json(s.toldIn(a)[0]!.args.blocks)).not.toContain('Alert storm back');
    // The incidents channel's message names A, the storm's incident now, C before it.
    const { rows } = await bot.db.query<{ ts: string }>('SELECT ts FROM alert_storm_messages WHERE source = $1', [
      source,
    ]);
    const shown = () => json(bot.fake.message(INCIDENTS_CHANNEL_ID, rows[0]!.ts)?.blocks);
    await waitUntil('the storm message naming A', async () => shown().includes(`incident #${a.number}`));
    expect(shown()).toContain(`before: #${c.number}`);
    expect(await s.list()).toEqual([c.id, a.id]);
  }, 120_000);
});
