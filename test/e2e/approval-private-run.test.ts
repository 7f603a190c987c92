import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { elementsOf } from '../support/checklist-helpers.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { testRunbookData } from '../support/test-runbook.js';

/**
 * A playbook run outside an incident (`/incident run`) in a private channel: its approval request goes in a direct
 * message only to the approvers in that channel, as a private incident's does; the request names who was not asked.
 */

const RESPONDER = 'U0RESPONDER';
const APPROVER = 'U0APPROVER';
/** An approver not in the private channel. */
const CTO = 'U0CTO';
const PRIVATE = 'C0PRIVOPS';
const PUBLIC = 'C0PUBOPS';
const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});
const hasApprove = (m: RecordedCall) => json(m).includes(ACTION.approveStep);

const runbook = parseRunbook({
  ...testRunbookData(),
  access: { responders: [RESPONDER], approvers: [APPROVER, CTO] },
  playbooks: {
    'restart-all': {
      title: 'Restart every node',
      kind: 'procedure',
      outside_incident: true,
      mitigation: [
        {
          text: 'Restart every node',
          run: ['atom-cli', 'nodes', 'restart', '--all'],
          destructive: true,
          approval: true,
          timeout: '5s',
        },
      ],
    },
  },
});

describe('an approval request of a run in a private channel', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ runbook, timers: false });
    bot.fake.addChannel('private-ops', { id: PRIVATE, isPrivate: true, members: [RESPONDER, APPROVER] });
    bot.fake.addChannel('public-ops', { id: PUBLIC, members: [RESPONDER, APPROVER] });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  /** Starts the run in `channelId` and asks for the step; returns the channel's request. */
  async function requested(channelId: string) {
    bot.fake.reset();
    await bot.command('run restart-all', { channel_id: channelId, user_id: RESPONDER });
    await bot.fake.waitFor('response_url');
    const posted = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook:/.test(String(m.args.text)));
    const ts = (posted.response as { ts: string }).ts;
    const run = elementsOf(bot, channelId, ts, ACTION.runStep)
      .map((x) => x.element.value!)
      .find((v) => JSON.parse(v).s === 'mitigation.0');
    expect(run).toBeDefined();
    bot.fake.reset();
    await bot.click({ channelId, messageTs: ts, actionId: ACTION.runStep, value: run!, userId: RESPONDER });
    const request = await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === channelId && hasApprove(m));
    await bot.fake.waitFor('response_url', (r) => /Approval requested/.test(String(r.args.text)));
    await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === APPROVER && hasApprove(m));
    return request;
  }
  const sentTo = (user: string) =>
    [...bot.fake.callsTo('chat.postMessage'), ...bot.fake.callsTo('chat.update')].filter(
      (m) => m.args.channel === user,
    );

  it('is sent only to the approvers in the channel; the request says who was not asked and how to add them', async () => {
    const request = await requested(PRIVATE);
    expect(sentTo(CTO)).toEqual([]);
    expect(json(request)).toContain(`Not asked: <@${CTO}> — not in this private channel`);
    expect(json(request)).toContain('/invite @name');
    expect(json(request)).not.toContain('DMed');
    // The CTO pressing Approve on the channel's request (a link passed around) is told how to get in: not "join".
    bot.fake.reset();
    await bot.click({
      channelId: PRIVATE,
      messageTs: (request.response as { ts: string }).ts,
      actionId: ACTION.approveStep,
      value: /"value":"(\d+)"/.exec(json(request).replace(/\\/g, ''))![1]!,
      userId: CTO,
    });
    expect(String((await bot.fake.waitFor('response_url')).args.text)).toMatch(
      /you are not in it: the channel is private, so ask someone in it to add you/,
    );
  });

  it('in a public channel, goes to every approver, as before', async () => {
    await requested(PUBLIC);
    await bot.fake.waitFor('chat.postMessage', (m) => m.args.channel === CTO && hasApprove(m));
  });
});
