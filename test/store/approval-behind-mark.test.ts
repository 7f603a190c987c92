import { beforeEach, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/store/db.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import {
  approvalBehind,
  approvalRedrawn,
  decideApproval,
  getApprovalDrawing,
  insertApproval,
} from '../../src/store/step-approval.repo.js';
import { finishStepRun, insertRunningStep } from '../../src/store/step-run.repo.js';
import { emptyTables, forEachDatabase } from './databases.js';

/**
 * A decided request's channel message marked behind (migration 073) is drawn again by the timer loop's sweep until a
 * drawing clears the mark. A drawing clears only the mark it read before it drew (migration 078), and a refused
 * direct message does not mark the channel message behind.
 */

/** What the sweep reads of a request: whether its channel message is behind, and whether it is due at all. */
async function sweepSees(q: Queryable, id: number) {
  const { rows } = await q.query<{ message_behind: boolean; show_due_at: Date | null }>(
    'SELECT message_behind, show_due_at FROM step_approvals WHERE id = $1',
    [id],
  );
  return { behind: rows[0]!.message_behind, due: rows[0]!.show_due_at !== null };
}

forEachDatabase(
  (ctx) => {
    beforeEach(async () => {
      await ctx.truncate();
      await emptyTables(ctx.db, ['step_approvals'], { restartIdentity: true });
    });

    /** A request approved: the decision marks its channel message behind until a drawing takes. */
    const approved = async () => {
      const incident = await insertIncident(ctx.db, {
        teamId: 'T1',
        number: 1,
        title: 'web down',
        severity: 1,
        reporterId: 'U0RESPONDER',
      });
      const a = await insertApproval(ctx.db, {
        host: { kind: 'incident', id: incident.id },
        playbookId: 'web-down',
        stepKey: 'mitigation.0',
        params: {},
        requestedBy: 'U0RESPONDER',
      });
      await decideApproval(ctx.db, a.id, { state: 'approved', decidedBy: 'U0APPROVER', reason: null, added: false });
      return a.id;
    };

    /** The request as a drawing reads it before it draws. */
    const read = async (id: number) => (await getApprovalDrawing(ctx.db, id))!.approval;

    describe('the run that carried it out', () => {
      it('is read with the signal it was killed by, one the bot did not send, when it failed so', async () => {
        const id = await approved();
        const { rows } = await ctx.db.query<{ incident_id: number }>(
          'SELECT incident_id FROM step_approvals WHERE id = $1',
          [id],
        );
        const run = await insertRunningStep(
          ctx.db,
          {
            host: { kind: 'incident', id: rows[0]!.incident_id },
            playbookId: 'web-down',
            stepKey: 'mitigation.0',
            kind: 'command',
            target: ['atom-cli', 'restart'],
            requestedBy: 'U0RESPONDER',
            approvedBy: 'U0APPROVER',
            approvalId: id,
          },
          30_000,
        );
        await finishStepRun(ctx.db, run!.id, {
          state: 'failed',
          exitCode: null,
          durationMs: 5,
          digest: null,
          tail: '',
          shown: { signal: 'SIGSEGV', detail: 'Killed by SIGSEGV' },
        });
        expect((await getApprovalDrawing(ctx.db, id))!.ran).toMatchObject({
          id: run!.id,
          state: 'failed',
          exitCode: null,
          signal: 'SIGSEGV',
        });
      });
    });

    describe('a drawing that Slack took everywhere', () => {
      it('clears the mark it read', async () => {
        const id = await approved();
        const a = await read(id);
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: true, due: true });
        await approvalRedrawn(ctx.db, id, { dms: a.dms, message: true, mark: a.behindMark });
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: false, due: false });
      });

      it('leaves a mark made while it drew (another drawing Slack refused), and the request due for it', async () => {
        const id = await approved();
        // Drawing A reads the request, and draws it.
        const a = await read(id);
        // Meanwhile drawing B (the run's end, say) reads it, and Slack refuses its update of the channel message.
        const b = await read(id);
        await approvalBehind(ctx.db, id, { message: false, mark: b.behindMark });
        // Drawing A's updates were taken: it records so.
        await approvalRedrawn(ctx.db, id, { dms: a.dms, message: true, mark: a.behindMark });
        // B's state is still to be drawn in the channel: the sweep draws it (its channel message included).
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: true, due: true });
        // B's redraw by the sweep, once taken, clears it.
        const c = await read(id);
        await approvalRedrawn(ctx.db, id, { dms: c.dms, message: true, mark: c.behindMark });
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: false, due: false });
      });
    });

    describe("a decision's drawing that Slack refused in a direct message only", () => {
      it('leaves the channel message it drew not behind, and the request due for its direct messages', async () => {
        const id = await approved();
        const a = await read(id);
        await approvalBehind(ctx.db, id, { message: true, mark: a.behindMark });
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: false, due: true });
      });

      it('leaves a mark made while it drew', async () => {
        const id = await approved();
        const a = await read(id);
        const b = await read(id);
        await approvalBehind(ctx.db, id, { message: false, mark: b.behindMark });
        await approvalBehind(ctx.db, id, { message: true, mark: a.behindMark });
        expect(await sweepSees(ctx.db, id)).toEqual({ behind: true, due: true });
      });
    });

    it('a refusal of the channel message marks it behind', async () => {
      const id = await approved();
      const a = await read(id);
      await approvalRedrawn(ctx.db, id, { dms: a.dms, message: true, mark: a.behindMark });
      const b = await read(id);
      await approvalBehind(ctx.db, id, { message: false, mark: b.behindMark });
      expect(await sweepSees(ctx.db, id)).toEqual({ behind: true, due: true });
    });
  },
  { only: ['postgres'] },
);
