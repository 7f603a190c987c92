import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { atomCliRuns } from '../support/atom-cli-log.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { elementsOf, json } from '../support/checklist-helpers.js';
import { eventually } from '../support/incident-flow.js';
import { stateValue, TEST_GENERAL_CHANNEL_ID } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
const RESPONDER = 'U0RESPONDER';
const GENERAL = TEST_GENERAL_CHANNEL_ID;
const WHY =
  'Set HEALTH_BASE_URL (e.g. https://tenant.atomagentos.com) so the bot knows where to check the health endpoints.';

/** A deploy and a rollback whose playbook's own post-deployment checks are all health endpoints. */
const runbook = () =>
  parseRunbook({
    ...testRunbookData(),
    access: { responders: [RESPONDER], approvers: [] },
    playbooks: {
      'deploy-web': {
        title: 'Deploy the web app',
        kind: 'procedure',
        outside_incident: true,
        mitigation: [
          { text: 'Deploy', run: ['atom-cli', 'deploy'], destructive: true, timeout: '5s' },
          {
            text: 'Roll back',
            run: ['atom-cli', 'rollback', '{version}'],
            params: { version: 'version' },
            destructive: true,
            timeout: '5s',
          },
        ],
        resolution: [
          { text: 'Health', http: { path: '/api/health' }, expect: '200 OK' },
          { text: 'Alive', http: { path: '/api/alive' }, expect: '200 OK' },
        ],
      },
    },
  });

/**
 * Without HEALTH_BASE_URL no check of this playbook can run: each is reported not checked, to be checked by hand, with
 * why; none is a failure, so no rollback is offered.
 */
describe('a deployment and a rollback whose post-deployment checks could none be run', () => {
  let bot: BotHarness;
  let dir: string;
  let log: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'unchecked-verification-'));
    log = join(dir, 'atom-cli.log');
    bot = await startBot({
      runbook: runbook(),
      timers: false,
      env: { ATOM_CLI, COMMAND_ENV: 'ATOM_CLI_LOG', ATOM_CLI_LOG: log },
    });
    bot.fake.channels.get(GENERAL)!.members.add(RESPONDER);
  });
  afterAll(async () => {
    await bot?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The request `action` by RESPONDER once its audit row is written: after its listener, all that follows, ended. */
  const finished = async (action: string, count: number) =>
    eventually(async () => {
      const { rows } = await bot.db.query<{ outcome: string }>(
        'SELECT outcome FROM audit_log WHERE action = $1 AND actor = $2 ORDER BY id',
        [action, RESPONDER],
      );
      return rows.length >= count ? rows.map((r) => r.outcome) : undefined;
    }, `the ${action} request to end`);

  it('reports each check not checked and why, says no check failed, and offers no rollback', async () => {
    bot.fake.reset();
    await bot.command('run deploy-web', { channel_id: GENERAL, user_id: RESPONDER });
    const posted = await bot.fake.waitFor('chat.postMessage', (m) =>
      /^Playbook: Deploy the web app/.test(String(m.args.text)),
    );
    const ts = (posted.response as { ts: string }).ts;
    const button = (key: string) =>
      elementsOf(bot, GENERAL, ts, ACTION.runStep).find((x) => JSON.parse(x.element.value!).s === key)!.element.value!;

    // The deployment: its Slack confirmation is the button's own, so the click runs it.
    await bot.click({
      channelId: GENERAL,
      messageTs: ts,
      actionId: ACTION.runStep,
      value: button('mitigation.0'),
      userId: RESPONDER,
    });
    const deployed = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.thread_ts === ts && /post-deployment check/.test(String(m.args.text)),
      20_000,
    );
    expect(String(deployed.args.text)).toBe(
      [
        ':warning: Deployed with `atom-cli deploy`: 0 post-deployment check(s) passed, 2 could not be checked (below): check them by hand.',
        `:warning: not checked · \`GET /api/health\` — expected 200 OK; ${WHY}`,
        `:warning: not checked · \`GET /api/alive\` — expected 200 OK; ${WHY}`,
      ].join('\n'),
    );
    expect(await finished('playbook_run', 1)).toEqual(['ok']);

    // The rollback: its form, its confirmation, then the same checks.
    const before = bot.fake.callsTo('views.open').length;
    await bot.click({
      channelId: GENERAL,
      messageTs: ts,
      actionId: ACTION.runStep,
      value: button('mitigation.1'),
      userId: RESPONDER,
    });
    const form = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!.args.view as {
      private_metadata: string;
    };
    const asked = await bot.submit({
      callbackId: VIEW.runParams,
      privateMetadata: form.private_metadata,
      userId: RESPONDER,
      values: { [`${BLOCK.paramPrefix}version`]: { [INPUT.param]: stateValue.plainText('v57') } },
    });
    const confirm = asked.json as { view: { private_metadata: string } };
    await bot.submit({
      callbackId: VIEW.runConfirm,
      privateMetadata: confirm.view.private_metadata,
      userId: RESPONDER,
      values: {},
    });
    const rolled = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.thread_ts === ts && /^:\w+: Roll(ed|back)/.test(String(m.args.text)),
      20_000,
    );
    expect(String(rolled.args.text)).toBe(
      [
        ':warning: Rolled back to `v57`: 0 post-deployment check(s) passed, 2 could not be checked (below): check them by hand.',
        `:warning: not checked · \`GET /api/health\` — expected 200 OK; ${WHY}`,
        `:warning: not checked · \`GET /api/alive\` — expected 200 OK; ${WHY}`,
      ].join('\n'),
    );
    await eventually(
      async () => ((await atomCliRuns(log)).some((r) => r.argv.join(' ') === 'rollback v57') ? true : undefined),
      'the rollback to run',
    );
    expect(await finished('playbook_run_confirmed', 1)).toEqual(['ok']);

    // Nothing failed, and no rollback was offered: no list of deployments, no Roll back button. The one `deployments`
    // run is the rollback form's look at the history (v57 checked against it, before the confirmation), not a list.
    const said = bot.fake.calls.map((c) => json(c));
    for (const call of said) {
      expect(call).not.toMatch(/fail/i);
      expect(call).not.toContain(ACTION.rollbackTo);
      expect(call).not.toContain('Recent deployments');
    }
    expect((await atomCliRuns(log)).map((r) => r.argv.join(' '))).toEqual(['deploy', 'deployments', 'rollback v57']);
  });
  it("a click that comes before the run's message is recorded still answers in the run's thread", async () => {
    bot.fake.reset();
    await bot.command('run deploy-web', { channel_id: GENERAL, user_id: RESPONDER });
    const posted = await bot.fake.waitFor('chat.postMessage', (m) =>
      /^Playbook: Deploy the web app/.test(String(m.args.text)),
    );
    const ts = (posted.response as { ts: string }).ts;
    // Its start is said in its thread once its message is recorded.
    await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.thread_ts === ts && /started \*Deploy/.test(String(m.args.text)),
    );
    // As a busy bot has it a moment after posting the message: not yet recorded.
    await bot.db.query('UPDATE playbook_runs SET message_ts = NULL WHERE channel_id = $1 AND message_ts = $2', [
      GENERAL,
      ts,
    ]);
    const value = elementsOf(bot, GENERAL, ts, ACTION.runStep).find(
      (x) => JSON.parse(x.element.value!).s === 'mitigation.0',
    )!.element.value!;
    await bot.click({ channelId: GENERAL, messageTs: ts, actionId: ACTION.runStep, value, userId: RESPONDER });
    const deployed = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => /post-deployment check/.test(String(m.args.text)),
      20_000,
    );
    expect(deployed.args.thread_ts).toBe(ts);
    const running = bot.fake
      .callsTo('chat.postMessage')
      .find((m) => /Running: atom-cli deploy/.test(String(m.args.text)));
    expect(running?.args.thread_ts).toBe(ts);
  });
});
