import type { Runbook } from '../runbook/runbook.js';
import type { Database, Queryable } from '../store/db.js';
import {
  deferJob,
  type EscalationJob,
  endCalledOff,
  finishJob,
  finishReminder,
  retryJob,
} from '../store/escalation-jobs.repo.js';
import { cardNotShown, cardRedrawKey, cardShown, insertCardRedrawJob } from '../store/escalation-redraws.repo.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import { failedPagesOf, giveUpPages } from '../store/page-failure.repo.js';
import {
  byNameOf,
  redrawsCard,
  redrawsPages,
  remindsCommander,
  ruleDef,
  ruleReason,
  stillHolds,
  tellsPageFailed,
} from './escalation-policy.js';
import type { Lanes } from './lanes.js';
import type { PageDmRedraw } from './page-dm-redraw.js';
import type { PageNotes } from './page-notes.js';
import { CARD_REDRAW_LEASE_MS, type JobPage, PAGE_TRIES, type Pager, PagesOwedError } from './pager.js';
import type { EscalationView, IncidentChat, Logger } from './ports.js';
import { noteKey } from './side-notes.js';
import type { Incident } from './types.js';

/** A claimed timer and what it was decided to do, under the incident's lock, when it fired. */
export interface FiredJob {
  id: number;
  job: EscalationJob;
  /** The incident as it was when the timer fired. */
  incident: Incident;
  /** The roles this job pages, each with what an earlier attempt already did. */
  pages: JobPage[];
  /** A flag's roles not paged again, paged moments before (RECENT_PAGE_MS), with when: the channel is told. */
  held?: { role: string; pagedAt: Date }[];
  /**
   * A round of nobody acknowledging that pages its role alone, no role above it in the contact order being one the
   * runbook pages on a condition that holds: those roles and their conditions (climbHeld). The channel is told once.
   */
  climbHeld?: { role: string; when: string[] }[];
  /**
   * The incident no longer asks for the job (acknowledged, resolved while it waited for a retry), and `pages` are its
   * pages that went out unannounced: they are announced as sent, their people not reached recorded as missed, nobody
   * paged (see claimDue).
   */
  calledOff?: true;
}

/** A failed job's rescheduling, tried this often while the database does not answer, and at most this many times. */
const RESCHEDULE_EVERY_MS = 1000;
const RESCHEDULE_TRIES = 60;

/**
 * A redraw timer (the page DMs', the card's) is tried at most this many times: with the retries' backoff (up to a
 * minute apart) about an hour. Past it, Slack is not taking the messages for a reason a retry does not fix; the next
 * change of the incident draws them again anyway. A page DMs' redraw that finds some held by another redraw waits for
 * them without spending a try (HELD_REDRAW_AGAIN_MS).
 */
export const REDRAW_TRIES = 60;

/** How soon a page DMs' redraw that found some of them held by another redraw looks again. */
const HELD_REDRAW_AGAIN_MS = 1000;

/** Delay before a failed page is tried again: 1 s, 2 s, 4 s … capped at a minute. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, attempts - 1));
}

/** What fired jobs are carried out with: the escalation service's own (its database, chat, lanes, pager …). */
export interface EscalationJobsDeps {
  db: Database;
  chat: IncidentChat;
  runbook: Runbook;
  log: Logger;
  /** Slack calls of fired timers: pages to people first (`urgent`), then the channel lines and cards (`follow_up`). */
  lanes: Lanes;
  notes: PageNotes;
  /** Pages a fired paging job's roles. */
  pager: Pager;
  /** The page direct messages shown again as the incident is now. */
  dms: PageDmRedraw;
  roleName: (role: string | null) => string;
  /** Told when a timer may be due sooner than the timer loop planned to wake. */
  onScheduled: (dueAt: Date) => void;
  /** The card's escalation line (see EscalationService.view). */
  view: (q: Queryable, incident: Incident) => Promise<EscalationView>;
  opts: {
    /** How many times a redraw timer (page DMs, the card) is tried before it is given up (REDRAW_TRIES). */
    redrawTries?: number;
    /** How many times a paging job is tried before it is given up (PAGE_TRIES). */
    pageTries?: number;
    /** Shows an incident's card again after a fired timer (see EscalationService's opts); none: rendered here. */
    refreshCard?: (incidentId: number) => Promise<void>;
  };
}

/**
 * Carries out the escalation timers claimed as due (EscalationService.claim): pages, reminders, redraws and the
 * page_failed notices, and what a failure of one leaves (a retry, or giving it up).
 */
export class EscalationJobs {
  constructor(private readonly d: EscalationJobsDeps) {}

  /** Carries out a fired timer. Never throws: a failure is recorded and the job tried again later. */
  async run(work: FiredJob): Promise<void> {
    try {
      await this.carryOut(work);
    } catch (thrown) {
      // Pages left for a retry: the job's error is the first page's, and each page keeps its own for a give-up.
      const err = thrown instanceof PagesOwedError ? thrown.first : thrown;
      const { job } = work;
      const tries = this.d.opts.redrawTries ?? REDRAW_TRIES;
      const pages = !(
        redrawsPages(job.rule) ||
        redrawsCard(job.rule) ||
        remindsCommander(job.rule) ||
        tellsPageFailed(job.rule)
      );
      if (pages && job.attempts >= (this.d.opts.pageTries ?? PAGE_TRIES)) {
        await this.giveUp(work, err, thrown instanceof PagesOwedError ? thrown.byPage : undefined);
        return;
      }
      if ((redrawsPages(job.rule) || redrawsCard(job.rule)) && job.attempts >= tries) {
        this.d.log.warn(`escalation job ${job.id} (${job.key}) failed ${job.attempts} times; given up`, err);
        await finishJob(this.d.db, job.id, 'cancelled').catch((e) =>
          this.d.log.warn(`could not give up escalation job ${job.id}; its lease will run out`, e),
        );
        return;
      }
      const delay = retryDelayMs(job.attempts);
      this.d.log.warn(`escalation job ${job.id} (${job.key}) failed, retrying in ${delay} ms`, err);
      await this.reschedule(
        job,
        delay,
        err instanceof Error ? err.message : String(err),
        thrown instanceof PagesOwedError ? thrown.byPage : undefined,
      );
    }
  }

  /**
   * A paging job that failed PAGE_TRIES times (Slack refusing its DMs): ended, its pages that had not gone out recorded
   * failed, the timeline told, and the card shown saying so, with what to do (page them by hand); Escalate now and the
   * rounds do not count them as paged. Should that record fail, the job is tried again as any failure is.
   * `byPage`: Slack's answer to each page that failed in this last try, by page id, recorded on it (on the others, the
   * answer an earlier try recorded, else `err`).
   */
  private async giveUp({ job, incident }: FiredJob, err: unknown, byPage?: ReadonlyMap<number, string>): Promise<void> {
    const error = err instanceof Error ? err.message : String(err);
    const key = cardRedrawKey(job.id);
    let roles: string[];
    let told: boolean;
    try {
      ({ roles, told } = await this.d.lanes.run('follow_up', () =>
        giveUpPages(this.d.db, job, error, key, CARD_REDRAW_LEASE_MS, byPage),
      ));
    } catch (again) {
      this.d.log.warn(`could not give up escalation job ${job.id}; it is tried again`, again);
      await this.reschedule(job, retryDelayMs(job.attempts), error, byPage);
      return;
    }
    this.d.log.error(
      `escalation job ${job.id} (${job.key}) failed ${job.attempts} times; given up, ${roles.length ? `not paged: ${roles.join(', ')}` : 'its pages had gone out'}`,
      err,
    );
    // Its notice (the page_failed timer written with it), for whichever process claims it first.
    if (told) this.d.onScheduled(new Date());
    await this.refreshAfter(incident, 'a page given up', key);
  }

  /**
   * Tells the channel, and the commander in a direct message, that a paging job given up reached nobody of `roles`, or
   * never reached some people of a role it paged (its `page_failed` timer, written by giveUpPages): once, as a
   * reminder is (the timer ends with the telling; a retry
   * after a telling it could not record reads its note and does not tell again). The card and the timeline say it
   * already; this is for the people, as PagerDuty tells responders that a notification failed.
   */
  private async tellPageFailed(job: EscalationJob, incident: Incident): Promise<void> {
    const failed = await this.d.lanes.run('follow_up', () => failedPagesOf(this.d.db, incident.id, job.key));
    const key = noteKey(incident.id, incident.createdAt, 'page_failed', job.id);
    if (failed.length && !(await this.d.notes.of(job, key)).announced) {
      const roles = failed.flatMap((f) =>
        f.failed ? [{ role: f.role, roleName: this.d.roleName(f.role), error: f.error }] : [],
      );
      const missed = failed.flatMap((f) =>
        f.missed ? [{ role: f.role, roleName: this.d.roleName(f.role), ...f.missed }] : [],
      );
      // Whom Slack said cannot be messaged at all, with its answer: named, so that they are reached another way and
      // the runbook's contacts fixed.
      const unreachable = failed.flatMap((f) =>
        f.unreachable
          ? [{ role: f.role, roleName: this.d.roleName(f.role), ...byNameOf(f.role), ...f.unreachable }]
          : [],
      );
      await this.d.lanes.run('urgent', () =>
        this.d.chat.notify(incident, {
          kind: 'page_failed',
          roles,
          ...(missed.length ? { missed } : {}),
          ...(unreachable.length ? { unreachable } : {}),
          commanderId: incident.commanderId,
        }),
      );
    }
    await this.d.lanes.run('follow_up', () =>
      this.d.notes.noting(key, { to: [], announced: true }, () => finishJob(this.d.db, job.id, 'done')),
    );
  }

  /**
   * Schedules a failed job again. The database may be what failed: then it is tried again every second in the
   * background (for up to a minute), so that a short outage delays the rest of a page by the outage, not by the job's
   * lease. Meanwhile, or past RESCHEDULE_TRIES, or if the process stops (nothing waits on it), the lease runs out and
   * any process runs the job; a late reschedule does not move it then (see retryJob). `byPage`: each page's own error
   * in that try (a paging job's), recorded on it for the card.
   */
  private async reschedule(
    job: EscalationJob,
    delayMs: number,
    reason: string,
    byPage?: ReadonlyMap<number, string>,
  ): Promise<void> {
    const once = () => retryJob(this.d.db, job.id, job.attempts, new Date(Date.now() + delayMs), reason, byPage);
    try {
      await once();
    } catch (first) {
      this.d.log.warn(`could not reschedule escalation job ${job.id}; trying again every second`, first);
      void (async () => {
        for (let tries = 2; tries <= RESCHEDULE_TRIES; tries++) {
          await new Promise((r) => setTimeout(r, RESCHEDULE_EVERY_MS).unref());
          try {
            await once();
            this.d.log.info(`escalation job ${job.id} rescheduled once the database answered`);
            return;
          } catch {
            // still down
          }
        }
        this.d.log.error(`could not reschedule escalation job ${job.id}; its lease will run out and it will run again`);
      })();
    }
  }

  /**
   * Says in the channel, and on the timeline, that a flag did not page roles paged moments before (their page is still
   * reaching them), and how to page them again: raising an incident to SEV-0 after a round had paged senior DevOps and
   * the CTO said nothing at all. The channel's line is best effort (logged); the timeline's is recorded.
   */
  private async tellHeld(
    incident: Incident,
    job: EscalationJob,
    held: NonNullable<FiredJob['held']>,
    reason: string,
  ): Promise<void> {
    const roles = held.map((h) => ({ ...h, roleName: this.d.roleName(h.role) }));
    await this.d.lanes
      .run('urgent', () => this.d.chat.notify(incident, { kind: 'page_held', roles, reason }))
      .catch((err) => this.d.log.warn(`incident ${incident.id}: could not say who was not paged again`, err));
    await insertEvent(this.d.db, incident.id, 'page_held', null, {
      roles: held.map((h) => h.role),
      rule: job.rule,
      reason,
    });
  }

  /**
   * Says in the channel, and on the timeline, that a round of nobody acknowledging paged its role again and nobody
   * further up, and why: the roles left in the contact order are paged on conditions that do not hold (a SEV-2 with no
   * customer impact does not wake the engineering manager, nor the CTO), with the `/incident escalate …` that pages
   * them now. Best effort (logged): the page went.
   */
  private async tellClimbHeld(
    incident: Incident,
    job: EscalationJob,
    notClimbed: NonNullable<FiredJob['climbHeld']>,
  ): Promise<void> {
    const role = job.role!;
    const roles = notClimbed.map((h) => ({ ...h, roleName: this.d.roleName(h.role) }));
    await this.d.lanes
      .run('urgent', () => this.d.chat.notify(incident, { kind: 'climb_held', roleName: this.d.roleName(role), roles }))
      .catch((err) => this.d.log.warn(`incident ${incident.id}: could not say why nobody further up was paged`, err));
    await insertEvent(this.d.db, incident.id, 'climb_held', null, { rule: job.rule, role, held: notClimbed }).catch(
      (err) => this.d.log.warn(`incident ${incident.id}: could not record why nobody further up was paged`, err),
    );
  }

  private async carryOut({
    job,
    incident,
    pages,
    held,
    climbHeld: notClimbed,
    calledOff: off,
  }: FiredJob): Promise<void> {
    if (redrawsPages(job.rule)) {
      if ((await this.d.dms.redrawPages(incident.id)) === 'held') {
        // Another redraw holds some of its DMs (for seconds, while Slack answers it): waited for, not a try spent;
        // a redraw that stopped holding them without drawing them (its process killed) lets go by its lease's end.
        const dueAt = new Date(Date.now() + HELD_REDRAW_AGAIN_MS);
        await this.d.lanes.run('follow_up', () => deferJob(this.d.db, job.id, job.attempts, dueAt));
        this.d.onScheduled(dueAt);
        return;
      }
      await this.d.lanes.run('follow_up', () => finishJob(this.d.db, job.id, 'done'));
      return;
    }
    if (redrawsCard(job.rule)) {
      // Throws when the card is not shown (the job is tried again).
      await this.d.lanes.run('follow_up', () => this.showCard(incident));
      await this.d.lanes.run('follow_up', () => finishJob(this.d.db, job.id, 'done'));
      return;
    }
    if (tellsPageFailed(job.rule)) {
      await this.tellPageFailed(job, incident);
      return;
    }
    if (remindsCommander(job.rule)) {
      const reminder = ruleDef(job.rule)?.remind?.(incident, (id) => this.playbookTitle(id), this.d.runbook);
      // Reminded, and its record lost with the database: the retried job only records it.
      const key = noteKey(incident.id, incident.createdAt, 'reminder', job.id);
      if (reminder && !(await this.d.notes.of(job, key)).announced) {
        await this.d.lanes.run('urgent', () => this.d.chat.notify(incident, reminder.notice));
      }
      await this.d.lanes.run('follow_up', () =>
        this.d.notes.noting(key, { to: [], announced: true }, () =>
          finishReminder(this.d.db, job.id, { incidentId: incident.id, details: reminder?.details ?? {} }),
        ),
      );
      // What the card shows may change with it (past an RTO bound); an identical card is not sent again.
      await this.refreshAfter(incident, 'a reminder');
      return;
    }
    const reason = ruleReason(job.rule, this.d.runbook, incident);
    if (held?.length) await this.tellHeld(incident, job, held, reason);
    // The last page's record also ends the job (one statement); with nothing left to announce, end it here.
    const open = pages.filter((p) => !p.announced);
    // A page left for the job's retry does not hold up its next pages (see Pager.pageEach); none goes once the incident
    // no longer asks for the job (claimed so: its pages that went out are only announced).
    const wanted = off ? null : () => this.stillWanted(job);
    const { owed, calledOff } = await this.d.pager.pageEach(incident, job, open, reason, wanted);
    if (open.length === 0) await this.d.lanes.run('follow_up', () => finishJob(this.d.db, job.id, 'done'));
    if (notClimbed?.length && !calledOff) await this.tellClimbHeld(incident, job, notClimbed);
    // Paged for a severity or a flag raised: the earlier pages' Escalate to … are shown as they are now by the timer
    // its claim wrote (`redraw_pages`), until Slack takes each. The card's refresh is a timer each page's record wrote
    // again (announcePage): shown by any process if this one stops first, between two of the job's pages too.
    await this.refreshAfter(incident, 'a page', open.length ? cardRedrawKey(job.id) : undefined);
    if (owed !== null) throw owed;
  }

  /**
   * Whether a claimed paging job is still wanted as its next page is about to go: decided under the incident's lock (a
   * change being made is waited for), as the claim decided it (stillHolds, at the time the job fired: a round is not
   * called off for the time its pages take). A change committed since the claim that no longer asks for it (an
   * acknowledgement, a resolution) left it to this process (see LEASED in escalation-jobs.repo.ts): it ends here, in
   * the same transaction (endCalledOff: done when a page of it went out, else cancelled).
   */
  private stillWanted(job: EscalationJob): Promise<boolean> {
    return this.d.lanes.run('urgent', () =>
      this.d.db.transaction(async (tx) => {
        const incident = await getIncident(tx, job.incidentId, { forShare: true });
        if (incident && stillHolds(job, incident, this.d.runbook, job.firedAt ?? new Date())) return true;
        await endCalledOff(tx, job.id, job.attempts);
        return false;
      }),
    );
  }

  /**
   * Refreshes the card after a fired timer. When it cannot (Slack refused the update, the database did not answer),
   * a timer (`redraw_card`) shows it again shortly, until it is shown: nothing else may redraw the card for hours, and
   * it would go on offering Escalate now to the role just paged. Logged when even that timer cannot be written.
   * `written`: the key of that timer written already with what the card is to show (a page's: see announcePage),
   * ended once the card is shown, or made due shortly for any process when it is not.
   */
  private async refreshAfter(incident: Incident, what: string, written?: string): Promise<void> {
    try {
      await this.d.lanes.run('follow_up', () => this.showCard(incident));
    } catch (err) {
      this.d.log.warn(`could not refresh the card after ${what}; it is shown again shortly`, err);
      const dueAt = new Date(Date.now() + retryDelayMs(1));
      try {
        if (!(written && (await cardNotShown(this.d.db, incident.id, written, dueAt))))
          await insertCardRedrawJob(this.d.db, incident.id, dueAt);
        this.d.onScheduled(dueAt);
      } catch (again) {
        this.d.log.warn(`incident ${incident.id}: could not keep its card to show again`, again);
      }
      return;
    }
    // Shown: its timer ends (left pending, it shows the card once more when its lease runs out).
    if (written)
      await this.d.lanes
        .run('follow_up', () => cardShown(this.d.db, incident.id, written))
        .catch((err) => this.d.log.warn(`incident ${incident.id}: could not record its card shown`, err));
  }

  /** Shows the incident's card as it is now (see `opts.refreshCard`); throws when it is not shown. */
  private async showCard(incident: Incident): Promise<void> {
    const refresh = this.d.opts.refreshCard;
    if (refresh) return refresh(incident.id);
    const [view, current] = await Promise.all([this.d.view(this.d.db, incident), getIncident(this.d.db, incident.id)]);
    await this.d.chat.refreshCard(current ?? incident, view);
  }

  /** A playbook's title in the runbook (its id when the runbook no longer has it). */
  private playbookTitle(id: string): string {
    return this.d.runbook.playbooks.find((p) => p.id === id)?.title ?? id;
  }
}
