import { ACTION } from '../../src/templates/ids.js';
import type { BotHarness } from './bot-harness.js';
import type { RecordedCall } from './fake-slack.js';
import { testRunbookData } from './test-runbook.js';

/** The approval tests' people: the responder who asks, an approver in the incident channel, one never in it. */
export const RESPONDER = 'U0RESPONDER';
export const APPROVER = 'U0APPROVER';
/** An approver never paged, so never in the incident channel. */
export const CTO = 'U0CTO';

export const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});
/** A message with Approve (an approval request, in its channel or a DM). */
export const hasApprove = (m: RecordedCall) => json(m).includes(ACTION.approveStep);
/** The approval request's id, as its buttons carry it. */
export const idOf = (m: RecordedCall) => /"value":"(\d+)"/.exec(json(m).replace(/\\/g, ''))![1]!;

/**
 * What the approval tests do through a bot (`bot()`: the describe's, once started) whose runbook has the `web-down`
 * playbook with `mitigation.0` needing approval, and approvers RESPONDER, APPROVER and CTO.
 */
export function approvalFlow(bot: () => BotHarness) {
  const dmTo = (user: string) =>
    bot().fake.waitFor('chat.postMessage', (m) => m.args.channel === user && hasApprove(m));
  return {
    /** Declares an incident the playbook fits (APPROVER in its channel, CTO not) and asks for the step's approval. */
    async requested(text: string) {
      const b = bot();
      b.fake.reset();
      await b.command(text);
      await b.fake.waitFor('response_url');
      const pb = await b.fake.waitFor('chat.postMessage', (m) => /^Playbook: Web Down/.test(String(m.args.text)));
      const channelId = String(pb.args.channel);
      const playbookTs = (pb.response as { ts: string }).ts;
      for (const u of [RESPONDER, APPROVER]) b.fake.channels.get(channelId)!.members.add(u);
      b.fake.reset();
      await b.click({
        channelId,
        messageTs: playbookTs,
        actionId: ACTION.runStep,
        value: JSON.stringify({ p: 'web-down', s: 'mitigation.0' }),
        userId: RESPONDER,
      });
      const request = await b.fake.waitFor('chat.postMessage', (m) => m.args.channel === channelId && hasApprove(m));
      const requestTs = (request.response as { ts: string }).ts;
      await b.fake.waitFor('response_url', (r) => /Approval requested/.test(String(r.args.text)));
      const dms: Record<string, RecordedCall> = { [APPROVER]: await dmTo(APPROVER), [CTO]: await dmTo(CTO) };
      return { channelId, playbookTs, request, requestTs, dms };
    },
    /** The request's DM to this person, once sent. */
    dmTo,
    /** Presses Approve (or `actionId`) on a request's DM, as `userId`. */
    press(dm: RecordedCall, userId: string, actionId: string = ACTION.approveStep) {
      const r = dm.response as { channel: string; ts: string };
      return bot().click({ channelId: r.channel, messageTs: r.ts, actionId, value: idOf(dm), userId });
    },
    /** The last update of a message (the channel's request, or a DM), waited for until it matches. */
    shownAs: (channel: string, ts: string, re: RegExp) =>
      bot().fake.waitFor(
        'chat.update',
        (u) => u.args.channel === channel && u.args.ts === ts && re.test(json(u)),
        8000,
      ),
  };
}

/**
 * The runbook data of the approval tests that run the step: the test runbook with the responder asking and three
 * approvers, and "Web Down", whose one mitigation step (`atom-cli nodes restart --all`) changes production and needs a
 * second person; `timeout` is the step's.
 */
export function webDownRunbookData(timeout: string) {
  return {
    ...testRunbookData(),
    access: { responders: [RESPONDER], approvers: [RESPONDER, APPROVER, CTO] },
    playbooks: {
      'web-down': {
        title: 'Web Down',
        kind: 'incident',
        match: ['web down'],
        symptoms: ['502 everywhere'],
        detection: ['Look at the dashboards'],
        mitigation: [
          {
            text: 'Restart every node',
            run: ['atom-cli', 'nodes', 'restart', '--all'],
            destructive: true,
            approval: true,
            timeout,
          },
        ],
        resolution: [],
        prevention: [],
      },
    },
  };
}
