import { WebClient } from '@slack/web-api';
import { beforeEach, expect, it } from 'vitest';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { SlackChat } from '../../src/slack/slack-chat.js';
import { makeIncident } from '../support/incident-fixture.js';
import { testRunbook } from '../support/test-runbook.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

const fake = useFakeSlack({ reset: true });
const warned: unknown[][] = [];
beforeEach(() => {
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

it("a page's direct message carries the page and the person, and is found in the bot's DM with them by that metadata only", async () => {
  const c = chat('UBOT');
  const incident = makeIncident({ id: 9, number: 9, channelId: 'C0INC9' });
  const page = { roleName: 'On-call engineer', reason: 'declared' };
  expect(await c.findPage(incident, 41, 'U0ALICE')).toBeNull();
  // The same page to someone else, another page, another incident's, a DM without metadata: none is it.
  await c.sendPage(incident, { ...page, pageId: 41 }, 'U0BOB');
  await c.sendPage(incident, { ...page, pageId: 42 }, 'U0ALICE');
  await c.sendPage({ ...incident, id: 10 }, { ...page, pageId: 41 }, 'U0ALICE');
  await c.sendPage(incident, page, 'U0ALICE');
  expect(await c.findPage(incident, 41, 'U0ALICE')).toBeNull();
  const sent = await c.sendPage(incident, { ...page, pageId: 41 }, 'U0ALICE');
  fake.workspace.addMessage(fake.workspace.dmFor('U0ALICE'), 'U0ALICE', 'on it');
  // Found: where it is, as sending it said (to be shown answered later).
  expect(await c.findPage(incident, 41, 'U0ALICE')).toEqual(sent);
  expect(sent).toEqual({ channel: fake.workspace.dmFor('U0ALICE'), ts: expect.any(String) });
  // A later Slack step of a page (its notification job) names its step: found as that step only, not as the page's
  // own DM, nor another step of it; the page's own DM is not found as a step.
  const step = await c.sendPage(incident, { ...page, pageId: 43, step: 7 }, 'U0ALICE');
  expect(await c.findPage(incident, 43, 'U0ALICE')).toBeNull();
  expect(await c.findPage(incident, 43, 'U0ALICE', 8)).toBeNull();
  expect(await c.findPage(incident, 43, 'U0ALICE', 7)).toEqual(step);
  expect(await c.findPage(incident, 41, 'U0ALICE', 7)).toBeNull();
  const [dm] = fake.callsTo('chat.postMessage').filter((p) => p.args.channel === 'U0BOB');
  expect(dm!.args.metadata).toEqual({
    event_type: 'incident_page',
    event_payload: { incident_id: 9, page_id: 41, user: 'U0BOB' },
  });
  // Looked for in the DM's own conversation (Slack's conversations.history takes no user id), with the metadata.
  const history = fake.callsTo('conversations.history').at(-1)!;
  expect(history.args.channel).toBe(fake.workspace.dmFor('U0ALICE'));
  expect(String(history.args.include_all_metadata)).toBe('true');
  expect(warned).toEqual([]);
});

it('without the DM history scopes (an app not reinstalled with them), or when Slack fails, a page is not found: said once in the log per reason', async () => {
  const c = chat('UBOT');
  const incident = makeIncident({ id: 11, number: 11, channelId: 'C0INC11' });
  await c.sendPage(incident, { roleName: 'On-call engineer', reason: 'declared', pageId: 5 }, 'U0ALICE');
  fake.failNext('conversations.history', { error: 'missing_scope', needed: 'im:history' }, 2);
  fake.failNext('conversations.open', { error: 'missing_scope', needed: 'im:write' });
  for (let i = 0; i < 3; i++) expect(await c.findPage(incident, 5, 'U0ALICE')).toBeNull();
  fake.failNext('conversations.history', { status: 500 }, 4); // each try the SDK makes
  expect(await c.findPage(incident, 5, 'U0ALICE')).toBeNull();
  expect(await c.findPage(incident, 5, 'U0ALICE')).toMatchObject({ ts: expect.any(String) });
  expect(warned.map((w) => String(w[0]))).toEqual([
    expect.stringMatching(
      /could not look for a page's direct message already sent \(missing_scope: add the im:write and im:history scopes/,
    ),
    expect.stringMatching(/could not look for a page's direct message already sent \((?!missing_scope)/),
  ]);
});
