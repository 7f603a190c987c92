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

/**
 * Approvers outside the incident channel: a private incident's are told nothing of it (and the channel says who was
 * not asked, and how to add them).
 */

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
const RESPONDER = 'U0RESPONDER';
const APPROVER = 'U0APPROVER';
/** An approver never paged, so never in the incident channel. */
const CTO = 'U0CTO';
const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});
const hasApprove = (m: RecordedCall) => json(m).includes(ACTION.approveStep);

const runbook = parseRunbook({
  ...testRunbookData(),
  access: { responders: [RESPONDER], approvers: [RESPONDER, APPROVER, CTO] },
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

describe('approvers outside the incident channel', () => {
  let bot: BotHarness;
  let dir: string;
  let log: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bot-approval-outsiders-'));
    log = join(dir, 'atom-cli.log');
    bot = await startBot({
      runbook,
      timers: false,
      env: { ATOM_CLI, COMMAND_ENV: 'ATOM_CLI_LOG', ATOM_CLI_LOG: log },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Declares an incident the playbook fits, puts `members` in its channel, and asks for the step's approval. */
  async function requested(text: string, members: string[]) {
    bot.fake.reset();
    await bot.command(text);
    await bot.fake.waitFor('response_url');
    const pb = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)));
    const channelId = String(pb.args.channel);
    for (const u of [RESPONDER, ...members]) bot.fake.channels.get(channelId)!.members.add(u);
    bot.fake.reset();
    await bot.click({
      channelId,
      messageTs: (pb.response as { ts: string }).ts,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'web-down', s: 'mitigation.0' }),
      userId: RESPONDER,
    });
    const request = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === channelId && hasApprove(m));
    const requestTs = (request.response as { ts: string }).ts;
    const value = /"value":"(\d+)"/.exec(json(request).replace(/\\/g, ''))![1]!;
    // The requester's answer: the request is out, and its direct messages with it.
    await bot.fake.waitFor('response_url', (r) => /Approval requested/.test(String(r.args.text)));
    return { channelId, request, requestTs, value };
  }

  /** The request's direct message to `user`. */
  const dmTo = (user: string) => bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === user && hasApprove(m));
  const restarts = async () => (await atomCliRuns(log)).filter((r) => r.argv.join(' ') === 'nodes restart --all');

  it("a private incident's approver outside its channel is sent nothing; the request says who was not asked and how to add them", async () => {
    const { channelId, request, requestTs, value } = await requested('sev1 --private web down keys leaked', [APPROVER]);
    // The approver in the channel gets the request in a direct message; the one outside gets nothing at all.
    await dmTo(APPROVER);
    expect(bot.fake.callsTo('chat.postMessage').filter((m) => m.args.channel === CTO)).toEqual([]);
    expect(bot.fake.callsTo('chat.update').filter((m) => m.args.channel === CTO)).toEqual([]);
    const { rows } = await bot.db.query<{ dms: { user: string }[] }>(
      'SELECT dms FROM step_approvals WHERE message_ts = $1',
      [requestTs],
    );
    expect(rows[0]!.dms.map((d) => d.user)).toEqual([APPROVER]);
    // The channel's request names the approver not asked, why, and how to add them; not as sent a DM.
    const shown = json(
      bot.fake
        .callsTo('chat.update')
        .filter((u) => u.args.ts === requestTs)
        .at(-1) ?? request,
    );
    expect(shown).toContain(`Not asked: <@${CTO}> — not in this private channel`);
    expect(shown).toContain('/invite @name');
    expect(shown).not.toContain('DMed');

    // Pressing Approve on the channel's request from outside (a link passed around) adds nobody to a private channel.
    bot.fake.reset();
    await bot.click({ channelId, messageTs: requestTs, actionId: ACTION.approveStep, value, userId: CTO });
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(
      /you are not in it: the channel is private, so ask someone in it to add you/,
    );
    expect(bot.fake.callsTo('conversations.invite')).toEqual([]);
    expect(await restarts()).toHaveLength(0);
  });
});
