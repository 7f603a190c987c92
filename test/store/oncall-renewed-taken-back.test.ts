import { beforeEach, expect, it } from 'vitest';
import { HANDOFF_CHANNEL as CHANNEL, type HandoffSaid, handoffScene } from '../support/handoff-scene.js';
import { emptyTables, forEachDatabase } from './databases.js';

/**
 * A hand-off told ahead (C hands over to A, an override of A), then only who hands over changes (an override of B just
 * before it): the notice is renewed, to be told again as B to A by the next sweep. A's override cancelled before that
 * sweep, the hand-off no longer happens: the channel and A were told of it, and are told it is off.
 */

/** Where each was sent, for which hand-off and incoming person. */
const toAndIncoming = (xs: HandoffSaid[]) => xs.map(({ to, at, incomingId }) => ({ to, at, incomingId }));

forEachDatabase(
  (ctx) => {
    beforeEach(async () => {
      await emptyTables(ctx.db, ['oncall_handoffs']);
    });

    it('takes back a notice told, renewed for another outgoing person, and off before it was told again', async () => {
      const { at, a, b, ofA, ofB, state, notices, atT, told, takenBack } = handoffScene(ctx.db);

      // C hands over to A at `at`: the channel and A are told (the notice held for the hand-off, to tell C then).
      await notices.sweep();
      expect(told.filter(atT).map((t) => t.to)).toEqual([CHANNEL, a]);
      // B stands in just before it: B hands over to A then. The notice is renewed, to be told again by the next sweep.
      state.overrides = [ofA, ofB];
      await notices.sweep();
      const { rows } = await ctx.db.query<{ outgoing_id: string; told: boolean }>(
        `SELECT outgoing_id, channel_posted_at IS NOT NULL AS told FROM oncall_handoffs WHERE handoff_at = $1`,
        [at],
      );
      expect(rows).toEqual([{ outgoing_id: b, told: false }]);
      // A's override cancelled before it is told again: B hands over to C then, A does not take over.
      state.overrides = [ofB];
      await notices.sweep();
      expect(toAndIncoming(takenBack.filter(atT))).toEqual([
        { to: CHANNEL, at, incomingId: a },
        { to: a, at, incomingId: a },
      ]);
    });
  },
  { only: ['postgres'] },
);
