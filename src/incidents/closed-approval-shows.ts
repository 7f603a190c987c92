import type { Database } from '../store/db.js';
import { claimClosedToShow, closedShown, showClosedAgainAt } from '../store/step-approval-shows.repo.js';
import { getApproval } from '../store/step-run.repo.js';
import { DomainError } from './errors.js';
import type { PlaybookHost } from './playbook-host.js';
import type { Logger } from './ports.js';
import { REDRAW_BATCH, REDRAW_LEASE_MS, redrawLater } from './redraw-retries.js';
import type { StepApprovals } from './step-approvals.service.js';
import type { StepRuns } from './step-runs.js';
import type { Sweep } from './timer-loop.js';

/**
 * Approval requests closed unrun (step skipped, playbook detached, incident resolved) whose channel message or DMs
 * Slack would not update when they were closed, and requests decided while their DMs were on their way whose DMs Slack
 * would not update then: they would keep live Approve buttons. Each round of the timer loop shows the due ones closed
 * (or decided) again, with growing waits, until every message shows it.
 */
export class ClosedApprovalShows implements Sweep {
  constructor(
    private readonly db: Database,
    private readonly approvals: Pick<StepApprovals, 'showClosedOne'>,
    private readonly runs: Pick<StepRuns, 'host'>,
    private readonly log: Logger = console,
  ) {}

  async sweep(): Promise<void> {
    const due = await claimClosedToShow(this.db, REDRAW_BATCH, REDRAW_LEASE_MS);
    for (const d of due) await this.show(d.id, d.attempts);
  }

  private async show(id: number, attempts: number): Promise<void> {
    try {
      const a = await getApproval(this.db, id);
      let host: PlaybookHost | null = null;
      // An incident or run no longer there has nothing to show.
      if (a && a.state !== 'pending') {
        host = await this.runs.host(a.host).catch((e) => (e instanceof DomainError ? null : Promise.reject(e)));
      }
      if (!a || !host) {
        await closedShown(this.db, id);
        return;
      }
      const drawn = await this.approvals.showClosedOne(host, a);
      if (drawn.shown) {
        await closedShown(this.db, id, drawn.dms ?? a.dms);
        return;
      }
    } catch (e) {
      this.log.warn(`could not show approval request ${id} as closed again`, e);
    }
    await redrawLater(
      {
        what: `approval request ${id}`,
        goal: 'showing it closed',
        attempts,
        done: () => closedShown(this.db, id),
        again: (at) => showClosedAgainAt(this.db, id, at),
      },
      this.log,
    );
  }
}
