/**
 * What the benches share: running a bench (clean-up on exit and on Ctrl-C, exit codes), a fresh Postgres schema, a
 * Redis key prefix, the app's child processes (start, ready line, logs, stop), signed requests, CPU and memory
 * readings and figures.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { getPriority, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { RedisRequester } from '../src/store/redis-requester.js';
import { vacuumBloatedCatalogs } from '../test/support/catalog-vacuum.js';
import { signSlackRequest } from '../test/support/slack-request.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PG_BASE_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/**
 * The per-person limits and the channel budget, off for the bot under test: every request of a bench comes from one
 * user, and a bench measures what the bot itself can do, not how soon it refuses a person who floods it.
 */
export const LIMITS_OFF = { DECLARE_RATE_LIMIT: 'off', RUN_RATE_LIMIT: 'off', CHANNEL_CREATE_LIMIT: 'off' } as const;

export const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
/** How long a child may take to print its ready line: on a machine others load, a start took over 30 s. */
const READY_TIMEOUT_MS = 120_000;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// -------------------------------------------------------------------------------------------------------------------
// Running a bench

/** The bench itself broke (not the app's figures): it prints the reason and exits 1. */
export class BenchBroken extends Error {}

/** Registers a clean-up step; runBench runs them last registered first. */
export type AtExit = (step: () => unknown) => void;

/**
 * Runs `body`, then its clean-up steps, last registered first (so children stop before the schema they use is
 * dropped), and exits: 0 when the body returned, 1 on BenchBroken or a crash, 130 on SIGINT/SIGTERM. Every exit waits
 * for the clean-up to finish.
 */
export function runBench(body: (atExit: AtExit) => Promise<void>): void {
  const steps: (() => unknown)[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= (async () => {
      for (const step of steps.splice(0).reverse()) {
        try {
          await step();
        } catch {
          // one step failing (a fake that will not close) must not keep the others from running
        }
      }
    })();
    return cleaning;
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    console.error('interrupted; cleaning up');
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const main = async (): Promise<number> => {
    try {
      await body((step) => steps.push(step));
      return 0;
    } catch (err) {
      // Once interrupted, the clean-up stops the children and closes the pools under the body: not a failure.
      if (interrupted) return 130;
      if (err instanceof BenchBroken) {
        console.error(`bench broken: ${err.message}`);
        return 1;
      }
      throw err;
    } finally {
      await cleanup();
    }
  };
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error('bench crashed:', err);
      process.exit(1);
    },
  );
}

/** The nice value the bench's own thread sends and times the load at (BENCH_NICE; 0 leaves it as it is). */
const BENCH_NICE = Number(process.env.BENCH_NICE ?? -10);
let priorityNote: string | null = null;

/**
 * Runs `fn` (a load: the requests sent and their answers timed) with the bench's own thread at a higher CPU priority
 * than the processes it measures (nice BENCH_NICE, default -10), then puts it back. The bench stands in for Slack or
 * Alertmanager, whose clocks run on machines of their own; on this one, a bench thread kept from a core by the bots'
 * work behind their answers would count its own wait in those answers, and the bare baselines have no such work.
 * Where the priority cannot be raised (it needs root or CAP_SYS_NICE) the load runs as before and `benchPriority()`
 * says so. Children started meanwhile would inherit it: start them before or after.
 */
export async function atBenchPriority<T>(fn: () => Promise<T>): Promise<T> {
  const before = getPriority(0);
  let raised = false;
  if (Number.isInteger(BENCH_NICE) && BENCH_NICE !== 0 && BENCH_NICE !== before) {
    try {
      setPriority(0, BENCH_NICE);
      raised = true;
      priorityNote ??= `the bench's thread sends and times the load at nice ${BENCH_NICE} (BENCH_NICE=0 leaves it)`;
    } catch (err) {
      priorityNote ??= `the bench's thread runs at its own priority (nice ${before}): ${(err as Error).message}`;
    }
  } else priorityNote ??= `the bench's thread runs at its own priority (nice ${before})`;
  try {
    return await fn();
  } finally {
    if (raised) setPriority(0, before);
  }
}

/** What atBenchPriority did, for a run's report (null before any load). */
export const benchPriority = (): string | null => priorityNote;

/** The commit the bot's code is at, with `+dirty` when src/ has uncommitted changes; `unknown` outside git. */
export function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

// -------------------------------------------------------------------------------------------------------------------
// A fresh Postgres schema

/** A schema `bench_<bench>_<pid>_<time>` on PG_BASE_URL, and an admin connection to it. */
export class BenchSchema {
  /** PG_BASE_URL with the schema as search_path: the apps' DATABASE_URL. */
  readonly databaseUrl: string;

  private constructor(
    readonly name: string,
    readonly admin: pg.Client,
  ) {
    this.databaseUrl = `${PG_BASE_URL}?options=${encodeURIComponent(`-c search_path=${name}`)}`;
  }

  static async create(bench: string): Promise<BenchSchema> {
    // The test server may run without autovacuum: catalogs bloated by earlier test runs slow every new connection.
    const rewritten = await vacuumBloatedCatalogs(PG_BASE_URL);
    if (rewritten.length > 0)
      console.log(`(catalogs rewritten first, bloated by earlier runs: ${rewritten.join(', ')})`);
    const name = `bench_${bench}_${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: PG_BASE_URL });
    try {
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${name}`);
    } catch (err) {
      await admin.end().catch(() => {});
      throw new BenchBroken(`cannot use Postgres at ${PG_BASE_URL}: ${err instanceof Error ? err.message : err}`);
    }
    return new BenchSchema(name, admin);
  }

  private dropped = false;

  /** Drops the schema (a failure is printed, not thrown) and closes the admin connection; once. */
  async drop(): Promise<void> {
    if (this.dropped) return;
    this.dropped = true;
    await this.admin.query(`DROP SCHEMA IF EXISTS ${this.name} CASCADE`).catch((e: unknown) => {
      console.error(`could not drop schema ${this.name}: ${e instanceof Error ? e.message : String(e)}`);
    });
    await this.admin.end().catch(() => {});
  }
}

// -------------------------------------------------------------------------------------------------------------------
// A Redis key prefix

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A key prefix `bench-<bench>-<pid>-<time>:` on REDIS_URL (BENCH_REDIS_URL): what bots that share a Redis are given
 * as REDIS_URL and REDIS_KEY_PREFIX, so that they share it with each other and with nobody else.
 */
export class BenchRedis {
  private constructor(
    readonly url: string,
    readonly prefix: string,
  ) {}

  static async create(bench: string): Promise<BenchRedis> {
    const r = new BenchRedis(REDIS_URL, `bench-${bench}-${process.pid}-${Date.now().toString(36)}:`);
    try {
      await r.command(['PING']);
    } catch (err) {
      throw new BenchBroken(`cannot use Redis at ${REDIS_URL}: ${err instanceof Error ? err.message : err}`);
    }
    return r;
  }

  /** The environment that points a bot at this Redis and prefix. */
  get env(): { REDIS_URL: string; REDIS_KEY_PREFIX: string } {
    return { REDIS_URL: this.url, REDIS_KEY_PREFIX: this.prefix };
  }

  /** Sends one command on a fresh connection; throws on a Redis error. */
  async command(args: (string | number)[]): Promise<unknown> {
    const requester = new RedisRequester(new URL(this.url), 5000);
    try {
      const answer = (await requester.request({ body: args })) as { result?: unknown; error?: string };
      if (answer.error) throw new Error(answer.error);
      return answer.result;
    } finally {
      requester.close();
    }
  }

  /** Deletes every key under the prefix (a failure is printed, not thrown). */
  async drop(): Promise<void> {
    try {
      let cursor = '0';
      do {
        const [next, keys] = (await this.command(['SCAN', cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000])) as [
          string,
          string[],
        ];
        cursor = next;
        if (keys.length) await this.command(['DEL', ...keys]);
      } while (cursor !== '0');
    } catch (e) {
      console.error(`could not delete the Redis keys ${this.prefix}*: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

// -------------------------------------------------------------------------------------------------------------------
// Child processes

export interface Child {
  /** As printed in messages: `bot`, `bare Bolt`, `bot A`. */
  name: string;
  proc: ChildProcess;
  pid: number;
  port: number;
  stdout: string[];
  stderr: string[];
  /** Error log entries (the bot's JSON lines at level error, `[ERROR] …` from Bolt's logger, or an uncaught error). */
  errorLines: number;
  /** Warning log entries (JSON lines at level warn, `[WARN] …`). */
  warnLines: number;
  /** First line of each kind of error/warning entry (digits masked) -> count. */
  logKinds: Map<string, number>;
  /** Waiting for the next `[gc-probe]` line (see bench/gc-probe.mjs). */
  gcWaiters: ((heap: Heap) => void)[];
  exitCode: number | null | undefined;
  exited: Promise<void>;
}

export interface ChildOptions {
  /** The script node runs, relative to the repository: `dist/app.js` (BOT_SCRIPT), `bench/bare-bolt.mjs`. */
  script: string;
  /** The whole environment of the child, with PATH and HOME added. */
  env: Record<string, string>;
  /** Matches the ready line on stdout; its first group is the port. */
  ready: RegExp;
  /** Preload bench/gc-probe.mjs (with --expose-gc), for gcProbe(). */
  gcProbe?: boolean;
  /** Also mask 6-character hex words (error references such as `reference 1A2B3C`) in the log kinds. */
  maskRefs?: boolean;
}

/** The ready line of the bot in HTTP mode. */
export const BOT_READY = /listening for Slack on http:\/\/localhost:(\d+)\/slack\/events/;

const TAIL_LINES = 60;
const ERROR_ENTRY = /^(\[ERROR\]|Uncaught|Unhandled|(\w*Error|TypeError)\b)/;
const WARN_ENTRY = /^\[WARN\]/;
const MAX_LOG_KINDS = 20;
const GC_PROBE_PREFIX = '[gc-probe] ';

const JSON_LEVEL = /"level":"(\w+)"/;
const JSON_MSG = /"msg":"((?:[^"\\]|\\.)*)"/;
const JSON_ERR_MESSAGE = /"err":\{[^{}]*?"message":"((?:[^"\\]|\\.)*)"/;

/**
 * An error or warning entry of a child's log, with the text that names its kind: a JSON line of the bot's logger
 * (`{"level":"error",…,"msg":…}`, with its error's message), or a `[ERROR] …` / `[WARN] …` line of Bolt's console
 * logger (bare Bolt) or an uncaught error. Null for anything else.
 */
function logEntry(line: string): { level: 'error' | 'warn'; text: string } | null {
  if (line.startsWith('{')) {
    const level = JSON_LEVEL.exec(line)?.[1];
    const kind = level === 'error' || level === 'fatal' ? 'error' : level === 'warn' ? 'warn' : null;
    if (!kind) return null;
    const msg = JSON_MSG.exec(line)?.[1] ?? '';
    const err = JSON_ERR_MESSAGE.exec(line)?.[1];
    return { level: kind, text: `[${kind.toUpperCase()}] ${msg}${err ? ` (${err})` : ''}` };
  }
  if (ERROR_ENTRY.test(line)) return { level: 'error', text: line };
  if (WARN_ENTRY.test(line)) return { level: 'warn', text: line };
  return null;
}

/** Keeps the last lines of a child's stream and counts its error/warning log entries by kind. */
function readLog(c: Child, lines: string[], chunk: string, maskRefs: boolean): void {
  for (const line of chunk.split('\n')) {
    if (line.length === 0) continue;
    if (line.startsWith(GC_PROBE_PREFIX)) {
      const heap = JSON.parse(line.slice(GC_PROBE_PREFIX.length)) as Heap;
      for (const w of c.gcWaiters.splice(0)) w(heap);
      continue;
    }
    const entry = logEntry(line);
    const isError = entry?.level === 'error';
    const isWarn = entry?.level === 'warn';
    if (isError) c.errorLines++;
    if (isWarn) c.warnLines++;
    if (entry) {
      const text = entry.text;
      const kind = (maskRefs ? text.replace(/\b[0-9A-F]{6}\b/g, '…') : text).replace(/\d+/g, 'N').slice(0, 160);
      if (c.logKinds.has(kind) || c.logKinds.size < MAX_LOG_KINDS)
        c.logKinds.set(kind, (c.logKinds.get(kind) ?? 0) + 1);
    }
    lines.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
    if (lines.length > TAIL_LINES) lines.shift();
  }
}

/**
 * Builds the bot (`npm run build`: TypeScript to dist/) so that the bench runs it as `npm start` does, with plain
 * node and no TypeScript loader.
 */
export function buildBot(): void {
  const started = Date.now();
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`built dist/ with npm run build in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Settings of the bot's to try in a run, as `BENCH_BOT_ENV='{"ACK_SLICE_US":"0"}'` (a JSON object of env vars), laid
 * over what the bench gives its bots; none when unset.
 */
export function botEnvToTry(): Record<string, string> {
  return process.env.BENCH_BOT_ENV ? (JSON.parse(process.env.BENCH_BOT_ENV) as Record<string, string>) : {};
}

/** The built bot's entry point, as `npm start` runs it (call buildBot first). */
export const BOT_SCRIPT = 'dist/app.js';

/**
 * The node flags scripts/run.sh (what `npm start` and the Docker image run) starts the bot with in `env`: they depend
 * on whether DATABASE_URL is set. Read by running the script itself with a stand-in `node` on PATH that prints its
 * arguments, so that the benches run the bot as it is deployed and the script stays the one place that says how.
 */
export function botNodeFlags(env: Record<string, string | undefined>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'run-sh-'));
  writeFileSync(join(dir, 'node'), '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done\n', { mode: 0o755 });
  try {
    const out = execFileSync('sh', ['scripts/run.sh'], {
      cwd: ROOT,
      env: { PATH: `${dir}:/usr/bin:/bin`, ...(env.DATABASE_URL ? { DATABASE_URL: env.DATABASE_URL } : {}) },
      encoding: 'utf8',
    });
    return out.split('\n').filter((a) => a.startsWith('--'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts `node <script>` (so the child pid IS the app; a `.ts` script runs with `--import tsx`) and waits for its
 * ready line.
 */
export function startChild(name: string, opts: ChildOptions): Promise<Child> {
  // e.g. BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the apps
  const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const loader = opts.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  if (opts.script === BOT_SCRIPT) extra.unshift(...botNodeFlags(opts.env));
  const args = opts.gcProbe
    ? [...extra, '--expose-gc', ...loader, '--import', './bench/gc-probe.mjs', opts.script]
    : [...extra, ...loader, opts.script];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let markExited: () => void = () => {};
  const child: Child = {
    name,
    proc,
    pid: proc.pid ?? -1,
    port: 0,
    stdout: [],
    stderr: [],
    errorLines: 0,
    warnLines: 0,
    logKinds: new Map(),
    gcWaiters: [],
    exitCode: undefined,
    exited: new Promise<void>((r) => {
      markExited = r;
    }),
  };
  const maskRefs = opts.maskRefs ?? false;
  return new Promise<Child>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => {
      reject(new BenchBroken(`${name} did not print its ready line within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      readLog(child, child.stdout, chunk, maskRefs);
      if (child.port !== 0) return;
      pending += chunk;
      const m = opts.ready.exec(pending);
      if (m) {
        child.port = Number(m[1]);
        pending = '';
        clearTimeout(timer);
        resolve(child);
      }
    });
    proc.stderr?.on('data', (chunk: string) => readLog(child, child.stderr, chunk, maskRefs));
    proc.on('error', (err) => {
      clearTimeout(timer);
      reject(new BenchBroken(`${name} could not be started: ${err.message}`));
    });
    proc.on('exit', (code, signal) => {
      child.exitCode = code ?? (signal ? -1 : null);
      markExited();
      if (child.port === 0) {
        clearTimeout(timer);
        reject(new BenchBroken(`${name} exited (${signal ?? `code ${code}`}) before it was ready`));
      }
    });
  }).catch((err: unknown) => {
    dumpChild(child);
    proc.kill('SIGKILL');
    throw err;
  });
}

/**
 * Starts several children side by side and registers one clean-up step that stops those that started (even when
 * another failed); then throws the first failure.
 */
export async function startChildren<T extends readonly Promise<Child>[]>(
  starts: readonly [...T],
  atExit: AtExit,
): Promise<{ -readonly [K in keyof T]: Child }> {
  const settled = await Promise.allSettled(starts);
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  atExit(() => Promise.all(started.map(stopChild)));
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return started as { -readonly [K in keyof T]: Child };
}

function dumpChild(c: Child): void {
  console.error(`\n--- ${c.name} (pid ${c.pid}) stderr, last lines ---\n${c.stderr.join('\n') || '(empty)'}`);
  console.error(`--- ${c.name} stdout, last lines ---\n${c.stdout.join('\n') || '(empty)'}\n`);
}

/** SIGTERM, then SIGKILL if it has not exited 5 s later. */
export async function stopChild(c: Child): Promise<void> {
  if (c.exitCode !== undefined) return;
  c.proc.kill('SIGTERM');
  const stuck = await Promise.race([
    c.exited.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), 5000).unref()),
  ]);
  if (stuck) {
    c.proc.kill('SIGKILL');
    await c.exited;
  }
}

/** Throws BenchBroken (after printing its last lines) if the child has exited. */
export function assertAlive(c: Child): void {
  if (c.exitCode !== undefined) {
    dumpChild(c);
    throw new BenchBroken(`${c.name} exited (code ${c.exitCode}) during the bench`);
  }
}

/** The child's error/warning log entries, for the final JSON line. */
export function logSummary(c: Child): { errors: number; warnings: number; kinds: Record<string, number> } {
  return { errors: c.errorLines, warnings: c.warnLines, kinds: Object.fromEntries(c.logKinds) };
}

/** The child's kinds of error/warning entries, most frequent first. */
export function logKindsByCount(c: Child): [string, number][] {
  return [...c.logKinds].sort((a, b) => b[1] - a[1]);
}

/** process.memoryUsage() of a child right after a full GC, in bytes (see bench/gc-probe.mjs). */
export interface Heap {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

/** Asks a child started with `gcProbe` for a full GC and its heap figures; undefined if it does not answer in 5 s. */
export async function gcProbe(c: Child): Promise<Heap | undefined> {
  const answer = new Promise<Heap>((resolve) => c.gcWaiters.push(resolve));
  c.proc.kill('SIGUSR2');
  return Promise.race([answer, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000).unref())]);
}

// -------------------------------------------------------------------------------------------------------------------
// Signed requests

export interface Answer {
  /** HTTP status; -1 on a network error or timeout. */
  status: number;
  /** The response body (an ack's payload, when there is one). */
  body: string;
  /** Date.now() when the request was sent (after signing). */
  sentAt: number;
  /** From sending to the end of the response, in ms. */
  ms: number;
  /** Why there was no answer (status -1): `ECONNRESET`, `timeout`, … */
  error?: string;
}

/**
 * Signs a form body now, with Slack's v0 scheme, and POSTs it to the app's /slack/events on 127.0.0.1:`port`, as Slack
 * sends a slash command or an interaction payload. Resolves with the answer; never rejects.
 */
export function postSigned(agent: http.Agent, port: number, body: string, timeoutMs = 15_000): Promise<Answer> {
  const signed = signSlackRequest(SIGNING_SECRET, body);
  const sentAt = Date.now();
  const t0 = performance.now();
  return new Promise<Answer>((resolve) => {
    let text = '';
    let settled = false;
    const done = (status: number, error?: Error) => {
      if (settled) return;
      settled = true;
      const answer: Answer = { status, body: text, sentAt, ms: performance.now() - t0 };
      if (error) answer.error = (error as NodeJS.ErrnoException).code ?? error.message;
      resolve(answer);
    };
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/slack/events',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          ...signed,
        },
      },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => done(res.statusCode ?? 0));
        res.on('error', (e) => done(-1, e));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => done(-1, e));
    req.end(body);
  });
}

/** GETs `path` on the app (a connection of its own); status -1 on a network error. */
export function getJson(port: number, path: string, timeoutMs = 15_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: -1, body: e.message }));
  });
}

// -------------------------------------------------------------------------------------------------------------------
// Memory readings

/** VmRSS and its peak VmHWM of a process, from /proc/<pid>/status. */
export interface Mem {
  rssKb: number;
  hwmKb: number;
}

export function readMem(pid: number): Mem {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** Kilobytes to megabytes, one decimal. */
export const mb = (kb: number) => round(kb / 1024, 1);

// -------------------------------------------------------------------------------------------------------------------
// CPU readings

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) of a process, in ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** CPU time used by the whole machine (all processes, all cores), in ms. */
export function hostBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const t = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const busy = t.slice(0, 8).reduce((a, b) => a + b, 0) - (t[3] ?? 0) - (t[4] ?? 0);
  return (busy * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU time used by PostgreSQL on this machine, in ms: every `postgres` process's own (its backends, the postmaster,
 * background workers) and, through the postmaster's children's totals, that of backends which have ended. Read
 * before and after a run, the difference is what the database spent on it (0 where Postgres is on another machine).
 */
export function postgresCpuMs(): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime: fields 14 to 17 (fields[11] to fields[14] here).
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** CPU time used by this (the bench) process, in ms. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// -------------------------------------------------------------------------------------------------------------------
// Figures

/** The nearest-rank percentile of an ascending list; NaN when it is empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** `n` to `digits` decimals; null when it is not finite (printed as `-`, JSON null). */
export const round = (n: number, digits = 1) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);

/** A table cell: right-aligned in `width`, `-` when there is no value. */
export const fmt = (v: number | string | null | undefined, width: number) =>
  (v === null || v === undefined ? '-' : String(v)).padStart(width);

/** What a table cell holds: `-` is printed when there is nothing. */
export type Cell = number | string | null | undefined;

/**
 * The columns of a text table: each heading and width. The first column, and any marked `left`, is left-aligned; the
 * others are right-aligned.
 */
export type Columns = readonly (readonly [heading: string, width: number, align?: 'left'])[];

/** One line of a text table: `cells` in the `columns`' widths, `-` for an empty cell. */
function tableRow(columns: Columns, cells: readonly Cell[]): string {
  return columns
    .map(([, width, align], i) =>
      i === 0 || align === 'left' ? String(cells[i] ?? '-').padEnd(width) : fmt(cells[i], width),
    )
    .join('');
}

/**
 * Prints a text table after a blank line: `title`, the headings, then a line per row with its `cells`, followed by
 * its `note` when one is given (`  (hit the request cap)`).
 */
export function printTable<R>(
  title: string,
  columns: Columns,
  rows: readonly R[],
  cells: (row: R) => readonly Cell[],
  note?: (row: R) => string,
): void {
  console.log(`\n${title}`);
  console.log(
    tableRow(
      columns,
      columns.map(([heading]) => heading),
    ),
  );
  for (const r of rows) console.log(`${tableRow(columns, cells(r))}${note?.(r) ?? ''}`);
}
