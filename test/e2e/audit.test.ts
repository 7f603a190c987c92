import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, SHORTCUT, VIEW } from '../../src/templates/ids.js';
import { declareMetadata } from '../../src/templates/payloads.js';
import { NO_RUNBOOK_UPDATE } from '../../src/templates/postmortem-modal.js';
import { type CardRef, SIGNING_SECRET, useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually, postStatusUpdate } from '../support/incident-flow.js';
import {
  makeMessageShortcut,
  postInteraction,
  postSlashCommand,
  stateValue,
  TEST_REPORTER_ID,
} from '../support/slack-request.js';
import { RESTART_PLAYBOOK, testRunbookData } from '../support/test-runbook.js';

const ADMIN_TOKEN = 'audit-admin-token-0123456789';
const RESPONDER = 'U0RESPONDER';
const APPROVER = 'U0APPROVER';
const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');

interface Line {
  id: number;
  at: string;
  actor: string;
  action: string;
  surface: string;
  channel: string | null;
  incident: number | null;
  outcome: string;
  reason: string | null;
  details: Record<string, unknown>;
}

const runbook = () =>
  parseRunbook({
    ...testRunbookData(),
    access: { responders: [RESPONDER], approvers: [APPROVER] },
    playbooks: {
      restart: RESTART_PLAYBOOK,
      approved: {
        title: 'Flush with approval',
        kind: 'incident',
        match: ['flush me'],
        detection: ['Look at the cache dashboard'],
        mitigation: [
          { text: 'Flush the cache', run: ['atom-cli', 'restart'], destructive: true, approval: true, timeout: '5s' },
        ],
      },
    },
  });

describe('the audit', () => {
  const bot = useBot({
    runbook: runbook(),
    // Through the acknowledging front: a request from this machine reaches the bot as one the front passed on.
    env: {
      ACK_THREAD: 'on',
      ADMIN_TOKEN,
      ATOM_CLI,
      COMMAND_ENV: 'AUDIT_API_TOKEN',
      AUDIT_API_TOKEN: 'tok-supersecret-98765',
    },
  });
  const started = new Date(Date.now() - 1000).toISOString();

  const exportAudit = (query: string, token: string | null = ADMIN_TOKEN) =>
    fetch(`${bot.baseUrl}/audit.jsonl?${query}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  const lines = async (query = `since=${encodeURIComponent(started)}`): Promise<Line[]> => {
    const res = await exportAudit(query);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    return (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
  };

  /** The export, once a row matching `pred` is in it (rows are written once the request is handled, after its ack). */
  const waitForRow = async (pred: (l: Line) => boolean, ms = 8000): Promise<Line> => {
    const until = Date.now() + ms;
    for (;;) {
      const found = (await lines()).find(pred);
      if (found) return found;
      if (Date.now() > until) throw new Error('no such audit row');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** Declares an incident with the restart playbook attached; its channel, id and the playbook's message. */
  const declare = async (title: string) => {
    await bot.command(`sev1 ${title}`);
    const created = await bot.fake.waitFor('conversations.create');
    const channelId = bot.fake.channelByName(created.args.name as string)!.id;
    // Only people in the channel run its steps; U0SOMEONE is, but is no responder.
    bot.fake.channels.get(channelId)!.members.add('U0SOMEONE');
    const pb = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /^Playbook:/.test(String(c.args.text)),
    );
    const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [channelId]);
    return { channelId, incidentId: Number(rows[0]!.id), playbookTs: (pb.response as { ts: string }).ts };
  };

  it('records a declaration and a refused destructive run, with who, what, where and the outcome', async () => {
    const inc = await declare('restart me now');
    const declared = await waitForRow((l) => l.action === 'declare');
    expect(declared).toMatchObject({
      actor: TEST_REPORTER_ID,
      surface: 'command',
      channel: 'C0GENERAL',
      incident: inc.incidentId,
      outcome: 'ok',
      details: { command: '/incident sev1 restart me now' },
    });
    expect(Number.isNaN(Date.parse(declared.at))).toBe(false);

    await bot.click({
      channelId: inc.channelId,
      messageTs: inc.playbookTs,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'restart', s: 'mitigation.0' }),
      userId: 'U0SOMEONE',
    });
    const refused = await waitForRow((l) => l.action === 'playbook_run');
    expect(refused).toMatchObject({
      actor: 'U0SOMEONE',
      surface: 'button',
      channel: inc.channelId,
      incident: inc.incidentId,
      outcome: 'refused',
    });
    expect(refused.reason).toMatch(/^not_allowed: .*only responders may run it/);
  });

  it('a parameters form refused in the form is audited refused with why, as the Run click is', async () => {
    const inc = await declare('restart me in a form');
    const meta = (over: Record<string, unknown> = {}) =>
      JSON.stringify({
        incidentId: inc.incidentId,
        channelId: inc.channelId,
        playbookId: 'restart',
        stepKey: 'mitigation.0',
        ...over,
      });
    const refusedRow = async (userId: string, privateMetadata: string, values = {}) => {
      const res = await bot.submit({ callbackId: VIEW.runParams, privateMetadata, values, userId });
      expect(res.json).toMatchObject({ response_action: 'errors' });
      return waitForRow((l) => l.action === 'playbook_run' && l.actor === userId && l.surface !== 'button');
    };
    // Someone not in the channel.
    const outsider = await refusedRow('U0OUTSIDER', meta());
    expect(outsider).toMatchObject({ outcome: 'refused', incident: inc.incidentId });
    expect(outsider.reason).toMatch(/^not_in_channel: Only people in its channel may/);
    // A form whose metadata names another channel.
    const stale = await refusedRow('U0STALE', meta({ channelId: 'C0GENERAL' }));
    expect(stale).toMatchObject({ outcome: 'refused' });
    expect(stale.reason).toMatch(/^stale: This form is out of date/);
    // A destructive step's confirmation sent by someone not in the channel: it says why in the form, audited so.
    const confirm = await bot.submit({
      callbackId: VIEW.runConfirm,
      privateMetadata: JSON.stringify({ ...JSON.parse(meta()), params: {} }),
      values: {},
      userId: 'U0OUTSIDE2',
    });
    expect(confirm.json).toMatchObject({ response_action: 'update' });
    const confirmRow = await waitForRow((l) => l.action === 'playbook_run_confirmed' && l.actor === 'U0OUTSIDE2');
    expect(confirmRow).toMatchObject({ outcome: 'refused', incident: inc.incidentId });
    expect(confirmRow.reason).toMatch(/^not_in_channel: Only people in its channel may/);
    // A parameter with a bidi control: refused as invalid input, with what the form said.
    const bidi = { [`${BLOCK.paramPrefix}node`]: { [INPUT.param]: stateValue.plainText('ab\u202ecd') } };
    const typed = await refusedRow('U0SOMEONE', meta(), bidi);
    expect(typed).toMatchObject({ outcome: 'refused' });
    expect(typed.reason).toMatch(/^invalid_input: contains a control character/);
  });

  it('a parameters form naming an incident id never given says there is no such incident', async () => {
    const privateMetadata = JSON.stringify({
      incidentId: 999,
      channelId: 'C0GENERAL',
      playbookId: 'restart',
      stepKey: 'mitigation.0',
    });
    const res = await bot.submit({ callbackId: VIEW.runParams, privateMetadata, values: {}, userId: 'U0NOSUCH' });
    expect(JSON.stringify(res.json)).toContain('There is no such incident.');
    const row = await waitForRow((l) => l.actor === 'U0NOSUCH');
    expect(row).toMatchObject({ outcome: 'refused', reason: 'incident_not_found: There is no such incident.' });
  });

  it('a request naming its sender by something other than a Slack user ID is ignored, and audited refused', async () => {
    for (const userId of ['<!channel>', 'u0lower']) {
      await bot.command('sev3 who am I', { user_id: userId });
      const row = await waitForRow((l) => l.actor === userId);
      expect(row).toMatchObject({ outcome: 'refused', reason: 'not a Slack user ID' });
    }
    const long = `<!channel>${'x'.repeat(200)}`;
    await bot.command('sev3 who am I', { user_id: long });
    const cut = await waitForRow((l) => l.actor.startsWith('<!channel>x') && l.actor.length < 100);
    expect(cut).toMatchObject({ outcome: 'refused', reason: 'not a Slack user ID' });
    const { rows } = await bot.db.query('SELECT id FROM incidents WHERE title = $1', ['who am I']);
    expect(rows).toHaveLength(0);
  });

  it('masks a COMMAND_ENV value someone types, and keeps a refusal whose text was cut among emoji flags', async () => {
    await bot.command('sev3 leaked tok-supersecret-98765 in a paste', { user_id: 'U0PASTER' });
    const pasted = await waitForRow((l) => l.action === 'declare' && l.actor === 'U0PASTER');
    expect(JSON.stringify(pasted)).not.toContain('tok-supersecret-98765');
    expect(String(pasted.details.command)).toContain('leaked *** in a paste');

    // 150 flags are 300 code points: answered as too long, and the row that says so is stored whole.
    await bot.command(`sev3 ${'\u{1F1FA}\u{1F1F8}'.repeat(150)}`, { user_id: 'U0FLAGS' });
    const refused = await waitForRow((l) => l.actor === 'U0FLAGS');
    expect(refused.outcome).toBe('answered');
    expect(String(refused.details.command)).toMatch(/^\/incident sev3 \u{1F1FA}/u);
    expect(String(refused.details.command)).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  /** Every row stored of an incident (its own, its events, items, post-mortem, steps' ticks and approvals), as JSON. */
  const storedOf = async (incidentId: number): Promise<string[]> => {
    const { rows } = await bot.db.query<{ row: string }>(
      `SELECT row_to_json(i)::text AS row FROM incidents i WHERE id = $1
       UNION ALL SELECT row_to_json(e)::text FROM incident_events e WHERE incident_id = $1
       UNION ALL SELECT row_to_json(a)::text FROM action_items a WHERE incident_id = $1
       UNION ALL SELECT row_to_json(p)::text FROM postmortems p WHERE incident_id = $1
       UNION ALL SELECT row_to_json(v)::text FROM postmortem_versions v WHERE incident_id = $1
       UNION ALL SELECT row_to_json(c)::text FROM step_checks c WHERE incident_id = $1
       UNION ALL SELECT row_to_json(s)::text FROM step_approvals s WHERE incident_id = $1`,
      [incidentId],
    );
    return rows.map((r) => r.row);
  };
  /** The private metadata of the form `act` opens (a command typed, a button clicked). */
  const formOpenedBy = async (act: () => Promise<unknown>): Promise<string> => {
    const before = bot.fake.callsTo('views.open').length;
    await act();
    const view = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!.args.view as {
      private_metadata: string;
    };
    return view.private_metadata;
  };

  /**
   * Nothing the bot sent since call `from` matches `secret` (Home tabs are left out: they list other incidents, whose
   * titles their tests did not mask).
   */
  const expectNothingSentSince = (from: number, secret: RegExp) => {
    for (const call of bot.fake.calls.slice(from).filter((c) => c.method !== 'views.publish'))
      expect(JSON.stringify(call.args), call.method).not.toMatch(secret);
  };

  it('masks a COMMAND_ENV value typed in a status update, a resolution summary and a post-mortem, posted and stored', async () => {
    const SECRET = 'tok-supersecret-98765';
    const from = bot.fake.calls.length;
    const opened = await declareThroughBot(bot, 'sev3 typed secrets');
    bot.fake.channels.get(opened.channelId)!.members.add(RESPONDER);
    await postStatusUpdate(
      bot,
      opened,
      // As typed, and wrapped across a line where the text ends (a paste from a terminal).
      { affected: 'api', impact: `rotating ${SECRET}`, currentStatus: `leaked tok-supersec\nret-98765 in logs` },
      RESPONDER,
    );
    const posted = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === opened.channelId && String(c.args.text).includes('rotating'),
    );
    expect(JSON.stringify(posted.args)).toContain('rotating ***');
    expect(JSON.stringify(posted.args)).toContain('leaked ***\\n*** in logs');
    await bot.command(`resolve rotated ${SECRET} and redeployed`, { channel_id: opened.channelId, user_id: RESPONDER });
    await bot.fake.waitFor('chat.postMessage', (c) => String(c.args.text).includes('rotated *** and redeployed'));

    const meta = await formOpenedBy(() =>
      bot.command('postmortem', { channel_id: opened.channelId, user_id: RESPONDER }),
    );
    await bot.submit({
      callbackId: VIEW.postmortem,
      privateMetadata: meta,
      userId: RESPONDER,
      values: {
        [BLOCK.pmRootCause]: { [INPUT.text]: stateValue.plainText(`${SECRET} was in a config file`) },
        [BLOCK.pmFactors]: { [INPUT.text]: stateValue.plainText('none') },
        [BLOCK.pmWentWell]: { [INPUT.text]: stateValue.plainText('none') },
        [BLOCK.pmWentBadly]: { [INPUT.text]: stateValue.plainText('none') },
        [BLOCK.pmRunbook]: { [INPUT.select]: stateValue.staticSelect(NO_RUNBOOK_UPDATE) },
        [BLOCK.pmItems]: { [INPUT.text]: stateValue.plainText('') },
      },
    });
    const stored = await eventually(async () => {
      const { rows } = await bot.db.query('SELECT root_cause FROM postmortems WHERE incident_id = $1', [
        opened.incidentId,
      ]);
      return rows[0];
    }, 'the post-mortem');
    expect(stored).toEqual({ root_cause: '*** was in a config file' });
    const rows = await storedOf(opened.incidentId);
    expect(rows.join('\n')).toContain('rotating ***');
    for (const row of rows) expect(row).not.toMatch(/supersec|ret-98765/);
    expectNothingSentSince(from, /supersec|ret-98765/);
  });

  it('masks a COMMAND_ENV value typed in a title, a rename, how it was mitigated and the impact flagged', async () => {
    const SECRET = 'tok-supersecret-98765';
    const from = bot.fake.calls.length;
    const opened = await declareThroughBot(bot, `sev3 api rejects ${SECRET}`);
    bot.fake.channels.get(opened.channelId)!.members.add(RESPONDER);
    const inChannel = { channel_id: opened.channelId, user_id: RESPONDER };
    await bot.command(`rename api rejected ${SECRET} again`, inChannel);
    await bot.fake.waitFor('chat.postMessage', (c) => /renamed incident/i.test(String(c.args.text)));
    await bot.command(`impact checkout fails with ${SECRET}`, inChannel);
    await bot.fake.waitFor('chat.postMessage', (c) => String(c.args.text).includes('checkout fails with ***'));
    await bot.command(`mitigated rotated ${SECRET}`, inChannel);
    await bot.fake.waitFor('chat.postMessage', (c) => String(c.args.text).includes('rotated ***'));
    const rows = await storedOf(opened.incidentId);
    expect(rows[0]).toContain('"title":"api rejected *** again"');
    for (const row of rows) expect(row).not.toMatch(/supersec/);
    expectNothingSentSince(from, /supersec/);
  });

  it('masks a COMMAND_ENV value typed in a declaration form description, a message added to the timeline and action items', async () => {
    const SECRET = 'tok-supersecret-98765';
    const from = bot.fake.calls.length;
    // The declare form (from the Home tab), with the value in its description.
    const before = bot.fake.callsTo('conversations.create').length;
    await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: declareMetadata.encode({ from: 'home' }),
      userId: RESPONDER,
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect('3', 'SEV-3') },
        [BLOCK.declareTitle]: { [INPUT.text]: stateValue.plainText('typed notes') },
        [BLOCK.declareDescription]: { [INPUT.text]: stateValue.plainText(`the api key ${SECRET} leaked`) },
      },
      viewId: 'VMASKNOTES',
    });
    const created = (await bot.fake.waitForCount('conversations.create', before + 1)).at(-1)!;
    const channelId = bot.fake.channelByName(String(created.args.name))!.id;
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /the api key/.test(JSON.stringify(c.args)),
    );
    const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [channelId]);
    const incidentId = Number(rows[0]!.id);
    const inChannel = { channel_id: channelId, user_id: RESPONDER };

    // A message of the channel put on its timeline (its shortcut).
    const said = bot.fake.workspace.addMessage(channelId, 'U0SOMEONE', `try with ${SECRET} again`);
    await postInteraction(
      bot.baseUrl,
      SIGNING_SECRET,
      makeMessageShortcut({
        callbackId: SHORTCUT.addToTimeline,
        userId: RESPONDER,
        channelId,
        message: { user: 'U0SOMEONE', ts: said.ts, text: said.text },
        responseUrl: bot.fake.responseUrl('mask-note'),
      }),
    );
    const noted = await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === 'mask-note');
    expect(String(noted.args.text)).toContain('try with *** again');

    // An action item added by the command, then others from the post-mortem form.
    await bot.command(`action rotate ${SECRET} everywhere`, inChannel);
    // Shown in bold, the mask's asterisks are look-alikes (∗), so the bold closes where the reply closes it.
    await bot.fake.waitFor('response_url', (c) => String(c.args.text).includes('*rotate ∗∗∗ everywhere*'));
    await bot.command('resolve rotated', inChannel);
    await bot.fake.waitFor('chat.postMessage', (c) => String(c.args.text).includes('rotated'));
    const pmForm = await formOpenedBy(() => bot.command('postmortem', inChannel));
    await bot.submit({
      callbackId: VIEW.postmortem,
      privateMetadata: pmForm,
      userId: RESPONDER,
      values: {
        [BLOCK.pmRootCause]: { [INPUT.text]: stateValue.plainText('a config file') },
        [BLOCK.pmFactors]: { [INPUT.text]: stateValue.plainText('none') },
        [BLOCK.pmWentWell]: { [INPUT.text]: stateValue.plainText('none') },
        [BLOCK.pmWentBadly]: { [INPUT.text]: stateValue.plainText('none') },
        [BLOCK.pmRunbook]: { [INPUT.select]: stateValue.staticSelect(NO_RUNBOOK_UPDATE) },
        [BLOCK.pmItems]: { [INPUT.text]: stateValue.plainText(`revoke ${SECRET} in the vault`) },
      },
    });
    const items = await eventually(async () => {
      const { rows } = await bot.db.query<{ text: string }>(
        'SELECT text FROM action_items WHERE incident_id = $1 ORDER BY id',
        [incidentId],
      );
      return rows.length === 2 ? rows : undefined;
    }, 'the action items');
    expect(items).toEqual([{ text: 'rotate *** everywhere' }, { text: 'revoke *** in the vault' }]);
    await eventually(
      async () =>
        (await bot.db.query('SELECT 1 FROM postmortem_versions WHERE incident_id = $1', [incidentId])).rows[0],
      'the post-mortem',
    );
    const stored = await storedOf(incidentId);
    expect(stored.join('\n')).toContain('the api key *** leaked');
    expect(stored.join('\n')).toContain('try with *** again');
    for (const row of stored) expect(row).not.toMatch(/supersec/);
    expectNothingSentSince(from, /supersec/);
  });

  it("masks a COMMAND_ENV value typed in a Deny form's reason and a Skip form's reason", async () => {
    const SECRET = 'tok-supersecret-98765';
    const from = bot.fake.calls.length;
    const inc = await declare('flush me please');
    const members = bot.fake.channels.get(inc.channelId)!.members;
    for (const u of [RESPONDER, APPROVER]) members.add(u);
    const click = (actionId: string, key: string, userId: string, messageTs = inc.playbookTs, value?: string) =>
      bot.click({
        channelId: inc.channelId,
        messageTs,
        actionId,
        value: value ?? JSON.stringify({ p: 'approved', s: key }),
        userId,
      });

    // A run asked for, denied with the value in its reason.
    await click(ACTION.runStep, 'mitigation.0', RESPONDER);
    const req = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === inc.channelId && JSON.stringify(m.args).includes(ACTION.approveStep),
    );
    const approvalId = /"value":"(\d+)"/.exec(JSON.stringify(req.args).replace(/\\/g, ''))![1]!;
    const reqTs = (req.response as { ts: string }).ts;
    const denyForm = await formOpenedBy(() => click(ACTION.denyStep, '', APPROVER, reqTs, approvalId));
    await bot.submit({
      callbackId: VIEW.denyReason,
      privateMetadata: denyForm,
      userId: APPROVER,
      values: { [BLOCK.denyReason]: { [INPUT.summary]: stateValue.plainText(`not with ${SECRET} in it`) } },
    });
    await bot.fake.waitFor('chat.update', (u) => u.args.ts === reqTs && /Denied by/.test(JSON.stringify(u.args)));

    // A text step skipped with the value in its reason.
    const skipForm = await formOpenedBy(() => click(ACTION.stepSkip, 'detection.0', RESPONDER));
    await bot.submit({
      callbackId: VIEW.skipReason,
      privateMetadata: skipForm,
      userId: RESPONDER,
      values: { [BLOCK.skipReason]: { [INPUT.reason]: stateValue.plainText(`dashboard needs ${SECRET}`) } },
    });
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === inc.playbookTs && /skipped by/.test(JSON.stringify(u.args)),
    );
    const stored = await storedOf(inc.incidentId);
    expect(stored.join('\n')).toContain('not with *** in it');
    expect(stored.join('\n')).toContain('dashboard needs ***');
    for (const row of stored) expect(row).not.toMatch(/supersec/);
    expectNothingSentSince(from, /supersec/);
  });

  it('records a request with a bad signature, refused with 401', async () => {
    const res = await postSlashCommand(
      bot.baseUrl,
      'not-the-signing-secret',
      { text: 'sev1 forged', response_url: bot.fake.responseUrl('forged') },
      {},
    );
    expect(res.status).toBe(401);
    const row = await waitForRow((l) => l.action === 'bad_signature');
    expect(row).toMatchObject({ surface: 'http', outcome: 'refused', reason: 'the request signature does not verify' });
    expect(row.actor).toMatch(/^ip:.*127\.0\.0\.1$/);

    const stale = await postSlashCommand(
      bot.baseUrl,
      SIGNING_SECRET,
      { text: 'sev1 replayed', response_url: bot.fake.responseUrl('stale') },
      { timestamp: Math.floor(Date.now() / 1000) - 600 },
    );
    expect(stale.status).toBe(401);
    await waitForRow((l) => l.action === 'bad_signature' && /timestamp/.test(l.reason ?? ''));
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);

    // What X-Forwarded-For claims is said as a claim, after the peer's address: it cannot make the actor someone else.
    const claimed = await fetch(`${bot.baseUrl}/audit.jsonl`, {
      headers: { authorization: 'Bearer wrong-token', 'x-forwarded-for': 'U0ALICE, 203.0.113.66' },
    });
    expect(claimed.status).toBe(401);
    const spoof = await waitForRow(
      (l) => l.action === 'audit_export' && l.outcome === 'refused' && /U0ALICE/.test(l.actor),
    );
    expect(spoof.actor).toMatch(/^ip:(::ffff:)?127\.0\.0\.1 \(forwarded for U0ALICE, 203\.0\.113\.66\)$/);
  });

  it('/audit.jsonl refuses a missing or wrong token, and records the refusal', async () => {
    expect((await exportAudit('', null)).status).toBe(401);
    const wrong = await exportAudit('', 'audit-admin-token-0123456788');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    expect(await wrong.text()).not.toContain('audit_log');
    const row = await waitForRow((l) => l.action === 'audit_export' && l.reason === 'wrong admin token');
    expect(row).toMatchObject({ surface: 'http', outcome: 'refused' });
    // The token in the query string instead of the header is no token, and is not kept in the row.
    for (const name of ['token', 'access_token', 'admin_token']) {
      const inQuery = await exportAudit(`since=1h&${name}=${ADMIN_TOKEN}`, null);
      expect(inQuery.status, name).toBe(401);
      expect(await inQuery.text()).toMatch(/Authorization: Bearer/);
    }
    const exported = await (await exportAudit('since=1h')).text();
    expect(exported).toMatch(/"reason":"no admin token"/);
    expect(exported).not.toContain(ADMIN_TOKEN);
  });

  it('pages with a next cursor', async () => {
    const all = await lines();
    expect(all.length).toBeGreaterThanOrEqual(3);
    const first = await exportAudit(`since=${encodeURIComponent(started)}&limit=2`);
    const page = (await first.text()).trim().split('\n');
    expect(page).toHaveLength(2);
    const cursor = first.headers.get('x-next-cursor');
    expect(cursor).toBe(String(all[1]!.id));
    const next = first.headers.get('link')?.match(/^<\/audit\.jsonl\?([^>]+)>; rel="next"$/)?.[1];
    expect(next).toBeDefined();
    const second = await lines(next!);
    expect(second[0]!.id).toBe(all[2]!.id);
    // A time further back than the epoch is everything, not the database's range error.
    for (const since of ['100000000d', '99999999999d']) {
      const res = await exportAudit(`since=${since}`);
      expect(res.status, since).toBe(200);
      expect((await res.text()).trim().split('\n').length, since).toBeGreaterThan(0);
    }
    const bad = await exportAudit('since=yesterday');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/ISO time .* Unix seconds .* back from now/);
    // A time back from now and Unix seconds read as the ISO time does.
    const startedAt = new Date(started).getTime();
    expect((await lines('since=1h')).map((l) => l.id)).toEqual(expect.arrayContaining(all.map((l) => l.id)));
    const unix = await lines(`since=${Math.floor(startedAt / 1000)}`);
    expect(unix.map((l) => l.id)).toEqual(expect.arrayContaining(all.map((l) => l.id)));
    expect(await lines(`since=${Math.floor(Date.now() / 1000) + 3600}`)).toEqual([]);
  });

  it("reads since as people write it: a zone-less time as UTC whatever the server's zone, a + left unencoded, Unix seconds from 0, Unix milliseconds; a day the month does not have is refused", async () => {
    // Rows of its own (a refused export is one), so that it holds run alone.
    await exportAudit('', null);
    await exportAudit('', null);
    const all = await lines();
    const first = all[0]!;
    const ids = all.map((l) => l.id);
    const at = new Date(first.at);
    const utcNoZone = first.at.replace(/Z$/, '');
    // 1 h ahead of UTC, written as a person would paste it: the + reaches the bot as a space.
    const plusOne = new Date(at.getTime() + 3_600_000).toISOString().replace(/Z$/, '+01:00');
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect((await lines(`since=${utcNoZone}`)).map((l) => l.id)).toEqual(ids);
      expect((await lines(`since=${utcNoZone.replace('T', '%20')}`)).map((l) => l.id)).toEqual(ids);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    expect((await lines(`since=${plusOne}`)).map((l) => l.id)).toEqual(ids);
    expect((await lines(`since=${encodeURIComponent(plusOne)}`)).map((l) => l.id)).toEqual(ids);
    expect((await lines(`since=${plusOne.replace('+01:00', '+0100')}`)).map((l) => l.id)).toEqual(ids);
    // One millisecond later leaves the first row out.
    const later = all.filter((l) => new Date(l.at).getTime() > at.getTime()).map((l) => l.id);
    expect((await lines(`since=${at.getTime() + 1}`)).map((l) => l.id)).toEqual(later);
    expect((await lines(`since=${at.getTime()}`)).map((l) => l.id)).toEqual(ids);
    expect((await lines('since=0')).map((l) => l.id)).toEqual(expect.arrayContaining(ids));
    for (const since of [
      '2026-02-30T00:00:00Z',
      '2025-02-29',
      '2026-04-31',
      '2026-12-03T24:30:00Z',
      '2026-12-03T10:00:00+25:00',
    ]) {
      const res = await exportAudit(`since=${since}`);
      expect(res.status, since).toBe(400);
      expect(((await res.json()) as { error: string }).error, since).toBe('bad_since');
    }
  });

  it('/incident audit shows an approver the incident rows, privately; anyone else is refused (and that is audited)', async () => {
    const inc = await declare('restart me again');
    await waitForRow((l) => l.action === 'declare' && l.incident === inc.incidentId);

    await bot.command('audit', { channel_id: inc.channelId, user_id: 'U0SOMEONE' });
    const refusal = await bot.fake.waitFor('response_url', (c) => /approvers/.test(String(c.args.text)));
    expect(refusal.args.text).toContain(`Only approvers may read the audit: <@${APPROVER}>`);
    await waitForRow((l) => l.action === 'audit' && l.actor === 'U0SOMEONE' && l.outcome === 'refused');

    await bot.command('audit', { channel_id: inc.channelId, user_id: APPROVER });
    const shown = await bot.fake.waitFor('response_url', (c) => /^Audit of/.test(String(c.args.text)));
    expect(shown.args.response_type).toBe('ephemeral');
    const text = String(shown.args.text);
    expect(text).toContain(`Audit of incident #`);
    expect(text).toMatch(new RegExp(`<@${TEST_REPORTER_ID}> \\*declare\\* \\(command\\) ok`));
    expect(text).toMatch(/<@U0SOMEONE> \*audit\* \(command\) refused: not_allowed/);
    await waitForRow((l) => l.action === 'audit' && l.actor === APPROVER && l.outcome === 'ok');
  });
});

describe('the audit of requests that changed nothing', () => {
  const bot = useBot({ runbook: runbook(), env: { ADMIN_TOKEN } });

  const rows = async (action: string) =>
    (
      await bot.db.query<{ actor: string; incident_id: number | null; outcome: string; reason: string | null }>(
        'SELECT actor, incident_id, outcome, reason FROM audit_log WHERE action = $1 ORDER BY id',
        [action],
      )
    ).rows;
  /** The rows of `action`, once there are `n` (rows are written once the request is handled, after its reply). */
  const rowsOf = async (action: string, n: number) => {
    for (let i = 0; i < 80 && (await rows(action)).length < n; i++) await new Promise((r) => setTimeout(r, 100));
    return rows(action);
  };

  const declare = async (text: string): Promise<CardRef> => {
    const opened = await declareThroughBot(bot, text);
    return { id: opened.incidentId, channelId: opened.channelId, cardTs: opened.cardTs };
  };

  it('an Acknowledge after the first, a second escalation to the same role and a repeated declaration are noop, with why', async () => {
    const card = await declare('sev2 nothing changes twice');
    await bot.clickCard(card, ACTION.acknowledge, 'U0FIRST');
    await bot.fake.waitFor('chat.update', (c) => c.args.ts === card.cardTs && /U0FIRST/.test(JSON.stringify(c.args)));
    // A row is written when its request has done all it does (after the card's update): the second request waits
    // for the first's row, or it could be written first.
    await rowsOf('ack', 1);
    await bot.clickCard(card, ACTION.acknowledge, 'U0SECOND');
    await bot.fake.waitFor('response_url', (c) => /nothing was changed/.test(String(c.args.text)));
    const [first, second] = await rowsOf('ack', 2);
    expect(first).toMatchObject({ actor: 'U0FIRST', incident_id: card.id, outcome: 'ok' });
    expect(second).toMatchObject({ actor: 'U0SECOND', incident_id: card.id, outcome: 'noop' });
    expect(second!.reason).toMatch(/commanded by U0FIRST/);

    await bot.command('escalate', { channel_id: card.channelId, user_id: 'U0FIRST' });
    await bot.fake.waitFor('chat.postMessage', (c) => /Paged \*Senior DevOps Engineer\*/.test(String(c.args.text)));
    await rowsOf('escalate', 1);
    await bot.command('escalate', { channel_id: card.channelId, user_id: 'U0SECOND' });
    await bot.fake.waitFor('response_url', (c) => /so nobody else was paged/.test(String(c.args.text)));
    const [paged, again] = await rowsOf('escalate', 2);
    expect(paged).toMatchObject({ actor: 'U0FIRST', outcome: 'ok' });
    expect(again).toMatchObject({ actor: 'U0SECOND', incident_id: card.id, outcome: 'noop' });
    expect(again!.reason).toMatch(/^Senior DevOps Engineer was (being )?paged already: nobody else was paged/);

    await bot.command('sev2 nothing changes twice');
    await bot.fake.waitFor('response_url', (c) => /No second incident was opened/.test(String(c.args.text)));
    const declared = await rowsOf('declare', 2);
    expect(declared[0]).toMatchObject({ incident_id: card.id, outcome: 'ok' });
    expect(declared[1]).toMatchObject({ incident_id: card.id, outcome: 'noop' });
    expect(declared[1]!.reason).toMatch(/^a repeat of incident #\d+, declared moments ago/);

    // Asked of what is so already: told so, and audited noop, not ok.
    await bot.command('public', { channel_id: card.channelId, user_id: 'U0FIRST' });
    await bot.fake.waitFor('response_url', (c) => /is public already/.test(String(c.args.text)));
    const [madePublic] = await rowsOf('public', 1);
    expect(madePublic).toMatchObject({ actor: 'U0FIRST', incident_id: card.id, outcome: 'noop' });
    expect(madePublic!.reason).toMatch(/public already/);
  });

  it("a click naming another incident, removed or never made, is filed under none, not the channel's", async () => {
    const card = await declare('sev2 a live incident');
    bot.fake.reset();
    // An id given to an incident that is gone (a removed half-made declaration), and one never given.
    const { rows: seq } = await bot.db.query<{ id: string }>(
      "SELECT nextval(pg_get_serial_sequence('incidents', 'id')) AS id",
    );
    const removed = Number(seq[0]!.id);
    for (const [user, id, said] of [
      ['U0REMOVED', removed, 'That incident no longer exists.'],
      ['U0MADEUP', 99999, 'There is no such incident.'],
    ] as const) {
      await bot.click({
        channelId: card.channelId,
        messageTs: card.cardTs,
        actionId: ACTION.escalate,
        value: JSON.stringify({ i: id, r: 'senior_devops' }),
        userId: user,
      });
      const told = await bot.fake.waitFor('response_url', (c) => /incident/.test(String(c.args.text)));
      expect(told.args.text).toContain(said);
      for (let i = 0; i < 80 && !(await rows('escalate')).some((r) => r.actor === user); i++)
        await new Promise((r) => setTimeout(r, 100));
      const row = (await rows('escalate')).find((r) => r.actor === user);
      expect(row).toMatchObject({ incident_id: null, outcome: 'refused' });
      expect(row!.reason).toBe(`incident_not_found: ${said}`);
      bot.fake.reset();
    }
    // Every other click or form naming an incident tells the two apart too; a value naming no id at all is none.
    const clickSays = async (actionId: string, value: string, said: string) => {
      bot.fake.reset();
      await bot.click({ channelId: card.channelId, messageTs: card.cardTs, actionId, value, userId: 'U0CLICKER' });
      const told = await bot.fake.waitFor('response_url');
      expect(told.args.text, `${actionId} ${value}`).toBe(`:warning: ${said}`);
    };
    for (const actionId of [ACTION.writePostmortem, ACTION.makePublic, ACTION.joinIncident]) {
      await clickSays(actionId, '99999', 'There is no such incident.');
      await clickSays(actionId, String(removed), 'That incident no longer exists.');
    }
    await clickSays(ACTION.markMitigated, 'not an id', 'There is no such incident.');
    await clickSays(ACTION.writePostmortem, 'not an id', 'There is no such incident.');
    bot.fake.reset();
    await bot.submit({
      callbackId: VIEW.postmortem,
      privateMetadata: JSON.stringify({ incidentId: 99999, channelId: card.channelId }),
      userId: 'U0CLICKER',
      values: {
        [BLOCK.pmRootCause]: { [INPUT.text]: stateValue.plainText('unknown yet') },
        [BLOCK.pmRunbook]: { [INPUT.select]: stateValue.staticSelect(NO_RUNBOOK_UPDATE) },
        [BLOCK.pmItems]: { [INPUT.text]: stateValue.plainText('') },
      },
    });
    // Not in the channel the form names: told by direct message (an ephemeral message there would not reach them).
    const told = await bot.fake.waitForTold('U0CLICKER');
    expect(told.text).toBe(':warning: There is no such incident.');
  });

  it('a severity typed outside an incident channel is refused, though answered with how to declare', async () => {
    await bot.command('SEV1', { user_id: 'U0TYPO' });
    await bot.fake.waitFor('response_url', (c) => /To declare an incident, add a title/.test(String(c.args.text)));
    const [row] = await rowsOf('set_severity', 1);
    expect(row).toMatchObject({ actor: 'U0TYPO', incident_id: null, outcome: 'refused' });
    expect(row!.reason).toMatch(/^not_incident_channel: /);
  });

  it('a severity the select does not offer is refused; a playbook run where it is attached already is noop', async () => {
    const card = await declare('sev2 odd clicks');
    // A severity the select does not offer (a forged or old payload) is refused; a playbook run where it is attached
    // already is noop.
    await bot.click({
      channelId: card.channelId,
      messageTs: card.cardTs,
      actionId: ACTION.changeSeverity,
      blockId: `${BLOCK.cardActions}:${card.id}`,
      selectedOption: { value: 'SEV-2', text: 'SEV-2' },
      userId: 'U0FIRST',
    });
    await bot.fake.waitFor('response_url', (c) => /not a severity this bot knows/.test(String(c.args.text)));
    const [badSeverity] = await rowsOf('set_severity', 1);
    expect(badSeverity).toMatchObject({ outcome: 'refused' });
    for (const user of ['U0FIRST', 'U0SECOND']) {
      await bot.command('run restart', { channel_id: card.channelId, user_id: user });
    }
    await bot.fake.waitFor('response_url', (c) => /already attached/.test(String(c.args.text)));
    const runs = await rowsOf('run', 2);
    expect(runs.map((r) => r.outcome).sort()).toEqual(['noop', 'ok']);
  });
});

describe('the audit of rate limits', () => {
  const bot = useBot({ env: { DECLARE_RATE_LIMIT: '1/1m' }, timers: false });

  it('records a declaration refused past DECLARE_RATE_LIMIT, with the reason, and opens nothing', async () => {
    await bot.command('sev2 limited first', { user_id: 'U0LIMITED' });
    await bot.fake.waitFor('response_url', (c) => /is open/.test(String(c.args.text)));
    await bot.command('sev2 limited second', { user_id: 'U0LIMITED' });
    const told = await bot.fake.waitFor('response_url', (c) => /try again in/.test(String(c.args.text)));
    expect(told.args.text).toMatch(/declared 1 incidents? in the last minute/);
    const rows = async () =>
      (
        await bot.db.query<{ actor: string; surface: string; channel_id: string; outcome: string; reason: string }>(
          "SELECT actor, surface, channel_id, outcome, reason FROM audit_log WHERE action = 'declare' ORDER BY id",
        )
      ).rows;
    // Rows are written once the request is handled, after its reply.
    for (let i = 0; i < 50 && (await rows()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const [first, second] = await rows();
    expect(first).toMatchObject({ actor: 'U0LIMITED', outcome: 'ok' });
    expect(second).toMatchObject({
      actor: 'U0LIMITED',
      surface: 'command',
      channel_id: 'C0GENERAL',
      outcome: 'refused',
    });
    expect(second!.reason).toMatch(/^rate_limited: .*try again in/);
    expect(bot.fake.callsTo('conversations.create').filter((c) => !c.failed)).toHaveLength(1);
  });
});
