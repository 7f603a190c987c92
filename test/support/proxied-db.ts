import { afterAll, beforeAll } from 'vitest';
import { createPostgresDatabase, type Database } from '../../src/store/db.js';
import { migrateAtStart } from '../../src/store/migrate.js';
import { type BotHarness, type HarnessOptions, startBot } from './bot-harness.js';
import { TcpProxy } from './tcp-proxy.js';
import { createTestSchema } from './test-db.js';

/**
 * A migrated schema of its own, reached two ways: `direct`, and `viaProxy` through a TCP proxy the test cuts and
 * restores (the database lost and back, the process staying up), with short timeouts so a cut is seen at once.
 */
export interface ProxiedDatabase {
  direct: Database;
  viaProxy: Database;
  proxy: TcpProxy;
  /** The schema's address through the proxy, for a pool of one's own (a bot's). */
  urlViaProxy: string;
  close(): Promise<void>;
}

export async function proxiedDatabase(prefix: string): Promise<ProxiedDatabase> {
  const s = await createTestSchema(prefix);
  const direct = createPostgresDatabase(s.url);
  await migrateAtStart(direct);
  const proxy = await TcpProxy.start('127.0.0.1', 5432);
  const urlViaProxy = s.url.replace('127.0.0.1:5432', `127.0.0.1:${proxy.port}`);
  const viaProxy = createPostgresDatabase(urlViaProxy, {
    connectionTimeoutMillis: 500,
    queryTimeoutMillis: 1000,
  });
  return {
    direct,
    viaProxy,
    proxy,
    urlViaProxy,
    async close() {
      await viaProxy.close();
      await direct.close();
      await s.drop();
    },
  };
}

/**
 * A proxied database for the tests of the enclosing `describe` (or file): made before them, closed after them. Its
 * fields are there once the tests run (not when this is called).
 */
export function useProxiedDatabase(prefix: string): ProxiedDatabase {
  const db = {} as ProxiedDatabase;
  beforeAll(async () => {
    Object.assign(db, await proxiedDatabase(prefix));
  });
  afterAll(async () => {
    await db.close?.();
  });
  return db;
}

/**
 * The bot (startBot with `opts`) on a proxied database, for the tests of the enclosing `describe`: `db.proxy` cuts
 * and restores the bot's database, `db.direct` reads what was really stored. Started before the tests, stopped after.
 */
export function useBotBehindProxy(
  opts: Omit<HarnessOptions, 'database' | 'databaseUrl'> = {},
  prefix = 'e2e',
): { bot: BotHarness; db: ProxiedDatabase } {
  const bot = {} as BotHarness;
  const db = {} as ProxiedDatabase;
  beforeAll(async () => {
    Object.assign(db, await proxiedDatabase(prefix));
    Object.assign(bot, await startBot({ ...opts, databaseUrl: db.urlViaProxy }));
  });
  afterAll(async () => {
    await bot.stop?.().catch(() => {});
    await db.close?.();
  });
  return { bot, db };
}
