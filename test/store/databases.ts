/**
 * Both kinds of database the bot runs on, for store and service tests: PostgreSQL (TEST_DATABASE_URL, default
 * postgresql://postgres@127.0.0.1:5432/test) and PGlite in memory.
 *
 * On Postgres every suite gets its own schema (`t_<random>`), reached with `options=-c search_path=<schema>` in the
 * URL, so test files running in parallel never see each other's rows; the schema is dropped after the suite.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import {
  createPgliteDatabase,
  createPostgresDatabase,
  type Database,
  type PostgresOptions,
  type Queryable,
} from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export type DatabaseKind = Database['kind'];
export const DATABASE_KINDS: readonly DatabaseKind[] = ['pglite', 'postgres'];

/** `url` with `search_path` set to `schema` for every connection. */
export function withSearchPath(url: string, schema: string): string {
  const sep = url.includes('?') ? '&' : '?';
  return `${url}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
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

/** One empty database: a fresh Postgres schema or a fresh in-memory PGlite. */
export interface TestDatabase {
  readonly kind: DatabaseKind;
  /** The main connection. */
  readonly db: Database;
  /** The schema on Postgres, or inside a shared PGlite (undefined for a PGlite of its own). */
  readonly schema?: string;
  /**
   * Another Database object on the same data: a second pool on the same schema for Postgres. PGlite is one
   * in-process instance, so it returns the same object.
   */
  connectAgain(opts?: PostgresOptions): Database;
  /** Closes every connection and drops the schema. */
  dispose(): Promise<void>;
}

const newSchemaName = () => `t_${randomBytes(6).toString('hex')}`;

/**
 * An empty schema inside an existing PGlite instance: starting a PGlite takes seconds, a schema takes a millisecond.
 * PGlite is one session, so every statement runs in a transaction that first does `SET LOCAL search_path`; the
 * instance runs one transaction at a time, so the setting never leaks to other users of the instance.
 */
async function pgliteSchema(base: Database): Promise<TestDatabase> {
  const schema = newSchemaName();
  await base.exec(`CREATE SCHEMA ${schema}`);
  const scoped = <T>(fn: (tx: Queryable) => Promise<T>) =>
    base.transaction(async (tx) => {
      await tx.exec(`SET LOCAL search_path TO ${schema}`);
      return fn(tx);
    });
  const db: Database = {
    ...base,
    query: (text, params) => scoped((tx) => tx.query(text, params)),
    exec: (sql) => scoped((tx) => tx.exec(sql)),
    transaction: scoped,
    close: async () => {},
  };
  return {
    kind: 'pglite',
    db,
    schema,
    connectAgain: () => db,
    dispose: () => base.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`),
  };
}

export async function createTestDatabase(kind: DatabaseKind, opts: PostgresOptions = {}): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = await createPgliteDatabase(undefined);
    return { kind, db, connectAgain: () => db, dispose: () => db.close() };
  }
  const schema = newSchemaName();
  await admin((c) => c.query(`CREATE SCHEMA ${schema}`));
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
      await admin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    },
  };
}

export interface DatabaseSuite {
  readonly kind: DatabaseKind;
  /** The suite's database (migrated unless `migrate: false`). Valid inside tests and hooks. */
  readonly db: Database;
  readonly test: TestDatabase;
  /**
   * Another empty database, disposed of after the current test: a new schema on Postgres, a new schema inside the
   * suite's PGlite instance for PGlite (see pgliteSchema).
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
          kind === 'pglite'
            ? await pgliteSchema(ctx.test.db)
            : await createTestDatabase(kind, opts ?? options.postgres);
        extra.push(t);
        return t;
      },
      async truncate() {
        await ctx.db.exec(
          'TRUNCATE incident_events, incidents, incident_counters, request_keys RESTART IDENTITY CASCADE',
        );
      },
    };
    beforeAll(async () => {
      current = await createTestDatabase(kind, options.postgres);
      if (options.migrate !== false) await migrate(current.db);
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
