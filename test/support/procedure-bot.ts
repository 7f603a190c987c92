import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { stepsOf } from '../../src/runbook/playbook-steps.js';
import type { Playbook, PlaybookStep } from '../../src/runbook/playbooks.js';
import { DEFAULT_RUNBOOK_FILE, parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { type BotHarness, startBot } from './bot-harness.js';
import { elementsOf, json } from './checklist-helpers.js';
import { declareThroughBot, eventually, type Opened } from './incident-flow.js';
import { stateValue, TEST_GENERAL_CHANNEL_ID } from './slack-request.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures');
export const REPORTER = 'U0REPORTER';
export const RESPONDER = 'U0RESPONDER';
export const APPROVER = 'U0APPROVER';
export const GENERAL = TEST_GENERAL_CHANNEL_ID;

/**
 * What the fake atom-cli shows (test/fixtures/atom-cli): every machine running or one stopped, logs with errors or not,
 * a rollback that takes (by default), takes as Fly.io's does (v59 made from the version) or does not take.
 */
export interface CliScenario {
  nodes?: 'running' | 'one-stopped';
  /** errors-earlier: ERROR lines, none in the last 80 lines (not among the last lines a run's message shows). */
  logs?: 'errors' | 'clean' | 'errors-earlier' | 'control-bytes';
  secrets?: 'no-database-url';
  rollback?: 'does-not-take' | 'new-release';
}

/** One run of a fake CLI, as it logged itself. */
export interface CliRun {
  argv: string[];
  cwd: string;
}

/** A playbook's message: a checklist started with `/incident run`, or a playbook attached to an incident. */
export interface Checklist {
  channelId: string;
  ts: string;
}

export interface ProcedureBot {
  bot: BotHarness;
  runbook: Runbook;
  /** COMMAND_BASE_DIR: where the commands run (with a backend-saas directory holding infrastructure.config). */
  base: string;
  /** What the fake atom-cli shows from its next run on. */
  scenario(s: CliScenario): Promise<void>;
  /** The fake atom-cli forgets the rollbacks that took: `status` shows v58 running again. */
  forgetRollbacks(): Promise<void>;
  /** Every run of the fake atom-cli so far, oldest first. */
  atomRuns(): Promise<CliRun[]>;
  /** Every run of the fake aws so far, oldest first. */
  awsRuns(): Promise<CliRun[]>;
  /** The key (`resolution.3`) of the first step of a bundled playbook that `is` picks; throws when there is none. */
  keyOf(playbookId: string, is: (step: PlaybookStep) => boolean): string;
  /** `/incident run <id>` in #general: the checklist, the run's id and the message as posted. */
  start(id: string): Promise<Checklist & { runId: number; posted: Awaited<ReturnType<BotHarness['fake']['waitFor']>> }>;
  /** Declares an incident titled `title` and attaches the playbook with `/incident playbook <id>`. */
  attach(title: string, playbookId: string): Promise<Checklist & { incident: Opened }>;
  /** Declares an incident titled `title`, whose title suggests the playbook: its message once posted. */
  declare(title: string, playbookId: string): Promise<Checklist & { incident: Opened }>;
  /** Clicks Run on a step; a destructive step's Slack confirmation is the button's own, so this runs it. */
  clickRun(at: Checklist, key: string, userId?: string): Promise<void>;
  /** Clicks Run on a step with parameters and submits its form; returns the bot's answer to the submission. */
  submitParams(
    at: Checklist,
    key: string,
    values: Record<string, string>,
    userId?: string,
  ): Promise<{ json: Record<string, unknown> }>;
  /** Submits the confirmation a destructive step's form turned into. */
  confirm(answer: { json: Record<string, unknown> }, userId?: string): Promise<void>;
  /** Waits for the approval request in the checklist's channel and approves it as APPROVER. */
  approve(at: Checklist): Promise<void>;
  /** The run message of `command` once the run has ended (succeeded, failed…): the update's arguments as JSON. */
  ended(at: Checklist, command: string, ms?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Mrkdwn's escaped `&`, `<` and `>` as written. */
const unescaped = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** A run message's text once the run has ended: `:x: Failed: atom-cli nodes list`. */
const ENDED = /^(?::white_check_mark: Succeeded|:x: Failed|:alarm_clock: Timed out|:x: Could not run): /;

/**
 * The bundled runbook file, run through the real app: signed requests, the local Slack, the fake atom-cli and aws
 * (each logging its argv and working directory), and a health endpoint of our own that answers the runbook's paths.
 */
export async function startProcedureBot(
  opts: {
    env?: Record<string, string>;
    /** The bundled runbook file's content as a test changes it (another playbook, a step that needs approval). */
    edit?: (data: Record<string, unknown>) => Record<string, unknown>;
  } = {},
): Promise<ProcedureBot> {
  const dir = await mkdtemp(join(tmpdir(), 'bot-procedures-'));
  const base = join(dir, 'app');
  const atomLog = join(dir, 'atom-cli.log');
  const awsLog = join(dir, 'aws.log');
  const scenarioFile = join(dir, 'scenario.json');
  await mkdir(join(base, 'backend-saas'), { recursive: true });
  await writeFile(join(base, 'backend-saas', 'infrastructure.config'), 'app = "atom-saas-api"\n');
  const health: Server = createServer((req, res) => {
    res.writeHead(['/api/health', '/api/alive', '/api/v1/health', '/health'].includes(req.url ?? '') ? 200 : 404);
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
  const read = parseYaml(await readFile(DEFAULT_RUNBOOK_FILE, 'utf8')) as Record<string, unknown>;
  const data = opts.edit ? opts.edit(read) : read;
  const runbook = parseRunbook({ ...data, access: { responders: [RESPONDER], approvers: [APPROVER] } });
  const bot = await startBot({
    runbook,
    timers: false,
    env: {
      ATOM_CLI: join(FIXTURES, 'atom-cli'),
      AWS_CLI: join(FIXTURES, 'aws'),
      COMMAND_BASE_DIR: base,
      COMMAND_ENV: 'ATOM_CLI_LOG,AWS_CLI_LOG,ATOM_CLI_SCENARIO',
      ATOM_CLI_LOG: atomLog,
      AWS_CLI_LOG: awsLog,
      ATOM_CLI_SCENARIO: scenarioFile,
      HEALTH_BASE_URL: `http://127.0.0.1:${(health.address() as AddressInfo).port}`,
      ...opts.env,
    },
  });
  bot.fake.channels.get(GENERAL)!.members.add(REPORTER).add(RESPONDER).add(APPROVER);

  const runsOf = async (file: string) =>
    (await readFile(file, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as CliRun);

  const playbookOf = (id: string): Playbook => {
    const pb = runbook.playbooks.find((p) => p.id === id);
    if (!pb) throw new Error(`no playbook ${id} in the bundled runbook`);
    return pb;
  };

  const runButton = (at: Checklist, key: string) => {
    const found = elementsOf(bot, at.channelId, at.ts, ACTION.runStep).find(
      (x) => JSON.parse(x.element.value!).s === key,
    );
    if (!found) throw new Error(`no Run button for ${key}`);
    return found.element.value!;
  };

  /** The message of a playbook in an incident's channel (whose responder and approver then join it). */
  const playbookMessage = async (channelId: string, playbookId: string): Promise<Checklist> => {
    const { title } = playbookOf(playbookId);
    const pb = await bot.fake.waitFor(
      'chat.postMessage',
      // The text is mrkdwn: a title's `>` (High Error Rates (> 10%)) is escaped there.
      (m) => m.args.channel === channelId && unescaped(String(m.args.text)).startsWith(`Playbook: ${title}`),
      10_000,
    );
    bot.fake.channels.get(channelId)?.members.add(RESPONDER).add(APPROVER);
    return { channelId, ts: (pb.response as { ts: string }).ts };
  };

  const clickRun: ProcedureBot['clickRun'] = async (at, key, userId = RESPONDER) => {
    await bot.click({
      channelId: at.channelId,
      messageTs: at.ts,
      actionId: ACTION.runStep,
      value: runButton(at, key),
      userId,
    });
  };

  return {
    bot,
    runbook,
    base,
    scenario: (s) => writeFile(scenarioFile, JSON.stringify(s)),
    forgetRollbacks: () => rm(`${atomLog}.running`, { force: true }),
    atomRuns: () => runsOf(atomLog),
    awsRuns: () => runsOf(awsLog),
    keyOf(playbookId, is) {
      const found = stepsOf(playbookOf(playbookId)).find(({ step }) => is(step));
      if (!found) throw new Error(`no such step in ${playbookId}`);
      return found.key;
    },
    async start(id) {
      bot.fake.reset();
      await bot.command(`run ${id}`, { channel_id: GENERAL, user_id: REPORTER });
      const posted = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook:/.test(String(m.args.text)));
      const ts = (posted.response as { ts: string }).ts;
      const runId = await eventually(async () => {
        const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM playbook_runs WHERE message_ts = $1', [ts]);
        return rows[0] ? Number(rows[0].id) : undefined;
      }, 'the run to be recorded');
      return { channelId: GENERAL, ts, runId, posted };
    },
    async attach(title, playbookId) {
      const incident = await declareThroughBot(bot, title, REPORTER);
      bot.fake.reset();
      await bot.command(`playbook ${playbookId}`, { channel_id: incident.channelId, user_id: REPORTER });
      return { ...(await playbookMessage(incident.channelId, playbookId)), incident };
    },
    async declare(title, playbookId) {
      bot.fake.reset();
      const incident = await declareThroughBot(bot, title, REPORTER);
      return { ...(await playbookMessage(incident.channelId, playbookId)), incident };
    },
    clickRun,
    async submitParams(at, key, values, userId = RESPONDER) {
      const before = bot.fake.callsTo('views.open').length;
      await clickRun(at, key, userId);
      const form = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!;
      const view = form.args.view as { private_metadata: string };
      const res = await bot.submit({
        callbackId: VIEW.runParams,
        privateMetadata: view.private_metadata,
        userId,
        values: Object.fromEntries(
          Object.entries(values).map(([name, v]) => [
            `${BLOCK.paramPrefix}${name}`,
            { [INPUT.param]: stateValue.plainText(v) },
          ]),
        ),
      });
      return { json: res.json as Record<string, unknown> };
    },
    async confirm(answer, userId = RESPONDER) {
      const view = (answer.json as { view?: { callback_id: string; private_metadata: string } }).view;
      if (view?.callback_id !== VIEW.runConfirm) throw new Error(`not a confirmation: ${JSON.stringify(answer.json)}`);
      await bot.submit({ callbackId: VIEW.runConfirm, privateMetadata: view.private_metadata, userId, values: {} });
    },
    async approve(at) {
      const request = await bot.fake.waitFor(
        'chat.postMessage',
        (m) => m.args.channel === at.channelId && json(m).includes(ACTION.approveStep),
      );
      const approvalId = /"value":"(\d+)"/.exec(json(request).replace(/\\/g, ''))![1]!;
      await bot.click({
        channelId: at.channelId,
        messageTs: (request.response as { ts: string }).ts,
        actionId: ACTION.approveStep,
        value: approvalId,
        userId: APPROVER,
      });
    },
    async ended(at, command, ms = 10_000) {
      const u = await bot.fake.waitFor(
        'chat.update',
        (c) =>
          c.args.channel === at.channelId && ENDED.test(String(c.args.text)) && String(c.args.text).includes(command),
        ms,
      );
      return json(u);
    },
    async stop() {
      await bot?.stop();
      await new Promise((resolve) => health.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
