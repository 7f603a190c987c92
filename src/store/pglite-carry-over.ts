/**
 * Carrying the data of the earlier embedded default (PGlite, which kept its files directly in DATA_DIR) over into the
 * embedded PostgreSQL, on its first start. The PGlite files are only read, through a copy: they stay as they were.
 */
import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { Database, Queryable } from './db.js';
import { EmbeddedDatabaseError } from './embedded-cluster.js';
import { migrate } from './migrate.js';

/** The module that opens PGlite's files; named in a variable so the bot builds without it installed. */
const PGLITE_MODULE = '@electric-sql/pglite';
/** Rows per INSERT while copying. */
const BATCH = 500;
/** What the embedded PostgreSQL keeps in DATA_DIR beside PGlite's files: not part of the PGlite database. */
const OURS = new Set(['pg', 'pg.init', 'pg.lock', 'pg.log', 'pg.log.1']);

/** PGlite as far as the carry-over uses it. */
interface PgliteInstance {
  waitReady: Promise<void>;
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<unknown>;
  transaction<T>(fn: (tx: Pick<PgliteInstance, 'query' | 'exec'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** DATA_DIR holds a PostgreSQL data directory of PGlite's (PG_VERSION and base/ at its top). */
export async function hasPgliteData(dataDir: string): Promise<boolean> {
  try {
    await stat(join(dataDir, 'PG_VERSION'));
    return (await stat(join(dataDir, 'base'))).isDirectory();
  } catch {
    return false;
  }
}

/** The way to carry the data over when the PGlite package is not installed. */
export function pgliteNeeded(dataDir: string): string {
  return `DATA_DIR=${dataDir} holds the database of the earlier embedded default (PGlite). To carry it over into the embedded PostgreSQL, install PGlite for this once (npm install --no-save @electric-sql/pglite@0.5) and start the bot again: the rows are copied on that start and the PGlite files are left as they are. To start empty instead, set DATA_DIR to a new directory (and keep the old one).`;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A PGlite instance as a Database, for migrate(): one session, so no pool to wait for. */
function asDatabase(db: PgliteInstance): Database {
  const wrap = (c: Pick<PgliteInstance, 'query' | 'exec'>): Queryable => ({
    query: async <R>(text: string, params?: readonly unknown[]) => ({
      rows: (await c.query<R>(text, params as unknown[] | undefined)).rows,
    }),
    exec: async (sql: string) => {
      await c.exec(sql);
    },
  });
  const base = wrap(db);
  return {
    kind: 'embedded',
    saturated: () => false,
    query: base.query,
    exec: base.exec,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}

/**
 * Copies every row of the PGlite database in `dataDir` into `target` (a new, empty embedded database): both are
 * migrated to this bot's schema first (the PGlite side on a copy of its files), then each table's rows go over as
 * JSON in one transaction, with foreign keys and triggers off while they do, and each sequence is set where it was.
 */
export async function carryOverPglite(dataDir: string, target: Database, say: (line: string) => void): Promise<void> {
  let PGlite: new (dir: string) => PgliteInstance;
  try {
    ({ PGlite } = (await import(PGLITE_MODULE)) as { PGlite: new (dir: string) => PgliteInstance });
  } catch {
    throw new EmbeddedDatabaseError(pgliteNeeded(dataDir));
  }
  say(
    `DATA_DIR=${dataDir} holds the database of the earlier embedded default (PGlite): copying its rows into the embedded PostgreSQL (once; the PGlite files are left as they are).`,
  );
  const copy = await mkdtemp(join(tmpdir(), 'incident-bot-pglite-'));
  let source: PgliteInstance | undefined;
  try {
    await cp(dataDir, copy, {
      recursive: true,
      filter: (src) => !OURS.has(relative(dataDir, src).split(sep)[0] ?? ''),
    });
    source = new PGlite(copy);
    await source.waitReady;
    const from = asDatabase(source);
    await migrate(from);
    await migrate(target);
    const counts = await copyRows(from, target);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const list = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
    say(
      `Carried ${total} rows over from PGlite (${list || 'no rows'}). The PGlite files in DATA_DIR are no longer used: once you are satisfied, remove everything in ${dataDir} except pg/, pg.lock and pg.log.`,
    );
  } catch (err) {
    if (err instanceof EmbeddedDatabaseError) throw err;
    throw new EmbeddedDatabaseError(
      `The earlier PGlite database in DATA_DIR=${dataDir} could not be carried over: ${err instanceof Error ? err.message : String(err)}. Its files are untouched. Start the bot again to retry, or set DATA_DIR to a new directory to start empty.`,
    );
  } finally {
    await source?.close().catch(() => {});
    await rm(copy, { recursive: true, force: true }).catch(() => {});
  }
}

async function copyRows(from: Database, to: Database): Promise<Record<string, number>> {
  const { rows: tables } = await to.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname <> 'schema_migrations' ORDER BY 1`,
  );
  const { rows: sequences } = await from.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind = 'S' ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  await to.transaction(async (tx) => {
    // Rows go in table by table, in any order: no foreign-key checks or triggers until the copy is whole.
    await tx.exec('SET LOCAL session_replication_role = replica');
    for (const { name } of tables) {
      const { rows: cols } = await tx.query<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute
         WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`,
        [ident(name)],
      );
      const { rows } = await from.query<{ r: string }>(`SELECT row_to_json(t)::text AS r FROM ${ident(name)} t`);
      const list = cols.map((c) => ident(c.name)).join(', ');
      for (let i = 0; i < rows.length; i += BATCH) {
        const json = `[${rows
          .slice(i, i + BATCH)
          .map((r) => r.r)
          .join(',')}]`;
        await tx.query(
          `INSERT INTO ${ident(name)} (${list}) OVERRIDING SYSTEM VALUE
           SELECT ${list} FROM json_populate_recordset(NULL::${ident(name)}, $1::json)`,
          [json],
        );
      }
      counts[name] = rows.length;
    }
    for (const { name } of sequences) {
      const { rows } = await from.query<{ last: string; called: boolean }>(
        `SELECT last_value::text AS last, is_called AS called FROM ${ident(name)}`,
      );
      const v = rows[0];
      if (!v) continue;
      await tx.query(
        `SELECT setval(c.oid, $2::bigint, $3) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind = 'S'`,
        [name, v.last, v.called],
      );
    }
  });
  return counts;
}
