import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncidentService } from '../../src/incidents/incident.service.js';
import type { IncidentChat } from '../../src/incidents/ports.js';
import { createPostgresDatabase, type Database, DatabaseBusyError } from '../../src/store/db.js';
import { migrateAtStart } from '../../src/store/migrate.js';
import { createTestSchema } from '../support/test-db.js';

const quiet = { info() {}, warn() {}, error() {} };
const noChat: IncidentChat = {
  openChannel: async () => ({ channelId: 'C1', channelName: 'inc-1' }),
  abandonChannel: async () => {},
  tellDeclarer: async () => {},
  postCard: async () => '1.1',
  pinCard: async () => {},
  refreshCard: async () => {},
  announce: async () => {},
  notify: async () => {},
  resolveContacts: async (ids) => ({ userIds: ids, unresolved: [] }),
  sendPage: async () => {},
  inviteToChannel: async () => ({ unreachable: [] }),
};

describe('an exhausted connection pool', () => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const s = await createTestSchema('ovl');
    drop = s.drop;
    db = createPostgresDatabase(s.url, { max: 1, connectionTimeoutMillis: 300 });
    await migrateAtStart(db);
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('is reported as overload (try again), not as an unreachable database', async () => {
    const service = new IncidentService(db, noChat, quiet);
    let release!: () => void;
    let holding!: () => void;
    const inUse = new Promise<void>((r) => (holding = r));
    const held = db.transaction(
      () =>
        new Promise<void>((r) => {
          release = r;
          holding();
        }),
    );
    // Once the transaction has its connection (a fixed 50 ms: a loaded machine may still be connecting).
    await inUse;
    expect(db.saturated()).toBe(true); // the one connection is in use
    const attempt = service.declare({ teamId: 'T1', reporterId: 'U1', title: 'busy', severity: 1, requestKey: 'k1' });
    await expect(attempt).rejects.toBeInstanceOf(DatabaseBusyError);
    await expect(attempt).rejects.toThrow(/overloaded.*nothing was changed/);
    release();
    await held;
    const ok = await service.declare({ teamId: 'T1', reporterId: 'U1', title: 'busy', severity: 1, requestKey: 'k2' });
    expect(ok.kind).toBe('declared');
  });
});
