import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RUNBOOK_FILE, loadRunbook, parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { secretFragments } from '../ops/fake-atom-cli.js';
import { atomCliRuns } from '../support/atom-cli-log.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { elementsOf } from '../support/checklist-helpers.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { stateValue } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
const RESPONDER = 'U0RESPONDER';
/** Someone who is not in the incident channel (a public channel: they see its messages and click its buttons). */
const OUTSIDER = 'U0OUTSIDER';
const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small runbook whose playbook has one step of each kind, with short timeouts. */
function runbookWithPlaybook(): Runbook {
  return parseRunbook({
    ...testRunbookData(),
    access: { responders: [RESPONDER], approvers: ['U0APPROVER'] },
    playbooks: {
      'db-connection': {
        title: 'Database Connection Failures',
        kind: 'incident',
        match: ['db down', 'database', 'connection'],
        symptoms: ['500 errors on all endpoints'],
        detection: [
          { text: 'Check the app status', run: ['atom-cli', 'status'], timeout: '2s' },
          {
            text: 'Read the logs',
            run: ['atom-cli', 'logs', '--lines', '{lines}'],
            params: { lines: { kind: 'lines', default: '100' } },
            timeout: '5s',
          },
          { text: 'Check health', http: { path: '/api/health' } },
        ],
        mitigation: [
          {
            text: 'Restart the node',
            run: ['atom-cli', 'nodes', 'restart', '{node_id}'],
            params: { node_id: 'node_id' },
            destructive: true,
            timeout: '5s',
          },
          {
            text: 'Rollback the last migration',
            run: ['alembic', 'downgrade', '-1'],
            destructive: true,
            approval: true,
            warning: 'May lose data',
          },
          {
            text: 'Roll back the release',
            run: ['atom-cli', 'rollback', '{version}'],
            params: { version: 'version' },
            destructive: true,
            approval: true,
            warning: 'Users see the old version',
            timeout: '5s',
          },
        ],
        resolution: ['Find the root cause'],
        prevention: ['Pool monitoring'],
      },
      'redis-connection': {
        title: 'Redis Connection Failures',
        kind: 'issue',
        match: ['redis'],
        symptoms: ['Cache misses'],
        detection: ['Check the Redis status page'],
        mitigation: [],
        resolution: [],
        prevention: [],
      },
    },
  });
}

interface Ctx {
  bot: BotHarness;
  channelId: string;
  incidentId: number;
  playbookTs: string;
}

/** The card's Roll back, clicked by `userId`. */
async function clickRollback(bot: BotHarness, c: Ctx, userId: string): Promise<void> {
  const { rows } = await bot.db.query<{ card_ts: string }>('SELECT card_ts FROM incidents WHERE id = $1', [
    c.incidentId,
  ]);
  await bot.clickCard({ id: c.incidentId, channelId: c.channelId, cardTs: rows[0]!.card_ts }, ACTION.rollback, userId);
}

/** A **Roll back to vN** button on the playbook's message, clicked by `userId`. */
const clickRollbackTo = (c: Ctx, version: string, userId: string) =>
  c.bot.click({
    channelId: c.channelId,
    messageTs: c.playbookTs,
    actionId: ACTION.rollbackTo,
    value: version,
    userId,
  });

async function declareWithPlaybook(bot: BotHarness, title: string): Promise<Ctx> {
  const before = bot.fake.callsTo('conversations.create').filter((c) => !c.failed).length;
  const replies = bot.fake.callsTo('response_url').length;
  await bot.command(`sev1 ${title}`);
  await bot.fake.waitForCount('response_url', replies + 1);
  const created = await bot.fake.waitForCount('conversations.create', before + 1);
  const channelId = bot.fake.channelByName(created.at(-1)!.args.name as string)!.id;
  const pb = await bot.fake.waitFor(
    'chat.postMessage',
    (c) => c.args.channel === channelId && /^Playbook:/.test(String(c.args.text)),
  );
  // Only people in the incident channel run its steps: everyone these tests click as is in it, but OUTSIDER.
  const members = bot.fake.channels.get(channelId)!.members;
  for (const u of [RESPONDER, 'U0APPROVER', 'U0SOMEONE', 'U0BYSTANDER', 'U0FIRST', 'U0SECOND']) members.add(u);
  const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [channelId]);
  return { bot, channelId, incidentId: Number(rows[0]!.id), playbookTs: (pb.response as { ts: string }).ts };
}

const runValue = (key: string) => JSON.stringify({ p: 'db-connection', s: key });
const click = (c: Ctx, key: string, userId = 'U0REPORTER', triggerId?: string) =>
  c.bot.click({
    channelId: c.channelId,
    messageTs: c.playbookTs,
    actionId: ACTION.runStep,
    value: runValue(key),
    userId,
    ...(triggerId ? { triggerId } : {}),
  });

/**
 * Submits a destructive step's parameters; the form turns into a confirmation showing the exact command, which is
 * then confirmed. Returns that command as the confirmation showed it.
 */
async function submitAndConfirm(
  bot: BotHarness,
  privateMetadata: string,
  userId: string,
  values: Record<string, string>,
) {
  const res = await bot.submit({
    callbackId: VIEW.runParams,
    privateMetadata,
    userId,
    values: Object.fromEntries(
      Object.entries(values).map(([k, v]) => [`${BLOCK.paramPrefix}${k}`, { [INPUT.param]: stateValue.plainText(v) }]),
    ),
  });
  const next = res.json as {
    response_action: string;
    view: { callback_id: string; private_metadata: string; blocks: unknown[] };
  };
  expect(next.response_action).toBe('update');
  expect(next.view.callback_id).toBe(VIEW.runConfirm);
  await bot.submit({ callbackId: VIEW.runConfirm, privateMetadata: next.view.private_metadata, userId, values: {} });
  return JSON.stringify(next.view.blocks);
}

/** The approval request posted in the incident channel: the request message and its approval id. */
async function approvalRequest(c: Ctx) {
  const req = await c.bot.fake.waitFor(
    'chat.postMessage',
    (m) => m.args.channel === c.channelId && json(m).includes(ACTION.approveStep),
  );
  const id = /"value":"(\d+)"/.exec(json(req).replace(/\\/g, ''))![1]!;
  return { req, ts: (req.response as { ts: string }).ts, id };
}

/** Clicks Approve and run on an approval request. */
const approve = (c: Ctx, r: { ts: string; id: string }, userId = 'U0APPROVER') =>
  c.bot.click({ channelId: c.channelId, messageTs: r.ts, actionId: ACTION.approveStep, value: r.id, userId });

/** The run message in the playbook's thread, once it reaches `state`. */
async function runMessage(c: Ctx, re: RegExp, ms = 8000) {
  return c.bot.fake.waitFor('chat.update', (u) => u.args.channel === c.channelId && re.test(json(u)), ms);
}

/** What the fake atom-cli shows (see test/fixtures/atom-cli): every machine running or one stopped, logs with errors. */
interface CliScenario {
  nodes?: 'running' | 'one-stopped';
  logs?: 'errors' | 'clean';
  deployments?: 'unreadable';
  rollback?: 'does-not-take' | 'new-release';
  status?: 'no-version';
}

/**
 * The shapes of a rollback to v57, as `atom-cli status` shows it after (test/fixtures/atom-cli): it took, v57 itself
 * running; it took as Fly.io's does, v59 made from v57 running; it did not take, v58 still running; status shows no
 * version. Each with the verification's first line and its line for the status check.
 */
const ROLLBACK_SHAPES = [
  {
    shape: 'took, v57 itself running',
    tag: 'same',
    scenario: {},
    head: /^:white_check_mark: Rolled back to `v57`; every post-deployment check passed\./,
    line: ':white_check_mark: pass · `atom-cli status` — expected v57 (or v59 made from it); status shows v57',
  },
  {
    shape: 'took as Fly.io rolls back, v59 made from v57 running',
    tag: 'fly',
    scenario: { rollback: 'new-release' },
    head: /^:white_check_mark: Rolled back to `v57`; every post-deployment check passed\./,
    line: ':white_check_mark: pass · `atom-cli status` — expected v57 (or v59 made from it); status shows v59, made from v57',
  },
  {
    shape: 'did not take, v58 still running',
    tag: 'not-taken',
    scenario: { rollback: 'does-not-take' },
    head: /^:x: Rollback to `v57`: 1 check\(s\) failed\./,
    line: ':x: fail · `atom-cli status` — expected v57 (or v59 made from it); status shows v58',
  },
  {
    shape: 'cannot be read, status showing no version',
    tag: 'unread',
    scenario: { status: 'no-version' },
    head: /^:warning: Rolled back to `v57`: 4 post-deployment check\(s\) passed, 1 could not be checked \(below\): check it by hand\./,
    line: ':warning: not checked · `atom-cli status` — expected v57 (or v59 made from it); running version not shown by `atom-cli status`: check by hand',
  },
] as const satisfies readonly { shape: string; tag: string; scenario: CliScenario; head: RegExp; line: string }[];

/**
 * A bot with the test playbook, the fake atom-cli (logging its argv, showing the scenario set) and a local app whose
 * health we control. The app answers the runbook's health endpoints, /api/health and /api/alive, and 404 elsewhere.
 */
async function startPlaybookBot(status: () => number) {
  const dir = await mkdtemp(join(tmpdir(), 'bot-pb-'));
  const log = join(dir, 'atom-cli.log');
  const scenarioFile = join(dir, 'scenario.json');
  const health = createServer((req, res) => {
    const code = status();
    res.writeHead(['/api/health', '/api/alive'].includes(req.url ?? '') ? code : 404, {
      'content-type': 'application/json',
    });
    res.end(JSON.stringify({ status: code === 200 ? 'ok' : 'database unreachable' }));
  });
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', () => r()));
  const bot = await startBot({
    runbook: runbookWithPlaybook(),
    timers: false,
    env: {
      ATOM_CLI,
      // The fake CLI stands in for the wrapper that runs alembic in the app machine.
      ALEMBIC_CLI: ATOM_CLI,
      HEALTH_BASE_URL: `http://127.0.0.1:${(health.address() as AddressInfo).port}`,
      COMMAND_ENV: 'ATOM_CLI_LOG,ATOM_CLI_SCENARIO',
      ATOM_CLI_LOG: log,
      ATOM_CLI_SCENARIO: scenarioFile,
    },
  });
  return {
    bot,
    /** What the fake atom-cli shows from its next run on. */
    scenario: (s: CliScenario) => writeFile(scenarioFile, JSON.stringify(s)),
    /** The fake atom-cli forgets the rollbacks that took: `status` shows v58 running again. */
    forgetRollbacks: () => rm(`${log}.running`, { force: true }),
    /** The argv of every atom-cli run so far, oldest first. */
    async cliRuns(): Promise<string[][]> {
      return (await atomCliRuns(log)).map((r) => r.argv);
    },
    async stop() {
      await bot.stop();
      await new Promise((r) => health.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('playbooks from the incident channel', () => {
  let bot: BotHarness;
  let env: Awaited<ReturnType<typeof startPlaybookBot>>;
  let healthStatus = 200;
  const cliRuns = () => env.cliRuns();

  beforeAll(async () => {
    env = await startPlaybookBot(() => healthStatus);
    bot = env.bot;
  });
  afterAll(async () => env?.stop());

  it('suggests the playbook from the title at declare, with Run buttons on command steps', async () => {
    const c = await declareWithPlaybook(bot, 'db down');
    const msg = bot.fake.message(c.channelId, c.playbookTs)!;
    const blocks = JSON.stringify(msg.blocks);
    expect(blocks).toContain('Database Connection Failures');
    expect(blocks).toContain('Suggested from the incident title');
    expect((blocks.match(new RegExp(ACTION.runStep, 'g')) ?? []).length).toBe(6);
    expect(blocks).toContain('atom-cli nodes restart {node_id}');
    // A destructive step without parameters runs on click, so Slack confirms first, naming exactly what runs.
    expect(blocks).toMatch(
      /"confirm":\{"title":\{"type":"plain_text","text":"Run in production\?"\},"text":\{"type":"mrkdwn","text":"This runs `alembic downgrade -1`\.\\nMay lose data"/,
    );
    const { rows } = await bot.db.query<{ kind: string }>(
      "SELECT kind FROM incident_events WHERE incident_id = $1 AND kind = 'playbook_attached'",
      [c.incidentId],
    );
    expect(rows).toHaveLength(1);
  });

  it('/incident playbook lists them; an unknown name lists them with a note; a name attaches one', async () => {
    const c = await declareWithPlaybook(bot, 'database is slow to connect');
    bot.fake.reset();
    await bot.command('playbook');
    expect((await bot.fake.waitFor('response_url')).args.text).toContain('`db-connection`');
    bot.fake.reset();
    await bot.command('playbook nosuch', { channel_id: c.channelId });
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/There is no playbook `nosuch`.*db-connection/s);
    bot.fake.reset();
    await bot.command('playbook db-connection', { channel_id: c.channelId });
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/already attached/);
    // Typed full width (a Chinese or Japanese keyboard): the same playbook.
    bot.fake.reset();
    await bot.command('playbook ｄｂ－ｃｏｎｎｅｃｔｉｏｎ', { channel_id: c.channelId });
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/already attached/);
  });

  it('/incident playbook rollback points to /incident rollback and attaches nothing; a partial name fitting several lists them', async () => {
    const c = await declareWithPlaybook(bot, 'database is slow again');
    const attached = async () =>
      (await bot.db.query('SELECT 1 FROM incident_playbooks WHERE incident_id = $1', [c.incidentId])).rows.length;
    const before = await attached();
    bot.fake.reset();
    await bot.command('playbook rollback', { channel_id: c.channelId });
    const reply = String((await bot.fake.waitFor('response_url')).args.text);
    expect(reply).toContain('To roll back a deployment, use `/incident rollback`');
    expect(reply).toContain('Nothing was attached');
    bot.fake.reset();
    await bot.command('playbook roll back', { channel_id: c.channelId });
    expect(String((await bot.fake.waitFor('response_url')).args.text)).toContain('`/incident rollback`');
    bot.fake.reset();
    await bot.command('playbook connection', { channel_id: c.channelId });
    expect(String((await bot.fake.waitFor('response_url')).args.text)).toMatch(
      /`connection` fits 2 playbooks; name one by its id.*db-connection.*redis-connection/s,
    );
    expect(await attached()).toBe(before);
  });

  it('runs a read-only step: output streams into the thread, with exit code and duration, and is recorded', async () => {
    const c = await declareWithPlaybook(bot, 'db down again');
    await click(c, 'detection.0');
    const started = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && m.args.thread_ts === c.playbookTs,
    );
    // Shown as the runbook names it, while ATOM_CLI's binary is what runs.
    expect(json(started)).toContain('atom-cli status');
    expect(json(started)).not.toContain(ATOM_CLI);
    const done = await runMessage(c, /Succeeded/);
    expect(json(done)).toMatch(/exit 0/);
    expect((await cliRuns()).some((a) => a.join(' ') === 'status')).toBe(true);
    const { rows } = await bot.db.query<{
      state: string;
      exit_code: number;
      output_digest: string;
      requested_by: string;
    }>('SELECT state, exit_code, output_digest, requested_by FROM step_runs WHERE incident_id = $1', [c.incidentId]);
    expect(rows[0]).toMatchObject({ state: 'succeeded', exit_code: 0, requested_by: 'U0REPORTER' });
    expect(rows[0]!.output_digest).toMatch(/^[0-9a-f]{64}$/);
    bot.fake.reset();
    // Both checks on the timeline's own reply: the newest reply when read need not be it.
    const timeline = JSON.stringify(await bot.replyTo(await bot.command('timeline', { channel_id: c.channelId })));
    expect(timeline).toMatch(/ran `.*atom-cli status`: succeeded, exit 0/);
    expect(timeline).not.toContain(ATOM_CLI);
  });

  it('asks parameters in a form; bad values show inline with the pattern and nothing runs; good ones run, redacted', async () => {
    const c = await declareWithPlaybook(bot, 'db down with logs');
    bot.fake.reset();
    await click(c, 'detection.1');
    const open = await bot.fake.waitFor('views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string; blocks: { block_id?: string }[] };
    expect(view.callback_id).toBe(VIEW.runParams);
    const before = (await cliRuns()).length;
    for (const bad of ['; rm -rf /', '$(id)', '100 200', '-5', '1\n2', 'x'.repeat(200)]) {
      const res = await bot.submit({
        callbackId: VIEW.runParams,
        privateMetadata: view.private_metadata,
        values: { [`${BLOCK.paramPrefix}lines`]: { [INPUT.param]: stateValue.plainText(bad) } },
      });
      expect(res.json, bad).toMatchObject({
        response_action: 'errors',
        errors: {
          [`${BLOCK.paramPrefix}lines`]: expect.stringMatching(
            /expected a whole number of log lines from 1 to 9999\.?$/,
          ),
        },
      });
    }
    await sleep(200);
    expect((await cliRuns()).length).toBe(before);
    await bot.submit({
      callbackId: VIEW.runParams,
      privateMetadata: view.private_metadata,
      values: { [`${BLOCK.paramPrefix}lines`]: { [INPUT.param]: stateValue.plainText('20') } },
    });
    const done = await runMessage(c, /Succeeded/);
    expect((await cliRuns()).at(-1)).toEqual(['logs', '--lines', '20']);
    const shown = json(done);
    for (const secret of [
      'hunter2',
      'sk-proj-Xq3TbV9mK2pL7wR4nZ8cY1hF6dJ0sA5gE',
      'sk-ant-api03-Hn4Kd8Wq2Zr6Tp0Lm5Xv9Bc3Fj7Gs1Ya',
    ]) {
      expect(shown).not.toContain(secret);
    }
  });

  it('someone not in the incident channel runs no step: not at the click, nor by a form submitted on its own', async () => {
    const c = await declareWithPlaybook(bot, 'db down outsider');
    const before = (await cliRuns()).length;
    const notIn = /Only people in (<#C\w+>|its channel) may run its steps, and you are not in it/;
    // A read-only step at the click: refused, as Done is.
    bot.fake.reset();
    await click(c, 'detection.0', OUTSIDER);
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(notIn);
    // The card's Roll back, which is no step to them: said as a roll back.
    bot.fake.reset();
    await clickRollback(bot, c, OUTSIDER);
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(
      /Only people in <#C\w+> may roll back, and you are not in it: join the channel/,
    );
    // A step with parameters: no form.
    bot.fake.reset();
    await click(c, 'detection.1', OUTSIDER);
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(notIn);
    expect(bot.fake.callsTo('views.open')).toHaveLength(0);
    // A parameters form the bot never opened for them, submitted anyway: refused in the form.
    const submit = (meta: Record<string, unknown>) =>
      bot.submit({
        callbackId: VIEW.runParams,
        privateMetadata: JSON.stringify({ playbookId: 'db-connection', stepKey: 'detection.1', ...meta }),
        userId: OUTSIDER,
        values: { [`${BLOCK.paramPrefix}lines`]: { [INPUT.param]: stateValue.plainText('5') } },
      });
    const error = (res: Awaited<ReturnType<typeof submit>>) =>
      (res.json as { errors: Record<string, string> }).errors[`${BLOCK.paramPrefix}lines`];
    const own = await submit({ incidentId: c.incidentId, channelId: c.channelId });
    expect(own.json).toMatchObject({ response_action: 'errors' });
    expect(error(own)).toMatch(notIn);
    // Naming another channel than the incident's: out of date, whoever sends it.
    for (const userId of [OUTSIDER, 'U0REPORTER']) {
      const elsewhere = await bot.submit({
        callbackId: VIEW.runParams,
        privateMetadata: JSON.stringify({
          incidentId: c.incidentId,
          channelId: 'C0GENERAL',
          playbookId: 'db-connection',
          stepKey: 'detection.1',
        }),
        userId,
        values: { [`${BLOCK.paramPrefix}lines`]: { [INPUT.param]: stateValue.plainText('5') } },
      });
      expect(error(elsewhere), userId).toBe('This form is out of date; close it and press Run again.');
    }
    // The confirmation of a destructive step, forged with values: nothing runs, and the form says why (it has no
    // field to show it under; an ephemeral message in a channel they are not in would not reach them).
    bot.fake.reset();
    const confirmed = await bot.submit({
      callbackId: VIEW.runConfirm,
      privateMetadata: JSON.stringify({
        incidentId: c.incidentId,
        channelId: c.channelId,
        playbookId: 'db-connection',
        stepKey: 'mitigation.0',
        params: { node_id: '3d8d9e1b2c4f89' },
      }),
      userId: OUTSIDER,
      values: {},
    });
    expect(confirmed.json).toMatchObject({ response_action: 'update', view: { title: { text: 'Nothing was run' } } });
    expect(JSON.stringify(confirmed.json)).toMatch(notIn);
    // A roll back's version button (Slack's confirm, then the click) is answered through its response_url.
    bot.fake.reset();
    await clickRollbackTo(c, 'v57', OUTSIDER);
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/Only people in <#C\w+> may roll back/);
    await sleep(300);
    expect((await cliRuns()).length).toBe(before);
    const { rows } = await bot.db.query('SELECT 1 FROM step_runs WHERE incident_id = $1', [c.incidentId]);
    expect(rows).toEqual([]);
    expect(await bot.db.query('SELECT 1 FROM step_checks WHERE incident_id = $1', [c.incidentId])).toMatchObject({
      rows: [],
    });
  });

  it('checks a health endpoint and reports status and latency', async () => {
    const c = await declareWithPlaybook(bot, 'db down health');
    healthStatus = 503;
    await click(c, 'detection.2');
    const done = await runMessage(c, /Failed/);
    expect(json(done)).toMatch(/HTTP 503 in \d+ ms/);
    healthStatus = 200;
  });

  it('a destructive step is refused at the first click to someone without the responder role, recorded; a responder runs it', async () => {
    const c = await declareWithPlaybook(bot, 'db down restart');
    bot.fake.reset();
    const before = (await cliRuns()).length;
    await click(c, 'mitigation.0', 'U0SOMEONE');
    // Refused before the parameters form opens: nothing to fill in, nothing to confirm.
    const refusal = await bot.fake.waitFor('response_url');
    expect(refusal.args.text).toContain(`only responders may run it: <@${RESPONDER}>`);
    expect(bot.fake.callsTo('views.open')).toHaveLength(0);
    expect((await cliRuns()).length).toBe(before);
    const { rows } = await bot.db.query<{ state: string; requested_by: string; target: string[] }>(
      'SELECT state, requested_by, target FROM step_runs WHERE incident_id = $1',
      [c.incidentId],
    );
    expect(rows).toEqual([
      { state: 'refused', requested_by: 'U0SOMEONE', target: ['atom-cli', 'nodes', 'restart', '{node_id}'] },
    ]);

    await click(c, 'mitigation.0', RESPONDER);
    const open = await bot.fake.waitFor('views.open');
    const view = open.args.view as { private_metadata: string; title: { text: string } };
    expect(view.title.text).toBe('Confirm the run');
    const shown = await submitAndConfirm(bot, view.private_metadata, RESPONDER, { node_id: '3d8d9e1b2c4f89' });
    expect(shown).toContain('atom-cli nodes restart 3d8d9e1b2c4f89');
    expect(shown).not.toContain(ATOM_CLI);
    await runMessage(c, /Succeeded/);
    expect((await cliRuns()).at(-1)).toEqual(['nodes', 'restart', '3d8d9e1b2c4f89']);
  });

  it('on a resolved incident nothing that changes production runs: steps and rollbacks are refused, and recorded', async () => {
    const c = await declareWithPlaybook(bot, 'db down then resolved');
    // Asked for before the incident was resolved, approved after.
    await click(c, 'mitigation.1', RESPONDER);
    const req = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && json(m).includes(ACTION.approveStep),
    );
    const approvalId = /"value":"(\d+)"/.exec(json(req).replace(/\\/g, ''))![1]!;
    // Its answer to the clicker too, which may come after the request: taken here, not for a later click's.
    await bot.fake.waitFor('response_url', (m) => /Approval requested/.test(String(m.args.text)));
    await bot.command('resolve pool restarted', { channel_id: c.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && /Incident #\d+ resolved/.test(String(m.args.text)),
    );
    const before = (await cliRuns()).length;
    bot.fake.reset();
    // A destructive step with parameters: refused at the click, before its form.
    await click(c, 'mitigation.0', RESPONDER);
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/incident is resolved/);
    expect(bot.fake.callsTo('views.open')).toHaveLength(0);
    // A step that needs a second person: no approval request.
    bot.fake.reset();
    await click(c, 'mitigation.1', RESPONDER);
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/incident is resolved/);
    expect(bot.fake.callsTo('chat.postMessage').filter((m) => json(m).includes(ACTION.approveStep))).toHaveLength(0);
    // A rollback to a version.
    bot.fake.reset();
    await clickRollbackTo(c, 'v57', RESPONDER);
    // A roll back is no playbook to attach: a new incident rolls back with /incident rollback.
    const rollbackElsewhere =
      "This incident is resolved, so nothing that changes production runs from it. If its trouble is back, reopen it first (`/incident reopen [why]`, or the card's Reopen); if this is for something new, declare a new incident (`/incident sev2 <title>`), then `/incident rollback` there.";
    expect((await bot.fake.waitFor('response_url')).args.text).toBe(`:warning: ${rollbackElsewhere}`);
    // The card's Roll back: refused at the click, before any deployment is listed.
    bot.fake.reset();
    await clickRollback(bot, c, RESPONDER);
    expect((await bot.fake.waitFor('response_url')).args.text).toBe(`:warning: ${rollbackElsewhere}`);
    // Typed, the same.
    bot.fake.reset();
    await bot.command('rollback', { channel_id: c.channelId, user_id: RESPONDER });
    expect((await bot.fake.waitFor('response_url')).args.text).toBe(`:warning: ${rollbackElsewhere}`);
    expect(bot.fake.callsTo('chat.postMessage').filter((m) => /Recent deployments/.test(String(m.args.text)))).toEqual(
      [],
    );
    bot.fake.reset();
    await bot.click({
      channelId: c.channelId,
      messageTs: (req.response as { ts: string }).ts,
      actionId: ACTION.approveStep,
      value: approvalId,
      userId: 'U0APPROVER',
    });
    // Resolving closed the request (it says so everywhere), so the press finds nothing waiting: nothing runs.
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/Not run: the incident was resolved/);
    expect((await cliRuns()).length).toBe(before);
    const { rows } = await bot.db.query<{ kind: string; details: { step: string } }>(
      "SELECT kind, details FROM incident_events WHERE incident_id = $1 AND kind = 'step_refused' ORDER BY id",
      [c.incidentId],
    );
    expect(rows.map((r) => r.details.step)).toEqual([
      'mitigation.0',
      'mitigation.1',
      'mitigation.0',
      'mitigation.0',
      'mitigation.0',
    ]);
    // Reading still works during the post-mortem.
    bot.fake.reset();
    await click(c, 'detection.0', RESPONDER);
    await runMessage(c, /Succeeded/);
  });

  it('a run form submitted once the incident is resolved is refused in the form, before any confirmation', async () => {
    const c = await declareWithPlaybook(bot, 'db down resolved while typing');
    bot.fake.reset();
    await click(c, 'mitigation.0', RESPONDER);
    const open = await bot.fake.waitFor('views.open');
    const meta = (open.args.view as { private_metadata: string }).private_metadata;
    await bot.command('resolve pool restarted', { channel_id: c.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && /Incident #\d+ resolved/.test(String(m.args.text)),
    );
    const before = (await cliRuns()).length;
    const res = await bot.submit({
      callbackId: VIEW.runParams,
      privateMetadata: meta,
      userId: RESPONDER,
      values: { [`${BLOCK.paramPrefix}node_id`]: { [INPUT.param]: stateValue.plainText('3d8d9e1b2c4f89') } },
    });
    expect(res.json).toMatchObject({
      response_action: 'errors',
      errors: {
        [`${BLOCK.paramPrefix}node_id`]: expect.stringMatching(
          /^This incident is resolved, so nothing that changes production runs from it\. If its trouble is back, reopen it first \(\/incident reopen \[why\], or the card's Reopen\); if this is for something new, declare a new incident/,
        ),
      },
    });
    expect((await cliRuns()).length).toBe(before);
    const { rows } = await bot.db.query<{ step: string }>(
      "SELECT details->>'step' AS step FROM incident_events WHERE incident_id = $1 AND kind = 'step_refused'",
      [c.incidentId],
    );
    expect(rows).toEqual([{ step: 'mitigation.0' }]);
  });

  it('the migration rollback (alembic downgrade -1) needs approval, carries the data-loss warning, and runs through ALEMBIC_CLI', async () => {
    const c = await declareWithPlaybook(bot, 'db down bad migration');
    bot.fake.reset();
    await click(c, 'mitigation.1', RESPONDER);
    const request = await approvalRequest(c);
    expect(json(request.req)).toContain('alembic downgrade -1');
    expect(json(request.req)).not.toContain(ATOM_CLI);
    expect(json(request.req)).toContain('May lose data');
    await approve(c, request);
    await runMessage(c, /downgrade -1/);
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.channel === c.channelId && /(Succeeded|Failed)/.test(json(u)) && json(u).includes('downgrade -1'),
    );
    expect((await cliRuns()).at(-1)).toEqual(['downgrade', '-1']);
  });

  it('a step that needs a second person runs only after a different approver approves; deny records who and why', async () => {
    const c = await declareWithPlaybook(bot, 'db down bad release');
    const requestRollback = async () => {
      bot.fake.reset();
      await click(c, 'mitigation.2', RESPONDER);
      const open = await bot.fake.waitFor('views.open');
      const shown = await submitAndConfirm(
        bot,
        (open.args.view as { private_metadata: string }).private_metadata,
        RESPONDER,
        { version: 'v57' },
      );
      expect(shown).toContain('A second person must approve it before it runs');
      const req = await bot.fake.waitFor(
        'chat.postMessage',
        (m) => m.args.channel === c.channelId && json(m).includes(ACTION.approveStep),
      );
      expect(json(req)).toContain('Users see the old version');
      expect(json(req)).toContain('<@U0APPROVER>');
      return { ts: (req.response as { ts: string }).ts, id: /"value":"(\d+)"/.exec(json(req).replace(/\\/g, ''))![1]! };
    };
    // What changes anything: the form's look at the deployment history (`deployments`, read-only) aside.
    const changing = async () => (await cliRuns()).filter((a) => a[0] !== 'deployments');
    const before = (await changing()).length;
    const req = await requestRollback();
    const approve = (userId: string) =>
      bot.click({ channelId: c.channelId, messageTs: req.ts, actionId: ACTION.approveStep, value: req.id, userId });

    // An approver who is not in the incident channel neither approves nor denies, as nobody outside it runs a step:
    // the bot would add them to this public incident's channel, and when Slack will not (here: a missing scope), they
    // are told at the click (Deny: when its form is sent, as they are added only then), in the form; each audited.
    const members = bot.fake.channels.get(c.channelId)!.members;
    members.delete('U0APPROVER');
    const noScope = () =>
      bot.fake.failNext('conversations.invite', { error: 'missing_scope', needed: 'channels:manage' });
    const { rows: since } = await bot.db.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM audit_log');
    const notIn = (doing: string) =>
      new RegExp(
        `Only people in (<#C\\w+>|its channel) may ${doing} this request, and you are not in it\\. .*Join the channel yourself`,
      );
    bot.fake.reset();
    noScope();
    await approve('U0APPROVER');
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(notIn('approve'));
    bot.fake.reset();
    await bot.click({
      channelId: c.channelId,
      messageTs: req.ts,
      actionId: ACTION.denyStep,
      value: req.id,
      userId: 'U0APPROVER',
    });
    // The form opens; nobody is added until the denial is sent.
    await bot.fake.waitFor('views.open');
    expect(bot.fake.callsTo('conversations.invite')).toHaveLength(0);
    noScope();
    const forged = await bot.submit({
      callbackId: VIEW.denyReason,
      privateMetadata: JSON.stringify({ approvalId: Number(req.id), channelId: c.channelId }),
      userId: 'U0APPROVER',
      values: { [BLOCK.denyReason]: { [INPUT.summary]: stateValue.plainText('not from here') } },
    });
    expect(forged.json).toMatchObject({
      response_action: 'errors',
      errors: { [BLOCK.denyReason]: expect.stringMatching(notIn('deny')) },
    });
    const audited = async () =>
      (
        await bot.db.query<{ action: string; outcome: string; reason: string }>(
          `SELECT action, outcome, reason FROM audit_log
            WHERE actor = 'U0APPROVER' AND id > $1 ORDER BY action`,
          [since[0]!.id],
        )
      ).rows;
    for (let i = 0; i < 50 && (await audited()).length < 3; i++) await sleep(100);
    expect(await audited()).toEqual([
      { action: 'playbook_approve', outcome: 'refused', reason: expect.stringMatching(/^not_in_channel: /) },
      // The denial sent (refused: Slack would not add them); its form's opening, which adds nobody, went ahead.
      { action: 'playbook_deny', outcome: 'refused', reason: expect.stringMatching(/^not_in_channel: /) },
      { action: 'playbook_deny_form', outcome: 'ok', reason: null },
    ]);
    members.add('U0APPROVER');
    expect((await bot.db.query('SELECT state FROM step_approvals WHERE id = $1', [Number(req.id)])).rows).toEqual([
      { state: 'pending' },
    ]);
    // A Deny form sent by someone in the channel who may not deny: refused in the form, which shows plain text (a
    // mention would be its id), the approvers by name.
    const notApprover = await bot.submit({
      callbackId: VIEW.denyReason,
      privateMetadata: JSON.stringify({ approvalId: Number(req.id), channelId: c.channelId }),
      userId: 'U0BYSTANDER',
      values: { [BLOCK.denyReason]: { [INPUT.summary]: stateValue.plainText('not mine to deny') } },
    });
    expect(notApprover.json).toEqual({
      response_action: 'errors',
      errors: { [BLOCK.denyReason]: 'Only approvers (or the person who asked) may deny this: @Approver Tester.' },
    });

    bot.fake.reset();
    await approve(RESPONDER);
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/A different person must approve/);
    bot.fake.reset();
    await approve('U0BYSTANDER');
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(
      /Only approvers may approve this: <@U0APPROVER>/,
    );
    await sleep(200);
    expect((await changing()).length).toBe(before);

    bot.fake.reset();
    await env.scenario({ nodes: 'running', logs: 'clean' });
    await approve('U0APPROVER');
    const done = await runMessage(c, /Succeeded/);
    expect(json(done)).toContain('approved by <@U0APPROVER>');
    // The playbook's checklist names the approver too, beside who asked: read later, it says who let it run.
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === c.playbookTs && json(u).includes(`done: run by <@${RESPONDER}>, approved by <@U0APPROVER>`),
    );
    expect(
      (
        await bot.db.query(
          `SELECT approved_by FROM step_runs WHERE incident_id = $1 AND step_key = 'mitigation.2' AND state <> 'refused'`,
          [c.incidentId],
        )
      ).rows,
    ).toEqual([{ approved_by: 'U0APPROVER' }]);
    // A playbook step that rolls back is followed by the runbook's post-deployment verification, like the card's.
    const verification = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && /Rolled back to|Rollback to/.test(String(m.args.text)),
      15_000,
    );
    expect(verification.args.text).toMatch(/Rolled back to `v57`; every post-deployment check passed/);
    const runs = (await cliRuns()).map((a) => a.join(' '));
    expect(runs.slice(runs.indexOf('rollback v57'))).toEqual([
      'rollback v57',
      'status',
      'nodes list',
      'logs --lines 50',
    ]);
    await bot.fake.waitFor('chat.update', (u) => u.args.ts === req.ts && /Approved by <@U0APPROVER>/.test(json(u)));
    bot.fake.reset();
    await approve('U0APPROVER');
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/already approved/);
    // Decided, clicked by an approver not in this public channel (their DM showed the decision): told it was decided,
    // and not added to the channel for a press that does nothing. Someone who may not decide learns nothing of it.
    members.delete('U0APPROVER');
    for (const actionId of [ACTION.approveStep, ACTION.denyStep]) {
      bot.fake.reset();
      await bot.click({ channelId: c.channelId, messageTs: req.ts, actionId, value: req.id, userId: 'U0APPROVER' });
      expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/already approved by <@U0APPROVER>/);
      expect(bot.fake.callsTo('conversations.invite')).toEqual([]);
    }
    bot.fake.reset();
    await bot.click({
      channelId: c.channelId,
      messageTs: req.ts,
      actionId: ACTION.approveStep,
      value: req.id,
      userId: 'U0NOTINIT',
    });
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(
      /may approve this request, and you are not in it/,
    );
    const decidedForm = await bot.submit({
      callbackId: VIEW.denyReason,
      privateMetadata: JSON.stringify({ approvalId: Number(req.id), channelId: c.channelId }),
      userId: 'U0APPROVER',
      values: { [BLOCK.denyReason]: { [INPUT.summary]: stateValue.plainText('too late') } },
    });
    expect(decidedForm.json).toMatchObject({
      errors: { [BLOCK.denyReason]: expect.stringMatching(/already approved/) },
    });
    expect(members.has('U0APPROVER')).toBe(false);
    members.add('U0APPROVER');

    const second = await requestRollback();
    bot.fake.reset();
    await bot.click({
      channelId: c.channelId,
      messageTs: second.ts,
      actionId: ACTION.denyStep,
      value: second.id,
      userId: 'U0APPROVER',
    });
    const denyForm = await bot.fake.waitFor('views.open');
    const meta = (denyForm.args.view as { private_metadata: string }).private_metadata;
    const empty = await bot.submit({
      callbackId: VIEW.denyReason,
      privateMetadata: meta,
      userId: 'U0APPROVER',
      values: { [BLOCK.denyReason]: { [INPUT.summary]: stateValue.plainText(' ') } },
    });
    expect(empty.json).toMatchObject({ response_action: 'errors' });
    await bot.submit({
      callbackId: VIEW.denyReason,
      privateMetadata: meta,
      userId: 'U0APPROVER',
      values: { [BLOCK.denyReason]: { [INPUT.summary]: stateValue.plainText('roll forward instead') } },
    });
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === second.ts && /Denied by <@U0APPROVER>: roll forward instead/.test(json(u)),
    );
    const { rows } = await bot.db.query<{ state: string; decided_by: string; reason: string | null }>(
      'SELECT state, decided_by, reason FROM step_approvals WHERE incident_id = $1 ORDER BY id',
      [c.incidentId],
    );
    expect(rows).toEqual([
      { state: 'approved', decided_by: 'U0APPROVER', reason: null },
      { state: 'denied', decided_by: 'U0APPROVER', reason: 'roll forward instead' },
    ]);
    expect((await cliRuns()).filter((a) => a[0] === 'rollback')).toHaveLength(1);
  });

  it("a playbook step's version is checked against the deployment history: a failed, current or unknown one is refused in the form, nothing run", async () => {
    const c = await declareWithPlaybook(bot, 'db down failed release');
    await env.scenario({ nodes: 'running', logs: 'clean' });
    bot.fake.reset();
    await click(c, 'mitigation.2', RESPONDER);
    const open = await bot.fake.waitFor('views.open');
    const meta = (open.args.view as { private_metadata: string }).private_metadata;
    const rollbacksBefore = (await cliRuns()).filter((a) => a[0] === 'rollback').length;
    const submit = (version: string) =>
      bot.submit({
        callbackId: VIEW.runParams,
        privateMetadata: meta,
        userId: RESPONDER,
        values: { [`${BLOCK.paramPrefix}version`]: { [INPUT.param]: stateValue.plainText(version) } },
      });
    const refusal = async (version: string) => {
      const res = await submit(version);
      expect(res.json, version).toMatchObject({ response_action: 'errors' });
      return (res.json as { errors: Record<string, string> }).errors[`${BLOCK.paramPrefix}version`];
    };
    // The words of the rollback list and `/incident rollback v56`, and the versions to choose from instead.
    expect(await refusal('v56')).toBe(
      "`v56`'s deployment did not succeed, so it is not offered. Pick another version: v57 (last good before current), v55, v54.",
    );
    expect(await refusal('56')).toMatch(/^`v56`'s deployment did not succeed/);
    expect(await refusal('v58')).toBe(
      '`v58` is the current version: there is nothing to roll back to there. Pick another version: v57 (last good before current), v55, v54.',
    );
    expect(await refusal('v99')).toBe(
      '`v99` is not one of the recent deployments. Pick another version: v57 (last good before current), v55, v54 (or run `atom-cli rollback <version>` by hand for an older one).',
    );
    await sleep(200);
    expect((await cliRuns()).filter((a) => a[0] === 'rollback')).toHaveLength(rollbacksBefore);
    expect(bot.fake.callsTo('chat.postMessage').filter((m) => json(m).includes(ACTION.approveStep))).toEqual([]);
    // A good version goes on to the confirmation, which says nothing of the history.
    const ok = await submit('v57');
    expect(ok.json).toMatchObject({ response_action: 'update', view: { callback_id: VIEW.runConfirm } });
    expect(JSON.stringify(ok.json)).not.toMatch(/deployment history/);
  });

  it('a playbook rollback to a version that does not exist is reported failed, and nothing is verified', async () => {
    const c = await declareWithPlaybook(bot, 'db down unknown release');
    // The history cannot be read: the confirmation says so, and the person decides.
    await env.scenario({ nodes: 'running', logs: 'clean', deployments: 'unreadable' });
    bot.fake.reset();
    await click(c, 'mitigation.2', RESPONDER);
    const open = await bot.fake.waitFor('views.open');
    const meta = (open.args.view as { private_metadata: string }).private_metadata;
    const confirmation = await submitAndConfirm(bot, meta, RESPONDER, { version: 'v99' });
    expect(confirmation).toContain(
      "Couldn't read the deployment history (`atom-cli deployments` failed: exit 3), so `v99` is not checked against it: make sure it is a version that deployed well before you run this.",
    );
    const request = await approvalRequest(c);
    const before = (await cliRuns()).length;
    await approve(c, request);
    const verification = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && /Rolled back to|Rollback to/.test(String(m.args.text)),
      15_000,
    );
    expect(verification.args.text).toBe(
      ':x: Rollback to `v99`: 1 check(s) failed.\n:x: fail · `atom-cli rollback v99` — expected exit 0; exit 1\n' +
        // v99 was never in the history (still unreadable): not offered again.
        '*What now:* The rollback failed, so nothing was rolled back: the version running before it still is. Roll back with `/incident rollback` (pick a version), or check by hand: `atom-cli status`, `atom-cli deployments`, then `atom-cli rollback <version>`.',
    );
    // The history is read again (quietly, once the failure is said) to see whether v99 is in it; nothing else runs.
    await expect
      .poll(async () => (await cliRuns()).slice(before).map((a) => a.join(' ')), { timeout: 10_000 })
      .toEqual(['rollback v99', 'deployments']);
  });

  it('a playbook rollback is verified too: a stopped machine fails its check', async () => {
    const c = await declareWithPlaybook(bot, 'db down stopped machine');
    await env.scenario({ nodes: 'one-stopped', logs: 'clean' });
    bot.fake.reset();
    await click(c, 'mitigation.2', RESPONDER);
    const open = await bot.fake.waitFor('views.open');
    const meta = (open.args.view as { private_metadata: string }).private_metadata;
    await submitAndConfirm(bot, meta, RESPONDER, { version: 'v55' });
    await approve(c, await approvalRequest(c));
    const verification = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && /Rolled back to|Rollback to/.test(String(m.args.text)),
      15_000,
    );
    const text = String(verification.args.text);
    expect(text).toMatch(/^:x: Rollback to `v55`: 1 check\(s\) failed\./);
    expect(text).toContain(
      'fail · `atom-cli nodes list` — expected machines show "running"; 1 of 2 machine(s) not running: 91857e3c4f1a28 stopped',
    );
    expect(text).toContain('pass · `atom-cli logs --lines 50` — expected no errors in recent logs; no error lines');
  });

  it.each(ROLLBACK_SHAPES)('a playbook rollback that $shape: the status check says so', async (shape) => {
    const { scenario, head, line } = shape;
    const c = await declareWithPlaybook(bot, `db down playbook rollback ${shape.tag}`);
    await env.forgetRollbacks();
    await env.scenario({ nodes: 'running', logs: 'clean', ...scenario });
    bot.fake.reset();
    await click(c, 'mitigation.2', RESPONDER);
    const open = await bot.fake.waitFor('views.open');
    const meta = (open.args.view as { private_metadata: string }).private_metadata;
    await submitAndConfirm(bot, meta, RESPONDER, { version: 'v57' });
    await approve(c, await approvalRequest(c));
    const verification = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && /Rolled back to|Rollback to/.test(String(m.args.text)),
      15_000,
    );
    const text = String(verification.args.text);
    expect(text).toMatch(head);
    expect(text.split('\n')).toContain(line);
    const since = async () => {
      const runs = (await cliRuns()).map((a) => a.join(' '));
      return runs.slice(runs.lastIndexOf('rollback v57'));
    };
    await expect.poll(since, { timeout: 10_000 }).toEqual([
      'rollback v57',
      'status',
      'nodes list',
      'logs --lines 50',
      // A rollback that failed reads the history again (quietly, once it is said): v57 is named to try again with only
      // if offered.
      ...(text.startsWith(':x:') ? ['deployments'] : []),
    ]);
  });
});

describe('roll back with one click', () => {
  let bot: BotHarness;
  let env: Awaited<ReturnType<typeof startPlaybookBot>>;
  const cliRuns = async () => (await env.cliRuns()).map((argv) => argv.join(' '));
  beforeAll(async () => {
    env = await startPlaybookBot(() => 200);
    bot = env.bot;
  });
  afterAll(async () => env?.stop());

  it('the card button lists deployments to responders only; a version button rolls back (responders only) and verifies status, health, nodes and logs', async () => {
    await env.scenario({ nodes: 'running', logs: 'clean' });
    const c = await declareWithPlaybook(bot, 'db down after deploy');
    const { rows } = await bot.db.query<{ card_ts: string }>('SELECT card_ts FROM incidents WHERE id = $1', [
      c.incidentId,
    ]);
    const clickRollBack = (userId: string) =>
      bot.click({
        channelId: c.channelId,
        messageTs: rows[0]!.card_ts,
        actionId: ACTION.rollback,
        value: String(c.incidentId),
        userId,
      });
    // Someone who may not roll back is refused at the first click: no list to pick from, nothing to confirm.
    bot.fake.reset();
    await clickRollBack('U0SOMEONE');
    // A roll back is no step to the person: named as what it is.
    expect((await bot.fake.waitFor('response_url')).args.text).toBe(
      `:warning: Rolling back changes production; only responders may do it: <@${RESPONDER}>.`,
    );
    expect(bot.fake.callsTo('chat.postMessage').filter((m) => /Recent deployments/.test(String(m.args.text)))).toEqual(
      [],
    );
    expect(await cliRuns()).not.toContain('deployments');

    bot.fake.reset();
    await clickRollBack(RESPONDER);
    const list = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && /Recent deployments/.test(String(m.args.text)),
    );
    const body = json(list);
    expect(body).toMatch(/current\* `v58`/);
    expect(body).toContain('Roll back to v57');
    expect(body).not.toContain('Roll back to v58');
    expect(body).toContain('atom-cli rollback v57');
    // v56's deployment failed: listed, not offered with one click.
    expect(body).toMatch(/`v56` · failed · [^"]*not offered: this deployment did not succeed/);
    expect(body).not.toContain('Roll back to v56');
    expect(body).toContain('Roll back to v55');
    // What each deployed, so a person sees v55 is another service's release.
    expect(body).toMatch(/`v55` · complete · 2025-11-24 10:12 UTC · Deploy api-service image deployment-01JDNQ2R7C/);
    const listTs = (list.response as { ts: string }).ts;
    // Each version's button asks Slack's confirmation first.
    const v57 = elementsOf(bot, c.channelId, listTs, ACTION.rollbackTo).find((x) => x.element.value === 'v57');
    expect(JSON.stringify(v57?.element)).toContain('Roll back production?');
    const rollTo = (userId: string) =>
      bot.click({ channelId: c.channelId, messageTs: listTs, actionId: ACTION.rollbackTo, value: 'v57', userId });

    // A list someone else asked for is no way round the check: its buttons refuse them too.
    bot.fake.reset();
    await rollTo('U0SOMEONE');
    expect((await bot.fake.waitFor('response_url')).args.text).toBe(
      `:warning: Rolling back changes production; only responders may do it: <@${RESPONDER}>.`,
    );
    expect((await cliRuns()).filter((a) => a.startsWith('rollback'))).toHaveLength(0);

    bot.fake.reset();
    await rollTo(RESPONDER);
    const verification = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && /Rolled back to|Rollback to/.test(String(m.args.text)),
      15_000,
    );
    expect(verification.args.text).toMatch(/Rolled back to `v57`; every post-deployment check passed/);
    // The runbook's Post-Deployment Verification, each check with its expected result.
    for (const check of [
      'pass · `atom-cli status` — expected v57 (or v59 made from it); status shows v57',
      'pass · `GET /api/health` — expected 200 OK; HTTP 200',
      'pass · `GET /api/alive` — expected 200 OK; HTTP 200',
      'pass · `atom-cli nodes list` — expected machines show "running"; 2 machine(s) running',
      'pass · `atom-cli logs --lines 50` — expected no errors in recent logs; no error lines',
    ])
      expect(verification.args.text).toContain(check);
    const runs = await cliRuns();
    expect(runs.indexOf('rollback v57')).toBeGreaterThan(runs.lastIndexOf('deployments'));
    expect(runs.slice(runs.indexOf('rollback v57'))).toEqual([
      'rollback v57',
      'status',
      'nodes list',
      'logs --lines 50',
    ]);
    const recorded = await bot.db.query<{ step_key: string; state: string }>(
      "SELECT step_key, state FROM step_runs WHERE incident_id = $1 AND playbook_id = 'rollback' ORDER BY id",
      [c.incidentId],
    );
    expect(recorded.rows.map((r) => `${r.step_key}:${r.state}`)).toEqual([
      'mitigation.0:refused',
      'detection.0:succeeded',
      'mitigation.0:refused',
      'mitigation.0:succeeded',
      'resolution.0:succeeded',
      'resolution.1:succeeded',
      'resolution.2:succeeded',
      'resolution.3:succeeded',
      'resolution.4:succeeded',
    ]);
  });

  it('after a rollback, a stopped machine and errors in the logs fail their checks, naming the machine and the lines', async () => {
    await env.scenario({ nodes: 'one-stopped', logs: 'errors' });
    const c = await declareWithPlaybook(bot, 'db down after a bad deploy');
    bot.fake.reset();
    await clickRollbackTo(c, 'v57', RESPONDER);
    const verification = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && /Rolled back to|Rollback to/.test(String(m.args.text)),
      15_000,
    );
    const text = String(verification.args.text);
    expect(text).toMatch(/Rollback to `v57`: 2 check\(s\) failed/);
    expect(text).toContain('pass · `atom-cli status`');
    expect(text).toContain('pass · `GET /api/alive`');
    expect(text).toContain(
      'fail · `atom-cli nodes list` — expected machines show "running"; 1 of 2 machine(s) not running: 91857e3c4f1a28 stopped',
    );
    expect(text).toMatch(
      /fail · `atom-cli logs --lines 50` — expected no errors in recent logs; 14 error line\(s\): \S+ ERROR \[api\] OpenAI request failed: 401 invalid key .* \| \S+ ERROR \[api\] anthropic fallback failed .* \| \S+ ERROR \[api\] OpenAI request failed/,
    );
    // The lines shown are the redacted output.
    expect(text).not.toContain('sk-proj-Xq3TbV9mK2pL7wR4nZ8cY1hF6dJ0sA5gE');
    expect(text).not.toContain('sk-ant-api03-Hn4Kd8Wq2Zr6Tp0Lm5Xv9Bc3Fj7Gs1Ya');
  });

  it.each(ROLLBACK_SHAPES)('after a rollback that $shape, the status check says so', async (shape) => {
    const { scenario, head, line } = shape;
    const c = await declareWithPlaybook(bot, `db down one-click rollback ${shape.tag}`);
    await env.forgetRollbacks();
    await env.scenario({ nodes: 'running', logs: 'clean', ...scenario });
    bot.fake.reset();
    await clickRollbackTo(c, 'v57', RESPONDER);
    const verification = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && /Rolled back to|Rollback to/.test(String(m.args.text)),
      15_000,
    );
    const text = String(verification.args.text);
    expect(text).toMatch(head);
    expect(text.split('\n')).toContain(line);
  });

  it('/incident rollback lists the deployments too, to responders only', async () => {
    const c = await declareWithPlaybook(bot, 'db down typed rollback');
    bot.fake.reset();
    await bot.command('rollback', { channel_id: c.channelId });
    expect((await bot.fake.waitFor('response_url')).args.text).toContain(
      `Rolling back changes production; only responders may do it: <@${RESPONDER}>`,
    );
    expect(bot.fake.callsTo('chat.postMessage').filter((m) => /Recent deployments/.test(String(m.args.text)))).toEqual(
      [],
    );
    await bot.command('rollback', { channel_id: c.channelId, user_id: RESPONDER });
    await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && /Recent deployments/.test(String(m.args.text)),
    );
  });

  it('/incident rollback with a version answers it on the list: the button to press, or why there is none', async () => {
    const c = await declareWithPlaybook(bot, 'db down typed version');
    const rollbacks = async () => (await cliRuns()).filter((a) => a.startsWith('rollback')).length;
    const before = await rollbacks();
    const listFor = async (typed: string) => {
      bot.fake.reset();
      await bot.command(`rollback ${typed}`, { channel_id: c.channelId, user_id: RESPONDER });
      const m = await bot.fake.waitFor(
        'chat.postMessage',
        (x) => x.args.channel === c.channelId && /Recent deployments/.test(String(x.args.text)),
      );
      const blocks = m.args.blocks as {
        text?: { text: string };
        accessory?: { text: { text: string }; style?: string };
      }[];
      const primary = blocks.filter((b) => b.accessory?.style === 'primary').map((b) => b.accessory!.text.text);
      return { first: blocks[0]!.text!.text, primary };
    };
    expect(await listFor('v55')).toEqual({
      first: ':point_right: You asked for `v55`: press *Roll back to v55* below, then confirm.',
      primary: ['Roll back to v55'],
    });
    expect((await listFor('to 55')).first).toBe(
      ':point_right: You asked for `to 55`, which is `v55`: press *Roll back to v55* below, then confirm.',
    );
    expect((await listFor('previous')).primary).toEqual(['Roll back to v57']);
    expect((await listFor('v58')).first).toMatch(/`v58` is the current version: there is nothing to roll back to/);
    expect((await listFor('V56')).first).toMatch(/`v56`'s deployment did not succeed, so it is not offered/);
    const unknown = await listFor('v999');
    expect(unknown.first).toMatch(/`v999` is not one of the recent deployments below/);
    expect(unknown.primary).toEqual(['Roll back to v57']);
    // Nothing was rolled back: the list only offers the button.
    expect(await rollbacks()).toBe(before);
  });
});

describe('commands that fail, hang, flood, or are missing', () => {
  let dir: string;
  const bots: BotHarness[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bot-pb2-'));
  });
  afterAll(async () => {
    for (const b of bots) await b.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const start = async (env: Record<string, string>) => {
    const b = await startBot({ runbook: runbookWithPlaybook(), timers: false, env: { ATOM_CLI, ...env } });
    bots.push(b);
    return b;
  };

  it('a value the bot knows is secret, typed as a parameter, is masked in every message and in the record', async () => {
    const secret = 'tenant-7hq2lm9xvpq';
    const b = await start({ COMMAND_ENV: 'ATOM_API_TOKEN', ATOM_API_TOKEN: secret });
    const c = await declareWithPlaybook(b, 'db down secret node');
    b.fake.reset();
    await click(c, 'mitigation.0', RESPONDER);
    const open = await b.fake.waitFor('views.open');
    const shown = await submitAndConfirm(
      b,
      (open.args.view as { private_metadata: string }).private_metadata,
      RESPONDER,
      { node_id: secret },
    );
    await runMessage(c, /(Succeeded|Failed)/);
    expect(shown).not.toContain(secret);
    for (const call of b.fake.calls) expect(json(call)).not.toContain(secret);
    const { rows } = await b.db.query<{ target: string[] }>('SELECT target FROM step_runs WHERE incident_id = $1', [
      c.incidentId,
    ]);
    expect(rows.map((r) => r.target.join(' '))).toContain('atom-cli nodes restart ***');
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('what a run records as its output (step_runs.output_tail) is masked exactly as what it shows', async () => {
    const awsSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const connect = 'tenant-7Hq2Lm9XvPq:pk_0d1e2f3a4b5c';
    const b = await startBot({
      runbook: parseRunbook({
        ...testRunbookData(),
        playbooks: {
          leaky: {
            title: 'Leaky output',
            kind: 'incident',
            match: ['leaky'],
            symptoms: ['Secrets in output'],
            detection: [
              { text: 'List the secrets', run: ['atom-cli', 'secrets', 'list'], timeout: '5s' },
              { text: 'Show the environment', run: ['atom-cli', 'env'], timeout: '5s' },
              { text: 'Echo a key', run: ['atom-cli', 'args', awsSecret], timeout: '5s' },
            ],
            mitigation: [],
            resolution: [],
            prevention: [],
          },
        },
      }),
      timers: false,
      env: {
        ATOM_CLI,
        COMMAND_ENV: 'ATOM_CLI_SECRETS_FORMAT,ATOM_CONNECT,ATOM_PIN',
        ATOM_CLI_SECRETS_FORMAT: 'table',
        ATOM_CONNECT: connect,
        ATOM_PIN: '4812',
      },
    });
    bots.push(b);
    const c = await declareWithPlaybook(b, 'leaky output');
    const shown: string[] = [];
    for (const key of ['detection.0', 'detection.1', 'detection.2']) {
      b.fake.reset();
      await b.click({
        channelId: c.channelId,
        messageTs: c.playbookTs,
        actionId: ACTION.runStep,
        value: JSON.stringify({ p: 'leaky', s: key }),
        userId: RESPONDER,
      });
      shown.push(json(await runMessage(c, /Succeeded/)));
    }
    const { rows } = await b.db.query<{ step_key: string; output_tail: string; target: string[] }>(
      'SELECT step_key, output_tail, target FROM step_runs WHERE incident_id = $1 ORDER BY id',
      [c.incidentId],
    );
    expect(rows.map((r) => r.step_key)).toEqual(['detection.0', 'detection.1', 'detection.2']);
    const [table, env, key] = rows.map((r) => r.output_tail);
    // The bare key in a secrets table's value column, and alone.
    expect(table!.split('\n').find((l) => l.startsWith('AWS_SECRET_ACCESS_KEY'))).toMatch(/ \*\*\*$/);
    expect(key).toBe('["***"]');
    expect(rows[2]!.target).toEqual(['atom-cli', 'args', '***']);
    // Every COMMAND_ENV value, the short ones as their variables' values.
    expect(env).toContain('ATOM_CONNECT=***\n');
    expect(env).toContain('ATOM_PIN=***\n');
    expect(env).toContain('ATOM_CLI_SECRETS_FORMAT=***\n');
    for (const [i, r] of rows.entries()) {
      for (const secret of [...secretFragments(), awsSecret, connect, '=4812', '=table'])
        expect(r.output_tail).not.toContain(secret);
      // What is stored is what the run message shows.
      expect(shown[i]).toContain(JSON.stringify(r.output_tail).slice(1, -1));
    }
  });

  it('a non-zero exit is reported with the output', async () => {
    const c = await declareWithPlaybook(
      await start({ COMMAND_ENV: 'ATOM_CLI_FAIL', ATOM_CLI_FAIL: '1' }),
      'db down failing cli',
    );
    await click(c, 'detection.0');
    const done = await runMessage(c, /Failed/);
    expect(json(done)).toMatch(/exit 3/);
    expect(json(done)).toMatch(/Error/);
  });

  it('a command that hangs is killed at the step timeout and reported', async () => {
    const c = await declareWithPlaybook(
      await start({ COMMAND_ENV: 'ATOM_CLI_HANG', ATOM_CLI_HANG: '1' }),
      'db down hanging cli',
    );
    await click(c, 'detection.0');
    const done = await runMessage(c, /Timed out/, 10_000);
    expect(json(done)).toMatch(/Killed after the step's timeout \(2 s\)/);
  });

  it('a missing CLI says so, naming ATOM_CLI', async () => {
    const c = await declareWithPlaybook(await start({ ATOM_CLI: '/nonexistent/atom-cli' }), 'db down no cli');
    await click(c, 'detection.0');
    const done = await runMessage(c, /Could not run/);
    expect(json(done)).toMatch(/not installed or not on PATH\. Set ATOM_CLI/);
  });

  it('10 MB of output: the bot stays responsive, the message is cut, the file holds the rest', async () => {
    const bot = await start({ COMMAND_ENV: 'ATOM_CLI_FLOOD_MB', ATOM_CLI_FLOOD_MB: '10' });
    const c = await declareWithPlaybook(bot, 'db down flood');
    await click(c, 'detection.1');
    const open = await bot.fake.waitFor('views.open');
    await bot.submit({
      callbackId: VIEW.runParams,
      privateMetadata: (open.args.view as { private_metadata: string }).private_metadata,
      values: { [`${BLOCK.paramPrefix}lines`]: { [INPUT.param]: stateValue.plainText('100') } },
    });
    const t0 = Date.now();
    const alive = await fetch(`${bot.baseUrl}/alive`);
    expect(alive.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1000);
    const done = await runMessage(c, /Succeeded/, 20_000);
    for (const b of (done.args.blocks as { text?: { text: string } }[]) ?? [])
      expect((b.text?.text ?? '').length).toBeLessThanOrEqual(3000);
    expect(json(done)).toMatch(/full output.*is attached as a file/);
    await bot.fake.waitFor('files.completeUploadExternal', undefined, 10_000);
    const file = [...bot.fake.uploads.values()].at(-1)!;
    expect(file.channel).toBe(c.channelId);
    expect(file.content.length).toBeGreaterThan(1_000_000);
    // The message gives the size of the file it points to (and what the command printed, as they differ).
    const size = Buffer.byteLength(file.content).toLocaleString('en-US');
    expect(json(done)).toContain(`attached as a file of ${size} bytes. The command printed `);
  }, 30_000);

  it('a second click while the step runs is told it is already running', async () => {
    const bot = await start({ COMMAND_ENV: 'ATOM_CLI_SLOW_MS', ATOM_CLI_SLOW_MS: '300' });
    const c = await declareWithPlaybook(bot, 'db down slow');
    await click(c, 'detection.0', 'U0FIRST');
    await bot.fake.waitFor('chat.postMessage', (m) => m.args.thread_ts === c.playbookTs);
    // Its output message is recorded once Slack answered the post (a loaded machine answers the next click sooner).
    await expect
      .poll(async () => (await bot.db.query('SELECT 1 FROM step_runs WHERE thread_ts IS NOT NULL')).rows.length, {
        timeout: 5000,
      })
      .toBe(1);
    bot.fake.reset();
    await click(c, 'detection.0', 'U0SECOND');
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(
      /already running, started by <@U0FIRST>: <https:\/\/test\.slack\.com\/archives\/C\w+\/p\d+\|see its output>/,
    );
    const updates = await bot.fake.waitForCount('chat.update', 2, (u) => u.args.channel === c.channelId, 30_000);
    expect(updates.length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

describe('the bundled ATOM runbook', () => {
  it('suggests its playbooks from typical titles', async () => {
    const rb = await loadRunbook(DEFAULT_RUNBOOK_FILE);
    // 35 from the file, and the checklist of the monthly window that takes the weekly one in (unlisted).
    expect(rb.playbooks).toHaveLength(36);
    expect(rb.playbooks.filter((p) => !p.unlisted)).toHaveLength(35);
  });
});
