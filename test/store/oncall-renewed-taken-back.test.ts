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
 * A hand-off told ahead (C hands over to A, an override of A), then only who hands over changes (an override of B just
 * before it): the notice is renewed, to be told again as B to A by the next sweep. A's override cancelled before that
 * sweep, the hand-off no longer happens: the channel and A were told of it, and are told it is off.
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
  const chat: OnCallChat = {
    async postHandoff(channelId: string, n: HandoffNotice) {
      told.push({ to: channelId, at: n.at, incomingId: n.incomingId });
    },
    async tellIncoming(userId: string, n: HandoffNotice) {
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
  return { chat, told, takenBack };
}

forEachDatabase(
  (ctx) => {
    beforeEach(async () => {
      await ctx.db.exec('TRUNCATE oncall_handoffs');
    });

    it('takes back a notice told, renewed for another outgoing person, and off before it was told again', async () => {
      const runbook = parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', ROTATION));
      const def = runbook.escalation.roles.on_call as RotationRole;
      // Three minutes from now (a whole minute), well within the notice's lead, and in the future all along.
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
      let overrides: Override[] = [ofA];
      const { chat, told, takenBack } = recordingChat();
      const notices = new HandoffNotices(
        ctx.db,
        runbook,
        chat,
        { overrideMaxMs: 86_400_000, handoffNoticeMs: 15 * 60_000, incidentsChannel: CHANNEL },
        quiet,
        { rotations: () => [def], overrides: async () => new Map([['on_call', overrides]]) },
      );
      const atT = (x: { at: Date }) => x.at.getTime() === at.getTime();

      // C hands over to A at `at`: the channel and A are told (the notice held for the hand-off, to tell C then).
      await notices.sweep();
      expect(told.filter(atT).map((t) => t.to)).toEqual([CHANNEL, a]);
      // B stands in just before it: B hands over to A then. The notice is renewed, to be told again by the next sweep.
      overrides = [ofA, ofB];
      await notices.sweep();
      const { rows } = await ctx.db.query<{ outgoing_id: string; told: boolean }>(
        `SELECT outgoing_id, channel_posted_at IS NOT NULL AS told FROM oncall_handoffs WHERE handoff_at = $1`,
        [at],
      );
      expect(rows).toEqual([{ outgoing_id: b, told: false }]);
      // A's override cancelled before it is told again: B hands over to C then, A does not take over.
      overrides = [ofB];
      await notices.sweep();
      expect(takenBack.filter(atT)).toEqual([
        { to: CHANNEL, at, incomingId: a },
        { to: a, at, incomingId: a },
      ]);
    });
  },
  { only: ['postgres'] },
);
