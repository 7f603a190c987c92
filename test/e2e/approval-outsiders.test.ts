import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT } from '../../src/templates/ids.js';
import { atomCliRuns } from '../support/atom-cli-log.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { stateValue } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

/**
 * Approvers outside the incident channel: a private incident's are told nothing of it (and the channel says who was
 * not asked, and how to add them); a public incident's are added to the channel when they press Approve in their
 * direct message.
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
  const clickDm = (dm: RecordedCall, userId: string) => {
    const r = dm.response as { channel: string; ts: string };
    const value = /"value":"(\d+)"/.exec(json(dm).replace(/\\/g, ''))![1]!;
    return bot.click({ channelId: r.channel, messageTs: r.ts, actionId: ACTION.approveStep, value, userId });
  };
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

  it("a public incident's approver outside its channel who presses Approve in the DM is added to it, the request says so, and it runs", async () => {
    const before = (await restarts()).length;
    const { channelId, requestTs } = await requested('sev1 web down at night', []);
    const toCto = await dmTo(CTO);
    expect(json(toCto)).toContain('You are not in the channel: pressing Approve and run or Deny adds you to it.');
    expect(json(toCto)).not.toMatch(/you are not in it: join the channel/);

    bot.fake.reset();
    await clickDm(toCto, CTO);
    const invite = await bot.fake.waitFor('conversations.invite');
    expect(invite.args).toMatchObject({ channel: channelId, users: CTO });
    await bot.fake.waitFor('chat.update', (u) => u.args.channel === channelId && /Succeeded/.test(json(u)), 30_000);
    expect(bot.fake.channels.get(channelId)!.members.has(CTO)).toBe(true);
    // Slack's own line says the bot added them; the channel's request says why.
    expect(bot.fake.channels.get(channelId)!.members.has(CTO)).toBe(true);
    expect(
      json(
        bot.fake
          .callsTo('chat.update')
          .filter((u) => u.args.ts === requestTs)
          .at(-1),
      ),
    ).toContain(
      `Approved by <@${CTO}> (not in this channel before: the bot added them to it to approve); running it now.`,
    );
    expect(await restarts()).toHaveLength(before + 1);
  }, 60_000);

  it("a public incident's approver outside its channel who presses Deny in the DM is asked why, and added to it only when the denial is sent", async () => {
    const { channelId } = await requested('sev1 web down to deny', []);
    const toCto = await dmTo(CTO);
    bot.fake.reset();
    const r = toCto.response as { channel: string; ts: string };
    const value = /"value":"(\d+)"/.exec(json(toCto).replace(/\\/g, ''))![1]!;
    await bot.click({ channelId: r.channel, messageTs: r.ts, actionId: ACTION.denyStep, value, userId: CTO });
    const open = await bot.fake.waitFor('views.open');
    // The form is open: nothing decided yet, so nobody added (closing the form leaves them out).
    expect(bot.fake.channels.get(channelId)!.members.has(CTO)).toBe(false);
    expect(bot.fake.callsTo('conversations.invite')).toHaveLength(0);
    const view = open.args.view as { callback_id: string; private_metadata: string };
    await bot.submit({
      callbackId: view.callback_id,
      privateMetadata: view.private_metadata,
      userId: CTO,
      values: { [BLOCK.denyReason]: { [INPUT.summary]: stateValue.plainText('not during peak hours') } },
    });
    await bot.fake.waitFor('chat.update', (u) => /Denied by <@U0CTO>/.test(json(u)));
    expect(bot.fake.channels.get(channelId)!.members.has(CTO)).toBe(true);
  });

  it('when the bot cannot add them (a missing scope), the refusal says why and to join the channel; nothing runs', async () => {
    const before = (await restarts()).length;
    const { channelId } = await requested('sev1 web down without scope', []);
    const toCto = await dmTo(CTO);
    bot.fake.reset();
    bot.fake.failNext('conversations.invite', { error: 'missing_scope', needed: 'channels:manage' });
    await clickDm(toCto, CTO);
    const text = String((await bot.fake.waitFor('response_url')).args.text);
    expect(text).toContain(`Only people in <#${channelId}> may approve this request, and you are not in it.`);
    expect(text).toContain("Couldn't add you to it: the Slack app is missing the `channels:manage` scope");
    expect(text).toContain('Join the channel yourself, then press the button again.');
    expect(bot.fake.channels.get(channelId)!.members.has(CTO)).toBe(false);
    const { rows } = await bot.db.query<{ state: string }>('SELECT state FROM step_approvals ORDER BY id DESC LIMIT 1');
    expect(rows[0]!.state).toBe('pending');
    expect(await restarts()).toHaveLength(before);
  });
});
