import type { Database } from '../store/db.js';
import { claimClosedToShow, closedShown, showClosedAgainAt } from '../store/step-approval-shows.repo.js';
import { getApproval } from '../store/step-run.repo.js';
import { DomainError } from './errors.js';
import type { PlaybookHost } from './playbook-host.js';
import type { Logger } from './ports.js';
import type { StepApprovals } from './step-approvals.service.js';
import type { StepRuns } from './step-runs.js';
import type { Sweep } from './timer-loop.js';

/** Requests shown again at most this many times, then left as they are (a press on them is refused all the same). */
const MAX_ATTEMPTS = 8;
/** Claimed per round at most. */
const BATCH = 20;
/** A claimed request is another process's to show after this (this one died showing it). */
const LEASE_MS = 60_000;
/** The wait before the next attempt: 30 s, doubled each time, at most 10 minutes. */
const retryDelayMs = (attempts: number) => Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 600_000);

/**
 * Approval requests closed unrun (step skipped, playbook detached, incident resolved) whose channel message or DMs
 * Slack would not update when they were closed: they would keep live Approve buttons. Each round of the timer loop
 * shows the due ones closed again, with growing waits, until every message shows it.
 */
export class ClosedApprovalShows implements Sweep {
  constructor(
    private readonly db: Database,
    private readonly approvals: Pick<StepApprovals, 'showClosedOne'>,
    private readonly runs: Pick<StepRuns, 'host'>,
    private readonly log: Logger = console,
  ) {}

  async sweep(): Promise<void> {
    const due = await claimClosedToShow(this.db, BATCH, LEASE_MS);
    for (const d of due) await this.show(d.id, d.attempts);
  }

  private async show(id: number, attempts: number): Promise<void> {
    try {
      const a = await getApproval(this.db, id);
      let host: PlaybookHost | null = null;
      // An incident or run no longer there has nothing to show.
      if (a && a.state === 'closed') {
        host = await this.runs.host(a.host).catch((e) => (e instanceof DomainError ? null : Promise.reject(e)));
      }
      if (!a || !host || (await this.approvals.showClosedOne(host, a))) {
        await closedShown(this.db, id, a && host ? a.dms : undefined);
        return;
      }
    } catch (e) {
      this.log.warn(`could not show approval request ${id} as closed again`, e);
    }
    if (attempts >= MAX_ATTEMPTS) {
      this.log.warn(`approval request ${id}: gave up showing it closed after ${attempts} attempts`);
      await closedShown(this.db, id).catch(() => undefined);
      return;
    }
    await showClosedAgainAt(this.db, id, new Date(Date.now() + retryDelayMs(attempts))).catch((e) =>
      this.log.warn(`could not reschedule showing approval request ${id} as closed; its lease will run out`, e),
    );
  }
}
