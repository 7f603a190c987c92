import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { actionItemRef } from '../../src/templates/payloads.js';
import { NO_RUNBOOK_UPDATE } from '../../src/templates/postmortem-modal.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { stateValue, TEST_REPORTER_ID, TEST_TEAM_ID } from '../support/slack-request.js';

const OWNER = 'U0OWNER';
const ALICE = 'U0ALICE';
const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('action items', () => {
  let bot: BotHarness;
  let channelId: string;
  let incidentId: number;
  const inChannel = (text: string, userId = TEST_REPORTER_ID) =>
    bot.command(text, { channel_id: channelId, user_id: userId });
  const items = async () =>
    (
      await bot.db.query<{
        id: number;
        text: string;
        owner_id: string | null;
        state: string;
        reminded_at: Date | null;
      }>('SELECT id, text, owner_id, state, reminded_at FROM action_items WHERE incident_id = $1 ORDER BY id', [
        incidentId,
      ])
    ).rows;
  const kinds = async () =>
    (
      await bot.db.query<{ kind: string; details: Record<string, unknown> }>(
        'SELECT kind, details FROM incident_events WHERE incident_id = $1 ORDER BY id',
        [incidentId],
      )
    ).rows;
  const dmsTo = (user: string) => bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === user);

  beforeAll(async () => {
    bot = await startBot();
    bot.fake.addUser(ALICE, { name: 'alice', real_name: 'Alice Liddell' });
    bot.fake.addUser('U0ALICE2', { name: 'alice2', real_name: 'Alice Liddell' });
    await bot.command('sev2 checkout slow');
    await bot.fake.waitFor('response_url');
    const created = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    channelId = bot.fake.channelByName(created.args.name as string)!.id;
    const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [channelId]);
    incidentId = Number(rows[0]!.id);
  });
  afterAll(async () => bot?.stop());

  it('/incident action takes a due time in words (due in 3 days), out of the text; the answer says the date', async () => {
    bot.fake.reset();
    const before = Date.now();
    await inChannel('action Write the runbook entry due in 3 days');
    const reply = await bot.fake.waitFor('response_url');
    expect(reply.args.text).toMatch(/Added the action item \*Write the runbook entry\* \(nobody owns it, due <!date\^/);
    const { rows } = await bot.db.query<{ due_at: Date }>(
      "SELECT due_at FROM action_items WHERE incident_id = $1 AND text = 'Write the runbook entry'",
      [incidentId],
    );
    // Three days on, at 09:00 UTC as every due day (not at the time it was typed).
    const day = new Date(before);
    expect(rows[0]!.due_at).toEqual(
      new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 3, 9)),
    );
    await bot.db.query("DELETE FROM action_items WHERE incident_id = $1 AND text = 'Write the runbook entry'", [
      incidentId,
    ]);
  });

  it('/incident action adds one with its owner and due time; the owner is told by direct message, then reminded when due', async () => {
    bot.fake.reset();
    await inChannel(`action Rotate the leaked key <@${OWNER}> 2s`);
    const reply = await bot.fake.waitFor('response_url');
    expect(reply.args.text).toMatch(/Added the action item \*Rotate the leaked key\* \(owner <@U0OWNER>, due <!date\^/);
    const assigned = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === OWNER);
    expect(json(assigned)).toContain(`<@${TEST_REPORTER_ID}> made you the owner of an action item`);
    expect(json(assigned)).toContain(ACTION.actionItemDone);
    expect((await items()).map((i) => [i.text, i.owner_id, i.state])).toEqual([
      ['Rotate the leaked key', OWNER, 'open'],
    ]);
    expect((await kinds()).map((e) => e.kind)).toContain('action_item_added');

    // Due in 2 s: the timer loop reminds the owner once.
    const reminder = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === OWNER && /is due now/.test(String(c.args.text)),
      8000,
    );
    expect(json(reminder)).toContain('Rotate the leaked key');
    await sleep(800);
    expect(dmsTo(OWNER).filter((c) => /is due now/.test(String(c.args.text)))).toHaveLength(1);
    expect((await items())[0]!.reminded_at).not.toBeNull();
    const reminded = (await kinds()).filter((e) => e.kind === 'action_item_reminded');
    expect(reminded).toHaveLength(1);
    expect(reminded[0]!.details).toMatchObject({ text: 'Rotate the leaked key', owner: OWNER });

    // Done, clicked on the reminder: both direct messages (assigned, due) say so in place, without their button.
    const dms = bot.fake
      .messagesIn('D0OWNER')
      .filter((m) => JSON.stringify(m.blocks).includes('Rotate the leaked key'));
    expect(dms).toHaveLength(2);
    const [id] = (await items()).map((i) => i.id);
    await bot.click({
      channelId: 'D0OWNER',
      messageTs: dms[1]!.ts,
      actionId: ACTION.actionItemDone,
      value: actionItemRef.encode(id!),
      userId: OWNER,
    });
    for (const dm of dms) {
      const update = await bot.fake.waitFor('chat.update', (c) => c.args.channel === 'D0OWNER' && c.args.ts === dm.ts);
      expect(json(update)).toContain(`:white_check_mark: done by <@${OWNER}> <!date^`);
      expect(json(update)).toContain('Done, nothing more to do here.');
      expect(json(update)).not.toContain(ACTION.actionItemDone);
    }
    expect((await items())[0]!.state).toBe('done');
  });

  it('an item its author owns is told to them as theirs, not as given to them by themselves', async () => {
    bot.fake.reset();
    await inChannel(`action Add the pool alert <@${TEST_REPORTER_ID}> 3d`);
    await bot.fake.waitFor('response_url');
    const told = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === TEST_REPORTER_ID);
    expect(json(told)).toMatch(/You added an action item you own, from SEV-\d incident #\d+ /);
    expect(json(told)).not.toContain('] Your open items');
    expect(json(told)).not.toContain('made you the owner');
    expect(json(told)).toContain(ACTION.actionItemDone);
    await bot.db.query("DELETE FROM action_items WHERE text = 'Add the pool alert'");
  });

  it('the reminder is a row in Postgres, not a timer in memory: with the timer loop stopped nothing is sent, and it is sent once the loop runs again', async () => {
    await bot.timers.stop();
    bot.fake.reset();
    await inChannel(`action Check the pool limits <@${OWNER}> 1s`);
    await bot.fake.waitFor('response_url');
    await sleep(1800);
    expect(dmsTo(OWNER).filter((c) => /is due now/.test(String(c.args.text)))).toHaveLength(0);
    bot.timers.start();
    const reminder = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === OWNER && /is due now/.test(String(c.args.text)),
      8000,
    );
    expect(json(reminder)).toContain('Check the pool limits');
  });

  it('an item nobody owns is reminded in the incident channel', async () => {
    bot.fake.reset();
    await inChannel('action Write the customer notice in 1s');
    await bot.fake.waitFor('response_url');
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /nobody owns is due/.test(String(c.args.text)),
      8000,
    );
    expect(json(notice)).toContain('Write the customer notice');
  });

  it('someone who joined after the people directory was kept is found by name: a miss reads it again, at most every 30 s', async () => {
    // The directory is read and kept (ten minutes).
    bot.fake.reset();
    await inChannel('action Read the directory @alice');
    expect((await bot.fake.waitFor('response_url')).args.text).toContain('(owner <@U0ALICE>');
    // Zed joins the workspace after that.
    bot.fake.addUser('U0ZED', { name: 'zed', real_name: 'Zed Shaw' });
    bot.fake.reset();
    await inChannel('action Rotate the webhook secret @zed');
    expect((await bot.fake.waitFor('response_url')).args.text).toContain('(owner <@U0ZED>');
    expect(bot.fake.callsTo('users.list').length).toBeGreaterThan(0);
    // A name nobody has, typed again and again: the directory was read anew just now, so Slack is not asked again.
    bot.fake.reset();
    for (const n of [1, 2]) {
      await inChannel(`action Typo ${n} @zedd`);
      expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/Nobody in this workspace is called `@zedd`/);
      bot.fake.reset();
    }
    expect(bot.fake.callsTo('users.list')).toHaveLength(0);
    await bot.db.query(
      "DELETE FROM action_items WHERE incident_id = $1 AND text IN ('Read the directory', 'Rotate the webhook secret')",
      [incidentId],
    );
  });

  it('an owner typed as @name is looked up; an unknown or ambiguous one is refused with what to do, and nothing is stored', async () => {
    bot.fake.reset();
    await inChannel('action Add pool monitoring @alice 2099-06-01');
    expect((await bot.fake.waitFor('response_url')).args.text).toContain('(owner <@U0ALICE>');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === ALICE);

    const before = (await items()).length;
    bot.fake.reset();
    await inChannel('action Something else @nobody');
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/Nobody in this workspace is called `@nobody`/);
    bot.fake.reset();
    // Two people are called Alice Liddell: the owner must be mentioned. Slack shows both mentions as the same name, so
    // each is followed by its handle.
    await inChannel('action Something else @AliceLiddell');
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(
      /`@AliceLiddell` fits several people \(<@U0ALICE> \(alice\), <@U0ALICE2> \(alice2\)\)\. Mention the owner/,
    );
    // In the post-mortem form, whose errors are plain text (a mention would show as its id): the people by name, each
    // with their handle as both have the same name, so the person can tell whom to mention.
    const form = await bot.submit({
      callbackId: VIEW.postmortem,
      privateMetadata: JSON.stringify({ incidentId, channelId }),
      values: {
        [BLOCK.pmRootCause]: { [INPUT.text]: stateValue.plainText('A leaked key') },
        [BLOCK.pmRunbook]: { [INPUT.select]: stateValue.staticSelect(NO_RUNBOOK_UPDATE) },
        [BLOCK.pmItems]: { [INPUT.text]: stateValue.plainText('- Rotate the keys @AliceLiddell') },
      },
    });
    expect(form.json).toEqual({
      response_action: 'errors',
      errors: {
        [BLOCK.pmItems]:
          'Line 1: @AliceLiddell fits several people (@Alice Liddell (alice), @Alice Liddell (alice2)). Mention the owner so Slack fills in who you mean.',
      },
    });
    expect((await items()).length).toBe(before);
  });

  it('bad input gets a clear message and nothing is stored', async () => {
    const before = (await items()).length;
    for (const [typed, said] of [
      ['action', /needs a text/],
      ['action Fix it 2020-01-01', /in the past/],
      ['action Fix it 2026-02-31', /not a date/],
      [`action ${'x'.repeat(301)}`, /300 characters/],
    ] as const) {
      bot.fake.reset();
      await inChannel(typed);
      expect((await bot.fake.waitFor('response_url')).args.text, typed).toMatch(said);
    }
    bot.fake.reset();
    await bot.command('action Fix it');
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/works inside an incident channel/);
    expect((await items()).length).toBe(before);
  });

  it('the same item twice is one item', async () => {
    const before = (await items()).length;
    bot.fake.reset();
    await inChannel('action add POOL monitoring');
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/already has the action item/);
    expect((await items()).length).toBe(before);
  });

  it('/incident actions lists the open items across incidents, yours first, each with Done; anywhere', async () => {
    bot.fake.reset();
    await bot.command('actions', { user_id: ALICE });
    const list = await bot.fake.waitFor('response_url');
    expect(list.args.response_type).toBe('ephemeral');
    const body = json(list);
    const open = (await items()).filter((i) => i.state === 'open');
    expect(body).toContain(`Open action items (${open.length})`);
    expect(body.indexOf('Add pool monitoring')).toBeGreaterThan(-1);
    // Closed by its owner in the first test: not listed.
    expect(body).not.toContain('Rotate the leaked key');
    // Alice's own first.
    const others = open.filter((i) => i.owner_id !== ALICE);
    expect(others.length).toBeGreaterThan(0);
    for (const other of others) expect(body.indexOf('Add pool monitoring')).toBeLessThan(body.indexOf(other.text));
    expect(body.match(new RegExp(ACTION.actionItemDone, 'g'))?.length).toBe(open.length);

    // Done pressed on that list: the list is shown again in its place without the item, the line saying so first.
    const pool = open.find((i) => i.text === 'Add pool monitoring')!;
    await bot.click({
      channelId: 'C0GENERAL',
      messageTs: '1.1',
      actionId: ACTION.actionItemDone,
      value: actionItemRef.encode(pool.id),
      userId: ALICE,
      ephemeral: true,
    });
    const again = await bot.fake.waitFor('response_url', (c) => c.args.replace_original === true);
    expect(String(again.args.text)).toMatch(/^:white_check_mark: Done: \*Add pool monitoring\*/);
    expect(json(again)).toContain(`Open action items (${open.length - 1})`);
    expect(json(again).match(new RegExp(ACTION.actionItemDone, 'g'))?.length).toBe(open.length - 1);
    expect((await items()).find((i) => i.id === pool.id)!.state).toBe('done');
  });

  it('without ADMIN_TOKEN the post-mortem route answers 404', async () => {
    const res = await fetch(`${bot.baseUrl}/incidents/${TEST_TEAM_ID}/1/postmortem.md`, {
      headers: { authorization: 'Bearer whatever-token-you-like' },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: 'not_found',
      message: 'Set ADMIN_TOKEN to read post-mortems over HTTP.',
    });
  });

  it('/incident postmortem on an open incident says to resolve it first and opens nothing', async () => {
    bot.fake.reset();
    await inChannel('postmortem');
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/is not resolved yet.*resolve it first/);
    expect(bot.fake.callsTo('views.open')).toHaveLength(0);
    // The refusal is audited (written once the request is done, so waited for before the bot stops).
    for (let i = 0; i < 50; i++) {
      const { rows } = await bot.db.query(
        `SELECT 1 FROM audit_log WHERE action = 'postmortem' AND outcome = 'refused' AND incident_id = $1`,
        [incidentId],
      );
      if (rows.length) return;
      await sleep(50);
    }
    throw new Error('the refusal was not audited');
  });

  it('/incident action reads the owner before a due day and time (by monday 17:00), and refuses one it cannot read after the owner', async () => {
    bot.fake.reset();
    const count = (await items()).length;
    await inChannel('action Audit keys @alice at noon');
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(
      /`at noon` is not a due date I can read.*Nothing was added/,
    );
    expect((await items()).length).toBe(count);
    bot.fake.reset();
    await inChannel('action Audit keys @alice by monday 17:00');
    const reply = await bot.fake.waitFor('response_url');
    expect(reply.args.text).toMatch(/Added the action item \*Audit keys\* \(owner <@U0ALICE>, due <!date\^/);
    const { rows } = await bot.db.query<{ owner_id: string; due_at: Date }>(
      `SELECT owner_id, due_at FROM action_items WHERE incident_id = $1 AND text = 'Audit keys'`,
      [incidentId],
    );
    expect(rows[0]!.owner_id).toBe(ALICE);
    expect(rows[0]!.due_at.getUTCDay()).toBe(1);
    expect(rows[0]!.due_at.toISOString().slice(11, 16)).toBe('17:00');
    expect(rows[0]!.due_at.getTime()).toBeGreaterThan(Date.now());
  });

  it('/incident action reads a 12-hour due time (by monday 5 pm UTC), and refuses one that is none (13pm), adding nothing', async () => {
    bot.fake.reset();
    const count = (await items()).length;
    await inChannel('action Audit certs @alice by friday 13pm');
    expect((await bot.fake.waitFor('response_url')).args.text).toContain(
      '`13pm` is not a time: with am or pm the hour runs from 1 to 12; write `1pm`, or `13:00` on the 24-hour clock. Nothing was added.',
    );
    expect((await items()).length).toBe(count);
    bot.fake.reset();
    await inChannel('action Audit certs @alice by monday 5 pm UTC');
    const reply = await bot.fake.waitFor('response_url');
    expect(reply.args.text).toMatch(/Added the action item \*Audit certs\* \(owner <@U0ALICE>, due <!date\^/);
    const { rows } = await bot.db.query<{ due_at: Date }>(
      `SELECT due_at FROM action_items WHERE incident_id = $1 AND text = 'Audit certs'`,
      [incidentId],
    );
    expect(rows[0]!.due_at.getUTCDay()).toBe(1);
    expect(rows[0]!.due_at.toISOString().slice(11, 16)).toBe('17:00');
    expect(rows[0]!.due_at.getTime()).toBeGreaterThan(Date.now());
  });

  it("/incident action with today's date is due by the end of today, not overdue at once", async () => {
    bot.fake.reset();
    const today = new Date().toISOString().slice(0, 10);
    await inChannel(`action Review pool sizing @alice ${today}`);
    const reply = await bot.fake.waitFor('response_url');
    expect(reply.args.text).not.toMatch(/overdue/);
    const { rows } = await bot.db.query<{ due_at: Date }>(
      `SELECT due_at FROM action_items WHERE incident_id = $1 AND text = 'Review pool sizing'`,
      [incidentId],
    );
    expect(rows[0]!.due_at.toISOString()).toBe(`${today}T23:59:00.000Z`);
  });
});
