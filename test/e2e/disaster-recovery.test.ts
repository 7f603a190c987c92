import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaybookStep } from '../../src/runbook/playbooks.js';
import { type ProcedureBot, startProcedureBot } from '../support/procedure-bot.js';

const runs = (argv: string) => (s: PlaybookStep) => s.type === 'command' && s.run.join(' ') === argv;

/** The bundled Disaster Recovery procedure (Data Backup & Recovery -> Disaster Recovery), attached to an incident. */
describe('Disaster Recovery, from the bundled runbook', () => {
  let env: ProcedureBot;
  beforeAll(async () => {
    env = await startProcedureBot();
  });
  afterAll(async () => env?.stop());

  it("3. Redeploy App is followed by the runbook's whole post-deployment verification, each check reported", async () => {
    const at = await env.attach('sev0 complete site failure, redeploying', 'disaster-recovery');
    await env.scenario({ nodes: 'running', logs: 'clean' });
    const before = (await env.atomRuns()).length;
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
    expect((await env.atomRuns()).slice(before).map((r) => r.argv.join(' '))).toEqual([
      'deploy',
      'status',
      'nodes list',
      'logs --lines 50',
    ]);
  });
});
