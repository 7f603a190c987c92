import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RecordedCall } from '../../src/local-slack/call-log.js';
import { ACTION, BLOCK, VIEW } from '../../src/templates/ids.js';
import type { BotHarness } from '../support/bot-harness.js';
import { elementsOf, json, stepButton } from '../support/checklist-helpers.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import {
  APPROVER,
  GENERAL,
  type ProcedureBot,
  REPORTER,
  RESPONDER,
  startProcedureBot,
} from '../support/procedure-bot.js';

/** The new DATABASE_URL typed into the restore form: it must never be shown or stored in clear. */
const NEW_PASSWORD = 'Zr8-qLw2VvN4tXkP';
const NEW_URL = `postgresql://atom_restore:${NEW_PASSWORD}@ep-quiet-dawn-778899.us-east-2.aws.neon.tech/atom_recovered`;

/**
 * The runbook's procedures as the bundled runbook file writes them, run end to end through the real app: signed
 * requests, the local Slack, the fake atom-cli and aws, and a health endpoint of our own (test/support/procedure-bot).
 */
describe('the runbook procedures, run from Slack', () => {
  let env: ProcedureBot;
  let bot: BotHarness;
  let base: string;
  /** Every Slack call the bot made in this file (the fake's log is reset before each request helper). */
  const allCalls: RecordedCall[] = [];
  /** Every line logged while the file ran. */
  const logged: string[] = [];
  const spies: { mockRestore(): void }[] = [];

  beforeAll(async () => {
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const original = console[level].bind(console);
      spies.push(
        vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
          logged.push(
            args
              .map((a) => (typeof a === 'string' ? a : JSON.stringify(a, Object.getOwnPropertyNames(a ?? {}))))
              .join(' '),
          );
          if (level === 'error') original(...args);
        }),
      );
    }
    // Every log line, so that the secret's absence from them means something.
    env = await startProcedureBot({ env: { LOG_LEVEL: 'debug' } });
    bot = env.bot;
    base = env.base;
    bot.fake.subscribe((c) => allCalls.push(c));
  });
  afterAll(async () => {
    for (const s of spies) s.mockRestore();
    await env?.stop();
  });

  /** `/incident run <id>` in #general: the checklist's ts and the run's id. */
  const start = (id: string) => env.start(id);
  const clickRun = (ts: string, key: string, userId = RESPONDER) =>
    env.clickRun({ channelId: GENERAL, ts }, key, userId);
  /** Clicks Run on a step with parameters and submits its form; returns the bot's answer to the submission. */
  const submitParams = (ts: string, key: string, values: Record<string, string>, userId = RESPONDER) =>
    env.submitParams({ channelId: GENERAL, ts }, key, values, userId);

  it('deploys the main app, runs the post-deployment verification with each expected result, and offers the rollback when a check fails', async () => {
    const { ts, runId, posted } = await start('deploy-web-platform');
    // The Prerequisites Checklist: text steps with Done and Skip.
    expect(json(posted)).toContain('All tests passing locally');
    expect(stepButton(bot, GENERAL, ts, ACTION.stepDone, 'detection.7')).toBeDefined();
    // The deploy is destructive: Slack confirms first, naming the command and, none of them ticked here, the
    // prerequisites not done (test/e2e/procedure-sections.test.ts); its line says the expected duration.
    const deploy = elementsOf(bot, GENERAL, ts, ACTION.runStep).find(
      (x) => JSON.parse(x.element.value!).s === 'mitigation.0',
    )!;
    expect(JSON.stringify(deploy.element)).toContain('This runs `atom-cli deploy` anyway.');
    expect(JSON.stringify(deploy.element)).toContain('Not done yet in Prerequisites checklist: 1. All tests passing');
    expect(json(posted)).toContain('Expected duration: 3-5 minutes');
    // Each verification step shows the runbook's expected result.
    expect(json(posted)).toContain('Expected: Machines show \\"running\\" state');

    bot.fake.reset();
    await clickRun(ts, 'mitigation.0');
    const report = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => /post-deployment check/.test(String(m.args.text)),
      20_000,
    );
    expect(report.args.thread_ts).toBe(ts);
    const text = String(report.args.text);
    // The fake CLI's logs have ERROR lines: that check fails; the others pass, each with its expected result.
    expect(text).toMatch(/Deployed with `atom-cli deploy`: 1 post-deployment check\(s\) failed/);
    expect(text).toMatch(/:white_check_mark: pass · `atom-cli status` — expected The status is shown/);
    expect(text).toMatch(/pass · `GET \/api\/health` — expected Health endpoints return 200 OK/);
    expect(text).toMatch(/pass · `GET \/api\/alive` — expected Health endpoints return 200 OK/);
    expect(text).toMatch(
      /pass · `atom-cli nodes list` — expected Machines show "running" state; 2 machine\(s\) running/,
    );
    expect(text).toMatch(/:x: fail · `atom-cli logs --lines 50` — expected No errors in recent logs; \d+ error line/);
    // The one-click rollback is offered in the thread, its buttons naming the run.
    const list = await bot.fake.waitFor('chat.postMessage', (m) => /^Recent deployments/.test(String(m.args.text)));
    expect(list.args.thread_ts).toBe(ts);
    const listTs = (list.response as { ts: string }).ts;
    const back = elementsOf(bot, GENERAL, listTs, ACTION.rollbackTo).find((x) =>
      JSON.stringify(x.element).includes('v57'),
    )!;
    expect(JSON.parse(back.element.value!)).toEqual({ v: 'v57', r: runId });
    expect((await env.atomRuns()).map((r) => r.argv.join(' '))).toEqual(
      expect.arrayContaining(['deploy', 'status', 'nodes list', 'logs --lines 50', 'deployments']),
    );
    // The checklist ticked the checks that passed, and shows the failed one.
    await bot.fake.waitFor('chat.update', (u) => u.args.ts === ts && /5 of 16 done/.test(String(u.args.text)), 10_000);

    // Rolling back from the thread: atom-cli rollback v57, then the post-deployment checks again.
    bot.fake.reset();
    await bot.click({
      channelId: GENERAL,
      messageTs: listTs,
      actionId: ACTION.rollbackTo,
      value: back.element.value!,
      userId: RESPONDER,
    });
    const rolled = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => /Rollback to `v57`|Rolled back to `v57`/.test(String(m.args.text)),
      20_000,
    );
    expect(rolled.args.thread_ts).toBe(ts);
    expect((await env.atomRuns()).map((r) => r.argv.join(' '))).toContain('rollback v57');
    const events = await bot.db.query<{ kind: string; details: { playbook?: string } }>(
      'SELECT kind, details FROM playbook_run_events WHERE run_id = $1 ORDER BY id',
      [runId],
    );
    expect(
      events.rows.filter((e) => e.kind === 'step_run' && e.details.playbook === 'rollback').length,
    ).toBeGreaterThan(5);
  });

  it('deploys the backend API from the backend-saas directory', async () => {
    const { ts } = await start('deploy-api-service');
    const listings = async () => (await env.atomRuns()).filter((r) => r.argv[0] === 'deployments').length;
    const listed = await listings();
    bot.fake.reset();
    await clickRun(ts, 'mitigation.0');
    const result = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => /post-deployment check/.test(String(m.args.text)),
      20_000,
    );
    // A failed check offers the rollback: its `atom-cli deployments` runs after this message, and is awaited so that
    // it is not counted in the next test.
    if (/Roll back from the list/.test(String(result.args.text))) {
      await eventually(async () => ((await listings()) > listed ? true : undefined), 'the deployments listed');
    }
    const deploys = (await env.atomRuns())
      .filter((r) => r.argv[0] === 'deploy' && r.argv[1] === '--config')
      .map(({ argv, cwd }) => ({ argv, cwd }));
    expect(deploys).toEqual([
      { argv: ['deploy', '--config', 'infrastructure.config'], cwd: await realpath(join(base, 'backend-saas')) },
    ]);
  });

  it('restores from backup: the new DATABASE_URL is a secret, refused when not a postgres URL, approved by a second person, never in clear anywhere; then the node restart', async () => {
    const { ts, runId, posted } = await start('restore-from-backup');
    expect(json(posted)).toContain('https://console.neon.tech');

    // Not a postgres URL: refused in the form with the expected pattern, without repeating the value; nothing runs.
    const before = (await env.atomRuns()).length;
    const bad = await submitParams(ts, 'mitigation.1', { database_url: `mysql://root:${NEW_PASSWORD}@db/atom` });
    expect(bad.json).toMatchObject({ response_action: 'errors' });
    const error = String((bad.json.errors as Record<string, string>)[`${BLOCK.paramPrefix}database_url`]);
    expect(error).toMatch(/^The value is not valid; expected .*pattern postgresql:\/\/user:password@host/);
    expect(error).not.toContain(NEW_PASSWORD);
    expect((await env.atomRuns()).length).toBe(before);

    // A good URL: the confirmation names the command with the secret masked, and carries it sealed.
    const good = await submitParams(ts, 'mitigation.1', { database_url: NEW_URL });
    const confirm = good.json as { response_action: string; view: { private_metadata: string; callback_id: string } };
    expect(confirm).toMatchObject({ response_action: 'update', view: { callback_id: VIEW.runConfirm } });
    expect(JSON.stringify(confirm.view)).toContain('atom-cli secrets set DATABASE_URL=***');
    expect(JSON.stringify(confirm)).not.toContain(NEW_PASSWORD);
    bot.fake.reset();
    await bot.submit({
      callbackId: VIEW.runConfirm,
      privateMetadata: confirm.view.private_metadata,
      userId: RESPONDER,
      values: {},
    });
    // It needs a second person: the request shows the command masked.
    const request = await bot.fake.waitFor('chat.postMessage', (m) => json(m).includes(ACTION.approveStep));
    expect(json(request)).toContain('atom-cli secrets set DATABASE_URL=***');
    const approvalId = /"value":"(\d+)"/.exec(json(request).replace(/\\/g, ''))![1]!;
    await bot.click({
      channelId: GENERAL,
      messageTs: (request.response as { ts: string }).ts,
      actionId: ACTION.approveStep,
      value: approvalId,
      userId: APPROVER,
    });
    const done = await bot.fake.waitFor(
      'chat.update',
      (u) => /Succeeded/.test(json(u)) && json(u).includes('secrets set'),
      10_000,
    );
    // The fake CLI echoed the value: the run shows it masked.
    expect(json(done)).toContain('new value ***');
    // The CLI got the real value.
    expect((await env.atomRuns()).at(-1)!.argv).toEqual(['secrets', 'set', `DATABASE_URL=${NEW_URL}`]);

    // Then the restart (destructive: confirmed first), and the data integrity check.
    const restart = await submitParams(ts, 'mitigation.2', { node_id: '3d8d9e1b2c4f89' });
    const restartConfirm = restart.json as { view: { private_metadata: string; callback_id: string } };
    expect(restartConfirm.view.callback_id).toBe(VIEW.runConfirm);
    expect(JSON.stringify(restartConfirm.view)).toContain('atom-cli nodes restart 3d8d9e1b2c4f89');
    bot.fake.reset();
    await bot.submit({
      callbackId: VIEW.runConfirm,
      privateMetadata: restartConfirm.view.private_metadata,
      userId: RESPONDER,
      values: {},
    });
    await bot.fake.waitFor(
      'chat.update',
      (u) => /^:white_check_mark: Succeeded: atom-cli nodes restart/.test(String(u.args.text)),
      10_000,
    );
    expect((await env.atomRuns()).at(-1)!.argv).toEqual(['nodes', 'restart', '3d8d9e1b2c4f89']);
    bot.fake.reset();
    await clickRun(ts, 'resolution.0', REPORTER);
    await bot.fake.waitFor(
      'chat.update',
      (u) => /Succeeded/.test(json(u)) && json(u).includes('/api/v1/health'),
      10_000,
    );

    // Nowhere in clear: Slack calls, log lines, the run's timeline, any database row.
    const everything = JSON.stringify(allCalls.map((c) => c.args));
    expect(everything).not.toContain(NEW_PASSWORD);
    expect(everything).not.toContain('ep-quiet-dawn-778899');
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) {
      expect(line).not.toContain(NEW_PASSWORD);
      expect(line).not.toContain('ep-quiet-dawn-778899');
    }
    const timeline = await bot.db.query<{ details: unknown }>(
      'SELECT details FROM playbook_run_events WHERE run_id = $1',
      [runId],
    );
    expect(JSON.stringify(timeline.rows)).toContain('DATABASE_URL=***');
    const tables = await bot.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
    );
    expect(tables.rows.length).toBeGreaterThan(10);
    for (const { table_name } of tables.rows) {
      const rows = await bot.db.query<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t`);
      for (const { row } of rows.rows) {
        expect(row, table_name).not.toContain(NEW_PASSWORD);
        expect(row, table_name).not.toContain('ep-quiet-dawn-778899');
      }
    }
  });

  it('restores a deleted S3 object with the aws CLI; bad bucket names, keys and version ids are refused in the form', async () => {
    const { ts } = await start('restore-s3-object');
    const before = (await env.awsRuns()).length;
    for (const [values, field, message] of [
      [{ bucket: 'Atom_Saas', key: 'tenant-abc/file.pdf' }, 'bucket', /not valid; expected an S3 bucket name/],
      [{ bucket: '192.168.1.10', key: 'tenant-abc/file.pdf' }, 'bucket', /not valid/],
      [
        { bucket: 'atom-saas', key: 'tenant-abc/../other-tenant/file.pdf' },
        'key',
        /no "\.\." anywhere and no "\." segment/,
      ],
      [{ bucket: 'atom-saas', key: 'tenant-abc/file..pdf' }, 'key', /no "\.\." anywhere/],
      [{ bucket: 'atom-saas', key: '-rf' }, 'key', /not valid/],
    ] as const) {
      const r = await submitParams(ts, 'detection.0', values);
      expect(r.json).toMatchObject({ response_action: 'errors' });
      expect(String((r.json.errors as Record<string, string>)[`${BLOCK.paramPrefix}${field}`])).toMatch(message);
    }
    // A control character in a key is refused before the kind is looked at.
    const ctl = await submitParams(ts, 'detection.0', { bucket: 'atom-saas', key: 'tenant-abc/\u0007file.pdf' });
    const ctlError = String((ctl.json.errors as Record<string, string>)[`${BLOCK.paramPrefix}key`]);
    expect(ctlError).toMatch(/control character/);
    // And what the parameter takes, as every other refusal of it says.
    expect(ctlError).toMatch(/; expected .+ \(pattern /);
    const version = await submitParams(ts, 'mitigation.0', {
      bucket: 'atom-saas',
      key: 'tenant-abc/file.pdf',
      version_id: '--version',
    });
    expect(String((version.json.errors as Record<string, string>)[`${BLOCK.paramPrefix}version_id`])).toMatch(
      /expected a VersionId/,
    );
    expect((await env.awsRuns()).length).toBe(before);

    // 1. List object versions.
    bot.fake.reset();
    await submitParams(ts, 'detection.0', { bucket: 'atom-saas', key: 'tenant-abc/file.pdf' });
    await bot.fake.waitFor(
      'chat.update',
      (u) => /Succeeded/.test(json(u)) && json(u).includes('list-object-versions'),
      10_000,
    );
    // 2. Restore the specific version.
    bot.fake.reset();
    await submitParams(ts, 'mitigation.0', {
      bucket: 'atom-saas',
      key: 'tenant-abc/file.pdf',
      version_id: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY',
    });
    await bot.fake.waitFor('chat.update', (u) => /Succeeded/.test(json(u)) && json(u).includes('get-object'), 10_000);
    // 3. Upload it: destructive, so confirmed first.
    bot.fake.reset();
    const up = await submitParams(ts, 'mitigation.1', { bucket: 'atom-saas', key: 'tenant-abc/file.pdf' });
    const confirm = up.json as { view: { private_metadata: string } };
    expect(JSON.stringify(confirm.view)).toContain('aws s3 cp restored-object s3://atom-saas/tenant-abc/file.pdf');
    await bot.submit({
      callbackId: VIEW.runConfirm,
      privateMetadata: confirm.view.private_metadata,
      userId: RESPONDER,
      values: {},
    });
    await bot.fake.waitFor('chat.update', (u) => /Succeeded/.test(json(u)) && json(u).includes('s3 cp'), 10_000);
    const cwd = await realpath(base);
    expect((await env.awsRuns()).slice(before)).toEqual([
      { argv: ['s3api', 'list-object-versions', '--bucket', 'atom-saas', '--prefix', 'tenant-abc/file.pdf'], cwd },
      {
        argv: [
          's3api',
          'get-object',
          '--bucket',
          'atom-saas',
          '--key',
          'tenant-abc/file.pdf',
          '--version-id',
          '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY',
          'restored-object',
        ],
        cwd,
      },
      { argv: ['s3', 'cp', 'restored-object', 's3://atom-saas/tenant-abc/file.pdf'], cwd },
    ]);
  });

  it('runs the weekly backup verification and the security monitoring checks as checklists', async () => {
    const backup = await start('backup-verification');
    // The runbook's command with --max-items 50, and the step says why.
    expect(json(backup.posted)).toContain('the first 50, as a terminal shows the first page');
    bot.fake.reset();
    await submitParams(backup.ts, 'detection.2', {});
    await bot.fake.waitFor(
      'chat.update',
      (u) => /Succeeded/.test(json(u)) && json(u).includes('list-object-versions'),
      10_000,
    );
    expect((await env.awsRuns()).at(-1)!.argv).toEqual([
      's3api',
      'list-object-versions',
      '--bucket',
      'atom-saas',
      '--max-items',
      '50',
    ]);
    for (const key of ['detection.0', 'detection.1', 'detection.3']) {
      await bot.click({
        channelId: GENERAL,
        messageTs: backup.ts,
        actionId: ACTION.stepDone,
        value: stepButton(bot, GENERAL, backup.ts, ACTION.stepDone, key)!,
        userId: REPORTER,
      });
    }
    await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.thread_ts === backup.ts && /done or skipped|complete/i.test(String(m.args.text)),
      10_000,
    );

    for (const [id, first] of [
      ['security-checks-daily', 'Review error logs for security issues'],
      ['security-checks-weekly', 'Review access logs for anomalies'],
      ['security-checks-monthly', 'Run security scans (npm audit, pip-audit)'],
    ] as const) {
      const r = await start(id);
      expect(json(r.posted)).toContain(first);
      expect(stepButton(bot, GENERAL, r.ts, ACTION.stepSkip, 'detection.0')).toBeDefined();
    }
  });

  it('shows the Disaster Recovery RTO on the card as the time since it started against it, and the RPO', async () => {
    // The title suggests it (the runbook's Complete Site Failure).
    bot.fake.reset();
    const opened = await declareThroughBot(bot, 'sev0 complete site failure in iad', REPORTER);
    const card = await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === opened.cardTs && json(u).includes('RTO'),
      10_000,
    );
    expect(json(card)).toMatch(
      /Disaster Recovery: Complete Site Failure\* · :stopwatch: RTO 2-4 hours: started <!date\^\d+\^\{ago\}\|at \d\d:\d\d UTC>, due by <!date\^\d+/,
    );
    expect(json(card)).toContain('RPO 5 minutes (Neon continuous backups)');
  });

  it('runs the Redis Cache Cleared procedure: the cache warm-up check, then its steps ticked to the end', async () => {
    const redis = await start('redis-cache-cleared');
    bot.fake.reset();
    await clickRun(redis.ts, 'mitigation.0');
    await bot.fake.waitFor(
      'chat.update',
      (u) => /Succeeded|passed/i.test(json(u)) && json(u).includes('/api/health'),
      10_000,
    );
    for (const key of ['detection.0', 'resolution.0']) {
      await bot.click({
        channelId: GENERAL,
        messageTs: redis.ts,
        actionId: ACTION.stepDone,
        value: stepButton(bot, GENERAL, redis.ts, ACTION.stepDone, key)!,
        userId: REPORTER,
      });
    }
    await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.thread_ts === redis.ts && /done or skipped|complete/i.test(String(m.args.text)),
      10_000,
    );
  });

  it('a DDoS title suggests DDoS Attack, not Rate Limiting Errors', async () => {
    bot.fake.reset();
    const opened = await declareThroughBot(bot, 'sev1 DDoS: rate limit alerts everywhere', REPORTER);
    const playbook = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === opened.channelId && /^Playbook:/.test(String(m.args.text)),
    );
    expect(String(playbook.args.text)).toMatch(/^Playbook: DDoS Attack/);
  });

  it('a title that fits two playbooks with as many words gets the one saying what is wrong, and its message names the other with how to attach it', async () => {
    bot.fake.reset();
    // "payments" names only where, "slow" what is wrong: Slow Response Times, Stripe Webhook Failures named.
    const opened = await declareThroughBot(bot, 'sev2 payments api slow for EU customers', REPORTER);
    const playbook = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === opened.channelId && /^Playbook:/.test(String(m.args.text)),
    );
    expect(String(playbook.args.text)).toMatch(/^Playbook: Slow Response Times/);
    expect(JSON.stringify(playbook.args.blocks)).toContain(
      'Suggested from the incident title, which fits *Stripe Webhook Failures* (`/incident playbook stripe-webhook-failures`) as well: attach the one that is the trouble.',
    );
    // A title one playbook fits best says nothing of others.
    const alone = await declareThroughBot(bot, 'sev2 slow checkout, p95 at 4 s', REPORTER);
    const only = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === alone.channelId && /^Playbook:/.test(String(m.args.text)),
    );
    expect(JSON.stringify(only.args.blocks)).toContain('Suggested from the incident title. `/incident playbook` lists');
  });

  it('a full disk on db-1 suggests no playbook (its alert row names none), not Database Connection Failures', async () => {
    bot.fake.reset();
    const disk = await declareThroughBot(bot, 'sev2 disk full on db-1', REPORTER);
    // The same declaration with a database fault in the title gets its playbook: the check is not merely too early.
    const db = await declareThroughBot(bot, 'sev2 db-1 connection refused', REPORTER);
    const dbPlaybook = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === db.channelId && /^Playbook:/.test(String(m.args.text)),
    );
    expect(String(dbPlaybook.args.text)).toMatch(/^Playbook: Database Connection Failures/);
    // Its declaration is over (the step that suggests a playbook is done) once its row is gone.
    await eventually(
      async () =>
        (await bot.db.query('SELECT 1 FROM declarations WHERE incident_id = $1', [disk.incidentId])).rows.length === 0
          ? true
          : undefined,
      'the declaration to finish',
    );
    const posted = bot.fake.callsTo('chat.postMessage').filter((m) => m.args.channel === disk.channelId);
    expect(posted.length).toBeGreaterThan(0);
    expect(posted.filter((m) => /^Playbook:/.test(String(m.args.text)))).toEqual([]);
    // What the runbook says instead, from HighDiskUsage's row.
    expect(posted.map((m) => String(m.args.text))).toContainEqual(
      ':clipboard: The runbook has no playbook for this. Its Alert Thresholds say, for *HighDiskUsage* (disk_usage &gt; 95% for 5m): *Clean up or scale storage*.',
    );
    // The database title is told no such thing.
    const dbPosted = bot.fake.callsTo('chat.postMessage').filter((m) => m.args.channel === db.channelId);
    expect(dbPosted.some((m) => String(m.args.text).startsWith(':clipboard:'))).toBe(false);
    const { rows } = await bot.db.query('SELECT playbook_id FROM incident_playbooks WHERE incident_id = $1', [
      disk.incidentId,
    ]);
    expect(rows).toEqual([]);
  });
});
