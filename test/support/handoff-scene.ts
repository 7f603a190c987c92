import { expect } from 'vitest';
import type { RotationRole } from '../../src/incidents/oncall.service.js';
import {
  type HandoffNotice,
  HandoffNotices,
  type OnCallChat,
  type WithdrawnHandoff,
} from '../../src/incidents/oncall-handoffs.js';
import { type Override, scheduledAt } from '../../src/incidents/rotation.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import type { Database } from '../../src/store/db.js';
import { testRunbookData, withRotation } from './test-runbook.js';

/** Where the scene's hand-off notices go (its INCIDENTS_CHANNEL). */
export const HANDOFF_CHANNEL = 'C0INCIDENTS';

const ROTATION = {
  people: ['U0ALICE', 'U0BOB', 'U0CAROL'],
  shift: 'weekly',
  handoff: { day: 'monday', time: '09:00', time_zone: 'UTC' },
  start: '2026-01-05',
};

/** A hand-off notice, or its take-back, as the domain asked its port to send it. */
export interface HandoffSaid {
  to: string;
  at: Date;
  outgoingId: string | null;
  incomingId: string;
  /** A notice's: who it was told before as handing over (HandoffNotice.replacedOutgoingId); a take-back has none. */
  notBefore?: string | null;
}

/** A fake of the domain's hand-off port recording what it is asked to send; the incoming person's DM can fail. */
function recordingChat() {
  const told: HandoffSaid[] = [];
  const takenBack: HandoffSaid[] = [];
  const failing = { dm: false };
  const notice = (to: string, n: HandoffNotice): HandoffSaid => ({
    to,
    at: n.at,
    outgoingId: n.outgoingId,
    incomingId: n.incomingId,
    notBefore: n.replacedOutgoingId ?? null,
  });
  const withdrawn = (to: string, w: WithdrawnHandoff): HandoffSaid => ({
    to,
    at: w.at,
    outgoingId: w.outgoingId,
    incomingId: w.incomingId,
  });
  const chat: OnCallChat = {
    async postHandoff(channelId, n) {
      told.push(notice(channelId, n));
    },
    async tellIncoming(userId, n) {
      if (failing.dm) throw new Error('Slack is down');
      told.push(notice(userId, n));
    },
    async tellOutgoing() {},
    async postHandoffWithdrawn(channelId, w) {
      takenBack.push(withdrawn(channelId, w));
    },
    async tellWithdrawn(userId, w) {
      takenBack.push(withdrawn(userId, w));
    },
    async whoIs() {
      return 'person';
    },
  };
  return { chat, told, takenBack, failing };
}

/**
 * The hand-off notices' sweep on `db` with a weekly rotation of Alice, Bob and Carol: C (scheduled) hands over to A (an
 * override of A) at `at`, three minutes from now (a whole minute, within the notice's lead, in the future all along);
 * `ofB`, an override of B just before it, may be added to `state.overrides` to make B the one who hands over. What the
 * sweep sends is recorded (`told`, `takenBack`: every hand-off's; `atT` keeps this one's).
 */
export function handoffScene(db: Database) {
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
    db,
    runbook,
    rec.chat,
    { overrideMaxMs: 86_400_000, handoffNoticeMs: 15 * 60_000, incidentsChannel: HANDOFF_CHANNEL },
    { info() {}, warn() {}, error() {} },
    { rotations: () => [def], overrides: async () => new Map([['on_call', state.overrides]]) },
  );
  const atT = (x: { at: Date }) => x.at.getTime() === at.getTime();
  /** The notice's retry due now (not in a few seconds, when its lease runs out), for the test. */
  const dueNow = () => db.query('UPDATE oncall_handoffs SET leased_until = NULL WHERE handoff_at = $1', [at]);
  return { at, a, b, c, ofA, ofB, state, notices, atT, dueNow, ...rec };
}
