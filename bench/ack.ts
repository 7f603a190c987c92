/**
 * Ack latency, command-to-card latency and memory of the incident bot, against a bare Bolt app as the baseline.
 *
 *   npm run bench                    # 10 s per load phase
 *   npx tsx bench/ack.ts --quick     # 3 s per load phase
 *   npx tsx bench/ack.ts --seconds 5
 *
 * Everything runs on loopback: a fake Slack Web API (test/support/fake-slack.ts) inside this process, the bot
 * (src/app.ts) and a bare Bolt app (bench/bare-bolt.ts) as child processes, Postgres on 127.0.0.1:5432 in a fresh
 * schema that is dropped at the end. See bench/README.md for what each figure means and the targets.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { FakeSlack, type RecordedCall } from '../test/support/fake-slack.js';
import { encodeSlashCommand, makeSlashCommand, signSlackRequest } from '../test/support/slack-request.js';

// -------------------------------------------------------------------------------------------------------------------
// Settings

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'xoxb-bench-0000-token';
const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
const PG_BASE_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ANNOUNCE_CHANNEL_ID = 'C0INCIDENTS';
const CONCURRENCIES = [10, 50] as const;
/** Requests per second of phase, at most: a bound on the count (the phase ends early if it is reached). */
const MAX_RATE_PER_SECOND = 20_000;
const SETTLE_MS = 3000;
/** Idle time after the load before the last memory reading. */
const IDLE_AFTER_LOAD_MS = 10_000;
const READY_TIMEOUT_MS = 30_000;
/** Slack shows the user an error when the ack takes longer than this. */
const SLACK_ACK_DEADLINE_MS = 3000;
const PACED_COUNT = 20;
const PACED_INTERVAL_MS = 100;
const PACED_WARMUP = 3;
/** After a load phase, the bot's backlog is done when every acked command got its reply, or nothing moved this long. */
const DRAIN_QUIET_MS = 5000;
const REQUEST_TIMEOUT_MS = 15_000;
const TARGET_ACK_RATIO = 1.25;
const TARGET_CARD_P95_MS = 250;

function parseArgs(argv: string[]): { seconds: number; quick: boolean } {
  let seconds = 10;
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') {
      quick = true;
      seconds = 3;
    } else if (a === '--seconds') {
      seconds = Number(argv[++i]);
    } else if (a?.startsWith('--seconds=')) {
      seconds = Number(a.slice('--seconds='.length));
    } else {
      console.error(`unknown argument ${a}; use --quick or --seconds N`);
      process.exit(2);
    }
  }
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 300) {
    console.error('--seconds must be a number of seconds between 0 and 300');
    process.exit(2);
  }
  return { seconds, quick };
}

class BenchBroken extends Error {}

/** The commit the bot's code is at, with `+dirty` when src/ has uncommitted changes; `unknown` outside git. */
function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

// -------------------------------------------------------------------------------------------------------------------
// Child processes

interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  port: number;
  stdout: string[];
  stderr: string[];
  /** Error log entries (`[ERROR] …` from Bolt's logger, or an uncaught error) on stderr or stdout. */
  errorLines: number;
  /** Warning log entries (`[WARN] …`). */
  warnLines: number;
  /** First line of each kind of error/warning entry (digits and refs masked) -> count. */
  logKinds: Map<string, number>;
  /** Waiting for the next `[gc-probe]` line (see bench/gc-probe.ts). */
  gcWaiters: ((heap: Heap) => void)[];
  exitCode: number | null | undefined;
  exited: Promise<void>;
}

const TAIL_LINES = 60;
const ERROR_ENTRY = /^(\[ERROR\]|Uncaught|Unhandled|(\w*Error|TypeError)\b)/;
const WARN_ENTRY = /^\[WARN\]/;
const MAX_LOG_KINDS = 20;

/** Keeps the last lines of a child's stream and counts its error/warning log entries by kind. */
function readLog(c: Child, lines: string[], chunk: string): void {
  for (const line of chunk.split('\n')) {
    if (line.length === 0) continue;
    if (line.startsWith(GC_PROBE_PREFIX)) {
      const heap = JSON.parse(line.slice(GC_PROBE_PREFIX.length)) as Heap;
      for (const w of c.gcWaiters.splice(0)) w(heap);
      continue;
    }
    const isError = ERROR_ENTRY.test(line);
    const isWarn = !isError && WARN_ENTRY.test(line);
    if (isError) c.errorLines++;
    if (isWarn) c.warnLines++;
    if (isError || isWarn) {
      const kind = line
        .replace(/\b[0-9A-F]{6}\b/g, '…')
        .replace(/\d+/g, 'N')
        .slice(0, 160);
      if (c.logKinds.has(kind) || c.logKinds.size < MAX_LOG_KINDS)
        c.logKinds.set(kind, (c.logKinds.get(kind) ?? 0) + 1);
    }
    lines.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
    if (lines.length > TAIL_LINES) lines.shift();
  }
}

/**
 * Starts `node --import tsx <script>` (so the child pid IS the app; bench/gc-probe.ts is preloaded too) and waits for
 * `ready` on its stdout.
 */
function startChild(name: string, script: string, env: Record<string, string>, ready: RegExp): Promise<Child> {
  // e.g. BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile both apps under load
  const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = [...extra, '--expose-gc', '--import', 'tsx', '--import', './bench/gc-probe.ts', script];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...env,
    },
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
  return new Promise<Child>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => {
      reject(new BenchBroken(`${name} did not print its ready line within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      readLog(child, child.stdout, chunk);
      if (child.port !== 0) return;
      pending += chunk;
      const m = ready.exec(pending);
      if (m) {
        child.port = Number(m[1]);
        pending = '';
        clearTimeout(timer);
        resolve(child);
      }
    });
    proc.stderr?.on('data', (chunk: string) => {
      readLog(child, child.stderr, chunk);
    });
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

function dumpChild(c: Child): void {
  console.error(`\n--- ${c.name} (pid ${c.pid}) stderr, last lines ---\n${c.stderr.join('\n') || '(empty)'}`);
  console.error(`--- ${c.name} stdout, last lines ---\n${c.stdout.join('\n') || '(empty)'}\n`);
}

async function stopChild(c: Child | undefined): Promise<void> {
  if (!c || c.exitCode !== undefined) return;
  c.proc.kill('SIGTERM');
  const killed = await Promise.race([
    c.exited.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), 5000).unref()),
  ]);
  if (killed) {
    c.proc.kill('SIGKILL');
    await c.exited;
  }
}

function assertAlive(c: Child): void {
  if (c.exitCode !== undefined) {
    dumpChild(c);
    throw new BenchBroken(`${c.name} exited (code ${c.exitCode}) during the bench`);
  }
}

// -------------------------------------------------------------------------------------------------------------------
// Memory readings

const GC_PROBE_PREFIX = '[gc-probe] ';

/** process.memoryUsage() of a child right after a full GC, in bytes (see bench/gc-probe.ts). */
interface Heap {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

/** Asks a child for a full GC and its heap figures; undefined if it does not answer within 5 s. */
async function gcProbe(c: Child): Promise<Heap | undefined> {
  const answer = new Promise<Heap>((resolve) => c.gcWaiters.push(resolve));
  c.proc.kill('SIGUSR2');
  return Promise.race([answer, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000).unref())]);
}

interface Mem {
  rssKb: number;
  hwmKb: number;
}

function readMem(pid: number): Mem {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) of a process, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** CPU time used by the whole machine (all processes, all cores), in ms. */
function hostBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const t = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const busy = t.slice(0, 8).reduce((a, b) => a + b, 0) - (t[3] ?? 0) - (t[4] ?? 0);
  return (busy * 1000) / CLOCK_TICKS_PER_SECOND;
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// -------------------------------------------------------------------------------------------------------------------
// Requests

const ID_SLOT = 'QQBENCHIDQQ';

/** The requests of one phase: `/incident sev1 bench <id>`, with a unique title, trigger_id and response_url each. */
interface Batch {
  size: number;
  id(i: number): string;
  body(i: number): string;
}

/**
 * Builds the form body once, with a slot for the id; a request's body is that template joined around its id (ids are
 * `[a-z0-9]`, which form encoding leaves alone). Cheaper than building, and than storing, tens of thousands of bodies.
 */
function makeBatch(fake: FakeSlack, prefix: string, n: number): Batch {
  const template = encodeSlashCommand(
    makeSlashCommand({
      text: `sev1 bench ${ID_SLOT}`,
      response_url: fake.responseUrl(ID_SLOT),
      trigger_id: `${Date.now()}.${ID_SLOT}.${randomBytes(10).toString('hex')}`,
    }),
  );
  const parts = template.split(ID_SLOT);
  if (parts.length !== 4) throw new BenchBroken(`the request template has ${parts.length - 1} id slots, not 3`);
  const id = (i: number) => `${prefix}${i}`;
  return { size: n, id, body: (i) => parts.join(id(i)) };
}

interface Sent {
  /** HTTP status; -1 on a network error or timeout. */
  status: number;
  /** Date.now() when the request was sent (after signing). */
  sentAt: number;
  /** From sending to the end of the response. */
  ms: number;
}

/** Signs `body` now and POSTs it to the app's /slack/events, as Slack sends a slash command. */
function post(agent: http.Agent, port: number, body: string): Promise<Sent> {
  const signed = signSlackRequest(SIGNING_SECRET, body);
  const sentAt = Date.now();
  const t0 = performance.now();
  return new Promise<Sent>((resolve) => {
    const done = (status: number) => resolve({ status, sentAt, ms: performance.now() - t0 });
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
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
        res.on('error', () => done(-1));
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', () => done(-1));
    req.end(body);
  });
}

interface Probe {
  status: number;
  ms: number;
  body: string;
}

/** GETs `path` on the app after `delayMs` (a separate connection, outside the load's agent). */
async function probeLater(port: number, path: string, delayMs: number): Promise<Probe> {
  await new Promise((r) => setTimeout(r, delayMs));
  const t0 = performance.now();
  return new Promise<Probe>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: round(performance.now() - t0) ?? 0, body }));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: -1, ms: round(performance.now() - t0) ?? 0, body: e.message }));
  });
}

interface LoadResult {
  sent: number;
  ids: string[];
  sentAt: number[];
  latencyMs: number[];
  status: number[];
  elapsedMs: number;
  capped: boolean;
  endedAt: number;
}

function recordSent(r: LoadResult, id: string, sent: Sent): void {
  r.ids.push(id);
  r.sentAt.push(sent.sentAt);
  r.latencyMs.push(sent.ms);
  r.status.push(sent.status);
}

/** A closed loop: `concurrency` workers each send, wait for the ack, send again, until `seconds` are up. */
async function closedLoop(port: number, concurrency: number, seconds: number, batch: Batch): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const r: LoadResult = {
    sent: 0,
    ids: [],
    sentAt: [],
    latencyMs: [],
    status: [],
    elapsedMs: 0,
    capped: false,
    endedAt: 0,
  };
  let next = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const i = next++;
      if (i >= batch.size) {
        r.capped = true;
        return;
      }
      recordSent(r, batch.id(i), await post(agent, port, batch.body(i)));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  r.elapsedMs = performance.now() - started;
  r.endedAt = Date.now();
  r.sent = r.ids.length;
  agent.destroy();
  return r;
}

/** One request at a time, one every `intervalMs` (or as soon as the previous ack arrives if it is slower). */
async function paced(port: number, batch: Batch, intervalMs: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const r: LoadResult = {
    sent: 0,
    ids: [],
    sentAt: [],
    latencyMs: [],
    status: [],
    elapsedMs: 0,
    capped: false,
    endedAt: 0,
  };
  const started = performance.now();
  for (let i = 0; i < batch.size; i++) {
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    recordSent(r, batch.id(i), await post(agent, port, batch.body(i)));
  }
  r.elapsedMs = performance.now() - started;
  r.endedAt = Date.now();
  r.sent = r.ids.length;
  agent.destroy();
  return r;
}

// -------------------------------------------------------------------------------------------------------------------
// What the bot did, read from the fake Slack's recorded calls

const CARD_TEXT = /incident #\d+: bench (\S+) — /;

interface Reply {
  at: number;
  text: string;
}

/** Indexes the fake's calls incrementally: the card and the response_url reply of each bench request id. */
class CallIndex {
  readonly cards = new Map<string, number>();
  readonly replies = new Map<string, Reply>();
  readonly methodCounts = new Map<string, number>();
  failedCalls = 0;
  private seen = 0;

  constructor(private readonly fake: FakeSlack) {}

  update(): void {
    const calls = this.fake.calls;
    for (; this.seen < calls.length; this.seen++) this.add(calls[this.seen]!);
  }

  get lastCallAt(): number {
    const last = this.fake.calls[this.fake.calls.length - 1];
    return last ? last.at : 0;
  }

  get callCount(): number {
    return this.fake.calls.length;
  }

  private add(c: RecordedCall): void {
    this.methodCounts.set(c.method, (this.methodCounts.get(c.method) ?? 0) + 1);
    if (c.failed || c.response?.ok === false) this.failedCalls++;
    if (c.method === 'chat.postMessage' && c.args.channel !== ANNOUNCE_CHANNEL_ID && !c.failed) {
      const m = CARD_TEXT.exec(String(c.args.text ?? ''));
      if (m?.[1] && !this.cards.has(m[1])) this.cards.set(m[1], c.at);
    } else if (c.method === 'response_url' && c.key !== undefined && !this.replies.has(c.key)) {
      this.replies.set(c.key, { at: c.at, text: String(c.args.text ?? '') });
    }
  }
}

/**
 * Waits until every acked request of `load` got its response_url reply (success or error), or the fake saw no call
 * for DRAIN_QUIET_MS, or `capMs` passed. Returns how long it waited.
 */
async function drain(index: CallIndex, load: LoadResult, capMs: number): Promise<{ ms: number; complete: boolean }> {
  const started = Date.now();
  let lastCount = -1;
  let lastChange = Date.now();
  const expected = load.ids.filter((_, i) => load.status[i] === 200);
  for (;;) {
    index.update();
    if (expected.every((id) => index.replies.has(id))) return { ms: Date.now() - started, complete: true };
    if (index.callCount !== lastCount) {
      lastCount = index.callCount;
      lastChange = Date.now();
    }
    const now = Date.now();
    if (now - lastChange >= DRAIN_QUIET_MS || now - started >= capMs) return { ms: now - started, complete: false };
    await new Promise((r) => setTimeout(r, 200));
  }
}

// -------------------------------------------------------------------------------------------------------------------
// Figures

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

const round = (n: number, digits = 1) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);

interface AckFigures {
  target: 'bare' | 'ours';
  phase: string;
  concurrency: number;
  requests: number;
  errors: number;
  over3s: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  rps: number | null;
  /** CPU used by the target while the phase ran, in % of one core. */
  targetCpuPct: number | null;
  benchCpuPct: number | null;
  /** CPU used by everything on the machine (max 100 x cores): what is left after target + bench is other load. */
  hostCpuPct: number | null;
  capped: boolean;
}

interface CardFigures {
  phase: string;
  declared: number;
  cards: number;
  missing: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** response_url replies: success, and errors (':x:' or ':warning:' texts) */
  replies: number;
  errorReplies: number;
  errorSamples: string[];
  /** How long after the last ack the bot kept working (until the last reply/card, or until we stopped waiting). */
  drainMs: number;
  drainComplete: boolean;
  botErrorLogLines: number;
  /** GET /health sent halfway through the load phase. */
  healthMidLoad?: Probe | null;
}

function ackFigures(
  target: 'bare' | 'ours',
  phase: string,
  concurrency: number,
  r: LoadResult,
  cpu: { target: number; bench: number; host: number },
): AckFigures {
  const sorted = [...r.latencyMs].sort((a, b) => a - b);
  const errors = r.status.filter((s) => s !== 200).length;
  return {
    target,
    phase,
    concurrency,
    requests: r.sent,
    errors,
    over3s: r.latencyMs.filter((ms) => ms > SLACK_ACK_DEADLINE_MS).length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
    rps: round((r.sent * 1000) / r.elapsedMs),
    targetCpuPct: round((cpu.target / r.elapsedMs) * 100, 0),
    benchCpuPct: round((cpu.bench / r.elapsedMs) * 100, 0),
    hostCpuPct: round((cpu.host / r.elapsedMs) * 100, 0),
    capped: r.capped,
  };
}

function cardFigures(
  phase: string,
  r: LoadResult,
  index: CallIndex,
  drained: { ms: number; complete: boolean },
  botErrorLogLines: number,
): CardFigures {
  const lat: number[] = [];
  let declared = 0;
  let replies = 0;
  let errorReplies = 0;
  const errorSamples = new Set<string>();
  let lastActivity = r.endedAt;
  for (let i = 0; i < r.sent; i++) {
    if (r.status[i] !== 200) continue;
    declared++;
    const id = r.ids[i]!;
    const cardAt = index.cards.get(id);
    if (cardAt !== undefined) {
      lat.push(cardAt - r.sentAt[i]!);
      lastActivity = Math.max(lastActivity, cardAt);
    }
    const reply = index.replies.get(id);
    if (reply) {
      replies++;
      lastActivity = Math.max(lastActivity, reply.at);
      if (/^:(x|warning):/.test(reply.text) || reply.text.includes(':warning: But')) {
        errorReplies++;
        if (errorSamples.size < 3) errorSamples.add(reply.text.replace(/reference [0-9A-F]{6}/, 'reference …'));
      }
    }
  }
  lat.sort((a, b) => a - b);
  return {
    phase,
    declared,
    cards: lat.length,
    missing: declared - lat.length,
    p50: round(percentile(lat, 50), 0),
    p95: round(percentile(lat, 95), 0),
    p99: round(percentile(lat, 99), 0),
    max: round(lat[lat.length - 1] ?? Number.NaN, 0),
    replies,
    errorReplies,
    errorSamples: [...errorSamples],
    drainMs: drained.complete ? Math.max(0, lastActivity - r.endedAt) : Date.now() - r.endedAt,
    drainComplete: drained.complete,
    botErrorLogLines,
  };
}

const fmt = (v: number | null | undefined, width: number) =>
  (v === null || v === undefined ? '-' : String(v)).padStart(width);
const mb = (kb: number) => round(kb / 1024, 1);

function printAckTable(rows: AckFigures[]): void {
  console.log('\nAck latency (time to the HTTP response), closed loop, keep-alive; ms');
  console.log(
    `${'target'.padEnd(10)}${'conc'.padStart(5)}${'reqs'.padStart(8)}${'err'.padStart(6)}${'>3s'.padStart(6)}` +
      `${'p50'.padStart(8)}${'p90'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}${'req/s'.padStart(9)}` +
      `${'cpu%'.padStart(7)}${'bench%'.padStart(8)}${'host%'.padStart(7)}`,
  );
  for (const r of rows) {
    console.log(
      `${(r.target === 'bare' ? 'bare Bolt' : 'our bot').padEnd(10)}${fmt(r.concurrency, 5)}${fmt(r.requests, 8)}` +
        `${fmt(r.errors, 6)}${fmt(r.over3s, 6)}${fmt(r.p50, 8)}${fmt(r.p90, 8)}${fmt(r.p99, 8)}${fmt(r.max, 8)}` +
        `${fmt(r.rps, 9)}${fmt(r.targetCpuPct, 7)}${fmt(r.benchCpuPct, 8)}${fmt(r.hostCpuPct, 7)}${r.capped ? '  (hit the request cap)' : ''}`,
    );
  }
}

function printCardTable(rows: CardFigures[]): void {
  console.log('\nCommand to card (card chat.postMessage seen by the fake Slack minus send time); ms');
  console.log(
    `${'phase'.padEnd(16)}${'declared'.padStart(9)}${'cards'.padStart(7)}${'missing'.padStart(8)}` +
      `${'p50'.padStart(8)}${'p95'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}${'err-replies'.padStart(12)}` +
      `${'drain ms'.padStart(10)}${'err-logs'.padStart(9)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.phase.padEnd(16)}${fmt(r.declared, 9)}${fmt(r.cards, 7)}${fmt(r.missing, 8)}${fmt(r.p50, 8)}` +
        `${fmt(r.p95, 8)}${fmt(r.p99, 8)}${fmt(r.max, 8)}${fmt(r.errorReplies, 12)}` +
        `${`${r.drainMs}${r.drainComplete ? '' : '+'}`.padStart(10)}${fmt(r.botErrorLogLines, 9)}`,
    );
  }
  for (const r of rows) {
    for (const s of r.errorSamples) console.log(`  ${r.phase} error reply: ${s.slice(0, 160)}`);
    if (r.healthMidLoad) {
      const h = r.healthMidLoad;
      console.log(`  ${r.phase} GET /health mid-load: ${h.status} in ${h.ms} ms ${h.body.slice(0, 160)}`);
    }
  }
}

interface Consistency {
  incidents: number;
  withoutChannel: number;
  withoutCard: number;
  channelsCreated: number;
  channelsArchived: number;
  /** Unarchived incident channels in the fake that no incident row points at (half-made incidents). */
  orphanChannels: number;
}

async function checkConsistency(admin: pg.Client, schema: string, fake: FakeSlack): Promise<Consistency> {
  const { rows } = await admin.query<{ channel_id: string | null; card_ts: string | null }>(
    `SELECT channel_id, card_ts FROM ${schema}.incidents`,
  );
  const referenced = new Set(rows.map((r) => r.channel_id).filter((c): c is string => c !== null));
  let created = 0;
  let archived = 0;
  let orphans = 0;
  for (const c of fake.channels.values()) {
    if (!c.name.startsWith('inc-')) continue;
    created++;
    if (c.isArchived) archived++;
    else if (!referenced.has(c.id)) orphans++;
  }
  return {
    incidents: rows.length,
    withoutChannel: rows.filter((r) => r.channel_id === null).length,
    withoutCard: rows.filter((r) => r.card_ts === null).length,
    channelsCreated: created,
    channelsArchived: archived,
    orphanChannels: orphans,
  };
}

// -------------------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const { seconds, quick } = parseArgs(process.argv.slice(2));
  const schema = `bench_ack_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: PG_BASE_URL });
  let fake: FakeSlack | undefined;
  let bot: Child | undefined;
  let bare: Child | undefined;
  let schemaCreated = false;
  const cleanup = async () => {
    await Promise.all([stopChild(bot), stopChild(bare)]);
    await fake?.close().catch(() => {});
    if (schemaCreated) {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch((e: unknown) => {
        console.error(`could not drop schema ${schema}: ${e instanceof Error ? e.message : String(e)}`);
      });
    }
    await admin.end().catch(() => {});
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

  try {
    try {
      await admin.connect();
    } catch (err) {
      throw new BenchBroken(`cannot reach Postgres at ${PG_BASE_URL}: ${err instanceof Error ? err.message : err}`);
    }
    await admin.query(`CREATE SCHEMA ${schema}`);
    schemaCreated = true;
    const databaseUrl = `${PG_BASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;

    fake = await FakeSlack.start();
    fake.addChannel('incidents', { id: ANNOUNCE_CHANNEL_ID });
    const index = new CallIndex(fake);
    const version = codeVersion();
    const slackEnv = { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.url };

    console.log(
      `bench/ack: ${seconds} s per load phase${quick ? ' (--quick)' : ''}, concurrency ${CONCURRENCIES.join(' and ')}; ` +
        `node ${process.version}; code ${version}; schema ${schema}`,
    );
    const started = await Promise.allSettled([
      startChild(
        'bot',
        'src/app.ts',
        { ...slackEnv, PORT: '0', DATABASE_URL: databaseUrl, INCIDENTS_CHANNEL: ANNOUNCE_CHANNEL_ID },
        /listening for Slack on http:\/\/localhost:(\d+)\/slack\/events/,
      ),
      startChild(
        'bare Bolt',
        'bench/bare-bolt.ts',
        { ...slackEnv, PORT: '0' },
        /Bare Bolt listening on http:\/\/[^:]+:(\d+)\//,
      ),
    ]);
    if (started[0].status === 'fulfilled') bot = started[0].value;
    if (started[1].status === 'fulfilled') bare = started[1].value;
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    if (!bot || !bare) throw new BenchBroken('children did not start');
    const botChild = bot;
    const bareChild = bare;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    assertAlive(botChild);
    assertAlive(bareChild);
    const idle = { bot: readMem(botChild.pid), bare: readMem(bareChild.pid) };
    const idleHeap = { bot: await gcProbe(botChild), bare: await gcProbe(bareChild) };
    console.log(
      `ready: bot pid ${botChild.pid} port ${botChild.port}, bare Bolt pid ${bareChild.pid} port ${bareChild.port}; ` +
        `idle RSS after ${SETTLE_MS / 1000} s: bot ${mb(idle.bot.rssKb)} MB, bare Bolt ${mb(idle.bare.rssKb)} MB`,
    );

    const cap = Math.ceil(seconds * MAX_RATE_PER_SECOND);
    const drainCapMs = Math.max(30_000, seconds * 6000);
    const acks: AckFigures[] = [];
    const cards: CardFigures[] = [];

    const loadPhase = async (target: 'bare' | 'ours', concurrency: number) => {
      const child = target === 'bare' ? bareChild : botChild;
      const tag = `${target === 'bare' ? 'b' : 'o'}${concurrency}x`;
      const batch = makeBatch(fake!, tag, cap);
      const errorLogsBefore = child.errorLines;
      const cpu0 = { target: cpuMs(child.pid), bench: selfCpuMs(), host: hostBusyMs() };
      const health =
        target === 'ours' ? probeLater(child.port, '/health', (seconds * 1000) / 2) : Promise.resolve(undefined);
      const r = await closedLoop(child.port, concurrency, seconds, batch);
      const cpu = {
        target: cpuMs(child.pid) - cpu0.target,
        bench: selfCpuMs() - cpu0.bench,
        host: hostBusyMs() - cpu0.host,
      };
      assertAlive(child);
      const figures = ackFigures(target, `c${concurrency}`, concurrency, r, cpu);
      acks.push(figures);
      console.log(
        `  ${target === 'bare' ? 'bare Bolt' : 'our bot'} c${concurrency}: ${r.sent} requests, ack p99 ${figures.p99} ms, ` +
          `${figures.rps} req/s`,
      );
      if (target === 'ours') {
        const drained = await drain(index, r, drainCapMs);
        assertAlive(child);
        const c = cardFigures(`load c${concurrency}`, r, index, drained, child.errorLines - errorLogsBefore);
        c.healthMidLoad = (await health) ?? null;
        cards.push(c);
        console.log(
          `    backlog drained ${drained.complete ? 'in' : 'NOT within'} ${drained.ms} ms; ` +
            `${c.cards}/${c.declared} cards, card p95 ${c.p95} ms`,
        );
      }
    };

    const pacedPhase = async (label: string) => {
      const warm = makeBatch(fake!, `w${label}x`, PACED_WARMUP);
      const warmRun = await paced(botChild.port, warm, PACED_INTERVAL_MS);
      await drain(index, warmRun, 10_000);
      const batch = makeBatch(fake!, `p${label}x`, PACED_COUNT);
      const errorLogsBefore = botChild.errorLines;
      const r = await paced(botChild.port, batch, PACED_INTERVAL_MS);
      const drained = await drain(index, r, 30_000);
      assertAlive(botChild);
      const a = ackFigures('ours', `paced ${label}`, 1, r, { target: Number.NaN, bench: Number.NaN, host: Number.NaN });
      const c = cardFigures(`paced ${label}`, r, index, drained, botChild.errorLines - errorLogsBefore);
      cards.push(c);
      console.log(
        `  paced ${label}: ${r.sent} declarations every ${PACED_INTERVAL_MS} ms, ack p50 ${a.p50} / max ${a.max} ms, ` +
          `card p50 ${c.p50} / p95 ${c.p95} ms`,
      );
      return a;
    };

    console.log('running:');
    // The paced phase first, on a fresh bot; then bare and ours back to back per concurrency, so both see about the
    // same background load on a shared machine.
    const pacedBefore = await pacedPhase('fresh');
    for (const c of CONCURRENCIES) {
      await loadPhase('bare', c);
      await loadPhase('ours', c);
    }
    const pacedAfter = await pacedPhase('after-load');
    await new Promise((r) => setTimeout(r, 1000));
    const after = { bot: readMem(botChild.pid), bare: readMem(bareChild.pid) };
    // Does the memory come back once the bot is idle (V8 shrinks its heap after a while), or does it stay (a leak)?
    await new Promise((r) => setTimeout(r, IDLE_AFTER_LOAD_MS));
    assertAlive(botChild);
    const rested = { bot: readMem(botChild.pid), bare: readMem(bareChild.pid) };
    const restedHeap = { bot: await gcProbe(botChild), bare: await gcProbe(bareChild) };

    // ---- report
    printAckTable(acks);
    console.log(`\nPaced ack (1 at a time, every ${PACED_INTERVAL_MS} ms), ms`);
    for (const p of [pacedBefore, pacedAfter]) {
      console.log(
        `  our bot ${p.phase.padEnd(18)} n=${p.requests} err=${p.errors} p50 ${p.p50}  p90 ${p.p90}  max ${p.max}`,
      );
    }
    const ratios: Record<string, number | null> = {};
    console.log(`\nTarget: our ack p99 <= ${TARGET_ACK_RATIO} x bare Bolt ack p99`);
    for (const c of CONCURRENCIES) {
      const b = acks.find((a) => a.target === 'bare' && a.concurrency === c);
      const o = acks.find((a) => a.target === 'ours' && a.concurrency === c);
      const ratio = b?.p99 && o?.p99 ? round(o.p99 / b.p99, 2) : null;
      ratios[`c${c}`] = ratio;
      const verdict = ratio === null ? 'n/a' : ratio <= TARGET_ACK_RATIO ? 'MET' : 'MISSED';
      console.log(`  c${c}: ours ${o?.p99} ms / bare ${b?.p99} ms = ${ratio}x  -> ${verdict}`);
    }

    printCardTable(cards);
    const fresh = cards.find((c) => c.phase === 'paced fresh');
    const cardMet =
      fresh?.p95 !== null && fresh?.p95 !== undefined && fresh.p95 < TARGET_CARD_P95_MS && fresh.missing === 0;
    console.log(
      `\nTarget: card p95 < ${TARGET_CARD_P95_MS} ms (paced, fresh bot): p95 ${fresh?.p95} ms, ` +
        `${fresh?.missing} missing -> ${cardMet ? 'MET' : 'MISSED'}` +
        '\n  (the load rows measure queueing behind a saturating closed loop, not the target)',
    );

    console.log('\nMemory (VmRSS of the node process; peak = VmHWM)');
    console.log(
      `  our bot:   idle ${mb(idle.bot.rssKb)} MB, after load ${mb(after.bot.rssKb)} MB, peak ${mb(after.bot.hwmKb)} MB, ` +
        `${IDLE_AFTER_LOAD_MS / 1000} s later ${mb(rested.bot.rssKb)} MB`,
    );
    console.log(
      `  bare Bolt: idle ${mb(idle.bare.rssKb)} MB, after load ${mb(after.bare.rssKb)} MB, peak ${mb(after.bare.hwmKb)} MB, ` +
        `${IDLE_AFTER_LOAD_MS / 1000} s later ${mb(rested.bare.rssKb)} MB`,
    );
    const heapMb = (h: Heap | undefined) => (h ? mb(h.heapUsed / 1024) : null);
    const externalMb = (h: Heap | undefined) => (h ? mb(h.external / 1024) : null);
    console.log(
      `  heap used after a full GC: bot idle ${heapMb(idleHeap.bot)} MB -> after load ${heapMb(restedHeap.bot)} MB ` +
        `(external ${externalMb(idleHeap.bot)} -> ${externalMb(restedHeap.bot)} MB); bare Bolt ` +
        `${heapMb(idleHeap.bare)} -> ${heapMb(restedHeap.bare)} MB`,
    );
    const consistency = await checkConsistency(admin, schema, fake);
    console.log(
      `\nConsistency after the run: ${consistency.incidents} incident rows (${consistency.withoutChannel} without a ` +
        `channel, ${consistency.withoutCard} without a card ts); fake Slack: ${consistency.channelsCreated} incident ` +
        `channels created, ${consistency.channelsArchived} archived, ${consistency.orphanChannels} live with no ` +
        'incident row',
    );
    index.update();
    const methods = Object.fromEntries([...index.methodCounts].sort((a, b) => b[1] - a[1]));
    console.log(
      `\nFake Slack saw ${index.callCount} calls (${index.failedCalls} answered ok:false): ${JSON.stringify(methods)}`,
    );
    console.log(`Bot log over the whole run: ${botChild.errorLines} error entries, ${botChild.warnLines} warnings`);
    for (const [kind, n] of [...botChild.logKinds].sort((a, b) => b[1] - a[1])) console.log(`  ${fmt(n, 6)} x ${kind}`);

    const result = {
      bench: 'ack',
      seconds,
      quick,
      node: process.version,
      code: version,
      ack: acks,
      paced: [pacedBefore, pacedAfter],
      ratios,
      cards: cards.map(({ errorSamples: _, ...c }) => c),
      memoryMb: {
        bot: {
          idle: mb(idle.bot.rssKb),
          afterLoad: mb(after.bot.rssKb),
          peak: mb(after.bot.hwmKb),
          rested: mb(rested.bot.rssKb),
          heapAfterGcIdle: heapMb(idleHeap.bot),
          heapAfterGcAfterLoad: heapMb(restedHeap.bot),
        },
        bare: {
          idle: mb(idle.bare.rssKb),
          afterLoad: mb(after.bare.rssKb),
          peak: mb(after.bare.hwmKb),
          rested: mb(rested.bare.rssKb),
          heapAfterGcIdle: heapMb(idleHeap.bare),
          heapAfterGcAfterLoad: heapMb(restedHeap.bare),
        },
      },
      consistency,
      fakeSlack: { calls: index.callCount, okFalse: index.failedCalls, methods },
      botLog: {
        errors: botChild.errorLines,
        warnings: botChild.warnLines,
        kinds: Object.fromEntries(botChild.logKinds),
      },
      targets: {
        ackP99Ratio: {
          max: TARGET_ACK_RATIO,
          met: Object.values(ratios).every((r) => r !== null && r <= TARGET_ACK_RATIO),
        },
        cardP95Ms: { max: TARGET_CARD_P95_MS, value: fresh?.p95 ?? null, met: cardMet },
      },
    };
    console.log(`\n${JSON.stringify(result)}`);
    return 0;
  } catch (err) {
    if (err instanceof BenchBroken) {
      console.error(`bench broken: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    if (!interrupted) await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('bench crashed:', err);
    process.exit(1);
  },
);
