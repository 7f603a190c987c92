import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OutputSnapshot, runCommand } from '../../src/ops/run-command.js';
import { ATOM_CLI, type CliLog, FAKE_SECRETS, makeCliLog, secretFragments } from './fake-atom-cli.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

let log: CliLog;
beforeEach(() => {
  log = makeCliLog();
});
afterEach(() => {
  log.remove();
});

describe('runCommand', () => {
  it('runs the fake CLI and reports exit code, duration, output and digest', async () => {
    const result = await runCommand([ATOM_CLI, 'deployments'], { env: { ATOM_CLI_LOG: log.path } });
    const raw = execFileSync(ATOM_CLI, ['deployments'], { encoding: 'utf8' });

    expect(result).toMatchObject({ exitCode: 0, timedOut: false, canceled: false, notFound: false, truncated: false });
    expect(result.signal).toBeUndefined();
    expect(result.error).toBeUndefined();
    expect(result.full).toBe(raw);
    expect(result.tail).toBe(raw.trimEnd());
    expect(result.bytes).toBe(Buffer.byteLength(raw));
    expect(result.digest).toBe(sha256(result.full));
    expect(result.durationMs).toBeGreaterThan(0);
    expect(result.durationMs).toBeLessThan(10_000);
    expect(log.entries().map((entry) => entry.argv)).toEqual([['deployments']]);
  });

  it('redacts every secret in the logs and in `secrets list`', async () => {
    const logs = await runCommand([ATOM_CLI, 'logs', '--lines', '50']);
    const secrets = await runCommand([ATOM_CLI, 'secrets', 'list']);

    for (const fragment of secretFragments()) {
      expect(logs.full).not.toContain(fragment);
      expect(secrets.full).not.toContain(fragment);
    }
    expect(logs.full.split('\n')).toHaveLength(51);
    expect(logs.full).toContain('OPENAI_API_KEY=***');
    expect(logs.full).toContain('postgresql://app:***@db/x');
    expect(logs.full).toContain('Authorization: Bearer ***');
    expect(logs.full).toContain('token xoxb-***');
    expect(secrets.full).toContain('DATABASE_URL=***\n');
    expect(secrets.full).toContain('NEXTAUTH_URL=https://acme.atomagentos.com\n');
    expect(secrets.full).toContain('SES_REGION=us-east-1\n');
  });

  it('masks a secret the command writes in two pieces', async () => {
    const result = await runCommand([ATOM_CLI, 'split-secret']);
    expect(result.full).toBe(
      'provider key sk-ant-*** in use\nconnecting to postgresql://app:***@db/x\nOPENAI_API_KEY=***\n',
    );
    expect(result.full).not.toContain(FAKE_SECRETS.dbPassword);
  });

  it('interleaves stdout and stderr in the order they arrive', async () => {
    const result = await runCommand([ATOM_CLI, 'interleave']);
    expect(result.full).toBe('out 1\nerr 2\nout 3\nerr 4\n');
  });

  it('reports a non-zero exit with the output, stderr included', async () => {
    const failed = await runCommand([ATOM_CLI, 'status'], { env: { ATOM_CLI_FAIL: '1' } });
    expect(failed).toMatchObject({ exitCode: 3, timedOut: false, notFound: false });
    expect(failed.error).toBeUndefined();
    expect(failed.tail).toBe(
      'Connecting to ATOM Cloud API for atom-saas...\nError: ATOM Cloud API returned 502 Bad Gateway (request id req_01JDXK4V9Q)',
    );

    const unknown = await runCommand([ATOM_CLI, 'rollback', 'v99']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.tail).toContain('version v99 not found');
  });

  it('reports a missing binary as notFound', async () => {
    const onPath = await runCommand(['atom-cli-that-does-not-exist', 'status']);
    expect(onPath).toMatchObject({ notFound: true, exitCode: null, timedOut: false, full: '', bytes: 0 });
    expect(onPath.error).toContain('ENOENT');

    const byPath = await runCommand([join(log.dir, 'nope', 'atom-cli')]);
    expect(byPath.notFound).toBe(true);
  });

  it('does not call a missing working directory a missing binary', async () => {
    const result = await runCommand([ATOM_CLI, 'status'], { cwd: join(log.dir, 'no-such-dir') });
    expect(result.notFound).toBe(false);
    expect(result.exitCode).toBeNull();
    expect(result.error).toMatch(/cwd/);
  });

  it('reports a command that is not executable', async () => {
    const result = await runCommand([log.dir]);
    expect(result).toMatchObject({ notFound: false, exitCode: null });
    expect(result.error).toMatch(/EACCES/);
  });

  it('kills a hanging command at the timeout (SIGTERM)', async () => {
    const result = await runCommand([ATOM_CLI, 'status'], { timeoutMs: 1_000, env: { ATOM_CLI_HANG: '1' } });
    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGTERM', canceled: false });
    expect(result.durationMs).toBeGreaterThanOrEqual(990);
    expect(result.durationMs).toBeLessThan(1_500);
    expect(result.tail).toBe('waiting for ATOM Cloud API...');
  });

  it('sends SIGKILL after the grace period to a command that ignores SIGTERM', async () => {
    // The timeout leaves Node time to start and set its SIGTERM handler even on a loaded CI machine: at 700 ms the
    // fixture was once killed by the SIGTERM it had not yet begun to ignore.
    const result = await runCommand([ATOM_CLI, 'status'], {
      timeoutMs: 2_000,
      killGraceMs: 300,
      env: { ATOM_CLI_HANG: '1', ATOM_CLI_IGNORE_TERM: '1' },
    });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null });
    expect(result.tail).toContain('ignoring SIGTERM');
    expect(result.durationMs).toBeGreaterThanOrEqual(2_290);
    expect(result.durationMs).toBeLessThan(3_500);
  });

  it('stops a command when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await runCommand([ATOM_CLI, 'status'], { signal: controller.signal, env: { ATOM_CLI_HANG: '1' } });
    expect(result).toMatchObject({ canceled: true, timedOut: false, signal: 'SIGTERM' });
    expect(result.durationMs).toBeLessThan(1_500);
  });

  it('does not start a command whose signal is already aborted', async () => {
    const result = await runCommand([ATOM_CLI, 'rollback', 'v57'], {
      signal: AbortSignal.abort(),
      env: { ATOM_CLI_LOG: log.path },
    });
    expect(result).toMatchObject({ canceled: true, exitCode: null, error: 'canceled before it started', bytes: 0 });
    expect(log.entries()).toEqual([]);
  });

  it('refuses a zero timeout, which would mean none', async () => {
    await expect(runCommand([ATOM_CLI, 'status'], { timeoutMs: 0 })).rejects.toThrow(RangeError);
  });

  it('does not wait for a background process that keeps the output open', async () => {
    const pidFile = join(log.dir, 'sleep.pid');
    const result = await runCommand(['sh', '-c', `echo started; sleep 5 & echo $! > ${pidFile}; exit 0`], {
      stdioGraceMs: 200,
    });
    // The command ended by itself, so its background process is left alone; stop it here, not 5 s later.
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    expect(result.exitCode).toBe(0);
    expect(result.full).toBe('started\n');
    expect(result.durationMs).toBeLessThan(2_000);
  });

  it('gives the child a minimal environment, never the bot’s own', async () => {
    const saved = process.env.SLACK_BOT_TOKEN;
    process.env.SLACK_BOT_TOKEN = 'xoxb-secret-of-the-bot';
    try {
      const result = await runCommand([ATOM_CLI, 'env'], { env: { ATOM_CLI_LOG: log.path, ATOM_REGION: 'iad' } });
      expect(result.exitCode).toBe(0);
      expect(result.full).not.toContain('SLACK_BOT_TOKEN');
      // Passed, and masked where printed as its value (every variable the bot passes is masked so).
      expect(result.full).toContain('ATOM_REGION=***\n');
      expect(result.full).toContain(`PATH=${process.env.PATH}\n`);
      expect(log.entries()[0]?.env).toEqual(['ATOM_CLI_LOG', 'ATOM_REGION', 'HOME', 'LANG', 'PATH']);
    } finally {
      if (saved === undefined) delete process.env.SLACK_BOT_TOKEN;
      else process.env.SLACK_BOT_TOKEN = saved;
    }
  });

  it('passes shell metacharacters literally, as single argv elements', async () => {
    const marker = join(log.dir, 'pwned');
    const args = [
      `; touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `| touch ${marker}`,
      `&& touch ${marker}`,
      '*',
      '~',
      '$HOME',
      `"double" 'single'`,
      'two\nlines',
      '--force',
    ];
    const result = await runCommand([ATOM_CLI, 'args', ...args], { env: { ATOM_CLI_LOG: log.path } });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.full)).toEqual(args);
    expect(log.entries()[0]?.argv).toEqual(['args', ...args]);
    expect(existsSync(marker)).toBe(false);
  });

  it('keeps the tail within maxTailChars, cut on a line boundary', async () => {
    const result = await runCommand([ATOM_CLI, 'logs', '--lines', '200'], { maxTailChars: 500 });
    const lines = result.full.trimEnd().split('\n');
    expect(lines).toHaveLength(200);
    expect(result.tail.length).toBeLessThanOrEqual(500);
    expect(result.tail.length).toBeGreaterThan(300);
    // Whole lines only: the tail is exactly the last N lines of the output.
    const tailLines = result.tail.split('\n');
    expect(tailLines).toEqual(lines.slice(-tailLines.length));
  });

  it('truncates `full` past maxFullBytes but digests all of the output', async () => {
    const whole = await runCommand([ATOM_CLI, 'logs', '--lines', '200']);
    const cut = await runCommand([ATOM_CLI, 'logs', '--lines', '200'], { maxFullBytes: 2_000, maxTailChars: 400 });

    expect(whole.truncated).toBe(false);
    expect(cut.truncated).toBe(true);
    expect(cut.bytes).toBe(whole.bytes);
    expect(cut.digest).toBe(whole.digest);
    const [head, rest] = cut.full.split(
      /\[output truncated: kept the first \d+ of \d+ bytes; the last lines follow\]\n/,
    );
    expect(Buffer.byteLength(head ?? '')).toBeLessThanOrEqual(2_000);
    expect(head?.endsWith('\n')).toBe(true);
    expect(whole.full.startsWith(head ?? 'x')).toBe(true);
    expect(rest).toBe(cut.tail);
  });

  it('streams throttled snapshots of the redacted tail, about once a second', async () => {
    const snapshots: Array<OutputSnapshot & { at: number }> = [];
    const started = Date.now();
    const result = await runCommand([ATOM_CLI, 'status'], {
      env: { ATOM_CLI_SLOW_MS: '100', ATOM_CLI_SLOW_COUNT: '32' },
      maxTailChars: 60,
      onOutput: (snapshot) => {
        snapshots.push({ ...snapshot, at: Date.now() - started });
      },
    });

    expect(result.exitCode).toBe(0);
    expect(result.tail.split('\n').at(-1)).toBe('done');
    // 3.2 s of output: a call at the first line, then at most one a second.
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    expect(snapshots.length).toBeLessThanOrEqual(5);
    for (const [index, snapshot] of snapshots.entries()) {
      expect(snapshot.tail.length).toBeLessThanOrEqual(60);
      // The last may come as the command prints its last line (`done`), before it exits.
      expect(snapshot.tail).toMatch(/^(progress \d+\/32\n?)+(done)?$/);
      const previous = snapshots[index - 1];
      if (previous) {
        expect(snapshot.at - previous.at).toBeGreaterThanOrEqual(950);
        expect(snapshot.bytes).toBeGreaterThan(previous.bytes);
      }
    }
  });

  it('with lookFor, each snapshot carries the lines found so far, as the result does at the end', async () => {
    const snapshots: OutputSnapshot[] = [];
    const result = await runCommand([ATOM_CLI, 'status'], {
      env: { ATOM_CLI_SLOW_MS: '100', ATOM_CLI_SLOW_COUNT: '24' },
      lookFor: (line) => /^progress \d*[05]\//.test(line),
      onOutput: (snapshot) => {
        snapshots.push(snapshot);
      },
    });
    expect(result.exitCode).toBe(0);
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    for (const [index, s] of snapshots.entries()) {
      expect(s.found, `snapshot ${index}`).toBeDefined();
      // Counted from the complete lines read so far: progress 5/24, 10/24, 15/24, 20/24 as they come.
      expect(s.found!.matched).toBe(s.found!.last.length);
      expect(s.found!.matched).toBeLessThanOrEqual(s.found!.total);
      const previous = snapshots[index - 1];
      if (previous) expect(s.found!.total).toBeGreaterThanOrEqual(previous.found!.total);
    }
    expect(snapshots.some((s) => s.found!.matched > 0)).toBe(true);
    expect(snapshots.at(-1)!.found!.total).toBeLessThanOrEqual(result.found!.total);
    expect(result.found!.matched).toBe(4);
  });

  it('survives an onOutput that throws or rejects', async () => {
    const throwing = await runCommand([ATOM_CLI, 'deployments'], {
      onOutput: () => {
        throw new Error('slack is down');
      },
    });
    const rejecting = await runCommand([ATOM_CLI, 'deployments'], {
      onOutput: () => Promise.reject(new Error('slack is down')),
    });
    expect(throwing.exitCode).toBe(0);
    expect(rejecting.exitCode).toBe(0);
    expect(throwing.digest).toBe(rejecting.digest);
  });

  it('refuses an empty argv', async () => {
    await expect(runCommand([])).rejects.toThrow(TypeError);
  });
});
