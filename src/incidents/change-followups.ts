import { randomUUID } from 'node:crypto';
import type { Database, Queryable, StatementPart } from '../store/db.js';
import {
  claimStaleFollowups,
  endFollowup,
  type FollowupRow,
  insertFollowup,
  insertFollowupPart,
  markFollowupNotice,
  renewFollowup,
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
 * How long a process holds a change's follow-up without renewing it (it renews it every third of this while it shows
 * it, however long Slack takes): a process killed half-way has it shown by another this much later.
 */
export const FOLLOWUP_LEASE_MS = 120_000;

/** How many follow-ups a sweep shows at most (one claimed at a time, each held while it is shown). */
const SWEEP_BATCH = 20;
/** A follow-up tried this many times (its card or pages failing each time) is given up, logged. */
const MAX_ATTEMPTS = 5;

/** What a change still has to show, as the one showing it is given it. */
export type Followup = Pick<
  FollowupRow,
  'id' | 'incident' | 'notice' | 'pages' | 'resolved' | 'noticeDone' | 'createdAt'
>;

/**
 * What a committed change of an incident still has to show in Slack, kept in Postgres from the change's own
 * transaction until it is shown: the process showing it may die half-way (kill -9, a crash), and the timer loop of any
 * process (this is one of its sweeps) shows what is left once the lease runs out: the card, the notice unless it was
 * posted or overtaken, the pages it answered, what follows a resolution. A process renews its lease while it shows a
 * follow-up, so a slow Slack does not make another show it too.
 */
export class ChangeFollowups {
  /** This process's name on the rows it holds. */
  private readonly owner = randomUUID();

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    /**
     * Shows what is left of a follow-up taken over; `current`: the incident as it is now (null: gone). `noticeDone`
     * records the notice as posted (a later round does not post it again).
     */
    private readonly show: (current: Incident | null, f: Followup, noticeDone: () => Promise<void>) => Promise<void>,
    private readonly leaseMs = FOLLOWUP_LEASE_MS,
  ) {}

  /** Kept, in the change's transaction `tx`, when `notice` is one shown durably; its id then, else null. */
  async keep(
    tx: Queryable,
    f: { incident: Incident; notice: IncidentNotice | undefined; pages: boolean; resolved: boolean },
  ): Promise<number | null> {
    if (!f.notice || !DURABLE.has(f.notice.kind)) return null;
    return insertFollowup(tx, { ...f, notice: f.notice }, this.owner, this.leaseMs);
  }

  /**
   * keep, as part of the statement that writes the change (no round trip of its own): undefined when `notice` is not
   * shown durably; the part selects the follow-up's id.
   */
  part(f: {
    incident: Incident;
    notice: IncidentNotice | undefined;
    pages: boolean;
    resolved: boolean;
  }): ((first: number) => StatementPart) | undefined {
    if (!f.notice || !DURABLE.has(f.notice.kind)) return undefined;
    const notice = f.notice;
    return (first) => insertFollowupPart(first, { ...f, notice }, this.owner, this.leaseMs);
  }

  /**
   * Holds the follow-up (renewing its lease) until the returned function is called: the process showing it is alive,
   * however long Slack takes. A lease the database did not renew is logged; another process may show it then.
   */
  hold(id: number | null): () => void {
    if (id === null) return () => {};
    const renewing = setInterval(
      () => {
        renewFollowup(this.db, id, this.owner, this.leaseMs).catch((err) =>
          this.log.warn(`could not renew the lease on follow-up ${id}`, err),
        );
      },
      Math.floor(this.leaseMs / 3),
    );
    renewing.unref();
    return () => clearInterval(renewing);
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
    for (let n = 0; n < SWEEP_BATCH; n++) {
      // One at a time, each held while shown: a batch claimed at once could outlive its lease behind a slow Slack.
      const [f] = await claimStaleFollowups(this.db, this.owner, 1, this.leaseMs);
      if (!f) return;
      const release = this.hold(f.id);
      try {
        await this.show(await getIncident(this.db, f.incidentId), f, async () => {
          await markFollowupNotice(this.db, f.id);
        });
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
      } finally {
        release();
      }
    }
  }
}

const time = (d: Date | null) => d?.getTime() ?? null;

/**
 * Whether a later change overtook the change that left `before` (and its notice): the incident was resolved again
 * since (or reopened), reopened again since (or resolved), renamed again, or took a newer status update. Its notice is
 * not posted late then: the channel has heard what came after it.
 */
export function overtaken(notice: IncidentNotice, before: Incident, now: Incident): boolean {
  switch (notice.kind) {
    case 'resolved':
      return now.status !== 'resolved' || time(now.resolvedAt) !== time(before.resolvedAt);
    case 'reopened':
      return now.status === 'resolved' || time(now.reopenedAt) !== time(before.reopenedAt);
    case 'renamed':
      return now.title !== before.title;
    case 'status_update':
      return time(now.lastUpdateAt) !== time(before.lastUpdateAt);
    default:
      return false;
  }
}
