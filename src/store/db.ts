import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** Anything that runs SQL: the database itself or a transaction. */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
  /** Runs several statements at once (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** True when every connection is in use: a connect timeout then means load, not an outage. */
  saturated(): boolean;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** How long to wait for a connection before giving up (the user must hear back within Slack's 3 s). */
  connectionTimeoutMillis?: number;
  /** Client-side limit on one query. */
  queryTimeoutMillis?: number;
  max?: number;
}

export function createPostgresDatabase(url: string, opts: PostgresOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 2000,
    query_timeout: opts.queryTimeoutMillis ?? 5000,
    max: opts.max ?? 10,
    idleTimeoutMillis: 30_000,
  });
  // An idle client whose server went away must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const wrap = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R>(text: string, params?: readonly unknown[]) {
      const res = await c.query(text, params as unknown[] | undefined);
      return { rows: res.rows as R[] };
    },
    async exec(sql: string) {
      await c.query(sql);
    },
  });
  const base = wrap(pool);
  const max = opts.max ?? 10;
  return {
    kind: 'postgres',
    saturated: () => pool.totalCount >= max && pool.idleCount === 0,
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/** The embedded default: PGlite (Postgres compiled to WASM) keeping its files in dataDir. Same SQL as Postgres. */
export async function createPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  // Loaded only when used, so a Postgres deployment never pays for the WASM module.
  const { PGlite } = await import('@electric-sql/pglite');
  const db: PGlite = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  const wrap = (c: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<R>(text: string, params?: readonly unknown[]) {
      const res = await c.query<R>(text, params as unknown[] | undefined);
      return { rows: res.rows };
    },
    async exec(sql: string) {
      await c.exec(sql);
    },
  });
  const base = wrap(db);
  return {
    kind: 'pglite',
    saturated: () => false,
    query: base.query,
    exec: base.exec,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async close() {
      await db.close();
    },
  };
}

/** Errors that mean "the database cannot be reached", as opposed to a bug in a query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: string };
  const codes = [
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'ENOTFOUND',
    'EHOSTUNREACH',
    'EPIPE',
    '57P01',
    '57P02',
    '57P03',
    '08000',
    '08001',
    '08003',
    '08006',
  ];
  if (e.code && codes.includes(e.code)) return true;
  return /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connect ECONNREFUSED|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(
    e.message,
  );
}
