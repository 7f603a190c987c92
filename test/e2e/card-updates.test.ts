import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { ShownCards } from '../../src/slack/shown-cards.js';
import { SlackChat } from '../../src/slack/slack-chat.js';
import { MemoryKv } from '../../src/store/kv-memory.js';
import { openKv } from '../../src/store/kv-redis.js';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { alertRunbook, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';
import { makeIncident } from '../support/incident-fixture.js';
import { cardShows } from '../support/incident-flow.js';
import { testRunbook } from '../support/test-runbook.js';
import { TEST_REDIS_URL, testKeyPrefix } from '../support/upstash-rest.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

const quiet = { warn: () => {}, info: () => {} };

const body = (args: Record<string, unknown>) => JSON.stringify([args.text, args.blocks]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A card update that would show what the card shows already is left out: a declaration's card was refreshed by the
 * pages made while it was posted, by the notification run and by the alert loop, and sent two or three times over the
 * same (each an update Slack rate-limits per channel).
 */
describe('an incident card is updated only to change it', () => {
  describe('SlackChat', () => {
    const fake = useFakeSlack({ reset: true });
    let chat: SlackChat;
    beforeAll(() => {
      fake.addChannel('inc-7-db-down', { id: 'C0INC7', botIsMember: true });
      chat = new SlackChat(
        new WebClient('xoxb-test', { ...slackClientOptions(fake.url), retryConfig: { retries: 0 } }),
        {
          severities: testRunbook().severities,
        },
      );
    });

    it('leaves out an update that shows the same; sends one that changes the card, and one after a refused update', async () => {
      const posted = makeIncident({ number: 7, channelId: 'C0INC7', severity: 2 });
      const ts = await chat.postCard(posted);
      const incident = { ...posted, cardTs: ts };
      await chat.refreshCard(incident);
      expect(fake.callsTo('chat.update')).toHaveLength(0);

      await chat.refreshCard({ ...incident, severity: 1 });
      expect(fake.callsTo('chat.update')).toHaveLength(1);
      await chat.refreshCard({ ...incident, severity: 1 });
      expect(fake.callsTo('chat.update')).toHaveLength(1);

      // Refused: what the card shows is not known, so the same update is sent again (not taken as shown).
      fake.failNext('chat.update', { error: 'msg_too_long' });
      await expect(chat.refreshCard(incident)).rejects.toThrow();
      expect(fake.callsTo('chat.update')).toHaveLength(2);
      await chat.refreshCard(incident);
      expect(fake.callsTo('chat.update')).toHaveLength(3);
      expect(body(fake.message('C0INC7', ts)! as never)).toBe(body(fake.callsTo('chat.update')[2]!.args));

      // Told the card may differ from what was last sent (replicas' updates crossing): the same update is sent.
      await chat.cardMayDiffer(incident);
      await chat.refreshCard(incident);
      expect(fake.callsTo('chat.update')).toHaveLength(4);
      await chat.refreshCard(incident);
      expect(fake.callsTo('chat.update')).toHaveLength(4);
    });
  });

  it('what was shown is trusted for a while only; a refused update makes it unknown', async () => {
    const shown = new ShownCards(new MemoryKv(), 150);
    await shown.showing('C1', '1.0', 'a');
    expect(await shown.shows('C1', '1.0', 'a')).toBe(true);
    expect(await shown.shows('C1', '1.0', 'b')).toBe(false);
    expect(await shown.shows('C2', '1.0', 'a')).toBe(false);
    await sleep(200);
    expect(await shown.shows('C1', '1.0', 'a')).toBe(false);
    await shown.showing('C1', '1.0', 'a');
    await shown.forget('C1', '1.0');
    expect(await shown.shows('C1', '1.0', 'a')).toBe(false);
    // A store that cannot be reached knows nothing: the update is sent.
    const down = {
      get: async () => Promise.reject(new Error('down')),
      set: async () => Promise.reject(new Error('down')),
    };
    const blind = new ShownCards(down);
    await blind.showing('C1', '1.0', 'a');
    expect(await blind.shows('C1', '1.0', 'a')).toBe(false);
  });

  describe('two replicas sharing Redis', () => {
    const fake = useFakeSlack({ reset: true });
    const kv = openKv({ redisUrl: TEST_REDIS_URL, prefix: testKeyPrefix('cards'), timeoutMs: 2000 }, quiet);
    afterAll(() => kv.close());

    it('a card the other replica changed since is sent again, though this one showed the same before', async () => {
      fake.addChannel('inc-8-db-down', { id: 'C0INC8', botIsMember: true });
      const replica = () =>
        new SlackChat(new WebClient('xoxb-test', { ...slackClientOptions(fake.url), retryConfig: { retries: 0 } }), {
          severities: testRunbook().severities,
          shared: kv,
        });
      const [a, b] = [replica(), replica()];
      const posted = makeIncident({ number: 8, channelId: 'C0INC8', severity: 2 });
      const incident = { ...posted, cardTs: await a.postCard(posted) };
      // A sets SEV-1, B (another person's change) SEV-2, then A SEV-1 again: the card must say SEV-1.
      await a.refreshCard({ ...incident, severity: 1 });
      await b.refreshCard({ ...incident, severity: 2 });
      await a.refreshCard({ ...incident, severity: 1 });
      expect(fake.callsTo('chat.update')).toHaveLength(3);
      expect(JSON.stringify(fake.message('C0INC8', incident.cardTs)!.blocks)).toContain('SEV-1');
      // The same again, from either replica: left out.
      await b.refreshCard({ ...incident, severity: 1 });
      expect(fake.callsTo('chat.update')).toHaveLength(3);
    });
  });

  describe('end to end', () => {
    const bot = useBot({ env: { ...ALERTS_ENV }, incidentsChannel: true, runbook: alertRunbook() });

    it("an incident opened from an alert: each update of its card changes what it shows (the page it made, its alert's repeats)", async () => {
      expect((await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ key: 'cu-1', source: 'cu' }))).status).toBe(
        202,
      );
      await inboxDone(bot.db);
      const ts = await waitUntil('the card', async () => (await incidentsOfSource(bot.db, 'cu'))[0]?.card_ts);
      // The page shows on the card, then the alert's repeat (its count; another body, not a resend) a while later.
      // The card may be posted with the page on it already, or updated to show it.
      const channelId = (await incidentsOfSource(bot.db, 'cu'))[0]!.channel_id;
      await cardShows(bot, { channelId, cardTs: ts }, /Paged: On-Call Engineer/);
      expect(
        (await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ key: 'cu-1', source: 'cu', value: '14.5%' })))
          .status,
      ).toBe(202);
      await inboxDone(bot.db);
      // The repeat shown first (its redraw can take longer than 3 s on a loaded machine), then 3 s for any update
      // after it, so that one sending the same card again is still seen.
      await cardShows(bot, { channelId, cardTs: ts }, '×2');
      await sleep(3000);
      const card = bot.fake.callsTo('chat.postMessage').find((c) => /^SEV-1 incident #1:/.test(String(c.args.text)))!;
      const sent = [
        body(card.args),
        ...bot.fake
          .callsTo('chat.update')
          .filter((c) => c.args.ts === ts)
          .map((c) => body(c.args)),
      ];
      expect(sent.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < sent.length; i++)
        expect(sent[i], `update ${i} sends the card it showed`).not.toBe(sent[i - 1]);
      expect(sent.at(-1)).toContain('×2');
    });
  });
});
