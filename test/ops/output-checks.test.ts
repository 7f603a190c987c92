import { describe, expect, it } from 'vitest';
import {
  errorLines,
  machineStates,
  OUTPUT_CHECKS,
  releasesMadeFrom,
  rolledBackTo,
  runningVersion,
} from '../../src/ops/output-checks.js';
import { POST_DEPLOYMENT_VERIFICATION, ROLLBACK, ROLLBACK_STEPS } from '../../src/runbook/rollback-playbook.js';

const NODES = `PROCESS  ID              VERSION  REGION  STATE    CHECKS              LAST UPDATED
app      3d8d9e1b2c4f89  58       iad     running  2 total, 2 passing  2025-11-27T21:05:40Z
app      91857e3c4f1a28  58       ewr     stopped  2 total, 0 passing  2025-11-27T21:06:02Z
`;

describe('reading the output of post-deployment checks', () => {
  it('finds error lines: ERROR, Error, FATAL, Traceback, exceptions, case-insensitively', () => {
    const log = [
      '21:04:11 INFO  [web] GET /api/health 200 12ms',
      '21:04:12 ERROR [api] OpenAI request failed',
      '21:04:13 error: connection reset',
      '21:04:14 FATAL worker crashed',
      'Traceback (most recent call last):',
      '  raise RuntimeError("boom")',
      'java.lang.NullPointerException at Foo.bar',
      '21:04:15 INFO  [worker] 0 errors, error_count=0, no exceptions',
    ].join('\n');
    expect(errorLines(log)).toEqual([
      '21:04:12 ERROR [api] OpenAI request failed',
      '21:04:13 error: connection reset',
      '21:04:14 FATAL worker crashed',
      'Traceback (most recent call last):',
      '  raise RuntimeError("boom")',
      'java.lang.NullPointerException at Foo.bar',
    ]);
  });

  it('passes clean logs and fails logs with errors, naming the first three lines', () => {
    expect(OUTPUT_CHECKS.no_error_lines('a INFO ok\nb WARN slow\n')).toEqual({ ok: true, detail: 'no error lines' });
    const verdict = OUTPUT_CHECKS.no_error_lines('ERROR one\nINFO fine\nERROR two\nFATAL three\nERROR four\n');
    expect(verdict).toEqual({ ok: false, detail: '4 error line(s): ERROR one | ERROR two | FATAL three | …' });
  });

  it('reads each machine and its state from the nodes table', () => {
    expect(machineStates(NODES)).toEqual([
      { id: '3d8d9e1b2c4f89', state: 'running' },
      { id: '91857e3c4f1a28', state: 'stopped' },
    ]);
    expect(machineStates('no table here')).toBeNull();
  });

  it('passes only when every machine shows "running"', () => {
    expect(OUTPUT_CHECKS.machines_running(NODES.replace('stopped', 'running'))).toEqual({
      ok: true,
      detail: '2 machine(s) running',
    });
    expect(OUTPUT_CHECKS.machines_running(NODES)).toEqual({
      ok: false,
      detail: '1 of 2 machine(s) not running: 91857e3c4f1a28 stopped',
    });
    expect(OUTPUT_CHECKS.machines_running(NODES.replaceAll('running', 'started'))).toMatchObject({ ok: false });
    expect(OUTPUT_CHECKS.machines_running('Error: not logged in\n')).toEqual({
      ok: false,
      detail: 'no machine listed',
    });
  });
});

/** `atom-cli status` as test/fixtures/atom-cli prints it, `version` running (none: no Version line). */
const status = (version?: string) =>
  `App\n  Name     = atom-saas\n  Owner    = atom\n  Hostname = atom-saas.atom.cloud\n${
    version ? `  Version  = ${version}\n` : ''
  }\nMachines\n${NODES}`;

/** A rollback's output as a CLI that makes a new release from the old one prints it (Fly.io, the fixture). */
const NEW_RELEASE = `Rolling back atom-saas to v57
Release v59 created from v57
  Updating machine 3d8d9e1b2c4f89 [app]
  Machine 3d8d9e1b2c4f89 is healthy
Rollback to v57 complete
`;

describe('the version running, after a rollback (running_version)', () => {
  const check = OUTPUT_CHECKS.running_version;
  const afterRollback = (version: string | null, output = NEW_RELEASE) => ({ rolledBack: { version, output } });

  it('reads the version status names running, the release a rollback made and the version it went back to', () => {
    expect(runningVersion(status('v58'))).toBe('v58');
    expect(runningVersion('App\n  Version: 57\n')).toBe('57');
    // The machines table's VERSION column is no Version line.
    expect(runningVersion(status())).toBeNull();
    expect(releasesMadeFrom(NEW_RELEASE, 'v57')).toEqual(['v59']);
    expect(releasesMadeFrom(NEW_RELEASE, '57')).toEqual(['v59']);
    expect(releasesMadeFrom(NEW_RELEASE, 'v55')).toEqual([]);
    expect(releasesMadeFrom('Rollback to v57 complete\n', 'v57')).toEqual([]);
    expect(rolledBackTo(NEW_RELEASE)).toBe('v57');
    expect(rolledBackTo('Rollback to v55 complete\n')).toBe('v55');
    expect(rolledBackTo('Done.\n')).toBeNull();
  });

  it('passes when the version rolled back to runs, or a release the rollback made from it (as Fly.io does)', () => {
    expect(check(status('v57'), afterRollback('v57'))).toEqual({
      ok: true,
      expected: 'v57 (or v59 made from it)',
      detail: 'status shows v57',
    });
    expect(check(status('v59'), afterRollback('v57'))).toEqual({
      ok: true,
      expected: 'v57 (or v59 made from it)',
      detail: 'status shows v59, made from v57',
    });
    // `57` and `v57` are one release.
    expect(check(status('57'), afterRollback('v57'))).toMatchObject({ ok: true });
  });

  it('fails when the rollback did not take, saying what it expected and what status shows', () => {
    expect(check(status('v58'), afterRollback('v57'))).toEqual({
      ok: false,
      expected: 'v57 (or v59 made from it)',
      detail: 'status shows v58',
    });
    // A new release the rollback did not say it made from the version is no proof it took.
    expect(check(status('v59'), afterRollback('v57', 'Rollback to v57 complete\n'))).toEqual({
      ok: false,
      expected: 'v57',
      detail: 'status shows v59',
    });
    expect(check(status('v59'), afterRollback('v55'))).toMatchObject({ ok: false, expected: 'v55' });
  });

  it('a status that shows no version, or a rollback that named none, is not checked: said, to check by hand', () => {
    expect(check(status(), afterRollback('v57'))).toEqual({
      ok: false,
      unchecked: true,
      expected: 'v57 (or v59 made from it)',
      detail: 'running version not shown by `atom-cli status`: check by hand',
    });
    expect(check(status('v58'), afterRollback(null, 'Done.\n'))).toEqual({
      ok: false,
      unchecked: true,
      expected: 'the version rolled back to',
      detail: 'the rollback named no version; status shows v58: check by hand that it is the release you meant',
    });
  });

  it('with no rollback to compare with (a deploy, a step run on its own) only reports the version running', () => {
    expect(check(status('v58'))).toEqual({ ok: true, detail: 'running v58' });
    expect(check(status())).toEqual({ ok: true, detail: 'no running version shown' });
  });
});

describe('the post-deployment verification list', () => {
  it("is the runbook's: status, /api/health, /api/alive, nodes list, logs, and the rollback playbook runs it", () => {
    expect(POST_DEPLOYMENT_VERIFICATION.map((c) => c.name)).toEqual([
      'atom-cli status',
      'GET /api/health',
      'GET /api/alive',
      'atom-cli nodes list',
      'atom-cli logs --lines 50',
    ]);
    // How each reads its output: the status, for the version running (after a rollback, the one rolled back to).
    expect(POST_DEPLOYMENT_VERIFICATION.map((c) => c.output ?? null)).toEqual([
      'running_version',
      null,
      null,
      'machines_running',
      'no_error_lines',
    ]);
    expect(ROLLBACK.resolution).toEqual(POST_DEPLOYMENT_VERIFICATION.map((c) => c.step));
    expect(ROLLBACK_STEPS.verify).toEqual([
      'resolution.0',
      'resolution.1',
      'resolution.2',
      'resolution.3',
      'resolution.4',
    ]);
  });
});
