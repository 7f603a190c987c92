import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { encodeModalMetadata } from '../../src/templates/payloads.js';
import { utcSeconds } from '../../src/templates/postmortem-markdown.js';
import { NO_RUNBOOK_UPDATE } from '../../src/templates/postmortem-modal.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { stateValue, TEST_REPORTER_ID, TEST_TEAM_ID } from '../support/slack-request.js';
import { statusFormValues } from '../support/status-form.js';
import { testRunbookData } from '../support/test-runbook.js';

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
const ADMIN_TOKEN = 'admin-token-for-the-postmortem-test';
const RESPONDER = 'U0RESPONDER';
const OWNER = 'U0OWNER';
const ALICE = 'U0ALICE';
const SECRET = 'sk-proj-Xq3TbV9mK2pL7wR4nZ8cY1hF6dJ0sA5gE';
const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});

const runbook = () =>
  parseRunbook({
    ...testRunbookData(),
    access: { responders: [RESPONDER], approvers: [] },
    playbooks: {
      'db-connection': {
        title: 'Database Connection Failures',
        kind: 'incident',
        match: ['db down'],
        detection: [{ text: 'Check the app status', run: ['atom-cli', 'status'], timeout: '5s' }],
      },
    },
    postmortem: {
      checklist: [
        { text: 'Document incident timeline', done_when: 'timeline' },
        { text: 'Identify root cause', done_when: 'root_cause' },
        { text: 'Create action items', done_when: 'action_items' },
        { text: 'Update runbook if needed', done_when: 'runbook' },
      ],
    },
  });

/** The rows of the table under `## heading` of a Markdown document, cells split on unescaped pipes. */
function tableRows(md: string, heading: string): string[][] {
  const part = md.split(`## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';
  return part
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .slice(2)
    .map((l) =>
      l
        .slice(2, -2)
        .split(/(?<!\\) \| /)
        .map((c) => c.trim()),
    );
}

/** What the document's "What" column says for each kind of event the script records. */
const WHAT: Record<string, RegExp> = {
  declared: /^Declared SEV-2 \(Medium\): db down after deploy$/,
  channel_created: /^Channel #inc-\d+-db-down-after-deploy created$/,
  paged:
    /^Paged (On-Call Engineer \(.*U0ONCALL\)\)|Senior DevOps Engineer \(.*U0SENIOR\)\)|Engineering Manager \(.*U0MANAGER\)\)) because /,
  playbook_attached: /^Suggested the playbook Database Connection Failures$/,
  severity_changed: /^Severity SEV-2 \(Medium\) → SEV-1 \(High\)$/,
  acknowledged: /^Acknowledged and became commander$/,
  phase_changed: /^Phase \w[\w-]* → \w[\w-]*$/,
  escalation_requested: /^Escalated to Senior DevOps Engineer$/,
  status_update:
    /^Status update \(Investigating\), published to the status page: Pool exhausted on node 1; affected: EU tenants; impact: 500 errors; customer impact; next update promised \d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
  step_run:
    /^(Ran `atom-cli status` \(Database Connection Failures, step Detection 1\): succeeded, exit 0, [\d.]+ m?s|Ran `atom-cli deployments` \(Roll back a deployment, step Detection 1\): succeeded, exit 0, [\d.]+ m?s|Rolled back: `atom-cli rollback v57`, succeeded, exit 0, [\d.]+ m?s|Post-deployment check `.+`: succeeded(, exit 0)?, [\d.]+ m?s)$/,
  rollback_verified: /^Rollback to `v57`: verification (passed|failed|not checked in full)\b.*$/,
  resolved: /^Resolved: rolled back to v57$/,
  action_item_added:
    /^Added action item: (Add pool monitoring \(owner .*U0OWNER\), due 2099-01-01 09:00:00\)|Alert on pool usage \(owner .*U0ALICE\), due .+\))$/,
};

describe('a scripted incident, from declare to its post-mortem', () => {
  let bot: BotHarness;
  let health: Server;
  let dir: string;
  let channelId: string;
  let cardTs: string;
  let playbookTs: string;
  let incidentId: number;
  let number: number;

  const inChannel = (text: string, userId = TEST_REPORTER_ID) =>
    bot.command(text, { channel_id: channelId, user_id: userId });
  const card = () => ({ id: incidentId, channelId, cardTs });
  const events = async () =>
    (
      await bot.db.query<{
        id: number;
        kind: string;
        actor_id: string | null;
        at: Date;
        details: Record<string, unknown>;
      }>('SELECT id, kind, actor_id, at, details FROM incident_events WHERE incident_id = $1 ORDER BY at, id', [
        incidentId,
      ])
    ).rows;
  /** Waits until the incident's timeline holds `n` events of `kind`. */
  const recorded = async (kind: string, n = 1, ms = 30_000) => {
    const until = Date.now() + ms;
    for (;;) {
      const got = (await events()).filter((e) => e.kind === kind).length;
      if (got >= n) return;
      if (Date.now() > until) throw new Error(`timed out waiting for ${n} ${kind} event(s); got ${got}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const get = (path: string, token: string | null = ADMIN_TOKEN) =>
    fetch(`${bot.baseUrl}${path}`, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
  const docPath = () => `/incidents/${TEST_TEAM_ID}/${number}/postmortem.md`;

  /** Opens the post-mortem form (button or command) and returns its private metadata and what it shows. */
  async function openForm(open: () => Promise<unknown>) {
    const before = bot.fake.callsTo('views.open').length;
    await open();
    const [, call] = [before, (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!];
    const view = call.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(VIEW.postmortem);
    return { meta: view.private_metadata, shown: JSON.stringify(view) };
  }

  const submitForm = (meta: string, rootCause: string, items: string, viewId: string) =>
    bot.submit({
      callbackId: VIEW.postmortem,
      privateMetadata: meta,
      userId: RESPONDER,
      viewId,
      values: {
        [BLOCK.pmRootCause]: { [INPUT.text]: stateValue.plainText(rootCause) },
        [BLOCK.pmFactors]: { [INPUT.text]: stateValue.plainText('No alert on pool usage') },
        [BLOCK.pmWentWell]: { [INPUT.text]: stateValue.plainText('The rollback took two minutes') },
        [BLOCK.pmWentBadly]: { [INPUT.text]: stateValue.plainText(`A key was pasted: OPENAI_API_KEY=${SECRET}`) },
        [BLOCK.pmRunbook]: { [INPUT.select]: stateValue.staticSelect(NO_RUNBOOK_UPDATE) },
        [BLOCK.pmItems]: { [INPUT.text]: stateValue.plainText(items) },
      },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bot-pm-'));
    health = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    });
    await new Promise<void>((r) => health.listen(0, '127.0.0.1', () => r()));
    bot = await startBot({
      runbook: runbook(),
      env: {
        ADMIN_TOKEN,
        ATOM_CLI,
        HEALTH_BASE_URL: `http://127.0.0.1:${(health.address() as AddressInfo).port}`,
      },
    });
    bot.fake.addUser(ALICE, { name: 'alice', real_name: 'Alice Liddell' });
    bot.fake.addUser(OWNER, { name: 'owen', real_name: 'Owen Owner' });

    // Declare: channel, card, the suggested playbook, and on-call paged by the declare rule.
    await bot.command('sev2 db down after deploy');
    await bot.fake.waitFor('response_url');
    const created = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    channelId = bot.fake.channelByName(created.args.name as string)!.id;
    // The responder works in the channel (only people in it run its steps).
    bot.fake.channels.get(channelId)!.members.add(RESPONDER);
    const pb = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /^Playbook:/.test(String(c.args.text)),
    );
    playbookTs = (pb.response as { ts: string }).ts;
    const { rows } = await bot.db.query<{ id: number; number: number; card_ts: string }>(
      'SELECT id, number, card_ts FROM incidents WHERE channel_id = $1',
      [channelId],
    );
    incidentId = Number(rows[0]!.id);
    number = Number(rows[0]!.number);
    cardTs = rows[0]!.card_ts;
    await recorded('paged');
  });
  afterAll(async () => {
    await bot?.stop();
    await new Promise((r) => health?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the script: severity change, acknowledge, page, status update, step run, rollback, resolve', async () => {
    await inChannel('sev1', RESPONDER);
    await recorded('severity_changed');
    await bot.clickCard(card(), ACTION.acknowledge, RESPONDER);
    await recorded('acknowledged');
    await inChannel('escalate', RESPONDER);
    await recorded('paged', 2);

    await bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: encodeModalMetadata({ incidentId, channelId }),
      userId: RESPONDER,
      values: statusFormValues({
        affected: 'EU tenants',
        impact: '500 errors',
        currentStatus: 'Pool exhausted on node 1',
        flags: ['customer_impact'],
        publish: true,
      }),
    });
    await recorded('status_update');
    // Published: the status page shows the update's public text.
    const status = (await (await fetch(`${bot.baseUrl}/status.json`)).json()) as {
      active: { id: number; latestUpdate: { affected: string; currentImpact: string } | null }[];
    };
    expect(status.active.find((i) => i.id === incidentId)?.latestUpdate).toMatchObject({
      affected: 'EU tenants',
      currentImpact: '500 errors',
    });

    await bot.click({
      channelId,
      messageTs: playbookTs,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'db-connection', s: 'detection.0' }),
      userId: RESPONDER,
    });
    await recorded('step_run');

    await bot.clickCard(card(), ACTION.rollback, RESPONDER);
    const list = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === channelId && /Recent deployments/.test(String(m.args.text)),
      30_000,
    );
    await bot.click({
      channelId,
      messageTs: (list.response as { ts: string }).ts,
      actionId: ACTION.rollbackTo,
      value: 'v57',
      userId: RESPONDER,
    });
    await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === channelId && /Rolled back to|Rollback to/.test(String(m.args.text)),
      30_000,
    );

    await inChannel('resolve rolled back to v57', RESPONDER);
    await recorded('resolved');
    // The resolved card offers Write post-mortem.
    await bot.fake.waitFor(
      'chat.update',
      (c) => c.args.ts === cardTs && json(c).includes(ACTION.writePostmortem),
      30_000,
    );
  }, 120_000);

  it('Write post-mortem opens the form; the document is written from the record, posted as a file and served', async () => {
    const { meta } = await openForm(() => bot.clickCard(card(), ACTION.writePostmortem, RESPONDER));
    bot.fake.reset();
    const res = await submitForm(
      meta,
      'A connection leak in the worker pool, exposed by the v58 deploy',
      'Add pool monitoring <@U0OWNER> 2099-01-01\nAlert on pool usage @alice 3d',
      'VPM000001',
    );
    expect(res.status).toBe(200);
    expect(res.text).toBe('');

    // Posted in the incident channel as a file, with the upload API Slack uses today.
    const done = await bot.fake.waitFor('files.completeUploadExternal', undefined, 15_000);
    expect(done.args.channel_id).toBe(channelId);
    expect(bot.fake.callsTo('files.getUploadURLExternal')).toHaveLength(1);
    expect(bot.fake.callsTo('file_upload')).toHaveLength(1);
    const file = [...bot.fake.uploads.values()].find((u) => u.filename === `postmortem-incident-${number}-v1.md`)!;
    expect(file.completed).toBe(true);
    expect(file.channel).toBe(channelId);
    expect(file.initialComment).toContain(`<@${RESPONDER}> wrote the post-mortem of incident #${number} (version 1)`);
    expect(file.bytes).toBe(file.length);

    // Each owner is told, by direct message with a Done button.
    for (const owner of [OWNER, ALICE]) {
      const dm = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === owner);
      expect(json(dm)).toContain('made you the owner of an action item');
      expect(json(dm)).toContain(ACTION.actionItemDone);
    }

    // GET /incidents/<team>/<number>/postmortem.md with the admin token: the same document.
    const got = await get(docPath());
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(got.headers.get('x-postmortem-version')).toBe('1');
    const md = await got.text();
    expect(md).toBe(file.content);
    const stored = await bot.db.query<{ markdown: string }>(
      'SELECT markdown FROM postmortem_versions WHERE incident_id = $1 AND version = 1',
      [incidentId],
    );
    expect(stored.rows[0]!.markdown).toBe(md);

    // Its timeline is the record, event for event: every event before the document was written, in order.
    const all = await events();
    const written = all.findIndex((e) => e.kind === 'postmortem_written');
    expect(written).toBe(all.length - 1);
    const record = all.slice(0, written);
    const rows = tableRows(md, 'Timeline');
    expect(rows).toHaveLength(record.length);
    record.forEach((e, n) => {
      const [time, who, what] = rows[n]!;
      expect(time, `row ${n}`).toBe(utcSeconds(new Date(e.at)));
      expect(who, `row ${n}`).toContain(e.actor_id ?? 'the bot');
      const re = WHAT[e.kind];
      expect(re, `a line for ${e.kind}`).toBeDefined();
      expect(what, `row ${n} (${e.kind})`).toMatch(re!);
    });
    const kinds = new Set(record.map((e) => e.kind));
    for (const k of ['declared', 'severity_changed', 'acknowledged', 'paged', 'status_update', 'step_run', 'resolved'])
      expect(kinds).toContain(k);
    const whats = rows.map((r) => r[2]);
    expect(whats.filter((w) => w?.startsWith('Rolled back: `atom-cli rollback v57`'))).toHaveLength(1);
    expect(whats.filter((w) => w?.startsWith('Added action item'))).toHaveLength(2);

    // The rest of the document, from the record and the form.
    expect(md).toContain(`# Post-mortem: incident #${number} — db down after deploy`);
    expect(md).toContain('Final: SEV-1 (High). Highest: SEV-1 (High). 1 change.');
    expect(md).toContain('- Affected: EU tenants');
    expect(md).toMatch(/- Customer impact: yes \(flagged .* by .*U0RESPONDER\)\)/);
    expect(tableRows(md, 'Response times').map((r) => r[0])).toEqual([
      'Time to acknowledge',
      'Time to mitigate',
      'Time to resolve',
    ]);
    expect(md).toContain('## Root cause\n\nA connection leak in the worker pool, exposed by the v58 deploy');
    expect(tableRows(md, 'Action items')).toEqual([
      ['1', 'Add pool monitoring', 'Owen Owner (U0OWNER)', '2099-01-01 09:00:00', 'open'],
      ['2', 'Alert on pool usage', 'Alice Liddell (U0ALICE)', expect.stringMatching(/^\d{4}-/), 'open'],
    ]);
    expect(md).toContain('- [x] Document incident timeline');
    expect(md).toContain('- [x] Identify root cause (root cause written)');
    expect(md).toContain('- [x] Create action items (2 action items)');
    expect(md).toContain('- [x] Update runbook if needed (no update needed)');
    // Redacted, as everywhere.
    expect(md).not.toContain(SECRET);
    expect(md).toContain('OPENAI_API_KEY=***');
  }, 30_000);

  it('the document is behind the admin token: refused without it or with another, and the refusal audited', async () => {
    const none = await get(docPath(), null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.text()).not.toContain('Post-mortem');
    const wrong = await get(docPath(), 'not-the-admin-token-at-all');
    expect(wrong.status).toBe(401);
    const audited = await bot.db.query<{ reason: string }>(
      `SELECT reason FROM audit_log WHERE action = 'postmortem_export' AND outcome = 'refused' ORDER BY id`,
    );
    expect(audited.rows.map((r) => r.reason)).toEqual(['no admin token', 'wrong admin token']);
    expect((await get(`/incidents/${TEST_TEAM_ID}/9999/postmortem.md`)).status).toBe(404);
    expect((await get(`/incidents/${TEST_TEAM_ID}/abc/postmortem.md`)).status).toBe(400);
    expect((await get(`${docPath()}?version=0`)).status).toBe(400);
    // Numbers Postgres cannot keep, or written otherwise than in digits: 400, never the database's error.
    for (const path of [
      `/incidents/${TEST_TEAM_ID}/2147483648/postmortem.md`,
      `/incidents/${TEST_TEAM_ID}/0x1/postmortem.md`,
      `/incidents/${TEST_TEAM_ID}/1e3/postmortem.md`,
      `${docPath()}?version=2147483648`,
      `${docPath()}?version=1e0`,
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(await res.text(), path).not.toMatch(/out of range|syntax/);
    }
  });

  it('writing it again makes version 2, prefilled; version 1 is kept and served on request', async () => {
    const { meta, shown } = await openForm(() => inChannel('postmortem', RESPONDER));
    expect(shown).toContain('A connection leak in the worker pool');
    expect(shown).toContain('Add pool monitoring');
    bot.fake.reset();
    // The same item line again adds nothing; the root cause is edited.
    await submitForm(
      meta,
      'A connection leak in the worker pool (confirmed)',
      'Add pool monitoring <@U0OWNER> 2099-01-01',
      'VPM000002',
    );
    await bot.fake.waitFor('files.completeUploadExternal', undefined, 15_000);
    const latest = await get(docPath());
    expect(latest.headers.get('x-postmortem-version')).toBe('2');
    const v2 = await latest.text();
    expect(v2).toContain('(confirmed)');
    expect(v2).toContain('Wrote the post-mortem (version 1)');
    expect(tableRows(v2, 'Action items')).toHaveLength(2);
    const first = await get(`${docPath()}?version=1`);
    expect(first.headers.get('x-postmortem-version')).toBe('1');
    expect(first.headers.get('x-postmortem-latest-version')).toBe('2');
    expect(await first.text()).not.toContain('(confirmed)');
    const versions = await bot.db.query('SELECT version FROM postmortem_versions WHERE incident_id = $1', [incidentId]);
    expect(versions.rows).toHaveLength(2);
  });

  it('closing the last action item is noted on the timeline and in the channel', async () => {
    bot.fake.reset();
    await bot.command('actions', { user_id: OWNER });
    const list = await bot.fake.waitFor('response_url');
    const buttons = [...json(list).matchAll(/"block_id":"action_item:(\d+)"/g)].map((m) => m[1]!);
    expect(buttons).toHaveLength(2);
    // The owner's own item comes first.
    expect(json(list).indexOf('Add pool monitoring')).toBeLessThan(json(list).indexOf('Alert on pool usage'));
    for (const id of buttons) {
      await bot.click({
        channelId: 'C0GENERAL',
        messageTs: '1.2',
        actionId: ACTION.actionItemDone,
        value: id,
        userId: OWNER,
      });
    }
    await recorded('action_items_completed');
    // The list, then a private "Done" for each click.
    const done = await bot.fake.waitForCount('response_url', 3);
    const said = done.slice(1).map((r) => String(r.args.text));
    expect(said.every((t) => t.startsWith(':white_check_mark: Done: '))).toBe(true);
    expect(said.filter((t) => t.endsWith('That was the last open action item of its incident.'))).toHaveLength(1);
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (m) =>
        m.args.channel === channelId && /Every action item of this incident is done \(2\)/.test(String(m.args.text)),
    );
    expect(String(notice.args.text)).toContain(`<@${OWNER}> closed the last one`);
    expect((await events()).filter((e) => e.kind === 'action_item_closed')).toHaveLength(2);
    // A second click on a closed item says so and records nothing.
    bot.fake.reset();
    await bot.click({
      channelId: 'C0GENERAL',
      messageTs: '1.2',
      actionId: ACTION.actionItemDone,
      value: buttons[0]!,
      userId: OWNER,
    });
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/already closed by <@U0OWNER>/);
    expect((await events()).filter((e) => e.kind === 'action_item_closed')).toHaveLength(2);
    // Audited as a no-op (the row is written once the request is done: waited for before the bot stops).
    for (let n = 0; n < 100; n++) {
      const { rows } = await bot.db.query(`SELECT 1 FROM audit_log WHERE action = 'action_done' AND outcome = 'noop'`);
      if (rows.length) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the second Done was not audited');
  });
});
