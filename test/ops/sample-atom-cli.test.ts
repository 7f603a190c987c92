/**
 * examples/atom-cli, the sample CLI `npm run console` runs the runbook's commands with: a rollback or a deploy makes a
 * new release, which `deployments` then lists as current and `status` names running, as the bot reads them.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRollbackTarget, parseDeployments } from '../../src/ops/deployments.js';
import { OUTPUT_CHECKS, runningVersion } from '../../src/ops/output-checks.js';

const SAMPLE = join(process.cwd(), 'examples', 'atom-cli');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sample-atom-cli-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** Runs the sample as the bot does: argv, no shell, only PATH and HOME of this environment, plus `env`. */
const sample = (args: string[], env: Record<string, string>) =>
  execa(SAMPLE, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    extendEnv: false,
    reject: false,
  });

describe('the sample atom-cli', () => {
  it('remembers a rollback: a new current release made from the version, which status shows running', async () => {
    const env = { ATOM_CLI_STATE: join(dir, 'rollback.json') };
    const before = await sample(['deployments'], env);
    expect(parseDeployments(before.stdout).find((d) => d.current)?.version).toBe('v58');
    expect(runningVersion((await sample(['status'], env)).stdout)).toBe('v58');

    const rolled = await sample(['rollback', 'v57'], env);
    expect(rolled.exitCode).toBe(0);
    expect(rolled.stdout).toContain('Release v59 created from v57');
    expect(rolled.stdout).toMatch(/Rollback to v57 complete$/);

    const status = (await sample(['status'], env)).stdout;
    expect(runningVersion(status)).toBe('v59');
    // The machines table names the release too, every machine running.
    expect(status).toMatch(/3d8d9e1b2c4f89 {2}59 +iad +running/);
    expect(OUTPUT_CHECKS.machines_running(status)).toMatchObject({ ok: true });
    // The bot's post-deployment check of the version running passes: v59 was made from v57.
    expect(OUTPUT_CHECKS.running_version(status, { rolledBack: { version: 'v57', output: rolled.stdout } })).toEqual({
      ok: true,
      expected: 'v57 (or v59 made from it)',
      detail: 'status shows v59, made from v57',
    });

    const listed = (await sample(['deployments'], env)).stdout;
    const deployments = parseDeployments(listed);
    expect(deployments.map((d) => [d.version, d.current, d.status])).toEqual([
      ['v59', true, 'complete'],
      ['v58', false, 'complete'],
      ['v57', false, 'complete'],
      ['v56', false, 'failed'],
      ['v55', false, 'complete'],
    ]);
    expect(listed.split('\n')[1]).toMatch(/Rollback to v57$/);
    // What the bot offers next: v58, the release before the current one.
    expect(findRollbackTarget(deployments)?.version).toBe('v58');

    // The current release is not rolled back to; one that is not listed neither.
    expect(await sample(['rollback', 'v59'], env)).toMatchObject({ exitCode: 1 });
    expect(await sample(['rollback', 'v12'], env)).toMatchObject({ exitCode: 1 });

    // With no version: the release before the current one that completed (v58), as release v60.
    expect((await sample(['rollback'], env)).stdout).toContain('Release v60 created from v58');
    // A deploy makes a release too.
    expect((await sample(['deploy'], env)).stdout).toMatch(/Release v61 deployed/);
    expect(runningVersion((await sample(['status'], env)).stdout)).toBe('v61');

    // reset forgets them all.
    await sample(['reset'], env);
    expect(runningVersion((await sample(['status'], env)).stdout)).toBe('v58');
    expect(existsSync(env.ATOM_CLI_STATE)).toBe(false);
  });

  it('takes the scenarios of the test fixture (ATOM_CLI_SCENARIO): a rollback that does not take, history unreadable', async () => {
    const env = { ATOM_CLI_STATE: join(dir, 'scenario.json'), ATOM_CLI_SCENARIO: '{"rollback": "does-not-take"}' };
    const rolled = await sample(['rollback', 'v57'], env);
    expect(rolled.exitCode).toBe(0);
    expect(rolled.stdout).toMatch(/Rollback to v57 complete$/);
    const status = (await sample(['status'], env)).stdout;
    expect(OUTPUT_CHECKS.running_version(status, { rolledBack: { version: 'v57', output: rolled.stdout } })).toEqual({
      ok: false,
      expected: 'v57 (or v59 made from it)',
      detail: 'status shows v58',
    });
    const unread = await sample(['deployments'], { ...env, ATOM_CLI_SCENARIO: '{"deployments": "unreadable"}' });
    expect(unread.exitCode).toBe(3);
    expect(unread.stderr).toContain('503 Service Unavailable');
    const stopped = await sample(['nodes', 'list'], { ...env, ATOM_CLI_SCENARIO: '{"nodes": "one-stopped"}' });
    expect(OUTPUT_CHECKS.machines_running(stopped.stdout)).toMatchObject({ ok: false });
    const logs = await sample(['logs', '--lines', '50'], { ...env, ATOM_CLI_SCENARIO: '{"logs": "errors"}' });
    expect(OUTPUT_CHECKS.no_error_lines(logs.stdout)).toMatchObject({ ok: false });
  });

  it('without ATOM_CLI_STATE, keeps its releases per process that runs it, in the temporary directory', async () => {
    // What the bot passes: TMPDIR is not among it, so the default temporary directory.
    const env = {};
    await sample(['reset'], env);
    expect((await sample(['rollback', 'v57'], env)).stdout).toContain('Release v59 created from v57');
    // This process ran both: the second run sees the first one's release.
    expect(runningVersion((await sample(['status'], env)).stdout)).toBe('v59');
    const file = join('/tmp', `atom-cli-sample-${process.pid}.json`);
    expect(existsSync(file)).toBe(true);
    await sample(['reset'], env);
    expect(existsSync(file)).toBe(false);
    expect(runningVersion((await sample(['status'], env)).stdout)).toBe('v58');
  });

  it('prints ERROR lines in its logs, but none in the last lines: the post-deployment check of the last 50 passes', async () => {
    const hundred = (await sample(['logs', '--lines', '100'], {})).stdout.split('\n');
    const errors = hundred.filter((l) => l.includes('ERROR'));
    expect(errors.length).toBeGreaterThan(0);
    // Not among the last lines a run's message shows.
    expect(hundred.slice(-60).some((l) => l.includes('ERROR'))).toBe(false);
    expect(OUTPUT_CHECKS.no_error_lines((await sample(['logs', '--lines', '50'], {})).stdout)).toMatchObject({
      ok: true,
    });
  });
});
