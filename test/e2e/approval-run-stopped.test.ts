import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { APPROVER, CTO, hasApprove, idOf, RESPONDER, webDownRunbookData } from '../support/approval-flow.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { FakeSlack, type RecordedCall } from '../support/fake-slack.js';

/**
 * An approved step whose command is still running when the bot stops: the bot stops the command (as its exit would),
 * and the run and its approval request say it was stopped, not that it is running (or "running it now") for ever.
 */

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');

const runbook = parseRunbook(webDownRunbookData('120s'));

const at = (m: RecordedCall) => m.response as { channel: string; ts: string };
const blocksOf = (fake: FakeSlack, m: RecordedCall) => JSON.stringify(fake.message(at(m).channel, at(m).ts)?.blocks);

describe('an approved step still running when the bot stops', () => {
  let fake: FakeSlack;
  let bot: BotHarness | undefined;
  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
  });

  it('is stopped, and its request says so, in the channel and in the direct messages', async () => {
    fake = await FakeSlack.start();
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
    // A command that would run for a minute: a line a second.
    bot = await startBot({
      runbook,
      fake,
      env: {
        ATOM_CLI,
        COMMAND_ENV: 'ATOM_CLI_SLOW_MS,ATOM_CLI_SLOW_COUNT',
        ATOM_CLI_SLOW_MS: '1000',
        ATOM_CLI_SLOW_COUNT: '60',
      },
    });
    await bot.command('sev1 web down stopped mid-run');
    await fake.waitFor('response_url');
    const pb = await fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)));
    const channelId = String(pb.args.channel);
    for (const u of [RESPONDER, APPROVER]) fake.channels.get(channelId)!.members.add(u);
    await bot.click({
      channelId,
      messageTs: at(pb).ts,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'web-down', s: 'mitigation.0' }),
      userId: RESPONDER,
    });
    const request = await fake.waitFor('chat.postMessage', (m) => m.args.channel === channelId && hasApprove(m));
    const dm = await fake.waitFor('chat.postMessage', (m) => m.args.channel === CTO && hasApprove(m));
    await bot.click({
      channelId,
      messageTs: at(request).ts,
      actionId: ACTION.approveStep,
      value: idOf(request),
      userId: APPROVER,
    });
    // Running: its output is coming in.
    const run = await fake.waitFor('chat.postMessage', (m) =>
      /^:hourglass_flowing_sand: Running/.test(String(m.args.text)),
    );
    await fake.waitFor('chat.update', (u) => u.args.ts === at(run).ts, 15_000);

    await bot.stop();
    bot = undefined;

    const stopped = /stopped/i;
    for (const m of [request, dm]) {
      const shown = blocksOf(fake, m);
      expect(shown).not.toMatch(/running it now|It is running/);
      expect(shown).toMatch(stopped);
    }
    expect(blocksOf(fake, run)).toMatch(stopped);
  }, 60_000);
});
