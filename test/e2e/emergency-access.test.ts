import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaybookStep } from '../../src/runbook/playbooks.js';
import { type ProcedureBot, startProcedureBot } from '../support/procedure-bot.js';

const runs = (argv: string) => (s: PlaybookStep) => s.type === 'command' && s.run.join(' ') === argv;
const requests = (path: string) => (s: PlaybookStep) => s.type === 'http' && s.path === path;

/** The bundled Emergency Access procedure (Emergency Contacts -> Critical Services), attached to an incident. */
describe('Emergency Access, from the bundled runbook', () => {
  let env: ProcedureBot;
  beforeAll(async () => {
    env = await startProcedureBot();
  });
  afterAll(async () => env?.stop());

  it('its checks read the output: a stopped machine and ERROR lines in the logs fail their steps', async () => {
    const at = await env.attach('sev1 everything down, emergency access', 'emergency-access');
    await env.scenario({ nodes: 'one-stopped', logs: 'errors' });

    await env.clickRun(at, env.keyOf('emergency-access', runs('atom-cli nodes list')));
    const nodes = await env.ended(at, 'atom-cli nodes list');
    expect(nodes).toContain(':x: Failed: atom-cli nodes list');
    expect(nodes).toContain('1 of 2 machine(s) not running: 91857e3c4f1a28 stopped');

    await env.clickRun(at, env.keyOf('emergency-access', runs('atom-cli logs --lines 50')));
    const logs = await env.ended(at, 'atom-cli logs --lines 50');
    expect(logs).toContain(':x: Failed: atom-cli logs --lines 50');
    expect(logs).toMatch(/\d+ error line\(s\): \S+ ERROR \[api\]/);

    // Machines running and clean logs: the same steps pass.
    await env.scenario({ nodes: 'running', logs: 'clean' });
    env.bot.fake.reset();
    await env.clickRun(at, env.keyOf('emergency-access', runs('atom-cli nodes list')));
    expect(await env.ended(at, 'atom-cli nodes list')).toContain('2 machine(s) running');

    // The runbook's liveness endpoint is checked too.
    await env.clickRun(at, env.keyOf('emergency-access', requests('/api/alive')));
    expect(await env.ended(at, '/api/alive')).toContain(':white_check_mark: Succeeded');
  });

  it('the emergency restart of every node runs `atom-cli nodes restart --all` only once a second person approved it', async () => {
    const at = await env.attach('sev1 all nodes hung', 'emergency-access');
    const before = (await env.atomRuns()).length;
    env.bot.fake.reset();
    await env.clickRun(at, env.keyOf('emergency-access', runs('atom-cli nodes restart --all')));
    const request = await env.bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === at.channelId && /asks to run/.test(JSON.stringify(m.args)),
    );
    expect(JSON.stringify(request.args)).toContain('atom-cli nodes restart --all');
    expect(JSON.stringify(request.args)).toContain('Restarts every node at once');
    expect((await env.atomRuns()).length).toBe(before);
    await env.approve(at);
    const done = await env.ended(at, 'atom-cli nodes restart --all');
    expect(done).toContain(':white_check_mark: Succeeded');
    expect(done).toContain('approved by <@U0APPROVER>');
    expect((await env.atomRuns()).slice(before).map((r) => r.argv)).toEqual([['nodes', 'restart', '--all']]);
  });

  it('the emergency rollback names no version, then runs its post-deployment checks, ticked on its checklist', async () => {
    const at = await env.attach('sev1 bad release, emergency rollback', 'emergency-access');
    await env.scenario({ nodes: 'running', logs: 'clean' });
    const before = (await env.atomRuns()).length;
    env.bot.fake.reset();
    await env.clickRun(at, env.keyOf('emergency-access', runs('atom-cli rollback')));
    const report = await env.bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === at.channelId && /Rolled back to|Rollback to/.test(String(m.args.text)),
      20_000,
    );
    const text = String(report.args.text);
    expect(text).toMatch(/^:white_check_mark: Rolled back to `v57`; every post-deployment check passed/);
    for (const check of ['`atom-cli status`', '`GET /api/health`', '`GET /api/alive`', '`atom-cli nodes list`'])
      expect(text).toContain(`pass · ${check}`);
    expect(text).toContain('pass · `atom-cli logs --lines 50` — expected No errors in recent logs; no error lines');
    // The CLI was given no version; the checks ran after it.
    expect((await env.atomRuns()).slice(before).map((r) => r.argv.join(' '))).toEqual([
      'rollback',
      'status',
      'nodes list',
      'logs --lines 50',
    ]);
    // Recorded as the playbook's own steps: its checklist ticks them.
    const { rows } = await env.bot.db.query<{ step_key: string; state: string }>(
      `SELECT step_key, state FROM step_runs WHERE incident_id = $1 AND playbook_id = 'emergency-access' ORDER BY id`,
      [at.incident.incidentId],
    );
    expect(rows.map((r) => `${r.step_key}:${r.state}`)).toEqual([
      'mitigation.2:succeeded',
      'resolution.0:succeeded',
      'resolution.1:succeeded',
      'resolution.2:succeeded',
      'resolution.3:succeeded',
      'resolution.4:succeeded',
    ]);
  });

  it('an emergency rollback that did not take fails its status check: the version its output named is not running', async () => {
    const at = await env.attach('sev1 bad release, rollback did not take', 'emergency-access');
    await env.forgetRollbacks();
    await env.scenario({ nodes: 'running', logs: 'clean', rollback: 'does-not-take' });
    env.bot.fake.reset();
    await env.clickRun(at, env.keyOf('emergency-access', runs('atom-cli rollback')));
    const report = await env.bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === at.channelId && /Rolled back to|Rollback to/.test(String(m.args.text)),
      20_000,
    );
    const text = String(report.args.text);
    // The CLI named no version: its output said v57, and the release it made from it, v59; status still shows v58.
    expect(text).toMatch(/^:x: Rollback to `v57`: 1 check\(s\) failed\./);
    expect(text).toContain(':x: fail · `atom-cli status` — expected v57 (or v59 made from it); status shows v58');
    // The step itself failed on it, on its run message and its checklist.
    expect(await env.ended(at, 'atom-cli status')).toContain(':x: Failed: atom-cli status');
    const { rows } = await env.bot.db.query<{ state: string }>(
      `SELECT state FROM step_runs WHERE incident_id = $1 AND playbook_id = 'emergency-access' AND step_key = 'resolution.0'`,
      [at.incident.incidentId],
    );
    expect(rows.map((r) => r.state)).toEqual(['failed']);
  });
});
