import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { stateValue, TEST_GENERAL_CHANNEL_ID } from '../support/slack-request.js';
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
      env: { ATOM_CLI, COMMAND_ENV: 'ATOM_CLI_LOG,ATOM_API_TOKEN', ATOM_CLI_LOG: log, ATOM_API_TOKEN: TOKEN },
    });
    bot.fake.channels.get(GENERAL)!.members.add(RESPONDER).add(APPROVER);
  });
  afterAll(async () => {
    await bot?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The argv of every run of the fake atom-cli so far. */
  const cliRuns = async () =>
    (await readFile(log, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { argv: string[] }).argv);
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

  it('reaches the command as typed, and shows and is stored masked: checklist, run message, confirmation, approval, timeline, audit', async () => {
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
