import { createPostgresDatabase, type Database } from './db.js';
import { type EmbeddedServerOptions, startEmbeddedPostgres } from './embedded-postgres.js';
import { carryOverPglite, hasPgliteData } from './pglite-carry-over.js';

export { EmbeddedDatabaseError } from './embedded-postgres.js';

/**
 * The default database without DATABASE_URL: the embedded PostgreSQL server (see embedded-postgres.ts) behind the
 * same pool as any Postgres. The first start on a DATA_DIR that holds the earlier PGlite default's files carries
 * their rows over (and leaves the files as they are). `close()` ends the pool, then stops the server.
 */
export async function createEmbeddedDatabase(opts: EmbeddedServerOptions): Promise<Database> {
  const server = await startEmbeddedPostgres(opts);
  // The embedded server allows 40 connections (the bot's 10, and room for psql, pg_dump and a second pool). Each is a
  // server process of 10 to 20 MB on the bot's own machine, and a new one over the Unix socket takes a few ms: an idle
  // bot gives back what it does not use within 3 s (a burst of Home tab refreshes opens several).
  const db = createPostgresDatabase(server.connection, { max: 10, idleTimeoutMillis: 3_000 });
  if (server.created && (await hasPgliteData(server.dataDir))) {
    try {
      await carryOverPglite(server.dataDir, db, opts.log ?? (() => {}));
    } catch (err) {
      await db.close().catch(() => {});
      // The new cluster goes, so the next start tries again; the PGlite files were only read.
      await server.discard();
      throw err;
    }
  }
  return {
    ...db,
    kind: 'embedded',
    embedded: {
      dataDir: server.clusterDir,
      runAs: server.runAs,
      logFile: server.logFile,
      connection: server.connection,
      pid: server.pid,
      state: server.state,
    },
    async close() {
      await db.close();
      await server.stop();
    },
  };
}
