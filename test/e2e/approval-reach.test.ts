import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { atomCliRuns } from '../support/atom-cli-log.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { stateValue } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
const RESPONDER = 'U0RESPONDER';
const APPROVER = 'U0APPROVER';
/** An approver who was never paged, so never invited to the incident channel. */
const CTO = 'U0CTO';
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

describe('an approval request reaches every approver in a direct message', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start([RESPONDER, APPROVER, CTO]);
  });
  afterAll(async () => {
    await env?.stop();
  });

  /** The request's direct message to `user` (posted with their id as the channel), the latest one. */
  const dmTo = (bot: BotHarness, user: string) =>
    bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === user && hasApprove(m));
  /** Clicks a button of a direct message, in its conversation (as Slack sends a DM's click). */
  const clickDm = (bot: BotHarness, dm: RecordedCall, actionId: string, userId: string) => {
    const response = dm.response as { channel: string; ts: string };
    const value = /"value":"(\d+)"/.exec(json(dm).replace(/\\/g, ''))![1]!;
    return bot.click({ channelId: response.channel, messageTs: response.ts, actionId, value, userId });
  };

  it('names who is not in the channel, DMs each approver but the requester, and one decision shows everywhere', async () => {
    const { bot } = env;
    const { channelId, run } = await declare(bot, 'web down at night', [APPROVER]);
    bot.fake.reset();
    await run('mitigation.0');
    const request = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === channelId && hasApprove(m));
    const requestTs = (request.response as { ts: string }).ts;
    const toApprover = await dmTo(bot, APPROVER);
    const toCto = await dmTo(bot, CTO);
    // The channel's request names the approver who cannot see it there, and that they were sent it.
    await bot.fake.waitFor('response_url');
    const shown = () =>
      json(
        bot.fake
          .callsTo('chat.update')
          .filter((u) => u.args.ts === requestTs)
          .at(-1) ?? request,
      );
    expect(shown()).toContain(`Not in this channel: <@${CTO}> — DMed`);
    expect(shown()).not.toContain(`<@${APPROVER}> — DMed`);
    // Nobody DMs the requester their own request.
    expect(bot.fake.callsTo('chat.postMessage').filter((m) => m.args.channel === RESPONDER && hasApprove(m))).toEqual(
      [],
    );
    // Each DM says what, who asks, for which incident, with a link to the request in the channel.
    for (const dm of [toApprover, toCto]) {
      const text = json(dm);
      expect(text).toContain('atom-cli nodes restart --all');
      expect(text).not.toContain(ATOM_CLI);
      expect(text).toContain(`<@${RESPONDER}> asks to run`);
      expect(text).toMatch(/incident #\d+ \*web down at night\*/);
      expect(text).toContain(`<#${channelId}>`);
      expect(text).toContain(`/archives/${channelId}/p${requestTs.replace('.', '')}`);
      expect(text).toContain(ACTION.denyStep);
    }
    // The one not in the channel is told a press adds them to it (approval-outsiders.test.ts presses it).
    expect(json(toCto)).toMatch(/You are not in the channel: pressing Approve and run or Deny adds you to it/);
    expect(json(toApprover)).not.toMatch(/You are not in the channel/);
    const { rows } = await bot.db.query<{ dms: { user: string }[] }>('SELECT dms FROM step_approvals');
    expect(rows[0]!.dms.map((d) => d.user).sort()).toEqual([APPROVER, CTO]);

    // The approver approves from the DM: it runs once; the channel's request and both DMs show who approved.
    bot.fake.reset();
    await clickDm(bot, toApprover, ACTION.approveStep, APPROVER);
    await bot.fake.waitFor('chat.update', (u) => u.args.channel === channelId && /Succeeded/.test(json(u)), 30_000);
    const restarts = (await atomCliRuns(env.log)).filter((r) => r.argv.join(' ') === 'nodes restart --all');
    expect(restarts).toHaveLength(1);
    const updated = (where: string, ts: string) =>
      bot.fake
        .callsTo('chat.update')
        .filter((u) => u.args.channel === where && u.args.ts === ts)
        .at(-1);
    expect(json(updated(channelId, requestTs))).toContain(`Approved by <@${APPROVER}>`);
    for (const dm of [toApprover, toCto]) {
      const r = dm.response as { channel: string; ts: string };
      const now = updated(r.channel, r.ts);
      expect(json(now)).toContain(`Approved by <@${APPROVER}>`);
      expect(json(now)).not.toContain(ACTION.approveStep);
    }
    // A late click in the other DM finds it decided.
    bot.fake.reset();
    bot.fake.channels.get(channelId)!.members.add(CTO);
    await clickDm(bot, toCto, ACTION.approveStep, CTO);
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/already approved by <@U0APPROVER>/);
  }, 60_000);

  it("a Deny from a DM asks why, then shows the denial in the channel and in the other approver's DM", async () => {
    const { bot } = env;
    const { channelId, run } = await declare(bot, 'web down again', [APPROVER, CTO]);
    bot.fake.reset();
    await run('mitigation.0');
    const request = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === channelId && hasApprove(m));
    const requestTs = (request.response as { ts: string }).ts;
    // Everyone is in the channel: nobody is named as outside it.
    expect(json(request)).not.toContain('Not in this channel');
    const toApprover = await dmTo(bot, APPROVER);
    const toCto = await dmTo(bot, CTO);
    await clickDm(bot, toCto, ACTION.denyStep, CTO);
    const form = await bot.fake.waitFor('views.open');
    await bot.submit({
      callbackId: VIEW.denyReason,
      privateMetadata: (form.args.view as { private_metadata: string }).private_metadata,
      userId: CTO,
      values: { [BLOCK.denyReason]: { [INPUT.summary]: stateValue.plainText('roll forward instead') } },
    });
    const denied = new RegExp(`Denied by <@${CTO}>: roll forward instead`);
    await bot.fake.waitFor('chat.update', (u) => u.args.ts === requestTs && denied.test(json(u)));
    const r = toApprover.response as { channel: string; ts: string };
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.channel === r.channel && u.args.ts === r.ts && denied.test(json(u)),
    );
  });
});
