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
import { renderHandoffDm, renderHandoffNotice, renderHandoffOutgoingDm } from '../../src/templates/oncall.js';
import { testRunbookData, WEEKLY_ON_CALL, withRotation } from '../support/test-runbook.js';
import { emptyTables, forEachDatabase } from './databases.js';

/**
 * A short stand-in (an override of someone else for a few minutes) and the person on call by rotation again after it:
 * A, B, then A. A was on call all along but for those minutes: told "your shift ended" at its start, and "you are on
 * call from" (as if a new shift) for the hand-back, A would think they were off; they are told B stands in for them,
 * and until when.
 */

const CHANNEL = 'C0INCIDENTS';
const quiet = { info() {}, warn() {}, error() {} };

/** A recording fake of the domain's hand-off port: what each message would say, as the templates draw it. */
function recordingChat() {
  const said: { to: string; text: string }[] = [];
  const chat: OnCallChat = {
    async postHandoff(channelId: string, n: HandoffNotice) {
      said.push({ to: channelId, text: renderHandoffNotice(n).text });
    },
    async tellIncoming(userId: string, n: HandoffNotice) {
      said.push({ to: userId, text: renderHandoffDm(n).text });
    },
    async tellOutgoing(userId: string, n: HandoffNotice) {
      said.push({ to: userId, text: renderHandoffOutgoingDm(n).text });
    },
    async postHandoffWithdrawn(_c: string, _w: WithdrawnHandoff) {},
    async tellWithdrawn(_u: string, _w: WithdrawnHandoff) {},
    async whoIs() {
      return 'person';
    },
  };
  return { chat, said };
}

forEachDatabase(
  (ctx) => {
    beforeEach(async () => {
      await emptyTables(ctx.db, ['oncall_handoffs']);
    });

    it('tells the person stood in for that it is a stand-in, and when they are back, not that their shift ended', async () => {
      const runbook = parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', WEEKLY_ON_CALL));
      const def = runbook.escalation.roles.on_call as RotationRole;
      // Started a minute ago, for five minutes more: both its hand-offs within the notice's lead.
      const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
      const end = new Date(start.getTime() + 6 * 60_000);
      const a = scheduledAt(def.rotation, start);
      expect(scheduledAt(def.rotation, end)).toBe(a);
      const b = WEEKLY_ON_CALL.people.find((p) => p !== a)!;
      const override: Override = {
        id: 1,
        role: 'on_call',
        kind: 'override',
        userId: b,
        otherId: null,
        startsAt: start,
        endsAt: end,
        createdBy: 'U0BOSS',
        createdAt: new Date(start.getTime() - 3_600_000),
      };
      const { chat, said } = recordingChat();
      const notices = new HandoffNotices(
        ctx.db,
        runbook,
        chat,
        { overrideMaxMs: 86_400_000, handoffNoticeMs: 15 * 60_000, incidentsChannel: CHANNEL },
        quiet,
        { rotations: () => [def], overrides: async () => new Map([['on_call', [override]]]) },
      );
      await notices.sweep();

      const to = (who: string) => said.filter((s) => s.to === who).map((s) => s.text);
      // At the stand-in's start, A is told B stands in for them, until when: not that their shift ended.
      const toA = to(`${a}`);
      expect(toA.some((t) => t.includes('shift ended'))).toBe(false);
      expect(toA).toContainEqual(expect.stringMatching(new RegExp(`^:pager: <@${b}> stands in for you on .* until `)));
      expect(toA.find((t) => t.includes('stands in for you on'))).toContain('you are on call again then.');
      // The hand-back, told ahead: A is told B stands in for them from the start, until then.
      expect(toA).toContainEqual(
        expect.stringMatching(new RegExp(`taking over from <@${b}>, who stands in for you from .* until then\\.$`)),
      );
      // The channel's line of the hand-back says A is back after it.
      expect(to(CHANNEL)).toContainEqual(
        expect.stringMatching(
          new RegExp(`<@${a}> takes .* from <@${b}>.* \\(back after <@${b}> stands in from .*\\)\\.$`),
        ),
      );
      // B is told as anyone taking over is, and (at the hand-back, not yet) that their time ended.
      expect(to(b)).toContainEqual(expect.stringMatching(/^:pager: You are on call for .* taking over from /));
    });
  },
  { only: ['postgres'] },
);
