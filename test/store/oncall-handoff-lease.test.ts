import { beforeEach, expect, it } from 'vitest';
import type { RotationRole } from '../../src/incidents/oncall.service.js';
import { type HandoffNotice, HandoffNotices, type OnCallChat } from '../../src/incidents/oncall-handoffs.js';
import { type Override, scheduledAt } from '../../src/incidents/rotation.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { testRunbookData, withRotation } from '../support/test-runbook.js';
import { emptyTables, forEachDatabase } from './databases.js';

/**
 * Two replicas' sweeps of the hand-off notices while Slack is slow: handling a batch of notices takes longer than the
 * claim's lease. The claims are renewed while they are handled, so no part is sent twice; a hold for the hand-off is
 * not pushed past it by a renewal, so the outgoing person is told at the hand-off, once.
 */

const ROTATION = {
  people: ['U0ALICE', 'U0BOB', 'U0CAROL'],
  shift: 'weekly',
  handoff: { day: 'monday', time: '09:00', time_zone: 'UTC' },
  start: '2026-01-05',
};
const CHANNEL = 'C0INCIDENTS';
const LEASE_MS = 600;
const SLACK_MS = 400;

forEachDatabase(
  (ctx) => {
    beforeEach(async () => {
      await emptyTables(ctx.db, ['oncall_handoffs']);
    });

    it('two replicas, Slack slower than the lease: every part of every notice is sent once, the outgoing one at its hand-off', async () => {
      const runbook = parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', ROTATION));
      const def = runbook.escalation.roles.on_call as RotationRole;
      const t0 = Date.now();
      // An override of A from `at` for five minutes: C hands over to A at `at`, A back to C after; both told ahead.
      const at = new Date(t0 + 2500);
      const c = scheduledAt(def.rotation, at);
      const a = ROTATION.people.find((p) => p !== c)!;
      const ofA: Override = {
        id: 1,
        role: 'on_call',
        kind: 'override',
        userId: a,
        otherId: null,
        startsAt: at,
        endsAt: new Date(at.getTime() + 5 * 60_000),
        createdBy: 'U0BOSS',
        createdAt: new Date(t0 - 3_600_000),
      };
      const sent: { part: string; to: string; at: number; when: number }[] = [];
      const replica = () => {
        const slow = async (part: string, to: string, n: { at: Date }) => {
          await new Promise((r) => setTimeout(r, SLACK_MS));
          sent.push({ part, to, at: n.at.getTime(), when: Date.now() });
        };
        const chat: OnCallChat = {
          postHandoff: (ch, n: HandoffNotice) => slow('notice', ch, n),
          tellIncoming: (u, n) => slow('incoming', u, n),
          tellOutgoing: (u, n) => slow('outgoing', u, n),
          postHandoffWithdrawn: (ch, w) => slow('withdrawn', ch, w),
          tellWithdrawn: (u, w) => slow('withdrawn', u, w),
          whoIs: async () => 'person',
        };
        return new HandoffNotices(
          ctx.db,
          runbook,
          chat,
          { overrideMaxMs: 86_400_000, handoffNoticeMs: 15 * 60_000, incidentsChannel: CHANNEL, leaseMs: LEASE_MS },
          { info() {}, warn() {}, error() {} },
          { rotations: () => [def], overrides: async () => new Map([['on_call', [ofA]]]) },
        );
      };
      const loop = async (notices: HandoffNotices) => {
        while (Date.now() < at.getTime() + 2500) {
          await notices.sweep();
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await Promise.all([loop(replica()), loop(replica())]);
      const key = (s: { part: string; to: string; at: number }) => `${s.part} ${s.to} ${s.at - t0}`;
      const back = at.getTime() + 5 * 60_000;
      // Each once: the two notices told ahead (the channel and the incoming person), and C's at the hand-off.
      expect(sent.map(key).sort()).toEqual(
        [
          { part: 'notice', to: CHANNEL, at: at.getTime() },
          { part: 'incoming', to: a, at: at.getTime() },
          { part: 'notice', to: CHANNEL, at: back },
          { part: 'incoming', to: c, at: back },
          { part: 'outgoing', to: c, at: at.getTime() },
        ]
          .map(key)
          .sort(),
      );
      // Not before the hand-off, and not held past it by a renewal of its claim.
      const outgoing = sent.find((s) => s.part === 'outgoing')!;
      expect(outgoing.when).toBeGreaterThanOrEqual(at.getTime());
      expect(outgoing.when - at.getTime()).toBeLessThan(LEASE_MS + SLACK_MS);
    }, 20_000);
  },
  { only: ['postgres'] },
);
