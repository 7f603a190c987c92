import { createPostgresDatabase, type Database } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
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
  close(): Promise<void>;
}

export async function proxiedDatabase(prefix: string): Promise<ProxiedDatabase> {
  const s = await createTestSchema(prefix);
  const direct = createPostgresDatabase(s.url);
  await migrate(direct);
  const proxy = await TcpProxy.start('127.0.0.1', 5432);
  const viaProxy = createPostgresDatabase(s.url.replace('127.0.0.1:5432', `127.0.0.1:${proxy.port}`), {
    connectionTimeoutMillis: 500,
    queryTimeoutMillis: 1000,
  });
  return {
    direct,
    viaProxy,
    proxy,
    async close() {
      await viaProxy.close();
      await direct.close();
      await s.drop();
    },
  };
}
