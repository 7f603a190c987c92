import type { Database } from '../store/db.js';
import type { EscalationJob } from '../store/escalation-jobs.repo.js';
import { announcePage, pagedPeopleSince, recordDeliveries, takenRoles } from '../store/page.repo.js';
import { ChatPlatformError } from './errors.js';
import { byNameOf, openedAt, pagedPerson, ruleFlag } from './escalation-policy.js';
import type { EscalationReader } from './escalation-reader.js';
import type { Lanes } from './lanes.js';
import type { NotificationService } from './notification.service.js';
import type { OnCallResolver } from './oncall.service.js';
import type { PageNotes } from './page-notes.js';
import {
  type IncidentChat,
  type IncidentMetrics,
  type Logger,
  type NeverReached,
  type PageDmAt,
  UnreachableContactError,
} from './ports.js';
import { noteKey } from './side-notes.js';
import type { Incident } from './types.js';

/**
 * A paging job is tried at most this many times: with the retries' backoff (1 s, 2 s … a minute apart) about ten
 * minutes. Till then its pages not gone out are "being paged" on the card (with Slack's last error), and counted as
 * paged so that nobody pages the role twice; past it, they failed: the card says so and what to do, and the role is
 * paged again by Escalate now or its next round.
 */
export const PAGE_TRIES = 15;

/**
 * How long the process that recorded a paging job's end holds the card's refresh written with it (`redraw_card`, see
 * announcePage) before any process may show the card instead: a card update takes well under it, and one that takes
 * longer is shown twice, not missed.
 */
export const CARD_REDRAW_LEASE_MS = 10_000;

/** Slack's answers for an incident channel that cannot be posted in again as it is: archived, or gone. */
const CHANNEL_GONE = new Set(['is_archived', 'channel_not_found']);

/** The people a page reached: its deliveries but those Slack said cannot be messaged (as PAGE_SENT reads a page). */
export const reachedBy = (p: Pick<JobPage, 'deliveredTo' | 'unreachable'>): string[] =>
  [...p.deliveredTo].filter((u) => !p.unreachable.has(u));

/** A role a fired paging job pages, with what an earlier attempt already did. */
export interface JobPage {
  pageId: number;
  role: string;
  announced: boolean;
  /** Whom an earlier attempt reached, or tried and could not reach (`unreachable`). */
  deliveredTo: ReadonlySet<string>;
  /** Those of `deliveredTo` Slack could not reach (user_not_found …): not reached by the page, nor tried again. */
  unreachable: ReadonlySet<string>;
  /** Slack's answer for those of `unreachable` it gave one for (user_not_found, cannot_dm_bot …). */
  unreachableWhy: ReadonlyMap<string, string>;
  /** When the page was first tried (its row made); null for one this attempt makes. */
  since: Date | null;
  /** Slack's answer to the page's last try that failed (its job retried for it), null when none. */
  failure: string | null;
}

/**
 * Of a role's people on call now, those to page by hand and those paged for this opening of the incident already (by
 * any page, reached: a person a page could not reach is not counted): the one rule the reply to the person asking and
 * the page itself (its channel line) both follow.
 */
export function peopleToPage(
  contacts: readonly string[],
  pagedSince: ReadonlySet<string>,
): { fresh: string[]; alreadyPaged: string[] } {
  return {
    fresh: contacts.filter((u) => !pagedSince.has(u)),
    alreadyPaged: contacts.filter((u) => pagedSince.has(u)),
  };
}

/** What the pager works with: the escalation service's own (its database, chat, lanes, notes …). */
export interface PagerDeps {
  db: Database;
  chat: IncidentChat;
  log: Logger;
  /** Slack calls of fired timers: pages to people first (`urgent`), then the channel lines (`follow_up`). */
  lanes: Lanes;
  notes: PageNotes;
  reader: EscalationReader;
  /** Whom a role pages when its page fires. */
  oncall: OnCallResolver;
  notifications?: NotificationService;
  metrics: IncidentMetrics;
  roleName: (role: string) => string;
  /** Told when a timer may be due sooner than the timer loop planned to wake. */
  onScheduled: (dueAt: Date) => void;
  /** Shows the incident's page DMs answered (see EscalationService.showAnsweredPages). */
  showAnsweredPages: (incident: Incident) => Promise<void>;
  /** How many times a paging job is tried (PAGE_TRIES when not set). */
  opts: { pageTries?: number };
}

/**
 * A paging job's try that left pages for its retry: the first page's failure (`first`: the job's, logged and kept as
 * its last error) and each page's own (Slack's answer, by page id), which a give-up records on that page.
 */
export class PagesOwedError extends Error {
  constructor(
    readonly first: unknown,
    readonly byPage: ReadonlyMap<number, string>,
  ) {
    super(first instanceof Error ? first.message : String(first));
    this.name = 'PagesOwedError';
  }
}

/** Pages the roles of a fired paging job: each role's people by DM, the channel told, all recorded. */
export class Pager {
  constructor(private readonly d: PagerDeps) {}

  private get pageTries(): number {
    return this.d.opts.pageTries ?? PAGE_TRIES;
  }

  /**
   * Pages each of `open` (a job's pages not announced yet) in turn. A page one of whose DMs Slack refused (a 500), or
   * whose line in the channel it refused, does not hold up the next role's DMs (as PagerDuty never waits on one
   * responder's notification to notify the next): the job's later pages go on, none of them ends the job, and the job
   * is tried again for what that page still owes (its page not announced: the retry sends only the DMs not recorded as
   * gone, and says its line), by any process. Returns what is owed (PagesOwedError), null when none; throws for any
   * other failure. Before each page, `wanted` says whether the job is still wanted (the incident may have been
   * acknowledged or resolved since the claim, or while the page before was on its way); when not, it has ended the job
   * and no further page goes (`calledOff`), as PagerDuty notifies nobody more once an incident is acknowledged.
   * `wanted` null: the job was claimed no longer wanted, `open` being its pages that went out unannounced (see
   * claimDue): each is announced as sent, no DM sent (its people not reached recorded as missed), the last ending the
   * job (done).
   */
  async pageEach(
    incident: Incident,
    job: EscalationJob,
    open: readonly JobPage[],
    reason: string,
    wanted: (() => Promise<boolean>) | null,
  ): Promise<{ owed: PagesOwedError | null; calledOff: boolean }> {
    let owed: unknown = null;
    // Each page's own failure: pages failing in one try for different reasons are each told with theirs.
    const owedBy = new Map<number, string>();
    for (const [i, page] of open.entries()) {
      // Ended by it: nothing is owed (a page that failed before is not tried again).
      if (wanted && !(await wanted())) return { owed: null, calledOff: true };
      const failed = await this.page(incident, job, page, reason, i === open.length - 1 && owed === null, wanted);
      owed ??= failed;
      if (failed !== null) owedBy.set(page.pageId, failed instanceof Error ? failed.message : String(failed));
    }
    return { owed: owed === null ? null : new PagesOwedError(owed, owedBy), calledOff: wanted === null };
  }

  /**
   * Pages one role: a DM to each contact, an invitation to the channel, and a line in the channel saying why. Returns
   * Slack's error when some of its DMs failed (those that went recorded), or when they went but the channel's line (or
   * the invitation) failed, before the job's last try: the page is left unannounced, for the job's retry to finish;
   * null when done. Throws for any other failure (the database not taking its record).
   * `lastOfJob`: the page that ends the job with its record (none when an earlier page is left for a retry).
   */
  private async page(
    incident: Incident,
    job: EscalationJob,
    page: JobPage,
    reason: string,
    lastOfJob: boolean,
    /**
     * Whether the job is still wanted (see pageEach): asked when some of its DMs failed. Null: it is not (claimed so),
     * and the page, which went out, is only announced: no DM sent, those it has not reached recorded as missed.
     */
    wanted: (() => Promise<boolean>) | null,
  ): Promise<unknown> {
    const { role } = page;
    const announceOnly = wanted === null;
    const finishes = lastOfJob ? job.id : null;
    // Escalated by hand: the page and the channel name who did (one message in the channel for one escalation).
    const by = job.requestedBy ? { by: job.requestedBy } : {};
    // Paged for a flag: the DM says what was said with it (read from the incident as the page shows it).
    const flag = ruleFlag(job.rule, incident);
    // What an earlier attempt did and could not record, the database gone (this process's, another replica's).
    const key = noteKey(incident.id, incident.createdAt, 'page', page.pageId);
    const note = await this.d.notes.of(job, key);
    const deliveredTo = new Set([...page.deliveredTo, ...note.to]);
    // Of them, those an earlier attempt could not reach (Slack does not know them …): not reached by this page now
    // either, nor tried again (Slack would answer the same).
    const unreachableBefore = new Set([...page.unreachable, ...(note.unreachable ?? [])]);
    // Slack's answer for each person it said cannot be reached (user_not_found …), earlier or now: kept with their
    // delivery and said wherever they are named, so that the runbook's contacts can be fixed.
    const unreachableWhy = new Map([...page.unreachableWhy, ...Object.entries(note.unreachableWhy ?? {})]);
    // Asked when the page fires: a timer that fires just after a hand-off pages the new person. A page by name: them.
    // Only announced: the people it was for when it first went, and whom it reached though on call no more.
    const person = pagedPerson(role);
    const onCall = person
      ? [person.userId]
      : await this.d.oncall.contactsFor(role, announceOnly ? (page.since ?? new Date()) : new Date());
    const contacts = announceOnly ? [...new Set([...onCall, ...reachedBy(page)])] : onCall;
    const roleName = this.d.roleName(role);
    if (contacts.length === 0) {
      await this.d.lanes.run('urgent', async () => {
        if (!note.announced) await this.d.chat.notify(incident, { kind: 'page_skipped', roleName, reason, ...by });
        const details = { role, rule: job.rule, reason: 'nobody is configured' };
        await this.d.notes.noting(key, { to: [...deliveredTo], announced: true }, () =>
          announcePage(this.d.db, page.pageId, { incidentId: incident.id, kind: 'page_skipped', details }, finishes, {
            cardLeaseMs: CARD_REDRAW_LEASE_MS,
            cardJobId: job.id,
          }),
        );
      });
      return null;
    }
    const resolved = await this.d.lanes.run('urgent', () => this.d.chat.resolveContacts(contacts));
    const { unresolved } = resolved;
    // A role paged by hand (`/incident page on-call` after a hand-off): only its people not paged for this opening of
    // the incident yet, by any page; the others are named in the channel as paged already, not woken twice.
    const before =
      job.rule === 'manual' && !person
        ? await this.d.lanes.run('urgent', () =>
            pagedPeopleSince(this.d.db, incident.id, page.pageId, openedAt(incident)),
          )
        : new Set<string>();
    const { alreadyPaged } = peopleToPage(
      resolved.userIds.filter((u) => !deliveredTo.has(u)),
      before,
    );
    const userIds = resolved.userIds.filter((u) => !alreadyPaged.includes(u));
    // Nobody new to page: no page is stored (the card would count the role as paged once more); the channel and the
    // timeline say who was paged already. Only as the job's last page: a retry of the job finds its pages by row.
    const nobodyNew = alreadyPaged.length > 0 && userIds.length === 0 && unresolved.length === 0 && lastOfJob;
    const unreachable = [...unresolved];
    // Slack's answer for each user group it would not expand (missing_scope, no_such_subteam …), said with it.
    for (const [id, why] of Object.entries(resolved.unresolvedWhy ?? {})) unreachableWhy.set(id, why);
    const reached: string[] = [];
    // A retry: an earlier attempt may have sent a DM and stopped (killed) before noting it anywhere; Slack has it.
    const find = job.attempts > 1 ? this.d.chat.findPage?.bind(this.d.chat) : undefined;
    const findPage = find
      ? (userId: string) =>
          find(incident, page.pageId, userId, undefined, page.since ?? undefined).catch((err) => {
            this.d.log.warn(`could not look for page ${page.pageId}'s DM to ${userId}; sending it`, err);
            return null;
          })
      : undefined;
    // Where each DM sent is, to show it answered later (see showAnsweredPages).
    const dms = new Map<string, PageDmAt>();
    // The roles paged (this page's round's too) or asked for by now, for the DM's Escalate to … (a person's page has
    // none): for this opening of the incident, as Escalate now counts them (a role paged before a resolution is not).
    const escalateTo = person
      ? {}
      : await this.d.reader.escalateFrom(
          incident,
          role,
          await this.d.lanes.run('urgent', () => takenRoles(this.d.db, incident.id, openedAt(incident))),
        );
    // The person on call who declared the incident themselves is not paged by their own declaration (no DM telling
    // them to acknowledge what they just opened, no later steps): recorded as reached, and the channel is told.
    const declarer =
      job.rule === 'declared' && !person && userIds.includes(incident.reporterId) ? incident.reporterId : null;
    // Every contact at once: nobody waits for the others' DMs.
    const sent = await Promise.allSettled(
      userIds.map(async (userId) => {
        if (unreachableBefore.has(userId)) return false;
        if (deliveredTo.has(userId) || userId === declarer) return true;
        // Only on a retry (a first attempt spends no call on it): found, it is recorded as reached, not sent again,
        // with where it is (shown answered later, as one sent now).
        const found = findPage ? await this.d.lanes.run('urgent', () => findPage(userId)) : null;
        if (found) {
          dms.set(userId, found);
          return true;
        }
        // Only announced: not paged now; missed by the page, with Slack's answer to its last try.
        if (announceOnly) throw new Error(page.failure ?? 'not paged: the incident no longer asked for it');
        try {
          const dm = await this.d.lanes.run('urgent', () =>
            this.d.chat.sendPage(
              incident,
              {
                roleName,
                reason,
                ...by,
                ...(flag ? { flag } : {}),
                pageId: page.pageId,
                ...byNameOf(role),
                ...escalateTo,
              },
              userId,
            ),
          );
          if (dm) dms.set(userId, dm);
          return true;
        } catch (err) {
          if (err instanceof UnreachableContactError) {
            unreachableWhy.set(userId, err.reason);
            return false;
          }
          throw err; // Slack failing: the job is retried
        }
      }),
    );
    const attempted: string[] = [];
    let failure: unknown = null;
    // Each person's own failure: two people of a role refused for two reasons are each recorded with theirs.
    const failedFor = new Map<string, string>();
    sent.forEach((r, i) => {
      const userId = userIds[i]!;
      if (r.status === 'rejected') {
        failure ??= r.reason;
        failedFor.set(userId, r.reason instanceof Error ? r.reason.message : String(r.reason));
        return;
      }
      attempted.push(userId);
      if (r.value) reached.push(userId);
      else unreachable.push(userId);
    });
    // The job's last try, and Slack still refusing some of the DMs of a page that reached someone (now or on an earlier
    // try): the page went out (its role counts as paged), and those people are recorded as never reached by it, with
    // Slack's answer to each, for the card and the job's page_failed notice.
    let lastTry = job.attempts >= this.pageTries;
    const neverReached = (): NeverReached => ({ userIds: [...failedFor.keys()], errors: [...failedFor.values()] });
    let missed: NeverReached | undefined =
      failure && (lastTry || announceOnly) && reached.length ? neverReached() : undefined;
    // Whom this attempt reached is stored even when another DM failed, so a retry does not page them twice.
    // The user groups Slack would not expand are recorded with them, as not reached, with its answer (the card and the
    // page_failed notice name them so).
    const recorded = [...attempted, ...unresolved.filter((u) => !attempted.includes(u))];
    const fresh = recorded.filter((u) => !page.deliveredTo.has(u));
    const tried = [...new Set([...deliveredTo, ...recorded])];
    // What a retry is to know if the database does not take this: whom the DMs reached, and whom they could not.
    const unreachableTried = tried.filter((u) => unreachable.includes(u));
    const noted = {
      to: tried,
      unreachable: unreachableTried,
      unreachableWhy: Object.fromEntries(
        unreachableTried.flatMap((u) => {
          const why = unreachableWhy.get(u);
          return why ? [[u, why] as const] : [];
        }),
      ),
    };
    // Every DM went (none failed, to be retried), or the page went out on its last try: the later steps of the notify:
    // rules (email, PagerDuty …), as timers due from the page's time (for the people never reached too: another way to
    // reach them), and the DMs as its deliveries, written with whom it reached (one round trip); idempotent, so a
    // retried job writes nothing twice.
    const n = this.d.notifications;
    const others = (ids: string[]) => ids.filter((u) => u !== declarer);
    // Only announced, none: the change stopped them.
    const more =
      n && !announceOnly && (!failure || missed)
        ? await this.d.lanes.run('urgent', () =>
            n.pagedPart({ incident, pageId: page.pageId, role }, others(userIds), others(reached)),
          )
        : undefined;
    let late = false;
    await this.d.lanes.run('urgent', () =>
      this.d.notes.noting(key, { ...noted, announced: note.announced }, async () => {
        late = await recordDeliveries(
          this.d.db,
          page.pageId,
          fresh,
          dms,
          new Map(unreachable.map((u) => [u, unreachableWhy.get(u) ?? null])),
          incident.severity,
          escalateTo.escalateTo?.role ?? '',
          // What Escalate to … was chosen with (a page by name offers none): a change of command shows it again.
          person ? null : (incident.commanderId ?? ''),
          more,
          missed,
        );
      }),
    );
    // Drawn before a change whose timer has run: the timer written with the deliveries is due now.
    if (late) this.d.onScheduled(new Date());
    // Some DMs failed, others reached their person, and the job is no longer wanted (acknowledged, resolved while they
    // went: `wanted` has ended it, done): not tried again, as on its last try, the page went out and is announced, those
    // it never reached recorded as missed (no notify: steps follow it, the change stopped them).
    if (failure && !missed && reached.length && wanted && !(await wanted())) {
      lastTry = true;
      const calledOff = neverReached();
      await this.d.lanes.run('urgent', () =>
        recordDeliveries(this.d.db, page.pageId, [], new Map(), new Map(), null, null, null, undefined, calledOff),
      );
      missed = calledOff;
    }
    // A DM failed: the job is tried again for it (whom this try reached recorded above, not sent it again), its next
    // pages not waiting; on its last try a page that reached someone went out all the same, and is announced (saying
    // whom it never reached), rather than given up unannounced.
    if (failure && !missed) return failure;
    // Slack's answer for each person it could not reach, in their order, for the channel's line and the timeline.
    const unreachableErrors = unreachable.some((u) => unreachableWhy.has(u))
      ? unreachable.map((u) => unreachableWhy.get(u) ?? null)
      : null;
    let told = false;
    let lineFailed: unknown = null;
    await this.d.lanes.run('follow_up', async () => {
      // The channel archived (or deleted) in Slack while the incident is open: the DMs went, and trying the channel
      // again would fail the same way, so the page is recorded as said there (the DMs say where the incident was).
      // Nor, on the job's last try, when the channel keeps failing otherwise: the page went out (its DMs), and its line
      // in the channel is a notice, given up (logged, and on the timeline) rather than the page said failed.
      let channelGone: string | null = null;
      let channelFailed: string | null = null;
      let notInvited: string[] = [];
      try {
        // Whom Slack would not add to the channel: reached by their DM all the same, so paged, not unreachable; the
        // channel is told apart, to add them by hand.
        const invite = reached.length ? await this.d.chat.inviteToChannel(incident, reached) : { unreachable: [] };
        notInvited = invite.unreachable.filter((u) => reached.includes(u));
        if (!note.announced) {
          await this.d.chat.notify(incident, {
            kind: 'paged',
            roleName,
            reason,
            userIds: reached,
            unreachable,
            ...(unreachableErrors ? { unreachableErrors } : {}),
            ...by,
            ...byNameOf(role),
            ...(declarer ? { declarer } : {}),
            ...(alreadyPaged.length ? { alreadyPaged } : {}),
            ...(missed ? { missed } : {}),
            ...(notInvited.length ? { notInvited } : {}),
          });
        }
      } catch (err) {
        if (err instanceof ChatPlatformError && CHANNEL_GONE.has(err.slackError)) {
          channelGone = err.slackError;
          this.d.log.warn(`incident ${incident.id}: paged ${roleName}, but could not say so in its channel`, err);
        } else if (lastTry) {
          channelFailed = err instanceof Error ? err.message : String(err);
          this.d.log.warn(
            `incident ${incident.id}: paged ${roleName}, but could not say so in its channel after ${job.attempts} tries; that line is given up`,
            err,
          );
        } else {
          // Left for the job's retry (the page not announced): the job's next pages do not wait for it.
          lineFailed = err;
          return;
        }
      }
      const details = {
        role,
        rule: job.rule,
        reason,
        userIds: reached,
        unreachable,
        ...(unreachableErrors ? { unreachableErrors } : {}),
        ...(alreadyPaged.length ? { alreadyPaged } : {}),
        ...(channelGone ? { channelGone } : {}),
        ...(channelFailed ? { channelFailed } : {}),
        ...(missed ? { missed: missed.userIds, missedErrors: missed.errors } : {}),
        ...(notInvited.length ? { notInvited } : {}),
      };
      // The job's last page also writes its page_failed timer when a page of it never reached some people.
      told = await this.d.notes.noting(key, { ...noted, announced: true }, () =>
        announcePage(this.d.db, page.pageId, { incidentId: incident.id, kind: 'paged', details }, finishes, {
          drop: nobodyNew,
          cardLeaseMs: CARD_REDRAW_LEASE_MS,
          cardJobId: job.id,
        }),
      );
    });
    if (lineFailed !== null) return lineFailed;
    if (told) this.d.onScheduled(new Date());
    if (nobodyNew) {
      // Nobody was paged: the card counts what it did, nothing.
      return null;
    }
    // A page by name is counted as `person`: a label per person paged would grow without bound, and name them.
    this.d.metrics.paged(person ? 'person' : role, job.rule);
    // Answered while its DMs were on their way (an acknowledgement that read the pages before these were recorded):
    // they say so now, not at the incident's next change.
    if (dms.size) await this.d.showAnsweredPages(incident);
    return null;
  }
}
