import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../store/db.js';
import {
  claimStaleFollowups,
  endFollowup,
  type FollowupRow,
  insertFollowup,
  markFollowupNotice,
} from '../store/followup.repo.js';
import { getIncident } from '../store/incident.repo.js';
import type { IncidentNotice, Logger } from './ports.js';
import type { Incident } from './types.js';

/**
 * The notices whose change is shown durably: they tell people something (in the incident channel, INCIDENTS_CHANNEL,
 * the pages' direct messages) that nothing shows later if a process dies between committing the change and showing
 * it. Other changes (an acknowledgement, a flag) show on the card, which later changes refresh anyway.
 */
const DURABLE: ReadonlySet<IncidentNotice['kind']> = new Set(['resolved', 'reopened', 'status_update', 'renamed']);

/**
 * How long a process holds a change's follow-up before another takes it over: longer than Slack takes, rate limits
 * and retries included, to show a change; a process killed half-way has it shown by another this much later.
 */
export const FOLLOWUP_LEASE_MS = 120_000;

const SWEEP_BATCH = 20;
/** A follow-up tried this many times (Slack refusing each time) is given up, logged. */
const MAX_ATTEMPTS = 5;

/** What a change still has to show, as the one showing it is given it. */
export interface Followup {
  incidentId: number;
  notice: IncidentNotice;
  pages: boolean;
  resolved: boolean;
  noticeDone: boolean;
}

/**
 * What a committed change of an incident still has to show in Slack, kept in Postgres from the change's own
 * transaction until it is shown: the process showing it may die half-way (kill -9, a crash), and the timer loop of any
 * process (this is one of its sweeps) shows what is left once the lease runs out: the card, the notice unless it was
 * posted, the pages it answered, what follows a resolution.
 */
export class ChangeFollowups {
  /** This process's name on the rows it holds. */
  private readonly owner = randomUUID();

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    /** Shows what is left of a follow-up taken over, from the incident as it is now. */
    private readonly show: (incident: Incident | null, f: Followup, noticePosted: () => Promise<void>) => Promise<void>,
    private readonly leaseMs = FOLLOWUP_LEASE_MS,
  ) {}

  /** Kept, in the change's transaction `tx`, when `notice` is one shown durably; its id then, else null. */
  async keep(
    tx: Queryable,
    f: { incidentId: number; notice: IncidentNotice | undefined; pages: boolean; resolved: boolean },
  ): Promise<number | null> {
    if (!f.notice || !DURABLE.has(f.notice.kind)) return null;
    return insertFollowup(tx, { ...f, notice: f.notice }, this.owner, this.leaseMs);
  }

  /** The follow-up's notice was posted. A failure is logged (posted again if the process dies before the end). */
  async noticePosted(id: number | null): Promise<void> {
    if (id === null) return;
    await markFollowupNotice(this.db, id).catch((err) => this.log.warn(`could not record follow-up ${id}`, err));
  }

  /** All of the follow-up was shown. A failure is logged (another process shows it again once its lease runs out). */
  async done(id: number | null): Promise<void> {
    if (id === null) return;
    await endFollowup(this.db, id, this.owner).catch((err) =>
      this.log.warn(`could not end follow-up ${id}; it may be shown again`, err),
    );
  }

  /** Shows what is left of the follow-ups whose process died (their lease ran out). Run by the timer loop. */
  async sweep(): Promise<void> {
    const stale = await claimStaleFollowups(this.db, this.owner, SWEEP_BATCH, this.leaseMs);
    for (const f of stale) {
      try {
        await this.showLeft(f);
        await endFollowup(this.db, f.id, this.owner);
      } catch (err) {
        if (f.attempts < MAX_ATTEMPTS) {
          this.log.warn(`could not show what is left of a change of incident ${f.incidentId}; trying again later`, err);
          continue;
        }
        this.log.error(
          `gave up showing a change of incident ${f.incidentId} (${f.notice.kind}) after ${f.attempts} attempts`,
          err,
        );
        await endFollowup(this.db, f.id, this.owner);
      }
    }
  }

  private async showLeft(f: FollowupRow): Promise<void> {
    const incident = await getIncident(this.db, f.incidentId);
    await this.show(incident, f, () => this.noticePosted(f.id));
  }
}
