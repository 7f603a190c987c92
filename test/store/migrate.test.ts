import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  loadMigrations,
  type Migration,
  MigrationMismatchError,
  migrate,
  migrateAtStart,
  migrationChecksum,
} from '../../src/store/migrate.js';
import { forEachDatabase } from './databases.js';

const TABLES = [
  'action_item_dms',
  'action_items',
  'alert_deliveries',
  'alert_delivery_hashes',
  'alert_fired_elsewhere_messages',
  'alert_group_truncations',
  'alert_heartbeats',
  'alert_incidents',
  'alert_joined_messages',
  'alert_private_storms',
  'alert_step_posts',
  'alert_storm_messages',
  'alert_storm_withdrawals',
  'alerts',
  'audit_log',
  'change_followups',
  'declarations',
  'escalation_jobs',
  'incident_counters',
  'incident_events',
  'incident_members',
  'incident_playbooks',
  'incidents',
  'maintenance_windows',
  'notification_deliveries',
  'notification_jobs',
  'oncall_handoffs',
  'oncall_overrides',
  'page_deliveries',
  'pagerduty_incidents',
  'pages',
  'playbook_run_events',
  'playbook_runs',
  'postmortem_versions',
  'postmortems',
  'request_keys',
  'rollback_lists',
  'schema_migrations',
  'status_page_updates',
  'step_approvals',
  'step_checks',
  'step_runs',
];
/** Every shipped migration's version, in order (1, 2, …). */
const ALL = (await loadMigrations()).map((m) => m.version);
const NAMES = (await loadMigrations()).map((m) => [m.version, m.name]);

describe('loadMigrations', () => {
  it('reads the numbered SQL files in order', async () => {
    const all = await loadMigrations();
    expect(all.length).toBeGreaterThanOrEqual(1);
    expect(all[0]).toMatchObject({ version: 1, name: '001_incidents.sql' });
    expect(all[0]!.sql).toContain('CREATE TABLE incidents');
    const versions = all.map((m) => m.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(versions.length);
  });
});

forEachDatabase(
  (ctx) => {
    const tables = async (db = ctx.db) => {
      const { rows } = await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
      );
      return rows.map((r) => r.table_name);
    };
    const recorded = async (db = ctx.db) => {
      const { rows } = await db.query<{ version: number; name: string; applied_at: Date }>(
        'SELECT version, name, applied_at FROM schema_migrations ORDER BY version',
      );
      return rows;
    };

    it('applies every migration on an empty database, records it, and creates the tables', async () => {
      const { db } = await ctx.fresh();
      expect(await tables(db)).toEqual([]);
      expect(await migrate(db)).toEqual(ALL);
      expect(ALL[0]).toBe(1);
      expect(await tables(db)).toEqual(TABLES);
      const rows = await recorded(db);
      expect(rows.map((r) => [Number(r.version), r.name])).toEqual(NAMES);
      expect(rows[0]!.applied_at).toBeInstanceOf(Date);
    });

    it('applies nothing the second time', async () => {
      const { db } = await ctx.fresh();
      expect(await migrate(db)).toEqual(ALL);
      expect(await migrate(db)).toEqual([]);
      expect(await recorded(db)).toHaveLength(ALL.length);
    });

    it('applies only the migrations not yet recorded, in order', async () => {
      const { db } = await ctx.fresh();
      const base = await loadMigrations();
      await migrate(db, base);
      const more: Migration[] = [
        { version: 901, name: '901_c.sql', sql: 'ALTER TABLE t2 ADD COLUMN c int;' },
        { version: 900, name: '900_b.sql', sql: 'CREATE TABLE t2 (a int); CREATE TABLE t2b (a int);' },
      ].sort((a, b) => a.version - b.version);
      expect(await migrate(db, [...base, ...more])).toEqual([900, 901]);
      expect(await migrate(db, [...base, ...more])).toEqual([]);
      expect((await recorded(db)).map((r) => Number(r.version))).toEqual([...ALL, 900, 901]);
    });

    it('at start, a migration slower than the pool allows a statement is applied: it runs on a connection of its own', async () => {
      const fresh = await ctx.fresh({ queryTimeoutMillis: 400 });
      const { db } = fresh;
      // What was stored is read through a pool of the usual limit (5 s): reading information_schema took a loaded
      // machine past 400 ms (CI), a failure of the reading, not of the migration.
      const reader = fresh.connectAgain({});
      const base = await loadMigrations();
      const slow: Migration = {
        version: 950,
        name: '950_slow.sql',
        sql: 'SELECT pg_sleep(1); CREATE TABLE slow_done (a int);',
      };
      // Through the bot's pool, the statement limit ends it (and with it the start).
      await expect(migrate(db, [...base, slow])).rejects.toThrow(/timeout/i);
      expect(await tables(reader)).toEqual([]);
      expect(await migrateAtStart(db, [...base, slow])).toEqual([...ALL, 950]);
      expect(await tables(reader)).toContain('slow_done');
      // The bot's pool is still its own, with its limit.
      await expect(db.query('SELECT pg_sleep(1)')).rejects.toThrow(/timeout|cannot be reached/i);
    });

    it('rolls back every migration of a run when one fails', async () => {
      const { db } = await ctx.fresh();
      const base = await loadMigrations();
      const broken: Migration = { version: 999, name: '999_broken.sql', sql: 'CREATE TABLE nope (a int); SELEC 1;' };
      await expect(migrate(db, [...base, broken])).rejects.toThrow();
      expect(await tables(db)).toEqual([]);
      expect(await migrate(db, base)).toEqual(ALL);
    });

    const checksums = async (db = ctx.db) => {
      const { rows } = await db.query<{ version: number; checksum: string | null }>(
        'SELECT version, checksum FROM schema_migrations ORDER BY version',
      );
      return rows.map((r) => [Number(r.version), r.checksum]);
    };
    /** What migrate() throws, checked to be a refusal. */
    const refusal = async (p: Promise<unknown>): Promise<MigrationMismatchError> => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MigrationMismatchError);
      return err as MigrationMismatchError;
    };

    it('records the SHA-256 of each migration it applies', async () => {
      const { db } = await ctx.fresh();
      const base = await loadMigrations();
      await migrate(db, base);
      const sha = (s: string) => createHash('sha256').update(s).digest('hex');
      expect(await checksums(db)).toEqual(base.map((m) => [m.version, sha(m.sql)]));
      expect(migrationChecksum('SELECT 1;\r\nSELECT 2;\r\n')).toBe(sha('SELECT 1;\nSELECT 2;\n'));
    });

    it('fills in the checksums of a database migrated before they were recorded, and applies nothing again', async () => {
      const { db } = await ctx.fresh();
      const base = await loadMigrations();
      // The table and rows as the earlier code left them: no checksum column.
      await db.exec(`CREATE TABLE schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      for (const m of base) {
        await db.exec(m.sql);
        await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      }
      expect(await migrate(db, base)).toEqual([]);
      expect(await checksums(db)).toEqual(base.map((m) => [m.version, migrationChecksum(m.sql)]));
      expect(await tables(db)).toEqual(TABLES);
      // From then on an edit is seen.
      const edited = base.map((m) => (m.version === 2 ? { ...m, sql: `${m.sql}\n-- tweak\n` } : m));
      expect((await refusal(migrate(db, edited))).code).toBe('migration_edited');
    });

    it('refuses a migration edited after it was applied, naming the file, and changes nothing', async () => {
      const { db } = await ctx.fresh();
      const base = await loadMigrations();
      await migrate(db, base);
      const third = base.find((m) => m.version === 3)!;
      const edited = base.map((m) =>
        m === third ? { ...m, sql: `${m.sql}\nALTER TABLE incidents ADD COLUMN oops int;\n` } : m,
      );
      const next: Migration = { version: 900, name: '900_next.sql', sql: 'CREATE TABLE next_thing (a int);' };
      const err = await refusal(migrate(db, [...edited, next]));
      expect(err.code).toBe('migration_edited');
      expect(err.message).toContain(`The migration ${third.name} was changed after it was applied`);
      expect(err.message).toContain('new numbered migration');
      // Nothing of the run was applied: not the later migration, not the edit.
      expect(await tables(db)).toEqual(TABLES);
      expect((await recorded(db)).map((r) => Number(r.version))).toEqual(ALL);
      // Line endings alone are not an edit.
      const crlf = base.map((m) => (m === third ? { ...m, sql: m.sql.replace(/\n/g, '\r\n') } : m));
      expect(await migrate(db, crlf)).toEqual([]);
    });

    it('refuses a database migrated by a newer version of the code, naming its migrations', async () => {
      const { db } = await ctx.fresh();
      const base = await loadMigrations();
      const newer: Migration[] = [
        { version: 900, name: '900_b.sql', sql: 'CREATE TABLE t900 (a int);' },
        { version: 901, name: '901_c.sql', sql: 'ALTER TABLE t900 ADD COLUMN c int;' },
      ];
      expect(await migrate(db, [...base, ...newer])).toEqual([...ALL, 900, 901]);
      const err = await refusal(migrate(db, base));
      expect(err.code).toBe('database_newer');
      expect(err.message).toContain('The database has migrations 900_b.sql, 901_c.sql');
      expect(err.message).toContain(`its newest is ${base.at(-1)!.name}`);
      expect(err.message).toContain('a newer version of the bot migrated this database');
      // The code that knows them still starts.
      expect(await migrate(db, [...base, ...newer])).toEqual([]);
    });

    it('each fresh database lives in its own schema', async () => {
      const a = await ctx.fresh();
      const b = await ctx.fresh();
      const schemaOf = async (db: typeof a.db) =>
        (await db.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s;
      expect(await schemaOf(a.db)).toBe(a.schema);
      expect(await schemaOf(b.db)).toBe(b.schema);
      expect(a.schema).toMatch(/^t_[0-9a-f]{12}$/);
      expect(a.schema).not.toBe(b.schema);
      await migrate(a.db);
      expect(await tables(a.db)).toEqual(TABLES);
      expect(await tables(b.db)).toEqual([]);
    });

    it('the suite database is migrated and usable', async () => {
      expect(await tables()).toEqual(TABLES);
      expect(await migrate(ctx.db)).toEqual([]);
    });

    it('two concurrent migrate() calls on one schema both succeed and apply each migration once (advisory lock)', async () => {
      const fresh = await ctx.fresh();
      const a = fresh.db;
      const b = fresh.connectAgain();
      expect(a).not.toBe(b);
      const results = await Promise.all([migrate(a), migrate(b)]);
      expect(results.flat()).toEqual(ALL);
      expect([...results].sort((x, y) => x.length - y.length)).toEqual([[], ALL]);
      expect(await recorded(a)).toHaveLength(ALL.length);
      expect(await tables(b)).toEqual(TABLES);
    });

    it('five concurrent runs still apply once', async () => {
      const fresh = await ctx.fresh();
      const dbs = [fresh.db, ...Array.from({ length: 4 }, () => fresh.connectAgain())];
      const results = await Promise.all(dbs.map((d) => migrate(d)));
      expect(results.flat()).toEqual(ALL);
    });
  },
  {
    migrate: true,
    // Pools with no statement limit, as migrateAtStart's connection: migrate() waits for the migrations' advisory lock,
    // one for the whole server, behind every other test file's migrations, and through the usual 5 s read timeout that
    // wait failed on a loaded machine ('Query read timeout'). The test of a statement limit sets its own.
    postgres: { queryTimeoutMillis: 0 },
  },
);
