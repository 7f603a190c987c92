import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, FLAG, INPUT, SHORTCUT, VIEW } from '../../src/templates/ids.js';
import { type BotHarness, SIGNING_SECRET, startBot } from '../support/bot-harness.js';
import {
  makeAppHomeOpened,
  makeHomeAction,
  makeMessageShortcut,
  postInteraction,
  stateValue,
  TEST_REPORTER_ID,
} from '../support/slack-request.js';

const RESPONDER = 'U0RESPONDER';
const OTHER = 'U0OTHER';
/** Each declaring test its own person: declarations are limited per person. */
const TYPER = 'U0TYPER';
const SHORTCUTTER = 'U0SHORTCUTTER';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the App Home tab', () => {
  let bot: BotHarness;
  /** The latest Home tab published for a person, as JSON. */
  const homeOf = (user: string) => JSON.stringify(bot.fake.homeTabs.get(user)?.view ?? null);
  const publishes = (user: string) => bot.fake.homeTabs.get(user)?.publishes ?? 0;
  /** Waits until a person's Home tab has been published more than `after` times and shows `text`. */
  async function published(user: string, after: number, text?: string, ms = 8000): Promise<string> {
    const until = Date.now() + ms;
    for (;;) {
      if (publishes(user) > after && (!text || homeOf(user).includes(text))) return homeOf(user);
      if (Date.now() > until)
        throw new Error(
          `no Home tab for ${user} after ${after} publishes${text ? ` showing ${text}` : ''}: ${homeOf(user)}`,
        );
      await sleep(30);
    }
  }
  /** The rows of a query once there are at least `n` (the audit row is written as the request ends). */
  async function waitUntilRows(sql: string, n: number): Promise<{ outcome: string; channel_id: string }[]> {
    const until = Date.now() + 5000;
    for (;;) {
      const { rows } = await bot.db.query<{ outcome: string; channel_id: string }>(sql);
      if (rows.length >= n || Date.now() > until) return rows;
      await sleep(50);
    }
  }
  async function declare(title: string, userId = TEST_REPORTER_ID) {
    const before = bot.fake.callsTo('conversations.create').filter((c) => !c.failed).length;
    await bot.command(`sev2 ${title}`, { user_id: userId });
    const created = await bot.fake.waitForCount('conversations.create', before + 1);
    const channelId = bot.fake.channelByName(created.at(-1)!.args.name as string)!.id;
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === channelId);
    // The declarer's "is open" reply too: one that comes late would be counted as a later test's answer.
    await bot.fake.waitFor('response_url', (c) => String(c.args.text).includes(channelId));
    const { rows } = await bot.db.query<{ id: number; card_ts: string | null }>(
      'SELECT id, card_ts FROM incidents WHERE channel_id = $1',
      [channelId],
    );
    return { id: Number(rows[0]!.id), channelId, cardTs: rows[0]!.card_ts ?? '' };
  }

  beforeAll(async () => {
    bot = await startBot({ timers: false });
    // They type and use shortcuts in #general, so they are in it: Slack shows an ephemeral message only to a member.
    for (const user of [TYPER, SHORTCUTTER]) bot.fake.channels.get('C0GENERAL')!.members.add(user);
  });
  afterAll(async () => {
    await sleep(200);
    await bot?.stop();
  });

  it('is published when a person opens it, with a Declare incident button; the Messages tab publishes nothing', async () => {
    const res = await bot.event(makeAppHomeOpened(OTHER));
    expect(res.status).toBe(200);
    const home = await published(OTHER, 0);
    expect(home).toContain(ACTION.homeDeclare);
    expect(home).toContain('No open incidents.');
    expect(home).toContain('You have no open action items.');

    await bot.event(makeAppHomeOpened(OTHER, 'messages'));
    await sleep(300);
    expect(publishes(OTHER)).toBe(1);
  });

  it('is refreshed for the people of an incident when it changes, theirs listed first', async () => {
    const theirs = await declare('checkout latency', OTHER);
    const mine = await declare('db down');
    // Declaring refreshed each declarer's tab (they are part of their incident).
    await published(TEST_REPORTER_ID, 0, 'db down');
    const reporterHome = await published(TEST_REPORTER_ID, 0, 'checkout latency');
    expect(reporterHome.indexOf('db down')).toBeLessThan(reporterHome.indexOf('checkout latency'));
    expect(reporterHome).toMatch(/#\d+ db down\* <#C\w+> {2}· _you are in it_/);
    // The other declarer is not part of "db down": their tab shows it from the next time they open it.
    const opened = publishes(OTHER);
    await bot.event(makeAppHomeOpened(OTHER));
    const otherHome = await published(OTHER, opened, 'db down');
    expect(otherHome.indexOf('checkout latency')).toBeLessThan(otherHome.indexOf('db down'));

    // Someone acknowledges: they are part of it now, and the reporter's tab shows the new commander.
    const before = { responder: publishes(RESPONDER), reporter: publishes(TEST_REPORTER_ID) };
    await bot.clickCard(mine, ACTION.acknowledge, RESPONDER);
    const responderHome = await published(RESPONDER, before.responder, `commander <@${RESPONDER}>`);
    expect(responderHome.indexOf('db down')).toBeLessThan(responderHome.indexOf('checkout latency'));
    await published(TEST_REPORTER_ID, before.reporter, `commander <@${RESPONDER}>`);

    // Resolving moves it to the recently resolved.
    const n = publishes(TEST_REPORTER_ID);
    await bot.command('resolve fixed the pool', { channel_id: mine.channelId });
    const after = await published(TEST_REPORTER_ID, n, 'Resolved in the last 7 days* (1)');
    expect(after).toContain('Open incidents* (1)');
    expect(theirs.id).not.toBe(mine.id);
  });

  it('Declare incident opens the declare form; submitting it declares through the same service, with the description posted', async () => {
    bot.fake.reset();
    await postInteraction(
      bot.baseUrl,
      SIGNING_SECRET,
      makeHomeAction({ userId: RESPONDER, actionId: ACTION.homeDeclare, blockId: BLOCK.homeActions, value: 'home' }),
    );
    const open = await bot.fake.waitFor('views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(VIEW.declare);

    const bad = await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: view.private_metadata,
      userId: RESPONDER,
      values: { [BLOCK.declareTitle]: { [INPUT.text]: stateValue.plainText('  ') } },
    });
    expect(bad.json).toEqual({
      response_action: 'errors',
      errors: { [BLOCK.declareSeverity]: expect.any(String), [BLOCK.declareTitle]: expect.any(String) },
    });
    const before = bot.fake.callsTo('conversations.create').length;
    const values = {
      [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect('1', 'SEV-1 (High)') },
      [BLOCK.declareTitle]: { [INPUT.text]: stateValue.plainText('payments failing') },
      [BLOCK.declareDescription]: {
        [INPUT.text]: stateValue.plainText('Stripe webhooks return 500 since 10:02 <!here>'),
      },
    };
    const ok = await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: view.private_metadata,
      userId: RESPONDER,
      values,
      viewId: 'VDECL1',
    });
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('');
    const created = await bot.fake.waitForCount('conversations.create', before + 1);
    const channelId = bot.fake.channelByName(created.at(-1)!.args.name as string)!.id;
    const description = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /Description/.test(String(c.args.text)),
    );
    expect(String(description.args.text)).toContain('Stripe webhooks return 500 since 10:02 &lt;!here&gt;');
    // The answer is a direct message (a form has no channel to answer in).
    const dm = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === RESPONDER);
    expect(JSON.stringify(dm.args)).toContain(`<#${channelId}>`);
    const { rows } = await bot.db.query<{ severity: number; reporter_id: string; kind: string }>(
      `SELECT i.severity, i.reporter_id, e.kind FROM incidents i JOIN incident_events e ON e.incident_id = i.id
       WHERE i.channel_id = $1 AND e.kind = 'note'`,
      [channelId],
    );
    expect(rows).toEqual([{ severity: 1, reporter_id: RESPONDER, kind: 'note' }]);
    // The same submission again (a retry) declares nothing more.
    await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: view.private_metadata,
      userId: RESPONDER,
      values,
      viewId: 'VDECL1',
    });
    await sleep(300);
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(before + 1);
  });

  it('`/incident declare TITLE` opens the same form with the title; its answer comes in the channel, else by DM', async () => {
    bot.fake.reset();
    expect((await bot.command('declare checkout   is slow', { user_id: TYPER })).status).toBe(200);
    const open = await bot.fake.waitFor('views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
    expect(view.callback_id).toBe(VIEW.declare);
    const title = JSON.stringify(view.blocks.find((b) => (b as { block_id: string }).block_id === BLOCK.declareTitle));
    expect(title).toContain('"initial_value":"checkout is slow"');
    const severity = JSON.stringify(
      view.blocks.find((b) => (b as { block_id: string }).block_id === BLOCK.declareSeverity),
    );
    expect(severity).not.toContain('initial_option');
    const values = (sev: string, text: string) => ({
      [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect(sev, `SEV-${sev}`) },
      [BLOCK.declareTitle]: { [INPUT.text]: stateValue.plainText(text) },
    });
    await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: view.private_metadata,
      userId: TYPER,
      values: values('2', 'checkout is slow'),
      viewId: 'VDECLCMD1',
    });
    const created = await bot.fake.waitFor('conversations.create');
    const channelId = bot.fake.channelByName(created.args.name as string)!.id;
    // Typed in #general: answered there, only to the person.
    const answer = await bot.fake.waitFor('chat.postEphemeral', (c) => c.args.user === TYPER);
    expect(answer.args.channel).toBe('C0GENERAL');
    expect(JSON.stringify(answer.args)).toContain(`<#${channelId}>`);
    const { rows } = await bot.db.query<{ severity: number; title: string }>(
      'SELECT severity, title FROM incidents WHERE channel_id = $1',
      [channelId],
    );
    expect(rows).toEqual([{ severity: 2, title: 'checkout is slow' }]);

    // `declare sev1` in a direct message between two people (no place for the bot): SEV-1 chosen, answered by DM.
    bot.fake.reset();
    const dm = { channel_id: 'D0SOMEONE', channel_name: 'directmessage', user_id: TYPER };
    expect((await bot.command('new sev1', dm)).status).toBe(200);
    const second = (await bot.fake.waitFor('views.open')).args.view as { private_metadata: string; blocks: unknown[] };
    expect(JSON.stringify(second.blocks)).toContain('"initial_option":{"text":{"type":"plain_text","text":"SEV-1');
    await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: second.private_metadata,
      userId: TYPER,
      values: values('1', 'queue backlog'),
      viewId: 'VDECLCMD2',
    });
    const next = await bot.fake.waitFor('conversations.create');
    const direct = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === TYPER);
    expect(JSON.stringify(direct.args)).toContain(`<#${bot.fake.channelByName(next.args.name as string)!.id}>`);

    // --private: the form opens with Private ticked.
    bot.fake.reset();
    await bot.command('declare --private odd logins', { user_id: TYPER });
    const ticked = JSON.stringify((await bot.fake.waitFor('views.open')).args.view.blocks);
    expect(ticked).toContain('"initial_value":"odd logins"');
    expect(ticked).toMatch(/"initial_options":\[\{"text":\{"type":"plain_text","text":"Private \(security incident\)"/);

    // With a severity and a title it declares at once, as `/incident sev2 …`.
    bot.fake.reset();
    await bot.command('declare sev3 typo on the pricing page', { user_id: TYPER });
    await bot.fake.waitFor('response_url', (c) => /^Incident #\d+ \(SEV-3\) is open/.test(String(c.args.text)));
    expect(bot.fake.callsTo('views.open')).toHaveLength(0);
  });

  it("a message's Declare incident shortcut opens the form with the message; its thread is told of the incident", async () => {
    bot.fake.reset();
    bot.fake.addUser('U0PRIYA', { real_name: 'Priya Shah' });
    const said = bot.fake.workspace.addMessage(
      'C0GENERAL',
      OTHER,
      '*Checkout throws 500s* for <@U0SOMEONE|sam> since 10:02 &lt;!here&gt;\nsee <https://grafana.example/d/1|the dashboard>\nping <@U0PRIYA>\u0000about\u0007it',
    );
    const shortcut = makeMessageShortcut({
      callbackId: SHORTCUT.declareFromMessage,
      userId: SHORTCUTTER,
      channelId: 'C0GENERAL',
      message: { user: OTHER, ts: said.ts, text: said.text },
      responseUrl: bot.fake.responseUrl('message-action'),
    });
    expect((await postInteraction(bot.baseUrl, SIGNING_SECRET, shortcut)).status).toBe(200);
    const view = (await bot.fake.waitFor('views.open')).args.view as { private_metadata: string; blocks: unknown[] };
    const blocks = JSON.stringify(view.blocks);
    expect(blocks).toContain('"initial_value":"Checkout throws 500s for @sam since 10:02 <!here>"');
    expect(blocks).toContain('see the dashboard (https://grafana.example/d/1)');
    // A mention without a name shows the person's name, and control characters are not in the form (nor a NUL's word
    // joined to the next).
    expect(blocks).toContain('ping @Priya Shah about it');
    expect(blocks).not.toMatch(/U0PRIYA|\\u0000|\\u0007/);
    expect(blocks).toContain(
      `From a message in #general: https://test.slack.com/archives/C0GENERAL/p${said.ts.replace('.', '')}`,
    );
    expect(blocks).not.toContain('initial_option');

    await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: view.private_metadata,
      userId: SHORTCUTTER,
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect('1', 'SEV-1') },
        [BLOCK.declareTitle]: { [INPUT.text]: stateValue.plainText('Checkout throws 500s') },
        [BLOCK.declareDescription]: { [INPUT.text]: stateValue.plainText('500s on checkout, see the message') },
      },
      viewId: 'VDECLMSG1',
    });
    const created = await bot.fake.waitFor('conversations.create');
    const channelId = bot.fake.channelByName(created.args.name as string)!.id;
    // The message's thread: where the incident is. The declarer: only to them, in #general.
    const thread = await bot.fake.waitFor('chat.postMessage', (c) => c.args.thread_ts === said.ts);
    expect(thread.args.channel).toBe('C0GENERAL');
    expect(String(thread.args.text)).toContain(`was declared about this message: <#${channelId}>`);
    const answer = await bot.fake.waitFor('chat.postEphemeral', (c) => c.args.user === SHORTCUTTER);
    expect(answer.args.channel).toBe('C0GENERAL');

    // Declared private: the thread is not told (it would name a security incident where anyone reads it).
    bot.fake.reset();
    await postInteraction(bot.baseUrl, SIGNING_SECRET, { ...shortcut, trigger_id: 'trigger-message-2' });
    const second = (await bot.fake.waitFor('views.open')).args.view as { private_metadata: string };
    await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: second.private_metadata,
      userId: SHORTCUTTER,
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect('1', 'SEV-1') },
        [BLOCK.declareTitle]: { [INPUT.text]: stateValue.plainText('odd logins after the message') },
        [BLOCK.declarePrivate]: { [INPUT.checks]: stateValue.checkboxes([{ value: FLAG.private }]) },
      },
      viewId: 'VDECLMSG2',
    });
    await bot.fake.waitFor('chat.postEphemeral', (c) => c.args.user === SHORTCUTTER);
    await sleep(200);
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === said.ts)).toHaveLength(0);

    // Another callback id (a shortcut of another app's): acknowledged, nothing opened.
    bot.fake.reset();
    const other = await postInteraction(bot.baseUrl, SIGNING_SECRET, { ...shortcut, callback_id: 'someone_else' });
    expect(other.status).toBe(200);
    await sleep(200);
    expect(bot.fake.callsTo('views.open')).toHaveLength(0);
  });

  it("the shortcut on a monitoring integration's message (attachments, no text) fills the form from its attachment", async () => {
    bot.fake.reset();
    const said = bot.fake.workspace.addMessage('C0GENERAL', OTHER, '');
    const shortcut = makeMessageShortcut({
      callbackId: SHORTCUT.declareFromMessage,
      userId: SHORTCUTTER,
      channelId: 'C0GENERAL',
      responseUrl: bot.fake.responseUrl('message-action-grafana'),
      // As Grafana Alerting's Slack contact point posts a firing alert.
      message: {
        subtype: 'bot_message',
        bot_id: 'B0GRAFANA',
        ts: said.ts,
        text: '',
        attachments: [
          {
            id: 1,
            color: '#D63232',
            title: '[FIRING:1] HighErrorRate api (critical)',
            title_link: 'https://grafana.example/alerting/list',
            text: 'Value: A=14.2\nLabels: service = api',
            fallback: '[FIRING:1] HighErrorRate api (critical)',
          },
        ],
      },
    });
    expect((await postInteraction(bot.baseUrl, SIGNING_SECRET, shortcut)).status).toBe(200);
    const view = (await bot.fake.waitFor('views.open')).args.view as { blocks: unknown[] };
    const blocks = JSON.stringify(view.blocks);
    expect(blocks).toContain('"initial_value":"[FIRING:1] HighErrorRate api (critical)"');
    expect(blocks).toContain('Value: A=14.2');
  });

  it("a message's Add to incident timeline puts it on the timeline at its time, once; elsewhere it says where it works", async () => {
    const i = await declare('timeline from messages');
    const said = bot.fake.workspace.addMessage(
      i.channelId,
      OTHER,
      'replica lag is 40s &amp; climbing <@U0SOMEONE|sam>',
    );
    const shortcut = (channelId: string, ts: string, text: string, key: string) =>
      makeMessageShortcut({
        callbackId: SHORTCUT.addToTimeline,
        userId: SHORTCUTTER,
        channelId,
        message: { user: OTHER, ts, text },
        responseUrl: bot.fake.responseUrl(key),
      });
    const answer = async (key: string) =>
      String((await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === key)).args.text);
    await postInteraction(bot.baseUrl, SIGNING_SECRET, shortcut(i.channelId, said.ts, said.text ?? '', 'tl-1'));
    expect(await answer('tl-1')).toContain('Added to the timeline of incident #');
    const { rows } = await bot.db.query<{ at: Date; actor_id: string; details: Record<string, unknown> }>(
      `SELECT at, actor_id, details FROM incident_events WHERE incident_id = $1 AND kind = 'note'`,
      [i.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.actor_id).toBe(SHORTCUTTER);
    expect(rows[0]!.details).toMatchObject({
      source: 'message',
      text: 'replica lag is 40s & climbing @sam',
      author: OTHER,
      message_ts: said.ts,
      link: expect.stringContaining(`/archives/${i.channelId}/p`),
    });
    // At the time it was said (the local Slack's clock for its messages), not when it was added.
    expect(Math.abs(rows[0]!.at.getTime() - Number(said.ts.split('.')[0]) * 1000)).toBeLessThan(1000);

    // Again: once only. The timeline shows it, said by its author.
    await postInteraction(bot.baseUrl, SIGNING_SECRET, shortcut(i.channelId, said.ts, said.text ?? '', 'tl-2'));
    expect(await answer('tl-2')).toContain('on the timeline of incident #');
    await bot.command('timeline', { channel_id: i.channelId, response_url: bot.fake.responseUrl('tl-show') });
    const timeline = JSON.stringify(
      (await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === 'tl-show')).args,
    );
    expect(timeline).toContain(`<@${OTHER}>: replica lag is 40s &amp; climbing @sam`);

    // A message outside an incident channel: said where it works, nothing recorded.
    const elsewhere = bot.fake.workspace.addMessage('C0GENERAL', OTHER, 'unrelated');
    await postInteraction(bot.baseUrl, SIGNING_SECRET, shortcut('C0GENERAL', elsewhere.ts, 'unrelated', 'tl-3'));
    expect(await answer('tl-3')).toContain('works on messages in an incident channel');
    // Each use is audited, as a shortcut.
    const audited = await waitUntilRows(
      `SELECT outcome, channel_id FROM audit_log WHERE action = 'timeline_note' AND surface = 'shortcut' ORDER BY id`,
      3,
    );
    expect(audited.map((r) => r.channel_id)).toEqual([i.channelId, i.channelId, 'C0GENERAL']);
    const { rows: all } = await bot.db.query(
      `SELECT 1 FROM incident_events WHERE kind = 'note' AND details->>'text' = 'unrelated'`,
    );
    expect(all).toHaveLength(0);
  });

  it('`/incident` works in the Messages tab (a direct message with the bot) as anywhere else', async () => {
    // Only this test's answers: an earlier test's "Incident #N (SEV-2) is open" is not this declaration's.
    bot.fake.reset();
    await bot.command('sev2 listed from a direct message', { user_id: RESPONDER });
    await bot.fake.waitFor('response_url', (c) => /^Incident #\d+ \(SEV-2\) is open/.test(String(c.args.text)));
    const dm = { channel_id: 'D0RESPONDER', channel_name: 'directmessage', user_id: RESPONDER };
    expect((await bot.command('list', dm)).status).toBe(200);
    const list = await bot.fake.waitFor('response_url', (c) => String(c.args.text).startsWith('Open incidents'));
    expect(JSON.stringify(list.args.blocks)).toContain('listed from a direct message');
    expect((await bot.command('mitigated', dm)).status).toBe(200);
    const mitigated = await bot.fake.waitFor('response_url', (c) =>
      String(c.args.text).includes('/incident mitigated'),
    );
    expect(String(mitigated.args.text)).toContain('works inside an incident channel');
    expect(String(mitigated.args.text)).toContain('/incident list');
    // An acknowledgement there is for the incident that paged them: nobody paged this person.
    expect((await bot.command('ack', dm)).status).toBe(200);
    const ack = await bot.fake.waitFor('response_url', (c) => String(c.args.text).includes('/incident ack'));
    expect(String(ack.args.text)).toContain('No open incident has paged you');
    expect(String(ack.args.text)).toContain('/incident list');
  });

  it('lists the person’s open action items with Done; Done on the Home tab closes it and republishes the tab', async () => {
    const i = await declare('cache misses');
    bot.fake.reset();
    await bot.command(`action Warm the cache <@${OTHER}> 2099-01-01`, { channel_id: i.channelId });
    await bot.fake.waitFor('response_url');
    const n = publishes(OTHER);
    const home = await published(OTHER, n - 1, 'Warm the cache');
    const itemId = /"block_id":"action_item:(\d+)"/.exec(home)![1]!;

    const before = publishes(OTHER);
    const replies = bot.fake.callsTo('response_url').length;
    await postInteraction(
      bot.baseUrl,
      SIGNING_SECRET,
      makeHomeAction({
        userId: OTHER,
        actionId: ACTION.actionItemDone,
        blockId: `${BLOCK.actionItem}:${itemId}`,
        value: itemId,
      }),
    );
    const after = await published(OTHER, before, 'You have no open action items.');
    expect(after).not.toContain('Warm the cache');
    const { rows } = await bot.db.query<{ state: string; closed_by: string }>(
      'SELECT state, closed_by FROM action_items WHERE id = $1',
      [Number(itemId)],
    );
    expect(rows[0]).toEqual({ state: 'done', closed_by: OTHER });
    // No response_url on the Home tab: nothing was sent to one.
    expect(bot.fake.callsTo('response_url')).toHaveLength(replies);
  });
});
