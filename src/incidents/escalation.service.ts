import type { Runbook } from '../runbook/runbook.js';
import type { Database, Queryable, StatementPart } from '../store/db.js';
import {
  insertManualJob,
  lastManualRequest,
  type SyncRules,
  syncJobs,
  syncJobsPart,
} from '../store/escalation-jobs.repo.js';
import { insertCommandRedrawJob } from '../store/escalation-redraws.repo.js';
import { insertEvent } from '../store/event.repo.js';
import type { KeyValue } from '../store/kv.js';
import { latestPageOf, pagedPeopleSince, takenRoles } from '../store/page.repo.js';
import { claimRequestKey } from '../store/request-key.repo.js';
import { AlreadyDoneError, DomainError, resolvedError } from './errors.js';
import { claimDue } from './escalation-claim.js';
import { EscalationJobs, type FiredJob } from './escalation-jobs.js';
import {
  desiredJobs,
  keptByHand,
  MOVABLE_RULES,
  openedAt,
  pagedPerson,
  personRole,
  revivedRules,
  roleLabel,
  roleNamed,
  ruleReason,
} from './escalation-policy.js';
import { EscalationReader } from './escalation-reader.js';
import { incidentOrThrow } from './find-incident.js';
import { Lanes } from './lanes.js';
import type { NotificationService, OwnPageAck } from './notification.service.js';
import { fixedContacts, type OnCallResolver } from './oncall.service.js';
import { PageDmRedraw } from './page-dm-redraw.js';
import { PageNotes } from './page-notes.js';
import { Pager, peopleToPage } from './pager.js';
import { type EscalationView, type IncidentChat, type IncidentMetrics, type Logger, NO_METRICS } from './ports.js';
import type { ClaimWithNext } from './timer-loop.js';
import type { Incident, Unchanged } from './types.js';

export type { FiredJob } from './escalation-jobs.js';

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
      /**
       * The role, named, had been paged already and that page reached nobody (Slack could not reach any of its people,
       * `unreachable`, each with its answer): paged again, as asked (its contacts may have been fixed since).
       */
      reachedNobody?: { at: Date; unreachable: string[]; unreachableErrors: (string | null)[] };
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
      /** Slack's answer for each of `unreachable` (same order; null: not known). */
      unreachableErrors?: (string | null)[];
      /** The page was of a person by name (not a runbook contact). */
      byName?: true;
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
  /** Slack's answer for each of `unreachable` (same order; null: not known). */
  unreachableErrors?: (string | null)[];
}

/**
 * A typed `/incident escalate` shows nothing to the person before they type it. Within this long of a by-hand
 * escalation it is taken as aimed at the same role (a second person, or the same one typing again), not the next.
 */
export const ESCALATE_REPEAT_WINDOW_MS = 60_000;

/** Slack calls the escalation work makes at once, per process. */
const SLACK_CONCURRENCY = 16;

/**
 * Escalation by the runbook's contact order. Timers are rows in Postgres written in the same transaction as the
 * change that causes them (`sync`); a firing timer re-reads the incident under a lock and pages only if its reason
 * still holds (`fire`).
 */
export class EscalationService {
  /** Slack calls of fired timers: pages to people first, then the channel lines and cards. */
  private readonly lanes = new Lanes(SLACK_CONCURRENCY);
  /** What a page (or a reminder) did in Slack, kept beside the database (see PageNotes). */
  private readonly notes: PageNotes;
  /** Pages a fired paging job's roles (see Pager). */
  private readonly pager: Pager;
  /** The page direct messages shown again as the incident is now (answered, a new severity, Escalate to …). */
  private readonly dms: PageDmRedraw;
  /** The card's escalation line and what Escalate now / Escalate to … offer (reads only). */
  private readonly reader: EscalationReader;
  /** Carries out the timers claimed as due (see EscalationJobs). */
  private readonly jobs: EscalationJobs;

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
    this.notes = new PageNotes(opts.shared ?? null, log);
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
    this.pager = new Pager({
      db,
      chat,
      log,
      lanes: this.lanes,
      notes: this.notes,
      reader: this.reader,
      oncall,
      ...(notifications ? { notifications } : {}),
      metrics,
      roleName: (role) => this.roleName(role),
      onScheduled: (dueAt) => this.onScheduled(dueAt),
      showAnsweredPages: (incident) => this.showAnsweredPages(incident),
      opts,
    });
    this.jobs = new EscalationJobs({
      db,
      chat,
      runbook,
      log,
      lanes: this.lanes,
      notes: this.notes,
      pager: this.pager,
      dms: this.dms,
      roleName: (role) => this.roleName(role),
      onScheduled: (dueAt) => this.onScheduled(dueAt),
      view: (q, incident) => this.view(q, incident),
      opts,
    });
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
      // was for someone who is no longer on call, so the person on call now is paged. Who was on call then is whom the
      // page tried: those it reached and those Slack could not reach (user_not_found …). The person on call now among
      // the latter is the same person, not a hand-over: Slack could not reach them, which the answer says.
      let handedOver: HandOver | undefined;
      const tried = before ? [...before.deliveredTo, ...before.unreachable] : [];
      if (!person && before && !before.pending && !before.skipped && tried.length > 0) {
        const contacts = this.runbook.escalation.roles[role]?.rotation
          ? await this.oncall.contactsFor(role, new Date())
          : [];
        const onNow = contacts[0];
        if (onNow && !tried.includes(onNow)) {
          // Whom the page will page, and whom not, as it decides when it goes (the same rule and records).
          const pagedSince = await pagedPeopleSince(tx, incidentId, 0, since);
          handedOver = {
            at: before.at,
            was: reached,
            ...(declarer ? { declarer } : {}),
            ...(before.unreachable.length
              ? { unreachable: before.unreachable, unreachableErrors: before.unreachableErrors }
              : {}),
            ...peopleToPage(contacts, pagedSince),
          };
          again = true;
        }
      }
      // A role named (`/incident escalate cto`) whose last page reached nobody, every person of it unreachable (Slack
      // answered user_not_found, user_is_restricted …): nobody was paged, so it is paged again, as asked (a contact fixed
      // since is reached), and the answer says why. A page by name has its repeat window; the Escalate now button and a
      // bare `/incident escalate` go on to the next role.
      let reachedNobody: Extract<EscalateResult, { kind: 'paging' }>['reachedNobody'];
      if (
        !again &&
        !person &&
        named !== undefined &&
        role === namedRole &&
        before &&
        !before.pending &&
        !before.skipped &&
        before.deliveredTo.length === 0 &&
        before.unreachable.length > 0
      ) {
        reachedNobody = { at: before.at, unreachable: before.unreachable, unreachableErrors: before.unreachableErrors };
        again = true;
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
          ...(before?.unreachable.length
            ? {
                unreachable: before.unreachable,
                unreachableErrors: before.unreachableErrors,
                ...(person ? { byName: true as const } : {}),
              }
            : {}),
          ...(declarer ? { declarer } : {}),
          actorId,
        };
        return { done: false as const, already };
      }
      // Paged again, or reopened (a by-hand timer of the role from before the resolution has its key): a timer of its own.
      await insertManualJob(tx, incidentId, role, actorId, again || incident.reopenedAt ? new Date() : undefined);
      await insertEvent(tx, incidentId, 'escalation_requested', actorId, { role });
      return { done: true as const, role, incident, handedOver, reachedNobody };
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
      ...(result.reachedNobody ? { reachedNobody: result.reachedNobody } : {}),
    };
  }

  /**
   * Fires due timers (see claimDue): locks and leases up to `limit` of them, but those of the incidents `held`, and
   * returns the work to carry out (`run`).
   */
  claim(limit: number, leaseMs: number, held: readonly number[] = []): Promise<ClaimWithNext<FiredJob>> {
    return claimDue(
      {
        db: this.db,
        lanes: this.lanes,
        runbook: this.runbook,
        metrics: this.metrics,
        syncRules: (incident) => this.syncRules(incident),
      },
      limit,
      leaseMs,
      held,
    );
  }

  /** Carries out a fired timer. Never throws: a failure is recorded and the job tried again later (EscalationJobs). */
  run(work: FiredJob): Promise<void> {
    return this.jobs.run(work);
  }
}

/** Whether a change from `before` to `after` stops pages' remaining steps: it acknowledged anew, or it resolved. */
export function stopsPages(before: Incident, after: Incident): boolean {
  if (after.status === 'resolved') return before.status !== 'resolved';
  const ack = after.acknowledgedAt?.getTime() ?? null;
  return ack !== null && ack !== (before.acknowledgedAt?.getTime() ?? null);
}
