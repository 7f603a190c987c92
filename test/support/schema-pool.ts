/**
 * Migrated schemas a test process hands from one test bot to the next. Making a schema and running every migration
 * in it, then dropping it, cost the test server about 400 ms of CPU per bot (the migrations' DDL and three new
 * connections, each a new server process); the suite starts hundreds of bots. A bot's schema is instead emptied when
 * it stops (every row deleted, every sequence set back to 1, its tables vacuumed: about 20 ms) and kept for the next bot of the same process,
 * which finds it as a fresh migrated one (the code under test still runs migrateAtStart on it, and finds every
 * migration recorded). All of it goes through one connection the process keeps.
 *
 * A schema whose relations, columns, constraints, triggers, functions or recorded migrations are no longer as the
 * migrations made them (a test renamed or dropped something and did not put it back), or that cannot be emptied within a few seconds
 * (something still holds its rows), is dropped instead of kept. Schemas kept by processes that have since ended are
 * dropped by the next process that takes one.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { createPostgresDatabase } from '../../src/store/db.js';
import { migrateAtStart } from '../../src/store/migrate.js';
import { TEST_DATABASE_URL, withSearchPath } from './test-db.js';

/** Names the process that keeps the schema: `pool_<pid>_<random>`. */
const PREFIX = `pool_${process.pid}_`;
/** How long emptying a schema may wait for a lock before the schema is dropped instead. */
const LOCK_WAIT = '3s';

export interface PooledSchema {
  readonly url: string;
  readonly schema: string;
  /** Empties the schema and keeps it for the next bot (or drops it, when it cannot be kept as new). */
  release(): Promise<void>;
}

const free: string[] = [];
let admin: Promise<pg.Client> | null = null;
/** What a freshly migrated schema's structure looks like (structureOf), and how to empty one. */
let shape: Promise<{ structure: string; empty(schema: string): string; vacuum(schema: string): string }> | null = null;

function connection(): Promise<pg.Client> {
  admin ??= (async () => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    c.on('error', () => {
      admin = null;
    });
    await c.connect();
    // The process's connection must not keep it running once its tests are over.
    (c as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
    await dropLeftovers(c);
    return c;
  })().catch((err) => {
    admin = null;
    throw err;
  });
  return admin;
}

/** Drops the schemas kept by test processes that are no longer running on this machine. */
async function dropLeftovers(c: pg.Client): Promise<void> {
  const { rows } = await c.query<{ name: string }>(
    `SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'pool\\_%'`,
  );
  for (const { name } of rows) {
    const pid = Number(name.split('_')[1]);
    if (pid === process.pid || existsSync(`/proc/${pid}`)) continue;
    await c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => {});
  }
}

/**
 * A digest of what the migrations make in `schema` but its rows, without the schema's name: its relations (tables,
 * indexes, sequences, views), their columns, constraints and triggers, its functions, and the migrations recorded.
 * Names and types only (deparsing every definition cost the server ten times as much): what a test does to a schema and
 * fails to undo is a relation or trigger dropped, added or renamed, which this sees.
 */
async function structureOf(c: pg.Client, schema: string): Promise<string> {
  const { rows } = await c.query<{ digest: string }>(
    `WITH rel AS (SELECT c.oid, c.relname, c.relkind FROM pg_class c
                   WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1))
     SELECT md5(string_agg(line, ',' ORDER BY line)) AS digest FROM (
       SELECT rel.relname || ':' || rel.relkind::text || ':' || a.attname || ':' || a.atttypid || ':' || a.attnotnull AS line
         FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
       UNION ALL SELECT 'r:' || relname || ':' || relkind::text FROM rel
       UNION ALL SELECT 'k:' || k.conname || ':' || k.contype::text FROM pg_constraint k JOIN rel ON rel.oid = k.conrelid
       UNION ALL SELECT 't:' || t.tgname || ':' || t.tgenabled::text FROM pg_trigger t JOIN rel ON rel.oid = t.tgrelid
       UNION ALL SELECT 'f:' || p.proname || ':' || md5(p.prosrc) FROM pg_proc p
                  WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
     ) lines`,
    [schema],
  );
  const recorded = await c.query<{ digest: string }>(
    `SELECT md5(string_agg(version || ':' || coalesce(checksum, ''), ',' ORDER BY version)) AS digest
       FROM ${schema}.schema_migrations`,
  );
  return `${rows[0]?.digest ?? ''} ${recorded.rows[0]?.digest ?? ''}`;
}

/**
 * The statements that delete every row of `tables` and set `sequences` back to 1, qualified by `schema` when given: how
 * a schema is emptied here, and tables before a store test (emptyTables in test/store/databases.ts). Run with triggers
 * and foreign keys not fired (`session_replication_role = replica`): TRUNCATE makes new files for every table and
 * index, many times slower.
 */
export function deletingStatements(tables: readonly string[], sequences: readonly string[], schema?: string): string[] {
  const q = (name: string) => (schema ? `${schema}.${name}` : name);
  return [
    ...tables.map((t) => `DELETE FROM ${q(t)}`),
    ...(sequences.length ? [`SELECT ${sequences.map((s) => `setval('${q(s)}', 1, false)`).join(', ')}`] : []),
  ];
}

/**
 * The statements that empty a schema shaped as `schema` is (every table but the migrations' record, every sequence
 * back to 1), and the one that vacuums its tables after: the test server runs without autovacuum, and the rows
 * deleted would otherwise stay in the tables of a schema used by bot after bot.
 */
async function emptier(c: pg.Client, schema: string): Promise<{ empty(s: string): string; vacuum(s: string): string }> {
  const tables = (
    await c.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations' ORDER BY 1`,
      [schema],
    )
  ).rows.map((r) => r.name);
  const sequences = (
    await c.query<{ name: string }>(`SELECT sequencename AS name FROM pg_sequences WHERE schemaname = $1 ORDER BY 1`, [
      schema,
    ])
  ).rows.map((r) => r.name);
  return {
    // Triggers and foreign keys are not fired while emptying (the audit log refuses deletes, by design).
    empty: (s) =>
      [
        `SET lock_timeout = '${LOCK_WAIT}'`,
        'SET session_replication_role = replica',
        ...deletingStatements(tables, sequences, s),
        'RESET session_replication_role',
        'RESET lock_timeout',
      ].join(';\n'),
    vacuum: (s) => `VACUUM ${tables.map((t) => `${s}.${t}`).join(', ')}`,
  };
}

/** A migrated schema with no rows: one this process kept, or a new one. */
export async function takeMigratedSchema(): Promise<PooledSchema> {
  const c = await connection();
  let schema = free.pop();
  if (!schema) {
    schema = `${PREFIX}${randomBytes(4).toString('hex')}`;
    await c.query(`CREATE SCHEMA ${schema}`);
    const db = createPostgresDatabase(withSearchPath(TEST_DATABASE_URL, schema));
    try {
      await migrateAtStart(db);
    } finally {
      await db.close();
    }
    const made = schema;
    shape ??= (async () => ({ structure: await structureOf(c, made), ...(await emptier(c, made)) }))();
    await shape;
  }
  const name = schema;
  return { url: withSearchPath(TEST_DATABASE_URL, name), schema: name, release: () => release(name) };
}

async function release(schema: string): Promise<void> {
  const c = await connection();
  const { structure, empty, vacuum } = await shape!;
  try {
    if ((await structureOf(c, schema)) !== structure) throw new Error('changed');
    await c.query(empty(schema));
    await c.query(vacuum(schema));
    free.push(schema);
  } catch {
    await c.query('RESET session_replication_role; RESET lock_timeout').catch(() => {});
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
  }
}

/**
 * A migrated schema as createTestSchema gives one (`drop` hands it back to this process's pool): for tests whose
 * bots, processes of their own included, find their database migrated, as after any earlier start.
 */
export async function createMigratedTestSchema(): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const s = await takeMigratedSchema();
  return { url: s.url, schema: s.schema, drop: s.release };
}
