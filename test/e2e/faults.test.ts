import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEW } from '../../src/templates/ids.js';
import { encodeModalMetadata } from '../../src/templates/payloads.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, SIGNING_SECRET, startBot, useBot } from '../support/bot-harness.js';
import { countIncidents } from '../support/incident-row.js';
import { useBotBehindProxy } from '../support/proxied-db.js';
import {
  encodeSlashCommand,
  makeSlashCommand,
  postSlashCommand,
  postToSlackApp,
  signSlackRequest,
} from '../support/slack-request.js';
import { statusFormValues } from '../support/status-form.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('requests Slack did not sign, retries and double sends', () => {
  const bot = useBot({ timers: false });
  const count = () => countIncidents(bot.db);

  it('rejects a bad signature and a stale timestamp; nothing is created', async () => {
    const fields = makeSlashCommand({ text: 'sev1 forged', response_url: bot.fake.responseUrl('x') });
    const body = encodeSlashCommand(fields);
    const bad = await postToSlackApp(bot.baseUrl, SIGNING_SECRET, body, 'application/x-www-form-urlencoded', {
      signature: `v0=${'0'.repeat(64)}`,
    });
    expect(bad.status).toBe(401);
    const wrongSecret = signSlackRequest('not-the-secret', body);
    const bad2 = await postToSlackApp(bot.baseUrl, SIGNING_SECRET, body, 'application/x-www-form-urlencoded', {
      signature: wrongSecret['x-slack-signature'],
    });
    expect(bad2.status).toBe(401);
    const stale = await postToSlackApp(bot.baseUrl, SIGNING_SECRET, body, 'application/x-www-form-urlencoded', {
      timestamp: Math.floor(Date.now() / 1000) - 10 * 60,
    });
    expect(stale.status).toBe(401);
    await sleep(200);
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
    expect(await count()).toBe(0);
  });

  it('a Slack retry of the same command (X-Slack-Retry-Num) opens one incident', async () => {
    const first = await bot.command('sev1 retried command');
    const again = await postSlashCommand(bot.baseUrl, SIGNING_SECRET, first.sent, {
      retryNum: 1,
      retryReason: 'http_timeout',
    });
    const third = await postSlashCommand(bot.baseUrl, SIGNING_SECRET, first.sent, {
      retryNum: 2,
      retryReason: 'http_timeout',
    });
    expect([first.status, again.status, third.status]).toEqual([200, 200, 200]);
    await bot.fake.waitFor('response_url');
    await sleep(300);
    expect(bot.fake.callsTo('conversations.create').filter((c) => !c.failed)).toHaveLength(1);
    expect(bot.fake.callsTo('response_url')).toHaveLength(1);
    expect((await bot.db.query("SELECT * FROM incidents WHERE title = 'retried command'")).rows).toHaveLength(1);
  });

  it('the same person sending the same declaration twice at once gets one incident and a note', async () => {
    await Promise.all([bot.command('sev1 sent twice'), bot.command('sev1 Sent twice')]);
    const replies = await bot.fake.waitForCount('response_url', 2);
    expect(replies.map((r) => r.args.text as string).filter((t) => /No second incident/.test(t))).toHaveLength(1);
    expect((await bot.db.query("SELECT * FROM incidents WHERE lower(title) = 'sent twice'")).rows).toHaveLength(1);
    expect(bot.fake.callsTo('conversations.create').filter((c) => !c.failed)).toHaveLength(1);
  });

  it('a Slack retry of the same click (same trigger_id) is a silent no-op', async () => {
    await bot.command('sev2 click retry');
    await bot.fake.waitFor('response_url');
    const ch = bot.fake.channelByName(
      bot.fake.callsTo('conversations.create').find((c) => !c.failed)!.args.name as string,
    )!;
    const card = bot.fake.postedIn(ch.id)[0]!;
    const id = (await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [ch.id])).rows[0]!
      .id;
    bot.fake.reset();
    const click = {
      channelId: ch.id,
      messageTs: card.ts,
      actionId: 'incident_acknowledge',
      value: String(id),
      userId: 'U0ONCALL',
      triggerId: 'trig.retry.1',
    };
    await bot.click(click);
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === ch.id);
    await bot.click(click);
    await sleep(300);
    expect(bot.fake.callsTo('chat.postMessage')).toHaveLength(1);
    expect(bot.fake.callsTo('response_url')).toHaveLength(0);
  });

  it('different people declaring at once get distinct numbers and channels', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => bot.command(`sev2 parallel ${i}`, { user_id: `U0PAR${i}` })));
    await bot.fake.waitForCount('response_url', 8);
    const { rows } = await bot.db.query<{ number: number; channel_id: string }>(
      "SELECT number, channel_id FROM incidents WHERE title LIKE 'parallel %'",
    );
    expect(new Set(rows.map((r) => r.number)).size).toBe(8);
    expect(new Set(rows.map((r) => r.channel_id)).size).toBe(8);
  });
});

describe('Slack API faults', () => {
  const bot = useBot({ timers: false });
  const count = () => countIncidents(bot.db);

  it('missing scope on channel creation: the user is told which scope to add; no incident is left', async () => {
    const before = await count();
    bot.fake.failNext('conversations.create', {
      error: 'missing_scope',
      needed: 'channels:manage',
      provided: 'commands',
    });
    await bot.command('sev1 no scope');
    const reply = await bot.fake.waitFor('response_url');
    expect(reply.args.text).toMatch(/channels:manage/);
    expect(reply.args.text).toMatch(/reinstall/);
    expect(await count()).toBe(before);
  });

  it('a 429 with Retry-After is waited out and the card still lands', async () => {
    bot.fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    await bot.command('sev2 rate limited');
    const reply = await bot.fake.waitFor('response_url', undefined, 8000);
    expect(reply.args.text).toMatch(/is open/);
    expect(reply.args.text).not.toMatch(/could not/);
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => c.failed)).toHaveLength(1);
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => !c.failed).length).toBeGreaterThanOrEqual(1);
  });

  it('a 5xx is retried', async () => {
    bot.fake.failNext('conversations.create', { status: 503 }, 2);
    await bot.command('sev2 flaky slack');
    const reply = await bot.fake.waitFor('response_url', undefined, 8000);
    expect(reply.args.text).toMatch(/is open/);
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(3);
  });

  it('Slack down for good: a clear message, no incident', async () => {
    const before = await count();
    bot.fake.failNext('conversations.create', { status: 500 }, 10);
    await bot.command('sev1 slack is down');
    const reply = await bot.fake.waitFor('response_url', undefined, 15_000);
    expect(reply.args.text).toMatch(/Couldn't create the incident channel: Slack answered HTTP 500/);
    expect(await count()).toBe(before);
  }, 20_000);

  it('the card could not be pinned: the incident stands and the reporter hears what failed', async () => {
    bot.fake.failNext('pins.add', { error: 'missing_scope', needed: 'pins:write', provided: 'commands' });
    await bot.command('sev3 pin fails');
    const reply = await bot.fake.waitFor('response_url');
    expect(reply.args.text).toMatch(/is open/);
    expect(reply.args.text).toMatch(/pins:write/);
  });
});

describe('a flood of requests', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ limits: { maxActive: 1, maxWaiting: 1 }, timers: false });
  });
  afterAll(async () => bot?.stop());

  it('beyond what it can work on, the bot refuses at once with a clear message and finishes what it accepted', async () => {
    bot.fake.failNext('conversations.create', { delayMs: 800 }, 2);
    const first = await bot.command('sev1 flood one', { user_id: 'U0F1' });
    const second = await bot.command('sev1 flood two', { user_id: 'U0F2' });
    const third = await bot.command('sev1 flood three', { user_id: 'U0F3' });
    expect([first.text, second.text]).toEqual(['', '']);
    expect(third.status).toBe(200);
    expect(third.ms).toBeLessThan(500);
    expect(await bot.answer(third)).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/overloaded.*try again/i),
    });
    // Declarations fill the heavy gate; what on-call people read and click meanwhile still goes through.
    const list = await bot.command('list', { user_id: 'U0F4' });
    expect(list.text).toBe('');
    const listed = await bot.fake.waitFor(
      'response_url',
      (c) => /open incident|No open incidents/i.test(String(c.args.text)),
      8000,
    );
    expect(listed.args.text).not.toMatch(/overloaded/i);
    await bot.fake.waitForCount('response_url', 2, (r) => /is open/.test(r.args.text as string), 8000);
    await new Promise((r) => setTimeout(r, 300));
    expect(bot.fake.callsTo('response_url').filter((r) => /is open/.test(r.args.text as string))).toHaveLength(2);
    const { rows } = await bot.db.query<{ title: string }>(
      "SELECT title FROM incidents WHERE title LIKE 'flood%' ORDER BY id",
    );
    expect(rows.map((r) => r.title)).toEqual(['flood one', 'flood two']);
  });
});

describe('Postgres unreachable', () => {
  const { bot, db } = useBotBehindProxy({ timers: false });

  it('within 3 s the user is told to follow the runbook by hand; no channel is made', async () => {
    await db.proxy.cut();
    const started = Date.now();
    const res = await bot.command('sev0 everything is down');
    expect(res.status).toBe(200);
    const reply = await bot.fake.waitFor('response_url', undefined, 5000);
    expect(reply.at - started).toBeLessThan(3000);
    expect(reply.args.text).toMatch(/could not be recorded|Couldn't record the incident/);
    expect(reply.args.text).toMatch(/runbook by hand/);
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);

    const health = await fetch(`${bot.baseUrl}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ database: { status: 'unreachable' } });
    expect((await fetch(`${bot.baseUrl}/alive`)).status).toBe(200);
  });

  it('a read is told it could not be read; an acknowledgement, an escalation and an update how to stand in for them; none is told to open a channel', async () => {
    await db.proxy.cut();
    bot.fake.reset();
    await bot.command('list');
    const list = await bot.fake.waitFor('response_url', undefined, 5000);
    expect(list.args.text).toMatch(/could not be read: the bot's database cannot be reached; nothing was changed/);
    expect(list.args.text).not.toMatch(/open a channel/);
    bot.fake.reset();
    await bot.command('ack', { channel_id: 'C0SOMEINC' });
    const ack = await bot.fake.waitFor('response_url', undefined, 5000);
    expect(ack.args.text).toMatch(/Your acknowledgement could not be recorded/);
    expect(ack.args.text).toMatch(/Say in the incident channel that you are on it/);
    expect(ack.args.text).not.toMatch(/open a channel/);
    // What would have paged says nobody was paged, and whom to page by hand; an update, to post it by hand.
    bot.fake.reset();
    await bot.command('escalate', { channel_id: 'C0SOMEINC' });
    const escalate = await bot.fake.waitFor('response_url', undefined, 5000);
    expect(escalate.args.text).toMatch(/nobody was paged.*Page by hand whom it would have/);
    // The runbook's contact order is named: it is known without the database.
    expect(escalate.args.text).toMatch(/contact order: On-Call Engineer, then Senior DevOps/);
    // A severity other than SEV-0 pages nobody at once: nobody is told to page by hand.
    bot.fake.reset();
    await bot.command('sev2', { channel_id: 'C0SOMEINC' });
    const lowered = await bot.fake.waitFor('response_url', undefined, 5000);
    expect(lowered.args.text).toMatch(/could not be recorded/);
    expect(lowered.args.text).not.toMatch(/page/i);
    // A status update form submitted meanwhile: closed by then, so what was typed comes back with the advice.
    bot.fake.reset();
    await bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: encodeModalMetadata({ incidentId: 1, channelId: INCIDENTS_CHANNEL_ID }),
      values: statusFormValues({ affected: 'EU tenants', impact: 'checkout 500s', currentStatus: 'failing over now' }),
    });
    const typedBack = await bot.fake.waitFor('chat.postEphemeral', undefined, 5000);
    expect(typedBack.args.text).toMatch(/Your update could not be posted.*What you wrote, so that it is not lost/s);
    expect(typedBack.args.text).toContain('failing over now');
    bot.fake.reset();
    await bot.command('update', { channel_id: 'C0SOMEINC' });
    const update = await bot.fake.waitFor('response_url', undefined, 5000);
    expect(update.args.text).toMatch(/Your update could not be posted.*communication template/);
  });
});
