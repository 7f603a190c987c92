import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

/**
 * Two transactions that lock the same two rows in opposite orders deadlock; Postgres ends one of them (40P01). The
 * store runs the loser again, so both changes land and nobody sees the error (found under load: resolving an incident
 * while its escalation timer fired).
 */
describe('a transaction Postgres ends for a deadlock', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    await t.db.exec('CREATE TABLE pair (id int PRIMARY KEY, n int NOT NULL); INSERT INTO pair VALUES (1, 0), (2, 0);');
  });
  afterAll(async () => t?.dispose());

  it('is run again, and both sides commit', async () => {
    let firstLocks = 0;
    let release!: () => void;
    const bothHoldOne = new Promise<void>((r) => {
      release = r;
    });
    const attempts = { a: 0, b: 0 };
    const side = (name: 'a' | 'b', first: number, second: number) => async (tx: Queryable) => {
      attempts[name]++;
      await tx.query('UPDATE pair SET n = n + 1 WHERE id = $1', [first]);
      // On the first attempt each side waits until the other holds its first row: a certain deadlock.
      if (attempts[name] === 1) {
        if (++firstLocks === 2) release();
        await bothHoldOne;
      }
      await tx.query('UPDATE pair SET n = n + 1 WHERE id = $1', [second]);
      return name;
    };
    const results = await Promise.all([t.db.transaction(side('a', 1, 2)), t.db.transaction(side('b', 2, 1))]);
    expect(results).toEqual(['a', 'b']);
    expect(attempts.a + attempts.b).toBe(3); // one of them ran twice
    const { rows } = await t.db.query<{ id: number; n: number }>('SELECT id, n FROM pair ORDER BY id');
    expect(rows).toEqual([
      { id: 1, n: 2 },
      { id: 2, n: 2 },
    ]);
  });

  it('any other error is not retried', async () => {
    let runs = 0;
    await expect(
      t.db.transaction(async (tx) => {
        runs++;
        await tx.query('SELECT nope FROM pair');
      }),
    ).rejects.toThrow(/nope/);
    expect(runs).toBe(1);
  });
});
