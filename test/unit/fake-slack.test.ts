import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { WebClient, LogLevel as WebLogLevel } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { FakeSlack } from '../support/fake-slack.js';
import {
  makeBlockAction,
  makeViewSubmission,
  postInteraction,
  postSlashCommand,
  signSlackRequest,
  stateValue,
} from '../support/slack-request.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

const TOKEN = 'xoxb-test-token';

describe('FakeSlack', () => {
  const fake = useFakeSlack({ reset: true });
  let client: WebClient;

  beforeAll(async () => {
    client = new WebClient(TOKEN, { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
  });

  it('serves its API under /api/', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
  });

  it('answers auth.test like Slack', async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, team_id: 'T0TEST', user_id: 'UBOT', bot_id: 'BBOT', team: 'Test Team' });
  });

  it('creates channels, rejects taken and invalid names', async () => {
    const created = await client.conversations.create({ name: 'inc-2024-db-outage' });
    expect(created.ok).toBe(true);
    const id = created.channel?.id ?? '';
    expect(id).toMatch(/^C[A-Z0-9]+$/);
    expect(created.channel).toMatchObject({ name: 'inc-2024-db-outage', is_channel: true, creator: 'UBOT' });
    expect(fake.channelByName('inc-2024-db-outage')?.members.has('UBOT')).toBe(true);

    await expect(client.conversations.create({ name: 'inc-2024-db-outage' })).rejects.toMatchObject({
      code: 'slack_webapi_platform_error',
      data: { ok: false, error: 'name_taken' },
    });
    await expect(client.conversations.create({ name: 'Has Spaces' })).rejects.toMatchObject({
      data: { error: 'invalid_name_specials' },
    });
    await expect(client.conversations.create({ name: 'x'.repeat(81) })).rejects.toMatchObject({
      data: { error: 'invalid_name_maxlength' },
    });
    await expect(client.conversations.create({ name: '' })).rejects.toMatchObject({
      data: { error: 'invalid_name_required' },
    });

    await client.conversations.setTopic({ channel: id, topic: 'SEV2 | investigating' });
    await client.conversations.invite({ channel: id, users: 'U0AAA,U0BBB' });
    await expect(client.conversations.invite({ channel: id, users: 'U0AAA' })).rejects.toMatchObject({
      data: { error: 'already_in_channel' },
    });
    await expect(client.conversations.info({ channel: 'C9NOPE' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
    const channel = fake.channels.get(id);
    expect(channel?.topic).toBe('SEV2 | investigating');
    expect([...(channel?.members ?? [])].sort()).toEqual(['U0AAA', 'U0BBB', 'UBOT']);
    // Slack posts its own line for each person added (only for those not in already): no message of the bot's.
    await client.conversations.invite({ channel: id, users: 'U0AAA,U0CCC,U0CCC' });
    expect(fake.messagesIn(id).map((m) => [m.user, m.subtype, m.text])).toEqual(
      ['U0AAA', 'U0BBB', 'U0CCC'].map((u) => [u, 'channel_join', `<@${u}> has joined the channel`]),
    );
    const history = await client.conversations.history({ channel: id });
    expect(history.messages?.[0]).toEqual({
      type: 'message',
      subtype: 'channel_join',
      user: 'U0CCC',
      inviter: 'UBOT',
      team: 'T0TEST',
      ts: fake.messagesIn(id)[2]!.ts,
      text: '<@U0CCC> has joined the channel',
    });
    expect(fake.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('lists channels as Slack does: public by default, by type, archived left out on request, in pages', async () => {
    // A fake of its own: the suite's keeps the channels of earlier tests.
    const fake = await FakeSlack.start();
    const client = new WebClient(TOKEN, { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
    onTestFinished(() => fake.close());
    const ids = Array.from({ length: 5 }, (_, i) => fake.addChannel(`pub-${i}`));
    const secret = fake.addChannel('secret', { isPrivate: true });
    await client.conversations.archive({ channel: ids[4]! });
    const names = (r: { channels?: { name?: string }[] }) => (r.channels ?? []).map((c) => c.name);

    expect(names(await client.conversations.list())).toEqual(['pub-0', 'pub-1', 'pub-2', 'pub-3', 'pub-4']);
    expect(names(await client.conversations.list({ types: 'private_channel' }))).toEqual(['secret']);
    expect(
      await client.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true }),
    ).toMatchObject({
      channels: [{ id: ids[0] }, { id: ids[1] }, { id: ids[2] }, { id: ids[3] }, { id: secret }],
    });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.conversations.list({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...(names(page) as string[]));
      cursor = page.response_metadata?.next_cursor || undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['pub-0', 'pub-1', 'pub-2', 'pub-3', 'pub-4']);
    await expect(client.conversations.list({ cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({
      data: { error: 'invalid_cursor' },
    });
  });

  it('posts and updates messages, with channel membership checks', async () => {
    const incidents = fake.addChannel('incidents');
    const outside = fake.addChannel('random', { botIsMember: false });
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*SEV1* database down' } }];

    const posted = await client.chat.postMessage({ channel: incidents, text: 'SEV1: database down', blocks });
    expect(posted).toMatchObject({ ok: true, channel: incidents, message: { text: 'SEV1: database down', blocks } });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    const second = await client.chat.postMessage({ channel: incidents, text: 'second', thread_ts: posted.ts });
    expect(Number(second.ts)).toBeGreaterThan(Number(posted.ts));
    expect(second.message?.thread_ts).toBe(posted.ts);

    await client.chat.update({ channel: incidents, ts: posted.ts!, text: 'SEV1: mitigated', blocks: [] });
    expect(fake.messagesIn(incidents).map((m) => m.text)).toEqual(['SEV1: mitigated', 'second']);
    expect(fake.message(incidents, posted.ts!)?.history[0]?.text).toBe('SEV1: database down');

    await expect(client.chat.update({ channel: incidents, ts: '1.000000', text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
    await expect(client.chat.postMessage({ channel: outside, text: 'hi' })).rejects.toMatchObject({
      data: { error: 'not_in_channel' },
    });
    await expect(client.chat.postMessage({ channel: 'C0UNKNOWN', text: 'hi' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
    const dm = await client.chat.postMessage({ channel: 'U0ONCALL', text: 'you are paged' });
    expect(fake.messagesIn('U0ONCALL').map((m) => m.ts)).toEqual([dm.ts]);

    await client.pins.add({ channel: incidents, timestamp: posted.ts! });
    await expect(client.pins.add({ channel: incidents, timestamp: posted.ts! })).rejects.toMatchObject({
      data: { error: 'already_pinned' },
    });
    expect(fake.channels.get(incidents)?.pins).toEqual([posted.ts]);

    // bot_id marks what the bot posted, not what a person wrote nor Slack's line about them joining.
    fake.workspace.addMessage(incidents, 'U0ALICE', 'on it');
    fake.workspace.addMessage(incidents, 'U0BOB', '<@U0BOB> has joined the channel', 'channel_join');
    const history = await client.conversations.history({ channel: incidents });
    expect(history.messages?.map((m) => [m.user, m.bot_id])).toEqual([
      ['U0BOB', undefined],
      ['U0ALICE', undefined],
      ['UBOT', 'BBOT'],
    ]);
    expect(history.messages?.[0]).not.toHaveProperty('bot_id');

    const link = await client.chat.getPermalink({ channel: incidents, message_ts: posted.ts! });
    expect(link.permalink).toBe(`https://test.slack.com/archives/${incidents}/p${posted.ts!.replace('.', '')}`);
  });

  it("refuses to update or delete a message the bot did not post, as Slack refuses a bot token's", async () => {
    const incidents = fake.addChannel('inc-edits');
    await client.conversations.invite({ channel: incidents, users: 'U0BOB' });
    const joined = fake.messagesIn(incidents)[0]!;
    const typed = fake.workspace.addMessage(incidents, 'U0ALICE', 'the db is down');
    const own = await client.chat.postMessage({ channel: incidents, text: 'SEV2 declared' });

    for (const m of [typed, joined]) {
      await expect(client.chat.update({ channel: incidents, ts: m.ts, text: 'edited' })).rejects.toMatchObject({
        data: { ok: false, error: 'cant_update_message' },
      });
      await expect(client.chat.delete({ channel: incidents, ts: m.ts })).rejects.toMatchObject({
        data: { ok: false, error: 'cant_delete_message' },
      });
    }
    expect(fake.messagesIn(incidents).map((m) => [m.text, m.edits])).toEqual([
      ['<@U0BOB> has joined the channel', 0],
      ['the db is down', 0],
      ['SEV2 declared', 0],
    ]);

    // Its own message it may change and take back.
    await client.chat.update({ channel: incidents, ts: own.ts!, text: 'SEV2 mitigated' });
    await client.chat.delete({ channel: incidents, ts: own.ts! });
    expect(fake.messagesIn(incidents).map((m) => m.text)).toEqual([
      '<@U0BOB> has joined the channel',
      'the db is down',
    ]);
  });

  it('posts Slack\'s "has joined the channel" line when the bot joins a channel, once', async () => {
    const open = fake.addChannel('open-room', { botIsMember: false, members: ['U0ALICE'] });
    const joined = await client.conversations.join({ channel: open });
    expect(joined.channel).toMatchObject({ id: open, is_member: true });
    const again = await client.conversations.join({ channel: open });
    expect(again.warning).toBe('already_in_channel');

    expect(fake.messagesIn(open).map((m) => [m.user, m.subtype, m.text])).toEqual([
      ['UBOT', 'channel_join', '<@UBOT> has joined the channel'],
    ]);
    // Slack's line, not a message of the bot's (no bot_id), and nobody added it (no inviter).
    const [line] = (await client.conversations.history({ channel: open })).messages ?? [];
    expect(line).toMatchObject({ subtype: 'channel_join', user: 'UBOT', ts: fake.messagesIn(open)[0]!.ts });
    expect(line).not.toHaveProperty('bot_id');
    expect(line).not.toHaveProperty('inviter');
    expect(fake.postedIn(open)).toEqual([]);
  });

  it("opens the bot's DM with a person and lists its history, with each message's metadata on request, as Slack does", async () => {
    const metadata = { event_type: 'incident_page', event_payload: { incident_id: 1, page_id: 2, user: 'U0DMME' } };
    const posted = await client.chat.postMessage({ channel: 'U0DMME', text: 'paged', metadata });
    const open = await client.conversations.open({ users: 'U0DMME' });
    expect(open.channel?.id).toBe(posted.channel);
    expect(open.channel?.id).toMatch(/^D/);
    await expect(client.conversations.open({ users: 'U0DMME,U0OTHER' })).rejects.toMatchObject({
      data: { error: 'method_not_supported_for_channel_type' },
    });
    const channel = open.channel!.id!;
    const plain = await client.conversations.history({ channel });
    expect(plain.messages?.map((m) => [m.text, m.metadata])).toEqual([['paged', undefined]]);
    const full = await client.conversations.history({ channel, include_all_metadata: true });
    expect(full.messages?.[0]?.metadata).toEqual(metadata);
    // The history of a conversation, by its id: a person's id is not one (chat.postMessage alone takes it).
    await expect(client.conversations.history({ channel: 'U0DMME' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
  });

  it("refuses to open a DM with a deactivated account (user_disabled), as Slack's conversations.open does", async () => {
    fake.addUser('U0GONEAWAY', { name: 'gone', deleted: true });
    await expect(client.conversations.open({ users: 'U0GONEAWAY' })).rejects.toMatchObject({
      data: { error: 'user_disabled' },
    });
    // chat.postMessage to their ID is taken, as Slack takes it (their DM's history is kept): the bot cannot tell from it.
    const posted = await client.chat.postMessage({ channel: 'U0GONEAWAY', text: 'paged' });
    expect(posted.ok).toBe(true);
  });

  it('pages a history with limit, cursor and has_more, newest first, within oldest and latest, as Slack does', async () => {
    const channel = fake.addChannel('busy-history', { botIsMember: true });
    const before = Date.now() / 1000;
    const posted: string[] = [];
    for (let i = 0; i < 7; i++) posted.push((await client.chat.postMessage({ channel, text: `m${i}` })).ts!);
    // A message's ts is when it was posted, each after the last.
    expect(Number(posted[0])).toBeGreaterThanOrEqual(Math.floor(before));
    expect([...posted].sort()).toEqual(posted);
    const texts = (r: { messages?: { text?: string }[] }) => r.messages?.map((m) => m.text);
    const first = await client.conversations.history({ channel, limit: 3 });
    expect(texts(first)).toEqual(['m6', 'm5', 'm4']);
    expect(first.has_more).toBe(true);
    const cursor = first.response_metadata?.next_cursor;
    expect(cursor).toBeTruthy();
    const second = await client.conversations.history({ channel, limit: 3, cursor });
    expect(texts(second)).toEqual(['m3', 'm2', 'm1']);
    const last = await client.conversations.history({
      channel,
      limit: 3,
      cursor: second.response_metadata?.next_cursor,
    });
    expect(texts(last)).toEqual(['m0']);
    expect(last.has_more).toBe(false);
    expect(last.response_metadata?.next_cursor).toBe('');
    // oldest and latest are left out unless inclusive.
    const range = await client.conversations.history({ channel, oldest: posted[2], latest: posted[5] });
    expect(texts(range)).toEqual(['m4', 'm3']);
    const inclusive = await client.conversations.history({
      channel,
      oldest: posted[2],
      latest: posted[5],
      inclusive: true,
    });
    expect(texts(inclusive)).toEqual(['m5', 'm4', 'm3', 'm2']);
    await expect(client.conversations.history({ channel, cursor: 'not-a-cursor' })).rejects.toMatchObject({
      data: { error: 'invalid_cursor' },
    });
  });

  it('posts an ephemeral message only to a member of the channel, as Slack does', async () => {
    const incidents = fake.addChannel('inc-db', { members: ['U0ONCALL'] });
    await client.chat.postEphemeral({ channel: incidents, user: 'U0ONCALL', text: 'only you' });
    await expect(
      client.chat.postEphemeral({ channel: incidents, user: 'U0OUTSIDER', text: 'lost' }),
    ).rejects.toMatchObject({ data: { error: 'user_not_in_channel' } });
    await expect(
      client.chat.postEphemeral({ channel: 'C0UNKNOWN', user: 'U0ONCALL', text: 'x' }),
    ).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    expect(fake.ephemeralMessages().map((e) => [e.channel, e.user, e.text])).toEqual([
      [incidents, 'U0ONCALL', 'only you'],
    ]);
  });

  it('waits for what a person is told privately: a delivered ephemeral message or a direct message, not a refused one', async () => {
    const incidents = fake.addChannel('inc-api', { members: ['U0ONCALL'] });
    await expect(client.chat.postEphemeral({ channel: incidents, user: 'U0OUTSIDER', text: 'lost' })).rejects.toThrow();
    await client.chat.postEphemeral({ channel: incidents, user: 'U0ONCALL', text: 'seen' });
    expect(await fake.waitForTold('U0ONCALL')).toMatchObject({ via: 'ephemeral', channel: incidents, text: 'seen' });
    const later = fake.waitForTold('U0OUTSIDER');
    await client.chat.postMessage({ channel: 'U0OUTSIDER', text: 'by DM' });
    expect(await later).toMatchObject({ via: 'direct', text: 'by DM' });
    await expect(fake.waitForTold('U0ONCALL', (t) => t.text === 'never', 50)).rejects.toThrow(/delivered: seen/);
  });

  it('opens and updates views', async () => {
    const view = {
      type: 'modal' as const,
      callback_id: 'cb',
      title: { type: 'plain_text' as const, text: 'T' },
      blocks: [],
    };
    const opened = await client.views.open({ trigger_id: '1.2.abc', view });
    expect(opened.view).toMatchObject({ id: expect.stringMatching(/^V/), callback_id: 'cb' });
    await expect(client.views.open({ trigger_id: '1.2.abc', view })).rejects.toMatchObject({
      data: { error: 'exchanged_trigger_id' },
    });
    await client.views.update({ view_id: opened.view!.id!, view: { ...view, callback_id: 'cb2' } });
    expect(fake.views.get(opened.view!.id!)?.view.callback_id).toBe('cb2');
  });

  it('answers unknown methods with unknown_method', async () => {
    await expect(client.apiCall('nope.nothing')).rejects.toMatchObject({ data: { error: 'unknown_method' } });
  });

  it('records calls with parsed args and token, and waits for them', async () => {
    const incidents = fake.addChannel('incidents', { id: 'C0INCIDENTS' });
    const pending = fake.waitFor('chat.postMessage', (c) => c.args.text === 'later');
    await client.chat.postMessage({ channel: incidents, text: 'now', blocks: [{ type: 'divider' }] });
    await client.chat.postMessage({ channel: 'C0INCIDENTS', text: 'later' });
    const call = await pending;
    expect(call).toMatchObject({ method: 'chat.postMessage', token: TOKEN, args: { channel: 'C0INCIDENTS' } });
    expect(call.at).toBeGreaterThan(0);

    const [first] = fake.callsTo('chat.postMessage');
    expect(first?.args.blocks).toEqual([{ type: 'divider' }]);
    expect(first?.response).toMatchObject({ ok: true });
    await expect(fake.waitForCount('chat.postMessage', 2)).resolves.toHaveLength(2);
    await expect(fake.waitFor('conversations.archive', undefined, 50)).rejects.toThrow(
      /conversations\.archive.*chat\.postMessage x2/,
    );
  });

  it('injects Slack errors, 5xx and delays, and records failed attempts', async () => {
    fake.failNext('chat.postMessage', { error: 'missing_scope', needed: 'chat:write', provided: 'commands' });
    fake.addChannel('incidents', { id: 'C0INCIDENTS' });
    await expect(client.chat.postMessage({ channel: 'C0INCIDENTS', text: 'x' })).rejects.toMatchObject({
      data: { ok: false, error: 'missing_scope', needed: 'chat:write', provided: 'commands' },
    });
    fake.failNext('auth.test', { status: 503 });
    await expect(client.auth.test()).rejects.toMatchObject({ code: 'slack_webapi_http_error', statusCode: 503 });
    fake.failNext('auth.test', { delayMs: 150 });
    const started = Date.now();
    await client.auth.test();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(fake.callsTo('chat.postMessage')[0]?.failed).toMatchObject({ error: 'missing_scope' });
    expect(fake.callsTo('auth.test').map((c) => Boolean(c.failed))).toEqual([true, false]);
    expect(fake.callsTo('auth.test')[1]?.delayedMs).toBe(150);
  });

  it('lets WebClient retry a 429 after Retry-After and succeed', async () => {
    const retrying = new WebClient(TOKEN, {
      slackApiUrl: fake.url,
      retryConfig: { retries: 2, minTimeout: 0 },
      logLevel: WebLogLevel.ERROR,
    });
    const incidents = fake.addChannel('incidents');
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const started = Date.now();
    const res = await retrying.chat.postMessage({ channel: incidents, text: 'after the rate limit' });
    expect(res.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    const attempts = fake.callsTo('chat.postMessage');
    expect(attempts).toHaveLength(2);
    expect(attempts[0]?.failed).toEqual({ status: 429, retryAfter: 1 });
    expect(attempts[1]?.failed).toBeUndefined();
    expect(fake.messagesIn(incidents)).toHaveLength(1);
  });

  it('takes files as @slack/web-api uploads them (getUploadURLExternal, the upload, completeUploadExternal)', async () => {
    const channel = fake.addChannel('files-here');
    const content = '# Post-mortem\n\n| a | b |\n| --- | --- |\n| é | ✓ |\n';
    const res = await client.filesUploadV2({
      channel_id: channel,
      filename: 'postmortem.md',
      title: 'Post-mortem',
      content,
      initial_comment: 'Version 1',
    });
    const id = (res.files[0] as { files?: { id?: string }[] }).files?.[0]?.id ?? '';
    const upload = fake.uploads.get(id)!;
    expect(upload).toMatchObject({
      filename: 'postmortem.md',
      content,
      length: Buffer.byteLength(content),
      bytes: Buffer.byteLength(content),
      channel,
      title: 'Post-mortem',
      initialComment: 'Version 1',
      completed: true,
    });
    expect(fake.callsTo('file_upload')).toHaveLength(1);
    // Slack needs the name and the length up front, and shares files only in channels it knows.
    await expect(client.files.getUploadURLExternal({ filename: 'x.md' } as never)).rejects.toMatchObject({
      data: { error: 'invalid_arguments' },
    });
    await expect(
      client.filesUploadV2({ channel_id: 'C0NOWHERE', filename: 'x.md', content: 'x' }),
    ).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
  });

  it('publishes Home tabs: a home view of at most 100 blocks, for a person', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }];
    await client.views.publish({ user_id: 'U0HOME', view: { type: 'home', blocks } });
    await client.views.publish({ user_id: 'U0HOME', view: { type: 'home', blocks } });
    expect(fake.homeTabs.get('U0HOME')).toMatchObject({ publishes: 2, view: { type: 'home', blocks } });
    await expect(
      client.views.publish({ user_id: 'U0HOME', view: { type: 'home', blocks: Array(101).fill(blocks[0]) } }),
    ).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    await expect(client.views.publish({ user_id: 'UBOT', view: { type: 'home', blocks } })).rejects.toMatchObject({
      data: { error: 'not_found' },
    });
  });

  it('lists the people of the workspace, a page at a time, the bot marked as one', async () => {
    for (let n = 0; n < 3; n++) fake.addUser(`U0LIST${n}`, { name: `lister${n}` });
    const first = await client.users.list({ limit: 2 });
    expect(first.members?.map((m) => m.id)).toHaveLength(2);
    const cursor = first.response_metadata?.next_cursor ?? '';
    expect(cursor).not.toBe('');
    const rest = await client.users.list({ limit: 200, cursor });
    const all = [...(first.members ?? []), ...(rest.members ?? [])];
    expect(all.map((m) => m.id)).toEqual(expect.arrayContaining(['U0LIST0', 'U0LIST1', 'U0LIST2', 'UBOT']));
    expect(all.find((m) => m.id === 'UBOT')?.is_bot).toBe(true);
    expect(rest.response_metadata?.next_cursor).toBe('');
  });

  it('lists user groups with their handles (given, else made from the id), their members only on request', async () => {
    fake.usergroups.set('S0SRELEADS', ['U0A', 'U0B']);
    fake.usergroupHandles.set('S0SRELEADS', 'sre-leads');
    fake.usergroups.set('S0DBA', []);
    const plain = await client.usergroups.list({});
    expect(plain.usergroups?.map((g) => [g.id, g.handle, g.name, g.user_count, g.users])).toEqual([
      ['S0SRELEADS', 'sre-leads', 'sre-leads', 2, undefined],
      ['S0DBA', 'dba', 'dba', 0, undefined],
    ]);
    const withUsers = await client.usergroups.list({ include_users: true });
    expect(withUsers.usergroups?.[0]?.users).toEqual(['U0A', 'U0B']);
    fake.usergroups.clear();
    fake.usergroupHandles.clear();
  });

  it('records POSTs to response URLs', async () => {
    const url = fake.responseUrl('cmd-1');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/response\/cmd-1$/);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'Declared' }),
    });
    expect(await res.json()).toEqual({ ok: true });
    const call = await fake.waitFor('response_url');
    expect(call).toMatchObject({ key: 'cmd-1', args: { response_type: 'ephemeral', text: 'Declared' } });
  });
});

describe('signSlackRequest', () => {
  it('matches an independently computed v0 signature', () => {
    const secret = '8f742231b10e8888abcd99yyyzzz85a5';
    const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fincident&text=declare+sev1';
    const ts = 1531420618;
    const expected = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
    expect(signSlackRequest(secret, body, ts)).toEqual({
      'x-slack-signature': expected,
      'x-slack-request-timestamp': '1531420618',
    });
  });

  it('defaults the timestamp to now', () => {
    const { 'x-slack-request-timestamp': ts } = signSlackRequest('s', '');
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
  });
});

describe('slack-request against a real Bolt app', () => {
  const secret = 'test-signing-secret';
  const fake = useFakeSlack();
  let app: App;
  let baseUrl: string;
  const seen: { kind: string; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    app = new App({
      token: TOKEN,
      signingSecret: secret,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } },
    });
    app.command('/incident', async ({ ack, body, respond }) => {
      await ack();
      seen.push({ kind: 'command', body });
      await respond({ response_type: 'ephemeral', text: `got ${body.text}` });
    });
    app.action('incident_acknowledge', async ({ ack, body }) => {
      await ack();
      seen.push({ kind: 'action', body: body as unknown as Record<string, unknown> });
    });
    app.view('incident_resolve_modal', async ({ ack, view }) => {
      seen.push({ kind: 'view', body: view as unknown as Record<string, unknown> });
      await ack({ response_action: 'errors', errors: { resolve_summary: 'too short' } });
    });
    const server = (await app.start(0)) as Server;
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.stop();
  });

  it('delivers a signed slash command and records respond()', async () => {
    const res = await postSlashCommand(baseUrl, secret, {
      text: 'declare sev2 checkout is down',
      response_url: fake.responseUrl('c1'),
    });
    expect(res.status).toBe(200);
    const responded = await fake.waitFor('response_url', (c) => c.key === 'c1');
    expect(responded.args).toEqual({ response_type: 'ephemeral', text: 'got declare sev2 checkout is down' });
    expect(seen.find((s) => s.kind === 'command')?.body).toMatchObject({
      command: '/incident',
      user_id: 'U0REPORTER',
      trigger_id: res.sent.trigger_id,
    });
  });

  it('rejects a bad signature with 401', async () => {
    const res = await postSlashCommand(
      baseUrl,
      secret,
      { response_url: fake.responseUrl() },
      { signature: 'v0=deadbeef' },
    );
    expect(res.status).toBe(401);
  });

  it('delivers block_actions and view_submission payloads', async () => {
    const action = await postInteraction(
      baseUrl,
      secret,
      makeBlockAction({
        userId: 'U0ONCALL',
        channelId: 'C0000001',
        messageTs: '1700000000.000100',
        actionId: 'incident_acknowledge',
        blockId: 'incident_card_actions',
        value: 'inc-42',
        responseUrl: fake.responseUrl(),
      }),
    );
    expect(action.status).toBe(200);
    expect(seen.find((s) => s.kind === 'action')?.body).toMatchObject({
      type: 'block_actions',
      actions: [{ action_id: 'incident_acknowledge', value: 'inc-42' }],
      container: { message_ts: '1700000000.000100' },
    });

    const submitted = await postInteraction(
      baseUrl,
      secret,
      makeViewSubmission({
        userId: 'U0ONCALL',
        callbackId: 'incident_resolve_modal',
        privateMetadata: JSON.stringify({ incidentId: 42 }),
        values: { resolve_summary: { summary: stateValue.plainText('fixed it') } },
      }),
    );
    expect(submitted.status).toBe(200);
    expect(submitted.json).toEqual({ response_action: 'errors', errors: { resolve_summary: 'too short' } });
    expect(seen.find((s) => s.kind === 'view')?.body).toMatchObject({
      private_metadata: '{"incidentId":42}',
      state: { values: { resolve_summary: { summary: { type: 'plain_text_input', value: 'fixed it' } } } },
    });
  });
});
