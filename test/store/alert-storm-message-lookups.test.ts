/**
 * A storm's incidents-channel message Slack did not answer with its place is looked for (findStepPost:
 * conversations.history) before it is posted again only when Slack may have taken it: an answer lost (a timeout), a 5xx,
 * internal_error, fatal_error. A refusal in so many words (not_in_channel, ratelimited…), or any other HTTP 4xx, posted nothing: the retry posts
 * at once, no lookup.
 */
import { WebClient, LogLevel as WebLogLevel } from '@slack/web-api';
import { beforeEach, expect, it } from 'vitest';
import { StepPosts } from '../../src/incidents/alert-step-posts.js';
import { StormMessage } from '../../src/incidents/alert-storm-message.js';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { SlackAlertChat } from '../../src/slack/slack-alert-chat.js';
import { stormMessageOf } from '../../src/store/alert-storm-message.repo.js';
import type { Failure } from '../support/fake-slack.js';
import { makeIncident } from '../support/incident-fixture.js';
import { useFakeSlack } from '../support/use-fake-slack.js';
import { emptyTables, forEachDatabase } from './databases.js';

const quiet = { warn() {} };

forEachDatabase(
  (ctx) => {
    const fake = useFakeSlack({ reset: true });
    let channel: string;
    let n = 0;
    let message: StormMessage;
    /** The same, through a client as the bot's own (app.client): it retries a 429, rather than refusing it at once. */
    let retrying: StormMessage;
    beforeEach(async () => {
      await emptyTables(ctx.db, ['alert_storm_messages', 'alert_step_posts']);
      // A channel of each test's own (the fake's workspace stays from test to test).
      channel = fake.addChannel(`incidents-${++n}`);
      const client = new WebClient('xoxb-test', {
        slackApiUrl: fake.url,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout: 300,
      });
      const chat = new SlackAlertChat(client, { incidentsChannel: channel, log: quiet });
      message = new StormMessage(ctx.db, chat, new StepPosts(ctx.db, chat));
      const botClient = new WebClient('xoxb-test', { ...slackClientOptions(fake.url), logLevel: WebLogLevel.ERROR });
      const botChat = new SlackAlertChat(botClient, { incidentsChannel: channel, log: quiet });
      retrying = new StormMessage(ctx.db, botChat, new StepPosts(ctx.db, botChat));
    });

    const incident = makeIncident({ id: 1, number: 1 });
    const storm = { source: 's', maxIncidents: 2 };
    const mark = 'storm:1:everyone';
    /**
     * The storm's message posted by the step, its first attempt answered with `failure` (each of the client's `times`
     * tries, through `via`), then tried again.
     */
    const postedAfter = async (failure: Failure, times = 1, via = message) => {
      fake.failNext('chat.postMessage', failure, times);
      await expect(via.tellStormEveryone(incident, storm, mark)).rejects.toThrow();
      // A post held back past the client's timeout lands meanwhile, as Slack takes it.
      if ('delayMs' in failure)
        await fake.waitFor('chat.postMessage', (c) => c.delayedMs !== undefined, 10_000, { includeFailed: true });
      const { at } = await via.tellStormEveryone(incident, storm, mark);
      return {
        at,
        lookups: fake.callsTo('conversations.history').length,
        posts: fake.callsTo('chat.postMessage').length,
        shown: fake.messagesIn(channel).filter((m) => !m.thread_ts).length,
      };
    };

    it.each<[string, Failure]>([
      ['not_in_channel', { error: 'not_in_channel' }],
      ['channel_not_found', { error: 'channel_not_found' }],
      ['is_archived', { error: 'is_archived' }],
      ['invalid_auth', { error: 'invalid_auth' }],
      ['missing_scope', { error: 'missing_scope', needed: 'chat:write' }],
      ['a 429', { status: 429, retryAfter: 1 }],
      ['a 400 (no ok:false body)', { status: 400 }],
      ['a 403 (no ok:false body)', { status: 403 }],
      ['a 404 (no ok:false body)', { status: 404 }],
    ])('refused with %s (nothing posted): posted again with no lookup', async (_, failure) => {
      const after = await postedAfter(failure);
      expect(after.lookups).toBe(0);
      expect(after.posts).toBe(2);
      expect(after.shown).toBe(1);
      expect(await stormMessageOf(ctx.db, 's')).toEqual(after.at);
    });

    it.each<[string, Failure, number]>([
      ['a 429 outlasting the client’s retries', { status: 429, retryAfter: 0 }, 4],
      ['a 429 whose Retry-After the client cannot read', { status: 429, retryAfter: 'soon' }, 1],
    ])(
      'refused with %s, through a client as the bot’s (nothing posted): posted again with no lookup',
      async (_, failure, times) => {
        const after = await postedAfter(failure, times, retrying);
        expect(after.lookups).toBe(0);
        expect(after.posts).toBe(times + 1);
        expect(after.shown).toBe(1);
        expect(await stormMessageOf(ctx.db, 's')).toEqual(after.at);
      },
    );

    it.each<[string, Failure]>([
      ['internal_error', { error: 'internal_error' }],
      ['fatal_error', { error: 'fatal_error' }],
      ['a 503', { status: 503 }],
    ])('answered %s (maybe taken): looked for once, then posted', async (_, failure) => {
      const after = await postedAfter(failure);
      expect(after.lookups).toBe(1);
      expect(after.posts).toBe(2);
      expect(after.shown).toBe(1);
    });

    it.each<[string, Failure]>([
      ['taken, then internal_error', { takenThen: 'internal_error' }],
      ['taken, its answer too late (a timeout)', { delayMs: 1500 }],
    ])('%s: looked for once, found and kept, not posted again', async (_, failure) => {
      const after = await postedAfter(failure);
      expect(after.lookups).toBe(1);
      expect(after.posts).toBe(1);
      expect(after.shown).toBe(1);
      expect(await stormMessageOf(ctx.db, 's')).toEqual(after.at);
    });
  },
  { only: ['postgres'] },
);
