import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT } from '../../src/templates/ids.js';
import {
  APPROVER,
  approvalFlow,
  CTO,
  hasApprove,
  idOf,
  json,
  RESPONDER,
  webDownRunbookData,
} from '../support/approval-flow.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { eventually } from '../support/incident-flow.js';
import { stateValue } from '../support/slack-request.js';

/**
 * Every drawing of a decided approval request says how its run ended, wherever and whenever it is drawn: a redraw by
 * the timer loop, a direct message sent after the decision (before or after the run ended), and a redraw of the
 * channel's request that Slack took late never leaves an older state showing.
 */

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');

const runbook = parseRunbook(webDownRunbookData('10s'));

/** Where a posted message is. */
const at = (m: RecordedCall) => m.response as { channel: string; ts: string };

/** Declares an incident (APPROVER in its channel, CTO not) and presses Run on the step that needs approval. */
async function ask(bot: BotHarness, title: string) {
  await bot.command(`sev1 ${title}`);
  await bot.fake.waitFor('response_url');
  const pb = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)));
  const channelId = String(pb.args.channel);
  for (const u of [RESPONDER, APPROVER]) bot.fake.channels.get(channelId)!.members.add(u);
  await bot.click({
    channelId,
    messageTs: at(pb).ts,
    actionId: ACTION.runStep,
    value: JSON.stringify({ p: 'web-down', s: 'mitigation.0' }),
    userId: RESPONDER,
  });
  const request = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === channelId && hasApprove(m));
  return { channelId, requestTs: at(request).ts, id: idOf(request) };
}

/** A request recorded as shown everywhere: not due to be drawn again by the timer loop. */
const recordedShown = (bot: BotHarness, id: string) =>
  eventually(async () => {
    const { rows } = await bot.db.query<{ show_due_at: Date | null }>(
      'SELECT show_due_at FROM step_approvals WHERE id = $1',
      [id],
    );
    return rows[0]?.show_due_at === null ? true : undefined;
  }, `request ${id} recorded as shown`);

/** The message as Slack shows it now, once it matches `re`. */
const showsNow = (bot: BotHarness, channel: string, ts: string, re: RegExp, what: string) =>
  eventually(async () => {
    const m = bot.fake.message(channel, ts);
    const s = JSON.stringify(m?.blocks ?? null);
    return re.test(s) && !s.includes(ACTION.approveStep) ? s : undefined;
  }, what);

/** The request's due time for the timer loop's redraw, moved up to now; whether it was due at all. */
async function dueNowIn(bot: BotHarness, id: string) {
  const { rows } = await bot.db.query(
    'UPDATE step_approvals SET show_due_at = now() WHERE id = $1 AND show_due_at IS NOT NULL RETURNING id',
    [id],
  );
  return rows.length === 1;
}

/** Once the request's two direct messages (the approvers' other than the asker) are recorded. */
const bothDmsRecordedIn = (bot: BotHarness, id: string) =>
  eventually(async () => {
    const { rows } = await bot.db.query<{ n: number }>(
      'SELECT jsonb_array_length(dms) AS n FROM step_approvals WHERE id = $1',
      [id],
    );
    return rows[0]?.n === 2 ? true : undefined;
  }, 'both direct messages recorded');

describe('a decided request drawn again (the run fails, exit code 3)', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ runbook, env: { ATOM_CLI, COMMAND_ENV: 'ATOM_CLI_FAIL', ATOM_CLI_FAIL: '1' } });
  });
  afterAll(async () => {
    await bot?.stop();
  });
  const { requested, press, shownAs } = approvalFlow(() => bot);
  const failed = /It ran and failed \(exit code 3\)/;

  it("the timer loop's redraw of its direct messages says how the run ended, not 'running it now'", async () => {
    const { channelId, requestTs, dms } = await requested('sev1 web down redrawn later');
    bot.fake.reset();
    await press(dms[APPROVER]!, APPROVER);
    await shownAs(channelId, requestTs, failed);
    for (const u of [APPROVER, CTO]) await shownAs(at(dms[u]!).channel, at(dms[u]!).ts, failed);
    // Redrawn again (as when Slack refused an update), once the approval's work is over (its drawings recorded as
    // shown): the outcome stays.
    const id = idOf(dms[APPROVER]!);
    await bot.idle();
    await recordedShown(bot, id);
    bot.fake.reset();
    await bot.db.query('UPDATE step_approvals SET show_due_at = now() WHERE id = $1', [id]);
    await bot.fake.waitFor('chat.update', (u) => u.args.ts === at(dms[CTO]!).ts, 10_000);
    await recordedShown(bot, id);
    for (const u of [APPROVER, CTO]) {
      expect(JSON.stringify(bot.fake.message(at(dms[u]!).channel, at(dms[u]!).ts)?.blocks)).toMatch(failed);
    }
    expect(JSON.stringify(bot.fake.message(channelId, requestTs)?.blocks)).toMatch(failed);
  });

  it('direct messages sent after the decision and after the run ended say how it ended', async () => {
    bot.fake.reset();
    // The first direct message (the approver's; the CTO's follows it) is slow: the request is approved, and its run
    // ends, before either is recorded.
    bot.fake.failNext('chat.postMessage', { delayMs: 3000 }, 1, (a) => a.channel === APPROVER);
    const { channelId, requestTs, id } = await ask(bot, 'web down dms after the end');
    await bot.click({ channelId, messageTs: requestTs, actionId: ACTION.approveStep, value: id, userId: APPROVER });
    await showsNow(bot, channelId, requestTs, failed, "the channel's request saying the run failed");
    const late = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === CTO && hasApprove(m), 10_000);
    const first = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === APPROVER && hasApprove(m));
    for (const dm of [first, late]) {
      await showsNow(bot, at(dm).channel, at(dm).ts, failed, 'a late direct message saying the run failed');
    }
  });

  it("the channel's request redrawn as direct messages go out, taken by Slack after the decision, ends up decided", async () => {
    bot.fake.reset();
    // The CTO (outside the channel) cannot be sent it: the channel's request is redrawn to say so, and Slack takes that
    // redraw late, after the decision's own updates.
    bot.fake.failNext('chat.postMessage', { error: 'user_not_found' }, 1, (a) => a.channel === CTO);
    bot.fake.failNext('chat.update', { delayMs: 3000 }, 1, (a) => /could not be DMed/.test(JSON.stringify(a)));
    const { channelId, requestTs, id } = await ask(bot, 'web down late redraw');
    // Approved once the redraw saying so is on its way (the CTO's direct message, the last, failed just before).
    await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === CTO, 10_000, { includeFailed: true });
    await new Promise((r) => setTimeout(r, 300));
    await bot.click({ channelId, messageTs: requestTs, actionId: ACTION.approveStep, value: id, userId: APPROVER });
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === requestTs && u.delayedMs !== undefined && /could not be DMed/.test(json(u)),
      10_000,
    );
    await showsNow(bot, channelId, requestTs, failed, "the channel's request saying the run failed, buttons gone");
  });
});

describe("the decision's own drawing of the channel's request, refused by Slack", () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ runbook, env: { ATOM_CLI, COMMAND_ENV: 'ATOM_CLI_FAIL', ATOM_CLI_FAIL: '1' } });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  const failedRun = /It ran and failed \(exit code 3\)/;

  const dueNow = (id: string) => dueNowIn(bot, id);
  const bothDmsRecorded = (id: string) => bothDmsRecordedIn(bot, id);

  it('an approval is drawn again by the timer loop: the buttons go, and it says how the run ended', async () => {
    bot.fake.reset();
    const { channelId, requestTs, id } = await ask(bot, 'web down approval drawing refused');
    // Slack refuses every update of the channel's request while the approval is drawn and its run ends.
    let refusing = true;
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 50, (a) => refusing && a.ts === requestTs);
    await bot.click({ channelId, messageTs: requestTs, actionId: ACTION.approveStep, value: id, userId: APPROVER });
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === requestTs && u.failed !== undefined && failedRun.test(json(u)),
      10_000,
      { includeFailed: true },
    );
    expect(JSON.stringify(bot.fake.message(channelId, requestTs)?.blocks)).toContain(ACTION.approveStep);
    // Slack takes updates again; the retry is moved up to now.
    refusing = false;
    expect(await dueNow(id)).toBe(true);
    await showsNow(bot, channelId, requestTs, failedRun, "the channel's request saying the run failed, buttons gone");
    await recordedShown(bot, id);
  });

  it('a denial is drawn again by the timer loop: the buttons go, and it says who denied it', async () => {
    bot.fake.reset();
    const { channelId, requestTs, id } = await ask(bot, 'web down denial drawing refused');
    await bot.click({ channelId, messageTs: requestTs, actionId: ACTION.denyStep, value: id, userId: APPROVER });
    const open = await bot.fake.waitFor('views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string };
    let refusing = true;
    bot.fake.failNext('chat.update', { status: 500 }, 50, (a) => refusing && a.ts === requestTs);
    await bot.submit({
      callbackId: view.callback_id,
      privateMetadata: view.private_metadata,
      userId: APPROVER,
      values: { [BLOCK.denyReason]: { [INPUT.summary]: stateValue.plainText('wrong cluster') } },
    });
    const denied = /Denied by <@U0APPROVER>/;
    // The client's own retries (3) refused too.
    await bot.fake.waitForCount(
      'chat.update',
      4,
      (u) => u.args.ts === requestTs && u.failed !== undefined && denied.test(json(u)),
      10_000,
      { includeFailed: true },
    );
    expect(JSON.stringify(bot.fake.message(channelId, requestTs)?.blocks)).toContain(ACTION.approveStep);
    refusing = false;
    expect(await dueNow(id)).toBe(true);
    await showsNow(bot, channelId, requestTs, denied, "the channel's request saying who denied it, buttons gone");
  });

  it("a direct message Slack refused is drawn again by the timer loop; the channel's request, drawn, is not", async () => {
    bot.fake.reset();
    const { channelId, requestTs, id } = await ask(bot, 'web down approval dm refused');
    const cto = at(await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === CTO && hasApprove(m)));
    await bothDmsRecorded(id);
    // Slack refuses every update of the CTO's direct message while the approval is drawn and its run ends.
    let refusing = true;
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 50, (a) => refusing && a.ts === cto.ts);
    await bot.click({ channelId, messageTs: requestTs, actionId: ACTION.approveStep, value: id, userId: APPROVER });
    await showsNow(bot, channelId, requestTs, failedRun, "the channel's request saying the run failed");
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === cto.ts && u.failed !== undefined && failedRun.test(json(u)),
      10_000,
      { includeFailed: true },
    );
    await bot.idle();
    // The channel's request was drawn as it is: only the direct message is behind.
    const { rows } = await bot.db.query<{ message_behind: boolean }>(
      'SELECT message_behind FROM step_approvals WHERE id = $1',
      [id],
    );
    expect(rows[0]?.message_behind).toBe(false);
    refusing = false;
    bot.fake.reset();
    expect(await dueNow(id)).toBe(true);
    await showsNow(bot, cto.channel, cto.ts, failedRun, "the CTO's direct message saying the run failed");
    await recordedShown(bot, id);
    expect(bot.fake.callsTo('chat.update').filter((u) => u.args.ts === requestTs)).toEqual([]);
  });

  it("the timer loop's redraw that Slack took in the channel but refused in a direct message draws the direct message only after", async () => {
    bot.fake.reset();
    const { channelId, requestTs, id } = await ask(bot, 'web down approval redrawn, dm refused');
    const cto = at(await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === CTO && hasApprove(m)));
    await bothDmsRecorded(id);
    /** Slack refuses every update of the CTO's direct message from now on. */
    const refuseDm = () =>
      bot.fake.failNext('chat.update', { error: 'internal_error' }, 50, (a) => refusingDm && a.ts === cto.ts);
    let refusingDm = true;
    let refusingChannel = true;
    refuseDm();
    // Slack refuses the channel's request too while the approval is drawn and its run ends: it is behind.
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 50, (a) => refusingChannel && a.ts === requestTs);
    await bot.click({ channelId, messageTs: requestTs, actionId: ACTION.approveStep, value: id, userId: APPROVER });
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === requestTs && u.failed !== undefined && failedRun.test(json(u)),
      10_000,
      { includeFailed: true },
    );
    await bot.idle();
    refusingChannel = false;
    /** One round of the timer loop's redraw of it, once it is over (Slack refused the direct message: due later). */
    const round = async () => {
      expect(await dueNow(id)).toBe(true);
      await eventually(async () => {
        const { rows } = await bot.db.query<{ later: boolean }>(
          "SELECT show_due_at > now() + interval '10 seconds' AS later FROM step_approvals WHERE id = $1",
          [id],
        );
        return rows[0]?.later === true ? true : undefined;
      }, 'the redraw refused in the direct message, tried again later');
    };
    // The timer loop draws the channel's request (Slack takes it) and the direct message (refused).
    await round();
    await showsNow(bot, channelId, requestTs, failedRun, "the channel's request saying the run failed");
    // Recorded drawn once Slack has taken it, and after the direct message's refusal (the round's wait above may end
    // at its claim, whose lease is past 10 s too): waited for, not read at once.
    await eventually(async () => {
      const { rows } = await bot.db.query<{ message_behind: boolean }>(
        'SELECT message_behind FROM step_approvals WHERE id = $1',
        [id],
      );
      return rows[0]?.message_behind === false ? true : undefined;
    }, "the channel's request recorded drawn");
    // Its next round draws the direct message only: the channel's request shows the run's end already.
    bot.fake.reset();
    refuseDm();
    await round();
    // The round's refused update of the DM (failed calls are recorded too): waited for, as the round's wait above may
    // end at its claim (the claim's lease is past 10 s too), before the sweep has asked Slack. Then nothing more of it.
    await bot.fake.waitFor('chat.update', (u) => u.args.ts === cto.ts && u.failed !== undefined, 10_000, {
      includeFailed: true,
    });
    await bot.idle();
    expect(bot.fake.callsTo('chat.update').filter((u) => u.args.ts === requestTs)).toEqual([]);
    refusingDm = false;
    bot.fake.reset();
    expect(await dueNow(id)).toBe(true);
    // Made due again while it is not shown: the refused round's own record of its retry (a later due time) may land
    // after the first dueNow.
    await eventually(async () => {
      const s = JSON.stringify(bot.fake.message(cto.channel, cto.ts)?.blocks ?? null);
      if (failedRun.test(s) && !s.includes(ACTION.approveStep)) return true;
      await dueNow(id);
      return undefined;
    }, "the CTO's direct message saying the run failed");
    await recordedShown(bot, id);
  });
});

describe('a closed request whose direct message Slack keeps refusing', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ runbook, env: { ATOM_CLI } });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it("the timer loop draws the direct message again every round, the channel's request (Slack took it) not", async () => {
    bot.fake.reset();
    const { channelId, requestTs, id } = await ask(bot, 'web down closed, dm refused');
    const cto = at(await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === CTO && hasApprove(m)));
    await bothDmsRecordedIn(bot, id);
    // Slack refuses every update of the CTO's direct message; resolving the incident closes the request.
    let refusing = true;
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 50, (a) => refusing && a.ts === cto.ts);
    await bot.command('resolve it came back', { channel_id: channelId, user_id: RESPONDER });
    const closed = /Not run: the incident was resolved/;
    await showsNow(bot, channelId, requestTs, closed, "the channel's request saying it was closed");
    /** The refused updates of the CTO's direct message so far (each drawing of it). */
    const refusedDm = () => bot.fake.callsTo('chat.update').filter((u) => u.args.ts === cto.ts && u.failed).length;
    await eventually(async () => (refusedDm() >= 1 ? true : undefined), "the closing's refused direct message");
    await bot.idle();
    const channelUpdates = () => bot.fake.callsTo('chat.update').filter((u) => u.args.ts === requestTs);
    expect(channelUpdates()).toHaveLength(1);
    // Two rounds of the timer loop's redraw of it (made due again until it has drawn the direct message once more).
    for (const round of [1, 2]) {
      expect(await dueNowIn(bot, id)).toBe(true);
      await eventually(async () => {
        if (refusedDm() > round) return true;
        await dueNowIn(bot, id);
        return undefined;
      }, `round ${round}'s refused direct message`);
      await bot.idle();
    }
    expect(channelUpdates()).toHaveLength(1);
    // Slack takes it again: the direct message is drawn, the request recorded as shown, the channel's left as it was.
    refusing = false;
    await eventually(async () => {
      const s = JSON.stringify(bot.fake.message(cto.channel, cto.ts)?.blocks ?? null);
      if (closed.test(s) && !s.includes(ACTION.approveStep)) return true;
      await dueNowIn(bot, id);
      return undefined;
    }, "the CTO's direct message saying it was closed");
    await recordedShown(bot, id);
    expect(channelUpdates()).toHaveLength(1);
  });
});

describe('direct messages sent after the decision, while the run runs', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({
      runbook,
      env: { ATOM_CLI, COMMAND_ENV: 'ATOM_CLI_SLOW_MS', ATOM_CLI_SLOW_MS: '300', ATOM_CLI_SLOW_COUNT: '10' },
    });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('say how it ended once it has', async () => {
    bot.fake.reset();
    bot.fake.failNext('chat.postMessage', { delayMs: 1000 }, 1, (a) => a.channel === APPROVER);
    const { channelId, requestTs, id } = await ask(bot, 'web down dms while running');
    await bot.click({ channelId, messageTs: requestTs, actionId: ACTION.approveStep, value: id, userId: APPROVER });
    const late = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === CTO && hasApprove(m), 10_000);
    const ended = /It ran and succeeded \(exit code 0\)/;
    await showsNow(bot, channelId, requestTs, ended, "the channel's request saying the run succeeded");
    const first = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === APPROVER && hasApprove(m));
    for (const dm of [first, late]) {
      await showsNow(bot, at(dm).channel, at(dm).ts, ended, 'a late direct message saying the run succeeded');
    }
  });
});
