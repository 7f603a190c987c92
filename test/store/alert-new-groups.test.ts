import { expect, it } from 'vitest';
import { AlertService } from '../../src/incidents/alert.service.js';
import type { AlertCards } from '../../src/incidents/alert-cards.js';
import type { AlertChat } from '../../src/incidents/alert-ports.js';
import type { IncomingAlert } from '../../src/incidents/alert-types.js';
import type { IncidentService } from '../../src/incidents/incident.service.js';
import { insertDelivery } from '../../src/store/alert-delivery.repo.js';
import type { Database } from '../../src/store/db.js';
import { emptyTables, forEachDatabase } from './databases.js';

const critical = (fingerprint: string): IncomingAlert => ({
  fingerprint,
  name: `${fingerprint} down`,
  status: 'firing',
  level: 'critical',
  rule: null,
  summary: `${fingerprint} is down`,
  service: 'checkout',
  metric: 'up',
  value: '0',
  threshold: '1',
  labels: {},
  url: null,
  startsAt: null,
  endsAt: null,
});

/** The database, counting the transactions under way at once (the most seen) and in all. */
function counting(db: Database) {
  const seen = { now: 0, most: 0, all: 0 };
  const wrapped: Database = Object.create(db, {
    transaction: {
      value: async <T>(fn: Parameters<Database['transaction']>[0]) => {
        seen.all++;
        seen.most = Math.max(seen.most, ++seen.now);
        try {
          return (await db.transaction(fn)) as T;
        } finally {
          seen.now--;
        }
      },
    },
  });
  return { db: wrapped, seen };
}

forEachDatabase((ctx) => {
  it("a source's new groups claimed in several batches are recorded one recording at a time, those that wait together", async () => {
    await emptyTables(ctx.db, ['alert_deliveries', 'alert_delivery_hashes', 'alerts', 'alert_incidents']);
    const { db, seen } = counting(ctx.db);
    // Declaring is not what this looks at: each declaration is a request already handled (nothing to do).
    const incidents = { declare: async () => ({ kind: 'retry' }) } as unknown as IncidentService;
    const chat = { self: async () => ({ teamId: 'T1', botUserId: 'UBOT' }) } as unknown as AlertChat;
    const service = new AlertService(
      db,
      incidents,
      chat,
      {} as AlertCards,
      [],
      { maxIncidents: 100 },
      {
        info() {},
        warn() {},
        error() {},
      },
    );
    const groups = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const g of groups) {
      await insertDelivery(
        ctx.db,
        { source: `storm-${ctx.kind}`, format: 'generic', groupKey: g, alerts: [critical(g)] },
        `body-${g}`,
        60_000,
      );
    }
    // One claim per group, as a storm's deliveries are claimed while earlier ones are being recorded.
    const batches = [];
    for (const _ of groups) batches.push(...(await service.claim(1, 60_000)).works);
    expect(batches).toHaveLength(groups.length);

    await Promise.all(batches.map((b) => service.run(b)));

    // Each recording opening an incident takes the source's lock to its commit: side by side, they waited for it in
    // the database, each holding a connection (three at once, one per recording slot). Now one at a time, and the
    // five that came while the first was recorded, in one transaction.
    expect(seen.most).toBe(1);
    expect(seen.all).toBe(2);
    const { rows } = await ctx.db.query<{ group_key: string; state: string }>(
      'SELECT group_key, state FROM alert_incidents WHERE source = $1 ORDER BY group_key',
      [`storm-${ctx.kind}`],
    );
    expect(rows.map((r) => r.group_key)).toEqual(groups);
    const { rows: left } = await ctx.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM alert_deliveries WHERE state <> 'done'",
    );
    expect(Number(left[0]!.n)).toBe(0);
  });
});
