import { beforeEach, expect, it } from 'vitest';
import { HANDOFF_CHANNEL as CHANNEL, type HandoffSaid, handoffScene } from '../support/handoff-scene.js';
import { emptyTables, forEachDatabase } from './databases.js';

/**
 * A take-back tells exactly those who were told of the hand-off (the channel, the incoming person), whatever renewals
 * for another outgoing person happened between: not fewer (the outgoing person changed and changed back before the
 * notice was told again), not more (only the channel's line had gone out: the incoming person, never told, gets no
 * "Cancelled").
 */

/** Where each was sent, for which hand-off and incoming person. */
const toAndIncoming = (xs: HandoffSaid[]) => xs.map(({ to, at, incomingId }) => ({ to, at, incomingId }));

forEachDatabase(
  (ctx) => {
    beforeEach(async () => {
      await emptyTables(ctx.db, ['oncall_handoffs']);
    });

    const setUp = () => handoffScene(ctx.db);

    const row = async (at: Date) =>
      (
        await ctx.db.query<{ outgoing_id: string; posted: boolean; dmed: boolean }>(
          `SELECT outgoing_id, channel_posted_at IS NOT NULL AS posted, dm_sent_at IS NOT NULL AS dmed
           FROM oncall_handoffs WHERE handoff_at = $1`,
          [at],
        )
      ).rows;

    it('takes back a notice whose outgoing person changed and changed back before it was told again', async () => {
      const { at, a, b, c, ofA, ofB, state, notices, atT, told, takenBack } = setUp();
      // C hands over to A: the channel and A are told.
      await notices.sweep();
      expect(told.filter(atT).map((t) => t.to)).toEqual([CHANNEL, a]);
      // B stands in just before it: renewed as B to A, to be told again.
      state.overrides = [ofA, ofB];
      await notices.sweep();
      expect(await row(at)).toEqual([{ outgoing_id: b, posted: false, dmed: false }]);
      // B's override cancelled before that: renewed back as C to A, as the channel and A were told (not told again).
      state.overrides = [ofA];
      await notices.sweep();
      expect(await row(at)).toEqual([{ outgoing_id: c, posted: true, dmed: true }]);
      // A's override cancelled too: the hand-off no longer happens. The channel and A were told of it.
      state.overrides = [];
      await notices.sweep();
      expect(toAndIncoming(takenBack.filter(atT))).toEqual([
        { to: CHANNEL, at, incomingId: a },
        { to: a, at, incomingId: a },
      ]);
      expect(told.filter(atT)).toHaveLength(2);
    });

    it('does not send "Cancelled" to an incoming person only the channel was told of', async () => {
      const { at, a, b, ofB, state, notices, atT, told, takenBack, failing, dueNow } = setUp();
      // C hands over to A: the channel's line goes out, A's direct message fails (to be retried).
      failing.dm = true;
      await notices.sweep();
      expect(told.filter(atT).map((t) => t.to)).toEqual([CHANNEL]);
      failing.dm = false;
      await dueNow();
      // B stands in just before it before the retry: renewed as B to A (A's override still there).
      state.overrides = [...state.overrides, ofB];
      await notices.sweep();
      expect(await row(at)).toEqual([{ outgoing_id: b, posted: false, dmed: false }]);
      // A's override cancelled before it is told again: only the channel heard of it, only the channel hears it is off.
      state.overrides = [ofB];
      await notices.sweep();
      expect(toAndIncoming(takenBack.filter(atT))).toEqual([{ to: CHANNEL, at, incomingId: a }]);
      expect(told.filter(atT)).toHaveLength(1);
    });
  },
  { only: ['postgres'] },
);
