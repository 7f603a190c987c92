import { describe, expect, it } from 'vitest';
import type { PlaybookHost } from '../../src/incidents/playbook-host.js';
import type {
  CheckResult,
  PlaybookChat,
  RollbackVerdict,
  RunView,
  VerificationSubject,
} from '../../src/incidents/ports.js';
import type { RunResult, StepRun } from '../../src/incidents/step-runs.js';
import { PostDeploymentVerification } from '../../src/incidents/verification.service.js';
import type { Playbook } from '../../src/runbook/playbooks.js';
import { ROLLBACK, ROLLBACK_STEPS, rollbackVersionNamed } from '../../src/runbook/rollback-playbook.js';
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
  const recorded: RollbackVerdict[] = [];
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
  const record = async (_host: PlaybookHost, _userId: string, verdict: RollbackVerdict) => {
    recorded.push(verdict);
  };
  return { verification: new PostDeploymentVerification(chat, runs, record), ran, posted, recorded };
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
  const rolled = { view: { state: 'succeeded', exitCode: 0 } as RunView, full: 'Rollback to v57 complete\n' };
  const status = (version: string) => `App\n  Name     = atom-saas\n  Version  = ${version}\n`;
  const FLY = 'Rolling back atom-saas to v57\nRelease v59 created from v57\nRollback to v57 complete\n';

  it('of a playbook with its own checks runs those; of one without, the built-in ones; the report names the version', async () => {
    const own = verification({ 'atom-cli nodes list': MACHINES_UP });
    const pb = playbook({
      mitigation: [{ text: 'Roll back', run: ['atom-cli', 'rollback'], destructive: true }],
      resolution: [{ text: 'Nodes', run: ['atom-cli', 'nodes', 'list'], expect: 'running', check: 'machines_running' }],
    });
    await own.verification.afterRollback(host, pb, ['/bin/atom-cli', 'rollback'], rolled, 'U1');
    expect(own.ran.map((r) => [r.playbook.id, r.key])).toEqual([['p', 'resolution.0']]);
    // Named by the rollback's output ("Rollback to v57 complete"), as the CLI named no version.
    expect(own.posted[0]!.subject).toBe('v57');
    const silent = verification({ 'atom-cli nodes list': MACHINES_UP });
    const quiet = { ...rolled, full: 'done\n' };
    await silent.verification.afterRollback(host, pb, ['/bin/atom-cli', 'rollback'], quiet, 'U1');
    expect(silent.posted[0]!.subject).toBe('the previous release');

    const builtIn = verification({ 'atom-cli nodes list': MACHINES_UP });
    await builtIn.verification.afterRollback(host, ROLLBACK, ['/bin/atom-cli', 'rollback', 'v57'], rolled, 'U1');
    expect(builtIn.ran.map((r) => r.key)).toEqual(ROLLBACK_STEPS.verify);
    expect(builtIn.posted[0]!.subject).toBe('v57');
  });

  it('the status check reads the version running against the one rolled back to, or the release made from it', async () => {
    const report = async (running: string, output: string) => {
      const v = verification({ 'atom-cli status': status(running), 'atom-cli nodes list': MACHINES_UP });
      await v.verification.afterRollback(
        host,
        ROLLBACK,
        ['/bin/atom-cli', 'rollback', 'v57'],
        { ...rolled, full: output },
        'U1',
      );
      // Every check run is told of the rollback it verifies (a runbook step's `check` reads it as it runs).
      expect(v.ran.every((r) => r.checkContext?.rolledBack?.version === 'v57')).toBe(true);
      return v.posted[0]!.checks[0]!;
    };
    expect(await report('v57', FLY)).toEqual({
      running: 'v57',
      name: 'atom-cli status',
      ok: true,
      expected: 'v57 (or v59 made from it)',
      detail: 'status shows v57',
    });
    expect(await report('v59', FLY)).toMatchObject({ ok: true, detail: 'status shows v59, made from v57' });
    expect(await report('v58', FLY)).toEqual({
      running: 'v58',
      name: 'atom-cli status',
      ok: false,
      expected: 'v57 (or v59 made from it)',
      detail: 'status shows v58',
    });
    expect(await report('v59', 'Rollback to v57 complete\n')).toMatchObject({ ok: false, expected: 'v57' });

    // How it ended is kept on the record (and returned): failed, with what status showed.
    const v = verification({ 'atom-cli status': status('v58'), 'atom-cli nodes list': MACHINES_UP });
    const verdict = await v.verification.afterRollback(
      host,
      ROLLBACK,
      ['/bin/atom-cli', 'rollback', 'v57'],
      { ...rolled, full: FLY },
      'U1',
    );
    expect(verdict).toMatchObject({ version: 'v57', result: 'failed', running: 'v58' });
    expect(verdict.failed[0]).toEqual({ name: 'atom-cli status', detail: 'status shows v58' });
    expect(v.recorded).toEqual([verdict]);
  });

  it("a playbook's own status check reads it too; a rollback naming no version is compared with the one its output says", async () => {
    const pb = playbook({
      mitigation: [{ text: 'Roll back', run: ['atom-cli', 'rollback'], destructive: true }],
      resolution: [
        { text: 'Status', run: ['atom-cli', 'status'], expect: 'The status is shown', check: 'running_version' },
      ],
    });
    const check = async (running: string, output: string) => {
      const v = verification({ 'atom-cli status': status(running) });
      await v.verification.afterRollback(host, pb, ['/bin/atom-cli', 'rollback'], { ...rolled, full: output }, 'U1');
      expect(v.ran.map((r) => r.checkContext)).toEqual([{ rolledBack: { version: 'v57', output } }]);
      return v.posted[0]!.checks[0]!;
    };
    expect(await check('v59', FLY)).toEqual({
      running: 'v59',
      name: 'atom-cli status',
      ok: true,
      expected: 'v57 (or v59 made from it)',
      detail: 'status shows v59, made from v57',
    });
    expect(await check('v58', FLY)).toMatchObject({ ok: false, detail: 'status shows v58' });
    // Nothing says which version it went back to: not checked, said.
    const v = verification({ 'atom-cli status': status('v58') });
    await v.verification.afterRollback(host, pb, ['/bin/atom-cli', 'rollback'], { ...rolled, full: 'Done.\n' }, 'U1');
    expect(v.posted[0]!.checks[0]).toMatchObject({
      ok: false,
      unchecked: true,
      expected: 'the version rolled back to',
    });
  });

  it('after a deploy, the status check only reports the version running', async () => {
    const v = verification({ 'atom-cli status': status('v59'), 'atom-cli nodes list': MACHINES_UP });
    await v.verification.afterDeploy(host, playbook({ mitigation: [deploy] }), 'atom-cli deploy', 'U1');
    expect(v.posted[0]!.checks[0]).toEqual({
      running: 'v59',
      name: 'atom-cli status',
      ok: true,
      expected: 'the status is shown (exit 0)',
      detail: 'running v59',
    });
  });
});

describe('rollbackVersionNamed: the version a rollback command line names', () => {
  it.each([
    [['atom-cli', 'rollback', 'v57'], 'v57'],
    [['atom-cli', 'rollback', '--app', 'web', 'v57'], 'v57'],
    [['atom-cli', 'rollback', 'v57', '--app', 'web'], 'v57'],
    [['atom-cli', 'rollback', '--app=web', 'v57'], 'v57'],
    [['atom-cli', 'rollback', '--yes', 'v57'], 'v57'],
    [['atom-cli', 'rollback', '--app', 'web'], null],
    [['atom-cli', 'rollback', '--app', 'web', '--', 'v57'], 'v57'],
    [['atom-cli', 'rollback'], null],
  ])('%j names %s', (target, version) => {
    expect(rollbackVersionNamed(target)).toBe(version);
  });
});
