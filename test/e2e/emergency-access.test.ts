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
});
