import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createPostgresDatabase, type Database, type Queryable } from './db.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Arbitrary constant: every replica takes the same advisory lock, so only one migrates at a time. */
const MIGRATION_LOCK_KEY = 727_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const out: Migration[] = [];
  for (const f of files) {
    out.push({ version: Number.parseInt(f, 10), name: f, sql: await readFile(dir + f, 'utf8') });
  }
  return out;
}

/**
 * The SHA-256 of a migration's SQL, recorded when it is applied. Line endings are read as `\n`, so a checkout that
 * turned them into `\r\n` is not taken for an edit.
 */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** The database and the migrations of this code do not belong together: the bot must not start on it. */
export class MigrationMismatchError extends Error {
  constructor(
    readonly code: 'migration_edited' | 'database_newer',
    message: string,
  ) {
    super(message);
    this.name = 'MigrationMismatchError';
  }
}

interface Recorded {
  version: number;
  name: string;
  checksum: string | null;
}

/**
 * Applies the numbered SQL files not yet recorded, in order, under an advisory lock, in one transaction, and records
 * each with the checksum of its SQL. Before applying anything it refuses (MigrationMismatchError, nothing changed) a
 * database that has a migration this code does not know (it was migrated by a newer version of the bot) and one whose
 * recorded checksum differs from the file's (a shipped migration was edited). Rows recorded before checksums were kept
 * get the checksum of the file as it is now.
 */
export async function migrate(db: Database, migrations?: Migration[]): Promise<number[]> {
  const all = migrations ?? (await loadMigrations());
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      checksum text
    )`);
    // Databases migrated before checksums were recorded have the table without the column.
    await tx.exec('ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text');
    const { rows } = await tx.query<Recorded>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
    await checkRecorded(tx, rows, all);
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of all) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        migrationChecksum(m.sql),
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}

/**
 * migrate() at start, on a connection of its own with no limit on how long a statement takes. The bot's pool gives up
 * on a statement after 5 s (a person must hear back within Slack's 3 s), and a migration may take longer: a new index
 * on a table of years of incidents, or a second replica waiting for the first one's migrations to finish (the advisory
 * lock). Through the pool either ended the start with "cannot open the database". A database with no second pool to
 * be had (no `connection`) is migrated through its own.
 */
export async function migrateAtStart(db: Database, migrations?: Migration[]): Promise<number[]> {
  if (!db.connection) return migrate(db, migrations);
  const own = createPostgresDatabase(db.connection, { queryTimeoutMillis: 0, max: 1, prepare: db.prepare ?? true });
  try {
    return await migrate(own, migrations);
  } finally {
    await own.close();
  }
}

/** Refuses a database newer than the code or an edited migration; fills in the checksums not recorded yet. */
async function checkRecorded(tx: Queryable, rows: Recorded[], all: Migration[]): Promise<void> {
  const known = new Map(all.map((m) => [m.version, m]));
  const unknown = rows.filter((r) => !known.has(Number(r.version)));
  if (unknown.length) {
    const names = unknown.map((r) => r.name).join(', ');
    const newest = all.at(-1)?.name ?? 'none';
    throw new MigrationMismatchError(
      'database_newer',
      `The database has ${unknown.length === 1 ? 'migration' : 'migrations'} ${names}, which this version of the bot ` +
        `does not have (its newest is ${newest}): a newer version of the bot migrated this database. Run that ` +
        'version (or a later one) here; an older version must not run against a newer database.',
    );
  }
  for (const r of rows) {
    const m = known.get(Number(r.version))!;
    const checksum = migrationChecksum(m.sql);
    if (r.checksum === null) {
      await tx.query('UPDATE schema_migrations SET checksum = $2 WHERE version = $1', [r.version, checksum]);
    } else if (r.checksum !== checksum) {
      throw new MigrationMismatchError(
        'migration_edited',
        `The migration ${m.name} was changed after it was applied to this database (its SHA-256 differs from ` +
          `the one recorded when ${r.name} was applied). A migration is never edited once shipped: put ${m.name} ` +
          'back as it was, and make the change in a new numbered migration.',
      );
    }
  }
}
