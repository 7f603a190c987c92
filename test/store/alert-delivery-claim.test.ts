import { beforeEach, expect, it } from 'vitest';
import type { AlertDelivery } from '../../src/incidents/alert-types.js';
import { claimDeliveries, insertDelivery, nextDeliveryDueAt } from '../../src/store/alert-delivery.repo.js';
import { emptyTables, forEachDatabase } from './databases.js';

const delivery = (groupKey: string): AlertDelivery => ({
  source: 'claim-test',
  format: 'generic',
  groupKey,
  alerts: [],
});

forEachDatabase((ctx) => {
  beforeEach(() => emptyTables(ctx.db, ['alert_deliveries', 'alert_delivery_hashes']));
  let n = 0;
  const write = async (groupKey: string) => (await insertDelivery(ctx.db, delivery(groupKey), `h-${n++}`, 60_000)).id;
  const soon = (at: Date | null, ms: number) => {
    expect(at).not.toBeNull();
    const late = at!.getTime() - Date.now();
    expect(late).toBeGreaterThan(ms - 2000);
    expect(late).toBeLessThanOrEqual(ms + 1000);
  };

  it('a claim says when the next delivery it left is due, in the same statement as nextDeliveryDueAt would', async () => {
    const a1 = await write('a');
    const a2 = await write('a');
    const b1 = await write('b');
    // One batch (its limit): group a's first delivery and the one behind it. b is due now, and says so.
    const first = await claimDeliveries(ctx.db, 1, 30_000, 10);
    expect(first.batches.map((b) => b.deliveries.map((d) => d.id))).toEqual([[a1, a2]]);
    expect(first.nextDueAt!.getTime()).toBeLessThanOrEqual(Date.now() + 50);
    expect(await nextDeliveryDueAt(ctx.db)).toEqual(first.nextDueAt);

    // b is claimed too: nothing left but held deliveries, due again when their leases end.
    const second = await claimDeliveries(ctx.db, 5, 60_000, 10);
    expect(second.batches.map((b) => b.id)).toEqual([b1]);
    soon(second.nextDueAt, 30_000); // a's lease (b's own, 60 s, is later)
    soon(await nextDeliveryDueAt(ctx.db), 30_000);

    // Nothing due: the claim takes nothing and still says when.
    const third = await claimDeliveries(ctx.db, 5, 60_000, 10);
    expect(third.batches).toEqual([]);
    soon(third.nextDueAt, 30_000);
  });

  it('a delivery waiting behind an earlier one of its group held by a claim is not due by itself', async () => {
    await write('c');
    const held = await claimDeliveries(ctx.db, 5, 30_000, 0); // no followers: c's first alone
    expect(held.batches).toHaveLength(1);
    const behind = await write('c');
    // Before, the one behind read as due now, and the loop claimed nothing every 100 ms until its group's first was
    // recorded. It is due when the first's lease ends (its process looks again once it has recorded it).
    soon(await nextDeliveryDueAt(ctx.db), 30_000);
    const claim = await claimDeliveries(ctx.db, 5, 30_000, 10);
    expect(claim.batches).toEqual([]);
    soon(claim.nextDueAt, 30_000);
    expect(behind).toBeGreaterThan(0);
  });

  it('with nothing waiting, the next due time is null', async () => {
    const claim = await claimDeliveries(ctx.db, 5, 30_000, 10);
    expect(claim).toEqual({ batches: [], nextDueAt: null });
    expect(await nextDeliveryDueAt(ctx.db)).toBeNull();
  });
});
