import { describe, expect, it } from 'vitest';
import { notingChanges } from '../../src/audit/noted-changes.js';
import { changedInRequest, withRequest } from '../../src/audit/request-context.js';
import type { Database } from '../../src/store/db.js';

/** A database that answers every statement with no rows, and runs a transaction's body (failing when told to). */
function fakeDb(): Database {
  const q = { query: async () => ({ rows: [] as never[] }), exec: async () => {} };
  return {
    ...q,
    kind: 'postgres',
    saturated: () => false,
    transaction: (fn) => fn(q),
    close: async () => {},
  };
}

const changedBy = (work: (db: Database) => Promise<unknown>) =>
  withRequest({ requestId: 'r' }, async () => {
    await work(notingChanges(fakeDb())).catch(() => {});
    return changedInRequest();
  });

describe('notingChanges: what a request changed, for its error path', () => {
  it('notes a committed transaction and a write run on its own', async () => {
    expect(await changedBy((db) => db.transaction(async () => 1))).toBe(true);
    expect(await changedBy((db) => db.query('INSERT INTO action_items (text) VALUES ($1)', ['x']))).toBe(true);
    expect(await changedBy((db) => db.query('WITH x AS (SELECT 1) UPDATE incidents i SET title = $1', ['t']))).toBe(
      true,
    );
    expect(await changedBy((db) => db.query('DELETE FROM request_keys WHERE key = $1', ['k']))).toBe(true);
  });

  it('does not note reads, a row locked for update, or a transaction that failed (rolled back)', async () => {
    expect(await changedBy((db) => db.query('SELECT * FROM incidents WHERE id = $1', [1]))).toBe(false);
    expect(await changedBy((db) => db.query('SELECT * FROM incidents WHERE id = $1 FOR UPDATE', [1]))).toBe(false);
    expect(
      await changedBy((db) =>
        db.transaction(async () => {
          throw new Error('refused');
        }),
      ),
    ).toBe(false);
  });

  it('notes nothing outside a request, and passes the rest of the database through', async () => {
    const db = notingChanges(fakeDb());
    await db.transaction(async () => 1);
    expect(changedInRequest()).toBe(false);
    expect([db.kind, db.saturated()]).toEqual(['postgres', false]);
  });
});
