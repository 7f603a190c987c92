import { expect } from 'vitest';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { alertRunbookData, type IncidentOfAlert, stormAlerts, waitUntil } from './alert-runbook.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID } from './bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/** Critical SEV-2 rows of names no incident has yet: alerts the storm sends to the least severe open incident. */
const row = (name: string, metric: string) => ({
  name,
  metric,
  threshold: '> 95%',
  level: 'critical',
  action: 'Look at it',
  playbook: 'memory-leaks',
  severity: 'SEV-2',
});
export const stormReturnRunbook = (): Runbook =>
  parseRunbook({
    ...alertRunbookData(),
    alerts: [...alertRunbookData().alerts, row('BackOne', 'back_one'), row('BackTwo', 'back_two')],
  });

/** The storm's steps for one source, on one bot: its incidents, where it goes, what is said. */
export function stormOf(bot: BotHarness, source: string) {
  /** Its alerts (of `metric`: its runbook row's severity, SEV-2 for cpu, memory, disk, back_*; none: SEV-1). */
  const { fire, incidentOf, declared } = stormAlerts(bot, source);
  const resolve = async (i: IncidentOfAlert) => {
    await bot.command('resolve queue drained', { channel_id: i.channel_id });
    await waitUntil(
      'resolved',
      async () =>
        (await bot.db.query("SELECT 1 FROM incidents WHERE id = $1 AND status = 'resolved'", [i.id])).rows.length > 0,
    );
  };
  const list = async () => {
    const { rows } = await bot.db.query<{ incidents: number[] }>(
      'SELECT incidents FROM alert_storm_messages WHERE source = $1',
      [source],
    );
    return (rows[0]?.incidents ?? []).map(Number);
  };
  /** The storm's posts in an incident's channel (`Alert storm: …`, the storm joining it or back at it). */
  const toldIn = (i: IncidentOfAlert) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === i.channel_id && !c.failed && String(c.args.text).startsWith('Alert storm:'));
  /** Two SEV-2 incidents (the cap of 2); a disk alert joins one, A: the storm's. The storm's message's ts. */
  const start = async () => {
    await fire('mem-1', 'memory_usage');
    await fire('cpu-1', 'cpu_usage');
    await fire('disk-1', 'disk_usage');
    const a = await declared(await incidentOf('disk-1'));
    const storm = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && !c.args.thread_ts && json(c.args).includes('reached its cap'),
    );
    return { a, ts: String(storm.response!.ts) };
  };
  /** Two SEV-1 alerts (no row), more severe than A: opened past the cap, the second joins it, and the storm too. */
  const moveToSev1 = async (k1: string, k2: string) => {
    await fire(k1, `${k1}_depth`);
    const c = await declared(await incidentOf(k1));
    await fire(k2, `${k2}_depth`);
    expect(await incidentOf(k2)).toBe(c.id);
    return c;
  };
  const replies = (ts: string) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter((m) => m.args.thread_ts === ts && !m.failed)
      .map((m) => String(m.args.text).replace(/.* /, ''));
  return { fire, incidentOf, declared, resolve, list, toldIn, start, moveToSev1, replies };
}

/** Whether a message's text is `source`'s storm message in the incidents channel (its opening words). */
export const isStormPost = (source: string, text: unknown) =>
  String(text).startsWith(`Alert storm: ${source}'s further critical alerts join`);

/** A call's arguments post `source`'s storm message at the top of the incidents channel (not in its thread). */
export const stormPostTo =
  (source: string) =>
  (args: { channel?: unknown; thread_ts?: unknown; text?: unknown }): boolean =>
    args.channel === INCIDENTS_CHANNEL_ID && !args.thread_ts && isStormPost(source, args.text);

/** The calls posting `source`'s storm message at the top of the incidents channel; with `taken`, those Slack took. */
export const stormMessageCalls = (bot: BotHarness, source: string, o: { taken?: boolean } = {}) =>
  bot.fake.callsTo('chat.postMessage').filter((m) => stormPostTo(source)(m.args) && !(o.taken && m.failed));

/** `source`'s storm messages at the top of the incidents channel as it shows them (deleted ones gone). */
export const stormMessagesShown = (bot: BotHarness, source: string) =>
  bot.fake
    .messagesIn(INCIDENTS_CHANNEL_ID)
    .filter((m) => !m.thread_ts && isStormPost(source, m.history[0]?.text ?? m.text));
