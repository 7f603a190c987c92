import type { Runbook } from '../runbook/runbook.js';
import { incidentsWithAlertsAllResolved } from '../store/alert-incident.repo.js';
import type { Database, Queryable, StatementPart } from '../store/db.js';
import {
  cancelJobs,
  claimDueJobs,
  deferJob,
  type EscalationJob,
  finishJob,
  finishReminder,
  insertManualJob,
  lastManualRequest,
  peekDueJobs,
  retryJob,
  type SyncRules,
  syncJobs,
  syncJobsPart,
} from '../store/escalation-jobs.repo.js';
import {
  cardNotShown,
  cardRedrawKey,
  cardShown,
  insertCardRedrawJob,
  insertCommandRedrawJob,
  insertRedrawJob,
} from '../store/escalation-redraws.repo.js';
import { hasEventSince, insertEvent } from '../store/event.repo.js';
import { getIncident, getIncidents } from '../store/incident.repo.js';
import type { KeyValue } from '../store/kv.js';
import {
  announcePage,
  insertPages,
  latestPageOf,
  pagedPeopleSince,
  pagesOfIncidents,
  recordDeliveries,
  takenRoles,
} from '../store/page.repo.js';
import { failedPagesOf, giveUpPages } from '../store/page-failure.repo.js';
import { claimRequestKey } from '../store/request-key.repo.js';
import { AlreadyDoneError, ChatPlatformError, DomainError, resolvedError } from './errors.js';
import {
  byNameOf,
  climbHeld,
  desiredJobs,
  keptByHand,
  MOVABLE_RULES,
  openedAt,
  pagedPerson,
  personRole,
  RECENT_PAGE_MS,
  RESYNCED_RULES,
  redrawsCard,
  redrawsPages,
  remindsCommander,
  revivedRules,
  roleLabel,
  roleNamed,
  rolesToPage,
  ruleDef,
  ruleFlag,
  ruleReason,
  stillHolds,
  tellsPageFailed,
} from './escalation-policy.js';
import { EscalationReader } from './escalation-reader.js';
import { incidentOrThrow } from './find-incident.js';
import { Lanes } from './lanes.js';
import type { NotificationService, OwnPageAck } from './notification.service.js';
import { fixedContacts, type OnCallResolver } from './oncall.service.js';
import { PageDmRedraw } from './page-dm-redraw.js';
import {
  type EscalationView,
  type IncidentChat,
  type IncidentMetrics,
  type Logger,
  NO_METRICS,
  type PageDmAt,
  UnreachableContactError,
} from './ports.js';
import { type NoteCodec, noteKey, SideNotes } from './side-notes.js';
import type { ClaimWithNext } from './timer-loop.js';
import type { Incident, Unchanged } from './types.js';

/** A claimed timer and what it was decided to do, under the incident's lock, when it fired. */
export interface FiredJob {
  id: number;
  job: EscalationJob;
  /** The incident as it was when the timer fired. */
  incident: Incident;
  /** The roles this job pages, each with what an earlier attempt already did. */
  pages: {
    pageId: number;
    role: string;
    announced: boolean;
    /** Whom an earlier attempt reached, or tried and could not reach (`unreachable`). */
    deliveredTo: ReadonlySet<string>;
    /** Those of `deliveredTo` Slack could not reach (user_not_found …): not reached by the page, nor tried again. */
    unreachable: ReadonlySet<string>;
    /** When the page was first tried (its row made); null for one this attempt makes. */
    since: Date | null;
  }[];
  /** A flag's roles not paged again, paged moments before (RECENT_PAGE_MS), with when: the channel is told. */
  held?: { role: string; pagedAt: Date }[];
  /**
   * A round of nobody acknowledging that pages its role alone, no role above it in the contact order being one the
   * runbook pages on a condition that holds: those roles and their conditions (climbHeld). The channel is told once.
   */
  climbHeld?: { role: string; when: string[] }[];
}

/** What a page (or a reminder) did in Slack, noted beside the database (see EscalationService.notes). */
interface PageNote {
  /** Whom its direct messages reached (or were tried on and could not reach: `unreachable`). */
  to: string[];
  /** Those of `to` its direct messages could not reach (Slack said user_not_found …). */
  unreachable?: string[];
  /** The channel was told. */
  announced: boolean;
}

const PAGE_NOTE_CODEC: NoteCodec<PageNote> = {
  encode: (n) => n,
  decode: (v) => {
    const n = v as Partial<PageNote> | null;
    if (!n || !Array.isArray(n.to) || typeof n.announced !== 'boolean') return null;
    const users = (v: unknown) => (Array.isArray(v) ? v.filter((u): u is string => typeof u === 'string') : []);
    const unreachable = users(n.unreachable);
    return { to: users(n.to), ...(unreachable.length ? { unreachable } : {}), announced: n.announced };
  },
};

/** What "Escalate now" did. */
export type EscalateResult =
  /** The role is being paged now. */
  | {
      kind: 'paging';
      role: string;
      roleName: string;
      /**
       * The role was paged already, when someone else was on call: `at` whom it reached then, `was` (`declarer`: the
       * declarer, on call then, who was not sent a page); of its people now, `fresh` are paged and `alreadyPaged` were
       * paged for this opening of the incident already and are not paged again (as the page itself decides; see
       * `peopleToPage`). Both empty: nobody is on call for it now.
       */
      handedOver?: HandOver;
    }
  /**
   * The role the person meant had been paged (or asked for by hand) meanwhile: nobody was paged. `by` asked for it
   * by hand, else `reason` says why it was paged; `next` is the role a deliberate second escalation would page.
   */
  | ({
      kind: 'already';
      incidentId: number;
      roleName: string;
      pending: boolean;
      /** It was "paged" with nobody in it: no contacts for the role (the channel was told how to add them). */
      skipped?: boolean;
      /** A person paged by name: asked for again once the repeat window has passed, they are paged again. */
      againAfter?: Date;
      at: Date;
      by: string | null;
      reason: string | null;
      next: { role: string; roleName: string } | null;
      /** Whom that page reached (empty: not known, or nobody yet). */
      reached?: string[];
      /** Whom that page was tried on and could not reach (Slack said user_disabled …): not counted as paged. */
      unreachable?: string[];
      /** The declarer, on call for the role, reached by their own declaration and sent no page (not in `reached`). */
      declarer?: string;
      /** The person asking. */
      actorId?: string;
    } & Unchanged);

/** A role paged again by hand after its person on call changed (see EscalateResult). */
export interface HandOver {
  at: Date;
  was: string[];
  declarer?: string;
  fresh: string[];
  alreadyPaged: string[];
  /** Whom the earlier page could not reach: those of them on call now are in `fresh` (tried again). */
  unreachable?: string[];
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

/**
 * A typed `/incident escalate` shows nothing to the person before they type it. Within this long of a by-hand
 * escalation it is taken as aimed at the same role (a second person, or the same one typing again), not the next.
 */
export const ESCALATE_REPEAT_WINDOW_MS = 60_000;

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

/**
 * A paging job is tried at most this many times: with the retries' backoff (1 s, 2 s … a minute apart) about ten
 * minutes. Till then its pages not gone out are "being paged" on the card (with Slack's last error), and counted as
 * paged so that nobody pages the role twice; past it, they failed: the card says so and what to do, and the role is
 * paged again by Escalate now or its next round.
 */
export const PAGE_TRIES = 15;

/** How soon a page DMs' redraw that found some of them held by another redraw looks again. */
const HELD_REDRAW_AGAIN_MS = 1000;

/**
 * How long the process that recorded a paging job's end holds the card's refresh written with it (`redraw_card`, see
 * announcePage) before any process may show the card instead: a card update takes well under it, and one that takes
 * longer is shown twice, not missed.
 */
const CARD_REDRAW_LEASE_MS = 10_000;

/** Slack calls the escalation work makes at once, per process. */
const SLACK_CONCURRENCY = 16;

/** Delay before a failed page is tried again: 1 s, 2 s, 4 s … capped at a minute. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Escalation by the runbook's contact order. Timers are rows in Postgres written in the same transaction as the
 * change that causes them (`sync`); a firing timer re-reads the incident under a lock and pages only if its reason
 * still holds (`fire`).
 */
export class EscalationService {
  /** Slack calls of fired timers: pages to people first, then the channel lines and cards. */
  private readonly lanes = new Lanes(SLACK_CONCURRENCY);
  /**
   * What a page did in Slack (whom its direct messages reached, whether the channel was told), kept beside the
   * database: a page whose record was lost with the database (the job retried once it is back, here or by another
   * replica) does not message people twice, nor tell the channel twice.
   */
  private readonly notes: SideNotes<PageNote>;
  /** The page direct messages shown again as the incident is now (answered, a new severity, Escalate to …). */
  private readonly dms: PageDmRedraw;
  /** The card's escalation line and what Escalate now / Escalate to … offer (reads only). */
  private readonly reader: EscalationReader;

  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat,
    private readonly runbook: Runbook,
    private readonly log: Logger = console,
    /** Told when a timer may be due sooner than the timer loop planned to wake (the loop's `poke`). */
    private readonly onScheduled: (dueAt: Date) => void = () => {},
    private readonly opts: {
      repeatWindowMs?: number;
      /** How many times a redraw timer (page DMs, the card) is tried before it is given up (REDRAW_TRIES). */
      redrawTries?: number;
      /** How many times a paging job is tried before it is given up, its pages not gone out failed (PAGE_TRIES). */
      pageTries?: number;
      /** The card's other sections, read in the statement of the card's escalation line (see CardSections). */
      cardSections?: { part(incidentId: number): (first: number) => StatementPart };
      /** Where notes of what pages did are shared with other replicas (see `notes`); none: this process's memory. */
      shared?: KeyValue;
      /**
       * Shows an incident's card again after a fired timer: the incident service's, which renders it after any
       * refresh under way and checks the row again after its update (a change committed meanwhile by another
       * replica is shown). None: rendered here from the row as read.
       */
      refreshCard?: (incidentId: number) => Promise<void>;
    } = {},
    private readonly metrics: IncidentMetrics = NO_METRICS,
    /** How pages reach people after the Slack DM (the runbook's notify: rules); none: the DM only. */
    private readonly notifications?: NotificationService,
    /** Whom a role pages when its page fires: its rotation's people on call then, and its fixed contacts. */
    private readonly oncall: OnCallResolver = fixedContacts(runbook),
  ) {
    this.notes = new SideNotes(opts.shared ?? null, 'page', PAGE_NOTE_CODEC, log);
    this.reader = new EscalationReader(runbook, oncall, log, (role) => this.roleName(role), notifications, opts);
    this.dms = new PageDmRedraw(
      db,
      chat,
      {
        roleName: (role) => this.roleName(role),
        escalateFrom: (incident, role, taken, who) => this.reader.escalateFrom(incident, role, taken, who),
        whoIsOn: () => this.reader.whoIsOn(this.runbook.escalation.order),
        reason: (rule, incident) => ruleReason(rule, this.runbook, incident),
      },
      this.lanes,
      log,
      () => this.onScheduled(new Date()),
    );
  }

  /** The role a person typed, or a refusal that lists the roles to choose from. */
  private roleTyped(typed: string): string {
    const { roles } = this.runbook.escalation;
    const found = roleNamed(roles, typed);
    if (found.kind === 'found') return found.role;
    const list = (ids: string[]) => ids.map((r) => `${this.roleName(r)} (\`${r}\`)`).join(', ');
    if (found.kind === 'several')
      throw new DomainError(
        'which_role',
        `\`${typed}\` fits several roles: ${list(found.roles)}. Name one, e.g. \`/incident escalate ${found.roles[0]}\`.`,
      );
    throw new DomainError(
      'unknown_role',
      typed.trim().startsWith('@')
        ? `Nobody in this workspace is called \`${typed.trim()}\`, and no role of the runbook is. Mention the person so Slack fills in who you mean, or name a role: ${list(Object.keys(roles))}. \`/incident escalate\` alone pages the next in the contact order.`
        : `There is no role \`${typed}\` in the runbook. Its roles: ${list(Object.keys(roles))}. To page a person, mention them: \`/incident page @alice\`. \`/incident escalate\` alone pages the next in the contact order.`,
    );
  }

  /** Whether `typed` names a role of the runbook (one or several). */
  namesRole(typed: string): boolean {
    return roleNamed(this.runbook.escalation.roles, typed).kind !== 'none';
  }

  roleName(role: string | null): string {
    return role ? roleLabel(this.runbook.escalation.roles, role) : 'the commander';
  }

  /**
   * Who a declaration pages now (the roles of the rule `declared`, their people on call, user groups expanded): user
   * ids, for telling them directly when no incident can be opened to page them through.
   */
  async declarationContacts(): Promise<string[]> {
    const ids = new Set<string>();
    for (const role of this.runbook.escalation.rules.declared?.roles ?? []) {
      const contacts = await this.oncall.contactsFor(role, new Date());
      if (contacts.length === 0) continue;
      const { userIds } = await this.chat.resolveContacts(contacts);
      for (const id of userIds) ids.add(id);
    }
    return [...ids];
  }

  /** The runbook's contact order, by role name (no database: what to page by hand when it is down). */
  contactOrder(): string[] {
    return this.runbook.escalation.order.map((r) => this.roleName(r));
  }

  /** Inside the transaction that changed `incident`: make its timers match its state. */
  async sync(tx: Queryable, incident: Incident): Promise<Date | null> {
    await this.syncNotifications(tx, incident);
    return syncJobs(tx, incident.id, desiredJobs(incident, this.runbook, new Date()), this.syncRules(incident));
  }

  /**
   * `sync` in two halves, for a change that writes the incident's timers in the statement that writes the incident:
   * the timers `incident` (as the change leaves it) asks for, as part of that statement (it selects the earliest due
   * time: `nextDueOf`)...
   */
  timersPart(incident: Incident, before?: Incident): (first: number) => StatementPart {
    const desired = desiredJobs(incident, this.runbook, new Date());
    // Reopened: the timers its resolution cancelled are set again (those it asks for, due from the reopening); an RTO
    // attached again: its reminders.
    const revive = before ? revivedRules(before, incident) : undefined;
    return (first) =>
      syncJobsPart('$1', first, desired, { ...this.syncRules(incident), ...(revive ? { revive } : {}) });
  }

  /**
   * ...and the notification timers, after that statement, when the change stops pages: an acknowledgement (a first
   * one, or a new time) or a resolution. Any other change (a severity, a status update, a new commander) of an
   * incident acknowledged earlier has nothing to stop: that acknowledgement stopped its pages, and the steps of a page
   * sent after it are not its to stop. So most changes spend no statement here.
   */
  async syncNotifications(tx: Queryable, incident: Incident, before?: Incident): Promise<void> {
    if (before && !stopsPages(before, incident)) return;
    await this.notifications?.sync(tx, incident);
  }

  /**
   * ...and, when the change moved command (Take command, a hand-over, an acknowledgement making someone commander), a
   * timer showing the page DMs still open that were drawn with another commander again (`redraw_pages`, due now): their
   * Escalate to … passes over a role whose people on call all run the incident (see nextEscalation). Its due time
   * (now), or null when none was written; most changes spend no statement here.
   */
  async commandMoved(tx: Queryable, incident: Incident, before: Incident): Promise<Date | null> {
    if (incident.commanderId === before.commanderId || incident.status === 'resolved') return null;
    return (await insertCommandRedrawJob(tx, incident.id)) ? new Date() : null;
  }

  private syncRules(incident: Incident): SyncRules {
    return { movable: MOVABLE_RULES, kept: keptByHand(incident) };
  }

  /** After the transaction commits: wake the timer loop if something is due before it would wake. */
  scheduled(dueAt: Date | null): void {
    if (dueAt) this.onScheduled(dueAt);
  }

  /**
   * A paged person acknowledged their own page of an incident already acknowledged: its remaining notification steps
   * stop, PagerDuty hears acknowledge for its role, the timeline and the channel say so. Null: nothing to acknowledge.
   */
  async acknowledgeOwnPage(incidentId: number, userId: string): Promise<OwnPageAck | null> {
    if (!this.notifications) return null;
    const r = await this.notifications.acknowledgeOwnPage(incidentId, userId);
    if (!r) return null;
    // The PagerDuty acknowledge and the redraw of the page DMs (`redraw_pages`, written with it) are due now.
    this.onScheduled(new Date());
    await this.chat
      .notify(r.incident, { kind: 'page_acknowledged', ...r.pages, actorId: userId })
      .catch((err) => this.log.warn('could not post the page acknowledgement', err));
    return r;
  }

  /**
   * Shows the incident's page direct messages answered since they were shown as answered (see
   * PageDmRedraw.showAnswered). Never throws.
   */
  showAnsweredPages(incident: Incident): Promise<void> {
    return this.dms.showAnswered(incident);
  }

  /** The card's escalation line; undefined (the card shows none) when it cannot be read, which is logged. */
  async cardView(incident: Incident): Promise<EscalationView | undefined> {
    try {
      return await this.view(this.db, incident);
    } catch (err) {
      this.log.warn('could not read the escalation state for the card', err);
      return undefined;
    }
  }

  /** The escalation line of the incident's card, read with `q` (see EscalationReader.view). */
  view(q: Queryable, incident: Incident): Promise<EscalationView> {
    return this.reader.view(q, incident);
  }

  /**
   * "Escalate now": pages the role the person meant, at once. `shownRole` is the role the card showed as next (its
   * button carries it); without it (a typed command), the role of a by-hand escalation made moments ago, else the
   * next role in the contact order. If that role has been paged (or asked for) meanwhile, nobody is paged and the
   * result says so: two clicks, or two people, never escalate two levels. Null for a retry of the same request.
   */
  async escalateNow(
    incidentId: number,
    actorId: string,
    {
      requestKey,
      shownRole,
      named,
      person,
    }: {
      requestKey?: string;
      shownRole?: string;
      named?: string;
      /** A person to page by name (`/incident page @dana`), not a role: their Slack user id and name. */
      person?: { userId: string; name: string };
    } = {},
  ): Promise<EscalateResult | null> {
    const { order } = this.runbook.escalation;
    // A role the person named (`/incident escalate cto`): that one, in the contact order or not (the database team).
    // A person named: a page of its own, as a role's is (durable, retried, shown, acknowledged), to them alone.
    const namedRole = person ? personRole(person.userId, person.name) : named ? this.roleTyped(named) : undefined;
    const result = await this.db.transaction(async (tx) => {
      if (requestKey && !(await claimRequestKey(tx, requestKey))) return null;
      const incident = await incidentOrThrow(tx, incidentId, { forUpdate: true });
      // A mitigated incident still has its root cause to fix: paging someone for it is the person's call. A resolved
      // one pages nobody (its pages were answered by the resolution); reopened, it does again.
      if (incident.status === 'resolved') {
        throw resolvedError('This incident is resolved, so nobody is paged for it.');
      }
      // Counted from the incident's last opening: a role paged before a resolution may be paged again once reopened.
      const since = openedAt(incident);
      const taken = await takenRoles(tx, incidentId, since);
      // The same person paged by name before (under the name they had then): that page is theirs.
      const earlier = person ? [...taken].find((r) => pagedPerson(r)?.userId === person.userId) : undefined;
      let meant = earlier ?? namedRole ?? (shownRole && order.includes(shownRole) ? shownRole : undefined);
      const repeatWindowMs = this.opts.repeatWindowMs ?? ESCALATE_REPEAT_WINDOW_MS;
      if (!meant) {
        const last = await lastManualRequest(tx, incidentId, repeatWindowMs);
        if (last && order.includes(last.role)) meant = last.role;
      }
      const role = meant ?? (await this.reader.nextEscalation(incident, taken))?.role;
      if (!role) {
        const names = order.map((r) => this.roleName(r)).join(', ');
        throw new AlreadyDoneError(`Every role in the contact order has been paged already (${names}).`);
      }
      const before = taken.has(role) ? await latestPageOf(tx, incidentId, role, since) : null;
      // The declarer, on call for the role, whom their own declaration's page recorded as reached and sent nothing.
      const declarer =
        before?.rule === 'declared' && !person && before.deliveredTo.includes(incident.reporterId)
          ? incident.reporterId
          : undefined;
      const reached = before ? before.deliveredTo.filter((u) => u !== declarer) : [];
      // A person paged by name is paged again when asked again once the repeat window has passed since their page
      // went (nobody answered it: ring them again); a role is paged again by its own timers. Within the window, a
      // second request (a double submission, two people at once) pages nobody.
      const againAfter =
        person && before && !before.pending ? new Date(before.at.getTime() + repeatWindowMs) : undefined;
      let again = againAfter !== undefined && Date.now() > againAfter.getTime();
      // A role paged already whose person on call has changed since (an override, a swap, a hand-off): the page
      // reached someone who is no longer on call, so the person on call now is paged.
      let handedOver: HandOver | undefined;
      const tried = before ? before.deliveredTo.length + before.unreachable.length : 0;
      if (!person && before && !before.pending && !before.skipped && tried > 0) {
        const contacts = this.runbook.escalation.roles[role]?.rotation
          ? await this.oncall.contactsFor(role, new Date())
          : [];
        const onNow = contacts[0];
        if (onNow && !before.deliveredTo.includes(onNow)) {
          // Whom the page will page, and whom not, as it decides when it goes (the same rule and records).
          const pagedSince = await pagedPeopleSince(tx, incidentId, 0, since);
          handedOver = {
            at: before.at,
            was: reached,
            ...(declarer ? { declarer } : {}),
            ...(before.unreachable.length ? { unreachable: before.unreachable } : {}),
            ...peopleToPage(contacts, pagedSince),
          };
          again = true;
        }
      }
      if (taken.has(role) && !again) {
        const roleName = this.roleName(role);
        const pending = before?.pending ?? true;
        const already: EscalateResult = {
          kind: 'already',
          incidentId,
          roleName,
          pending,
          unchanged: `${roleName} was ${before?.skipped ? 'reached with no contacts' : pending ? 'being paged' : 'paged'} already: nobody else was paged`,
          ...(before?.skipped ? { skipped: true } : {}),
          ...(againAfter ? { againAfter } : {}),
          at: before?.at ?? new Date(),
          by: before?.requestedBy ?? null,
          reason: before && before.rule !== 'manual' ? ruleReason(before.rule, this.runbook, incident) : null,
          next: await this.reader.nextEscalation(incident, taken),
          ...(before && !before.pending && !person ? { reached } : {}),
          ...(before?.unreachable.length ? { unreachable: before.unreachable } : {}),
          ...(declarer ? { declarer } : {}),
          actorId,
        };
        return { done: false as const, already };
      }
      // Paged again, or reopened (a by-hand timer of the role from before the resolution has its key): a timer of its own.
      await insertManualJob(tx, incidentId, role, actorId, again || incident.reopenedAt ? new Date() : undefined);
      await insertEvent(tx, incidentId, 'escalation_requested', actorId, { role });
      return { done: true as const, role, incident, handedOver };
    });
    if (!result) return null;
    if (!result.done) return result.already;
    this.onScheduled(new Date());
    // The channel hears of it once, when the page goes ("Paged … because <person> escalated by hand"); the person is
    // answered now, and the timeline records the request.
    return {
      kind: 'paging',
      role: result.role,
      roleName: this.roleName(result.role),
      ...(result.handedOver ? { handedOver: result.handedOver } : {}),
    };
  }

  /**
   * Fires due timers: in one transaction, locks up to `limit` of them and their incidents (skipping any another
   * transaction holds) but those of the incidents `held` (which wait: nor are they counted as due next), leases them,
   * re-checks each reason against the incident as it is now, cancels the ones whose
   * reason is gone and records which roles the others page. Returns the work to carry out (`run`).
   */
  async claim(limit: number, leaseMs: number, held: readonly number[] = []): Promise<ClaimWithNext<FiredJob>> {
    // Nothing due (most rounds): one statement, not a transaction of three.
    const peek = await peekDueJobs(this.db, held);
    if (!peek.due) return { works: [], nextDueAt: peek.nextDueAt };
    const now = new Date();
    let nextDueAt: Date | null = null;
    const fired = await this.lanes.whilePaused(() =>
      this.db.transaction(async (tx) => {
        const claimed = await claimDueJobs(tx, limit, leaseMs, held);
        const jobs = claimed.jobs;
        nextDueAt = claimed.nextDueAt;
        if (jobs.length === 0) return [];
        const incidents = await getIncidents(tx, [...new Set(jobs.map((j) => j.incidentId))]); // locked by the claim
        const stored = await pagesOfIncidents(tx, [...incidents.keys()]);
        const paged = new Map<number, Set<string>>();
        const recently = new Map<number, Set<string>>();
        for (const p of stored) {
          // A page called off or given up before it went out paged nobody: its role is paged when its turn comes.
          if (!p.counts) continue;
          // A round climbs past the roles paged in this opening of the incident: reopened, a role paged before the
          // resolution is paged again when its turn comes (as Escalate now counts them, and as PagerDuty runs an
          // escalation policy again from its first level for an incident triggered again).
          const opened = openedAt(incidents.get(p.incidentId)!);
          if (p.createdAt >= opened) {
            const set = paged.get(p.incidentId) ?? new Set<string>();
            set.add(p.role);
            paged.set(p.incidentId, set);
          }
          if (now.getTime() - p.createdAt.getTime() < RECENT_PAGE_MS) {
            const recent = recently.get(p.incidentId) ?? new Set<string>();
            recent.add(p.role);
            recently.set(p.incidentId, recent);
          }
        }
        const cancelled: number[] = [];
        const fired: FiredJob[] = [];
        const newPages: { incidentId: number; jobId: number; role: string; rule: string }[] = [];
        // Roles this claim pages anew, by incident: two timers due at once (both overdue after an outage, say) that
        // name the same role page it once, not twice a moment apart.
        const pagingNow = new Map<number, Set<string>>();
        // Incidents whose alerts have all resolved: a round of nobody acknowledging pages on-call alone there.
        const rounds = jobs.filter((j) => ruleDef(j.rule)?.pages === 'role_and_next').map((j) => j.incidentId);
        const quiet = await incidentsWithAlertsAllResolved(tx, [...new Set(rounds)]);
        for (const job of jobs) {
          const incident = incidents.get(job.incidentId)!;
          if (!stillHolds(job, incident, this.runbook, now)) {
            cancelled.push(job.id);
            continue;
          }
          const work: FiredJob = { id: job.id, job, incident, pages: [] };
          fired.push(work);
          if (
            remindsCommander(job.rule) ||
            redrawsPages(job.rule) ||
            redrawsCard(job.rule) ||
            tellsPageFailed(job.rule)
          )
            continue;
          // A retried job pages the roles it chose the first time; a new one chooses now.
          const earlier = stored.filter((p) => p.jobId === job.id);
          const incidentPaged = paged.get(incident.id) ?? new Set<string>();
          const anew = pagingNow.get(incident.id) ?? new Set<string>();
          pagingNow.set(incident.id, anew);
          const alone = quiet.has(incident.id);
          const roles = earlier.length
            ? earlier.map((p) => p.role)
            : rolesToPage(job, this.runbook, incident, incidentPaged, {
                recently: recently.get(incident.id),
                alone,
              }).filter((r) => !anew.has(r));
          // A round that climbs to nobody for the runbook's conditions: said once for each opening of the incident (a
          // first attempt). Reopened, nobody acknowledging again is a new episode: the people now in the channel may
          // not have seen the first explanation, and without it on-call alone being paged again reads as a broken
          // climb. Every held round would be noise: the rounds repeat every response time.
          if (!earlier.length && job.attempts <= 1) {
            const notClimbed = climbHeld(job, this.runbook, incident, incidentPaged, alone);
            const opened = openedAt(incident);
            if (notClimbed.length && !(await hasEventSince(tx, incident.id, 'climb_held', opened)))
              work.climbHeld = notClimbed;
          }
          // A flag's roles paged moments before, held back (a first attempt only: a retry told the channel already).
          if (!earlier.length && job.attempts <= 1 && ruleDef(job.rule)?.onFlag) {
            const held = rolesToPage(job, this.runbook, incident, incidentPaged, { alone }).filter(
              (r) => !roles.includes(r) && !anew.has(r) && recently.get(incident.id)?.has(r),
            );
            // When each was paged last (the stored pages come in the order they were made).
            const lastOf = (role: string) =>
              stored.filter((p) => p.incidentId === incident.id && p.role === role).at(-1)!.createdAt;
            if (held.length) work.held = held.map((role) => ({ role, pagedAt: lastOf(role) }));
          }
          for (const role of roles) {
            const e = earlier.find((p) => p.role === role);
            if (e) {
              work.pages.push({
                pageId: e.id,
                role,
                announced: e.announced,
                deliveredTo: e.deliveredTo,
                unreachable: e.unreachable,
                since: e.createdAt,
              });
            } else {
              newPages.push({ incidentId: incident.id, jobId: job.id, role, rule: job.rule });
              work.pages.push({
                pageId: 0,
                role,
                announced: false,
                deliveredTo: new Set(),
                unreachable: new Set(),
                since: null,
              });
              anew.add(role);
            }
            incidentPaged.add(role);
          }
          paged.set(incident.id, incidentPaged);
        }
        await cancelJobs(tx, cancelled);
        // A round fired (or found stale): the incident's next round is set now, nobody having changed it meanwhile.
        const resync = new Set(jobs.filter((j) => RESYNCED_RULES.has(j.rule)).map((j) => j.incidentId));
        for (const id of resync) {
          const incident = incidents.get(id)!;
          const due = await syncJobs(tx, id, desiredJobs(incident, this.runbook, now), this.syncRules(incident));
          if (due && (!nextDueAt || due < nextDueAt)) nextDueAt = due;
        }
        // A page of roles (a flag's, a round of nobody acknowledging climbing to the next, a timed rule's, Escalate
        // now's): the earlier pages' DMs offering to escalate to one of them are shown again, by a timer of its own
        // written with its pages (retried until Slack takes each, as a severity change's).
        for (const id of new Set(newPages.map((p) => p.jobId))) {
          const mine = newPages.filter((p) => p.jobId === id);
          const offering = mine.map((p) => p.role);
          if (await insertRedrawJob(tx, mine[0]!.incidentId, `redraw_pages@page:${id}`, { offering })) nextDueAt = now;
        }
        const inserted = await insertPages(tx, newPages);
        const byJob = new Map(fired.map((f) => [f.id, f]));
        for (const row of inserted) {
          const page = byJob.get(row.jobId)?.pages.find((p) => p.role === row.role);
          if (page) page.pageId = row.id;
        }
        return fired;
      }),
    );
    // How late each timer fired: the timer loop's health (a busy database, a replica down, a long poll).
    for (const f of fired)
      this.metrics.escalationLate(f.job.rule, Math.max(0, now.getTime() - f.job.dueAt.getTime()) / 1000);
    return { works: fired, nextDueAt };
  }

  /** Carries out a fired timer. Never throws: a failure is recorded and the job tried again later. */
  async run(work: FiredJob): Promise<void> {
    try {
      await this.carryOut(work);
    } catch (thrown) {
      // Pages left for a retry: the job's error is the first page's, and each page keeps its own for a give-up.
      const err = thrown instanceof PagesOwedError ? thrown.first : thrown;
      const { job } = work;
      const tries = this.opts.redrawTries ?? REDRAW_TRIES;
      const pages = !(
        redrawsPages(job.rule) ||
        redrawsCard(job.rule) ||
        remindsCommander(job.rule) ||
        tellsPageFailed(job.rule)
      );
      if (pages && job.attempts >= (this.opts.pageTries ?? PAGE_TRIES)) {
        await this.giveUp(work, err, thrown instanceof PagesOwedError ? thrown.byPage : undefined);
        return;
      }
      if ((redrawsPages(job.rule) || redrawsCard(job.rule)) && job.attempts >= tries) {
        this.log.warn(`escalation job ${job.id} (${job.key}) failed ${job.attempts} times; given up`, err);
        await finishJob(this.db, job.id, 'cancelled').catch((e) =>
          this.log.warn(`could not give up escalation job ${job.id}; its lease will run out`, e),
        );
        return;
      }
      const delay = retryDelayMs(job.attempts);
      this.log.warn(`escalation job ${job.id} (${job.key}) failed, retrying in ${delay} ms`, err);
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
      ({ roles, told } = await this.lanes.run('follow_up', () =>
        giveUpPages(this.db, job, error, key, CARD_REDRAW_LEASE_MS, byPage),
      ));
    } catch (again) {
      this.log.warn(`could not give up escalation job ${job.id}; it is tried again`, again);
      await this.reschedule(job, retryDelayMs(job.attempts), error, byPage);
      return;
    }
    this.log.error(
      `escalation job ${job.id} (${job.key}) failed ${job.attempts} times; given up, ${roles.length ? `not paged: ${roles.join(', ')}` : 'its pages had gone out'}`,
      err,
    );
    // Its notice (the page_failed timer written with it), for whichever process claims it first.
    if (told) this.onScheduled(new Date());
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
    const failed = await this.lanes.run('follow_up', () => failedPagesOf(this.db, incident.id, job.key));
    const key = noteKey(incident.id, incident.createdAt, 'page_failed', job.id);
    if (failed.length && !(await this.noteOf(job, key)).announced) {
      const roles = failed.flatMap((f) =>
        f.missed ? [] : [{ role: f.role, roleName: this.roleName(f.role), error: f.error }],
      );
      const missed = failed.flatMap((f) =>
        f.missed ? [{ role: f.role, roleName: this.roleName(f.role), userIds: f.missed, error: f.error }] : [],
      );
      await this.lanes.run('urgent', () =>
        this.chat.notify(incident, {
          kind: 'page_failed',
          roles,
          ...(missed.length ? { missed } : {}),
          commanderId: incident.commanderId,
        }),
      );
    }
    await this.lanes.run('follow_up', () =>
      this.noting(key, { to: [], announced: true }, () => finishJob(this.db, job.id, 'done')),
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
    const once = () => retryJob(this.db, job.id, job.attempts, new Date(Date.now() + delayMs), reason, byPage);
    try {
      await once();
    } catch (first) {
      this.log.warn(`could not reschedule escalation job ${job.id}; trying again every second`, first);
      void (async () => {
        for (let tries = 2; tries <= RESCHEDULE_TRIES; tries++) {
          await new Promise((r) => setTimeout(r, RESCHEDULE_EVERY_MS).unref());
          try {
            await once();
            this.log.info(`escalation job ${job.id} rescheduled once the database answered`);
            return;
          } catch {
            // still down
          }
        }
        this.log.error(`could not reschedule escalation job ${job.id}; its lease will run out and it will run again`);
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
    const roles = held.map((h) => ({ ...h, roleName: this.roleName(h.role) }));
    await this.lanes
      .run('urgent', () => this.chat.notify(incident, { kind: 'page_held', roles, reason }))
      .catch((err) => this.log.warn(`incident ${incident.id}: could not say who was not paged again`, err));
    await insertEvent(this.db, incident.id, 'page_held', null, {
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
    const roles = notClimbed.map((h) => ({ ...h, roleName: this.roleName(h.role) }));
    await this.lanes
      .run('urgent', () => this.chat.notify(incident, { kind: 'climb_held', roleName: this.roleName(role), roles }))
      .catch((err) => this.log.warn(`incident ${incident.id}: could not say why nobody further up was paged`, err));
    await insertEvent(this.db, incident.id, 'climb_held', null, { rule: job.rule, role, held: notClimbed }).catch(
      (err) => this.log.warn(`incident ${incident.id}: could not record why nobody further up was paged`, err),
    );
  }

  private async carryOut({ job, incident, pages, held, climbHeld: notClimbed }: FiredJob): Promise<void> {
    if (redrawsPages(job.rule)) {
      if ((await this.dms.redrawPages(incident.id)) === 'held') {
        // Another redraw holds some of its DMs (for seconds, while Slack answers it): waited for, not a try spent;
        // a redraw that stopped holding them without drawing them (its process killed) lets go by its lease's end.
        const dueAt = new Date(Date.now() + HELD_REDRAW_AGAIN_MS);
        await this.lanes.run('follow_up', () => deferJob(this.db, job.id, job.attempts, dueAt));
        this.onScheduled(dueAt);
        return;
      }
      await this.lanes.run('follow_up', () => finishJob(this.db, job.id, 'done'));
      return;
    }
    if (redrawsCard(job.rule)) {
      // Throws when the card is not shown (the job is tried again).
      await this.lanes.run('follow_up', () => this.showCard(incident));
      await this.lanes.run('follow_up', () => finishJob(this.db, job.id, 'done'));
      return;
    }
    if (tellsPageFailed(job.rule)) {
      await this.tellPageFailed(job, incident);
      return;
    }
    if (remindsCommander(job.rule)) {
      const reminder = ruleDef(job.rule)?.remind?.(incident, (id) => this.playbookTitle(id), this.runbook);
      // Reminded, and its record lost with the database: the retried job only records it.
      const key = noteKey(incident.id, incident.createdAt, 'reminder', job.id);
      if (reminder && !(await this.noteOf(job, key)).announced) {
        await this.lanes.run('urgent', () => this.chat.notify(incident, reminder.notice));
      }
      await this.lanes.run('follow_up', () =>
        this.noting(key, { to: [], announced: true }, () =>
          finishReminder(this.db, job.id, { incidentId: incident.id, details: reminder?.details ?? {} }),
        ),
      );
      // What the card shows may change with it (past an RTO bound); an identical card is not sent again.
      await this.refreshAfter(incident, 'a reminder');
      return;
    }
    const reason = ruleReason(job.rule, this.runbook, incident);
    if (held?.length) await this.tellHeld(incident, job, held, reason);
    // The last page's record also ends the job (one statement); with nothing left to announce, end it here.
    const open = pages.filter((p) => !p.announced);
    // A page one of whose DMs Slack refused (a 500), or whose line in the channel it refused, does not hold up the
    // next role's DMs (as PagerDuty never waits on one responder's notification to notify the next): the job's later
    // pages go on, none of them ends the job, and the job is tried again for what that page still owes (its page not
    // announced: the retry sends only the DMs not recorded as gone, and says its line), by any process.
    let owed: unknown = null;
    // Each page's own failure: pages failing in one try for different reasons are each told with theirs.
    const owedBy = new Map<number, string>();
    for (const [i, page] of open.entries()) {
      const failed = await this.page(incident, job, page, reason, i === open.length - 1 && owed === null);
      owed ??= failed;
      if (failed !== null) owedBy.set(page.pageId, failed instanceof Error ? failed.message : String(failed));
    }
    if (open.length === 0) await this.lanes.run('follow_up', () => finishJob(this.db, job.id, 'done'));
    if (notClimbed?.length) await this.tellClimbHeld(incident, job, notClimbed);
    // Paged for a severity or a flag raised: the earlier pages' Escalate to … are shown as they are now by the timer
    // its claim wrote (`redraw_pages`), until Slack takes each. The card's refresh is a timer each page's record wrote
    // again (announcePage): shown by any process if this one stops first, between two of the job's pages too.
    await this.refreshAfter(incident, 'a page', open.length ? cardRedrawKey(job.id) : undefined);
    if (owed !== null) throw new PagesOwedError(owed, owedBy);
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
      await this.lanes.run('follow_up', () => this.showCard(incident));
    } catch (err) {
      this.log.warn(`could not refresh the card after ${what}; it is shown again shortly`, err);
      const dueAt = new Date(Date.now() + retryDelayMs(1));
      try {
        if (!(written && (await cardNotShown(this.db, incident.id, written, dueAt))))
          await insertCardRedrawJob(this.db, incident.id, dueAt);
        this.onScheduled(dueAt);
      } catch (again) {
        this.log.warn(`incident ${incident.id}: could not keep its card to show again`, again);
      }
      return;
    }
    // Shown: its timer ends (left pending, it shows the card once more when its lease runs out).
    if (written)
      await this.lanes
        .run('follow_up', () => cardShown(this.db, incident.id, written))
        .catch((err) => this.log.warn(`incident ${incident.id}: could not record its card shown`, err));
  }

  /** Shows the incident's card as it is now (see `opts.refreshCard`); throws when it is not shown. */
  private async showCard(incident: Incident): Promise<void> {
    const refresh = this.opts.refreshCard;
    if (refresh) return refresh(incident.id);
    const [view, current] = await Promise.all([this.view(this.db, incident), getIncident(this.db, incident.id)]);
    await this.chat.refreshCard(current ?? incident, view);
  }

  /** A playbook's title in the runbook (its id when the runbook no longer has it). */
  private playbookTitle(id: string): string {
    return this.runbook.playbooks.find((p) => p.id === id)?.title ?? id;
  }

  /**
   * What an earlier attempt of `job` did in Slack and could not record (see `notes`): read only for a job tried
   * before (a first attempt has nothing to find, and reads nothing).
   */
  private async noteOf(job: EscalationJob, key: string): Promise<PageNote> {
    const none = { to: [], announced: false };
    return job.attempts > 1 ? ((await this.notes.read(key)) ?? none) : none;
  }

  /** Records with `record`; when the database does not take it, keeps `note` beside it first (see `notes`). */
  private async noting<T>(key: string, note: PageNote, record: () => Promise<T>): Promise<T> {
    try {
      return await record();
    } catch (err) {
      await this.notes.write(key, note);
      throw err;
    }
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
    page: FiredJob['pages'][number],
    reason: string,
    lastOfJob: boolean,
  ): Promise<unknown> {
    const { role } = page;
    const finishes = lastOfJob ? job.id : null;
    // Escalated by hand: the page and the channel name who did (one message in the channel for one escalation).
    const by = job.requestedBy ? { by: job.requestedBy } : {};
    // Paged for a flag: the DM says what was said with it (read from the incident as the page shows it).
    const flag = ruleFlag(job.rule, incident);
    // What an earlier attempt did and could not record, the database gone (this process's, another replica's).
    const key = noteKey(incident.id, incident.createdAt, 'page', page.pageId);
    const note = await this.noteOf(job, key);
    const deliveredTo = new Set([...page.deliveredTo, ...note.to]);
    // Of them, those an earlier attempt could not reach (Slack does not know them …): not reached by this page now
    // either, nor tried again (Slack would answer the same).
    const unreachableBefore = new Set([...page.unreachable, ...(note.unreachable ?? [])]);
    // Asked when the page fires: a timer that fires just after a hand-off pages the new person. A page by name: them.
    const person = pagedPerson(role);
    const contacts = person ? [person.userId] : await this.oncall.contactsFor(role, new Date());
    const roleName = this.roleName(role);
    if (contacts.length === 0) {
      await this.lanes.run('urgent', async () => {
        if (!note.announced) await this.chat.notify(incident, { kind: 'page_skipped', roleName, reason, ...by });
        const details = { role, rule: job.rule, reason: 'nobody is configured' };
        await this.noting(key, { to: [...deliveredTo], announced: true }, () =>
          announcePage(this.db, page.pageId, { incidentId: incident.id, kind: 'page_skipped', details }, finishes, {
            cardLeaseMs: CARD_REDRAW_LEASE_MS,
            cardJobId: job.id,
          }),
        );
      });
      return null;
    }
    const resolved = await this.lanes.run('urgent', () => this.chat.resolveContacts(contacts));
    const { unresolved } = resolved;
    // A role paged by hand (`/incident page on-call` after a hand-off): only its people not paged for this opening of
    // the incident yet, by any page; the others are named in the channel as paged already, not woken twice.
    const before =
      job.rule === 'manual' && !person
        ? await this.lanes.run('urgent', () => pagedPeopleSince(this.db, incident.id, page.pageId, openedAt(incident)))
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
    const reached: string[] = [];
    // A retry: an earlier attempt may have sent a DM and stopped (killed) before noting it anywhere; Slack has it.
    const find = job.attempts > 1 ? this.chat.findPage?.bind(this.chat) : undefined;
    const findPage = find
      ? (userId: string) =>
          find(incident, page.pageId, userId, undefined, page.since ?? undefined).catch((err) => {
            this.log.warn(`could not look for page ${page.pageId}'s DM to ${userId}; sending it`, err);
            return null;
          })
      : undefined;
    // Where each DM sent is, to show it answered later (see showAnsweredPages).
    const dms = new Map<string, PageDmAt>();
    // The roles paged (this page's round's too) or asked for by now, for the DM's Escalate to … (a person's page has
    // none): for this opening of the incident, as Escalate now counts them (a role paged before a resolution is not).
    const escalateTo = person
      ? {}
      : await this.reader.escalateFrom(
          incident,
          role,
          await this.lanes.run('urgent', () => takenRoles(this.db, incident.id, openedAt(incident))),
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
        const found = findPage ? await this.lanes.run('urgent', () => findPage(userId)) : null;
        if (found) {
          dms.set(userId, found);
          return true;
        }
        try {
          const dm = await this.lanes.run('urgent', () =>
            this.chat.sendPage(
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
          if (err instanceof UnreachableContactError) return false;
          throw err; // Slack failing: the job is retried
        }
      }),
    );
    const attempted: string[] = [];
    let failure: unknown = null;
    sent.forEach((r, i) => {
      const userId = userIds[i]!;
      if (r.status === 'rejected') {
        failure ??= r.reason;
        return;
      }
      attempted.push(userId);
      if (r.value) reached.push(userId);
      else unreachable.push(userId);
    });
    // The job's last try, and Slack still refusing some of the DMs of a page that reached someone (now or on an earlier
    // try): the page went out (its role counts as paged), and those people are recorded as never reached by it, with
    // Slack's answer, for the card and the job's page_failed notice.
    const lastTry = job.attempts >= (this.opts.pageTries ?? PAGE_TRIES);
    const missed =
      failure && lastTry && reached.length
        ? {
            userIds: userIds.filter((_, i) => sent[i]!.status === 'rejected'),
            error: failure instanceof Error ? failure.message : String(failure),
          }
        : undefined;
    // Whom this attempt reached is stored even when another DM failed, so a retry does not page them twice.
    const fresh = attempted.filter((u) => !page.deliveredTo.has(u));
    const tried = [...new Set([...deliveredTo, ...attempted])];
    // What a retry is to know if the database does not take this: whom the DMs reached, and whom they could not.
    const noted = { to: tried, unreachable: tried.filter((u) => unreachable.includes(u)) };
    // Every DM went (none failed, to be retried), or the page went out on its last try: the later steps of the notify:
    // rules (email, PagerDuty …), as timers due from the page's time (for the people never reached too: another way to
    // reach them), and the DMs as its deliveries, written with whom it reached (one round trip); idempotent, so a
    // retried job writes nothing twice.
    const n = this.notifications;
    const others = (ids: string[]) => ids.filter((u) => u !== declarer);
    const more =
      n && (!failure || missed)
        ? await this.lanes.run('urgent', () =>
            n.pagedPart({ incident, pageId: page.pageId, role }, others(userIds), others(reached)),
          )
        : undefined;
    let late = false;
    await this.lanes.run('urgent', () =>
      this.noting(key, { ...noted, announced: note.announced }, async () => {
        late = await recordDeliveries(
          this.db,
          page.pageId,
          fresh,
          dms,
          new Set(unreachable),
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
    if (late) this.onScheduled(new Date());
    // A DM failed: the job is tried again for it (whom this try reached recorded above, not sent it again), its next
    // pages not waiting; on its last try a page that reached someone went out all the same, and is announced (saying
    // whom it never reached), rather than given up unannounced.
    if (failure && !missed) return failure;
    let told = false;
    let lineFailed: unknown = null;
    await this.lanes.run('follow_up', async () => {
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
        const invite = reached.length ? await this.chat.inviteToChannel(incident, reached) : { unreachable: [] };
        notInvited = invite.unreachable.filter((u) => reached.includes(u));
        if (!note.announced) {
          await this.chat.notify(incident, {
            kind: 'paged',
            roleName,
            reason,
            userIds: reached,
            unreachable,
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
          this.log.warn(`incident ${incident.id}: paged ${roleName}, but could not say so in its channel`, err);
        } else if (job.attempts >= (this.opts.pageTries ?? PAGE_TRIES)) {
          channelFailed = err instanceof Error ? err.message : String(err);
          this.log.warn(
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
        ...(alreadyPaged.length ? { alreadyPaged } : {}),
        ...(channelGone ? { channelGone } : {}),
        ...(channelFailed ? { channelFailed } : {}),
        ...(missed ? { missed: missed.userIds, missedError: missed.error } : {}),
        ...(notInvited.length ? { notInvited } : {}),
      };
      // The job's last page also writes its page_failed timer when a page of it never reached some people.
      told = await this.noting(key, { ...noted, announced: true }, () =>
        announcePage(this.db, page.pageId, { incidentId: incident.id, kind: 'paged', details }, finishes, {
          drop: nobodyNew,
          cardLeaseMs: CARD_REDRAW_LEASE_MS,
          cardJobId: job.id,
        }),
      );
    });
    if (lineFailed !== null) return lineFailed;
    if (told) this.onScheduled(new Date());
    if (nobodyNew) {
      // Nobody was paged: the card counts what it did, nothing.
      return null;
    }
    // A page by name is counted as `person`: a label per person paged would grow without bound, and name them.
    this.metrics.paged(person ? 'person' : role, job.rule);
    // Answered while its DMs were on their way (an acknowledgement that read the pages before these were recorded):
    // they say so now, not at the incident's next change.
    if (dms.size) await this.showAnsweredPages(incident);
    return null;
  }
}

/**
 * A paging job's try that left pages for its retry: the first page's failure (`first`: the job's, logged and kept as
 * its last error) and each page's own (Slack's answer, by page id), which a give-up records on that page.
 */
class PagesOwedError extends Error {
  constructor(
    readonly first: unknown,
    readonly byPage: ReadonlyMap<number, string>,
  ) {
    super(first instanceof Error ? first.message : String(first));
    this.name = 'PagesOwedError';
  }
}

/** Slack's answers for an incident channel that cannot be posted in again as it is: archived, or gone. */
const CHANNEL_GONE = new Set(['is_archived', 'channel_not_found']);

/** Whether a change from `before` to `after` stops pages' remaining steps: it acknowledged anew, or it resolved. */
export function stopsPages(before: Incident, after: Incident): boolean {
  if (after.status === 'resolved') return before.status !== 'resolved';
  const ack = after.acknowledgedAt?.getTime() ?? null;
  return ack !== null && ack !== (before.acknowledgedAt?.getTime() ?? null);
}
