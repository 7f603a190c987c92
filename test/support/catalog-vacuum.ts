/**
 * Vitest's global set-up: keeps the test server's system catalogs vacuumed while the suite runs.
 *
 * The suite makes and drops many schemas (each with some forty tables, their columns, indexes and triggers), and a
 * server may run without autovacuum (this project's CI machine does): every dropped schema then leaves its catalog
 * rows dead in place. One run of the suite left pg_attribute at 186 MB with 838,000 dead rows for 7,500 live ones, and
 * every new connection (which reads the catalogs to start) and every statement that looks a table up paid for it: a
 * lookup of one schema's columns took 110 ms instead of 2, and the server's CPU went mostly to that.
 *
 * So: at start, a catalog grown past CATALOG_FULL_BYTES is rewritten (VACUUM FULL, a second or so, and only if it can
 * have its lock within LOCK_WAIT: another run on the same server is not held up); while the tests run, the catalogs are
 * vacuumed every VACUUM_EVERY_MS (dead rows made reusable, so they stop growing). Failures are ignored: the tests run
 * as they would without it.
 */
import pg from 'pg';
import { TEST_DATABASE_URL } from './test-db.js';

const CATALOGS = [
  'pg_attribute',
  'pg_depend',
  'pg_class',
  'pg_type',
  'pg_constraint',
  'pg_index',
  'pg_attrdef',
  'pg_trigger',
  'pg_proc',
  'pg_namespace',
  'pg_sequence',
  'pg_description',
].map((t) => `pg_catalog.${t}`);
const CATALOG_FULL_BYTES = 32 * 1024 * 1024;
const VACUUM_EVERY_MS = 20_000;
const LOCK_WAIT = '2s';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T | undefined> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  try {
    await c.connect();
    return await fn(c);
  } catch {
    // The tests (or the bench) run as they would without it.
    return undefined;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * Rewrites (VACUUM FULL) the catalogs of the database at `url` grown past CATALOG_FULL_BYTES, each only if it can have
 * its lock within LOCK_WAIT; the names of those rewritten. The benches run it too: a bench measures the bot, not how
 * many schemas the server's earlier test runs left dead in its catalogs.
 */
export async function vacuumBloatedCatalogs(url = TEST_DATABASE_URL): Promise<string[]> {
  const done = await withClient(url, async (c) => {
    const { rows } = await c.query<{ name: string }>(
      `SELECT 'pg_catalog.' || relname AS name FROM pg_class
        WHERE relnamespace = 'pg_catalog'::regnamespace AND relname = ANY($1) AND pg_total_relation_size(oid) > $2`,
      [CATALOGS.map((t) => t.split('.')[1]), CATALOG_FULL_BYTES],
    );
    await c.query(`SET lock_timeout = '${LOCK_WAIT}'`);
    const rewritten: string[] = [];
    for (const { name } of rows) {
      if (
        await c.query(`VACUUM FULL ${name}`).then(
          () => true,
          () => false,
        )
      )
        rewritten.push(name);
    }
    return rewritten;
  });
  return done ?? [];
}

export default async function setup(): Promise<() => Promise<void>> {
  await vacuumBloatedCatalogs();
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = withClient(TEST_DATABASE_URL, (c) => c.query(`VACUUM ${CATALOGS.join(', ')}`));
  }, VACUUM_EVERY_MS);
  return async () => {
    clearInterval(timer);
    await running;
  };
}
