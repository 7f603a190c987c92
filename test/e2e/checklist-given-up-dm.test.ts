import { WebClient } from '@slack/web-api';
import { expect, it } from 'vitest';
import type { ChecklistGivenUp, ChecklistMarker } from '../../src/incidents/ports.js';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { SlackChat } from '../../src/slack/slack-chat.js';
import { testRunbook } from '../support/test-runbook.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

const fake = useFakeSlack({ reset: true });

const chat = (botUserId?: string, incidentsChannel?: string) =>
  new SlackChat(new WebClient('xoxb-test', slackClientOptions(fake.url)), {
    severities: testRunbook().severities,
    log: { warn: () => {} },
    ...(botUserId ? { botUserId } : {}),
    ...(incidentsChannel ? { incidentsChannel } : {}),
  });

const given: ChecklistGivenUp = {
  kind: 'attached',
  incidentNumber: 5,
  playbookId: 'db-failover',
  playbookTitle: 'Database failover',
  channelId: 'C0INC5',
  error: 'ratelimited',
  attempts: 8,
};
const marker: ChecklistMarker = { kind: 'attached', incidentId: 11, playbookId: 'db-failover', attachment: 'a1' };

it('a checklist given up is told to its person in a direct message', async () => {
  await chat('UBOT').tellChecklistGivenUp('U0ALICE', given, marker);
  expect(fake.callsTo('chat.postMessage').map((c) => c.args.channel)).toEqual(['U0ALICE']);
});

it("one whose person is the bot itself (an incident it declared from alerts, nobody commanding it) is said in the incidents channel, where the bot is a member, not in a direct message to the bot's own user", async () => {
  fake.addChannel('incidents', { id: 'C0INCIDENTS', botIsMember: true });
  fake.addChannel('inc-5-db-down', { id: 'C0INC5', botIsMember: true });
  await chat('UBOT', 'C0INCIDENTS').tellChecklistGivenUp('UBOT', given, marker);
  // A private incident's is said only in its own channel.
  await chat('UBOT', 'C0INCIDENTS').tellChecklistGivenUp('UBOT', { ...given, private: true }, marker);
  const posts = fake.callsTo('chat.postMessage');
  expect(posts.map((c) => c.args.channel)).toEqual(['C0INCIDENTS', 'C0INC5']);
  expect(String(posts[0]?.args.text)).toMatch(/The checklist of Database failover could not be posted \(ratelimited\)/);
});

it('with no incidents channel, in the incident channel', async () => {
  fake.addChannel('inc-5-db-down', { id: 'C0INC5', botIsMember: true });
  // Its user given, or asked of Slack (auth.test) when not.
  await chat('UBOT').tellChecklistGivenUp('UBOT', given, marker);
  const asked = (await new WebClient('xoxb-test', slackClientOptions(fake.url)).auth.test()).user_id as string;
  await chat().tellChecklistGivenUp(asked, given, marker);
  const posts = fake.callsTo('chat.postMessage');
  expect(posts.map((c) => c.args.channel)).toEqual(['C0INC5', 'C0INC5']);
  expect(String(posts[0]?.args.text)).toMatch(/The checklist of Database failover could not be posted \(ratelimited\)/);
});

it("a telling whose answer was lost is found again where it went, by its checklist's marker: a DM, or the incidents channel for the bot's own", async () => {
  fake.addChannel('incidents', { id: 'C0INCIDENTS', botIsMember: true });
  // The workspace keeps the earlier tests' messages (to U0DANA, of `marker`): this test's own checklist and person.
  const marker: ChecklistMarker = { kind: 'attached', incidentId: 12, playbookId: 'db-failover', attachment: 'lost' };
  const since = new Date(Date.now() - 60_000);
  const c = chat('UBOT', 'C0INCIDENTS');
  // Nothing told yet: not found.
  expect(await c.findChecklistGivenUp('U0DANA', given, marker, since)).toBe(false);
  await c.tellChecklistGivenUp('U0DANA', given, marker);
  await c.tellChecklistGivenUp('UBOT', given, marker);
  expect(await c.findChecklistGivenUp('U0DANA', given, marker, since)).toBe(true);
  expect(await c.findChecklistGivenUp('UBOT', given, marker, since)).toBe(true);
  // Another attachment of the same playbook (attached again after a detach), a run's checklist, another person: not it.
  expect(await c.findChecklistGivenUp('U0DANA', given, { ...marker, attachment: 'a2' }, since)).toBe(false);
  expect(await c.findChecklistGivenUp('U0DANA', given, { kind: 'run', runId: 12 }, since)).toBe(false);
  expect(await c.findChecklistGivenUp('U0ERIN', given, marker, since)).toBe(false);
  // Told before `since` (an earlier attachment's time): not looked at.
  expect(await c.findChecklistGivenUp('U0DANA', given, marker, new Date(Date.now() + 60_000))).toBe(false);
});

it('history Slack will not show (missing_scope): not known, so told again (false), and said once in the log', async () => {
  const warned: string[] = [];
  const c = new SlackChat(
    new WebClient('xoxb-test', { ...slackClientOptions(fake.url), retryConfig: { retries: 0 } }),
    {
      severities: testRunbook().severities,
      log: { warn: (m: string) => warned.push(m) },
      botUserId: 'UBOT',
    },
  );
  fake.failNext('conversations.history', { error: 'missing_scope' }, 2);
  expect(await c.findChecklistGivenUp('U0ALICE', given, marker, new Date(0))).toBe(false);
  expect(await c.findChecklistGivenUp('U0ALICE', given, marker, new Date(0))).toBe(false);
  expect(warned.filter((w) => /checklist was given up/.test(w))).toHaveLength(1);
  expect(warned[0]).toMatch(/missing_scope: add the im:history/);
});
