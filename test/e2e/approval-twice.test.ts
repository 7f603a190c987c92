import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { atomCliRuns } from '../support/atom-cli-log.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { testRunbookData } from '../support/test-runbook.js';

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
const RESPONDER = 'U0RESPONDER';
const APPROVER = 'U0APPROVER';
const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});

/** A playbook with one step that needs a second person, and none of its own parameters. */
const runbook = () =>
  parseRunbook({
    ...testRunbookData(),
    access: { responders: [RESPONDER], approvers: [APPROVER] },
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
        ],
        resolution: [],
        prevention: [],
      },
    },
  });

describe('a step that needs approval, asked for twice', () => {
  let bot: BotHarness;
  let dir: string;
  let log: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bot-approval-twice-'));
    log = join(dir, 'atom-cli.log');
    bot = await startBot({
      runbook: runbook(),
      timers: false,
      env: { ATOM_CLI, COMMAND_ENV: 'ATOM_CLI_LOG', ATOM_CLI_LOG: log },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('posts one request: the second Run is told it waits already, and approving runs the command once', async () => {
    const replies = bot.fake.callsTo('response_url').length;
    await bot.command('sev1 web down everywhere');
    await bot.fake.waitForCount('response_url', replies + 1);
    const pb = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)));
    const channelId = String(pb.args.channel);
    const playbookTs = (pb.response as { ts: string }).ts;
    for (const u of [RESPONDER, APPROVER]) bot.fake.channels.get(channelId)!.members.add(u);
    const run = () =>
      bot.click({
        channelId,
        messageTs: playbookTs,
        actionId: ACTION.runStep,
        value: JSON.stringify({ p: 'web-down', s: 'mitigation.0' }),
        userId: RESPONDER,
      });
    const requests = () =>
      bot.fake
        .callsTo('chat.postMessage')
        .filter((m) => m.args.channel === channelId && json(m).includes(ACTION.approveStep));

    bot.fake.reset();
    await run();
    const first = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === channelId && json(m).includes(ACTION.approveStep),
    );
    await bot.fake.waitFor('response_url');

    // The same person presses Run again (a double press, or not seeing the request in the thread).
    bot.fake.reset();
    await run();
    const answer = await bot.fake.waitFor('response_url');
    expect(answer.args.text).toMatch(/already waits for approval/);
    expect(answer.args.text).toContain(`<@${RESPONDER}>`);
    expect(answer.args.text).toMatch(/Approve and run/);
    expect(requests()).toHaveLength(0);
    const { rows } = await bot.db.query<{ state: string }>(
      "SELECT state FROM step_approvals WHERE playbook_id = 'web-down' ORDER BY id",
    );
    expect(rows).toEqual([{ state: 'pending' }]);

    // Approving the one request runs the command once.
    const id = /"value":"(\d+)"/.exec(json(first).replace(/\\/g, ''))![1]!;
    await bot.click({
      channelId,
      messageTs: (first.response as { ts: string }).ts,
      actionId: ACTION.approveStep,
      value: id,
      userId: APPROVER,
    });
    await bot.fake.waitFor('chat.update', (u) => u.args.channel === channelId && /Succeeded/.test(json(u)), 30_000);
    const restarts = (await atomCliRuns(log)).filter((r) => r.argv.join(' ') === 'nodes restart --all');
    expect(restarts).toHaveLength(1);

    // Once decided, Run asks for approval again: a new request, as it is a new run.
    bot.fake.reset();
    await run();
    await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === channelId && json(m).includes(ACTION.approveStep),
    );
    expect(requests()).toHaveLength(1);
  }, 60_000);
});
