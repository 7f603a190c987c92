/**
 * A DATA_DIR left by the earlier embedded default (PGlite, its files directly in DATA_DIR): the first start of the
 * embedded PostgreSQL copies its rows over and leaves the files as they were; a PGlite database that cannot be read
 * stops the start with a message, and nothing of the new cluster is kept, so the next start tries again.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database, Queryable } from '../../src/store/db.js';
import { createEmbeddedDatabase, EmbeddedDatabaseError } from '../../src/store/embedded-db.js';
import { insertEvent, listEvents } from '../../src/store/event.repo.js';
import { getIncident, insertIncident } from '../../src/store/incident.repo.js';
import { migrate } from '../../src/store/migrate.js';
import { tempDataDir } from '../support/embedded-db.js';

const removals: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const r of removals) await r();
});

/** PGlite as the bot's Database, as the earlier default opened it. */
function pgliteDatabase(db: PGlite): Database {
  const wrap = (c: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
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
    ...base,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}

/** Name, size and modification time of every file in a directory tree, to see that nothing was written. */
async function snapshot(dir: string, skip: Set<string>): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    if (skip.has(entry.split('/')[0] ?? '')) continue;
    const st = await stat(join(dir, entry));
    if (st.isFile()) out.push(`${entry} ${st.size} ${st.mtimeMs}`);
  }
  return out.sort();
}

const OURS = new Set(['pg', 'pg.lock', 'pg.log']);

describe('carrying the PGlite data over', () => {
  it('copies every row, keeps ids and sequences, and leaves the PGlite files as they were', async () => {
    const data = await tempDataDir('bot-pglite-');
    removals.push(data.remove);
    const lite = pgliteDatabase(new PGlite(data.dir));
    await migrate(lite);
    const first = await insertIncident(lite, {
      teamId: 'T1',
      number: 1,
      title: 'db down 🔥',
      severity: 1,
      reporterId: 'U1',
    });
    const second = await insertIncident(lite, {
      teamId: 'T1',
      number: 2,
      title: 'api slow',
      severity: 2,
      reporterId: 'U2',
    });
    await insertEvent(lite, first.id, 'declared', 'U1', { note: 'kept as JSON', list: [1, 2] });
    await lite.close();
    const before = await snapshot(data.dir, OURS);

    const lines: string[] = [];
    const db = await createEmbeddedDatabase({ dataDir: data.dir, log: (l) => lines.push(l) });
    try {
      expect(lines.join('\n')).toMatch(/holds the database of the earlier embedded default \(PGlite\)/);
      expect(lines.join('\n')).toMatch(/Carried \d+ rows over from PGlite \(.*incidents 2.*\)/);
      expect(await getIncident(db, first.id)).toEqual(first);
      expect(await getIncident(db, second.id)).toEqual(second);
      const events = await listEvents(db, first.id);
      expect(events.map((e) => [e.kind, e.details])).toContainEqual([
        'declared',
        { note: 'kept as JSON', list: [1, 2] },
      ]);
      // The identity sequences go on where PGlite's were.
      const third = await insertIncident(db, { teamId: 'T1', number: 3, title: 'new', severity: 3, reporterId: 'U1' });
      expect(third.id).toBe(second.id + 1);
      // Foreign keys hold again after the copy.
      await expect(insertEvent(db, 999_999, 'declared', 'U1')).rejects.toThrow(/foreign key/);
    } finally {
      await db.close();
    }
    expect(await snapshot(data.dir, OURS)).toEqual(before);

    // Once only: the next start finds the cluster and copies nothing.
    const again: string[] = [];
    const db2 = await createEmbeddedDatabase({ dataDir: data.dir, log: (l) => again.push(l) });
    try {
      expect(again.join('\n')).not.toContain('PGlite');
      const { rows } = await db2.query<{ n: number }>('SELECT count(*)::int AS n FROM incidents');
      expect(rows[0]!.n).toBe(3);
    } finally {
      await db2.close();
    }
  }, 300_000);

  it('a PGlite database that cannot be read stops the start with a message, and the next start tries again', async () => {
    const data = await tempDataDir('bot-pglite-bad-');
    removals.push(data.remove);
    await writeFile(join(data.dir, 'PG_VERSION'), '17\n');
    await mkdir(join(data.dir, 'base'));
    const err = await createEmbeddedDatabase({ dataDir: data.dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddedDatabaseError);
    expect((err as Error).message).toContain(
      `The earlier PGlite database in DATA_DIR=${data.dir} could not be carried over`,
    );
    expect((err as Error).message).toContain('Its files are untouched');
    // No cluster is left, so the next start carries over again rather than starting empty; the lock is given back.
    expect((await readdir(data.dir)).sort()).toEqual(['PG_VERSION', 'base', 'pg.log']);
  }, 300_000);
});
