import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_RUNBOOK_FILE, parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, FLAG, INPUT, VIEW } from '../../src/templates/ids.js';
import { NO_RUNBOOK_UPDATE } from '../../src/templates/postmortem-modal.js';
import {
  ALERTS_ENV,
  alertmanagerAlert,
  alertmanagerGroup,
  genericAlert,
  postAlerts,
} from '../support/alert-request.js';
import {
  alertRunbookData,
  declareFormPrivate,
  inboxDone,
  incidentsOfSource,
  waitUntil,
} from '../support/alert-runbook.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, startBot } from '../support/bot-harness.js';
import { declareThroughBot, postStatusUpdate } from '../support/incident-flow.js';
import { makeAppHomeOpened, stateValue, TEST_REPORTER_ID, TEST_TEAM_ID } from '../support/slack-request.js';
import { testRunbookData, UNAUTHORIZED_ACCESS_PLAYBOOK } from '../support/test-runbook.js';

const OUTSIDER = 'U0OUTSIDER';
const OWNER = 'U0ITEMOWNER';
const ADMIN_TOKEN = 'admin-token-for-private-incidents';
const ON_CALL = 'U0ONCALL';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The runbook of the tests, with a security playbook (its titles declare private incidents) and notices on. */
const runbook = parseRunbook({
  ...testRunbookData(),
  playbooks: { 'unauthorized-access': UNAUTHORIZED_ACCESS_PLAYBOOK },
  private_incidents: { announce: 'notice' },
});

/** A private incident and the words that name it (its channel id, title, number as said in messages). */
interface Secret {
  channel: { id: string; members: Set<string> };
  words: string[];
}

/**
 * Every message, update, ephemeral, Home tab and file the bot sent: anything naming a private incident went only to
 * its channel or to people in its channel. Returns how many calls were checked.
 */
function expectNoLeaks(bot: BotHarness, secrets: Secret[]): number {
  const methods = [
    'chat.postMessage',
    'chat.update',
    'chat.postEphemeral',
    'views.publish',
    'files.completeUploadExternal',
  ];
  const checked = methods.flatMap((m) => bot.fake.callsTo(m).map((c) => ({ m, args: c.args })));
  for (const { m, args } of checked) {
    const body = JSON.stringify(args).toLowerCase();
    for (const s of secrets) {
      const named = s.words.find((w) => body.includes(w.toLowerCase()));
      if (!named) continue;
      const where =
        m === 'views.publish'
          ? String(args.user_id)
          : m === 'chat.postEphemeral'
            ? String(args.user)
            : m === 'files.completeUploadExternal'
              ? String(args.channel_id)
              : String(args.channel);
      // A direct message updated (a page once answered) is named by its conversation: its person is who reads it.
      const reader = bot.fake.workspace.dmUser(where) ?? where;
      const allowed = where === s.channel.id || s.channel.members.has(reader);
      expect(allowed, `${m} to ${where} names "${named}"`).toBe(true);
    }
  }
  return checked.length;
}

describe('private (security) incidents', () => {
  let bot: BotHarness;

  beforeAll(async () => {
    bot = await startBot({ incidentsChannel: true, runbook, env: { ADMIN_TOKEN } });
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

  let securityIncident: Awaited<ReturnType<typeof declare>>;
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
    securityIncident = security;
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
    expect(expectNoLeaks(bot, secrets)).toBeGreaterThan(10);
  });

  it("lets an action item's owner into the channel (recorded); its post-mortem is posted there and nowhere else", async () => {
    const security = securityIncident;
    const inChannel = { channel_id: security.channel.id };
    expect(security.channel.members.has(OWNER)).toBe(false);
    await bot.command(`action Rotate the admin console keys <@${OWNER}> 2099-01-01`, inChannel);
    await bot.fake.waitFor(
      'conversations.invite',
      (c) => c.args.channel === security.channel.id && c.args.users === OWNER,
    );
    // Invited before the direct message naming the incident.
    const dm = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === OWNER);
    expect(JSON.stringify(dm.args)).toContain('unauthorized access');
    expect(security.channel.members.has(OWNER)).toBe(true);
    const members = await bot.db.query('SELECT user_id FROM incident_members WHERE incident_id = $1', [security.id]);
    expect(members.rows).toEqual([{ user_id: OWNER }]);
    const added = await bot.db.query<{ actor_id: string; details: Record<string, unknown> }>(
      "SELECT actor_id, details FROM incident_events WHERE incident_id = $1 AND kind = 'member_added'",
      [security.id],
    );
    expect(added.rows).toEqual([{ actor_id: TEST_REPORTER_ID, details: { userId: OWNER, why: 'action_item_owner' } }]);
    // Another item for the same owner invites nobody again and records nothing more.
    const invites = bot.fake.callsTo('conversations.invite').length;
    await bot.command(`action Review the admin console's access log <@${OWNER}>`, inChannel);
    await bot.fake.waitForCount('chat.postMessage', 2, (c) => c.args.channel === OWNER);
    expect(
      (
        await bot.db.query("SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = 'member_added'", [
          security.id,
        ])
      ).rows,
    ).toHaveLength(1);
    expect(bot.fake.callsTo('conversations.invite').length).toBeLessThanOrEqual(invites + 1);

    // `/incident actions` lists open items across incidents: a private incident's only to its people.
    const outsiders = await ask('actions', { user_id: OUTSIDER });
    expect(outsiders).not.toContain('Rotate the admin console keys');
    expect(outsiders).not.toContain('unauthorized access');
    expect(outsiders).not.toContain(security.channel.id);
    expect(await ask('actions', { user_id: OWNER })).toContain('Rotate the admin console keys');
    expect(await ask('actions')).toContain('unauthorized access');

    // The post-mortem: written in the channel, posted as a file there only; served to the admin token.
    const opens = bot.fake.callsTo('views.open').length;
    await bot.command('postmortem', inChannel);
    const opened = (await bot.fake.waitForCount('views.open', opens + 1)).at(-1)!;
    const view = opened.args.view as { private_metadata: string };
    const submitted = await bot.submit({
      callbackId: VIEW.postmortem,
      privateMetadata: view.private_metadata,
      viewId: 'VPRIVPM01',
      values: {
        [BLOCK.pmRootCause]: { [INPUT.text]: stateValue.plainText('A leaked admin session cookie') },
        [BLOCK.pmFactors]: { [INPUT.text]: stateValue.plainText('No session binding') },
        [BLOCK.pmWentWell]: { [INPUT.text]: stateValue.plainText('Sessions revoked within minutes') },
        [BLOCK.pmWentBadly]: { [INPUT.text]: stateValue.plainText('Detection took an hour') },
        [BLOCK.pmRunbook]: { [INPUT.select]: stateValue.staticSelect(NO_RUNBOOK_UPDATE) },
        [BLOCK.pmItems]: { [INPUT.text]: stateValue.plainText('') },
      },
    });
    expect(submitted.status).toBe(200);
    const file = await bot.fake.waitFor('files.completeUploadExternal');
    expect(file.args.channel_id).toBe(security.channel.id);
    expect(bot.fake.callsTo('files.completeUploadExternal')).toHaveLength(1);
    const doc = await fetch(`${bot.baseUrl}/incidents/${TEST_TEAM_ID}/${security.number}/postmortem.md`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(doc.status).toBe(200);
    expect(await doc.text()).toContain('unauthorized access on the admin console');
    expect((await fetch(`${bot.baseUrl}/incidents/${TEST_TEAM_ID}/${security.number}/postmortem.md`)).status).toBe(401);
    await sleep(300);

    // Nothing of it reached anyone outside the channel.
    expectNoLeaks(bot, [{ channel: security.channel, words: [security.channel.id, 'unauthorized access'] }]);
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

  it('a public incident is not renamed to a security title; a private one is, told in its channel only', async () => {
    const open = await declare('sev3 slow dashboards', OUTSIDER);
    const refused = await ask('rename unauthorized access on the admin console', {
      channel_id: open.channel.id,
      user_id: OUTSIDER,
    });
    expect(refused).toMatch(/reads as a security incident.*--private/);
    const title = async (id: number) =>
      (await bot.db.query<{ title: string }>('SELECT title FROM incidents WHERE id = $1', [id])).rows[0]!.title;
    expect(await title(open.id)).toBe('slow dashboards');

    const secret = await declare('sev1 --private odd logins');
    // On-call is paged, then invited: once invited, the declaration's page has gone out.
    await waitUntil('on-call invited to the private channel', async () => secret.channel.members.has(ON_CALL));
    bot.fake.reset();
    await bot.command('rename unauthorized access from a leaked key', { channel_id: secret.channel.id });
    // The rename's own notice: a message of the declaration (a page's notice) may still come to the channel first.
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === secret.channel.id && /renamed incident/.test(String(c.args.text)),
    );
    expect(await title(secret.id)).toBe('unauthorized access from a leaked key');
    await sleep(300);
    // The declaration's page may reach on-call after the rename, with the new title: on-call is a responder (invited
    // to the channel), and a direct message to a member of the channel is not elsewhere.
    const elsewhere = bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel !== secret.channel.id && !secret.channel.members.has(String(c.args.channel)))
      .map((c) => c.args);
    expect(JSON.stringify(elsewhere)).not.toContain('leaked key');
  });
});

describe("private incidents with the bundled runbook's announce: none", () => {
  let bot: BotHarness;
  let bundled: Record<string, unknown>;

  beforeAll(async () => {
    bundled = parseYaml(await readFile(DEFAULT_RUNBOOK_FILE, 'utf8')) as Record<string, unknown>;
    // The bundled file's security playbooks and private_incidents section; the test runbook's contacts and times.
    const runbook = parseRunbook({
      ...testRunbookData(),
      playbooks: bundled.playbooks,
      private_incidents: bundled.private_incidents,
    });
    expect(runbook.privateIncidents.announce).toBe('none');
    bot = await startBot({ incidentsChannel: true, runbook });
  });
  afterAll(async () => {
    await sleep(300);
    await bot?.stop();
  });

  it('the incidents channel gets nothing of them; a status update reminder goes to the private channel only', async () => {
    const declare = async (text: string, user = TEST_REPORTER_ID) => {
      const opened = await declareThroughBot(bot, text, user);
      const { rows } = await bot.db.query<{ private: boolean }>('SELECT private FROM incidents WHERE id = $1', [
        opened.incidentId,
      ]);
      return { ...opened, private: rows[0]!.private, channel: bot.fake.channels.get(opened.channelId)! };
    };
    const keys = await declare('sev1 --private leaked deploy keys');
    const security = await declare('sev2 unauthorized access to the admin console');
    const open = await declare('sev1 checkout is slow', OUTSIDER);
    expect([keys.private, security.private, open.private]).toEqual([true, true, false]);

    // A status update on the security incident, its next one promised in 4 s (a time already passed when the form
    // reaches the bot, on a busy machine, would be refused): the commander is reminded when it passes, in the private
    // channel.
    await bot.command('ack', { channel_id: security.channelId, user_id: TEST_REPORTER_ID });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === security.channelId && /acknowledged the incident/.test(String(c.args.text)),
    );
    await postStatusUpdate(bot, security, {
      affected: 'admin console',
      impact: 'sessions at risk',
      currentStatus: 'revoking sessions',
      next: Math.floor(Date.now() / 1000) + 4,
    });
    const reminder = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => /the next status update was due/.test(String(c.args.text)),
      20_000,
    );
    expect(reminder.args.channel).toBe(security.channelId);
    expect(String(reminder.args.text)).toContain(`<@${TEST_REPORTER_ID}>`);
    await sleep(300);

    // The incidents channel heard of the public incident only: no notice, title or channel of a private one.
    const inIncidents = bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID);
    expect(inIncidents.length).toBeGreaterThan(0);
    for (const c of inIncidents) expect(JSON.stringify(c.args)).toContain('checkout is slow');
    expect(JSON.stringify(inIncidents.map((c) => c.args))).not.toMatch(/private incident/i);
    // Nothing that names them reached anyone outside their channels.
    const secrets = [
      { channel: keys.channel, words: [keys.channelId, 'leaked deploy keys'] },
      { channel: security.channel, words: [security.channelId, 'unauthorized access', 'sessions at risk'] },
    ];
    expect(expectNoLeaks(bot, secrets)).toBeGreaterThan(5);
  });
});

describe('alerts that lead to private incidents', () => {
  let bot: BotHarness;
  const alertsRunbook = parseRunbook({ ...alertRunbookData(), private_incidents: { announce: 'notice' } });
  const post = (over: Record<string, unknown>) => postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(over));

  beforeAll(async () => {
    bot = await startBot({ incidentsChannel: true, runbook: alertsRunbook, env: { ...ALERTS_ENV } });
  });
  afterAll(async () => {
    await sleep(300);
    await bot?.stop();
  });

  it('never names the incident in the incidents channel, to outsiders, on the status page or Home tabs', async () => {
    // A critical alert with a security title opens a private incident.
    await post({
      source: 'auth-monitor',
      key: 'admin-logins',
      summary: 'Suspicious login attempts on the admin console',
    });
    const [critical] = await waitUntil('the private alert incident', async () => {
      const list = await incidentsOfSource(bot.db, 'auth-monitor');
      return list[0]?.card_ts ? list : null;
    });
    const criticalRow = await bot.db.query('SELECT private FROM incidents WHERE id = $1', [critical!.id]);
    expect(criticalRow.rows[0]).toEqual({ private: true });

    // A warning: its notice, then Declare incident with the form's Private box ticked (a title that is not a
    // security one: the box alone makes it private).
    await post({
      source: 'export-monitor',
      key: 'export-errors',
      level: 'warning',
      value: '7%',
      threshold: '> 5%',
      summary: 'Error rate above 5% on the export API',
    });
    await inboxDone(bot.db);
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && JSON.stringify(c.args).includes('export API'),
    );
    const actions = notice.args.blocks.find((b: { type: string }) => b.type === 'actions');
    const button = actions.elements[0];
    await bot.click({
      channelId: INCIDENTS_CHANNEL_ID,
      messageTs: notice.response!.ts,
      actionId: ACTION.declareFromAlert,
      blockId: actions.block_id,
      value: button.value,
    });
    const opened = await bot.fake.waitFor('views.open');
    const view = opened.args.view;
    expect(JSON.stringify(view.blocks)).toContain(BLOCK.declarePrivate);
    const submitted = await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: view.private_metadata,
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect('2') },
        [BLOCK.declareTitle]: { [INPUT.text]: stateValue.plainText('export API returns other tenants rows') },
        [BLOCK.declarePrivate]: { [INPUT.checks]: stateValue.checkboxes([{ value: FLAG.private }]) },
      },
    });
    expect(submitted.status).toBe(200);
    const [declared] = await waitUntil('the incident declared from the warning', async () => {
      const list = await incidentsOfSource(bot.db, 'export-monitor');
      return list[0]?.card_ts ? list : null;
    });
    const declaredRow = await bot.db.query('SELECT private FROM incidents WHERE id = $1', [declared!.id]);
    expect(declaredRow.rows[0]).toEqual({ private: true });
    expect(bot.fake.channels.get(declared!.channel_id)!.isPrivate).toBe(true);

    // The notice says a private incident was declared, and names nothing of it.
    await waitUntil('the notice to be updated', async () =>
      JSON.stringify(bot.fake.message(INCIDENTS_CHANNEL_ID, notice.response!.ts)?.blocks).includes(
        'a private incident was declared from this alert',
      ),
    );
    const updated = JSON.stringify(bot.fake.message(INCIDENTS_CHANNEL_ID, notice.response!.ts)?.blocks);
    expect(updated).not.toContain(`#${declared!.number}`);
    expect(updated).not.toContain(declared!.channel_id);
    expect(updated).not.toContain(ACTION.declareFromAlert);

    // An outsider clicking an old copy of the button is told it is in a private incident, not which.
    const replies = bot.replies().length;
    await bot.click({
      channelId: INCIDENTS_CHANNEL_ID,
      messageTs: notice.response!.ts,
      actionId: ACTION.declareFromAlert,
      blockId: actions.block_id,
      value: button.value,
      userId: OUTSIDER,
    });
    const answer = await waitUntil('the answer to the outsider', async () => bot.replies()[replies]);
    expect(answer.text).toContain('private incident');
    expect(JSON.stringify(answer)).not.toContain(declared!.channel_id);
    expect(JSON.stringify(answer)).not.toContain(`#${declared!.number}`);

    // The alerts are listed in the incident's own channel only (`/incident alerts` works there alone).
    const key = 'alerts-outside';
    await bot.command('alerts', { user_id: OUTSIDER, response_url: bot.fake.responseUrl(key) });
    const outside = await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === key);
    expect(JSON.stringify(outside.args)).not.toContain('export API returns');
    // Outside an incident channel it lists what fires: the security alert only as an alert of a private incident.
    expect(JSON.stringify(outside.args)).not.toContain('Suspicious login');
    expect(JSON.stringify(outside.args)).toContain('An alert* · firing');
    expect(JSON.stringify(outside.args)).toContain('→ a private incident');
    // Words that its alert holds do not find it: which words it holds is what it is private for.
    for (const [i, words] of ['suspicious', 'login firing', 'critical'].entries()) {
      const k = `alerts-words-${i}`;
      await bot.command(`alerts ${words}`, { user_id: OUTSIDER, response_url: bot.fake.responseUrl(k) });
      const found = JSON.stringify(
        (await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === k)).args,
      );
      expect(found, words).not.toContain('Suspicious login');
      expect(found, words).not.toContain('a private incident');
      expect(found, words).toContain(`No alert firing now holds “${words}”`);
    }

    // Status page and an outsider's Home tab: nothing of either.
    const status = await (await fetch(`${bot.baseUrl}/status.json`)).text();
    for (const word of ['Suspicious login', 'export API returns', critical!.channel_id, declared!.channel_id]) {
      expect(status).not.toContain(word);
    }
    const before = bot.fake.homeTabs.get(OUTSIDER)?.publishes ?? 0;
    await bot.event(makeAppHomeOpened(OUTSIDER));
    const tab = await waitUntil('the outsider Home tab', async () => {
      const t = bot.fake.homeTabs.get(OUTSIDER);
      return t && t.publishes > before ? t : null;
    });
    expect(JSON.stringify(tab.view)).not.toContain('export API returns');
    expect(JSON.stringify(tab.view)).not.toContain('Suspicious login');
    await sleep(300);

    // Everything the bot sent: what names either incident went to its channel or its people.
    const channelOf = (id: string) => bot.fake.channels.get(id)!;
    const n = expectNoLeaks(bot, [
      {
        channel: channelOf(critical!.channel_id),
        words: [critical!.channel_id, 'Suspicious login attempts on the admin console'],
      },
      { channel: channelOf(declared!.channel_id), words: [declared!.channel_id, 'export API returns'] },
    ]);
    expect(n).toBeGreaterThan(5);
  });
});

describe('an alert whose runbook row points at a security playbook', () => {
  let bot: BotHarness;
  /** A row of an operator's own: request spikes are handled as a DDoS attack (a security playbook). */
  const SPIKE_ROW = {
    name: 'TrafficSpike',
    metric: 'request_spike',
    threshold: '> 10x normal',
    level: 'critical',
    action: 'Check the edge, block abusive sources',
    playbook: 'ddos-attack',
    severity: 'SEV-1',
  };
  beforeAll(async () => {
    const data = alertRunbookData();
    bot = await startBot({
      incidentsChannel: true,
      runbook: parseRunbook({ ...data, alerts: [...data.alerts, SPIKE_ROW] }),
      env: { ...ALERTS_ENV },
    });
  });
  afterAll(async () => bot?.stop());

  it("a security warning's Declare incident opens the form with Private ticked", async () => {
    await postAlerts(
      bot.baseUrl,
      '/hooks/alerts',
      genericAlert({
        source: 'falco',
        key: 'bastion-logins',
        level: 'warning',
        summary: 'Suspicious login attempts on the bastion host',
      }),
    );
    // Its notice whole goes to on-call (the incidents channel hears only that a security alert fired).
    const notice = await waitUntil('the notice', async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .find((c) => c.args.channel === ON_CALL && JSON.stringify(c.args).includes('bastion')),
    );
    expect(await declareFormPrivate(bot, notice)).toBe(true);
  });

  it('opens a private incident, although its summary reads as no security matter', async () => {
    await postAlerts(
      bot.baseUrl,
      '/hooks/alerts',
      genericAlert({
        source: 'edge',
        key: 'spike',
        metric: 'request_spike',
        summary: 'Requests 15x normal on api-service',
      }),
    );
    const [incident] = await waitUntil('the alert incident', async () => {
      const list = await incidentsOfSource(bot.db, 'edge');
      return list[0]?.card_ts ? list : null;
    });
    const { rows } = await bot.db.query<{ private: boolean }>('SELECT private FROM incidents WHERE id = $1', [
      incident!.id,
    ]);
    expect(rows[0]).toEqual({ private: true });
    // Its playbook is the row's; nothing of it in the incidents channel.
    await sleep(300);
    const announced = bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && JSON.stringify(c.args).includes('15x normal'));
    expect(announced).toEqual([]);
  });
});

describe('an Alertmanager group with a security alert in it', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ incidentsChannel: true, runbook: parseRunbook(alertRunbookData()), env: { ...ALERTS_ENV } });
  });
  afterAll(async () => {
    await sleep(300);
    await bot?.stop();
  });
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const group = (alerts: { name: string; summary: string }[]) =>
    alertmanagerGroup(
      '{}:{service="admin"}',
      alerts.map((a) =>
        alertmanagerAlert(
          a.name,
          { alertname: a.name, service: 'admin', severity: 'critical' },
          { summary: a.summary },
          { startsAt },
        ),
      ),
    );
  const errors = { name: 'AdminErrors', summary: 'Admin console 5xx rate high' };
  const logins = {
    name: 'AdminLoginAnomaly',
    summary: 'Suspicious login attempts on the admin console from 203.0.113.7',
  };
  const latency = { name: 'AdminLatency', summary: 'Admin console p95 above 3s' };
  const hook = '/hooks/alertmanager?source=admin-am';

  it("a security alert joining its group's public incident opens a private one instead; the group's next new alert joins the private one (it may name the host), those already in the public one stay", async () => {
    expect((await postAlerts(bot.baseUrl, hook, group([errors]))).status).toBe(202);
    const open = await waitUntil('the public incident', async () =>
      (await incidentsOfSource(bot.db, 'admin-am')).find((i) => i.card_ts),
    );
    expect((await postAlerts(bot.baseUrl, hook, group([errors, logins]))).status).toBe(202);
    await inboxDone(bot.db);
    const list = await waitUntil('the private incident', async () => {
      const l = await incidentsOfSource(bot.db, 'admin-am');
      return l.length === 2 && l[1]?.card_ts ? l : null;
    });
    const secret = list.find((i) => i.id !== open.id)!;
    const { rows } = await bot.db.query<{ id: number; private: boolean }>(
      'SELECT id, private FROM incidents WHERE id = ANY($1) ORDER BY id',
      [[open.id, secret.id]],
    );
    expect(rows.map((r) => [Number(r.id), r.private])).toEqual([
      [open.id, false],
      [secret.id, true],
    ]);
    expect((await postAlerts(bot.baseUrl, hook, group([errors, logins, latency]))).status).toBe(202);
    await inboxDone(bot.db);
    const where = async (fingerprint: string) => {
      const { rows: r } = await bot.db.query<{ incident_id: number }>(
        `SELECT ai.incident_id FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
         WHERE a.source = 'admin-am' AND a.fingerprint = $1`,
        [fingerprint],
      );
      return r.map((x) => Number(x.incident_id));
    };
    expect(await where('AdminErrors')).toEqual([open.id]);
    expect(await where('AdminLoginAnomaly')).toEqual([secret.id]);
    expect(await where('AdminLatency')).toEqual([secret.id]);
    await sleep(1000);
    // Nothing of the security alert outside its private channel (pages go to people).
    const posted = JSON.stringify(
      [...bot.fake.callsTo('chat.postMessage'), ...bot.fake.callsTo('chat.update')]
        .filter((c) => String(c.args.channel).startsWith('C') && c.args.channel !== secret.channel_id)
        .map((c) => c.args),
    );
    expect(posted).not.toContain('203.0.113.7');
  }, 30_000);
});

describe('a storm of alerts with a security alert in it', () => {
  let bot: BotHarness;
  const post = (over: Record<string, unknown>) => postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(over));

  beforeAll(async () => {
    bot = await startBot({
      incidentsChannel: true,
      runbook: parseRunbook(alertRunbookData()),
      env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '1' },
    });
  });
  afterAll(async () => {
    await sleep(300);
    await bot?.stop();
  });

  it('a security alert past the storm cap opens a private incident rather than joining a public one', async () => {
    await post({ source: 'edge', key: 'errors', summary: 'Error rate above 10% on api-service' });
    await waitUntil('the public alert incident', async () => {
      const list = await incidentsOfSource(bot.db, 'edge');
      return list[0]?.card_ts ? list : null;
    });
    // Past the cap of one: an ordinary alert joins the open incident, as storm control says.
    await post({ source: 'edge', key: 'latency', metric: 'p95_latency', summary: 'p95 latency above 2s' });
    await inboxDone(bot.db);
    expect(await incidentsOfSource(bot.db, 'edge')).toHaveLength(1);

    await post({ source: 'edge', key: 'admin-logins', summary: 'Suspicious login attempts on the admin console' });
    await inboxDone(bot.db);
    const list = await waitUntil('the private alert incident', async () => {
      const l = await incidentsOfSource(bot.db, 'edge');
      return l.length === 2 && l[1]?.card_ts ? l : null;
    });
    const [open, secret] = list;
    const { rows } = await bot.db.query<{ id: number; private: boolean }>(
      'SELECT id, private FROM incidents WHERE id = ANY($1) ORDER BY id',
      [[open!.id, secret!.id]],
    );
    expect(rows.map((r) => r.private)).toEqual([false, true]);
    const alerts = await bot.db.query<{ incident_id: number }>(
      `SELECT ai.incident_id FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
       WHERE a.source = 'edge' AND a.fingerprint = 'admin-logins'`,
    );
    expect(alerts.rows.map((r) => Number(r.incident_id))).toEqual([secret!.id]);
    await sleep(1500);
    // Nothing of it in the public incident's channel, its card, or the incidents channel (pages go to people).
    const posted = JSON.stringify(
      [...bot.fake.callsTo('chat.postMessage'), ...bot.fake.callsTo('chat.update')]
        .filter((c) => String(c.args.channel).startsWith('C') && c.args.channel !== secret!.channel_id)
        .map((c) => c.args),
    );
    expect(posted).not.toContain('Suspicious login');
  }, 30_000);

  it('past the cap, an ordinary alert joins the public incident and not the later private one (hidden there from everyone else); a security alert joins the private one', async () => {
    const before = await incidentsOfSource(bot.db, 'edge');
    expect(before).toHaveLength(2);
    const [open, secret] = before;
    await post({
      source: 'edge',
      key: 'payments',
      metric: 'payments_5xx',
      summary: 'Payments API returning 503 for all customers',
    });
    await post({
      source: 'edge',
      key: 'vpn-logins',
      metric: 'vpn_logins',
      summary: 'Suspicious login attempts on the VPN',
    });
    await inboxDone(bot.db);
    await sleep(500);
    expect(await incidentsOfSource(bot.db, 'edge')).toHaveLength(2);
    const incidentOf = async (key: string) => {
      const { rows } = await bot.db.query<{ incident_id: number }>(
        `SELECT ai.incident_id FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
         WHERE a.source = 'edge' AND a.fingerprint = $1`,
        [key],
      );
      return rows.map((r) => Number(r.incident_id));
    };
    expect(await incidentOf('payments')).toEqual([open!.id]);
    expect(await incidentOf('vpn-logins')).toEqual([secret!.id]);
  }, 30_000);
});
