import { getPriority } from 'node:os';

/** The shortest and longest slices Linux takes (it clamps to them): 0.1 ms and 100 ms, in microseconds. */
export const SLICE_MIN_US = 100;
export const SLICE_MAX_US = 100_000;

/** sched_setattr(2)'s number by architecture (the C library's wrapper is too recent to rely on). */
const SCHED_SETATTR: Partial<Record<NodeJS.Architecture, number>> = {
  x64: 314,
  arm64: 274,
  riscv64: 274,
  arm: 380,
  ia32: 351,
};

/** struct sched_attr as the kernel reads it (SCHED_ATTR_SIZE_VER1: every field of a fixed size), 56 bytes. */
function schedAttr(nice: number, sliceUs: number): Buffer {
  const attr = Buffer.alloc(56);
  attr.writeUInt32LE(56, 0); // size
  attr.writeUInt32LE(0, 4); // sched_policy: SCHED_OTHER, the default
  attr.writeBigUInt64LE(0n, 8); // sched_flags
  attr.writeInt32LE(nice, 16); // sched_nice: the thread's own, kept
  attr.writeUInt32LE(0, 20); // sched_priority
  attr.writeBigUInt64LE(BigInt(sliceUs) * 1000n, 24); // sched_runtime: the slice asked for, in nanoseconds
  return attr;
}

/**
 * Asks Linux to run the calling thread in time slices of `sliceUs` microseconds (0.1 to 100 ms) instead of its default
 * (the kernel's, 1.4 ms on a 2-core test machine). Under the EEVDF scheduler (Linux 6.6 and later) a thread's slice sets how soon its
 * turn comes, not how much CPU it gets (nice sets that): a thread with a short slice that wakes with work has an earlier
 * deadline than the threads running long ones, and from Linux 6.12 it is run at once, ahead of the slice of the thread
 * on the core. That is the acknowledging thread: it sleeps until a request comes and works on it for a fraction of a
 * millisecond, so with a short slice Slack's request is answered before the bot's work or a database process on the
 * same core finishes its slice. Older kernels take the call and leave the slice as it was.
 *
 * Node has no call for it: sched_setattr(2) is called through koffi (a foreign function interface with prebuilt
 * binaries), an optional dependency. Null when done; else why not (not Linux, koffi not installed, the kernel
 * refused), and the thread keeps its default slice.
 */
export async function askShortSlices(sliceUs: number): Promise<string | null> {
  if (process.platform !== 'linux') return `${process.platform} has no time slices to ask for`;
  const nr = SCHED_SETATTR[process.arch];
  if (nr === undefined) return `no sched_setattr number known for ${process.arch}`;
  const slice = Math.min(SLICE_MAX_US, Math.max(SLICE_MIN_US, Math.round(sliceUs)));
  let koffi: typeof import('koffi');
  try {
    const name = 'koffi';
    koffi = ((await import(name)) as { default: typeof import('koffi') }).default;
  } catch (err) {
    return `koffi (an optional dependency) is not installed: ${(err as Error).message.split('\n')[0]}`;
  }
  try {
    const libc = koffi.load('libc.so.6');
    const syscall = libc.func('long syscall(long number, int pid, _Inout_ uint8_t *attr, unsigned int flags)');
    // pid 0: the calling thread (a thread is its own task on Linux); its nice kept as it is.
    const result = syscall(nr, 0, schedAttr(getPriority(0), slice), 0) as number | bigint;
    if (Number(result) !== 0) {
      const errno = koffi.errno();
      return `the kernel refused the slice (sched_setattr errno ${errno})`;
    }
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'unknown error';
  }
}
