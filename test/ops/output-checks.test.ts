import { describe, expect, it } from 'vitest';
import { errorLines, machineStates, OUTPUT_CHECKS } from '../../src/ops/output-checks.js';
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

describe('the post-deployment verification list', () => {
  it("is the runbook's: status, /api/health, /api/alive, nodes list, logs, and the rollback playbook runs it", () => {
    expect(POST_DEPLOYMENT_VERIFICATION.map((c) => c.name)).toEqual([
      'atom-cli status',
      'GET /api/health',
      'GET /api/alive',
      'atom-cli nodes list',
      'atom-cli logs --lines 50',
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
