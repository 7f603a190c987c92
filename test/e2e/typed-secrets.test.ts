import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, SHORTCUT, VIEW } from '../../src/templates/ids.js';
import { atomCliRuns } from '../support/atom-cli-log.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, SIGNING_SECRET, startBot, useBot } from '../support/bot-harness.js';
import { makeMessageShortcut, postInteraction, stateValue, TEST_GENERAL_CHANNEL_ID } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
const RESPONDER = 'U0RESPONDER';
const APPROVER = 'U0APPROVER';
const GENERAL = TEST_GENERAL_CHANNEL_ID;
/** A COMMAND_ENV value, shaped so that a node id's pattern takes it. */
const TOKEN = 'tok-4f9a8c7e2b1d6e3a';
/** The bot's own Slack token (see bot-harness), which a node id's pattern takes too. */
const BOT_TOKEN = 'xoxb-e2e-token';

const nodeStep = (text: string, verb: string) => ({
  text,
  run: ['atom-cli', 'nodes', verb, '{node_id}'],
  params: { node_id: 'node_id' },
  destructive: true,
  timeout: '5s',
});

/** A playbook run outside incidents, whose steps take a node id a person types: read-only, destructive, approved. */
const runbook = () =>
  parseRunbook({
    ...testRunbookData(),
    access: { responders: [RESPONDER], approvers: [APPROVER] },
    playbooks: {
      'node-care': {
        title: 'Node care',
        kind: 'procedure',
        outside_incident: true,
        detection: [
          {
            text: 'Read the logs',
            run: ['atom-cli', 'logs', '--node', '{node_id}'],
            params: { node_id: 'node_id' },
            timeout: '5s',
          },
        ],
        mitigation: [nodeStep('Restart the node', 'restart'), { ...nodeStep('Stop the node', 'stop'), approval: true }],
      },
    },
  });

describe('a known secret value typed as a step parameter', () => {
  let bot: BotHarness;
  let dir: string;
  let log: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'typed-secrets-'));
    log = join(dir, 'atom-cli.log');
    bot = await startBot({
      runbook: runbook(),
      timers: false,
      // Through the acknowledging front, as a bot runs by default (every Slack call it makes is read for the secret).
      env: {
        ACK_THREAD: 'on',
        ATOM_CLI,
        COMMAND_ENV: 'ATOM_CLI_LOG,ATOM_API_TOKEN',
        ATOM_CLI_LOG: log,
        ATOM_API_TOKEN: TOKEN,
      },
    });
    bot.fake.channels.get(GENERAL)!.members.add(RESPONDER).add(APPROVER);
  });
  afterAll(async () => {
    await bot?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The argv of every run of the fake atom-cli so far. */
  const cliRuns = async () => (await atomCliRuns(log)).map((r) => r.argv);
  const waitForRuns = async (n: number) => {
    for (let i = 0; i < 100 && (await cliRuns()).length < n; i++) await new Promise((r) => setTimeout(r, 100));
    return cliRuns();
  };
  /** Every row stored of the run: its step runs, approvals, timeline, and the audit. */
  const stored = async () => {
    const { rows } = await bot.db.query<{ row: string }>(
      `SELECT row_to_json(s)::text AS row FROM step_runs s
       UNION ALL SELECT row_to_json(a)::text FROM step_approvals a
       UNION ALL SELECT row_to_json(e)::text FROM playbook_run_events e
       UNION ALL SELECT row_to_json(l)::text FROM audit_log l`,
    );
    return rows.map((r) => r.row);
  };

  it('reaches the command as typed, and shows and is stored masked: refusal, checklist, run message, confirmation, approval, timeline, audit', async () => {
    const from = bot.fake.calls.length;
    await bot.command('run node-care', { channel_id: GENERAL, user_id: RESPONDER });
    const posted = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook: Node care/.test(String(m.args.text)));
    const ts = (posted.response as { ts: string }).ts;
    const { rows } = await bot.db.query<{ id: number }>("SELECT id FROM playbook_runs WHERE playbook_id = 'node-care'");
    const runId = Number(rows[0]!.id);
    const answers: string[] = [];
    /** Clicks a step's Run; submits its parameters form with `nodeId`; returns the form's answer. */
    const runWith = async (key: string, nodeId: string) => {
      const before = bot.fake.callsTo('views.open').length;
      await bot.click({
        channelId: GENERAL,
        messageTs: ts,
        actionId: ACTION.runStep,
        value: JSON.stringify({ p: 'node-care', s: key, r: runId }),
        userId: RESPONDER,
      });
      const form = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!.args.view as {
        private_metadata: string;
      };
      const res = await bot.submit({
        callbackId: VIEW.runParams,
        privateMetadata: form.private_metadata,
        userId: RESPONDER,
        values: { [`${BLOCK.paramPrefix}node_id`]: { [INPUT.param]: stateValue.plainText(nodeId) } },
      });
      answers.push(res.text ?? '');
      return res.json as { response_action?: string; view?: { private_metadata: string } } | undefined;
    };
    const confirm = async (answer: Awaited<ReturnType<typeof runWith>>) => {
      expect(answer?.response_action).toBe('update');
      const res = await bot.submit({
        callbackId: VIEW.runConfirm,
        privateMetadata: answer!.view!.private_metadata,
        userId: RESPONDER,
        values: {},
      });
      answers.push(res.text ?? '');
    };

    // A value that does not fit is refused in the form, which quotes it masked; nothing runs.
    const refused = await runWith('detection.0', `${TOKEN}_x`);
    expect(refused?.response_action).toBe('errors');
    expect(JSON.stringify(refused)).toContain('\\"***_x\\" is not valid');
    // Read-only: runs at once.
    await runWith('detection.0', TOKEN);
    expect((await waitForRuns(1)).at(-1)).toEqual(['logs', '--node', TOKEN]);
    // Destructive: the confirmation shows the command masked, and its metadata (which Slack keeps) holds no clear value.
    const restart = await runWith('mitigation.0', BOT_TOKEN);
    expect(JSON.stringify(restart?.view)).toContain('atom-cli nodes restart ***');
    expect(restart?.view?.private_metadata).not.toContain(BOT_TOKEN);
    await confirm(restart);
    expect((await waitForRuns(2)).at(-1)).toEqual(['nodes', 'restart', BOT_TOKEN]);
    // Approved: the request's row keeps no clear value; once approved, the command gets the value typed.
    const stop = await runWith('mitigation.1', TOKEN);
    expect(stop?.view?.private_metadata).not.toContain(TOKEN);
    await confirm(stop);
    const request = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === GENERAL && JSON.stringify(m.args).includes(ACTION.approveStep),
    );
    expect(JSON.stringify(request.args)).toContain('atom-cli nodes stop ***');
    const { rows: approvals } = await bot.db.query<{ id: number; params: Record<string, string> }>(
      'SELECT id, params FROM step_approvals WHERE run_id = $1',
      [runId],
    );
    expect(approvals).toHaveLength(1);
    expect(JSON.stringify(approvals[0]!.params)).not.toContain(TOKEN);
    await bot.click({
      channelId: GENERAL,
      messageTs: (request.response as { ts: string }).ts,
      actionId: ACTION.approveStep,
      value: String(approvals[0]!.id),
      userId: APPROVER,
    });
    expect((await waitForRuns(3)).at(-1)).toEqual(['nodes', 'stop', TOKEN]);
    await bot.fake.waitFor(
      'chat.update',
      (u) =>
        u.args.channel === GENERAL &&
        /nodes stop \*\*\*/.test(JSON.stringify(u.args)) &&
        /(Succeeded|Failed)/.test(JSON.stringify(u.args)),
    );

    // Shown masked: the run messages, the checklist.
    const shown = bot.fake.calls.slice(from).map((c) => JSON.stringify(c.args));
    expect(shown.join('\n')).toContain('atom-cli logs --node ***');
    expect(shown.join('\n')).toContain('atom-cli nodes restart ***');
    for (const [i, call] of shown.entries()) {
      expect(call, bot.fake.calls[from + i]!.method).not.toContain(TOKEN);
      expect(call, bot.fake.calls[from + i]!.method).not.toContain(BOT_TOKEN);
    }
    for (const answer of answers) expect(answer).not.toMatch(/tok-4f9a|xoxb-e2e/);
    // Stored masked: step runs, the approval, the run's timeline, the audit.
    const rowsNow = await stored();
    expect(rowsNow.join('\n')).toContain('"***"');
    for (const row of rowsNow) expect(row).not.toMatch(/tok-4f9a|xoxb-e2e/);
  });
});

describe('a message holding a known secret value put on the timeline', () => {
  const bot = useBot({ timers: false, env: { COMMAND_ENV: 'ATOM_API_TOKEN', ATOM_API_TOKEN: TOKEN } });
  const AUTHOR = 'U0AUTHOR';
  let key = 0;

  /** Declares an incident; its channel, with AUTHOR in it, and its id. */
  const declare = async (title: string) => {
    bot.fake.reset();
    await bot.command(`sev2 ${title}`, { user_id: RESPONDER });
    await bot.fake.waitFor('response_url');
    const created = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    const channelId = bot.fake.channelByName(String(created.args.name))!.id;
    bot.fake.channels.get(channelId)!.members.add(AUTHOR);
    const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [channelId]);
    return { channelId, incidentId: Number(rows[0]!.id) };
  };

  /**
   * `author` says `text` in the channel (or said it at `ts`); RESPONDER puts it on the timeline. The reply and the
   * message's ts.
   */
  const addToTimeline = async (channelId: string, author: string, text: string, ts?: string) => {
    const said = ts ? { ts, text } : bot.fake.workspace.addMessage(channelId, author, text);
    const k = `typed-secret-${++key}`;
    await postInteraction(
      bot.baseUrl,
      SIGNING_SECRET,
      makeMessageShortcut({
        callbackId: SHORTCUT.addToTimeline,
        userId: RESPONDER,
        channelId,
        message: { user: author, ts: said.ts, text: said.text },
        responseUrl: bot.fake.responseUrl(k),
      }),
    );
    const reply = await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === k);
    return { reply: String(reply.args.text), ts: said.ts };
  };

  /** The audit row of the shortcut on the message `ts`, once written. */
  const auditRow = async (ts: string) => {
    for (let i = 0; i < 80; i++) {
      const { rows } = await bot.db.query<{ details: Record<string, unknown> }>(
        "SELECT details FROM audit_log WHERE action = 'timeline_note' AND details->>'message_ts' = $1",
        [ts],
      );
      if (rows[0]) return rows[0];
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no audit row');
  };

  /** What the bot told `user` privately: ephemeral messages to them, and direct messages. */
  const toldPrivately = (user: string) =>
    bot.fake.calls.filter(
      (c) =>
        (c.method === 'chat.postEphemeral' && c.args.user === user) ||
        (c.method === 'chat.postMessage' && c.args.channel === user),
    );

  it("tells the message's author privately to delete or edit it and rotate the secret, naming no value; audited", async () => {
    const { channelId, incidentId } = await declare('secret pasted in channel');
    bot.fake.reset();
    const { reply, ts } = await addToTimeline(channelId, AUTHOR, `try with ${TOKEN} again`);
    // The timeline and the reply are masked.
    expect(reply).toContain('try with *** again');
    expect(reply).toContain(`<@${AUTHOR}> was told privately`);
    const { rows } = await bot.db.query<{ details: { text: string } }>(
      "SELECT details FROM incident_events WHERE incident_id = $1 AND details->>'message_ts' = $2",
      [incidentId, ts],
    );
    expect(rows.map((r) => r.details.text)).toEqual(['try with *** again']);
    // The author is told, in the channel, only them.
    const warning = await bot.fake.waitFor('chat.postEphemeral', (c) => c.args.user === AUTHOR);
    expect(warning.args.channel).toBe(channelId);
    expect(String(warning.args.text)).toMatch(/looks like a secret: one the bot is configured with/);
    expect(String(warning.args.text)).toMatch(/delete the message or edit the secret out, and rotate/);
    for (const call of bot.fake.calls) expect(JSON.stringify(call.args), call.method).not.toMatch(/tok-4f9a/);
    expect((await auditRow(ts)).details).toMatchObject({ message_ts: ts, secret_warned: AUTHOR });
    // Put on the timeline again: already there, no second warning.
    bot.fake.reset();
    const again = await addToTimeline(channelId, AUTHOR, `try with ${TOKEN} again`, ts);
    expect(again.reply).toMatch(/already/);
    expect(toldPrivately(AUTHOR)).toEqual([]);
  });

  it('tells an author no longer in the channel by direct message', async () => {
    const { channelId } = await declare('secret pasted then left');
    const LEFT = 'U0LEFT';
    bot.fake.reset();
    const { ts } = await addToTimeline(channelId, LEFT, `the key is ${TOKEN}`);
    const dm = await bot.fake.waitFor('chat.postMessage', (c) => /looks like a secret/.test(String(c.args.text)));
    expect(dm.args.channel).toBe(LEFT);
    // Tried in the channel first, which Slack refuses for someone not in it.
    expect(bot.fake.callsTo('chat.postEphemeral').filter((c) => c.args.user === LEFT && c.response?.ok)).toEqual([]);
    expect(JSON.stringify(dm.args)).not.toMatch(/tok-4f9a/);
    expect((await auditRow(ts)).details).toMatchObject({ secret_warned: LEFT });
  });

  it('says nothing of the kind for a message without a secret', async () => {
    const { channelId } = await declare('no secret here');
    bot.fake.reset();
    const { reply, ts } = await addToTimeline(channelId, AUTHOR, 'the pool is exhausted, tok- prefixes are ours');
    expect(reply).toContain('the pool is exhausted');
    expect(reply).not.toMatch(/secret/);
    const details = (await auditRow(ts)).details;
    expect(details).not.toHaveProperty('secret_warned');
    expect(toldPrivately(AUTHOR)).toEqual([]);
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => /secret/.test(String(c.args.text)))).toEqual([]);
  });
});

describe("a provider's key typed in a title (no value the bot knows)", () => {
  const bot = useBot({ incidentsChannel: true });
  const KEY = 'sk_live_51HqLyjWDarjtT1zdp7dcXYZabc123';

  it("is masked before it is stored and shown (the channel's name too), and the incident is private: it is about a secret", async () => {
    const before = bot.fake.callsTo('conversations.create').length;
    const res = await bot.command(`sev1 api key ${KEY} leaked in a public repo`, { user_id: 'U0REP' });
    const create = (await bot.fake.waitForCount('conversations.create', before + 1)).at(-1)!;
    expect(String(create.args.name)).toMatch(/^inc-\d+-api-key-sk_live_-leaked-in-a-public-repo$/);
    expect(String(create.args.is_private)).toBe('true');
    const channelId = bot.fake.channelByName(String(create.args.name))!.id;
    await bot.fake.waitFor('pins.add', (c) => c.args.channel === channelId);
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    const reply = await bot.answer(res);
    expect(reply.text).toContain('It is private because its title held a secret');
    expect(reply.text).toContain('Rotate that secret');
    const { rows } = await bot.db.query<{ title: string; private: boolean; details: { private?: string } }>(
      `SELECT i.title, i.private, e.details FROM incidents i JOIN incident_events e ON e.incident_id = i.id
       WHERE i.channel_id = $1 AND e.kind = 'declared'`,
      [channelId],
    );
    expect(rows[0]).toMatchObject({
      title: 'api key sk_live_*** leaked in a public repo',
      private: true,
      details: { private: 'secret' },
    });
    // Announced nowhere, as a private incident is; nothing the bot said holds the key.
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID)).toEqual([]);
    const said = JSON.stringify(bot.fake.calls);
    expect(said).not.toContain(KEY.slice('sk_live_'.length));
    expect(said).toContain('api key sk_live_*** leaked in a public repo');
  });
});
