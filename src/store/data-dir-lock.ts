import { readFileSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';

/** Who holds a data directory: the process id and, where /proc tells it, when that process started. */
interface Holder {
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22), so a reused pid is not taken for the holder. */
  started?: string;
}

/** Another live process holds the data directory. */
export class DataDirInUseError extends Error {
  constructor(readonly holderPid: number) {
    super(`held by process ${holderPid}`);
    this.name = 'DataDirInUseError';
  }
}

/** A process's state and start time, from /proc (Linux); undefined elsewhere. */
function procStat(pid: number): { state: string; started: string | undefined } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): field 3 (the state) onwards.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', started: fields[19] };
  } catch {
    return undefined;
  }
}

/** When the process started, in clock ticks since boot (/proc); undefined where it cannot be read. */
const startTime = (pid: number): string | undefined => procStat(pid)?.started;

/**
 * True while the process that wrote `h` still runs: same pid, and where /proc tells it the same start time and not
 * dead. A process killed with -9 whose parent went with it stays a zombie (it answers signal 0) until whatever adopts
 * it reaps it, which some init processes do only now and then: it holds nothing.
 */
function alive(h: Holder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = procStat(h.pid);
  if (now === undefined) return true;
  if (now.state === 'Z' || now.state === 'X') return false;
  return h.started === undefined || now.started === undefined || now.started === h.started;
}

function parse(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    return typeof h.pid === 'number' && Number.isInteger(h.pid) && h.pid > 0
      ? { pid: h.pid, ...(typeof h.started === 'string' ? { started: h.started } : {}) }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The lock files this process holds. */
const held = new Set<string>();

/** A lock file held by this process; `release` removes it (only if it is still ours). */
export interface DataDirLock {
  readonly file: string;
  release(): Promise<void>;
}

/**
 * Takes `file` for this process: created exclusively, holding this process's pid and start time. A file left by a
 * process that is gone (killed with -9, a crash, a reboot) is taken over; one held by a live process throws
 * DataDirInUseError. Taking over renames the stale file away first, so of two processes that find the same stale file
 * only one removes it.
 */
export async function lockDataDir(file: string): Promise<DataDirLock> {
  const started = startTime(process.pid);
  const me: Holder = { pid: process.pid, ...(started ? { started } : {}) };
  const content = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o644);
      try {
        await fh.writeFile(content);
      } finally {
        await fh.close();
      }
      held.add(file);
      return {
        file,
        async release() {
          if (!held.delete(file)) return;
          const now = await readFile(file, 'utf8').catch(() => '');
          if (now === content) await unlink(file).catch(() => {});
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // removed meanwhile: try again
    const holder = parse(text);
    // Held by a live process: another one, or this one through another lock it has not released.
    if (holder && alive(holder) && (holder.pid !== process.pid || held.has(file))) {
      throw new DataDirInUseError(holder.pid);
    }
    // Stale (or unreadable): move it away, then check it is the one we judged.
    const aside = `${file}.stale-${process.pid}`;
    try {
      await rename(file, aside);
    } catch {
      continue;
    }
    const moved = await readFile(aside, 'utf8').catch(() => '');
    if (moved !== text) {
      // Another process took the lock between our read and the rename: put its file back.
      await rename(aside, file).catch(() => {});
      continue;
    }
    await unlink(aside).catch(() => {});
  }
  throw new Error(`could not take the lock file ${file}`);
}
