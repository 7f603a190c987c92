import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { APPROVER, approvalFlow, CTO, hasApprove, json, RESPONDER } from '../support/approval-flow.js';
import { atomCliRuns } from '../support/atom-cli-log.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { stepButton } from '../support/checklist-helpers.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { stateValue } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

/**
 * An approval request that no longer stands (its step skipped, its incident resolved) is closed everywhere and runs
 * nothing; an approved one says how its run ended; a requester's own Deny is a withdrawal.
 */

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');

const runbook = parseRunbook({
  ...testRunbookData(),
  access: { responders: [RESPONDER], approvers: [RESPONDER, APPROVER, CTO] },
  playbooks: {
    'web-down': {
      title: 'Web Down',
      kind: 'incident',
      match: ['web down'],
      symptoms: ['502 everywhere'],
      detection: [
        {
          text: 'Read the logs',
          run: ['atom-cli', 'logs', '--lines', '{lines}'],
          params: { lines: { kind: 'lines', default: 100 } },
        },
      ],
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

describe('approval requests that no longer stand, and how they end', () => {
  let bot: BotHarness;
  let dir: string;
  let log: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bot-approval-closed-'));
    log = join(dir, 'atom-cli.log');
    bot = await startBot({ runbook, timers: false, env: { ATOM_CLI, COMMAND_ENV: 'ATOM_CLI_LOG', ATOM_CLI_LOG: log } });
  });
  afterAll(async () => {
    await bot?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const { requested, dmTo, press, shownAs } = approvalFlow(() => bot);
  const restarts = async () => (await atomCliRuns(log)).filter((r) => r.argv.join(' ') === 'nodes restart --all');

  it('the requester skipping the step closes the request everywhere; an Approve after it runs nothing', async () => {
    const before = (await restarts()).length;
    const { channelId, playbookTs, requestTs, dms } = await requested('sev1 web down skipped');
    // The requester thinks better of it: Skip, with a reason.
    const skip = stepButton(bot, channelId, playbookTs, ACTION.stepSkip, 'mitigation.0');
    expect(skip).toBeDefined();
    bot.fake.reset();
    await bot.click({
      channelId,
      messageTs: playbookTs,
      actionId: ACTION.stepSkip,
      blockId: 'step:mitigation.0',
      value: skip!,
      userId: RESPONDER,
    });
    const open = await bot.fake.waitFor('views.open');
    await bot.submit({
      callbackId: VIEW.skipReason,
      privateMetadata: (open.args.view as { private_metadata: string }).private_metadata,
      userId: RESPONDER,
      values: { [BLOCK.skipReason]: { [INPUT.reason]: stateValue.plainText('traffic recovered on its own') } },
    });
    const closed = new RegExp(`Not run: <@${RESPONDER}> skipped the step: traffic recovered on its own`);
    const inChannel = await shownAs(channelId, requestTs, closed);
    expect(json(inChannel)).not.toContain(ACTION.approveStep);
    for (const u of [APPROVER, CTO]) {
      const r = dms[u]!.response as { channel: string; ts: string };
      expect(json(await shownAs(r.channel, r.ts, closed))).not.toContain(ACTION.approveStep);
    }

    // A stale button pressed after (an approver who had the DM open) is refused, and runs nothing.
    bot.fake.reset();
    await press(dms[APPROVER]!, APPROVER);
    expect(String((await bot.fake.waitFor('response_url')).args.text)).toMatch(
      /Not run: <@U0RESPONDER> skipped the step \(traffic recovered on its own\).*Nothing was run/,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await restarts()).toHaveLength(before);
    const { rows } = await bot.db.query<{ state: string }>('SELECT state FROM step_approvals WHERE message_ts = $1', [
      requestTs,
    ]);
    expect(rows).toEqual([{ state: 'closed' }]);
  });

  it('resolving the incident closes its requests everywhere; a press after adds nobody to the channel and runs nothing', async () => {
    const before = (await restarts()).length;
    const { channelId, requestTs, dms } = await requested('sev1 web down resolved');
    bot.fake.reset();
    await bot.command('resolve it came back', { channel_id: channelId, user_id: RESPONDER });
    const closed = /Not run: the incident was resolved/;
    expect(json(await shownAs(channelId, requestTs, closed))).not.toContain(ACTION.approveStep);
    for (const u of [APPROVER, CTO]) {
      const r = dms[u]!.response as { channel: string; ts: string };
      expect(json(await shownAs(r.channel, r.ts, closed))).not.toContain(ACTION.approveStep);
    }
    // The CTO (outside the public channel) presses the DM's stale button: told why, not added to the channel.
    bot.fake.reset();
    await press(dms[CTO]!, CTO);
    expect(String((await bot.fake.waitFor('response_url')).args.text)).toMatch(/Not run: the incident was resolved/);
    expect(bot.fake.callsTo('conversations.invite')).toEqual([]);
    expect(bot.fake.channels.get(channelId)!.members.has(CTO)).toBe(false);
    expect(await restarts()).toHaveLength(before);
  });

  it('an approved run says how it ended, in the channel and every DM, with a link to its output', async () => {
    const { channelId, requestTs, dms } = await requested('sev1 web down approved');
    bot.fake.reset();
    await press(dms[APPROVER]!, APPROVER);
    const ended =
      /Approved by <@U0APPROVER>\. :large_green_circle: It ran and succeeded \(exit code 0\): <[^|>]+\|see its output>/;
    await shownAs(channelId, requestTs, ended);
    for (const u of [APPROVER, CTO]) {
      const r = dms[u]!.response as { channel: string; ts: string };
      await shownAs(r.channel, r.ts, ended);
    }
  });

  it('the requester turning down their own request is shown as withdrawn; the request never lists them as approver', async () => {
    const { channelId, request, requestTs, dms } = await requested('sev1 web down withdrawn');
    expect(json(request)).toContain(`needs approval by a second person: <@${APPROVER}>, <@${CTO}>.`);
    expect(json(dms[CTO])).not.toContain(`second person: <@${RESPONDER}>`);
    bot.fake.reset();
    await bot.click({
      channelId,
      messageTs: requestTs,
      actionId: ACTION.denyStep,
      value: /"value":"(\d+)"/.exec(json(request).replace(/\\/g, ''))![1]!,
      userId: RESPONDER,
    });
    const open = await bot.fake.waitFor('views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string };
    await bot.submit({
      callbackId: view.callback_id,
      privateMetadata: view.private_metadata,
      userId: RESPONDER,
      values: { [BLOCK.denyReason]: { [INPUT.summary]: stateValue.plainText('wrong cluster') } },
    });
    const withdrawn = /Withdrawn by <@U0RESPONDER> \(who asked\): wrong cluster/;
    expect(json(await shownAs(channelId, requestTs, withdrawn))).not.toContain('Denied by');
    const r = dms[CTO]!.response as { channel: string; ts: string };
    await shownAs(r.channel, r.ts, withdrawn);
    // The timeline says so too: withdrawn, not denied.
    bot.fake.reset();
    await bot.command('timeline', { channel_id: channelId });
    const timeline = String((await bot.fake.waitFor('response_url')).args.text);
    expect(timeline).toMatch(/<@U0RESPONDER> withdrew request #\d+: wrong cluster/);
  });

  it("the timeline shows a refusal's people as the reply did: mentions, not raw ids", async () => {
    bot.fake.reset();
    await bot.command('sev1 web down refused');
    await bot.fake.waitFor('response_url');
    const pb = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)));
    const channelId = String(pb.args.channel);
    bot.fake.channels.get(channelId)!.members.add('U0SOMEONE');
    bot.fake.reset();
    await bot.click({
      channelId,
      messageTs: (pb.response as { ts: string }).ts,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'web-down', s: 'mitigation.0' }),
      userId: 'U0SOMEONE',
    });
    expect(String((await bot.fake.waitFor('response_url')).args.text)).toContain(
      `only responders may run it: <@${RESPONDER}>`,
    );
    bot.fake.reset();
    await bot.command('timeline', { channel_id: channelId });
    const timeline = String((await bot.fake.waitFor('response_url')).args.text);
    expect(timeline).toContain(`only responders may run it: <@${RESPONDER}>.`);
    expect(timeline).not.toMatch(/run it: U0RESPONDER/);
  });

  it('a value refused in a run form is told what is expected once, not twice', async () => {
    bot.fake.reset();
    await bot.command('sev1 web down logs');
    await bot.fake.waitFor('response_url');
    const pb = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)));
    const channelId = String(pb.args.channel);
    bot.fake.channels.get(channelId)!.members.add(RESPONDER);
    bot.fake.reset();
    await bot.click({
      channelId,
      messageTs: (pb.response as { ts: string }).ts,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'web-down', s: 'detection.0' }),
      userId: RESPONDER,
    });
    const open = await bot.fake.waitFor('views.open');
    const res = await bot.submit({
      callbackId: VIEW.runParams,
      privateMetadata: (open.args.view as { private_metadata: string }).private_metadata,
      userId: RESPONDER,
      values: { [`${BLOCK.paramPrefix}lines`]: { [INPUT.param]: stateValue.plainText('100000') } },
    });
    expect(res.json).toEqual({
      response_action: 'errors',
      errors: {
        [`${BLOCK.paramPrefix}lines`]: '"100000" is not valid; expected a whole number of log lines from 1 to 9999',
      },
    });
  });

  it("someone outside a private incident's channel pressing a decided request's button learns nothing of it", async () => {
    const { requestTs, request, channelId, dms } = await requestedPrivate();
    bot.fake.reset();
    await press(dms[APPROVER]!, APPROVER);
    await shownAs(channelId, requestTs, /Approved by <@U0APPROVER>/);
    bot.fake.reset();
    await bot.click({
      channelId,
      messageTs: requestTs,
      actionId: ACTION.approveStep,
      value: /"value":"(\d+)"/.exec(json(request).replace(/\\/g, ''))![1]!,
      userId: CTO,
    });
    const text = String((await bot.fake.waitFor('response_url')).args.text);
    expect(text).toMatch(/you are not in it: the channel is private/);
    expect(text).not.toContain('approved');
  });

  /** A private incident (APPROVER in its channel, CTO not), its step asked for: the channel's request and the DM. */
  async function requestedPrivate() {
    bot.fake.reset();
    await bot.command('sev1 --private web down quietly');
    await bot.fake.waitFor('response_url');
    const pb = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)));
    const channelId = String(pb.args.channel);
    for (const u of [RESPONDER, APPROVER]) bot.fake.channels.get(channelId)!.members.add(u);
    bot.fake.reset();
    await bot.click({
      channelId,
      messageTs: (pb.response as { ts: string }).ts,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'web-down', s: 'mitigation.0' }),
      userId: RESPONDER,
    });
    const request = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === channelId && hasApprove(m));
    const dms: Record<string, RecordedCall> = { [APPROVER]: await dmTo(APPROVER) };
    return { channelId, request, requestTs: (request.response as { ts: string }).ts, dms };
  }
});

describe('an approved run that cannot start', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({
      runbook,
      timers: false,
      env: { ATOM_CLI, COMMAND_ENV: 'ATOM_CLI_SLOW_MS', ATOM_CLI_SLOW_MS: '300' },
    });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('says it did not run, and why, where it said "running it now"', async () => {
    await bot.command('sev1 web down twice over');
    await bot.fake.waitFor('response_url');
    const pb = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)));
    const channelId = String(pb.args.channel);
    for (const u of [RESPONDER, APPROVER]) bot.fake.channels.get(channelId)!.members.add(u);
    const ask = async () => {
      bot.fake.reset();
      await bot.click({
        channelId,
        messageTs: (pb.response as { ts: string }).ts,
        actionId: ACTION.runStep,
        value: JSON.stringify({ p: 'web-down', s: 'mitigation.0' }),
        userId: RESPONDER,
      });
      const request = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === channelId && hasApprove(m));
      return {
        ts: (request.response as { ts: string }).ts,
        id: /"value":"(\d+)"/.exec(json(request).replace(/\\/g, ''))![1]!,
      };
    };
    const approve = (r: { ts: string; id: string }) =>
      bot.click({ channelId, messageTs: r.ts, actionId: ACTION.approveStep, value: r.id, userId: APPROVER });
    // The first, approved, runs for a few seconds; a second request, approved meanwhile, finds it running.
    const first = await ask();
    await approve(first);
    await bot.fake.waitFor('chat.update', (u) => u.args.ts === first.ts && /running it now/.test(json(u)));
    const second = await ask();
    await approve(second);
    const shown = await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === second.ts && /It did not run/.test(json(u)),
      8000,
    );
    expect(json(shown)).toMatch(/Approved by <@U0APPROVER>\. :warning: It did not run: That step is already running/);
  });
});
