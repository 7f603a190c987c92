import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaybookStep } from '../../src/runbook/playbooks.js';
import { type ProcedureBot, startProcedureBot } from '../support/procedure-bot.js';

const NEW_PASSWORD = 'Qm4-tRw9ZzK2pLx7';
const NEW_URL = `postgresql://atom_dr:${NEW_PASSWORD}@ep-bright-sun-445566.us-east-2.aws.neon.tech/atom_recovered`;

const runs = (argv: string) => (s: PlaybookStep) => s.type === 'command' && s.run.join(' ') === argv;

/** The bundled Disaster Recovery procedure (Data Backup & Recovery -> Disaster Recovery), suggested from its title. */
describe('Disaster Recovery, from the bundled runbook', () => {
  let env: ProcedureBot;
  beforeAll(async () => {
    env = await startProcedureBot();
  });
  afterAll(async () => env?.stop());

  it('runs the recovery steps in order: assess, the DATABASE_URL secret once approved, the redeploy with its whole verification, S3 connectivity', async () => {
    const at = await env.declare('sev0 complete site failure, all cloud nodes down', 'disaster-recovery');
    await env.scenario({ nodes: 'running', logs: 'clean' });
    const atomBefore = (await env.atomRuns()).length;
    const awsBefore = (await env.awsRuns()).length;

    // 1. Assess Impact: atom-cli status.
    await env.clickRun(at, env.keyOf('disaster-recovery', runs('atom-cli status')));
    expect(await env.ended(at, 'atom-cli status')).toContain(':white_check_mark: Succeeded');

    // 2. Restore Database: the new URL is a secret, shown masked, and setting it needs a second person.
    const form = await env.submitParams(
      at,
      env.keyOf('disaster-recovery', runs('atom-cli secrets set DATABASE_URL={database_url}')),
      {
        database_url: NEW_URL,
      },
    );
    expect(JSON.stringify(form.json)).toContain('atom-cli secrets set DATABASE_URL=***');
    expect(JSON.stringify(form.json)).not.toContain(NEW_PASSWORD);
    env.bot.fake.reset();
    await env.confirm(form);
    await env.approve(at);
    const set = await env.ended(at, 'secrets set');
    expect(set).toContain(':white_check_mark: Succeeded');
    expect(set).toContain('approved by <@U0APPROVER>');
    expect(set).not.toContain(NEW_PASSWORD);

    // 3. Redeploy App, followed at once by the runbook's Post-Deployment Verification.
    env.bot.fake.reset();
    await env.clickRun(at, env.keyOf('disaster-recovery', runs('atom-cli deploy')));
    const report = await env.bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === at.channelId && /post-deployment check/.test(String(m.args.text)),
      20_000,
    );
    const text = String(report.args.text);
    expect(text).toMatch(/^:white_check_mark: Deployed with `atom-cli deploy`; every post-deployment check passed\./);
    for (const check of [
      'pass · `atom-cli status`',
      'pass · `GET /api/health`',
      'pass · `GET /api/alive`',
      'pass · `atom-cli nodes list` — expected Machines show "running" state; 2 machine(s) running',
      'pass · `atom-cli logs --lines 50` — expected No errors in recent logs; no error lines',
    ])
      expect(text).toContain(check);

    // 4. Restore S3 Data: verify S3 connectivity, with the aws CLI.
    await env.submitParams(at, env.keyOf('disaster-recovery', runs('aws s3api head-bucket --bucket {bucket}')), {
      bucket: 'atom-saas',
    });
    expect(await env.ended(at, 'head-bucket')).toContain(':white_check_mark: Succeeded');

    // What each CLI was given, in order: the secret in clear to the CLI only.
    expect((await env.atomRuns()).slice(atomBefore).map((r) => r.argv)).toEqual([
      ['status'],
      ['secrets', 'set', `DATABASE_URL=${NEW_URL}`],
      ['deploy'],
      ['status'],
      ['nodes', 'list'],
      ['logs', '--lines', '50'],
    ]);
    expect((await env.awsRuns()).slice(awsBefore).map((r) => r.argv)).toEqual([
      ['s3api', 'head-bucket', '--bucket', 'atom-saas'],
    ]);
  });
});
