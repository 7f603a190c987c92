import { WebClient } from '@slack/web-api';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncidentNotice } from '../../src/incidents/ports.js';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { SlackChat } from '../../src/slack/slack-chat.js';
import { makeIncident } from '../support/incident-fixture.js';
import { testRunbook } from '../support/test-runbook.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

/**
 * A change's notice kept until shown (its follow-up) names the follow-up in each of its posts, the incident channel's
 * and the incidents channel's copy, so that a process taking the follow-up over (the one showing it died) finds where
 * it is already and posts it only where it is missing, saying it is late.
 */
describe("a change's notice is found where it was posted", () => {
  const fake = useFakeSlack({ reset: true });
  let chat: SlackChat;
  const warned: string[] = [];
  beforeAll(() => {
    fake.addChannel('inc-8-db-down', { id: 'C0INC8', botIsMember: true });
    fake.addChannel('inc-9-db-down', { id: 'C0INC9', botIsMember: true });
    fake.addChannel('incidents', { id: 'C0INCS', botIsMember: true });
    chat = new SlackChat(new WebClient('xoxb-test', { ...slackClientOptions(fake.url), retryConfig: { retries: 0 } }), {
      severities: testRunbook().severities,
      incidentsChannel: 'C0INCS',
      botUserId: 'UBOT',
      log: { warn: (msg: unknown) => warned.push(String(msg)) },
    });
  });
  beforeEach(() => {
    warned.length = 0;
  });

  const since = new Date(Date.now() - 5_000);
  const resolved: IncidentNotice = { kind: 'resolved', actorId: 'U0ALICE', summary: 'flushed the cache' };
  const posts = (channel: string) =>
    fake.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && !c.failed);

  it('each post carries the follow-up; the lookup finds each place apart, and a late post goes only where it is missing, saying so', async () => {
    const incident = makeIncident({ id: 8, number: 8, channelId: 'C0INC8', status: 'resolved' });
    await chat.notify(incident, resolved, { followup: 31 });
    expect(posts('C0INC8')[0]!.args.metadata).toEqual({
      event_type: 'incident_notice',
      event_payload: { incident_id: 8, followup_id: 31, place: 'channel' },
    });
    expect(posts('C0INCS')[0]!.args.metadata).toEqual({
      event_type: 'incident_notice',
      event_payload: { incident_id: 8, followup_id: 31, place: 'incidents' },
    });
    expect(JSON.stringify(posts('C0INC8')[0]!.args)).not.toContain('Posted late');
    expect(await chat.findNotice(incident, resolved, 31, since)).toEqual(new Set(['channel', 'incidents']));
    // Another follow-up of the same incident is not taken for it.
    expect(await chat.findNotice(incident, resolved, 32, since)).toEqual(new Set());
    const looked = fake.callsTo('conversations.history');
    expect(looked.every((c) => String(c.args.include_all_metadata) === 'true' && Number(c.args.oldest) > 0)).toBe(true);

    // Follow-up 32's first post reached the channel only: the late one goes to the incidents channel alone.
    fake.reset();
    const madeAt = new Date('2026-12-05T03:02:00Z');
    await chat.notify(incident, resolved, { followup: 32, late: { madeAt }, posted: new Set(['channel']) });
    expect(posts('C0INC8')).toHaveLength(0);
    expect(posts('C0INCS')).toHaveLength(1);
    const late = JSON.stringify(posts('C0INCS')[0]!.args);
    expect(late).toContain('Posted late: the bot restarted before posting this (the change was made <!date^');
    expect(posts('C0INCS')[0]!.args.text).toContain('(posted late: the change was made 2026-12-05 03:02 UTC)');
  });

  it("a private incident's notice is looked for in its channel only (it is not copied to the incidents channel)", async () => {
    const incident = makeIncident({ id: 9, number: 9, channelId: 'C0INC9', private: true, status: 'resolved' });
    await chat.notify(incident, resolved, { followup: 41 });
    expect(posts('C0INCS')).toHaveLength(0);
    expect(await chat.findNotice(incident, resolved, 41, since)).toEqual(new Set(['channel']));
    expect(fake.callsTo('conversations.history').map((c) => c.args.channel)).toEqual(['C0INC9']);
  });

  it('without the history scope the lookup cannot tell (null: posted at most once), logged once per reason', async () => {
    const incident = makeIncident({ id: 8, number: 8, channelId: 'C0INC8', status: 'resolved' });
    fake.failNext('conversations.history', { error: 'missing_scope', needed: 'channels:history' }, 2);
    expect(await chat.findNotice(incident, resolved, 31, since)).toBeNull();
    expect(await chat.findNotice(incident, resolved, 31, since)).toBeNull();
    expect(warned.filter((w) => w.includes('missing_scope'))).toHaveLength(1);
    expect(warned[0]).toContain('channels:history');
  });
});
