import { expect, it } from 'vitest';
import { AlertService } from '../../src/incidents/alert.service.js';
import type { AlertCards } from '../../src/incidents/alert-cards.js';
import type { AlertChat } from '../../src/incidents/alert-ports.js';
import type { IncomingAlert } from '../../src/incidents/alert-types.js';
import type { IncidentService } from '../../src/incidents/incident.service.js';
import type { Incident } from '../../src/incidents/types.js';
import { insertDelivery } from '../../src/store/alert-delivery.repo.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { emptyTables, forEachDatabase } from './databases.js';

const critical: IncomingAlert = {
  fingerprint: 'db-down',
  name: 'db down',
  status: 'firing',
  level: 'critical',
  rule: null,
  summary: 'the database is down',
  service: 'checkout',
  metric: 'up',
  value: '0',
  threshold: '1',
  labels: {},
  url: null,
  startsAt: null,
  endsAt: null,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

forEachDatabase((ctx) => {
  it('a card refresh that fails after an alert declaration is made again when the step is tried again', async () => {
    await emptyTables(ctx.db, ['alert_deliveries', 'alert_delivery_hashes', 'alerts', 'alert_incidents', 'incidents']);
    const refreshes: { id: number; ok: boolean }[] = [];
    let declared: Incident | undefined;
    const incidents = {
      declare: async (
        req: { title: string; severity: 0 | 1 | 2 | 3 },
        opts: { within: (tx: unknown, i: Incident) => Promise<void>; afterCard: () => Promise<void> },
      ) => {
        declared = await ctx.db.transaction(async (tx) => {
          const i = await insertIncident(tx, {
            teamId: 'T1',
            number: 1,
            title: req.title,
            severity: req.severity,
            reporterId: 'UBOT',
          });
          await opts.within(tx, i);
          return i;
        });
        await opts.afterCard();
        return { kind: 'declared', incident: declared };
      },
      // The first refresh fails (Slack or the database unwell a moment); later ones work.
      refreshCard: async (id: number) => {
        const ok = refreshes.length > 0;
        refreshes.push({ id, ok });
        if (!ok) throw new Error('chat.update failed: internal_error');
      },
    } as unknown as IncidentService;
    const chat = { self: async () => ({ teamId: 'T1', botUserId: 'UBOT' }) } as unknown as AlertChat;
    const service = new AlertService(
      ctx.db,
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
    await insertDelivery(
      ctx.db,
      { source: `refresh-${ctx.kind}`, format: 'generic', groupKey: 'g', alerts: [critical] },
      'body-1',
      60_000,
    );
    // Recorded, then declared: the card refresh after it fails, so the delivery is to be tried again.
    for (const b of (await service.claim(10, 60_000)).works) await service.run(b);
    for (const b of (await service.claim(10, 60_000)).works) await service.run(b);
    expect(declared).toBeDefined();
    expect(refreshes).toEqual([{ id: declared!.id, ok: false }]);

    // Tried again once due (a second after the failure): the incident is not declared twice, the card is refreshed.
    const until = Date.now() + 10_000;
    while (Date.now() < until && refreshes.length < 2) {
      for (const b of (await service.claim(10, 60_000)).works) await service.run(b);
      await sleep(100);
    }
    expect(refreshes).toEqual([
      { id: declared!.id, ok: false },
      { id: declared!.id, ok: true },
    ]);
    const { rows } = await ctx.db.query<{ state: string }>('SELECT state FROM alert_deliveries');
    expect(rows.map((r) => r.state)).toEqual(['done']);
    const { rows: count } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM incidents');
    expect(count[0]!.n).toBe(1);
  });
});
