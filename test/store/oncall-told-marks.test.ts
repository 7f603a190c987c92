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
 * A take-back tells exactly those who were told of the hand-off (the channel, the incoming person), whatever renewals
 * for another outgoing person happened between: not fewer (the outgoing person changed and changed back before the
 * notice was told again), not more (only the channel's line had gone out: the incoming person, never told, gets no
 * "Cancelled").
 */

const CHANNEL = 'C0INCIDENTS';
const quiet = { info() {}, warn() {}, error() {} };
const ROTATION = {
  people: ['U0ALICE', 'U0BOB', 'U0CAROL'],
  shift: 'weekly',
  handoff: { day: 'monday', time: '09:00', time_zone: 'UTC' },
  start: '2026-01-05',
};

function recordingChat() {
  const told: { to: string; at: Date; incomingId: string }[] = [];
  const takenBack: { to: string; at: Date; incomingId: string }[] = [];
  const failing = { dm: false };
  const chat: OnCallChat = {
    async postHandoff(channelId: string, n: HandoffNotice) {
      told.push({ to: channelId, at: n.at, incomingId: n.incomingId });
    },
    async tellIncoming(userId: string, n: HandoffNotice) {
      if (failing.dm) throw new Error('Slack is down');
      told.push({ to: userId, at: n.at, incomingId: n.incomingId });
    },
    async tellOutgoing() {},
    async postHandoffWithdrawn(channelId: string, w: WithdrawnHandoff) {
      takenBack.push({ to: channelId, at: w.at, incomingId: w.incomingId });
    },
    async tellWithdrawn(userId: string, w: WithdrawnHandoff) {
      takenBack.push({ to: userId, at: w.at, incomingId: w.incomingId });
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
      const rec = recordingChat();
      const notices = new HandoffNotices(
        ctx.db,
        runbook,
        rec.chat,
        { overrideMaxMs: 86_400_000, handoffNoticeMs: 15 * 60_000, incidentsChannel: CHANNEL },
        quiet,
        { rotations: () => [def], overrides: async () => new Map([['on_call', state.overrides]]) },
      );
      const atT = (x: { at: Date }) => x.at.getTime() === at.getTime();
      return { at, a, b, c, ofA, ofB, state, notices, atT, ...rec };
    }

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
      expect(takenBack.filter(atT)).toEqual([
        { to: CHANNEL, at, incomingId: a },
        { to: a, at, incomingId: a },
      ]);
      expect(told.filter(atT)).toHaveLength(2);
    });

    it('does not send "Cancelled" to an incoming person only the channel was told of', async () => {
      const { at, a, b, ofB, state, notices, atT, told, takenBack, failing } = setUp();
      // C hands over to A: the channel's line goes out, A's direct message fails (to be retried).
      failing.dm = true;
      await notices.sweep();
      expect(told.filter(atT).map((t) => t.to)).toEqual([CHANNEL]);
      failing.dm = false;
      // Its retry due now (not in a few seconds), for the test.
      await ctx.db.query('UPDATE oncall_handoffs SET leased_until = NULL WHERE handoff_at = $1', [at]);
      // B stands in just before it before the retry: renewed as B to A (A's override still there).
      state.overrides = [...state.overrides, ofB];
      await notices.sweep();
      expect(await row(at)).toEqual([{ outgoing_id: b, posted: false, dmed: false }]);
      // A's override cancelled before it is told again: only the channel heard of it, only the channel hears it is off.
      state.overrides = [ofB];
      await notices.sweep();
      expect(takenBack.filter(atT)).toEqual([{ to: CHANNEL, at, incomingId: a }]);
      expect(told.filter(atT)).toHaveLength(1);
    });
  },
  { only: ['postgres'] },
);
