/**
 * Start-up time and resident memory of the bot as `npm start` runs it (the built dist/app.js), in one run:
 *
 *   1. the embedded database (no DATABASE_URL) on a fresh data directory,
 *   2. the embedded database again on that directory (existing),
 *   3. Postgres through DATABASE_URL (a fresh schema on BENCH_PG_URL),
 *
 * each against the targets: first answer of /health with the database open within 5 s (fresh) or 2 s (existing), and
 * the bot's node process plus every database process it started at most 200 MB resident once idle after declaring one
 * incident. See bench/README.md.
 *
 *   npm run bench:startup
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeSlack } from '../../test/support/fake-slack.js';
import { postSlashCommand } from '../../test/support/slack-request.js';
import {
  BenchBroken,
  BenchSchema,
  BOT_SCRIPT,
  buildBot,
  codeVersion,
  fmt,
  LIMITS_OFF,
  round,
  runBench,
  SIGNING_SECRET,
  START_NODE_FLAGS,
  sleep,
} from '../lib.js';

const TARGET_FRESH_MS = 5000;
const TARGET_EXISTING_MS = 2000;
const TARGET_RSS_MB = 200;
/** After the declaration: longer than the embedded pool's 10 s idle timeout, so what an idle bot keeps is measured. */
const IDLE_MS = 12_000;
const ANSWER_TIMEOUT_MS = 60_000;
const TOKEN = 'xoxb-bench-startup-token';
const ANNOUNCE_CHANNEL_ID = 'C0INCIDENTS';

interface Scenario {
  name: string;
  env: Record<string, string>;
  targetMs: number;
  /** The embedded database's data directory (its server processes are counted). */
  dataDir?: string;
}

interface Result {
  name: string;
  firstAnswerMs: number;
  targetMs: number;
  nodeMb: number;
  dbMb: number;
  dbProcesses: number;
  totalMb: number;
  /** Proportional set size of the same processes: shared pages (the server's shared memory) counted once. */
  totalPssMb: number;
  dbPssMb: number;
  runAs?: string;
}

const kb = (status: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);

/** VmRSS and Pss of a process, in kB (0 when it is gone). */
function memory(pid: number): { rss: number; pss: number } {
  try {
    const rss = kb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
    const pss = kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
    return { rss, pss };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

/** `pid` and every process under it (by parent pid, from /proc). */
function tree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(parents.get(out[i]!) ?? []));
  return out;
}

/** A free TCP port on loopback, so /health can be asked before the bot says where it listens. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function healthOk(port: number): Promise<{ database?: { server?: { pid?: number; runAs?: string } } } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200 ? ((await res.json()) as { database?: { server?: { pid?: number } } }) : null;
  } catch {
    return null;
  }
}

async function stopBot(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const stuck = await Promise.race([exited.then(() => false), sleep(15_000).then(() => true)]);
  if (stuck) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function measure(s: Scenario, fake: FakeSlack, atExit: (step: () => unknown) => void): Promise<Result> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...START_NODE_FLAGS, BOT_SCRIPT], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      INCIDENTS_CHANNEL: ANNOUNCE_CHANNEL_ID,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      ...LIMITS_OFF,
      ...s.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  atExit(() => stopBot(child));
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  let health: Awaited<ReturnType<typeof healthOk>> = null;
  while (!health) {
    if (child.exitCode !== null) throw new BenchBroken(`${s.name}: the bot exited (${child.exitCode}):\n${output}`);
    if (performance.now() - started > ANSWER_TIMEOUT_MS) {
      throw new BenchBroken(`${s.name}: no answer from /health in ${ANSWER_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    health = await healthOk(port);
    if (!health) await sleep(10);
  }
  const firstAnswerMs = performance.now() - started;

  const title = `bench startup ${Date.now()}`;
  await postSlashCommand(`http://127.0.0.1:${port}`, SIGNING_SECRET, {
    text: `sev1 ${title}`,
    response_url: fake.responseUrl(`startup-${Date.now()}`),
  });
  await fake.waitFor('chat.postMessage', (c) => JSON.stringify(c.args).includes(title), 20_000);
  await sleep(IDLE_MS);

  const node = memory(child.pid ?? -1);
  const serverPid = health.database?.server?.pid;
  const dbPids = serverPid ? tree(serverPid) : [];
  const db = dbPids.map(memory).reduce((a, m) => ({ rss: a.rss + m.rss, pss: a.pss + m.pss }), { rss: 0, pss: 0 });
  await stopBot(child);
  if (s.dataDir && serverPid && tree(serverPid).some((p) => memory(p).rss > 0)) {
    throw new BenchBroken(`${s.name}: the embedded server (pid ${serverPid}) is still running after the bot stopped`);
  }
  return {
    name: s.name,
    firstAnswerMs,
    targetMs: s.targetMs,
    nodeMb: node.rss / 1024,
    dbMb: db.rss / 1024,
    dbProcesses: dbPids.length,
    totalMb: (node.rss + db.rss) / 1024,
    totalPssMb: (node.pss + db.pss) / 1024,
    dbPssMb: db.pss / 1024,
    ...(health.database?.server?.runAs ? { runAs: health.database.server.runAs } : {}),
  };
}

function report(results: Result[]): void {
  const pass = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  console.log(
    `\n${'database'.padEnd(30)} ${'first answer'.padStart(12)} ${'target'.padStart(7)}   ${'node'.padStart(6)} ${'db procs'.padStart(8)} ${'db'.padStart(6)} ${'total'.padStart(6)} ${'(pss)'.padStart(6)} ${'target'.padStart(7)}   verdict`,
  );
  for (const r of results) {
    const timeOk = r.firstAnswerMs <= r.targetMs;
    const memOk = r.totalMb <= TARGET_RSS_MB;
    console.log(
      `${r.name.padEnd(30)} ${fmt(`${round(r.firstAnswerMs / 1000, 2)} s`, 12)} ${fmt(`${r.targetMs / 1000} s`, 7)}   ${fmt(round(r.nodeMb), 6)} ${fmt(r.dbProcesses || '-', 8)} ${fmt(r.dbProcesses ? round(r.dbMb) : '-', 6)} ${fmt(round(r.totalMb), 6)} ${fmt(round(r.totalPssMb), 6)} ${fmt(`${TARGET_RSS_MB} MB`, 7)}   time ${pass(timeOk)}, memory ${pass(memOk)}`,
    );
  }
  console.log(
    '\nMemory in MB, resident (VmRSS) once idle after declaring one incident: the node process, and the database processes the bot started (its server and every process under it). `(pss)` counts the pages those processes share once.',
  );
  console.log(
    JSON.stringify({
      bench: 'startup',
      version: codeVersion(),
      load: loadavg().map((l) => round(l, 2)),
      results: results.map((r) => ({
        ...r,
        firstAnswerMs: round(r.firstAnswerMs, 0),
        nodeMb: round(r.nodeMb),
        dbMb: round(r.dbMb),
        totalMb: round(r.totalMb),
        totalPssMb: round(r.totalPssMb),
        dbPssMb: round(r.dbPssMb),
      })),
    }),
  );
}

runBench(async (atExit) => {
  console.log(
    `bench:startup at ${codeVersion()}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  buildBot();
  const fake = await FakeSlack.start();
  atExit(() => fake.close());
  fake.addChannel('incidents', { id: ANNOUNCE_CHANNEL_ID, botIsMember: true });
  fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });

  const dataDir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  // Open to the server's user, when the bench runs as root and the embedded server runs as another user.
  chmodSync(dataDir, 0o755);
  atExit(() => rmSync(dataDir, { recursive: true, force: true }));
  const schema = await BenchSchema.create('startup');
  atExit(() => schema.drop());

  const scenarios: Scenario[] = [
    { name: 'embedded, fresh data dir', env: { DATA_DIR: dataDir }, targetMs: TARGET_FRESH_MS, dataDir },
    { name: 'embedded, existing data dir', env: { DATA_DIR: dataDir }, targetMs: TARGET_EXISTING_MS, dataDir },
    { name: 'Postgres (DATABASE_URL)', env: { DATABASE_URL: schema.databaseUrl }, targetMs: TARGET_EXISTING_MS },
  ];
  const results: Result[] = [];
  for (const s of scenarios) {
    const r = await measure(s, fake, atExit);
    console.log(
      `${s.name}: first answer in ${(r.firstAnswerMs / 1000).toFixed(2)} s, ${r.totalMb.toFixed(1)} MB resident${r.runAs ? ` (server runs as ${r.runAs})` : ''}`,
    );
    results.push(r);
  }
  report(results);
});
