import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = process.cwd();
const LOCK = join(ROOT, 'dist.build-lock');
/** A lock older than this was left by a test process killed mid-build. */
const STALE_LOCK_MS = 5 * 60_000;

let built = false;

/** Blocks the thread for `ms` (the build is waited for before the first process starts anyway). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds dist/ when it was built from other sources than src/ holds now (`npm start`'s own prestart: a digest of the
 * sources), once per test process, one test process at a time (a lock directory: three test files may start their
 * first bot together, and two builds writing the same files would leave a half-written one to a third).
 */
function ensureBuilt(): void {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // Removed meanwhile by the process that held it: try again.
      }
      sleepSync(200);
    }
  }
  try {
    const r = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0)
      throw new Error(`building dist/ failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * The command that runs the bot as `npm start` does: node on dist/app.js, built from the sources as they are now.
 * Not the sources under tsx's loader: that compiles some 200 files at every start, a second or two of CPU each time
 * and twice the memory, and the suite starts the bot some hundred times on a 2-core machine.
 */
export function appCommand(): [string, ...string[]] {
  if (!built) {
    ensureBuilt();
    built = true;
  }
  return [process.execPath, join(ROOT, 'dist', 'app.js')];
}
