import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declareThroughBot } from '../support/incident-flow.js';
import { type Checklist, type ProcedureBot, REPORTER, startProcedureBot } from '../support/procedure-bot.js';

/**
 * The runbook's Security Incidents (declared from a title, so private) and its daily Security Monitoring check, from
 * the bundled runbook: every command step they have, run against the fake atom-cli, which records its argv.
 */
describe('the security playbooks and the daily security check, run', () => {
  let env: ProcedureBot;
  beforeAll(async () => {
    env = await startProcedureBot();
  });
  afterAll(async () => env?.stop());

  /** Runs a step (a `lines` form where it has one) and waits for its run to end; returns the run message. */
  async function run(at: Checklist, key: string, shown: string, values?: Record<string, string>) {
    if (values) await env.submitParams(at, key, values);
    else await env.clickRun(at, key);
    const ended = await env.ended(at, shown);
    expect(ended).toContain(':white_check_mark: Succeeded');
    return ended;
  }

  /** What the fake atom-cli was given since `from` runs. */
  const argvSince = async (from: number) => (await env.atomRuns()).slice(from).map((r) => r.argv);

  it('Unauthorized Access: its check for failed auth attempts runs `atom-cli logs`', async () => {
    const at = await env.declare('sev1 suspicious login attempts on admin accounts', 'unauthorized-access');
    const from = (await env.atomRuns()).length;
    await run(at, 'detection.0', 'atom-cli logs --lines 100', { lines: '100' });
    expect(await argvSince(from)).toEqual([['logs', '--lines', '100']]);
  });

  it('Data Exposure: logs for sensitive data, the secrets to rotate (masked), then the audit of 1000 log lines', async () => {
    const at = await env.declare('sev1 sensitive data in the api logs', 'data-exposure');
    const from = (await env.atomRuns()).length;
    await run(at, 'detection.0', 'atom-cli logs --lines 100', { lines: '100' });
    const secrets = await run(at, 'mitigation.0', 'atom-cli secrets list');
    // The names of the secrets to rotate are shown; their values are not.
    expect(secrets).toContain('OPENAI_API_KEY');
    expect(secrets).not.toContain('sk-proj-Xq3TbV9mK2pL7wR4nZ8cY1hF6dJ0sA5gE');
    await run(at, 'mitigation.2', 'atom-cli logs --lines 1000', { lines: '1000' });
    expect(await argvSince(from)).toEqual([
      ['logs', '--lines', '100'],
      ['secrets', 'list'],
      ['logs', '--lines', '1000'],
    ]);
  });

  it('DDoS Attack: the rate limit log check, node status, then the backend health check', async () => {
    const at = await env.declare('sev1 DDoS attack on the api', 'ddos-attack');
    const from = (await env.atomRuns()).length;
    await run(at, 'detection.0', 'atom-cli logs --lines 100', { lines: '100' });
    await run(at, 'detection.1', 'atom-cli status');
    await run(at, 'mitigation.1', '/health');
    expect(await argvSince(from)).toEqual([['logs', '--lines', '100'], ['status']]);
  });

  it('a 401 Unauthorized title declares an ordinary incident; "unauthorized access" a private one', async () => {
    const privateOf = async (title: string) => {
      const opened = await declareThroughBot(env.bot, title, REPORTER);
      const { rows } = await env.bot.db.query<{ private: boolean }>('SELECT private FROM incidents WHERE id = $1', [
        opened.incidentId,
      ]);
      return rows[0]!.private;
    };
    expect(await privateOf('sev2 401 Unauthorized errors on login')).toBe(false);
    expect(await privateOf('sev2 unauthorized access to admin')).toBe(true);
  });

  it("the daily Security Monitoring check reads the runbook's 1000 log lines", async () => {
    const at = await env.start('security-checks-daily');
    const from = (await env.atomRuns()).length;
    await run(at, 'detection.0', 'atom-cli logs --lines 1000', { lines: '1000' });
    expect(await argvSince(from)).toEqual([['logs', '--lines', '1000']]);
  });
});
