import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaybookStep } from '../../src/runbook/playbooks.js';
import { ACTION } from '../../src/templates/ids.js';
import { elementsOf, stepButton } from '../support/checklist-helpers.js';
import { type ProcedureBot, startProcedureBot } from '../support/procedure-bot.js';

/** A step to run from the suggestion: the command or path it shows, and the `lines` form's value where it has one. */
interface Run {
  is: (s: PlaybookStep) => boolean;
  shown: string;
  values?: Record<string, string>;
}

const command = (argv: string, values?: Record<string, string>): Run => ({
  is: (s) => s.type === 'command' && s.run.join(' ') === argv,
  shown: argv.replace('{lines}', values?.lines ?? ''),
  ...(values ? { values } : {}),
});
const check = (path: string): Run => ({ is: (s) => s.type === 'http' && s.path === path, shown: path });

/**
 * The examples the runbook gives for SEV-0 and SEV-1 (Incident Severity Levels), each declared as it is written and
 * as a person types it, with the bundled runbook: each is suggested the runbook's procedure for it, whose steps run
 * from the suggestion (or, where the runbook gives no command, are ticked).
 */
describe("the runbook's severity examples, declared, are each suggested a playbook to run", () => {
  let env: ProcedureBot;
  beforeAll(async () => {
    env = await startProcedureBot();
    await env.scenario({ nodes: 'running', logs: 'clean' });
  });
  afterAll(async () => env?.stop());

  it.each<[string, string, Run | null]>([
    // SEV-0: All machines down, database unavailable, data corruption.
    ['sev0 All machines down', 'machine-auto-stops', command('atom-cli nodes list')],
    ['sev0 all machines are down', 'machine-auto-stops', null],
    ['sev0 database unavailable', 'database-connection-failures', check('/api/health')],
    ['sev0 the database is unavailable', 'database-connection-failures', null],
    ['sev0 data corruption', 'restore-from-backup', check('/api/v1/health')],
    ['sev0 data corruption in the orders table', 'restore-from-backup', null],
    // SEV-1: Agent execution failing, auth broken, payment processing down.
    [
      'sev1 Agent execution failing',
      'agent-execution-failures',
      command('atom-cli logs --lines {lines}', { lines: '100' }),
    ],
    ['sev1 agents are failing', 'agent-execution-failures', null],
    ['sev1 auth broken', 'oauth-callback-failures', command('atom-cli logs --lines {lines}', { lines: '100' })],
    ['sev1 users cannot log in', 'oauth-callback-failures', null],
    ['sev1 payment processing down', 'stripe-webhook-failures', null],
    ['sev1 payments are down', 'stripe-webhook-failures', null],
  ])('/incident %s is suggested %s', async (typed, playbookId, run) => {
    const at = await env.declare(typed, playbookId);
    const blocks = JSON.stringify(env.bot.fake.message(at.channelId, at.ts)?.blocks ?? []);
    expect(blocks).toContain('Suggested from the incident title');
    const playbook = env.runbook.playbooks.find((p) => p.id === playbookId)!;
    const runnable = [...playbook.detection, ...playbook.mitigation, ...playbook.resolution].filter(
      (s) => s.type !== 'text',
    );
    // A Run (or Check) button on each step the bot can run; the runbook gives Stripe Webhook Failures none: Done.
    expect(elementsOf(env.bot, at.channelId, at.ts, ACTION.runStep)).toHaveLength(runnable.length);
    if (runnable.length === 0) {
      expect(stepButton(env.bot, at.channelId, at.ts, ACTION.stepDone, 'resolution.0')).toBeDefined();
      // And the message says so, rather than leave a person looking for a Run button.
      expect(blocks).toContain('Every step here is done by hand');
    } else expect(blocks).not.toContain('done by hand');
    if (!run) return;
    const key = env.keyOf(playbookId, run.is);
    if (run.values) await env.submitParams(at, key, run.values);
    else await env.clickRun(at, key);
    expect(await env.ended(at, run.shown)).toContain(':white_check_mark: Succeeded');
  });
});
