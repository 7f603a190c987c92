import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { testRunbookData } from '../support/test-runbook.js';

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
const RESPONDER = 'U0RESPONDER';
const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});
const hasApprove = (m: RecordedCall) => json(m).includes(ACTION.approveStep);

/** A playbook with two steps that need a second person: one with a parameter (a form), one without. */
const runbook = (approvers: string[]) =>
  parseRunbook({
    ...testRunbookData(),
    access: { responders: [RESPONDER], approvers },
    playbooks: {
      'web-down': {
        title: 'Web Down',
        kind: 'incident',
        match: ['web down'],
        symptoms: ['502 everywhere'],
        detection: [],
        mitigation: [
          {
            text: 'Restart every node',
            run: ['atom-cli', 'nodes', 'restart', '--all'],
            destructive: true,
            approval: true,
            timeout: '5s',
          },
          {
            text: 'Restart one node',
            run: ['atom-cli', 'nodes', 'restart', '{node_id}'],
            params: { node_id: 'node_id' },
            destructive: true,
            approval: true,
            timeout: '5s',
          },
        ],
        resolution: [],
        prevention: [],
      },
    },
  });

interface Env {
  bot: BotHarness;
  log: string;
  stop(): Promise<void>;
}

async function start(approvers: string[]): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), 'bot-approval-reach-'));
  const log = join(dir, 'atom-cli.log');
  const bot = await startBot({
    runbook: runbook(approvers),
    timers: false,
    env: { ATOM_CLI, COMMAND_ENV: 'ATOM_CLI_LOG', ATOM_CLI_LOG: log },
  });
  return {
    bot,
    log,
    async stop() {
      await bot.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Declares an incident the playbook fits; the responder (and `members`) are in its channel. */
async function declare(bot: BotHarness, title: string, members: string[] = []) {
  bot.fake.reset();
  await bot.command(`sev1 ${title}`);
  await bot.fake.waitFor('response_url');
  const pb = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)));
  const channelId = String(pb.args.channel);
  for (const u of [RESPONDER, ...members]) bot.fake.channels.get(channelId)!.members.add(u);
  const run = (key: string, userId = RESPONDER) =>
    bot.click({
      channelId,
      messageTs: (pb.response as { ts: string }).ts,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'web-down', s: key }),
      userId,
    });
  return { channelId, run };
}

describe('a step that needs approval when nobody else could approve it', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start([RESPONDER]);
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('is refused at the first click, before its form opens, saying to add approvers under access.approvers', async () => {
    const { bot } = env;
    const { run } = await declare(bot, 'web down alone');
    for (const key of ['mitigation.1', 'mitigation.0']) {
      bot.fake.reset();
      await run(key);
      const answer = await bot.fake.waitFor('response_url');
      expect(answer.args.text).toMatch(/you are its only approver/);
      expect(answer.args.text).toContain('`access.approvers`');
      expect(bot.fake.callsTo('views.open')).toHaveLength(0);
      expect(bot.fake.callsTo('chat.postMessage').filter(hasApprove)).toHaveLength(0);
    }
    const { rows } = await bot.db.query('SELECT id FROM step_approvals');
    expect(rows).toEqual([]);
    const refused = await bot.db.query<{ refusal: string }>(
      "SELECT refusal FROM step_runs WHERE state = 'refused' AND requested_by = $1",
      [RESPONDER],
    );
    expect(refused.rows.map((r) => r.refusal)).toEqual([
      expect.stringMatching(/only approver/),
      expect.stringMatching(/only approver/),
    ]);
  });
});

describe('a step that needs approval when no approvers are configured', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start([]);
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('is refused at the first click, before its form opens', async () => {
    const { bot } = env;
    const { run } = await declare(bot, 'web down nobody');
    bot.fake.reset();
    await run('mitigation.1');
    const answer = await bot.fake.waitFor('response_url');
    expect(answer.args.text).toMatch(/no approvers are configured: add them under `access.approvers`/);
    expect(bot.fake.callsTo('views.open')).toHaveLength(0);
  });
});
