import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { APPROVER, approvalFlow, CTO, hasApprove, idOf, json, RESPONDER } from '../support/approval-flow.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { elementsOf, stepButton } from '../support/checklist-helpers.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { eventually } from '../support/incident-flow.js';
import { stateValue } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

/**
 * What approval requests leave on the record, and what they ask of Slack: a request closed unrun is one timeline
 * line; an approver the bot let into the channel to decide is named on the timeline; a run's channel is looked up once
 * a minute, not for every request; a Deny's form reads the request once.
 */

const OPS = 'C0OPSROOM';

const restartAll = {
  text: 'Restart every node',
  run: ['atom-cli', 'nodes', 'restart', '--all'],
  destructive: true,
  approval: true,
  timeout: '5s',
};
const runbook = parseRunbook({
  ...testRunbookData(),
  access: { responders: [RESPONDER], approvers: [RESPONDER, APPROVER, CTO] },
  playbooks: {
    'web-down': {
      title: 'Web Down',
      kind: 'incident',
      match: ['web down'],
      symptoms: ['502 everywhere'],
      detection: ['Look at the dashboards'],
      mitigation: [restartAll],
      resolution: [],
      prevention: [],
    },
    'restart-all': {
      title: 'Restart everything',
      kind: 'procedure',
      outside_incident: true,
      mitigation: [restartAll],
    },
  },
});

describe('what approval requests leave on the record', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ runbook, timers: false });
    bot.fake.addChannel('ops-room', { id: OPS, members: [RESPONDER, APPROVER] });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  const { requested, press, shownAs } = approvalFlow(() => bot);
  async function timeline(channelId: string): Promise<string> {
    bot.fake.reset();
    await bot.command('timeline', { channel_id: channelId });
    return String((await bot.fake.waitFor('response_url')).args.text);
  }
  const count = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length;

  it('a skip that closes a request puts one line on the timeline: which request, which step, who, why', async () => {
    const { channelId, playbookTs, request, requestTs } = await requested('sev1 web down skipped');
    const skip = stepButton(bot, channelId, playbookTs, ACTION.stepSkip, 'mitigation.0');
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
      values: { [BLOCK.skipReason]: { [INPUT.reason]: stateValue.plainText('traffic recovered') } },
    });
    await shownAs(channelId, requestTs, /Not run: <@U0RESPONDER> skipped the step/);
    const lines = await timeline(channelId);
    const closed = new RegExp(
      `Approval request #${idOf(request)} for \\*Web Down\\* · .*“Restart every node” closed: <@${RESPONDER}> skipped the step \\(traffic recovered\\); nothing ran`,
    );
    expect(lines).toMatch(closed);
    expect(count(lines, /Approval request #\d+ .* closed/)).toBe(1);
  });

  it('resolving closes its requests with one timeline line each; a DM whose update failed still refuses a late Approve', async () => {
    const { channelId, request, dms } = await requested('sev1 web down resolved');
    bot.fake.reset();
    // Slack refuses every update meanwhile: the request's (the channel's and both DMs) keep their buttons.
    bot.fake.failNext('chat.update', { error: 'ratelimited' }, 100);
    await bot.command('resolve it came back', { channel_id: channelId, user_id: RESPONDER });
    const notRun = () => bot.fake.callsTo('chat.update').filter((u) => /Not run/.test(json(u)));
    await eventually(async () => (notRun().length >= 3 ? true : undefined), 'the closed request shown 3 times');
    expect(notRun().every((u) => u.failed !== undefined)).toBe(true);
    // The resolve's own reply, once its requests are drawn closed: not taken for the timeline's.
    await bot.fake.waitFor('response_url');
    const lines = await timeline(channelId);
    expect(lines).toMatch(
      new RegExp(
        `Approval request #${idOf(request)} for \\*Web Down\\* · .*“Restart every node” closed: the incident was resolved; nothing ran`,
      ),
    );
    expect(count(lines, /Approval request #\d+ .* closed/)).toBe(1);
    // The approver presses the stale button: told clearly, nobody added, nothing run.
    bot.fake.reset();
    await press(dms[CTO]!, CTO);
    expect(String((await bot.fake.waitFor('response_url')).args.text)).toMatch(
      /Not run: the incident was resolved, which closed this request\. Nothing was run\./,
    );
    expect(bot.fake.callsTo('conversations.invite')).toEqual([]);
  });

  it('Done cannot be pressed on a step that needs approval (it is done when it runs), so it leaves the request waiting', async () => {
    const { channelId, playbookTs, request } = await requested('sev1 web down done by hand');
    expect(stepButton(bot, channelId, playbookTs, ACTION.stepDone, 'mitigation.0')).toBeUndefined();
    // A Done forged for the step is refused, with what to do.
    bot.fake.reset();
    await bot.click({
      channelId,
      messageTs: playbookTs,
      actionId: ACTION.stepDone,
      blockId: 'step:mitigation.0',
      value: JSON.stringify({ p: 'web-down', s: 'mitigation.0' }),
      userId: RESPONDER,
    });
    expect(String((await bot.fake.waitFor('response_url')).args.text)).toMatch(/counts as done when it succeeds/);
    const { rows } = await bot.db.query<{ state: string }>('SELECT state FROM step_approvals WHERE id = $1', [
      Number(idOf(request)),
    ]);
    expect(rows).toEqual([{ state: 'pending' }]);
  });

  it('an approver outside the channel let in by their Approve is named on the timeline, with what they approved', async () => {
    const { channelId, requestTs, dms } = await requested('sev1 web down outsider approves');
    bot.fake.reset();
    await press(dms[CTO]!, CTO);
    await shownAs(channelId, requestTs, /Approved by <@U0CTO>/);
    expect(bot.fake.channels.get(channelId)!.members.has(CTO)).toBe(true);
    const lines = await timeline(channelId);
    expect(lines).toMatch(/<@U0CTO> was added to the channel to approve \*Web Down\* · .*“Restart every node”/);
    const { rows } = await bot.db.query<{ details: Record<string, unknown> }>(
      `SELECT e.details FROM incident_events e JOIN incidents i ON i.id = e.incident_id
        WHERE i.channel_id = $1 AND e.kind = 'member_added'`,
      [channelId],
    );
    expect(rows.map((r) => [r.details.userId, r.details.why, r.details.decision])).toEqual([
      [CTO, 'approver', 'approve'],
    ]);
  });

  it("a Deny's form reads the request and who is in the channel once when sent, not twice", async () => {
    const { channelId, requestTs, request } = await requested('sev1 web down denied');
    bot.fake.reset();
    await bot.click({
      channelId,
      messageTs: requestTs,
      actionId: ACTION.denyStep,
      value: idOf(request),
      userId: APPROVER,
    });
    const open = await bot.fake.waitFor('views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string };
    bot.fake.reset();
    await bot.submit({
      callbackId: view.callback_id,
      privateMetadata: view.private_metadata,
      userId: APPROVER,
      values: { [BLOCK.denyReason]: { [INPUT.summary]: stateValue.plainText('wrong cluster') } },
    });
    await shownAs(channelId, requestTs, /Denied by <@U0APPROVER>/);
    expect(bot.fake.callsTo('conversations.members').filter((c) => c.args.channel === channelId)).toHaveLength(1);
  });

  it("a run's channel is looked up once for its requests, not for every request and every approver outside it", async () => {
    bot.fake.reset();
    for (const n of [1, 2]) {
      await bot.command('run restart-all', { channel_id: OPS, user_id: RESPONDER });
      const isChecklist = (m: RecordedCall) => m.args.channel === OPS && /^Playbook:/.test(String(m.args.text));
      const posted = await bot.fake.waitForCount('chat.postMessage', n, isChecklist);
      const ts = (posted.at(-1)!.response as { ts: string }).ts;
      const run = elementsOf(bot, OPS, ts, ACTION.runStep)
        .map((x) => x.element.value!)
        .find((v) => JSON.parse(v).s === 'mitigation.0');
      await bot.click({ channelId: OPS, messageTs: ts, actionId: ACTION.runStep, value: run!, userId: RESPONDER });
      // The CTO, outside the channel, is sent each request with how to get in (which asks whether it is private).
      const sent = await bot.fake.waitForCount('chat.postMessage', n, (m) => m.args.channel === CTO && hasApprove(m));
      expect(json(sent.at(-1))).toMatch(/join the channel/i);
    }
    expect(bot.fake.callsTo('conversations.info').filter((c) => c.args.channel === OPS)).toHaveLength(1);
  });
});

describe('a closed request whose messages Slack would not update', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ runbook });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('is shown closed again by the timer loop, buttons gone, once Slack takes updates again', async () => {
    await bot.command('sev1 web down shown again');
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
    const dm = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === CTO && hasApprove(m));
    const at = dm.response as { channel: string; ts: string };
    const id = Number(idOf(request));

    bot.fake.failNext('chat.update', { error: 'ratelimited' }, 100);
    await bot.command('resolve it came back', { channel_id: channelId, user_id: RESPONDER });
    const notRun = () => bot.fake.callsTo('chat.update').filter((u) => /Not run/.test(json(u)));
    await eventually(async () => (notRun().length >= 3 ? true : undefined), 'the closed request shown 3 times');
    expect(JSON.stringify(bot.fake.message(at.channel, at.ts)?.blocks)).toContain(ACTION.approveStep);
    // Slack takes updates again; the retry is due (30 s after closing, moved up here).
    bot.fake.reset();
    await bot.db.query('UPDATE step_approvals SET show_due_at = now() WHERE id = $1', [id]);
    const shown = await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.channel === at.channel && u.args.ts === at.ts && /Not run: the incident was resolved/.test(json(u)),
      10_000,
    );
    expect(json(shown)).not.toContain(ACTION.approveStep);
    await eventually(async () => {
      const { rows } = await bot.db.query<{ show_due_at: Date | null }>(
        'SELECT show_due_at FROM step_approvals WHERE id = $1',
        [id],
      );
      return rows[0]?.show_due_at === null ? true : undefined;
    }, 'the request recorded as shown');
  });
});

describe('a request closed while its direct messages were on their way', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ runbook });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('the direct messages recorded after it closed are shown closed, and again by the timer loop when Slack refused', async () => {
    await bot.command('sev1 web down dm after close');
    await bot.fake.waitFor('response_url');
    const pb = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)));
    const channelId = String(pb.args.channel);
    for (const u of [RESPONDER, APPROVER]) bot.fake.channels.get(channelId)!.members.add(u);
    bot.fake.reset();
    // The first direct message (the approver's; the CTO's follows it) is slow: the request closes meanwhile.
    bot.fake.failNext('chat.postMessage', { delayMs: 5000 }, 1, (a) => a.channel === APPROVER);
    // Slack refuses the direct messages' updates (not the channel's) for now.
    bot.fake.failNext(
      'chat.update',
      { error: 'ratelimited' },
      10,
      (a) => a.channel !== channelId && /Not run/.test(JSON.stringify(a)),
    );
    await bot.click({
      channelId,
      messageTs: (pb.response as { ts: string }).ts,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'web-down', s: 'mitigation.0' }),
      userId: RESPONDER,
    });
    const request = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === channelId && hasApprove(m));
    const id = Number(idOf(request));
    const requestTs = (request.response as { ts: string }).ts;
    await bot.command('resolve it came back', { channel_id: channelId, user_id: RESPONDER });
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === requestTs && /Not run: the incident was resolved/.test(json(u)),
      10_000,
    );
    // Closed (and its channel message shown so) before any direct message was sent.
    expect(bot.fake.callsTo('chat.postMessage').filter((m) => m.args.channel === CTO && hasApprove(m))).toEqual([]);
    const dm = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === CTO && hasApprove(m), 15_000);
    const at = dm.response as { channel: string; ts: string };
    // Shown closed once they were recorded; Slack refused it, so the DM still has its buttons.
    const refused = (u: RecordedCall) =>
      u.args.channel === at.channel && u.args.ts === at.ts && u.failed !== undefined && /Not run/.test(json(u));
    await bot.fake.waitFor('chat.update', refused, 10_000, { includeFailed: true });
    expect(JSON.stringify(bot.fake.message(at.channel, at.ts)?.blocks)).toContain(ACTION.approveStep);
    // Left to the timer loop's sweep, not forgotten.
    await eventually(async () => {
      const { rows } = await bot.db.query<{ show_due_at: Date | null }>(
        'SELECT show_due_at FROM step_approvals WHERE id = $1',
        [id],
      );
      return rows[0]?.show_due_at ? true : undefined;
    }, 'the request due to be shown closed again');
    // Slack takes updates again; the retry is moved up to now.
    bot.fake.reset();
    await bot.db.query('UPDATE step_approvals SET show_due_at = now() WHERE id = $1', [id]);
    const shown = await bot.fake.waitFor(
      'chat.update',
      (u) =>
        u.args.channel === at.channel &&
        u.args.ts === at.ts &&
        u.failed === undefined &&
        /Not run: the incident was resolved/.test(json(u)),
      10_000,
    );
    expect(json(shown)).not.toContain(ACTION.approveStep);
  });
});

describe('a request decided while its direct messages were on their way', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ runbook });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('the direct messages recorded after the decision are shown decided, and again by the timer loop when Slack refused', async () => {
    await bot.command('sev1 web down dm after approve');
    await bot.fake.waitFor('response_url');
    const pb = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)));
    const channelId = String(pb.args.channel);
    for (const u of [RESPONDER, APPROVER]) bot.fake.channels.get(channelId)!.members.add(u);
    bot.fake.reset();
    // The first direct message (the approver's; the CTO's follows it) is slow: the request is approved meanwhile.
    bot.fake.failNext('chat.postMessage', { delayMs: 5000 }, 1, (a) => a.channel === APPROVER);
    // Slack refuses the direct messages' updates (not the channel's) for now.
    bot.fake.failNext(
      'chat.update',
      { error: 'ratelimited' },
      10,
      (a) => a.channel !== channelId && /Approved by/.test(JSON.stringify(a)),
    );
    await bot.click({
      channelId,
      messageTs: (pb.response as { ts: string }).ts,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'web-down', s: 'mitigation.0' }),
      userId: RESPONDER,
    });
    const request = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === channelId && hasApprove(m));
    const id = Number(idOf(request));
    const requestTs = (request.response as { ts: string }).ts;
    // The approver, in the channel, approves there before any direct message went out.
    await bot.click({
      channelId,
      messageTs: requestTs,
      actionId: ACTION.approveStep,
      value: String(id),
      userId: APPROVER,
    });
    await bot.fake.waitFor('chat.update', (u) => u.args.ts === requestTs && /Approved by <@U0APPROVER>/.test(json(u)));
    expect(bot.fake.callsTo('chat.postMessage').filter((m) => m.args.channel === CTO && hasApprove(m))).toEqual([]);
    const dm = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === CTO && hasApprove(m), 15_000);
    const at = dm.response as { channel: string; ts: string };
    // Shown decided once they were recorded; Slack refused it, so the DM still has its buttons.
    const refused = (u: RecordedCall) =>
      u.args.channel === at.channel && u.args.ts === at.ts && u.failed !== undefined && /Approved by/.test(json(u));
    await bot.fake.waitFor('chat.update', refused, 10_000, { includeFailed: true });
    expect(JSON.stringify(bot.fake.message(at.channel, at.ts)?.blocks)).toContain(ACTION.approveStep);
    // Left to the timer loop's sweep, not forgotten.
    await eventually(async () => {
      const { rows } = await bot.db.query<{ show_due_at: Date | null }>(
        'SELECT show_due_at FROM step_approvals WHERE id = $1',
        [id],
      );
      return rows[0]?.show_due_at ? true : undefined;
    }, 'the request due to be shown decided again');
    // Slack takes updates again; the retry is moved up to now. The DM loses its buttons; the channel's request (the
    // decision's own, saying how the run ended) is left as it is.
    bot.fake.reset();
    await bot.db.query('UPDATE step_approvals SET show_due_at = now() WHERE id = $1', [id]);
    const shown = await bot.fake.waitFor(
      'chat.update',
      (u) =>
        u.args.channel === at.channel &&
        u.args.ts === at.ts &&
        u.failed === undefined &&
        /Approved by <@U0APPROVER>/.test(json(u)),
      10_000,
    );
    expect(json(shown)).not.toContain(ACTION.approveStep);
    await eventually(async () => {
      const { rows } = await bot.db.query<{ show_due_at: Date | null }>(
        'SELECT show_due_at FROM step_approvals WHERE id = $1',
        [id],
      );
      return rows[0]?.show_due_at === null ? true : undefined;
    }, 'the request recorded as shown');
    expect(bot.fake.callsTo('chat.update').filter((u) => u.args.ts === requestTs)).toEqual([]);
  });
});
