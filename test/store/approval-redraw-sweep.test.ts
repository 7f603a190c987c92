import { beforeEach, describe, expect, it } from 'vitest';
import { ApprovalRedraws } from '../../src/incidents/approval-redraws.js';
import { IncidentNotFoundError } from '../../src/incidents/errors.js';
import type { PlaybookHost } from '../../src/incidents/playbook-host.js';
import { REDRAW_MAX_ATTEMPTS } from '../../src/incidents/redraw-retries.js';
import type { StepApprovals } from '../../src/incidents/step-approvals.service.js';
import type { Incident } from '../../src/incidents/types.js';
import type { Queryable } from '../../src/store/db.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import {
  approvalBehind,
  decideApproval,
  getApprovalDrawing,
  insertApproval,
  type StepApproval,
  setApprovalDms,
} from '../../src/store/step-approval.repo.js';
import { emptyTables, forEachDatabase } from './databases.js';

/**
 * The timer loop's sweep of approval requests (ApprovalRedraws) and the behind mark of a decided request's channel
 * message (migrations 073 and 076): what the sweep clears is only the mark it read, whether it drew the request, gave
 * up on it or found nothing left to draw it in; and a channel message it drew is not drawn again for a direct message
 * Slack refused.
 */

/** What the sweep reads of a request: whether its channel message is behind, and whether it is due at all. */
async function sweepSees(q: Queryable, id: number) {
  const { rows } = await q.query<{ message_behind: boolean; show_due_at: Date | null }>(
    'SELECT message_behind, show_due_at FROM step_approvals WHERE id = $1',
    [id],
  );
  return { behind: rows[0]!.message_behind, due: rows[0]!.show_due_at !== null };
}

type Redraw = StepApprovals['redraw'];

const log = { info: () => {}, warn: () => {}, error: () => {} };

forEachDatabase(
  (ctx) => {
    let incident: Incident;
    let host: PlaybookHost;

    beforeEach(async () => {
      await ctx.truncate();
      await emptyTables(ctx.db, ['step_approvals'], { restartIdentity: true });
      incident = await insertIncident(ctx.db, {
        teamId: 'T1',
        number: 1,
        title: 'web down',
        severity: 1,
        reporterId: 'U0RESPONDER',
      });
      host = { kind: 'incident', incident };
    });

    /**
     * A request approved (its channel message marked behind by the decision), with a direct message, due to the sweep
     * now; `attempts` made already.
     */
    const approvedDue = async (attempts = 0) => {
      const a = await insertApproval(ctx.db, {
        host: { kind: 'incident', id: incident.id },
        playbookId: 'web-down',
        stepKey: 'mitigation.0',
        params: {},
        requestedBy: 'U0RESPONDER',
      });
      await setApprovalDms(ctx.db, a.id, [{ user: 'U0CTO', channel: 'D0CTO', ts: '1.1' }]);
      await decideApproval(ctx.db, a.id, { state: 'approved', decidedBy: 'U0APPROVER', reason: null, added: false });
      await ctx.db.query('UPDATE step_approvals SET show_due_at = now(), show_attempts = $2 WHERE id = $1', [
        a.id,
        attempts,
      ]);
      return a.id;
    };

    /** The request as a drawing reads it before it draws. */
    const read = async (id: number) => (await getApprovalDrawing(ctx.db, id))!.approval;

    /** Another drawing (the run's end, say) that Slack refused in the channel: a newer mark. */
    const refusedElsewhere = async (id: number) =>
      approvalBehind(ctx.db, id, { message: false, mark: (await read(id)).behindMark });

    /** One round of the sweep, the request drawn by `redraw`, its incident found by `hostOf`. */
    const sweep = (redraw: Redraw, hostOf: () => Promise<PlaybookHost> = async () => host) =>
      new ApprovalRedraws(ctx.db, { redraw }, { host: hostOf }, log).sweep();

    /** A drawing of the whole request (its channel message too) that Slack refused everywhere. */
    const refusedEverywhere =
      (meanwhile: (id: number) => Promise<unknown> = async () => {}): Redraw =>
      async (_host, c) => {
        const drawn = await read(c.id);
        await meanwhile(c.id);
        return { shown: false, dms: drawn.dms, message: true, messageShown: false, mark: drawn.behindMark };
      };

    describe('giving up on a request (too many tries)', () => {
      it('clears the mark it read: the request is due no more', async () => {
        const id = await approvedDue(REDRAW_MAX_ATTEMPTS - 1);
        await sweep(refusedEverywhere());
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: false, due: false });
      });

      it('leaves a mark made while it drew, and the request due for it, its tries counted afresh', async () => {
        const id = await approvedDue(REDRAW_MAX_ATTEMPTS - 1);
        await sweep(refusedEverywhere(refusedElsewhere));
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: true, due: true });
        // The next round draws the newer state, the channel message included; Slack refusing it once more is not the
        // end of it.
        await ctx.db.query('UPDATE step_approvals SET show_due_at = now() WHERE id = $1', [id]);
        const seen: StepApproval[] = [];
        await sweep(async (h, c) => {
          seen.push(c);
          return refusedEverywhere()(h, c);
        });
        expect(seen.map((c) => c.messageBehind)).toEqual([true]);
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: true, due: true });
      });
    });

    describe('a request whose incident is no longer there', () => {
      it('clears the mark it read', async () => {
        const id = await approvedDue();
        await sweep(refusedEverywhere(), async () => Promise.reject(new IncidentNotFoundError(false)));
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: false, due: false });
      });

      it('leaves a mark made meanwhile, and the request due for it', async () => {
        const id = await approvedDue();
        await sweep(refusedEverywhere(), async () => {
          await refusedElsewhere(id);
          throw new IncidentNotFoundError(false);
        });
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: true, due: true });
      });
    });

    describe('a drawing Slack took in the channel but refused in a direct message', () => {
      /** Draws the request; Slack takes the channel message's update (when drawn) and refuses the direct message's. */
      const dmRefused =
        (drew: StepApproval[], meanwhile: (id: number) => Promise<unknown> = async () => {}): Redraw =>
        async (_host, c) => {
          drew.push(c);
          const drawn = await read(c.id);
          await meanwhile(c.id);
          const message = c.messageBehind;
          return { shown: false, dms: drawn.dms, message, messageShown: true, mark: drawn.behindMark };
        };

      it('clears the channel mark it read: the request stays due for its direct messages only', async () => {
        const id = await approvedDue();
        const drew: StepApproval[] = [];
        await sweep(dmRefused(drew));
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: false, due: true });
        // The next round draws the direct message only, not the channel message again.
        await ctx.db.query('UPDATE step_approvals SET show_due_at = now() WHERE id = $1', [id]);
        await sweep(dmRefused(drew));
        expect(drew.map((c) => c.messageBehind)).toEqual([true, false]);
      });

      it('leaves a mark made while it drew', async () => {
        const id = await approvedDue();
        await sweep(dmRefused([], refusedElsewhere));
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: true, due: true });
      });
    });
  },
  { only: ['postgres'] },
);
