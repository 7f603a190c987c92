import { createHash } from 'node:crypto';
import pg from 'pg';

/** Anything that runs SQL: the database itself or a transaction. */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
  /** Runs several statements at once (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * Part of a statement another repository writes, for one that does both in one round trip: common table expressions
 * (`with`, named apart from the host's), their parameters (numbered from the `first` the host gave), and an expression
 * over them that the host selects.
 */
export interface StatementPart {
  with: string;
  params: unknown[];
  select: string;
}

/**
 * Several parts as one, for a host that takes one: their common table expressions side by side, their parameters
 * numbered on from `first` in turn, and their selections as one JSON array, read back with `partsOf` in the same order.
 */
export function jointPart(parts: readonly ((first: number) => StatementPart)[]): (first: number) => StatementPart {
  return (first) => {
    const withs: string[] = [];
    const params: unknown[] = [];
    const selects: string[] = [];
    for (const make of parts) {
      const p = make(first + params.length);
      if (p.with) withs.push(p.with);
      params.push(...p.params);
      selects.push(p.select);
    }
    return { with: withs.join(', '), params, select: `json_build_array(${selects.join(', ')})` };
  };
}

/** A timestamp a statement selected: pg gives `timestamptz` as a Date, a JSON value's as text. */
export const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
/** A timestamp a statement selected that may be null (toDate). */
export const toDateOrNull = (v: Date | string | null): Date | null => (v === null ? null : toDate(v));

/** A JSON value a statement selected: pg parses `json` columns itself, text of JSON is parsed here; null as null. */
export function jsonOf<T>(v: T | string | null | undefined): T | null {
  return v === null || v === undefined ? null : typeof v === 'string' ? (JSON.parse(v) as T) : v;
}

/** What each part of a `jointPart` selected, in the order given (undefined past the end). */
export function partsOf(selected: unknown): unknown[] {
  const v = jsonOf(selected);
  return Array.isArray(v) ? v : [];
}

/** The embedded server behind a Database of kind `embedded`, as /health reports it. */
export interface EmbeddedServerStatus {
  /** The cluster's directory (DATA_DIR/pg). */
  readonly dataDir: string;
  /** The system user the server runs as. */
  readonly runAs: string;
  /** The server's pid while it runs. */
  pid(): number | undefined;
  /** `up`, `stopped` (the bot stopped it) or `exited` (it stopped on its own). */
  state(): 'up' | 'stopped' | 'exited';
  readonly logFile: string;
  /** Where to connect: the socket's directory as `host` (for psql or pg_dump: `-h <host> -U <user>`). */
  readonly connection: { host: string; port: number; user: string; database: string };
}

export interface Database extends Queryable {
  /** `postgres`: a server at DATABASE_URL. `embedded`: the PostgreSQL server the bot runs itself in DATA_DIR. */
  readonly kind: 'postgres' | 'embedded';
  /** Set for `embedded`. */
  readonly embedded?: EmbeddedServerStatus;
  /** Where the server is, for a second pool of its own (the acknowledging front's alert intake). */
  readonly connection?: PostgresConnection;
  /** Whether statements with parameters are prepared once per connection (PostgresOptions.prepare). */
  readonly prepare?: boolean;
  /** True when every connection is in use: a connect timeout then means load, not an outage. */
  saturated(): boolean;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The database cannot be reached (refused, dropped, timed out): an outage, not a bug in a query. Thrown by `query` and
 * `transaction`; the Slack edge turns it into "follow the runbook by hand".
 */
export class DatabaseUnavailableError extends Error {
  readonly code = 'database_unavailable';
  /**
   * Whether the statement may have reached the server: false when no connection could be had (refused, not made in
   * time), so nothing was done; true once it was sent (no answer in time, the connection lost after), when it may have
   * been carried out, and committed, all the same.
   */
  readonly sent: boolean;
  constructor(cause: unknown, sent = true) {
    super(`the bot's database cannot be reached (${cause instanceof Error ? cause.message : String(cause)})`, {
      cause,
    });
    this.name = 'DatabaseUnavailableError';
    this.sent = sent;
  }
}

/** Every connection is in use and none came free in time: load, not an outage. Nothing was done; try again. */
export class DatabaseBusyError extends Error {
  readonly code = 'database_busy';
  /** As DatabaseUnavailableError's: whether the statement was sent before it failed. */
  readonly sent: boolean;
  constructor(cause: unknown, sent = false) {
    super('the database is overloaded: every connection is in use, so nothing was changed', { cause });
    this.name = 'DatabaseBusyError';
    this.sent = sent;
  }
}

/**
 * Whether a statement that failed for want of the database may have been carried out all the same: it was sent and no
 * answer came (a timeout, the connection lost after sending). False when it never left (no connection could be had),
 * and for an error the server answered with (the statement was not carried out).
 */
export function mayHaveRun(err: unknown): boolean {
  return (err instanceof DatabaseUnavailableError || err instanceof DatabaseBusyError) && err.sent;
}

/**
 * A connection failure as one of the two typed errors above (busy when the pool is full, and the database answering);
 * anything else unchanged.
 */
function typed(err: unknown, saturated: () => boolean, sent: boolean): unknown {
  if (err instanceof DatabaseUnavailableError || err instanceof DatabaseBusyError) return err;
  if (!isDatabaseUnavailable(err)) return err;
  return saturated() ? new DatabaseBusyError(err, sent) : new DatabaseUnavailableError(err, sent);
}

export interface PostgresOptions {
  /** How long to wait for a connection before giving up (the user must hear back within Slack's 3 s). */
  connectionTimeoutMillis?: number;
  /** Client-side limit on one query. */
  queryTimeoutMillis?: number;
  max?: number;
  /** How long an unused connection is kept open (default 30 s). */
  idleTimeoutMillis?: number;
  /**
   * Connections opened at once and kept open however long unused (default 0): the first requests after a quiet spell
   * (a storm's first alerts) do not wait for a connection to be set up.
   */
  min?: number;
  /**
   * Statements with parameters are prepared once per connection and executed by name after (default true): the
   * server parses and plans each only once instead of at every call. Off for a pooler that cannot carry them.
   */
  prepare?: boolean;
  /**
   * How long the server keeps a transaction whose client stopped talking (default 60 s): then it ends the session and
   * its locks go. A connection cut without either end seeing it (a network partition, a dead NAT entry) left the
   * incident row locked, every later change to it waiting, until a person terminated the session by hand.
   */
  idleInTransactionMs?: number;
}

/**
 * What each connection asks of the server, at once: the transaction limit above, and TCP keepalives that find a dead
 * peer in about a minute (30 s idle, then 3 probes 10 s apart; Linux's default is two hours). Ignored over a Unix
 * socket, which has no such peer.
 */
export function sessionSettings(idleInTransactionMs: number): string {
  return [
    `SET idle_in_transaction_session_timeout = ${Math.max(0, Math.round(idleInTransactionMs))}`,
    'SET tcp_keepalives_idle = 30',
    'SET tcp_keepalives_interval = 10',
    'SET tcp_keepalives_count = 3',
  ].join('; ');
}

/** Distinct statement texts given a name at most; any further one runs unnamed (parsed every time). */
const NAMED_STATEMENTS_MAX = 2000;
const statementNames = new Map<string, string>();
/** Bumped when a prepared statement went stale: every text gets a new name, prepared afresh on each connection. */
let statementGeneration = 0;

function forgetStatementNames(): void {
  statementNames.clear();
  statementGeneration++;
}

/** The prepared statement name of a text: `s` and a hash of it (the same text, the same name, on every connection). */
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined) {
    if (statementNames.size >= NAMED_STATEMENTS_MAX) return undefined;
    name = `s${statementGeneration}_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * A prepared statement the server cannot run as prepared: it no longer knows the name (26000, after a pooler's DISCARD
 * ALL) or a table it reads changed shape since (0A000, "cached plan must not change result type").
 */
function isStalePlan(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '26000' || (code === '0A000' && /cached plan/i.test((err as Error).message));
}

/** Where a server is: a `postgres://` URL, or the parts (a Unix socket's directory as `host`). */
export type PostgresConnection =
  | string
  | { host: string; port: number; user: string; database: string; options?: string };

export function createPostgresDatabase(connection: PostgresConnection, opts: PostgresOptions = {}): Database {
  const settings = sessionSettings(opts.idleInTransactionMs ?? 60_000);
  const poolConfig: pg.PoolConfig & { onConnect?: (client: pg.PoolClient) => Promise<void> } = {
    ...(typeof connection === 'string' ? { connectionString: connection } : connection),
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 2000,
    query_timeout: opts.queryTimeoutMillis ?? 5000,
    max: opts.max ?? 10,
    min: opts.min ?? 0,
    idleTimeoutMillis: opts.idleTimeoutMillis ?? 30_000,
    // The client's side of the same: a server gone without a word is found, not waited on.
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
    // Run on each new connection, and over before the pool lends it (a query sent beside it ran two at once on one
    // client, which pg 9 refuses); a server that refuses one (a pooler) leaves the connection as it was.
    onConnect: async (client) => {
      await client.query(settings).catch(() => {});
    },
  };
  const pool = new pg.Pool(poolConfig);
  // An idle client whose server went away must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // Opened now, kept (the pool closes idle ones only above `min`); one that fails is opened when next needed.
  if ((opts.min ?? 0) > 0) {
    void Promise.allSettled(Array.from({ length: opts.min ?? 0 }, () => pool.connect())).then((made) => {
      for (const m of made) if (m.status === 'fulfilled') m.value.release();
    });
  }
  const max = opts.max ?? 10;
  /**
   * Every connection lent out is overload only while the database answers. A network that drops packets without
   * closing anything leaves each connection waiting for its query timeout: a statement waiting longer than a
   * connection may take, with nothing answered since it was sent, is an outage, and the person must hear "follow the
   * runbook by hand", not "try again in a minute". Half the time a connection may take: a request that gave up
   * waiting for one started waiting about when the statements ahead of it were sent (a busy machine sends them some
   * milliseconds after), so they have waited a little less than it has; at the whole of it, such a request was told
   * "overloaded" while the network was silent.
   */
  let answeredAt = performance.now();
  const stalledMs = (opts.connectionTimeoutMillis ?? 2000) / 2;
  /** The statements waiting for their answers, each with when it was sent. */
  const waiting = new Set<{ at: number }>();
  const awaited = async <T>(sent: Promise<T>): Promise<T> => {
    const entry = { at: performance.now() };
    waiting.add(entry);
    try {
      const r = await sent;
      answeredAt = performance.now();
      return r;
    } finally {
      waiting.delete(entry);
    }
  };
  const stalled = () => {
    const now = performance.now();
    for (const { at } of waiting) if (now - at >= stalledMs && answeredAt <= at) return true;
    return false;
  };
  const saturated = () => pool.totalCount >= max && pool.idleCount === 0 && !stalled();
  const prepare = opts.prepare ?? true;
  /**
   * Runs `fn` on a connection of the pool, as pool.query does (a connection whose statement failed is not given back),
   * but knowing which step failed: a connection that could not be had means nothing was sent.
   */
  const pooled = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw typed(err, saturated, false);
    }
    // The pool stops listening for a client's errors while it is lent out: heard here (the statement fails all the
    // same), not an unhandled 'error' that ends the process.
    const lost = () => {};
    client.on('error', lost);
    let failed: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      failed = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.off('error', lost);
      client.release(failed);
    }
  };
  const wrap = (
    onClient: <T>(fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
    inPool: boolean,
  ): Queryable => ({
    async query<R>(text: string, params?: readonly unknown[]) {
      const values = params as unknown[] | undefined;
      const name = prepare && values ? statementName(text) : undefined;
      try {
        const res = await onClient((c) =>
          name
            ? awaited(c.query({ name, text, values })).catch((err: unknown) => {
                // A plan the server dropped or can no longer use (a table changed under it): every name is given up,
                // and the statement runs once more, unnamed. In a transaction, which the error has aborted, the whole
                // transaction runs again instead (see transaction()).
                if (!isStalePlan(err)) throw err;
                forgetStatementNames();
                if (!inPool) throw err;
                return c.query(text, values);
              })
            : awaited(c.query(text, values)),
        );
        return { rows: res.rows as R[] };
      } catch (err) {
        throw typed(err, saturated, !unsent(err));
      }
    },
    async exec(sql: string) {
      try {
        await onClient((c) => c.query(sql));
      } catch (err) {
        throw typed(err, saturated, !unsent(err));
      }
    },
  });
  const base = wrap(pooled, true);
  return {
    kind: 'postgres',
    connection,
    prepare,
    saturated,
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      // Postgres ends one side of a deadlock (or a serialization conflict) and the other goes on: the loser is run
      // again. A transaction's body only touches the database (Slack comes after the commit), so that is safe.
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(fn);
        } catch (err) {
          if (attempt >= TRANSACTION_ATTEMPTS || !(isConflict(err) || isStalePlan(err))) throw err;
          await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 40));
        }
      }
    },
    async close() {
      await pool.end();
    },
  };

  async function once<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw typed(err, saturated, false);
    }
    let broken = false;
    // The pool stops listening for a client's errors while it is lent out: a connection lost between two statements
    // of the transaction would be an unhandled 'error' and end the process. Heard here, the next statement fails
    // instead (as a lost database), and the client is not given back to the pool.
    const lost = () => {
      broken = true;
    };
    client.on('error', lost);
    try {
      await awaited(client.query('BEGIN'));
      const result = await fn(wrap((run) => run(client), false));
      await awaited(client.query('COMMIT'));
      return result;
    } catch (err) {
      // The connection lost or silent (a query timed out): its ROLLBACK would wait as long again before the person
      // hears anything. A connection thrown away ends its transaction on the server all the same.
      if (isDatabaseUnavailable(err) || err instanceof DatabaseUnavailableError || err instanceof DatabaseBusyError) {
        broken = true;
      } else {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
      }
      throw typed(err, saturated, true);
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }
}

/** A statement pg refused to send: its connection had already failed or been closed. */
function unsent(err: unknown): boolean {
  return (
    err instanceof Error &&
    /^Client (has encountered a connection error|was closed) and is not queryable$/.test(err.message)
  );
}

/** How many times a transaction runs at most when Postgres ends it for a deadlock or a serialization conflict. */
const TRANSACTION_ATTEMPTS = 3;

/** A deadlock (40P01) or serialization failure (40001): nothing was done, and running it again is the remedy. */
function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
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
  // A Unix socket that is not there: the embedded server is not running.
  if (e.code === 'ENOENT' && (e as { syscall?: string }).syscall === 'connect') return true;
  return /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connect ECONNREFUSED|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(
    e.message,
  );
}
