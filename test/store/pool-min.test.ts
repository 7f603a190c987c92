import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../src/store/db.js';
import { TEST_DATABASE_URL } from '../support/test-db.js';

/**
 * `min` connections are opened when the pool is made and kept however long unused, so the first requests after a
 * quiet spell (the acknowledging front's alert pool: a storm's first alerts) do not wait for a connection to be set
 * up; connections above it still close once idle.
 */
let admin: pg.Client;
beforeAll(async () => {
  admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
});
afterAll(() => admin?.end());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('opens `min` connections at once and keeps them past the idle timeout; the others close', async () => {
  const name = `pool-min-${randomUUID().slice(0, 8)}`;
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('application_name', name);
  const open = async () =>
    Number(
      (
        await admin.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [
          name,
        ])
      ).rows[0]!.n,
    );
  const db = createPostgresDatabase(url.toString(), { max: 6, min: 3, idleTimeoutMillis: 300 });
  try {
    for (let i = 0; i < 50 && (await open()) < 3; i++) await sleep(100);
    expect(await open()).toBe(3); // before any query
    // Six at once: three more connections, which close once idle.
    await Promise.all(Array.from({ length: 6 }, () => db.query('SELECT pg_sleep(0.1)', [])));
    expect(await open()).toBe(6);
    await sleep(1500);
    expect(await open()).toBe(3);
  } finally {
    await db.close();
  }
  for (let i = 0; i < 50 && (await open()) > 0; i++) await sleep(100);
  expect(await open()).toBe(0);
});
