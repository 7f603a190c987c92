/**
 * Start-up time and resident memory of the bot as `npm start` runs it, in one run:
 *
 *   1. the embedded database (no DATABASE_URL) on a fresh data directory,
 *   2. the embedded database again on that directory (existing),
 *   3. the same existing directory through `npm start` itself (npm, the prestart's staleness check of src/, then node),
 *   4. Postgres through DATABASE_URL (a fresh schema on BENCH_PG_URL),
 *   5. the console (`npm start -- --console`, standard input piped) on the embedded database, fresh data directory,
 *   6. the console again on that directory (existing),
 *
 * rows 1, 2 and 4 running the built dist/app.js with node directly, as before; each against the targets: answering
 * (the first 200 from /health with the database open; for the console, its welcome line) within 5 s (fresh) or 2 s
 * (existing), and the bot's node process plus every database process it started at most 200 MB resident once idle
 * after declaring one incident. See bench/README.md.
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
  botNodeFlags,
  buildBot,
  codeVersion,
  fmt,
  LIMITS_OFF,
  round,
  runBench,
  SIGNING_SECRET,
  sleep,
} from '../lib.js';

const TARGET_FRESH_MS = 5000;
const TARGET_EXISTING_MS = 2000;
const TARGET_RSS_MB = 200;
/**
 * After the declaration: longer than the Home tab refreshes it brings (held back up to 5 s a person) and the embedded
 * pool's 3 s idle timeout after them, so what an idle bot keeps is measured.
 */
const IDLE_MS = 12_000;
const ANSWER_TIMEOUT_MS = 60_000;
const TOKEN = 'xoxb-bench-startup-token';
const ANNOUNCE_CHANNEL_ID = 'C0INCIDENTS';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The console's welcome: it is printed once the bot behind it answers (database open, Bolt listening). */
const CONSOLE_READY = 'Type what you would type in Slack';

interface Scenario {
  name: string;
  env: Record<string, string>;
  targetMs: number;
  /** The embedded database's data directory (its server processes are counted). */
  dataDir?: string;
  /** `node`: node dist/app.js, as before; `npm`: npm start (its prestart, then node), from the repository. */
  via: 'node' | 'npm';
  /** `npm start -- --console` with piped standard input, instead of the bot in HTTP mode against the fake Slack. */
  console?: boolean;
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
  /** Under npm start: npm's own process and the shell it runs the script in (not counted in total). */
  launcherMb?: number;
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

const sum = (pids: number[]) =>
  pids.map(memory).reduce((a, m) => ({ rss: a.rss + m.rss, pss: a.pss + m.pss }), { rss: 0, pss: 0 });

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

/** Under npm start: the bot's own node process (argv `node … dist/app.js`, not npm nor the shell that runs it). */
function botUnder(pid: number): number | undefined {
  return tree(pid).find((p) => {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      return /(^|\/)node$/.test(argv[0] ?? '') && argv.includes(BOT_SCRIPT);
    } catch {
      return false;
    }
  });
}

/** The embedded server's pid from its postmaster.pid (the console has no /health to ask). */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
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

/**
 * Stops a run: SIGTERM to the bot (under npm start, to the bot's own node process: npm passes it on too, but the
 * bot is the one that must stop its server), or the end of the console's input; SIGKILL to what started after 15 s.
 */
async function stopRun(child: ChildProcess, bot: number | undefined, console_: boolean): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  if (console_) child.stdin?.end();
  else if (bot !== undefined && bot !== child.pid) process.kill(bot, 'SIGTERM');
  else child.kill('SIGTERM');
  const stuck = await Promise.race([exited.then(() => false), sleep(15_000).then(() => true)]);
  if (stuck) {
    child.kill('SIGKILL');
    if (bot !== undefined && bot !== child.pid) process.kill(bot, 'SIGKILL');
    await exited;
  }
}

function launch(s: Scenario, port: number, fake: FakeSlack): ChildProcess {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ...LIMITS_OFF,
    ...(s.console
      ? { USER: 'bench', NO_COLOR: '1' }
      : {
          SLACK_BOT_TOKEN: TOKEN,
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: fake.url,
          INCIDENTS_CHANNEL: ANNOUNCE_CHANNEL_ID,
          PORT: String(port),
        }),
    ...s.env,
  };
  const stdio: ['pipe' | 'ignore', 'pipe', 'pipe'] = [s.console ? 'pipe' : 'ignore', 'pipe', 'pipe'];
  if (s.via === 'node') return spawn(process.execPath, [...botNodeFlags(env), BOT_SCRIPT], { cwd: ROOT, env, stdio });
  const args = ['start', '--silent', ...(s.console ? ['--', '--console'] : [])];
  return spawn('npm', args, { cwd: ROOT, env, stdio });
}

async function measure(s: Scenario, fake: FakeSlack, atExit: (step: () => unknown) => void): Promise<Result> {
  const port = await freePort();
  const started = performance.now();
  const child = launch(s, port, fake);
  let bot: number | undefined = s.via === 'node' ? child.pid : undefined;
  atExit(() => stopRun(child, bot, s.console === true));
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const waitUntil = async <T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms: number) => {
    for (;;) {
      if (child.exitCode !== null) throw new BenchBroken(`${s.name}: the bot exited (${child.exitCode}):\n${output}`);
      if (performance.now() - started > ms) throw new BenchBroken(`${s.name}: ${what}:\n${output}`);
      const v = await check();
      if (v !== undefined) return v;
      await sleep(10);
    }
  };

  let serverPid: number | undefined;
  let runAs: string | undefined;
  let firstAnswerMs: number;
  const title = `bench startup ${Date.now()}`;
  if (s.console) {
    await waitUntil(
      `no welcome in ${ANSWER_TIMEOUT_MS / 1000} s`,
      () => output.includes(CONSOLE_READY) || undefined,
      ANSWER_TIMEOUT_MS,
    );
    firstAnswerMs = performance.now() - started;
    serverPid = s.dataDir ? postmasterPid(s.dataDir) : undefined;
    child.stdin?.write(`/incident sev1 ${title}\n`);
    await waitUntil(
      'the declaration was not answered',
      () => /Incident #\d+ \(SEV-1\) is open/.test(output) || undefined,
      firstAnswerMs + 20_000,
    );
  } else {
    const health = await waitUntil(
      `no answer from /health in ${ANSWER_TIMEOUT_MS / 1000} s`,
      () => healthOk(port).then((h) => h ?? undefined),
      ANSWER_TIMEOUT_MS,
    );
    firstAnswerMs = performance.now() - started;
    serverPid = health.database?.server?.pid;
    runAs = health.database?.server?.runAs;
    await postSlashCommand(`http://127.0.0.1:${port}`, SIGNING_SECRET, {
      text: `sev1 ${title}`,
      response_url: fake.responseUrl(`startup-${Date.now()}`),
    });
    await fake.waitFor('chat.postMessage', (c) => JSON.stringify(c.args).includes(title), 20_000);
  }
  bot ??= botUnder(child.pid ?? -1);
  if (bot === undefined) throw new BenchBroken(`${s.name}: no node ${BOT_SCRIPT} under npm start`);
  await sleep(IDLE_MS);

  const node = memory(bot);
  const dbPids = serverPid ? tree(serverPid) : [];
  const db = sum(dbPids);
  const botTree = new Set(tree(bot));
  const launcher = s.via === 'npm' ? sum(tree(child.pid ?? -1).filter((p) => !botTree.has(p))) : undefined;
  await stopRun(child, bot, s.console === true);
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
    ...(launcher ? { launcherMb: launcher.rss / 1024 } : {}),
    ...(runAs ? { runAs } : {}),
  };
}

function report(results: Result[]): void {
  const pass = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  console.log(
    `\n${'run'.padEnd(44)} ${'answers'.padStart(8)} ${'target'.padStart(7)}   ${'node'.padStart(6)} ${'db procs'.padStart(8)} ${'db'.padStart(6)} ${'total'.padStart(6)} ${'(pss)'.padStart(6)} ${'target'.padStart(7)} ${'npm'.padStart(5)}   verdict`,
  );
  for (const r of results) {
    const timeOk = r.firstAnswerMs <= r.targetMs;
    const memOk = r.totalMb <= TARGET_RSS_MB;
    console.log(
      `${r.name.padEnd(44)} ${fmt(`${round(r.firstAnswerMs / 1000, 2)} s`, 8)} ${fmt(`${r.targetMs / 1000} s`, 7)}   ${fmt(round(r.nodeMb), 6)} ${fmt(r.dbProcesses || '-', 8)} ${fmt(r.dbProcesses ? round(r.dbMb) : '-', 6)} ${fmt(round(r.totalMb), 6)} ${fmt(round(r.totalPssMb), 6)} ${fmt(`${TARGET_RSS_MB} MB`, 7)} ${fmt(r.launcherMb === undefined ? '-' : round(r.launcherMb), 5)}   time ${pass(timeOk)}, memory ${pass(memOk)}`,
    );
  }
  console.log(
    "\nAnswers: from spawning the process to the first 200 from /health (the console: to its welcome line). Memory in MB, resident (VmRSS) once idle after declaring one incident: the bot's node process, and the database processes it started (its server and every process under it). `(pss)` counts the pages those processes share once. `npm`: npm's own process and the shell it runs the start script in, under npm start; not in the total.",
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
        ...(r.launcherMb === undefined ? {} : { launcherMb: round(r.launcherMb) }),
      })),
    }),
  );
}

/** A new data directory under the system's temp dir, removed at the end. */
function dataDirectory(atExit: (step: () => unknown) => void, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Open to the server's user, when the bench runs as root and the embedded server runs as another user.
  chmodSync(dir, 0o755);
  atExit(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
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

  const dataDir = dataDirectory(atExit, 'bench-startup-');
  const consoleDir = dataDirectory(atExit, 'bench-startup-console-');
  const schema = await BenchSchema.create('startup');
  atExit(() => schema.drop());

  const embedded = { env: { DATA_DIR: dataDir }, dataDir };
  const console_ = { env: { DATA_DIR: consoleDir }, dataDir: consoleDir, via: 'npm', console: true } as const;
  const scenarios: Scenario[] = [
    { name: 'embedded, fresh data dir', ...embedded, targetMs: TARGET_FRESH_MS, via: 'node' },
    { name: 'embedded, existing data dir', ...embedded, targetMs: TARGET_EXISTING_MS, via: 'node' },
    { name: 'embedded, existing data dir, npm start', ...embedded, targetMs: TARGET_EXISTING_MS, via: 'npm' },
    {
      name: 'Postgres (DATABASE_URL)',
      env: { DATABASE_URL: schema.databaseUrl },
      targetMs: TARGET_EXISTING_MS,
      via: 'node',
    },
    { name: 'console, fresh data dir, npm start', ...console_, targetMs: TARGET_FRESH_MS },
    { name: 'console, existing data dir, npm start', ...console_, targetMs: TARGET_EXISTING_MS },
  ];
  const results: Result[] = [];
  for (const s of scenarios) {
    const r = await measure(s, fake, atExit);
    console.log(
      `${s.name}: answers in ${(r.firstAnswerMs / 1000).toFixed(2)} s, ${r.totalMb.toFixed(1)} MB resident${r.runAs ? ` (server runs as ${r.runAs})` : ''}`,
    );
    results.push(r);
  }
  report(results);
});
