/**
 * The embedded database as people meet it: `npm start`'s entry point run as a real process (node on dist/app.js, so the
 * child's pid is the bot's), with no DATABASE_URL, on a data directory of its own; stopped with signals, killed with
 * -9, started twice.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StartupError, start } from '../../src/start.js';
import { createPostgresDatabase, type Database } from '../../src/store/db.js';
import { getIncident, insertIncident } from '../../src/store/incident.repo.js';
import { appCommand } from '../support/app-entry.js';
import { seedCluster, serverProcesses, tempDataDir } from '../support/embedded-db.js';

const IS_ROOT = process.getuid?.() === 0;
const POSTGRES_USER = (() => {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
    };
  } catch {
    return undefined;
  }
})();
const STACK = /\n\s+at /;
/** Starting the bot and creating a cluster take seconds; on a loaded 2-core machine, many times that. */
const START_TIMEOUT_MS = 150_000;

const dirs: (() => Promise<void>)[] = [];
const apps: App[] = [];
// A test that failed half-way stops its bots as a person would, so the next test finds the directory free.
afterEach(async () => {
  for (const app of apps.splice(0)) if (app.code === undefined) await stop(app);
});
afterAll(async () => {
  for (const remove of dirs) await remove();
});

async function newDataDir(): Promise<string> {
  const d = await tempDataDir('bot-embedded-');
  dirs.push(d.remove);
  return d.dir;
}

interface App {
  child: ChildProcess;
  pid: number;
  port: number;
  output(): string;
  code: number | null | undefined;
  exited: Promise<number | null>;
}

interface RunAs {
  uid: number;
  gid: number;
}

function spawnApp(dataDir: string, env: Record<string, string> = {}, as?: RunAs): App {
  const [node, ...args] = appCommand();
  const child = spawn(node, args, {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: '0', DATA_DIR: dataDir, LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(as ?? {}),
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const app: App = {
    child,
    pid: child.pid ?? -1,
    port: 0,
    output: () => out,
    code: undefined,
    exited: new Promise((r) =>
      child.on('exit', (code) => {
        app.code = code;
        r(code);
      }),
    ),
  };
  apps.push(app);
  return app;
}

/** Starts the bot (set-up mode: no Slack credentials) and waits for its set-up line, which comes once the database is open. */
async function startApp(dataDir: string, env: Record<string, string> = {}, as?: RunAs): Promise<App> {
  const app = spawnApp(dataDir, env, as);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const m = /instructions at http:\/\/localhost:(\d+)\//.exec(app.output());
    if (m) {
      app.port = Number(m[1]);
      return app;
    }
    if (app.code !== undefined) throw new Error(`the bot exited (${app.code}): ${app.output()}`);
    if (Date.now() > deadline) {
      // Stopped as a person would, so that its server stops and the next test finds the directory free.
      await stop(app);
      throw new Error(`the bot did not start in ${START_TIMEOUT_MS / 1000} s: ${app.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the bot expecting it to refuse to start: its exit code and output. */
async function refusedStart(dataDir: string, env: Record<string, string> = {}, as?: RunAs) {
  const app = spawnApp(dataDir, env, as);
  const code = await Promise.race([app.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 60_000))]);
  if (code === 'running') app.child.kill('SIGKILL');
  return { code, output: app.output() };
}

interface Health {
  status: string;
  database: {
    kind: string;
    status: string;
    server?: { status: string; pid?: number; dataDir: string; runAs: string };
  };
}

async function health(app: App): Promise<{ status: number; body: Health }> {
  const res = await fetch(`http://127.0.0.1:${app.port}/health`);
  return { status: res.status, body: (await res.json()) as Health };
}

async function stop(app: App, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  app.child.kill(signal);
  return app.exited;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A client of the bot's embedded server, over its socket, as psql would be. */
function client(dataDir: string): Database {
  return createPostgresDatabase({ host: join(dataDir, 'pg'), port: 5432, user: 'postgres', database: 'postgres' });
}

async function withClient<T>(dataDir: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = client(dataDir);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

describe('the embedded database, in a real bot process', () => {
  let dir: string;
  let incidentId: number;

  it('a fresh data directory: the cluster is created, /health reports it up; SIGTERM stops the server too', async () => {
    dir = await newDataDir();
    const app = await startApp(dir);
    const { status, body } = await health(app);
    expect(status).toBe(200);
    expect(body.database).toMatchObject({
      kind: 'embedded',
      status: 'ok',
      server: { status: 'up', dataDir: join(dir, 'pg'), runAs: IS_ROOT ? 'postgres' : expect.any(String) },
    });
    const serverPid = body.database.server?.pid ?? -1;
    expect(alive(serverPid)).toBe(true);
    expect(await serverProcesses(dir)).toContain(serverPid);
    if (IS_ROOT) {
      // PostgreSQL does not run as root: the existing postgres user runs it, owns the cluster, and the bot says so.
      expect(app.output()).toContain('the embedded PostgreSQL runs as the existing user postgres');
      expect((await stat(join(dir, 'pg'))).uid).toBe(POSTGRES_USER?.uid);
    }
    expect(app.output()).toContain(`Database: embedded PostgreSQL in ${join(dir, 'pg')}`);
    incidentId = await withClient(
      dir,
      async (db) =>
        (await insertIncident(db, { teamId: 'T1', number: 1, title: 'kept', severity: 1, reporterId: 'U1' })).id,
    );

    expect(await stop(app, 'SIGTERM')).toBe(0);
    expect(alive(serverPid)).toBe(false);
    expect(await serverProcesses(dir)).toEqual([]);
    expect(await exists(join(dir, 'pg.lock'))).toBe(false);
    expect(await exists(join(dir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 400_000);

  it('starts again on the same directory with the data kept; SIGINT stops it as well', async () => {
    const app = await startApp(dir);
    expect((await health(app)).body.database).toMatchObject({ kind: 'embedded', status: 'ok' });
    expect(app.output()).not.toContain('left running');
    expect((await withClient(dir, (db) => getIncident(db, incidentId)))?.title).toBe('kept');
    expect(await stop(app, 'SIGINT')).toBe(0);
    expect(await serverProcesses(dir)).toEqual([]);
  }, 400_000);

  it('SIGHUP (the terminal closed) stops the bot and its server as SIGTERM does', async () => {
    const app = await startApp(dir);
    expect((await health(app)).body.database).toMatchObject({ kind: 'embedded', status: 'ok' });
    expect(await stop(app, 'SIGHUP')).toBe(0);
    expect(await serverProcesses(dir)).toEqual([]);
    expect(await exists(join(dir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 400_000);

  it('after kill -9 of the bot, the next start stops the server it left running and starts its own', async () => {
    const first = await startApp(dir);
    const left = (await health(first)).body.database.server?.pid ?? -1;
    await stop(first, 'SIGKILL');
    // Nothing stops a server when its bot is killed with -9: it runs on, with a stale lock beside it.
    expect(alive(left)).toBe(true);
    expect(await exists(join(dir, 'pg.lock'))).toBe(true);

    const second = await startApp(dir);
    expect(second.output()).toContain(`Stopped the embedded PostgreSQL (pid ${left}) an earlier bot left running`);
    const { status, body } = await health(second);
    expect(status).toBe(200);
    expect(body.database.server?.pid).not.toBe(left);
    expect(alive(left)).toBe(false);
    expect((await withClient(dir, (db) => getIncident(db, incidentId)))?.title).toBe('kept');
    expect(await stop(second)).toBe(0);
    expect(await serverProcesses(dir)).toEqual([]);
  }, 400_000);

  it('when the server stops on its own, /health answers 503 and says so; the bot still stops cleanly', async () => {
    const app = await startApp(dir);
    const server = (await health(app)).body.database.server?.pid ?? -1;
    process.kill(server, 'SIGKILL');
    // The bot hears of its child's exit a moment after the socket goes: wait for both.
    let h = await health(app);
    for (let i = 0; i < 200 && h.body.database.server?.status !== 'exited'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      h = await health(app);
    }
    expect(h.status).toBe(503);
    expect(h.body.database).toMatchObject({ kind: 'embedded', status: 'unreachable', server: { status: 'exited' } });
    expect(JSON.stringify(h.body)).toContain(join(dir, 'pg.log'));
    // Its log line comes through the bot's stdout, which may reach this process a moment after /health's answer.
    const said = 'The embedded PostgreSQL stopped on its own (killed by SIGKILL)';
    for (let i = 0; i < 100 && !app.output().includes(said); i++) await new Promise((r) => setTimeout(r, 50));
    expect(app.output()).toContain(said);
    expect(await stop(app)).toBe(0);
  }, 400_000);

  it('after kill -9 of the bot and of its server, the next start recovers the data', async () => {
    const first = await startApp(dir);
    const server = (await health(first)).body.database.server?.pid ?? -1;
    process.kill(server, 'SIGKILL');
    await stop(first, 'SIGKILL');

    const second = await startApp(dir);
    expect((await health(second)).status).toBe(200);
    expect((await withClient(dir, (db) => getIncident(db, incidentId)))?.title).toBe('kept');
    expect(await stop(second)).toBe(0);
    expect(await serverProcesses(dir)).toEqual([]);
  }, 400_000);

  it('a second bot on the same data directory is refused with what to do, and the first goes on', async () => {
    const first = await startApp(dir);
    const refused = await refusedStart(dir);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(
      `Another bot (pid ${first.pid}) is using the embedded database in DATA_DIR=${dir}`,
    );
    expect(refused.output).toContain('point them all at one PostgreSQL with DATABASE_URL');
    expect(refused.output).not.toMatch(STACK);
    expect((await health(first)).status).toBe(200);
    expect(await stop(first)).toBe(0);
    expect(await serverProcesses(dir)).toEqual([]);
  }, 400_000);
});

/** The inodes of the sockets the processes `pids` hold open (from /proc/<pid>/fd). */
async function socketInodes(pids: number[]): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
      const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
      if (m) inodes.add(m[1]!);
    }
  }
  return inodes;
}

/** The TCP sockets in LISTEN state (IPv4 and IPv6) among `inodes`, as `address:port` in /proc/net's hex. */
async function tcpListeners(inodes: Set<string>): Promise<string[]> {
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode; st 0A is LISTEN.
      if (f[3] === '0A' && inodes.has(f[9] ?? '')) found.push(f[1]!);
    }
  }
  return found;
}

describe('the embedded database listens on a Unix socket only', () => {
  const startIn = (dataDir: string) => start({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'error' }, () => {});

  it('no TCP port: the server and its processes hold no listening TCP socket, and listen_addresses is empty', async () => {
    const dir = await newDataDir();
    await seedCluster(dir);
    const bot = await startIn(dir);
    try {
      const server = bot.db.embedded!;
      expect(server.connection.host).toBe(join(dir, 'pg'));
      expect(await exists(join(dir, 'pg', '.s.PGSQL.5432'))).toBe(true);
      expect((await bot.db.query<{ v: string }>('SELECT current_setting($1) AS v', ['listen_addresses'])).rows).toEqual(
        [{ v: '' }],
      );
      const pids = await serverProcesses(dir);
      expect(pids).toContain(server.pid());
      // Checked: with listen_addresses=127.0.0.2 this finds the server's 0200007F:1538 (127.0.0.2:5432).
      expect(await tcpListeners(await socketInodes(pids))).toEqual([]);
      // The same look finds a listener where there is one: this process's own (set-up mode's HTTP port).
      expect(await tcpListeners(await socketInodes([process.pid]))).toContainEqual(
        expect.stringMatching(new RegExp(`:${bot.port.toString(16).toUpperCase().padStart(4, '0')}$`)),
      );
    } finally {
      await bot.stop();
    }
    expect(await serverProcesses(dir)).toEqual([]);
  }, 120_000);

  it('a DATA_DIR too deep for a socket path: the socket goes to a private directory under the temp dir', async () => {
    let dir = await newDataDir();
    // A Unix socket path holds 107 bytes at most; this cluster's would be well past it.
    for (const part of ['a'.repeat(40), 'b'.repeat(40)]) {
      dir = join(dir, part);
      await mkdir(dir, { mode: 0o755 });
    }
    const cluster = join(dir, 'pg');
    expect(Buffer.byteLength(join(cluster, '.s.PGSQL.5432'))).toBeGreaterThan(107);
    const socketDir = join(
      tmpdir(),
      `incident-bot-pg-${createHash('sha256').update(cluster).digest('hex').slice(0, 12)}`,
    );
    const bot = await startIn(dir);
    try {
      const server = bot.db.embedded!;
      expect(server.connection.host).toBe(socketDir);
      expect(await exists(join(socketDir, '.s.PGSQL.5432'))).toBe(true);
      expect(await exists(join(cluster, '.s.PGSQL.5432'))).toBe(false);
      // Only the server's user may enter it.
      const st = await stat(socketDir);
      expect(st.mode & 0o777).toBe(0o700);
      expect(st.uid).toBe(IS_ROOT ? POSTGRES_USER?.uid : process.getuid?.());
      expect((await bot.db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(await tcpListeners(await socketInodes(await serverProcesses(dir)))).toEqual([]);
    } finally {
      await bot.stop();
      await rm(socketDir, { recursive: true, force: true });
    }
    expect(await serverProcesses(dir)).toEqual([]);
  }, 120_000);
});

describe('the embedded database, when something is in the way', () => {
  /** start() as app.ts calls it: what it throws is what the person sees (app.ts prints a StartupError's message). */
  const startIn = (dataDir: string, env: Record<string, string> = {}) =>
    start({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'error', ...env }, () => {});

  it('a start killed while creating the cluster leaves nothing that stops the next one', async () => {
    const dir = await newDataDir();
    await mkdir(join(dir, 'pg.init'));
    await writeFile(join(dir, 'pg.init', 'PG_VERSION'), '18\n');
    const bot = await startIn(dir);
    expect(await exists(join(dir, 'pg.init'))).toBe(false);
    expect(bot.db.embedded?.state()).toBe('up');
    await bot.stop();
    expect(await serverProcesses(dir)).toEqual([]);
  }, 60_000);

  it('a postmaster.pid and socket lock naming a live process that is not its server (a pid reused after a reboot) do not stop the start', async () => {
    const dir = await newDataDir();
    await seedCluster(dir);
    const owner = await stat(join(dir, 'pg'));
    // This test process is alive and is no PostgreSQL of this cluster.
    const stale = `${process.pid}\n${join(dir, 'pg')}\n1700000000\n5432\n${join(dir, 'pg')}\n\n  5432001    32768\nready   \n`;
    for (const name of ['postmaster.pid', '.s.PGSQL.5432.lock']) {
      await writeFile(join(dir, 'pg', name), stale, { mode: 0o600 });
      await chown(join(dir, 'pg', name), owner.uid, owner.gid);
    }
    const bot = await startIn(dir);
    expect(bot.db.embedded?.state()).toBe('up');
    expect(bot.db.embedded?.pid()).not.toBe(process.pid);
    expect((await bot.db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await bot.stop();
    expect(await serverProcesses(dir)).toEqual([]);
  }, 60_000);

  it('a server killed with -9 whose sessions still hold its shared memory is started once they have gone', async () => {
    const dir = await newDataDir();
    await seedCluster(dir);
    const first = await startIn(dir);
    const session = (await first.db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    // A session that has not yet noticed its server died keeps the shared memory: PostgreSQL refuses to start on it.
    process.kill(session, 'SIGSTOP');
    process.kill(first.db.embedded!.pid()!, 'SIGKILL');
    while (first.db.embedded?.state() !== 'exited') await new Promise((r) => setTimeout(r, 20));
    await first.stop();
    const resumed = new Promise((r) => setTimeout(r, 1500)).then(() => process.kill(session, 'SIGCONT'));
    const second = await startIn(dir);
    await resumed;
    expect(await readFile(join(dir, 'pg.log'), 'utf8')).toContain('pre-existing shared memory block');
    expect((await second.db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await second.stop();
    expect(await serverProcesses(dir)).toEqual([]);
  }, 120_000);

  it('a DATA_DIR that is a file is named, with what to do, and nothing is started', async () => {
    const file = join(await newDataDir(), 'not-a-dir');
    await writeFile(file, 'x');
    const err = await startIn(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toBe(
      `The embedded database cannot be kept in DATA_DIR=${file}: a file is in the way. Set DATA_DIR to a directory the bot's user (${userInfo().username}) can write, or set DATABASE_URL to use a PostgreSQL server.`,
    );
  });

  it('a DATA_DIR whose file system will not make it (under /proc) is named at once, not a start that hangs', async () => {
    const dir = '/proc/incident-bot-data/sub';
    const err = await startIn(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toBe(
      `The embedded database cannot be kept in DATA_DIR=${dir}: its file system does not let a directory be made there. Set DATA_DIR to a directory the bot's user (${userInfo().username}) can write, or set DATABASE_URL to use a PostgreSQL server.`,
    );
  });

  it('a DATA_DIR under a file is named as a file in the way', async () => {
    const file = join(await newDataDir(), 'not-a-dir');
    await writeFile(file, 'x');
    const err = await startIn(join(file, 'data')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toContain(`DATA_DIR=${join(file, 'data')}: a file is in the way.`);
  });

  it.runIf(IS_ROOT)('as root, EMBEDDED_PG_USER naming no user is refused plainly', async () => {
    const err = await startIn(await newDataDir(), { EMBEDDED_PG_USER: 'no-such-user-4821' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toContain(
      'EMBEDDED_PG_USER=no-such-user-4821: there is no such user on this machine',
    );
  });

  it.runIf(IS_ROOT && POSTGRES_USER)('as root, a DATA_DIR the server user cannot reach is named', async () => {
    const closed = join(await newDataDir(), 'closed');
    await mkdir(closed, { mode: 0o700 });
    await chmod(closed, 0o700);
    const err = await startIn(join(closed, 'data')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toContain(
      `runs as user postgres, which cannot reach DATA_DIR=${join(closed, 'data')}: ${closed} is closed to it`,
    );
    // The lock it took is given back.
    expect(await exists(join(closed, 'data', 'pg.lock'))).toBe(false);
  });

  describe.runIf(IS_ROOT && POSTGRES_USER)('as a normal user (the postgres user)', () => {
    const as = POSTGRES_USER as RunAs;

    it('runs its server as itself', async () => {
      const dir = await newDataDir();
      await chown(dir, as.uid, as.gid);
      const app = await startApp(dir, {}, as);
      expect((await health(app)).body.database.server).toMatchObject({ status: 'up', runAs: 'postgres' });
      expect(app.output()).not.toContain('runs as the existing user');
      expect(await stop(app)).toBe(0);
      expect(await serverProcesses(dir)).toEqual([]);
    }, 400_000);

    it('a DATA_DIR it cannot write is named, with what to do', async () => {
      const dir = await newDataDir(); // root's, 0755
      const r = await refusedStart(join(dir, 'data'), {}, as);
      expect(r.code).toBe(1);
      expect(r.output).toContain(
        `The embedded database cannot be kept in DATA_DIR=${join(dir, 'data')}: permission denied`,
      );
      expect(r.output).not.toMatch(STACK);
    }, 400_000);

    it('EMBEDDED_PG_USER naming someone else is refused: it only applies to root', async () => {
      const dir = await newDataDir();
      await chown(dir, as.uid, as.gid);
      const r = await refusedStart(dir, { EMBEDDED_PG_USER: 'root' }, as);
      expect(r.code).toBe(1);
      expect(r.output).toContain('EMBEDDED_PG_USER=root only applies when the bot runs as root');
      expect(r.output).not.toMatch(STACK);
    }, 400_000);
  });
});
