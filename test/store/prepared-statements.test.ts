import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type Database } from '../../src/store/db.js';
import { createTestSchema, TEST_DATABASE_URL } from '../support/test-db.js';

/**
 * Statements with parameters are prepared once per connection and run by name after: the server parses and plans
 * them once (bench/mixed: Postgres' share of the machine fell by a third). A plan the server can no longer use (a
 * table changed shape under it) is prepared again, and DATABASE_PREPARE=off (a pooler that cannot carry them) runs
 * every statement unnamed.
 */
describe('prepared statements', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let admin: pg.Client;
  const dbs: Database[] = [];
  const open = (prepare?: boolean) => {
    const db = createPostgresDatabase(schema.url, { max: 1, ...(prepare === undefined ? {} : { prepare }) });
    dbs.push(db);
    return db;
  };
  /** The statements prepared on the server by the one connection of `db`'s pool. */
  const prepared = async (db: Database) =>
    (await db.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements', [])).rows.map(
      (r) => r.statement,
    );

  beforeAll(async () => {
    schema = await createTestSchema('prep');
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE TABLE ${schema.schema}.thing (id int PRIMARY KEY, name text)`);
    await admin.query(`INSERT INTO ${schema.schema}.thing VALUES (1, 'one'), (2, 'two')`);
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await admin?.end();
    await schema?.drop();
  });

  it('prepares a statement with parameters once on a connection and runs it by name after', async () => {
    const db = open();
    const sql = 'SELECT name FROM thing WHERE id = $1';
    expect((await db.query<{ name: string }>(sql, [1])).rows).toEqual([{ name: 'one' }]);
    expect((await db.query<{ name: string }>(sql, [2])).rows).toEqual([{ name: 'two' }]);
    const names = await prepared(db);
    expect(names.filter((s) => s === sql)).toHaveLength(1);
    // In a transaction too, on the same connection.
    const inTx = await db.transaction(async (tx) => (await tx.query<{ name: string }>(sql, [2])).rows);
    expect(inTx).toEqual([{ name: 'two' }]);
    // Without parameters (several statements, migrations): never named.
    await db.exec('SELECT 1; SELECT 2');
    expect((await prepared(db)).filter((s) => s.includes('SELECT 1'))).toEqual([]);
  });

  it('a table changed under a prepared statement: the statement runs again, prepared afresh, in or out of a transaction', async () => {
    const db = open();
    const sql = 'SELECT * FROM thing WHERE id = $1';
    expect((await db.query(sql, [1])).rows).toEqual([{ id: 1, name: 'one' }]);
    await admin.query(`ALTER TABLE ${schema.schema}.thing ADD COLUMN note text DEFAULT 'n'`);
    expect((await db.query(sql, [1])).rows).toEqual([{ id: 1, name: 'one', note: 'n' }]);
    // Prepared under its new name on this connection, in a transaction; then the table changes again.
    expect(await db.transaction(async (tx) => (await tx.query(sql, [2])).rows)).toEqual([
      { id: 2, name: 'two', note: 'n' },
    ]);
    await admin.query(`ALTER TABLE ${schema.schema}.thing ADD COLUMN extra int DEFAULT 7`);
    let runs = 0;
    const rows = await db.transaction(async (tx) => {
      runs++;
      await tx.query('SELECT 1 WHERE $1::int > 0', [1]);
      return (await tx.query(sql, [2])).rows;
    });
    expect(rows).toEqual([{ id: 2, name: 'two', note: 'n', extra: 7 }]);
    // The stale plan aborted the first run; the transaction ran again, its statements prepared afresh.
    expect(runs).toBe(2);
  });

  it('with prepare off, nothing is prepared', async () => {
    const db = open(false);
    expect((await db.query('SELECT name FROM thing WHERE id = $1 AND true', [1])).rows).toEqual([{ name: 'one' }]);
    expect(await prepared(db)).toEqual([]);
  });
});
