import { WebClient } from '@slack/web-api';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncidentNotice } from '../../src/incidents/ports.js';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { SlackChat } from '../../src/slack/slack-chat.js';
import { makeIncident } from '../support/incident-fixture.js';
import { testRunbook } from '../support/test-runbook.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

/**
 * The channel topic names the severity and the title, and follows their changes in the background: Slack allows about
 * 20 topic changes a minute and answers more with a wait, which must hold up neither the notice nor its handler.
 */
describe('the channel topic follows severity and title changes', () => {
  const fake = useFakeSlack({ reset: true });
  let chat: SlackChat;
  const warned: unknown[][] = [];
  beforeAll(async () => {
    fake.addChannel('inc-7-db-down', { id: 'C0INC7', botIsMember: true });
    chat = new SlackChat(new WebClient('xoxb-test', slackClientOptions(fake.url)), {
      severities: testRunbook().severities,
      log: { warn: (...args: unknown[]) => warned.push(args) },
      topicClient: new WebClient('xoxb-test', { ...slackClientOptions(fake.url), rejectRateLimitedCalls: true }),
    });
  });
  beforeEach(() => {
    warned.length = 0;
  });

  const incident = (severity: 0 | 1 | 2 | 3, title = 'db down') =>
    makeIncident({ number: 7, channelId: 'C0INC7', severity, title });
  const changed = (from: 0 | 1 | 2 | 3, to: 0 | 1 | 2 | 3): IncidentNotice => ({
    kind: 'severity_changed',
    from,
    to,
    actorId: 'U0ALICE',
  });
  const topics = () => fake.callsTo('conversations.setTopic').map((c) => String(c.args.topic));
  const settled = async (n: number) => {
    for (const until = Date.now() + 10_000; topics().length < n; ) {
      if (Date.now() > until) throw new Error(`expected ${n} topic changes, saw ${topics().length}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 300));
  };

  it('a slow or rate-limited topic holds up no notice; changes made meanwhile end in one, the latest', async () => {
    fake.failNext('conversations.setTopic', { status: 429, retryAfter: 1 });
    const t0 = Date.now();
    await chat.notify(incident(1), changed(2, 1));
    await chat.notify(incident(0), changed(1, 0));
    await chat.notify(incident(0, 'primary db out of connections'), {
      kind: 'renamed',
      from: 'db down',
      actorId: 'U0ALICE',
    });
    // The three notices are posted without waiting for Slack's second.
    expect(Date.now() - t0).toBeLessThan(900);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(3);
    await settled(2);
    // The first change was refused for the rate; after Slack's wait, only the latest is made, not those between.
    expect(fake.callsTo('conversations.setTopic').map((c) => [String(c.args.topic), Boolean(c.failed)])).toEqual([
      ['SEV-1 · respond within 15 minutes · #7 db down', true],
      ['SEV-0 · respond within 5 minutes · #7 primary db out of connections', false],
    ]);
    expect(warned).toEqual([]);
  });

  it('a topic Slack refuses is logged; the notice is posted and nothing is thrown', async () => {
    fake.failNext('conversations.setTopic', { error: 'missing_scope', needed: 'channels:manage' });
    await chat.notify(incident(2), changed(1, 2));
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
    await settled(1);
    expect(warned).toHaveLength(1);
    expect(String(warned[0]![0])).toContain('could not set the topic of C0INC7');
  });

  it('a title of emoji families fits the topic as Slack counts it (UTF-16 units); a topic Slack refuses does not stop the channel', async () => {
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}';
    const title = family.repeat(21);
    const opened = await chat.openChannel(makeIncident({ number: 8, severity: 3, title }));
    const [call] = fake.callsTo('conversations.setTopic');
    expect(call!.failed).toBeFalsy();
    expect(String(call!.args.topic).length).toBeLessThanOrEqual(250);
    expect(String(call!.args.topic)).toMatch(/^SEV-3 .* #8 \u{1F468}/u);
    expect(opened.channelId).toBeTruthy();

    fake.reset();
    fake.failNext('conversations.setTopic', { error: 'too_long' });
    const second = await chat.openChannel(makeIncident({ number: 9, severity: 3, title: 'db down' }));
    expect(second.channelId).toBeTruthy();
    expect(String(warned.at(-1)?.[0])).toContain(`could not set the topic of ${second.channelId}`);
  });

  it('says once resolved, by Resolve or by a status update', async () => {
    await chat.notify(
      { ...incident(1), status: 'resolved' },
      { kind: 'resolved', actorId: 'U0ALICE', summary: 'fixed' },
    );
    await settled(1);
    expect(topics()).toEqual(['Resolved · SEV-1 · #7 db down']);
  });

  it('other notices leave the topic alone', async () => {
    await chat.notify(incident(2), { kind: 'mitigated', actorId: 'U0ALICE' });
    await new Promise((r) => setTimeout(r, 200));
    expect(topics()).toEqual([]);
  });
});
