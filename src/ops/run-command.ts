import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { execa } from 'execa';
import type { FoundLines } from '../runbook/look-for.js';
import { createOutputCollector } from './output-collector.js';
import { terminateGroup, trackGroup } from './process-group.js';
import { createRedactor, namedSecrets, redactWith } from './redact.js';

/**
 * Runs one runbook command: argv only (never a shell), a minimal environment, a hard timeout, and output that is
 * redacted before anything outside this module sees it. Besides the pattern rules of redact.ts, every value passed
 * in `env` and every one of `secrets` is masked by value (if at least MIN_KNOWN_VALUE_CHARS long; a shorter value of
 * `env` where it shows as its variable's value, `NAME=value`). The tail shown
 * while it runs, the result's tail and full output, its digest and its error all come from the same redacted text.
 *
 * Limits worth knowing:
 * - The command runs in a process group of its own. On timeout or cancel the whole group gets SIGTERM, then SIGKILL
 *   after `killGraceMs` if any of it is left, so a child it started dies with it (process-group.ts). When the bot
 *   exits, the groups still running get SIGTERM.
 * - A command that ends by itself is not signalled: a background process it leaves behind is its own business. If
 *   such a process keeps stdout/stderr open, we stop reading `stdioGraceMs` after the command exits.
 * - `onOutput` is best effort: it is throttled, its errors (thrown or rejected) are ignored, and it is not called
 *   after the command ends; the result carries the final tail.
 */

export interface OutputSnapshot {
  /** The last complete lines, redacted, within maxTailChars. */
  tail: string;
  /** Raw bytes read from stdout and stderr so far. */
  bytes: number;
  elapsedMs: number;
  /** With `lookFor`: the lines it picked so far (complete lines only). */
  found?: FoundLines;
}

export interface RunCommandOptions {
  /** Default 120 000. */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL. Default 2 000. */
  killGraceMs?: number;
  cwd?: string;
  /**
   * Variables for the child, on top of PATH, HOME and LANG taken from this process. Nothing else of this process's
   * environment (tokens, database URLs) reaches the child.
   */
  env?: Readonly<Record<string, string>>;
  /**
   * Values to mask wherever the output shows them (the bot's own tokens and passwords), on top of the values of
   * `env`, which are always masked.
   */
  secrets?: readonly string[];
  /** May return a promise; it is not awaited, and a rejection is ignored. */
  onOutput?: (snapshot: OutputSnapshot) => unknown;
  /** Minimum time between two onOutput calls. Default 1 000. */
  outputIntervalMs?: number;
  /** Default 2 900: a tail in a code block still fits a 3 000-character Slack section. */
  maxTailChars?: number;
  /** Output kept in `full`; past it `truncated` is set. Default 5 MiB. */
  maxFullBytes?: number;
  /** How long to keep reading after the child exits, if something still holds its stdout open. Default 1 000. */
  stdioGraceMs?: number;
  /**
   * How long a line ending in the start of a known value is held back for the rest of it (see createRedactor) before
   * it is shown as it is. Default 2 000.
   */
  holdMs?: number;
  /** Aborting it terminates the command like a timeout does; the result then has `canceled: true`. */
  signal?: AbortSignal;
  /** The lines to find in the output (redacted, as a reader sees them): the result's `found`. */
  lookFor?: (line: string) => boolean;
}

export interface RunResult {
  /** null when the command did not exit by itself (killed by a signal, or never started). */
  exitCode: number | null;
  /** The signal that ended the command, e.g. 'SIGTERM' after a timeout. */
  signal?: string;
  timedOut: boolean;
  canceled: boolean;
  /** The executable was not found (ENOENT). */
  notFound: boolean;
  /** Why the command could not run at all (not found, not executable, bad cwd), redacted. */
  error?: string;
  /** With `error`: the system's code for it (ENOENT, EACCES), when it gave one. */
  errorCode?: string;
  durationMs: number;
  /** The last lines of stdout and stderr, interleaved in arrival order, redacted, within maxTailChars. */
  tail: string;
  /** All the output, redacted; when truncated, the first maxFullBytes, a marker line, then the tail. */
  full: string;
  truncated: boolean;
  /** Raw bytes read from stdout and stderr. */
  bytes: number;
  /** sha256 (hex) of the whole redacted output, including any part not kept in `full`. */
  digest: string;
  /** With `lookFor`: the lines it picks in the whole redacted output, kept or not. */
  found?: FoundLines;
}

export const RUN_COMMAND_DEFAULTS = {
  timeoutMs: 120_000,
  killGraceMs: 2_000,
  outputIntervalMs: 1_000,
  maxTailChars: 2_900,
  maxFullBytes: 5 * 1024 * 1024,
  stdioGraceMs: 1_000,
  holdMs: 2_000,
} as const;

/** The whole environment a command gets: PATH, HOME and LANG from this process, then `extra`. */
export function childEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? homedir(),
    LANG: process.env.LANG ?? 'C.UTF-8',
    ...extra,
  };
}

export async function runCommand(argv: readonly string[], options: RunCommandOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined || file === '') throw new TypeError('runCommand needs at least the executable in argv');
  const opts = { ...RUN_COMMAND_DEFAULTS, ...definedOnly(options) };
  // A zero timeout would mean "no timeout" to execa: refuse it rather than let a command run forever.
  for (const name of ['timeoutMs', 'maxTailChars'] as const) {
    if (!Number.isFinite(opts[name]) || opts[name] <= 0) throw new RangeError(`runCommand: ${name} must be above 0`);
  }
  const started = performance.now();
  if (opts.signal?.aborted) {
    // Never start a command (a rollback, a restart) that was called off before it began.
    const empty = createOutputCollector(opts).finish();
    return {
      exitCode: null,
      timedOut: false,
      canceled: true,
      notFound: false,
      error: 'canceled before it started',
      durationMs: 0,
      tail: '',
      full: '',
      truncated: false,
      bytes: 0,
      digest: empty.digest,
    };
  }

  const known = [...namedSecrets(opts.env ?? {}), ...(opts.secrets ?? [])];
  const decoder = new StringDecoder('utf8');
  const redactor = createRedactor({ known });
  const collector = createOutputCollector({
    maxTailChars: opts.maxTailChars,
    maxFullBytes: opts.maxFullBytes,
    remask: redactWith(known),
    ...(opts.lookFor ? { lookFor: opts.lookFor } : {}),
  });
  let bytes = 0;

  const subprocess = execa(file, args, {
    shell: false,
    cwd: opts.cwd,
    env: childEnv(opts.env),
    extendEnv: false,
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
    // Its own process group, so a timeout or a cancel stops what it started too (execa would signal it alone).
    detached: true,
    windowsHide: true,
  });

  // Why the bot stopped the command, if it did.
  let stopped: 'timeout' | 'cancel' | undefined;
  const pgid = subprocess.pid;
  const untrack = pgid === undefined ? () => {} : trackGroup(pgid);
  const stop = (reason: 'timeout' | 'cancel'): void => {
    if (stopped || pgid === undefined || subprocess.exitCode !== null || subprocess.signalCode !== null) return;
    stopped = reason;
    terminateGroup(pgid, opts.killGraceMs, untrack);
  };
  const timeoutTimer = setTimeout(() => stop('timeout'), opts.timeoutMs);
  const onAbort = (): void => stop('cancel');
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const progress = throttle(opts.outputIntervalMs, () => {
    const onOutput = opts.onOutput;
    if (!onOutput) return;
    const found = collector.found();
    const snapshot = {
      tail: collector.tail(),
      bytes,
      elapsedMs: Math.round(performance.now() - started),
      ...(found ? { found } : {}),
    };
    try {
      Promise.resolve(onOutput(snapshot)).catch(() => {});
    } catch {
      // Progress is best effort; a failing callback must not stop the command or lose its output.
    }
  });

  // Lines held back for a value's rest are shown as they are once they have waited holdMs (from when the hold began).
  let holdTimer: NodeJS.Timeout | undefined;
  const releaseHeld = (): void => {
    holdTimer = undefined;
    collector.push(redactor.release());
    progress.request();
  };

  const handle = (chunk: Uint8Array | string): void => {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    collector.push(redactor.push(text));
    if (!redactor.holding()) {
      clearTimeout(holdTimer);
      holdTimer = undefined;
    } else holdTimer ??= setTimeout(releaseHeld, opts.holdMs);
    progress.request();
  };

  // Read with backpressure and give the event loop back every few milliseconds: a command that floods its output
  // fills the pipe and waits, instead of the bot's other work (Slack acks, timers) waiting for the command.
  const consume = async (): Promise<void> => {
    const stream = subprocess.all;
    if (!stream) return;
    let sliceStarted = performance.now();
    try {
      for await (const chunk of stream) {
        handle(chunk as Uint8Array | string);
        if (performance.now() - sliceStarted >= SLICE_MS) {
          await yieldToEventLoop();
          sliceStarted = performance.now();
        }
      }
    } catch {
      // The stream was cut (the stdio guard below) or the command never started: keep what was read.
    }
  };

  // A background grandchild can hold the pipes open after the child exits; do not wait on it forever.
  let stdioTimer: NodeJS.Timeout | undefined;
  subprocess.once('exit', () => {
    clearTimeout(timeoutTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    if (!stopped) untrack();
    stdioTimer = setTimeout(() => {
      subprocess.stdout?.destroy();
      subprocess.stderr?.destroy();
    }, opts.stdioGraceMs);
  });

  const [result] = await Promise.all([subprocess, consume()]);
  clearTimeout(stdioTimer);
  // Again here for a command that never started, which has no 'exit' event.
  clearTimeout(timeoutTimer);
  opts.signal?.removeEventListener('abort', onAbort);
  if (!stopped) untrack();
  progress.cancel();
  clearTimeout(holdTimer);
  collector.push(redactor.push(decoder.end()));
  collector.push(redactor.flush());
  const output = collector.finish();

  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : null;
  const couldNotRun = exitCode === null && result.signal === undefined && stopped === undefined;
  return {
    exitCode,
    ...(result.signal === undefined ? {} : { signal: result.signal }),
    timedOut: stopped === 'timeout',
    canceled: stopped === 'cancel',
    notFound: couldNotRun && result.code === 'ENOENT' && isDirectory(opts.cwd),
    ...(couldNotRun
      ? { error: redactWith(known)(result.shortMessage ?? result.message ?? 'the command could not run') }
      : {}),
    ...(couldNotRun && typeof result.code === 'string' ? { errorCode: result.code } : {}),
    durationMs: Math.round(performance.now() - started),
    tail: output.tail,
    full: output.full,
    truncated: output.truncated,
    bytes,
    digest: output.digest,
    ...(output.found ? { found: output.found } : {}),
  };
}

/** Longest stretch of output handling before the event loop gets a turn. */
const SLICE_MS = 8;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function isDirectory(path: string | undefined): boolean {
  if (path === undefined) return true;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Calls `fn` at once if it has not run in the last `intervalMs`, else once when the interval is over. */
function throttle(intervalMs: number, fn: () => void): { request(): void; cancel(): void } {
  let last = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const run = (): void => {
    timer = undefined;
    last = performance.now();
    fn();
  };
  return {
    request() {
      if (cancelled || timer !== undefined) return;
      const wait = last + intervalMs - performance.now();
      if (wait <= 0) run();
      else timer = setTimeout(run, wait);
    },
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}
