import { beforeEach, expect, it } from 'vitest';
import {
  claimHandoffs,
  type HandoffRow,
  holdHandoff,
  markHandoff,
  recordHandoffs,
  releaseHandoffs,
  renewHandoff,
  retryHandoff,
} from '../../src/store/oncall.repo.js';
import { emptyTables, forEachDatabase } from './databases.js';

/**
 * A hand-off notice a sweep claimed, then renewed by another sweep for a new outgoing person (an override made since),
 * the incoming person the same: what the first sweep then writes of its claim (the old people) leaves the renewed
 * notice as it is. Each write names the notice by both people, not only the incoming one.
 */

const ROLE = 'primary';
const OLD_OUT = 'U0ALICE';
const NEW_OUT = 'U0BOB';
const IN = 'U0CAROL';

forEachDatabase(
  (ctx) => {
    beforeEach(async () => {
      await emptyTables(ctx.db, ['oncall_handoffs']);
    });

    /** The notice as a second sweep left it: renewed for NEW_OUT, nothing of it sent, not claimed. */
    const staleClaim = async (): Promise<HandoffRow> => {
      const at = new Date(Date.now() + 3_600_000);
      await recordHandoffs(ctx.db, [{ role: ROLE, at, outgoingId: OLD_OUT, incomingId: IN }]);
      const [first] = await claimHandoffs(ctx.db, 10, 60_000);
      expect(first?.outgoingId).toBe(OLD_OUT);
      // An override cancelled meanwhile lets the notice go; a second sweep claims it and finds Bob hands over now.
      await releaseHandoffs(ctx.db, ROLE, new Date(at.getTime() - 1000), new Date(at.getTime() + 1000));
      const [second] = await claimHandoffs(ctx.db, 10, 60_000);
      expect(second?.outgoingId).toBe(OLD_OUT);
      await renewHandoff(ctx.db, second!, { outgoingId: NEW_OUT, incomingId: IN });
      return first!;
    };

    const row = async () => {
      const { rows } = await ctx.db.query<{
        outgoing_id: string;
        channel_posted_at: Date | null;
        dm_sent_at: Date | null;
        outgoing_dm_sent_at: Date | null;
        done_at: Date | null;
        leased_until: Date | null;
      }>('SELECT * FROM oncall_handoffs WHERE role = $1', [ROLE]);
      return rows[0]!;
    };

    it('marking a part sent, or the notice done, for the old outgoing person leaves the renewed notice unsent', async () => {
      const first = await staleClaim();
      for (const part of ['channel', 'dm', 'outgoing'] as const) await markHandoff(ctx.db, first, part);
      const after = await row();
      expect(after.outgoing_id).toBe(NEW_OUT);
      expect({
        channel: after.channel_posted_at,
        dm: after.dm_sent_at,
        outgoing: after.outgoing_dm_sent_at,
      }).toEqual({ channel: null, dm: null, outgoing: null });
      // Claimed again (the renewal let it go), the old claim's `done` does not close it either.
      const [again] = await claimHandoffs(ctx.db, 10, 60_000);
      expect(again?.outgoingId).toBe(NEW_OUT);
      await markHandoff(ctx.db, first, 'done');
      expect((await row()).done_at).toBeNull();
    });

    it("holding or retrying for the old outgoing person leaves the renewed notice's claim as it is", async () => {
      const first = await staleClaim();
      const [again] = await claimHandoffs(ctx.db, 10, 60_000);
      const lease = (await row()).leased_until;
      expect(again?.outgoingId).toBe(NEW_OUT);
      await holdHandoff(ctx.db, first, new Date(Date.now() + 86_400_000));
      expect((await row()).leased_until).toEqual(lease);
      await retryHandoff(ctx.db, first, new Date(Date.now() + 86_400_000), 'failed');
      expect((await row()).leased_until).toEqual(lease);
    });

    it('the claim that holds the notice as it stands marks it', async () => {
      await staleClaim();
      const [again] = await claimHandoffs(ctx.db, 10, 60_000);
      await markHandoff(ctx.db, again!, 'channel');
      await markHandoff(ctx.db, again!, 'done');
      const after = await row();
      expect(after.channel_posted_at).not.toBeNull();
      expect(after.done_at).not.toBeNull();
    });
  },
  { only: ['postgres'] },
);
