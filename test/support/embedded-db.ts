/**
 * The embedded PostgreSQL for tests: each gets a data directory of its own under the system's temp dir and a real
 * server in it, started by the bot's own code (createEmbeddedDatabase). initdb takes one to two seconds, so the
 * cluster it makes is kept once as a template (beside the temp directories) and copied into each new data directory;
 * the tests of a fresh start (test/e2e/embedded-database.test.ts) run initdb for real.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Database } from '../../src/store/db.js';
import { createEmbeddedDatabase } from '../../src/store/embedded-db.js';

const run = promisify(execFile);

/**
 * An empty directory under the system's temp dir, open to the embedded server's user: when the tests run as root the
 * server runs as another user, which must be able to reach the data directory (mkdtemp makes it 0700).
 */
export async function tempDataDir(prefix = 'bot-data-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

const TEMPLATE = join(tmpdir(), 'incident-bot-test-cluster-v1');

/** A freshly made, stopped cluster to copy (made once; of two test files making it at once, one keeps its copy). */
async function template(): Promise<string> {
  const ready = join(TEMPLATE, 'pg', 'PG_VERSION');
  if (
    await stat(ready).then(
      () => true,
      () => false,
    )
  )
    return TEMPLATE;
  const staging = await tempDataDir('bot-template-');
  const db = await createEmbeddedDatabase({ dataDir: staging.dir });
  await db.close();
  await rm(join(staging.dir, 'pg.log'), { force: true });
  try {
    await rename(staging.dir, TEMPLATE);
  } catch {
    await staging.remove(); // another test file made it first
  }
  return TEMPLATE;
}

/** Puts a copy of the template cluster in `dataDir`/pg (ownership kept: `cp -a`), as an earlier start would have. */
export async function seedCluster(dataDir: string): Promise<void> {
  await run('cp', ['-a', join(await template(), 'pg'), join(dataDir, 'pg')]);
}

export interface TestEmbedded {
  db: Database;
  dataDir: string;
  /** Closes the database (stopping its server) and removes the data directory. */
  dispose(): Promise<void>;
}

/** A running embedded database in a new data directory (the cluster copied from the template). */
export async function startTestEmbedded(): Promise<TestEmbedded> {
  const data = await tempDataDir();
  await seedCluster(data.dir);
  const db = await createEmbeddedDatabase({ dataDir: data.dir });
  return {
    db,
    dataDir: data.dir,
    async dispose() {
      await db.close().catch(() => {});
      await data.remove();
    },
  };
}

/** Every process whose command line names this data directory's cluster (the server and its children). */
export async function serverProcesses(dataDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(join(dataDir, 'pg'))) pids.push(Number(entry));
  }
  return pids;
}
