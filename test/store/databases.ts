/**
 * Both kinds of database the bot runs on, for store and service tests: PostgreSQL (TEST_DATABASE_URL, default
 * postgresql://postgres@127.0.0.1:5432/test) and the embedded PostgreSQL the bot runs itself without DATABASE_URL.
 *
 * On Postgres every suite gets its own schema (`t_<random>`), reached with `options=-c search_path=<schema>` in the
 * URL, so test files running in parallel never see each other's rows; the schema is dropped after the suite. The
 * embedded kind starts a server of its own per suite (test/support/embedded-db.ts); its fresh databases are schemas
 * inside it, reached the same way.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { createPostgresDatabase, type Database, type PostgresOptions } from '../../src/store/db.js';
import { migrateAtStart } from '../../src/store/migrate.js';
import { startTestEmbedded } from '../support/embedded-db.js';
import { deletingStatements, takeMigratedSchema } from '../support/schema-pool.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export type DatabaseKind = Database['kind'];
export const DATABASE_KINDS: readonly DatabaseKind[] = ['embedded', 'postgres'];

/** `url` with `search_path` set to `schema` for every connection. */
export function withSearchPath(url: string, schema: string): string {
  const sep = url.includes('?') ? '&' : '?';
  return `${url}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** The statements that empty a set of tables, by database and tables (emptyTables). */
const emptiers = new WeakMap<Database, Map<string, Promise<string>>>();

/**
 * Empties `tables` and every table that references one of them (as `TRUNCATE … CASCADE`), and with `restartIdentity`
 * sets the sequences those tables own back to 1 (as `RESTART IDENTITY`), by schema-pool's deletingStatements: TRUNCATE
 * took 80 to 150 ms on the test server for the bot's incident tables, against 3 ms for this, and store tests empty
 * tables before each test, on both kinds of database.
 */
export async function emptyTables(db: Database, tables: readonly string[], { restartIdentity = false } = {}) {
  const byTables = emptiers.get(db) ?? new Map<string, Promise<string>>();
  emptiers.set(db, byTables);
  const key = `${[...tables].sort().join(',')}:${restartIdentity}`;
  let sql = byTables.get(key);
  if (!sql) {
    sql = (async () => {
      const { rows } = await db.query<{ name: string; sequences: string[] | null }>(
        `WITH RECURSIVE reach(oid) AS (
           SELECT oid FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname = ANY($1::text[])
           UNION SELECT k.conrelid FROM pg_constraint k JOIN reach r ON k.confrelid = r.oid WHERE k.contype = 'f'
         )
         SELECT c.relname::text AS name,
           (SELECT array_agg(s.relname::text) FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
             WHERE d.refobjid = c.oid AND d.deptype IN ('a', 'i')) AS sequences
         FROM reach r JOIN pg_class c ON c.oid = r.oid`,
        [tables],
      );
      if (rows.length < new Set(tables).size) throw new Error(`emptyTables: not every table of ${tables} exists`);
      const sequences = restartIdentity ? rows.flatMap((r) => r.sequences ?? []) : [];
      return deletingStatements(
        rows.map((r) => r.name),
        sequences,
      ).join(';\n');
    })();
    byTables.set(key, sql);
    sql.catch(() => byTables.delete(key));
  }
  const statements = await sql;
  // In a transaction of its own, so that the setting ends with it whatever happens.
  await db.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await tx.query(statements);
  });
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** One empty database: a fresh Postgres schema, or a fresh embedded server. */
export interface TestDatabase {
  readonly kind: DatabaseKind;
  /** The main connection. */
  readonly db: Database;
  /** The schema (undefined for an embedded server's own public schema). */
  readonly schema?: string;
  /** Another Database object on the same data: a second pool, with connections of its own. */
  connectAgain(opts?: PostgresOptions): Database;
  /** Closes every connection and drops the schema (or stops the embedded server). */
  dispose(): Promise<void>;
}

const newSchemaName = () => `t_${randomBytes(6).toString('hex')}`;

/** An empty schema inside a running embedded server (`base`), reached through pools of its own. */
async function embeddedSchema(base: Database, opts: PostgresOptions = {}): Promise<TestDatabase> {
  const at = base.embedded?.connection;
  if (!at) throw new Error('not an embedded database');
  const schema = newSchemaName();
  await base.exec(`CREATE SCHEMA ${schema}`);
  const opened: Database[] = [];
  const open = (o: PostgresOptions) => {
    const db = createPostgresDatabase({ ...at, options: `-c search_path=${schema}` }, o);
    opened.push(db);
    return db;
  };
  return {
    kind: 'embedded',
    db: open(opts),
    schema,
    connectAgain: (o = opts) => open(o),
    async dispose() {
      await Promise.allSettled(opened.map((d) => d.close()));
      await base.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

/**
 * An empty database of `kind`; on Postgres with `migrated`, a schema already holding what the migrations make, kept for
 * the next one once disposed of (test/support/schema-pool.ts), which migrateAtStart then finds up to date.
 */
export async function createTestDatabase(
  kind: DatabaseKind,
  opts: PostgresOptions = {},
  { migrated = false } = {},
): Promise<TestDatabase> {
  if (kind === 'embedded') {
    const server = await startTestEmbedded();
    const at = server.db.embedded?.connection;
    if (!at) throw new Error('not an embedded database');
    const opened: Database[] = [];
    return {
      kind,
      db: server.db,
      connectAgain: (o = opts) => {
        const db = createPostgresDatabase(at, o);
        opened.push(db);
        return db;
      },
      async dispose() {
        await Promise.allSettled(opened.map((d) => d.close()));
        await server.dispose();
      },
    };
  }
  const pooled = migrated ? await takeMigratedSchema() : null;
  const schema = pooled?.schema ?? newSchemaName();
  if (!pooled) await admin((c) => c.query(`CREATE SCHEMA ${schema}`));
  const url = withSearchPath(TEST_DATABASE_URL, schema);
  const opened: Database[] = [];
  const open = (o: PostgresOptions) => {
    const db = createPostgresDatabase(url, o);
    opened.push(db);
    return db;
  };
  return {
    kind,
    db: open(opts),
    schema,
    connectAgain: (o = opts) => open(o),
    async dispose() {
      await Promise.allSettled(opened.map((d) => d.close()));
      if (pooled) await pooled.release();
      else await admin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    },
  };
}

export interface DatabaseSuite {
  readonly kind: DatabaseKind;
  /** The suite's database (migrated unless `migrate: false`). Valid inside tests and hooks. */
  readonly db: Database;
  readonly test: TestDatabase;
  /**
   * Another empty database, disposed of after the current test: a new schema on Postgres, or inside the suite's
   * embedded server.
   */
  fresh(opts?: PostgresOptions): Promise<TestDatabase>;
  /** Deletes every row (and restarts identities) in the bot's tables. */
  truncate(): Promise<void>;
}

/**
 * Runs `suite` once per database kind, inside `describe('<kind>')`. The suite's database is created (and migrated)
 * before its tests and disposed of after them.
 */
export function forEachDatabase(
  suite: (ctx: DatabaseSuite) => void,
  options: { migrate?: boolean; postgres?: PostgresOptions; only?: DatabaseKind[] } = {},
): void {
  const kinds = options.only ?? DATABASE_KINDS;
  describe.each(kinds.map((k) => [k] as const))('%s', (kind) => {
    let current: TestDatabase | undefined;
    const extra: TestDatabase[] = [];
    const ctx: DatabaseSuite = {
      kind,
      get test() {
        if (!current) throw new Error('the suite database is only available inside tests and hooks');
        return current;
      },
      get db() {
        return ctx.test.db;
      },
      async fresh(opts) {
        const t =
          kind === 'embedded'
            ? await embeddedSchema(ctx.test.db, opts ?? options.postgres)
            : await createTestDatabase(kind, opts ?? options.postgres);
        extra.push(t);
        return t;
      },
      async truncate() {
        await emptyTables(ctx.db, ['incident_events', 'incidents', 'incident_counters', 'request_keys'], {
          restartIdentity: true,
        });
      },
    };
    beforeAll(async () => {
      current = await createTestDatabase(kind, options.postgres, { migrated: options.migrate !== false });
      // As the bot does at start (and the e2e harness): on a connection with no statement limit. The migrations'
      // advisory lock is one for the whole server, so this waits behind every other test file's migrations; through
      // the pool's 5 s read timeout, that wait failed on a loaded machine ('Query read timeout').
      if (options.migrate !== false) await migrateAtStart(current.db);
    });
    afterEach(async () => {
      await Promise.allSettled(extra.splice(0).map((t) => t.dispose()));
    });
    afterAll(async () => {
      await current?.dispose();
    });
    suite(ctx);
  });
}
