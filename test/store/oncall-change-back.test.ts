import { beforeEach, expect, it } from 'vitest';
import type { RotationRole } from '../../src/incidents/oncall.service.js';
import {
  type HandoffNotice,
  HandoffNotices,
  type OnCallChat,
  type WithdrawnHandoff,
} from '../../src/incidents/oncall-handoffs.js';
import { type Override, scheduledAt } from '../../src/incidents/rotation.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { testRunbookData, withRotation } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

/**
 * A notice told (C hands over to A), whose outgoing person changes and changes back (C, B, C) before it is told again:
 * each audience hears again only what differs from what it was told. And a take-back names the outgoing person that
 * audience was told of, not the one the notice names now.
 */

const CHANNEL = 'C0INCIDENTS';
const quiet = { info() {}, warn() {}, error() {} };
const ROTATION = {
  people: ['U0ALICE', 'U0BOB', 'U0CAROL'],
  shift: 'weekly',
  handoff: { day: 'monday', time: '09:00', time_zone: 'UTC' },
  start: '2026-01-05',
};

interface Said {
  to: string;
  outgoingId: string | null;
  incomingId: string;
  notBefore?: string | null;
}

/** What is said of the hand-off at `at` (A's override ending is another hand-off, not looked at here). */
function recordingChat(at: Date) {
  const told: Said[] = [];
  const takenBack: Said[] = [];
  const failing = { dm: false };
  const chat: OnCallChat = {
    async postHandoff(channelId: string, n: HandoffNotice) {
      if (n.at.getTime() !== at.getTime()) return;
      told.push({ to: channelId, outgoingId: n.outgoingId, incomingId: n.incomingId, notBefore: n.replacedOutgoingId });
    },
    async tellIncoming(userId: string, n: HandoffNotice) {
      if (n.at.getTime() !== at.getTime()) return;
      if (failing.dm) throw new Error('Slack is down');
      told.push({ to: userId, outgoingId: n.outgoingId, incomingId: n.incomingId, notBefore: n.replacedOutgoingId });
    },
    async tellOutgoing() {},
    async postHandoffWithdrawn(channelId: string, w: WithdrawnHandoff) {
      if (w.at.getTime() !== at.getTime()) return;
      takenBack.push({ to: channelId, outgoingId: w.outgoingId, incomingId: w.incomingId });
    },
    async tellWithdrawn(userId: string, w: WithdrawnHandoff) {
      if (w.at.getTime() !== at.getTime()) return;
      takenBack.push({ to: userId, outgoingId: w.outgoingId, incomingId: w.incomingId });
    },
    async whoIs() {
      return 'person';
    },
  };
  return { chat, told, takenBack, failing };
}

forEachDatabase(
  (ctx) => {
    beforeEach(async () => {
      await ctx.db.exec('TRUNCATE oncall_handoffs');
    });

    /** C (scheduled) hands over to A (an override of A) three minutes from now; B may stand in just before it. */
    function setUp() {
      const runbook = parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', ROTATION));
      const def = runbook.escalation.roles.on_call as RotationRole;
      const at = new Date(Math.ceil((Date.now() + 180_000) / 60_000) * 60_000);
      const c = scheduledAt(def.rotation, at);
      expect(scheduledAt(def.rotation, new Date(at.getTime() - 120_000))).toBe(c);
      expect(scheduledAt(def.rotation, new Date(at.getTime() + 6 * 60_000))).toBe(c);
      const [a, b] = ROTATION.people.filter((p) => p !== c) as [string, string];
      const override = (id: number, userId: string, startsAt: Date, endsAt: Date): Override => ({
        id,
        role: 'on_call',
        kind: 'override',
        userId,
        otherId: null,
        startsAt,
        endsAt,
        createdBy: 'U0BOSS',
        createdAt: new Date(Date.now() - 3_600_000 + id),
      });
      const ofA = override(1, a, at, new Date(at.getTime() + 5 * 60_000));
      const ofB = override(2, b, new Date(at.getTime() - 60_000), at);
      const state = { overrides: [ofA] as Override[] };
      const rec = recordingChat(at);
      const notices = new HandoffNotices(
        ctx.db,
        runbook,
        rec.chat,
        { overrideMaxMs: 86_400_000, handoffNoticeMs: 15 * 60_000, incidentsChannel: CHANNEL },
        quiet,
        { rotations: () => [def], overrides: async () => new Map([['on_call', state.overrides]]) },
      );
      return { at, a, b, c, ofA, ofB, state, notices, ...rec };
    }

    const outgoing = async (at: Date) =>
      (
        await ctx.db.query<{ outgoing_id: string }>('SELECT outgoing_id FROM oncall_handoffs WHERE handoff_at = $1', [
          at,
        ])
      ).rows[0]?.outgoing_id;

    it('tells nobody again of a notice changed back to what they were told (C, B, C) before it was told again', async () => {
      const { at, a, b, c, ofA, ofB, state, notices, told, takenBack } = setUp();
      await notices.sweep();
      expect(told).toEqual([
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
      await ctx.db.query('UPDATE oncall_handoffs SET leased_until = NULL WHERE handoff_at = $1', [at]);
      await notices.sweep();
      await notices.sweep();
      expect(told).toHaveLength(2);
      expect(takenBack).toEqual([]);
    });

    it('tells the change back as a correction to the audience told of the change, and only to it', async () => {
      const { at, a, b, c, ofA, ofB, state, notices, told, failing } = setUp();
      await notices.sweep();
      expect(told.map((t) => t.to)).toEqual([CHANNEL, a]);
      // B stands in just before: the channel is told B hands over to A, not C; A's direct message fails.
      state.overrides = [ofA, ofB];
      await notices.sweep();
      failing.dm = true;
      await notices.sweep();
      expect(told.slice(2)).toEqual([{ to: CHANNEL, outgoingId: b, incomingId: a, notBefore: c }]);
      // B's override cancelled before A's direct message is retried: C hands over to A after all.
      failing.dm = false;
      state.overrides = [ofA];
      await ctx.db.query('UPDATE oncall_handoffs SET leased_until = NULL WHERE handoff_at = $1', [at]);
      await notices.sweep();
      expect(await outgoing(at)).toBe(c);
      await notices.sweep();
      // The channel heard B: it is told C, not B. A heard C, as it stands: A hears nothing again.
      expect(told.slice(3)).toEqual([{ to: CHANNEL, outgoingId: c, incomingId: a, notBefore: b }]);
    });

    it('says "not X" to each audience of the X it was told: the channel heard B, A heard C, then D hands over', async () => {
      const { at, a, b, c, ofA, ofB, state, notices, told, failing } = setUp();
      await notices.sweep();
      expect(told.map((t) => t.to)).toEqual([CHANNEL, a]);
      // B stands in just before: the channel is told B hands over to A, not C; A's direct message fails.
      state.overrides = [ofA, ofB];
      await notices.sweep();
      failing.dm = true;
      await notices.sweep();
      expect(told.slice(2)).toEqual([{ to: CHANNEL, outgoingId: b, incomingId: a, notBefore: c }]);
      // D stands in just before instead of B: the channel heard B, A heard C.
      const ofD: Override = { ...ofB, id: 3, userId: 'U0DAVE' };
      state.overrides = [ofA, ofD];
      failing.dm = false;
      await ctx.db.query('UPDATE oncall_handoffs SET leased_until = NULL WHERE handoff_at = $1', [at]);
      await notices.sweep();
      expect(await outgoing(at)).toBe('U0DAVE');
      await ctx.db.query('UPDATE oncall_handoffs SET leased_until = NULL WHERE handoff_at = $1', [at]);
      await notices.sweep();
      expect(told.slice(3)).toEqual(
        expect.arrayContaining([
          { to: CHANNEL, outgoingId: 'U0DAVE', incomingId: a, notBefore: b },
          { to: a, outgoingId: 'U0DAVE', incomingId: a, notBefore: c },
        ]),
      );
      expect(told.slice(3)).toHaveLength(2);
    });

    it('takes a notice back naming the outgoing person each audience was told of', async () => {
      const { at, a, b, c, ofA, ofB, state, notices, told, takenBack } = setUp();
      await notices.sweep();
      expect(told.map((t) => t.outgoingId)).toEqual([c, c]);
      // B stands in just before: renewed as B to A, not told yet.
      state.overrides = [ofA, ofB];
      await notices.sweep();
      expect(await outgoing(at)).toBe(b);
      // A's override cancelled: the channel and A were told C hands over to A, and hear that one is off.
      state.overrides = [ofB];
      await notices.sweep();
      expect(takenBack).toEqual([
        { to: CHANNEL, outgoingId: c, incomingId: a },
        { to: a, outgoingId: c, incomingId: a },
      ]);
    });
  },
  { only: ['postgres'] },
);
