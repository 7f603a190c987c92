import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/ops/run-command.js';
import { type CliLog, makeCliLog } from './fake-atom-cli.js';

/** test/fixtures/spawn-child: starts `sleep 30` in the background, writes its pid to the file $1, and waits. */
const SPAWN_CHILD = fileURLToPath(new URL('../fixtures/spawn-child', import.meta.url));

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Waits until `pid` is gone. A killed child whose parent died first is reaped by init, which may take a moment
 * (about two seconds here); a child nobody killed lives its full 30 s.
 */
async function gone(pid: number, withinMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (!isGone(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

let dir: CliLog;
let pidFile: string;
const children: number[] = [];
const childPid = (): number => {
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  children.push(pid);
  return pid;
};

beforeEach(() => {
  dir = makeCliLog();
  pidFile = join(dir.dir, 'child.pid');
});
afterEach(() => {
  // A safety net so a failing test leaves no `sleep 30` behind; the assertions are made before it.
  for (const pid of children.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  dir.remove();
});

describe('runCommand: the command’s own children', () => {
  it('kills the child a command started when the command times out', async () => {
    const result = await runCommand([SPAWN_CHILD, pidFile], { timeoutMs: 500 });
    expect(result).toMatchObject({ timedOut: true, canceled: false, exitCode: null, signal: 'SIGTERM' });
    expect(result.full).toBe('started\n');
    const pid = childPid();
    expect(await gone(pid)).toBe(true);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('kills the child when the caller cancels the command', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await runCommand([SPAWN_CHILD, pidFile], { signal: controller.signal });
    expect(result).toMatchObject({ canceled: true, timedOut: false, signal: 'SIGTERM' });
    const pid = childPid();
    expect(await gone(pid)).toBe(true);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('sends SIGKILL to a child that ignores SIGTERM, after the grace period, though the command itself is gone', async () => {
    const result = await runCommand([SPAWN_CHILD, pidFile], {
      timeoutMs: 500,
      killGraceMs: 300,
      env: { SPAWN_CHILD_IGNORE_TERM: '1' },
    });
    expect(result.timedOut).toBe(true);
    const pid = childPid();
    expect(await gone(pid)).toBe(true);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('leaves no process of a command that ended by itself', async () => {
    const result = await runCommand(['sh', '-c', `sleep 0.2 & echo $! > ${pidFile}; wait; echo done`]);
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, full: 'done\n' });
    expect(await gone(childPid())).toBe(true);
  });
});
