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

it('the card a declaration posted before it was stopped is found in its channel by its metadata, not another', async () => {
  const c = chat('UBOT');
  fake.addChannel('inc-7-db-down', { id: 'C0INC7', botIsMember: true });
  const incident = makeIncident({ id: 7, number: 7, channelId: 'C0INC7' });
  expect(await c.findCard(incident)).toBeNull();
  // Another incident's card and other messages in the channel are not it.
  await c.postCard({ ...incident, id: 8 });
  fake.workspace.addMessage('C0INC7', 'U0ALICE', 'looking into it');
  expect(await c.findCard(incident)).toBeNull();
  const ts = await c.postCard(incident);
  fake.workspace.addMessage('C0INC7', 'U0ALICE', 'card is up');
  expect(await c.findCard(incident)).toBe(ts);
  expect(String(fake.callsTo('conversations.history').at(-1)!.args.include_all_metadata)).toBe('true');
  // Without the history scope (an app not reinstalled with it): not found, said in the log, and the card is posted.
  fake.failNext('conversations.history', { error: 'missing_scope', needed: 'channels:history' });
  expect(await c.findCard(incident)).toBeNull();
  expect(String(warned.at(-1)?.[0])).toMatch(/could not look for incident 7's card in its channel \(missing_scope\)/);
});
