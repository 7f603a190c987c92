/**
 * Migrated schemas for tests, made from a dump instead of by running every migration. Migrating a fresh schema costs
 * the test server about 300 ms of CPU (seventy-odd migrations, each its own DDL), and the suite makes hundreds of
 * schemas: on CI's 2-core machine that was a fifth of the server's CPU. Here the first schema of a run (for this set
 * of migrations) is migrated for real, dumped with pg_dump and dropped; each later one runs that dump with its own
 * name, in one statement. The code under test still runs migrateAtStart on it, which finds every migration recorded
 * with its checksum, as it does on any database already up to date.
 *
 * The dump is kept beside the temp directories, named by the migrations' checksums and pg_dump's version, so the
 * test processes of a run (and later runs) make it once. Without a pg_dump that can reach the test server (another
 * machine's set-up), each schema is migrated for real, as before.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { createPostgresDatabase } from '../../src/store/db.js';
import { loadMigrations, migrateAtStart, migrationChecksum } from '../../src/store/migrate.js';

const run = promisify(execFile);
/** Stands for the schema's name in the dump kept on disk. */
const PLACEHOLDER = '__migrated_schema__';

let dump: Promise<string | null> | undefined;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The dump's statements with PLACEHOLDER for the schema, or null when pg_dump is not to be had. */
async function makeDump(url: string): Promise<string | null> {
  let version: string;
  try {
    version = (await run('pg_dump', ['--version'])).stdout.trim();
  } catch {
    return null;
  }
  const migrations = await loadMigrations();
  const key = createHash('sha256')
    .update(version)
    .update(migrations.map((m) => `${m.name}:${migrationChecksum(m.sql)}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const file = join(tmpdir(), `incident-bot-test-schema-${key}.sql`);
  const kept = await readFile(file, 'utf8').catch(() => null);
  if (kept !== null) return kept;

  const template = `zz_template_${randomBytes(5).toString('hex')}`;
  await withClient(url, (c) => c.query(`CREATE SCHEMA ${template}`));
  try {
    const sep = url.includes('?') ? '&' : '?';
    const db = createPostgresDatabase(`${url}${sep}options=${encodeURIComponent(`-c search_path=${template}`)}`);
    try {
      await migrateAtStart(db);
    } finally {
      await db.close();
    }
    const { stdout } = await run(
      'pg_dump',
      ['--schema', template, '--no-owner', '--no-privileges', '--inserts', '--dbname', url.split('?')[0]!],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const sql = stdout
      .split('\n')
      // psql's meta-commands (\restrict and \unrestrict in newer dumps) are not SQL; the schema is made by the caller.
      .filter((line) => !line.startsWith('\\') && !new RegExp(`^CREATE SCHEMA ${template};`).test(line))
      .join('\n')
      .replaceAll(template, PLACEHOLDER);
    const staging = `${file}.${process.pid}.${randomBytes(3).toString('hex')}`;
    await writeFile(staging, sql);
    await rename(staging, file);
    return sql;
  } catch {
    return null;
  } finally {
    await withClient(url, (c) => c.query(`DROP SCHEMA IF EXISTS ${template} CASCADE`)).catch(() => {});
  }
}

/**
 * Fills the empty `schema` (on the server of `url`, a URL without search_path) as the migrations would: from the dump
 * when there is one, else by migrating it.
 */
export async function fillMigrated(url: string, schema: string, schemaUrl: string): Promise<void> {
  dump ??= makeDump(url);
  const sql = await dump;
  if (sql !== null) {
    await withClient(url, async (c) => {
      await c.query(sql.replaceAll(PLACEHOLDER, schema));
    });
    return;
  }
  const db = createPostgresDatabase(schemaUrl);
  try {
    await migrateAtStart(db);
  } finally {
    await db.close();
  }
}
