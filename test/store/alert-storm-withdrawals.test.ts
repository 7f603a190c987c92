/**
 * A post of a storm's incidents-channel message one too many whose deletion Slack refused is deleted by the alert
 * loop's sweep (StormWithdrawals), with no storm step to come (the storm over), really waiting its short waits; given
 * up, logged, after its attempts.
 */
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { StepPosts } from '../../src/incidents/alert-step-posts.js';
import { StormMessage } from '../../src/incidents/alert-storm-message.js';
import { StormWithdrawals } from '../../src/incidents/alert-storm-withdrawals.js';
import { sweepWhen, TimerLoop } from '../../src/incidents/timer-loop.js';
import { SlackAlertChat } from '../../src/slack/slack-alert-chat.js';
import { STORM_WITHDRAWALS_DUE, stormMessageOf } from '../../src/store/alert-storm-message.repo.js';
import { waitUntil } from '../support/alert-runbook.js';
import { makeIncident } from '../support/incident-fixture.js';
import { useFakeSlack } from '../support/use-fake-slack.js';
import { emptyTables, forEachDatabase } from './databases.js';

forEachDatabase((ctx) => {
  const fake = useFakeSlack({ reset: true });
  let channel: string;
  let n = 0;
  let client: WebClient;
  let logged: { level: string; text: string }[];
  let loop: TimerLoop<{ id: number }> | null = null;
  const log = {
    info: () => {},
    warn: (text: unknown) => void logged.push({ level: 'warn', text: String(text) }),
    error: (text: unknown) => void logged.push({ level: 'error', text: String(text) }),
  };
  beforeEach(async () => {
    await emptyTables(ctx.db, ['alert_storm_messages', 'alert_step_posts', 'alert_storm_withdrawals']);
    channel = fake.addChannel(`incidents-w-${++n}`);
    client = new WebClient('xoxb-test', { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
    logged = [];
  });
  afterEach(async () => {
    await loop?.stop();
    loop = null;
  });

  const incident = makeIncident({ id: 1, number: 1 });
  const storm = { source: 's', maxIncidents: 2 };
  /**
   * The storm's message posted and recorded; a second post of it (a stalled step's, answered late) found and not kept:
   * withdrawn, Slack refusing its deletion `refusals` times. The alert loop (its sweep only) then runs.
   */
  const duplicateRefused = async (refusals: number, maxAttempts: number) => {
    const chat = new SlackAlertChat(client, { incidentsChannel: channel, log });
    const withdrawals = new StormWithdrawals(ctx.db, chat, { firstRetryMs: 50, maxAttempts }, log);
    const message = new StormMessage(ctx.db, chat, new StepPosts(ctx.db, chat), withdrawals);
    const { at } = await message.tellStormEveryone(incident, storm, 'storm:1:everyone');
    const late = await client.chat.postMessage({ channel, text: "Alert storm: s's further critical alerts join" });
    const dup = { channel, ts: String(late.ts) };
    fake.failNext('chat.delete', { error: 'internal_error' }, refusals);
    expect(await message.keepFound(incident, storm.source, dup)).toBe(false);
    // The storm is over: no step of it comes. Only the loop's sweep is left to delete it.
    loop = new TimerLoop(
      ctx.db,
      { claim: async () => [], run: async () => {}, nextDueAt: async () => null },
      log,
      { maxSleepMs: 20 },
      [sweepWhen(STORM_WITHDRAWALS_DUE, withdrawals)],
    );
    loop.start();
    const deletions = () => fake.callsTo('chat.delete').filter((d) => d.args.ts === dup.ts);
    const left = async () =>
      (await ctx.db.query('SELECT attempts FROM alert_storm_withdrawals WHERE ts = $1', [dup.ts])).rows;
    return { at, dup, deletions, left };
  };

  it('deletes it once Slack takes the deletion, the storm over, after waits really waited', async () => {
    const { at, dup, deletions, left } = await duplicateRefused(3, 5);
    const started = Date.now();
    await waitUntil('the post one too many deleted', async () => fake.message(channel, dup.ts)?.deleted === true);
    // Refused at once, then by the sweep twice (50 ms, then 100 ms after): about 150 ms of waits at least.
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(deletions().map((d) => d.failed !== undefined)).toEqual([true, true, true, false]);
    await waitUntil('nothing left to withdraw', async () => (await left()).length === 0);
    // The storm's message stands.
    expect(await stormMessageOf(ctx.db, 's')).toEqual(at);
    expect(fake.message(channel, at!.ts)?.deleted).toBeFalsy();
    expect(logged.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('gives it up after its attempts, logged as an error, and tries no more', async () => {
    const { dup, deletions, left } = await duplicateRefused(20, 3);
    await waitUntil('the withdrawal given up', async () => (await left()).length === 0);
    // Once at the step, then three times by the sweep.
    expect(deletions().map((d) => d.failed !== undefined)).toEqual([true, true, true, true]);
    expect(logged.filter((l) => l.level === 'error').map((l) => l.text)).toEqual([
      expect.stringMatching(/gave up deleting a post of s's storm message one too many .* after 3 attempts/),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(deletions()).toHaveLength(4);
    expect(fake.message(channel, dup.ts)?.deleted).toBeFalsy();
  });
});
