import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { SlackChat } from '../../src/slack/slack-chat.js';
import { FakeSlack } from '../support/fake-slack.js';
import { makeIncident } from '../support/incident-fixture.js';
import { testRunbook } from '../support/test-runbook.js';

let fake: FakeSlack;
const warned: unknown[][] = [];
beforeAll(async () => {
  fake = await FakeSlack.start();
});
afterAll(async () => fake?.close());
beforeEach(() => {
  fake.reset();
  warned.length = 0;
});

const chat = (botUserId?: string) =>
  new SlackChat(new WebClient('xoxb-test', slackClientOptions(fake.url)), {
    severities: testRunbook().severities,
    log: { warn: (...args: unknown[]) => warned.push(args) },
    ...(botUserId ? { botUserId } : {}),
  });

it('how an interrupted declaration ended is told to the person who declared it by direct message', async () => {
  await chat('UBOT').tellDeclarer({
    kind: 'finished',
    incident: makeIncident({ number: 3, reporterId: 'U0ALICE', channelId: 'C0INC3' }),
    problems: [],
  });
  const [dm] = fake.callsTo('chat.postMessage');
  expect(dm?.args.channel).toBe('U0ALICE');
});

it("an incident the bot declared from alerts has no person to tell: no direct message to the bot's own user, a log line", async () => {
  // Its user given, or asked of Slack (auth.test) when not.
  for (const c of [chat('UBOT'), chat()]) {
    await c.tellDeclarer({
      kind: 'finished',
      incident: makeIncident({ number: 4, reporterId: 'UBOT', channelId: 'C0INC4' }),
      problems: [],
    });
  }
  expect(fake.callsTo('chat.postMessage')).toEqual([]);
  expect(warned.map((w) => String(w[0]))).toEqual([
    expect.stringContaining('(from alerts) ended after an interruption: finished'),
    expect.stringContaining('(from alerts) ended after an interruption: finished'),
  ]);
});
