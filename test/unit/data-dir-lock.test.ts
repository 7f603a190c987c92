import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from '../../src/store/data-dir-lock.js';

/** A process's state letter and start time, as /proc/<pid>/stat gives them. */
function stat(pid: number): { state: string; started: string } {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { state: f[0]!, started: f[19]! };
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const linux = process.platform === 'linux';

describe.runIf(linux)('the data directory lock', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'data-dir-lock-'));
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const lockFile = async (name: string, holder: object) => {
    const file = join(dir, name);
    await writeFile(file, `${JSON.stringify(holder)}\n`);
    return file;
  };
  const ours = () => `${JSON.stringify({ pid: process.pid, started: stat(process.pid).started })}\n`;

  it('is refused while the process that holds it runs, naming it', async () => {
    const sleeper = spawn('sleep', ['30']);
    children.push(sleeper);
    const pid = sleeper.pid!;
    await until('the sleeper to run', () => stat(pid).state !== undefined);
    const file = await lockFile('live.lock', { pid, started: stat(pid).started });
    const err = await lockDataDir(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirInUseError);
    expect((err as DataDirInUseError).holderPid).toBe(pid);
  });

  it('is taken over from a process that has ended and is not yet reaped (a zombie: a bot killed with -9 together with its parent is one until adopted and reaped): it holds nothing', async () => {
    // The shell starts a short sleep, then becomes a long one that never reaps it: the short one stays a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(parent);
    const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(d))));
    await until('the short sleep to be a zombie', () => stat(pid).state === 'Z');
    // It answers signal 0, as a live process does.
    expect(() => process.kill(pid, 0)).not.toThrow();
    const file = await lockFile('zombie.lock', { pid, started: stat(pid).started });
    const lock = await lockDataDir(file);
    expect(await readFile(file, 'utf8')).toBe(ours());
    await lock.release();
  });

  it('is taken over from a process that is gone, and from one whose pid now belongs to another process', async () => {
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    const goneFile = await lockFile('gone.lock', { pid: gone.pid, started: '1' });
    const a = await lockDataDir(goneFile);
    expect(await readFile(goneFile, 'utf8')).toBe(ours());
    await a.release();

    const sleeper = spawn('sleep', ['30']);
    children.push(sleeper);
    const reused = await lockFile('reused.lock', { pid: sleeper.pid, started: '1' });
    const b = await lockDataDir(reused);
    expect(await readFile(reused, 'utf8')).toBe(ours());
    await b.release();
  });
});
