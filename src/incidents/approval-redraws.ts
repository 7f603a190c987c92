import type { Database } from '../store/db.js';
import {
  approvalGivenUp,
  approvalMessageDrawn,
  approvalRedrawn,
  claimApprovalRedraws,
  getApproval,
  redrawApprovalAgainAt,
} from '../store/step-approval.repo.js';
import { DomainError } from './errors.js';
import type { PlaybookHost } from './playbook-host.js';
import type { Logger } from './ports.js';
import { REDRAW_BATCH, REDRAW_LEASE_MS, redrawLater } from './redraw-retries.js';
import type { StepApprovals } from './step-approvals.service.js';
import type { StepRuns } from './step-runs.js';
import type { Sweep } from './timer-loop.js';

/**
 * The timer loop's redraws of approval requests whose messages may still show an older state: closed unrun (step
 * skipped, playbook detached, incident resolved) with a channel message or DMs Slack would not update then, decided
 * with a channel message or DMs Slack would not update at the decision (or the run's end), and closed or decided while
 * their DMs were on their way, with DMs recorded after (or Slack refusing them). They would keep live Approve buttons. Each round draws the due ones again as they are now (ApprovalDrawing), with growing waits, until
 * every message shows it.
 */
export class ApprovalRedraws implements Sweep {
  constructor(
    private readonly db: Database,
    private readonly approvals: Pick<StepApprovals, 'redraw'>,
    private readonly runs: Pick<StepRuns, 'host'>,
    private readonly log: Logger = console,
  ) {}

  async sweep(): Promise<void> {
    const due = await claimApprovalRedraws(this.db, REDRAW_BATCH, REDRAW_LEASE_MS);
    for (const d of due) await this.redraw(d.id, d.attempts, d.mark);
  }

  /**
   * `claimedMark`: the request's behind mark as claimed. Giving up on it clears the newest mark read (the claim's, the
   * request's, its drawing's), and leaves a newer one, made meanwhile, due (approvalGivenUp).
   */
  private async redraw(id: number, attempts: number, claimedMark: number): Promise<void> {
    let mark = claimedMark;
    const giveUp = () => approvalGivenUp(this.db, id, mark);
    try {
      const a = await getApproval(this.db, id);
      if (a) mark = a.behindMark;
      let host: PlaybookHost | null = null;
      // An incident or run no longer there has nothing to show.
      if (a && a.state !== 'pending') {
        host = await this.runs.host(a.host).catch((e) => (e instanceof DomainError ? null : Promise.reject(e)));
      }
      if (!a || !host) {
        await giveUp();
        return;
      }
      const drawn = await this.approvals.redraw(host, a);
      mark = drawn.mark ?? mark;
      if (drawn.shown) {
        await approvalRedrawn(this.db, id, { dms: drawn.dms ?? a.dms, message: drawn.message, mark });
        return;
      }
      // Slack took the channel message's update but refused a direct message's: the next round draws those only.
      if (drawn.message && drawn.messageShown) await approvalMessageDrawn(this.db, id, mark);
    } catch (e) {
      this.log.warn(`could not draw approval request ${id} again`, e);
    }
    await redrawLater(
      {
        what: `approval request ${id}`,
        goal: 'drawing it again',
        attempts,
        done: giveUp,
        again: (at) => redrawApprovalAgainAt(this.db, id, at),
      },
      this.log,
    );
  }
}
