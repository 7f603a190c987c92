import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { insertRunningStep, setRunThread } from '../../src/store/step-run.repo.js';
import { ACTION } from '../../src/templates/ids.js';
import { renderRun } from '../../src/templates/playbook.js';
import { type BotHarness, startBot, useBot } from '../support/bot-harness.js';
import type { FakeSlack, RecordedCall } from '../support/fake-slack.js';
import { eventually, untilPasses } from '../support/incident-flow.js';
import { createTestSchema } from '../support/test-db.js';
import { testRunbookData } from '../support/test-runbook.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

/**
 * A run recorded lost (its process killed) or stopped (with the bot) is drawn once by the process that records it:
 * when Slack refuses that update, or the process dies first, its message is drawn again by the timer loop's sweep,
 * and does not say "Running" for good.
 */

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
const RESPONDER = 'U0RESPONDER';

const runbook = parseRunbook({
  ...testRunbookData(),
  access: { responders: [RESPONDER] },
  playbooks: {
    'web-down': {
      title: 'Web Down',
      kind: 'incident',
      match: ['web down'],
      symptoms: ['502 everywhere'],
      detection: ['Look at the dashboards'],
      mitigation: [{ text: 'Check the app status', run: ['atom-cli', 'status'], timeout: '120s' }],
      resolution: [],
      prevention: [],
    },
  },
});

const at = (m: RecordedCall) => m.response as { channel: string; ts: string };
const RUNNING = /^:hourglass_flowing_sand: Running/;

/** Declares an incident with the Web Down playbook: its channel and playbook message. */
async function declare(bot: Pick<BotHarness, 'command'>, fake: FakeSlack, title: string) {
  await bot.command(`sev1 ${title}`);
  const pb = await fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)), 15_000);
  const channelId = String(pb.args.channel);
  fake.channels.get(channelId)!.members.add(RESPONDER);
  return { channelId, pbTs: at(pb).ts };
}

/** The run's due time for the sweep's redraw of its message, moved up to now; whether it was due at all. */
async function dueNow(bot: Pick<BotHarness, 'db'>, id: number): Promise<boolean> {
  const { rows } = await bot.db.query(
    'UPDATE step_runs SET show_due_at = now() WHERE id = $1 AND show_due_at IS NOT NULL RETURNING id',
    [id],
  );
  return rows.length === 1;
}

const textOf = (fake: FakeSlack, channel: string, ts: string) => String(fake.message(channel, ts)?.text ?? '');

describe('a lost run whose message Slack would not update', () => {
  const bot = useBot({ runbook, env: { ATOM_CLI } });

  it('is drawn again by the timer loop until it says how it ended', async () => {
    const { channelId, pbTs } = await declare(bot, bot.fake, 'web down lost run message');
    // The playbook message recorded as the incident's (just after it was posted).
    const incidentId = await eventually(async () => {
      const { rows } = await bot.db.query<{ incident_id: number }>(
        'SELECT incident_id FROM incident_playbooks WHERE message_ts = $1',
        [pbTs],
      );
      return rows[0] ? Number(rows[0].incident_id) : undefined;
    }, 'the playbook message recorded');
    // A run a process had started, its message posted in the playbook's thread ("Running"), before it was killed.
    const run = await insertRunningStep(
      bot.db,
      {
        host: { kind: 'incident', id: incidentId },
        playbookId: 'web-down',
        stepKey: 'mitigation.0',
        kind: 'command',
        target: ['atom-cli', 'status'],
        requestedBy: RESPONDER,
        approvedBy: null,
      },
      30_000,
    );
    const running = renderRun({
      runId: run!.id,
      playbookTitle: 'Web Down',
      stepText: 'Check the app status',
      target: ['atom-cli', 'status'],
      kind: 'command',
      requestedBy: RESPONDER,
      state: 'running',
      tail: '',
      exitCode: null,
      durationMs: 0,
      bytes: 0,
      truncated: false,
    });
    const posted = await bot.app.client.chat.postMessage({
      channel: channelId,
      thread_ts: pbTs,
      text: running.text,
      blocks: running.blocks,
    });
    const runTs = String(posted.ts);
    await setRunThread(bot.db, run!.id, runTs);
    expect(textOf(bot.fake, channelId, runTs)).toMatch(RUNNING);

    // Slack refuses the sweep's one update of it; its lease runs out, as its process's does once killed.
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 1, (a) => a.ts === runTs);
    await bot.db.query("UPDATE step_runs SET lease_until = now() - interval '1 second' WHERE id = $1", [run!.id]);
    await bot.fake.waitFor('chat.update', (u) => u.args.ts === runTs && u.failed !== undefined, 10_000, {
      includeFailed: true,
    });
    await untilPasses(async () => {
      const { rows } = await bot.db.query<{ state: string }>('SELECT state FROM step_runs WHERE id = $1', [run!.id]);
      expect(rows[0]?.state).toBe('lost');
    });
    expect(textOf(bot.fake, channelId, runTs)).toMatch(RUNNING);

    // Its message is due to be drawn again; the wait before the retry is moved up to now.
    const due = await dueNow(bot, run!.id);
    await untilPasses(() => expect(textOf(bot.fake, channelId, runTs)).toMatch(/Not known how it ended/), 10_000);
    expect(due).toBe(true);
    // Drawn: not drawn again.
    await untilPasses(async () => {
      const { rows } = await bot.db.query('SELECT 1 FROM step_runs WHERE id = $1 AND show_due_at IS NULL', [run!.id]);
      expect(rows).toHaveLength(1);
    });
  });
});

describe('a run stopped with the bot whose message Slack would not update', () => {
  const fake = useFakeSlack();

  it('is drawn again by the next process', async () => {
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
    const schema = await createTestSchema('runmsg');
    const env = {
      ATOM_CLI,
      COMMAND_ENV: 'ATOM_CLI_SLOW_MS,ATOM_CLI_SLOW_COUNT',
      ATOM_CLI_SLOW_MS: '1000',
      ATOM_CLI_SLOW_COUNT: '60',
    };
    let next: BotHarness | undefined;
    try {
      const first = await startBot({ runbook, fake, databaseUrl: schema.url, env });
      const { channelId, pbTs } = await declare(first, fake, 'web down stopped run message');
      await first.click({
        channelId,
        messageTs: pbTs,
        actionId: ACTION.runStep,
        value: JSON.stringify({ p: 'web-down', s: 'mitigation.0' }),
        userId: RESPONDER,
      });
      const run = await fake.waitFor('chat.postMessage', (m) => RUNNING.test(String(m.args.text)), 15_000);
      const runTs = at(run).ts;
      await fake.waitFor('chat.update', (u) => u.args.ts === runTs, 15_000);

      // The bot stops; Slack refuses the update that says the run was stopped.
      fake.failNext(
        'chat.update',
        { error: 'internal_error' },
        1,
        (a) => a.ts === runTs && /Stopped/.test(String(a.text)),
      );
      await first.stop();
      await fake.waitFor('chat.update', (u) => u.args.ts === runTs && u.failed !== undefined, 1_000, {
        includeFailed: true,
      });
      expect(textOf(fake, channelId, runTs)).not.toMatch(/Stopped/);

      next = await startBot({ runbook, fake, databaseUrl: schema.url, env, timers: false });
      const recorded = await next.db.query<{ id: number; state: string }>(
        'SELECT id, state FROM step_runs WHERE thread_ts = $1',
        [runTs],
      );
      expect(recorded.rows[0]?.state).toBe('stopped');
      const due = await dueNow(next, Number(recorded.rows[0]!.id));
      next.timers.start();
      await untilPasses(() => expect(textOf(fake, channelId, runTs)).toMatch(/Stopped/), 10_000);
      expect(due).toBe(true);
    } finally {
      await next?.stop();
      await schema.drop();
    }
  }, 60_000);
});
