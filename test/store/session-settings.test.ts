import { afterEach, expect, it } from 'vitest';
import { createPostgresDatabase, type Database, DatabaseUnavailableError } from '../../src/store/db.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTestSchema, withSearchPath } from '../support/test-db.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

it('each connection asks the server for keepalives and a limit on idle transactions; a transaction cut off by a partition ends, and its locks go', async () => {
  const schema = await createTestSchema('sess');
  cleanups.push(schema.drop);
  const direct = createPostgresDatabase(schema.url);
  cleanups.push(() => direct.close());
  await direct.exec('CREATE TABLE probe (id int PRIMARY KEY, n int NOT NULL DEFAULT 0); INSERT INTO probe VALUES (1)');

  const proxy = await TcpProxy.start('127.0.0.1', 5432);
  cleanups.push(() => proxy.cut());
  const url = withSearchPath(`postgresql://postgres@127.0.0.1:${proxy.port}/test`, schema.schema);
  const db: Database = createPostgresDatabase(url, { idleInTransactionMs: 1_000 });
  cleanups.push(() => db.close());
  const { rows } = await db.query<{ idle: string; keepalive: string }>(
    `SELECT current_setting('idle_in_transaction_session_timeout') AS idle,
            current_setting('tcp_keepalives_idle') AS keepalive`,
  );
  expect(rows[0]).toEqual({ idle: '1s', keepalive: '30' });

  // A transaction takes the row's lock, then the network between it and the server goes silent for good.
  let locked!: () => void;
  const lockTaken = new Promise<void>((r) => {
    locked = r;
  });
  const held = db
    .transaction(async (tx) => {
      await tx.query('SELECT n FROM probe WHERE id = $1 FOR UPDATE', [1]);
      locked();
      await new Promise<void>((r) => {
        release = r;
      });
    })
    .catch(() => {});
  let release = () => {};
  cleanups.push(async () => {
    await proxy.cut();
    release();
    await held;
  });
  await lockTaken;
  proxy.freeze();

  // The server ends that session once it has been idle in its transaction for the limit: the row can be changed.
  const started = Date.now();
  await direct.query('UPDATE probe SET n = n + 1 WHERE id = $1', [1]);
  expect(Date.now() - started).toBeLessThan(4_000);
}, 30_000);

it('a network gone silent: a transaction fails after one query timeout (no second wait for its ROLLBACK), and a pool of hung connections is an outage, not "overloaded"', async () => {
  const schema = await createTestSchema('silent');
  cleanups.push(schema.drop);
  const proxy = await TcpProxy.start('127.0.0.1', 5432);
  cleanups.push(() => proxy.cut());
  const url = withSearchPath(`postgresql://postgres@127.0.0.1:${proxy.port}/test`, schema.schema);
  const db: Database = createPostgresDatabase(url, { queryTimeoutMillis: 1_000, connectionTimeoutMillis: 500, max: 2 });
  cleanups.push(() => db.close());
  // Two connections open and idle, as after a quiet spell: each transaction holds its connection until both have one
  // (two statements one after the other, on a busy machine, could have shared one connection).
  let arrived = 0;
  let bothIn = () => {};
  const both = new Promise<void>((r) => {
    bothIn = r;
  });
  const holdOne = (tx: { query(sql: string): Promise<unknown> }) =>
    tx.query('SELECT 1').then(async () => {
      if (++arrived === 2) bothIn();
      await both;
    });
  await Promise.all([db.transaction(holdOne), db.transaction(holdOne)]);
  proxy.freeze();
  const started = Date.now();
  const failures = await Promise.all([
    db.transaction((tx) => tx.query('SELECT 1')).catch((e: unknown) => e),
    db.transaction((tx) => tx.query('SELECT 1')).catch((e: unknown) => e),
    // The pool is full of connections that do not answer: this one cannot get a connection.
    db.query('SELECT 1').catch((e: unknown) => e),
  ]);
  expect(Date.now() - started).toBeLessThan(1_900); // one query timeout, not two
  for (const f of failures) expect(f).toBeInstanceOf(DatabaseUnavailableError);
}, 30_000);
