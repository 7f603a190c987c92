import { describe, expect, it } from 'vitest';
import type { PlaybookHost } from '../../src/incidents/playbook-host.js';
import type { CheckResult, PlaybookChat, RunView, VerificationSubject } from '../../src/incidents/ports.js';
import type { RunResult, StepRun } from '../../src/incidents/step-runs.js';
import { PostDeploymentVerification } from '../../src/incidents/verification.service.js';
import type { Playbook } from '../../src/runbook/playbooks.js';
import { ROLLBACK, ROLLBACK_STEPS } from '../../src/runbook/rollback-playbook.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { testRunbookData } from '../support/test-runbook.js';

const MACHINES_UP =
  'PROCESS  ID              STATE\napp      3d8d9e1b2c4f89  running\napp      91857e3c4f1a28  running\n';
const ONE_DOWN = 'PROCESS  ID              STATE\napp      3d8d9e1b2c4f89  running\napp      91857e3c4f1a28  stopped\n';

const host = {
  kind: 'run',
  run: {
    id: 7,
    teamId: 'T1',
    playbookId: 'p',
    channelId: 'C1',
    messageTs: '1.1',
    startedBy: 'U1',
    startedAt: new Date(),
    completedAt: null,
  },
} as PlaybookHost;

/** One playbook of a runbook file, parsed as the bot parses it. */
function playbook(data: Record<string, unknown>): Playbook {
  return parseRunbook({ ...testRunbookData(), playbooks: { p: { title: 'P', kind: 'procedure', ...data } } })
    .playbooks[0]!;
}

/** A verification whose steps "run" at once: every command exits 0 and prints `outputs[argv]` (or nothing). */
function verification(outputs: Record<string, string> = {}) {
  const ran: StepRun[] = [];
  const posted: { subject: VerificationSubject; checks: CheckResult[] }[] = [];
  const chat = {
    postVerification: async (_place: unknown, subject: VerificationSubject, checks: CheckResult[]) => {
      posted.push({ subject, checks });
    },
  } as unknown as PlaybookChat;
  const runs = {
    target: (step: StepRun['step']) => (step.type === 'command' ? step.run : [`https://app${step.path}`]),
    mask: (t: string) => t,
    async execute(run: StepRun): Promise<RunResult> {
      ran.push(run);
      const full = outputs[run.target.join(' ')] ?? '';
      const view = { state: 'succeeded', exitCode: run.step.type === 'command' ? 0 : null } as RunView;
      return { view, full };
    },
  };
  return { verification: new PostDeploymentVerification(chat, runs), ran, posted };
}

const deploy = { text: 'Deploy', run: ['atom-cli', 'deploy'], destructive: true };

describe('the post-deployment verification after a deploy', () => {
  it('runs the whole built-in verification when the deploying playbook lists no checks of its own', async () => {
    const v = verification({ 'atom-cli nodes list': ONE_DOWN, 'atom-cli logs --lines 50': 'INFO ok\n' });
    const passed = await v.verification.afterDeploy(host, playbook({ mitigation: [deploy] }), 'atom-cli deploy', 'U1');
    expect(v.ran.map((r) => r.target.join(' '))).toEqual([
      'atom-cli status',
      'https://app/api/health',
      'https://app/api/alive',
      'atom-cli nodes list',
      'atom-cli logs --lines 50',
    ]);
    // Recorded as the built-in rollback playbook's verification steps.
    expect(v.ran.every((r) => r.playbook === ROLLBACK)).toBe(true);
    expect(v.ran.map((r) => r.key)).toEqual(ROLLBACK_STEPS.verify);
    // Reported, each check read: the stopped machine fails its check, and so the verification.
    expect(passed).toBe(false);
    expect(v.posted).toHaveLength(1);
    expect(v.posted[0]!.subject).toEqual({ deployed: 'atom-cli deploy' });
    expect(v.posted[0]!.checks.map((c) => [c.name, c.ok])).toEqual([
      ['atom-cli status', true],
      ['GET /api/health', true],
      ['GET /api/alive', true],
      ['atom-cli nodes list', false],
      ['atom-cli logs --lines 50', true],
    ]);
    expect(v.posted[0]!.checks[3]!.detail).toBe('1 of 2 machine(s) not running: 91857e3c4f1a28 stopped');
  });

  it("runs the playbook's own checks when it lists them, recorded as its steps so its checklist ticks them", async () => {
    const v = verification({ 'atom-cli nodes list': MACHINES_UP });
    const pb = playbook({
      mitigation: [deploy],
      resolution: [
        { text: 'Nodes', run: ['atom-cli', 'nodes', 'list'], expect: 'running', check: 'machines_running' },
        'Smoke test',
      ],
    });
    expect(await v.verification.afterDeploy(host, pb, 'atom-cli deploy', 'U1')).toBe(true);
    expect(v.ran.map((r) => [r.playbook.id, r.key, r.target.join(' ')])).toEqual([
      ['p', 'resolution.0', 'atom-cli nodes list'],
    ]);
  });
});

describe('the post-deployment verification after a rollback step', () => {
  const rolled = { state: 'succeeded', exitCode: 0 } as RunView;

  it('of a playbook with its own checks runs those; of one without, the built-in ones; the report names the version', async () => {
    const own = verification({ 'atom-cli nodes list': MACHINES_UP });
    const pb = playbook({
      mitigation: [{ text: 'Roll back', run: ['atom-cli', 'rollback'], destructive: true }],
      resolution: [{ text: 'Nodes', run: ['atom-cli', 'nodes', 'list'], expect: 'running', check: 'machines_running' }],
    });
    await own.verification.afterRollback(host, pb, ['/bin/atom-cli', 'rollback'], rolled, 'U1');
    expect(own.ran.map((r) => [r.playbook.id, r.key])).toEqual([['p', 'resolution.0']]);
    expect(own.posted[0]!.subject).toBe('the previous release');

    const builtIn = verification({ 'atom-cli nodes list': MACHINES_UP });
    await builtIn.verification.afterRollback(host, ROLLBACK, ['/bin/atom-cli', 'rollback', 'v57'], rolled, 'U1');
    expect(builtIn.ran.map((r) => r.key)).toEqual(ROLLBACK_STEPS.verify);
    expect(builtIn.posted[0]!.subject).toBe('v57');
  });
});
