import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { followUpCaches, SlackFollowUpChat } from '../../src/slack/follow-up-chat.js';
import type { HomeTabs } from '../../src/slack/home-tabs.js';
import { REPEAT_CLICK_MS } from '../../src/slack/once-per-request.js';
import { SlackChat } from '../../src/slack/slack-chat.js';
import type { KeyValue } from '../../src/store/kv.js';
import { KvCache } from '../../src/store/kv-cache.js';
import { MemoryKv } from '../../src/store/kv-memory.js';
import { openKv } from '../../src/store/kv-redis.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { declareMetadata } from '../../src/templates/payloads.js';
import { type BotHarness, type CardRef, startBot } from '../support/bot-harness.js';
import { FakeSlack } from '../support/fake-slack.js';
import { countIncidents } from '../support/incident-row.js';
import { makeTriggerId, stateValue } from '../support/slack-request.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { testRunbook, testRunbookData } from '../support/test-runbook.js';
import { TEST_REDIS_URL, testKeyPrefix, UpstashRestFront } from '../support/upstash-rest.js';
import { useTwoBots } from '../support/use-two-bots.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const created = (fake: FakeSlack) => fake.callsTo('conversations.create').filter((c) => !c.failed);

describe('two replicas sharing Redis', () => {
  const prefix = testKeyPrefix('e2e');
  // A generous timeout: on a loaded machine a slow answer would turn the limits off.
  const { fake, a, b } = useTwoBots('shared', {
    env: { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, REDIS_TIMEOUT_MS: '2000', DECLARE_RATE_LIMIT: '2/1m' },
    timers: false,
  });

  it('/health names Redis', async () => {
    const res = await fetch(`${a.baseUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', redis: { kind: 'redis', status: 'ok' } });
  });

  it("a person's declarations count on both replicas; past the limit they are told when to try again, and nothing is opened", async () => {
    fake.reset();
    await a.command('sev2 limited one', { user_id: 'U0LIMITED' });
    await b.command('sev2 limited two', { user_id: 'U0LIMITED' });
    await fake.waitForCount('response_url', 2);
    const before = await countIncidents(a.db);
    await a.command('sev2 limited three', { user_id: 'U0LIMITED' });
    const replies = await fake.waitForCount('response_url', 3);
    expect(replies[2]!.args.text).toMatch(/declared 2 incidents in the last minute/);
    // The window is a clock minute: in its first second the wait rounds up to a whole minute, said as such.
    expect(replies[2]!.args.text).toMatch(/try again in (\d+ seconds?|1 minute)\./);
    expect(created(fake)).toHaveLength(2);
    expect(await countIncidents(a.db)).toBe(before);
    // Someone else still can.
    await b.command('sev2 someone else', { user_id: 'U0OTHER' });
    await fake.waitForCount('response_url', 4);
    expect(created(fake)).toHaveLength(3);
  });

  it('a declaration that failed, or repeated one just made, does not count against the person trying again', async () => {
    fake.reset();
    // Slack refuses the channel: nothing is opened, and the try does not count.
    fake.failNext('conversations.create', { error: 'restricted_action' });
    await a.command('sev2 flaky one', { user_id: 'U0FLAKY' });
    const failed = await fake.waitForCount('response_url', 1);
    expect(failed[0]!.args.text).not.toMatch(/declared 2 incidents/);
    fake.reset();
    await b.command('sev2 flaky one', { user_id: 'U0FLAKY' });
    await fake.waitForCount('response_url', 1);
    // The same title again moments later is the incident just opened, shown, not a second one: it does not count.
    await a.command('sev2 flaky one', { user_id: 'U0FLAKY' });
    await fake.waitForCount('response_url', 2);
    await b.command('sev2 flaky two', { user_id: 'U0FLAKY' });
    const replies = await fake.waitForCount('response_url', 3);
    expect(replies.map((r) => String(r.args.text))).not.toContainEqual(expect.stringMatching(/declared 2 incidents/));
    expect(created(fake)).toHaveLength(2);
    // The third incident in the minute is refused.
    await a.command('sev2 flaky three', { user_id: 'U0FLAKY' });
    expect((await fake.waitForCount('response_url', 4))[3]!.args.text).toMatch(/declared 2 incidents/);
  });

  it('at the limit, repeating the last declaration shows it; the declare form over the limit stays open with what was typed', async () => {
    fake.reset();
    await a.command('sev2 repeat one', { user_id: 'U0REPEAT' });
    await b.command('sev2 repeat two', { user_id: 'U0REPEAT' });
    await fake.waitForCount('response_url', 2);
    // The same again (a double send, or not sure it went through): the incident, not a refusal.
    await a.command('sev2 repeat two', { user_id: 'U0REPEAT' });
    const replies = await fake.waitForCount('response_url', 3);
    expect(replies[2]!.args.text).toMatch(/You declared this a moment ago: incident #\d+/);
    // The form: refused inline, the form kept open (HTTP 200 with errors), nothing opened.
    const before = await countIncidents(a.db);
    const r = await b.submit({
      callbackId: VIEW.declare,
      privateMetadata: declareMetadata.encode({ from: 'home' }),
      userId: 'U0REPEAT',
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect('2', 'SEV-2') },
        [BLOCK.declareTitle]: { [INPUT.text]: stateValue.plainText('repeat three') },
      },
    });
    expect(r.json).toMatchObject({
      response_action: 'errors',
      errors: {
        [BLOCK.declareTitle]: expect.stringMatching(/declared 2 incidents.*Try again in .*keeps what you typed/),
      },
    });
    expect(await countIncidents(a.db)).toBe(before);
  });

  it('the same command delivered to both replicas is handled once', async () => {
    fake.reset();
    const triggerId = `${Date.now()}.1.twice`;
    await Promise.all([
      a.command('sev2 delivered twice', { user_id: 'U0TWICE', trigger_id: triggerId }),
      b.command('sev2 delivered twice', { user_id: 'U0TWICE', trigger_id: triggerId }),
    ]);
    await fake.waitFor('response_url');
    await sleep(500);
    expect(fake.callsTo('response_url')).toHaveLength(1);
    expect(created(fake)).toHaveLength(1);
    // The first check was Redis's: the request is recorded there, seen by both replicas.
    const kv = openKv({ redisUrl: TEST_REDIS_URL, prefix, timeoutMs: 2000 }, { warn: () => {}, info: () => {} });
    expect(await kv.get(`seen:trigger:${triggerId}`)).toBe('1');
    await kv.close();
  });

  it("the same person's double click (two trigger ids), one click to each replica, is handled once and the second is not answered; others' clicks and later clicks are", async () => {
    const card = await declareOn(a, fake, 'sev2 double clicked', 'U0DECLARER');
    fake.reset();
    // Two real clicks: two trigger ids, one request to each replica, at once.
    const triggers = [makeTriggerId(), makeTriggerId()];
    const clicks = await Promise.all(
      [a, b].map((bot, i) =>
        bot.click({
          channelId: card.channelId,
          messageTs: card.cardTs,
          actionId: ACTION.acknowledge,
          value: String(card.id),
          userId: 'U0DOUBLE',
          triggerId: triggers[i],
        }),
      ),
    );
    expect(clicks.map((c) => c.status)).toEqual([200, 200]);
    await fake.waitFor('chat.postMessage', (m) => /acknowledged the incident/.test(String(m.args.text)));
    const events = async () =>
      (
        await a.db.query<{ kind: string; actor_id: string }>(
          "SELECT kind, actor_id FROM incident_events WHERE incident_id = $1 AND kind = 'acknowledged'",
          [card.id],
        )
      ).rows;
    await sleep(500);
    expect(await events()).toEqual([{ kind: 'acknowledged', actor_id: 'U0DOUBLE' }]);
    // The second click stopped at Redis: no "you have already acknowledged" for it, and no Postgres request key.
    expect(fake.callsTo('response_url')).toEqual([]);
    const keys = await a.db.query<{ key: string }>('SELECT key FROM request_keys WHERE key = ANY($1)', [
      triggers.map((t) => `action:${t}`),
    ]);
    expect(keys.rows).toHaveLength(1);
    // Someone else's click at the same moment still gets its answer: who is commander.
    await b.clickCard(card, ACTION.acknowledge, 'U0OTHER');
    expect((await fake.waitFor('response_url')).args.text).toMatch(/<@U0DOUBLE> is the commander/);
    // The same person's click once the double-click window is over reaches Postgres again, and is answered.
    await sleep(REPEAT_CLICK_MS + 200);
    await a.clickCard(card, ACTION.acknowledge, 'U0DOUBLE');
    expect((await fake.waitForCount('response_url', 2))[1]!.args.text).toMatch(/already acknowledged/);
    expect(await events()).toHaveLength(1);
    // The audit says what became of the repeat (rows are written once a request is handled).
    let audit: { outcome: string; reason: string | null }[] = [];
    for (let i = 0; i < 50 && audit.length < 3; i++, await sleep(100)) {
      ({ rows: audit } = await a.db.query<{ outcome: string; reason: string | null }>(
        "SELECT outcome, reason FROM audit_log WHERE actor = 'U0DOUBLE' AND action = 'ack' ORDER BY id",
      ));
    }
    expect(audit.map((r) => r.outcome).sort()).toEqual(['noop', 'noop', 'ok']);
    expect(audit.filter((r) => /^repeat: the same person clicked/.test(r.reason ?? ''))).toHaveLength(1);
  });
});

/** Declares an incident through `bot` and returns its card, once it is pinned and the declarer told. */
async function declareOn(bot: BotHarness, fake: FakeSlack, text: string, userId: string): Promise<CardRef> {
  fake.reset();
  await bot.command(text, { user_id: userId });
  const made = await fake.waitFor('conversations.create', (c) => !c.failed);
  const channelId = fake.channelByName(made.args.name as string)!.id;
  await fake.waitFor('pins.add', (c) => c.args.channel === channelId);
  await fake.waitFor('response_url', (c) => /is open/.test(String(c.args.text)));
  const { rows } = await bot.db.query<{ id: number; card_ts: string }>(
    'SELECT id, card_ts FROM incidents WHERE channel_id = $1',
    [channelId],
  );
  return { id: Number(rows[0]!.id), channelId, cardTs: rows[0]!.card_ts };
}

describe('Redis unreachable', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({
      // Port 1 on localhost: nothing listens there.
      env: { REDIS_URL: 'redis://127.0.0.1:1', DECLARE_RATE_LIMIT: '1/1m', CHANNEL_CREATE_LIMIT: '1/1m' },
      timers: false,
    });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('every command still works, with the limits off', async () => {
    await bot.command('sev2 without redis one');
    await bot.command('sev2 without redis two');
    const replies = await bot.fake.waitForCount('response_url', 2);
    for (const r of replies) expect(r.args.text).toMatch(/is open/);
    expect(created(bot.fake)).toHaveLength(2);
  });

  it("the same person's double click goes on to Postgres, which acknowledges once and answers the second", async () => {
    const card = await declareOn(bot, bot.fake, 'sev2 double clicked without redis', 'U0DECLARER');
    bot.fake.reset();
    await Promise.all([
      bot.clickCard(card, ACTION.acknowledge, 'U0DOUBLE'),
      bot.clickCard(card, ACTION.acknowledge, 'U0DOUBLE'),
    ]);
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/already acknowledged/);
    const { rows } = await bot.db.query(
      "SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = 'acknowledged'",
      [card.id],
    );
    expect(rows).toHaveLength(1);
  });

  it('/health says degraded, still 200', async () => {
    const res = await fetch(`${bot.baseUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'degraded',
      database: { status: 'ok' },
      redis: { kind: 'redis', status: 'degraded' },
    });
  });
});

describe('a Redis that accepts connections and never answers (redis://)', () => {
  let bot: BotHarness;
  let silent: Server;
  const accepted = new Set<Socket>();
  let port: number;
  let proxy: TcpProxy | undefined;
  beforeAll(async () => {
    silent = createServer((socket) => {
      accepted.add(socket);
      socket.on('data', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    port = (silent.address() as AddressInfo).port;
    bot = await startBot({
      env: {
        REDIS_URL: `redis://127.0.0.1:${port}`,
        REDIS_KEY_PREFIX: testKeyPrefix('e2e-silent'),
        REDIS_TIMEOUT_MS: '300',
        DECLARE_RATE_LIMIT: '1/1m',
      },
      timers: false,
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await proxy?.cut();
    for (const s of accepted) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('declarations still work, /health says degraded at once, and once Redis answers on that port the limits are back', async () => {
    const started = Date.now();
    await bot.command('sev2 silent redis one', { user_id: 'U0SILENT' });
    await bot.command('sev2 silent redis two', { user_id: 'U0SILENT' });
    const replies = await bot.fake.waitForCount('response_url', 2);
    for (const r of replies) expect(r.args.text).toMatch(/is open/);
    // Not held by Redis: one 300 ms timeout, then every call fails at once (generous for a loaded machine).
    expect(Date.now() - started).toBeLessThan(8000);
    const healthStarted = Date.now();
    const health = await fetch(`${bot.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'degraded',
      redis: { kind: 'redis', status: 'degraded', error: expect.stringMatching(/no answer within 300 ms/) },
    });
    expect(Date.now() - healthStarted).toBeLessThan(3000);

    // Redis comes back on the same port.
    for (const s of accepted) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
    proxy = await TcpProxy.start('127.0.0.1', Number(new URL(TEST_REDIS_URL).port || 6379), port);
    let back: unknown;
    for (let i = 0; i < 50; i++) {
      back = await (await fetch(`${bot.baseUrl}/health`)).json();
      if ((back as { status: string }).status === 'ok') break;
      await sleep(200);
    }
    expect(back).toMatchObject({ status: 'ok', redis: { kind: 'redis', status: 'ok' } });
    bot.fake.reset();
    await bot.command('sev2 redis back one', { user_id: 'U0AFTER' });
    await bot.fake.waitForCount('response_url', 1);
    await bot.command('sev2 redis back two', { user_id: 'U0AFTER' });
    const after = await bot.fake.waitForCount('response_url', 2);
    expect(after[1]!.args.text).toMatch(/You have declared 1 incident in the last minute.*try again in/);
  });
});

describe('limits of one, and a channel budget over half a minute, shared by two replicas', () => {
  const { fake, a, b } = useTwoBots('shared1', {
    env: {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: testKeyPrefix('e2e-one'),
      REDIS_TIMEOUT_MS: '2000',
      DECLARE_RATE_LIMIT: '1/1m',
      CHANNEL_CREATE_LIMIT: '1/30s',
    },
    timers: false,
  });

  it('say one incident and one channel in words, and the budget over its own window, not "a minute"', async () => {
    await a.command('sev2 only one', { user_id: 'U0SOLO' });
    await fake.waitForCount('response_url', 1);
    await b.command('sev2 a second one', { user_id: 'U0SOLO' });
    const mine = await fake.waitForCount('response_url', 2);
    expect(mine[1]!.args.text).toMatch(
      /You have declared 1 incident in the last minute, as many as the bot allows one person\. Nothing was opened; try again in (\d+ seconds?|1 minute)\./,
    );
    await b.command('sev2 someone else', { user_id: 'U0SOMEONE' });
    const budget = await fake.waitForCount('response_url', 3);
    expect(budget[2]!.args.text).toMatch(
      /Slack lets the bot create only 1 channel every 30 seconds and it was used just now\. No incident was opened; declare again in \d+ seconds?,/,
    );
    expect(created(fake)).toHaveLength(1);
  });
});

describe('Upstash over REST', () => {
  let front: UpstashRestFront;
  let bot: BotHarness;
  beforeAll(async () => {
    front = await UpstashRestFront.start();
    bot = await startBot({
      env: {
        UPSTASH_REDIS_REST_URL: front.url,
        UPSTASH_REDIS_REST_TOKEN: front.token,
        REDIS_KEY_PREFIX: testKeyPrefix('e2e-rest'),
        REDIS_TIMEOUT_MS: '2000',
        CHANNEL_CREATE_LIMIT: '2/1m',
      },
      timers: false,
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await front?.close();
  });

  it("/health names Upstash, and Slack's channel budget refuses the third channel in a minute", async () => {
    expect(await (await fetch(`${bot.baseUrl}/health`)).json()).toMatchObject({
      status: 'ok',
      redis: { kind: 'upstash', status: 'ok' },
    });
    const before = await countIncidents(bot.db);
    for (const [i, user] of ['U0ONE', 'U0TWO', 'U0THREE'].entries()) {
      await bot.command(`sev2 budget ${i}`, { user_id: user });
      await bot.fake.waitForCount('response_url', i + 1);
    }
    const replies = bot.fake.callsTo('response_url');
    expect(replies[2]!.args.text).toMatch(/only 2 channels a minute.*declare again in (\d+ seconds?|1 minute),/);
    expect(created(bot.fake)).toHaveLength(2);
    expect(await countIncidents(bot.db)).toBe(before + 2);
    // Refused before anything was written: no incident number was used.
    const { rows } = await bot.db.query<{ n: number }>('SELECT max(last_number) AS n FROM incident_counters');
    expect(Number(rows[0]!.n)).toBe(before + 2);
  });

  it('hung: a declaration still works, /health says degraded, and it comes back by itself', async () => {
    front.hold();
    try {
      bot.fake.reset();
      await bot.command('sev2 upstash hung', { user_id: 'U0HUNG' });
      const reply = await bot.fake.waitFor('response_url');
      expect(reply.args.text).toMatch(/is open/);
      // One timeout (2 s here), the first calls' (those sent together); while it counts as down every later call
      // fails at once, but one let through 2 s after the last failure to try it again: a call reaches Upstash at least
      // a timeout and that interval (4 s) after the one before it. Read from when each call reached Upstash, not from
      // how long the declaration took: on a loaded machine that is past one timeout by itself (CI failed on a fixed
      // 3.5 s bound, the declaration taking 1.6 s besides), and a retry then pays its timeout rightly.
      const at = front.heldArrivals();
      expect(at.length).toBeGreaterThan(0);
      const later = at.filter((t) => t - at[0]! >= 500);
      for (const [i, t] of later.entries()) expect(t - (later[i - 1] ?? at[0]!)).toBeGreaterThanOrEqual(3900);
      const health = await fetch(`${bot.baseUrl}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'degraded', redis: { kind: 'upstash', status: 'degraded' } });
    } finally {
      front.release();
    }
    expect(await (await fetch(`${bot.baseUrl}/health`)).json()).toMatchObject({
      status: 'ok',
      redis: { kind: 'upstash', status: 'ok' },
    });
  });
});

describe('user-group members', () => {
  it('are asked of Slack once a minute, for every replica', async () => {
    const fake = await FakeSlack.start();
    fake.usergroups.set('S0SRE', ['U0SRE1', 'U0SRE2']);
    const prefix = testKeyPrefix('groups');
    const quiet = { warn: () => {}, info: () => {} };
    const stores = [
      openKv({ redisUrl: TEST_REDIS_URL, prefix, timeoutMs: 2000 }, quiet),
      openKv({ redisUrl: TEST_REDIS_URL, prefix, timeoutMs: 2000 }, quiet),
    ];
    const chats = stores.map(
      (kv) =>
        new SlackChat(new WebClient('xoxb-test', slackClientOptions(fake.url)), {
          severities: testRunbook().severities,
          cache: new KvCache(kv),
        }),
    );
    try {
      for (const chat of [...chats, ...chats]) {
        expect(await chat.resolveContacts(['S0SRE', 'U0ONCALL'])).toEqual({
          userIds: ['U0SRE1', 'U0SRE2', 'U0ONCALL'],
          unresolved: [],
          unresolvedWhy: {},
        });
      }
      expect(fake.callsTo('usergroups.users.list')).toHaveLength(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await fake.close();
    }
  });
});

describe('user names', () => {
  const quiet = { warn: () => {}, info: () => {} };
  const namesOf = (kv: KeyValue, fake: FakeSlack) =>
    new SlackFollowUpChat(new WebClient('xoxb-test', slackClientOptions(fake.url)), {} as HomeTabs, followUpCaches(kv));

  it('are asked of Slack once for every replica within the minute', async () => {
    const fake = await FakeSlack.start();
    const prefix = testKeyPrefix('names');
    const stores = [
      openKv({ redisUrl: TEST_REDIS_URL, prefix, timeoutMs: 2000 }, quiet),
      openKv({ redisUrl: TEST_REDIS_URL, prefix, timeoutMs: 2000 }, quiet),
    ];
    const chats = stores.map((kv) => namesOf(kv, fake));
    try {
      for (const chat of [...chats, ...chats]) expect((await chat.userNames(['U0NAMED'])).has('U0NAMED')).toBe(true);
      expect(fake.callsTo('users.info')).toHaveLength(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await fake.close();
    }
  });

  it('are asked again after a minute (a renamed person shows under the new name), while the people directory is kept longer', async () => {
    const fake = await FakeSlack.start();
    let now = 1_000_000;
    const chat = namesOf(new MemoryKv(() => now), fake);
    const named = async () => (await chat.userNames(['U0NAMED'])).get('U0NAMED');
    try {
      fake.addUser('U0NAMED', { real_name: 'Ada Lovelace' });
      expect(await named()).toBe('Ada Lovelace');
      expect(await chat.findUser('ada lovelace')).toEqual({ kind: 'found', userId: 'U0NAMED' });
      fake.addUser('U0NAMED', { real_name: 'Ada King' });
      now += 59_000;
      expect(await named()).toBe('Ada Lovelace');
      expect(fake.callsTo('users.info')).toHaveLength(1);
      now += 1_000;
      expect(await named()).toBe('Ada King');
      // The directory is still the one kept a minute ago: the name it holds is found in it, Slack not asked.
      expect(await chat.findUser('ada lovelace')).toEqual({ kind: 'found', userId: 'U0NAMED' });
      expect(fake.callsTo('users.info')).toHaveLength(2);
      expect(fake.callsTo('users.list')).toHaveLength(1);
      // A name it does not hold reads it anew (someone may have joined since), at most once every 30 s.
      expect(await chat.findUser('someone')).toEqual({ kind: 'unknown' });
      expect(fake.callsTo('users.list')).toHaveLength(2);
      expect(await chat.findUser('ada lovelace')).toEqual({ kind: 'unknown' });
      expect(fake.callsTo('users.list')).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });
});

describe('runbook command runs per person', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({
      runbook: parseRunbook({
        ...testRunbookData(),
        playbooks: {
          status: {
            title: 'Status',
            kind: 'incident',
            match: ['status check'],
            symptoms: ['slow'],
            detection: [{ text: 'Check the app status', run: ['atom-cli', 'status'], timeout: '5s' }],
            mitigation: ['Wait'],
            resolution: ['Find the cause'],
            prevention: ['Monitoring'],
          },
        },
      }),
      timers: false,
      env: { ATOM_CLI: join(process.cwd(), 'test', 'fixtures', 'atom-cli'), RUN_RATE_LIMIT: '1/1m' },
    });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('past RUN_RATE_LIMIT nothing runs, and the person is told when to try again', async () => {
    await bot.command('sev2 status check');
    const created = await bot.fake.waitFor('conversations.create', (c) => !c.failed);
    const channelId = bot.fake.channelByName(created.args.name as string)!.id;
    // Only people in the channel run its steps.
    bot.fake.channels.get(channelId)!.members.add('U0RUNNER');
    const playbook = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /^Playbook:/.test(String(c.args.text)),
    );
    const run = () =>
      bot.click({
        channelId,
        messageTs: (playbook.response as { ts: string }).ts,
        actionId: ACTION.runStep,
        value: JSON.stringify({ p: 'status', s: 'detection.0' }),
        userId: 'U0RUNNER',
      });
    await run();
    // The first run finishes.
    for (let i = 0; i < 50; i++) {
      const { rows } = await bot.db.query<{ state: string }>('SELECT state FROM step_runs');
      if (rows.length === 1 && rows[0]!.state !== 'running') break;
      await sleep(100);
    }
    await run();
    // The refusal, by what it says: the declaration's reply (never waited for above) can land after it.
    const refused = await bot.fake.waitFor('response_url', (c) =>
      /runbook command in the last minute/.test(String(c.args.text)),
    );
    expect(refused.args.text).toMatch(
      /run 1 runbook command in the last minute.*try again in (\d+ seconds?|1 minute)\./,
    );
    await sleep(300);
    const runs = await bot.db.query<{ state: string }>('SELECT state FROM step_runs');
    expect(runs.rows).toEqual([{ state: 'succeeded' }]);
  });
});
