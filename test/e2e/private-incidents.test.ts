import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, startBot } from '../support/bot-harness.js';
import { makeAppHomeOpened, TEST_REPORTER_ID } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

const OUTSIDER = 'U0OUTSIDER';
const ON_CALL = 'U0ONCALL';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The runbook of the tests, with a security playbook (its titles declare private incidents) and notices on. */
const runbook = parseRunbook({
  ...testRunbookData(),
  playbooks: {
    'unauthorized-access': {
      title: 'Unauthorized Access',
      kind: 'security',
      match: ['unauthorized access'],
      mitigation: ['Revoke sessions, force password reset'],
    },
  },
  private_incidents: { announce: 'notice' },
});

describe('private (security) incidents', () => {
  let bot: BotHarness;

  beforeAll(async () => {
    bot = await startBot({ incidentsChannel: true, runbook });
  });
  afterAll(async () => {
    await sleep(300);
    await bot?.stop();
  });

  /** Declares as `user`; returns the incident's id and channel once its card is posted. */
  async function declare(text: string, user = TEST_REPORTER_ID) {
    const before = bot.fake.callsTo('conversations.create').length;
    await bot.command(text, { user_id: user });
    const created = await bot.fake.waitForCount('conversations.create', before + 1);
    const call = created.at(-1)!;
    const channel = bot.fake.channelByName(call.args.name as string)!;
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === channel.id);
    const { rows } = await bot.db.query<{ id: number; private: boolean; number: number }>(
      'SELECT id, private, number FROM incidents WHERE channel_id = $1',
      [channel.id],
    );
    return { ...rows[0]!, id: Number(rows[0]!.id), channel, createArgs: call.args };
  }

  let asked = 0;
  /** Types `/incident <text>` and returns the private reply to it (through its own response_url). */
  const ask = async (text: string, over: Record<string, string> = {}) => {
    const key = `ask${++asked}`;
    await bot.command(text, { ...over, response_url: bot.fake.responseUrl(key) });
    const reply = await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === key);
    return JSON.stringify(reply.args);
  };

  const homeOf = async (user: string, text: string, present: boolean) => {
    const before = bot.fake.homeTabs.get(user)?.publishes ?? 0;
    await bot.event(makeAppHomeOpened(user));
    for (const until = Date.now() + 8000; ; await sleep(30)) {
      const tab = bot.fake.homeTabs.get(user);
      if (tab && tab.publishes > before) {
        expect(JSON.stringify(tab.view).includes(text)).toBe(present);
        return;
      }
      if (Date.now() > until) throw new Error(`no Home tab for ${user}`);
    }
  };

  it('never shows a private incident to anyone outside it, until it is made public on purpose', async () => {
    const keys = await declare('sev1 --private leaked deploy keys');
    const security = await declare('sev2 unauthorized access on the admin console');
    const open = await declare('sev1 checkout is slow', OUTSIDER);
    // Private channels from the start; the public one is public.
    expect(String(keys.createArgs.is_private)).toBe('true');
    expect(keys.channel.isPrivate).toBe(true);
    expect(keys.private).toBe(true);
    expect(security.private).toBe(true);
    expect(security.channel.isPrivate).toBe(true);
    expect(open.private).toBe(false);
    expect(open.channel.isPrivate).toBe(false);

    // Pages still go to people (and invite them): the on-call contact is paged for each incident.
    await bot.fake.waitForCount('chat.postMessage', 3, (c) => c.args.channel === ON_CALL);
    await bot.fake.waitFor(
      'conversations.invite',
      (c) => c.args.channel === keys.channel.id && c.args.users === ON_CALL,
    );

    // The incidents channel: the public one announced by title, the private ones only as "a private incident".
    const announcements = await bot.fake.waitForCount(
      'chat.postMessage',
      3,
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID,
    );
    const inIncidents = JSON.stringify(announcements.map((c) => c.args));
    expect(inIncidents).toContain('checkout is slow');
    expect(inIncidents).toContain('A private incident was declared');
    for (const secret of ['leaked deploy keys', 'unauthorized access', keys.channel.id, security.channel.id]) {
      expect(inIncidents).not.toContain(secret);
    }

    // A resolved private incident is not said in the incidents channel either.
    const posted = bot.fake.callsTo('chat.postMessage').length;
    await bot.command('resolve sessions revoked', { channel_id: security.channel.id });
    await bot.fake.waitForCount('chat.postMessage', posted + 1);
    await sleep(300);

    // /incident list: an outsider sees the public one only; the reporter and the paged on-call see theirs.
    let reply = await ask('list', { user_id: OUTSIDER });
    expect(reply).toContain('checkout is slow');
    expect(reply).not.toContain('leaked deploy keys');
    reply = await ask('list', { user_id: ON_CALL });
    expect(reply).toContain('leaked deploy keys');
    reply = await ask('list');
    expect(reply).toContain('leaked deploy keys');

    // The Home tab: the same.
    await homeOf(OUTSIDER, 'leaked deploy keys', false);
    await homeOf(TEST_REPORTER_ID, 'leaked deploy keys', true);

    // The status page: a SEV-1 is public by default, but not a private one.
    const status = await (await fetch(`${bot.baseUrl}/status.json`)).text();
    expect(status).toContain('checkout is slow');
    expect(status).not.toContain('leaked deploy keys');
    expect(status).not.toContain('unauthorized access');

    // Every message, update, ephemeral and Home tab the bot sent: anything about a private incident went only to its
    // channel or to people in its channel.
    const secrets = [keys, security].map((i) => ({
      channel: i.channel,
      words: [i.channel.id, i === keys ? 'leaked deploy keys' : 'unauthorized access'],
    }));
    const checked = ['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'views.publish'].flatMap((m) =>
      bot.fake.callsTo(m).map((c) => ({ m, args: c.args })),
    );
    expect(checked.length).toBeGreaterThan(10);
    for (const { m, args } of checked) {
      const body = JSON.stringify(args).toLowerCase();
      for (const s of secrets) {
        if (!s.words.some((w) => body.includes(w.toLowerCase()))) continue;
        const to = String(m === 'views.publish' ? args.user_id : args.channel);
        const where = m === 'chat.postEphemeral' ? String(args.user) : to;
        const allowed = where === s.channel.id || s.channel.members.has(where);
        expect(allowed, `${m} to ${where} mentions ${s.words[1]}`).toBe(true);
      }
    }
  });

  it('is made public by an explicit, confirmed, recorded action; then announced with Join and listed', async () => {
    const { rows } = await bot.db.query<{ id: number; channel_id: string }>(
      "SELECT id, channel_id FROM incidents WHERE title = 'leaked deploy keys'",
    );
    const incident = { id: Number(rows[0]!.id), channelId: rows[0]!.channel_id };
    // A public incident is never made private, whatever writes to the database.
    const open = await bot.db.query<{ id: number }>("SELECT id FROM incidents WHERE title = 'checkout is slow'");
    await expect(bot.db.query('UPDATE incidents SET private = true WHERE id = $1', [open.rows[0]!.id])).rejects.toThrow(
      /never made private/,
    );

    const offer = await ask('public', { channel_id: incident.channelId });
    expect(offer).toContain(ACTION.makePublic);
    expect(offer).toContain('stays private');
    // Nothing happened yet: the offer is only to the person who asked.
    expect((await bot.db.query('SELECT private FROM incidents WHERE id = $1', [incident.id])).rows[0]).toEqual({
      private: true,
    });

    const posted = bot.fake.callsTo('chat.postMessage').length;
    await bot.click({
      channelId: incident.channelId,
      messageTs: '1.000',
      actionId: ACTION.makePublic,
      value: String(incident.id),
    });
    const announced = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && JSON.stringify(c.args).includes('leaked deploy keys'),
    );
    expect(JSON.stringify(announced.args)).toContain(ACTION.joinIncident);
    expect(bot.fake.callsTo('chat.postMessage').length).toBeGreaterThan(posted);
    const events = await bot.db.query<{ kind: string; actor_id: string }>(
      "SELECT kind, actor_id FROM incident_events WHERE incident_id = $1 AND kind = 'made_public'",
      [incident.id],
    );
    expect(events.rows).toEqual([{ kind: 'made_public', actor_id: TEST_REPORTER_ID }]);

    // Listed for everyone now; the channel stays private, and Join invites whoever clicks it.
    expect(await ask('list', { user_id: OUTSIDER })).toContain('leaked deploy keys');
    await bot.click({
      channelId: INCIDENTS_CHANNEL_ID,
      messageTs: String(announced.args.ts ?? '1.000'),
      actionId: ACTION.joinIncident,
      value: String(incident.id),
      userId: OUTSIDER,
    });
    await bot.fake.waitFor(
      'conversations.invite',
      (c) => c.args.channel === incident.channelId && c.args.users === OUTSIDER,
    );
    expect(bot.fake.channels.get(incident.channelId)!.isPrivate).toBe(true);

    // Asking again says it is public already.
    expect(await ask('public', { channel_id: incident.channelId })).toContain('public already');
  });
});
