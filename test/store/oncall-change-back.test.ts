import { beforeEach, expect, it } from 'vitest';
import type { Override } from '../../src/incidents/rotation.js';
import { HANDOFF_CHANNEL as CHANNEL, handoffScene } from '../support/handoff-scene.js';
import { emptyTables, forEachDatabase } from './databases.js';

/**
 * A notice told (C hands over to A), whose outgoing person changes and changes back (C, B, C) before it is told again:
 * each audience hears again only what differs from what it was told. And a take-back names the outgoing person that
 * audience was told of, not the one the notice names now.
 */

forEachDatabase(
  (ctx) => {
    beforeEach(async () => {
      await emptyTables(ctx.db, ['oncall_handoffs']);
    });

    /** The scene, and what was said of its hand-off as each test reads it (a notice's "not" whom; none for a take-back). */
    function setUp() {
      const scene = handoffScene(ctx.db);
      const said = () =>
        scene.told
          .filter(scene.atT)
          .map(({ to, outgoingId, incomingId, notBefore }) => ({ to, outgoingId, incomingId, notBefore }));
      const taken = () =>
        scene.takenBack.filter(scene.atT).map(({ to, outgoingId, incomingId }) => ({ to, outgoingId, incomingId }));
      return { ...scene, said, taken };
    }

    /**
     * C hands over to A, told to the channel and A; then B stands in just before: the channel is told B hands over to
     * A, not C, while A's direct message fails (A still heard C).
     */
    async function channelHeardBWhileAWasNot(scene: ReturnType<typeof setUp>) {
      const { a, b, c, ofA, ofB, state, notices, said, failing } = scene;
      await notices.sweep();
      expect(said().map((t) => t.to)).toEqual([CHANNEL, a]);
      // B stands in just before: the channel is told B hands over to A, not C; A's direct message fails.
      state.overrides = [ofA, ofB];
      await notices.sweep();
      failing.dm = true;
      await notices.sweep();
      expect(said().slice(2)).toEqual([{ to: CHANNEL, outgoingId: b, incomingId: a, notBefore: c }]);
    }

    const outgoing = async (at: Date) =>
      (
        await ctx.db.query<{ outgoing_id: string }>('SELECT outgoing_id FROM oncall_handoffs WHERE handoff_at = $1', [
          at,
        ])
      ).rows[0]?.outgoing_id;

    it('tells nobody again of a notice changed back to what they were told (C, B, C) before it was told again', async () => {
      const { at, a, b, c, ofA, ofB, state, notices, said, taken, dueNow } = setUp();
      await notices.sweep();
      expect(said()).toEqual([
        { to: CHANNEL, outgoingId: c, incomingId: a, notBefore: null },
        { to: a, outgoingId: c, incomingId: a, notBefore: null },
      ]);
      state.overrides = [ofA, ofB];
      await notices.sweep();
      expect(await outgoing(at)).toBe(b);
      state.overrides = [ofA];
      await notices.sweep();
      expect(await outgoing(at)).toBe(c);
      // The sweeps after: C hands over to A, as the channel and A were told; nothing is said again.
      await dueNow();
      await notices.sweep();
      await notices.sweep();
      expect(said()).toHaveLength(2);
      expect(taken()).toEqual([]);
    });

    it('tells the change back as a correction to the audience told of the change, and only to it', async () => {
      const scene = setUp();
      const { at, a, b, c, ofA, state, notices, said, failing, dueNow } = scene;
      await channelHeardBWhileAWasNot(scene);
      // B's override cancelled before A's direct message is retried: C hands over to A after all.
      failing.dm = false;
      state.overrides = [ofA];
      await dueNow();
      await notices.sweep();
      expect(await outgoing(at)).toBe(c);
      await notices.sweep();
      // The channel heard B: it is told C, not B. A heard C, as it stands: A hears nothing again.
      expect(said().slice(3)).toEqual([{ to: CHANNEL, outgoingId: c, incomingId: a, notBefore: b }]);
    });

    it('says "not X" to each audience of the X it was told: the channel heard B, A heard C, then D hands over', async () => {
      const scene = setUp();
      const { at, a, b, c, ofA, ofB, state, notices, said, failing, dueNow } = scene;
      await channelHeardBWhileAWasNot(scene);
      // D stands in just before instead of B: the channel heard B, A heard C.
      const ofD: Override = { ...ofB, id: 3, userId: 'U0DAVE' };
      state.overrides = [ofA, ofD];
      failing.dm = false;
      await dueNow();
      await notices.sweep();
      expect(await outgoing(at)).toBe('U0DAVE');
      await dueNow();
      await notices.sweep();
      expect(said().slice(3)).toEqual(
        expect.arrayContaining([
          { to: CHANNEL, outgoingId: 'U0DAVE', incomingId: a, notBefore: b },
          { to: a, outgoingId: 'U0DAVE', incomingId: a, notBefore: c },
        ]),
      );
      expect(said().slice(3)).toHaveLength(2);
    });

    it('takes a notice back naming the outgoing person each audience was told of', async () => {
      const { at, a, b, c, ofA, ofB, state, notices, said, taken } = setUp();
      await notices.sweep();
      expect(said().map((t) => t.outgoingId)).toEqual([c, c]);
      // B stands in just before: renewed as B to A, not told yet.
      state.overrides = [ofA, ofB];
      await notices.sweep();
      expect(await outgoing(at)).toBe(b);
      // A's override cancelled: the channel and A were told C hands over to A, and hear that one is off.
      state.overrides = [ofB];
      await notices.sweep();
      expect(taken()).toEqual([
        { to: CHANNEL, outgoingId: c, incomingId: a },
        { to: a, outgoingId: c, incomingId: a },
      ]);
    });
  },
  { only: ['postgres'] },
);
