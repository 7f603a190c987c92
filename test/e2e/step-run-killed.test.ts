import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import { APPROVER, CTO, hasApprove, idOf, RESPONDER, webDownRunbookData } from '../support/approval-flow.js';
import { SIGNING_SECRET } from '../support/bot-harness.js';
import { startBotProcess } from '../support/bot-process.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { eventually } from '../support/incident-flow.js';
import { makeBlockAction, postInteraction, postSlashCommand } from '../support/slack-request.js';
import { useBotProcesses } from '../support/use-bot-processes.js';

/**
 * An approved step whose command is running when the bot is killed outright (kill -9) records nothing: each running run
 * holds a lease its process renews, and once it runs out another process's sweep records the run lost, says so where it
 * said "running" (the run's message, the checklist, the approval request in the channel and in direct messages), and
 * frees the step to be run again. While its process lives (past a whole lease), nobody takes it.
 */

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
/**
 * How long a run is held without a renewal: STEP_RUN_LEASE (30s by default), 6s here. Not shorter: a renewal late by
 * two thirds of a lease (a loaded machine's stall) would let the bot's own sweep take its live run.
 */
const LEASE_MS = 6_000;

const runbook = webDownRunbookData('300s');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = (m: RecordedCall) => m.response as { channel: string; ts: string };

describe('a step running when the bot is killed with -9', () => {
  const bp = useBotProcesses({ runbook, dirPrefix: 'bot-run-kill-' });
  const { fake, procs } = bp;
  const shown = (m: RecordedCall) => JSON.stringify(fake.message(at(m).channel, at(m).ts)?.blocks ?? null);
  const runState = async () =>
    (await bp.db.query<{ state: string }>("SELECT state FROM step_runs WHERE step_key = 'mitigation.0' ORDER BY id"))
      .rows[0]?.state;

  it('is recorded lost by the next process once its lease runs out, shown so everywhere, and can run again', async () => {
    // A command that runs a minute: a line a second.
    const env = {
      ...bp.env,
      ATOM_CLI,
      COMMAND_ENV: 'ATOM_CLI_SLOW_MS,ATOM_CLI_SLOW_COUNT',
      ATOM_CLI_SLOW_MS: '1000',
      ATOM_CLI_SLOW_COUNT: '60',
      STEP_RUN_LEASE: `${LEASE_MS / 1000}s`,
    };
    const first = await startBotProcess(env);
    procs.push(first.proc);
    const firstUrl = `http://127.0.0.1:${first.port}`;
    await postSlashCommand(firstUrl, SIGNING_SECRET, {
      text: 'sev1 web down killed mid-run',
      response_url: fake.responseUrl('kill'),
    });
    const pb = await fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)), 20_000);
    const channelId = String(pb.args.channel);
    for (const u of [RESPONDER, APPROVER]) fake.channels.get(channelId)!.members.add(u);
    let clicks = 0;
    const click = (url: string, messageTs: string, actionId: string, value: string, userId: string) =>
      postInteraction(
        url,
        SIGNING_SECRET,
        makeBlockAction({
          userId,
          channelId,
          messageTs,
          actionId,
          blockId: 'b',
          value,
          responseUrl: fake.responseUrl(`click${++clicks}`),
        }),
      );
    const runStep = JSON.stringify({ p: 'web-down', s: 'mitigation.0' });

    await click(firstUrl, at(pb).ts, ACTION.runStep, runStep, RESPONDER);
    const request = await fake.waitFor('chat.postMessage', (m) => m.args.channel === channelId && hasApprove(m));
    const dm = await fake.waitFor('chat.postMessage', (m) => m.args.channel === CTO && hasApprove(m));
    await click(firstUrl, at(request).ts, ACTION.approveStep, idOf(request), APPROVER);
    const run = await fake.waitFor(
      'chat.postMessage',
      (m) => /^:hourglass_flowing_sand: Running/.test(String(m.args.text)),
      15_000,
    );
    await fake.waitFor('chat.update', (u) => u.args.ts === at(run).ts && String(u.args.text).includes('Running'));
    const startedAt = Date.now();

    // Alive past a whole lease (its own timer loop sweeping all the while): its run is still its own.
    await sleep(LEASE_MS + 5_000);
    expect(await runState()).toBe('running');
    expect(shown(run)).toContain('Running');
    expect(shown(run)).not.toMatch(/not known/i);

    const exited = new Promise((r) => first.proc.once('exit', r));
    first.proc.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    // Nothing was recorded: the run and its request still say it runs.
    expect(await runState()).toBe('running');
    expect(shown(request)).toMatch(/running it now|It is running/);

    const second = await startBotProcess(env);
    procs.push(second.proc);
    const secondUrl = `http://127.0.0.1:${second.port}`;
    await eventually(
      async () => (/Not known how it ended/.test(shown(run)) ? true : undefined),
      "the run's message shown lost by the next process",
      // Within the lease set (STEP_RUN_LEASE), the next bot's start and a sweep: the default lease (30 s, renewed every
      // 10 s) would run out no sooner than 20 s after the kill.
      LEASE_MS + 12_000,
    );
    // Not before its lease ran out (its last renewal came at most a third of a lease before the kill).
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual((LEASE_MS * 2) / 3 - 1_000);
    expect(Date.now() - startedAt).toBeGreaterThan(LEASE_MS);
    expect(await runState()).toBe('lost');
    // The run's message says what happened and what to do, and keeps the last output its process saw.
    expect(shown(run)).toContain('Check what it did before running it again');
    expect(shown(run)).toMatch(/progress \d+\/60/);
    // The approval request, in the channel and in the direct message, says so too (drawn by the next round).
    for (const m of [request, dm]) {
      await eventually(
        async () => (/How it ended is not known/.test(shown(m)) ? true : undefined),
        'the approval request shown lost',
        15_000,
      );
      expect(shown(m)).not.toMatch(/running it now|It is running/);
      expect(shown(m)).toContain('check what it did before running it again');
    }
    // The checklist line too.
    await eventually(
      async () => (/did not end: the bot stopped while it ran/.test(shown(pb)) ? true : undefined),
      'the checklist shown with the run lost',
      15_000,
    );
    expect(shown(pb)).not.toMatch(/_running, asked by/);
    // On the timeline.
    const events = await bp.db.query<{ state: string }>(
      "SELECT details->>'state' AS state FROM incident_events WHERE kind = 'step_run'",
    );
    expect(events.rows).toEqual([{ state: 'lost' }]);

    // The step is free: asked for again, approved, it runs.
    const asked = fake
      .callsTo('chat.postMessage')
      .filter((m) => m.args.channel === channelId && hasApprove(m))
      .map((m) => at(m).ts);
    await click(secondUrl, at(pb).ts, ACTION.runStep, runStep, RESPONDER);
    const again = await fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === channelId && hasApprove(m) && !asked.includes(at(m).ts),
    );
    await click(secondUrl, at(again).ts, ACTION.approveStep, idOf(again), APPROVER);
    const rerun = await fake.waitFor(
      'chat.postMessage',
      (m) => /^:hourglass_flowing_sand: Running/.test(String(m.args.text)) && at(m).ts !== at(run).ts,
      15_000,
    );
    expect(rerun).toBeDefined();
    const states = await bp.db.query<{ state: string }>(
      "SELECT state FROM step_runs WHERE step_key = 'mitigation.0' ORDER BY id",
    );
    expect(states.rows.map((r) => r.state)).toEqual(['lost', 'running']);
  }, 240_000);
});
