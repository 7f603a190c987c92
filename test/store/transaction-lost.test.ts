import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type Database, isDatabaseUnavailable } from '../../src/store/db.js';
import { createTestSchema, TEST_DATABASE_URL } from '../support/test-db.js';

describe('a connection lost in the middle of a transaction', () => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const s = await createTestSchema('lost');
    drop = s.drop;
    db = createPostgresDatabase(s.url);
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('fails the transaction as a lost database, between two statements too, and the process goes on', async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const run = db.transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // Ended by the server while no statement of ours runs: the client hears it as an 'error' event.
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await new Promise((r) => setTimeout(r, 300));
        await tx.query('SELECT 1');
      });
      const err = await run.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).not.toBeNull();
      expect(isDatabaseUnavailable(err)).toBe(true);
      // The pool lends a working connection next.
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
    }
  });
});
