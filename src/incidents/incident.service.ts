import { maskStored } from '../ops/mask-stored.js';
import { type Database, jointPart, partsOf, type Queryable } from '../store/db.js';
import { nextDueOf } from '../store/escalation-jobs.repo.js';
import { listEvents } from '../store/event.repo.js';
import {
  changeIncident,
  getIncidentByChannel,
  getVersionedIncident,
  type IncidentPatch,
  incidentIfChanged,
  listOpenIncidents,
  lockIncidentForChange,
  type OpenIncidents,
  patched,
  type VersionedIncident,
} from '../store/incident.repo.js';
import type { KeyValue } from '../store/kv.js';
import { pagedIncidentsOf } from '../store/page.repo.js';
import { insertPublicUpdate } from '../store/status-page.repo.js';
import type { AlertCardView } from './alert-types.js';
import type { CardSections } from './card-sections.js';
import { ChangeFollowups, type Followup, overtaken } from './change-followups.js';
import { Coalesced } from './coalesced.js';
import {
  advance,
  CommandHeld,
  type CommandResult,
  type Decision,
  decideAcknowledge,
  decideHandOver,
  decideTakeCommand,
} from './commander.js';
import {
  DeclarationService,
  type DeclareInput,
  type DeclareOptions,
  type DeclarePolicy,
  type DeclareResult,
  existingDeclaration,
} from './declaration.service.js';
import { AlreadyDoneError, DomainError, type Phrase, resolvedError } from './errors.js';
import { type EscalateResult, type EscalationService, stopsPages } from './escalation.service.js';
import { reopens } from './escalation-policy.js';
import { incidentNotFound, incidentOrThrow } from './find-incident.js';
import { mustFitForm } from './form-fit.js';
import {
  type EscalationView,
  type FollowUpCardView,
  type IncidentChat,
  type IncidentMetrics,
  type IncidentNotice,
  type Logger,
  NO_METRICS,
  type ObjectivesView,
} from './ports.js';
import { summaryOfStatus } from './resolution-summary.js';
import { type Severity, severityLabel } from './severity.js';
import { maskedIncident } from './shown-incident.js';
import { mergeOverNewer, REQUIRED_FIELDS, type SeenFields, WRITTEN_FIELDS } from './status-merge.js';
import { publicUpdateOf } from './status-page.js';
import { isBlank } from './text.js';
import type { Incident, IncidentEvent, PagedIncident, RecoveryTime, StatusUpdateInput, Unchanged } from './types.js';

export type { DeclareInput, DeclareOptions, DeclarePolicy, DeclareResult } from './declaration.service.js';

export interface ChangeResult {
  incident: Incident;
  /** Parts that were recorded but could not be shown in Slack. */
  warnings: string[];
}

export class IncidentService {
  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat,
    private readonly log: Logger = console,
    /** Escalation timers, kept in step with every change (inside the same transaction). */
    private readonly escalation?: EscalationService,
    /** Called once a declared incident is whole (channel, card); e.g. to suggest a playbook. Failures are logged. */
    afterDeclare?: (incident: Incident) => Promise<void>,
    private readonly metrics: IncidentMetrics = NO_METRICS,
    private readonly policy: DeclarePolicy = {},
    /** Where notes of declarations the database could not record are shared with other replicas. */
    shared: KeyValue | null = null,
    /**
     * What people type (a title, a status update, a resolution summary, how it was mitigated, what the impact is) is
     * masked by: the values the bot knows are secret.
     */
    private readonly typed: (text: string) => string = (text) => text,
  ) {
    this.followups = new ChangeFollowups(db, log, (incident, f, posted) => this.showLeft(incident, f, posted));
    this.declarations = new DeclarationService(
      db,
      chat,
      log,
      escalation,
      afterDeclare,
      undefined,
      metrics,
      policy,
      shared,
      (id) => this.refreshCard(id),
    );
  }

  /** Declarations, and the sweep that settles interrupted ones (run by the timer loop). */
  readonly declarations: DeclarationService;

  /** What committed changes still have to show, and the sweep that shows what a dead process left (timer loop). */
  readonly followups: ChangeFollowups;

  /**
   * Called once a change resolved an incident, after its card and notice (e.g. the offers to resolve it that alerts
   * made lose their button). Failures are logged.
   */
  onResolved: ((incident: Incident) => Promise<void>) | null = null;

  /**
   * Called once a change reopened a resolved incident, after its card and notice (e.g. the messages offering Reopen
   * that alerts made say who reopened it). Failures are logged.
   */
  onReopened: ((incident: Incident) => Promise<void>) | null = null;

  /** The card's sections besides the incident's row and its escalation line (its alerts, recovery objectives). */
  sections: Pick<CardSections, 'view'> | null = null;

  /**
   * What the card shows besides the incident's row, as its channel's card has it: the escalation line (who was paged,
   * who is next), the alerts, the recovery objectives, the post-mortem and action items. For the card shown to one
   * person (`/incident status`).
   */
  async cardParts(incident: Incident): Promise<{
    escalation?: EscalationView;
    alerts?: AlertCardView;
    objectives?: ObjectivesView;
    followUp?: FollowUpCardView;
  }> {
    // What cannot be read is left off (logged): the card is still shown, with the incident's row.
    try {
      const escalation = await this.escalationView(incident);
      if (!this.sections) return { escalation };
      const { alerts, objectives, followUp } = await this.sections.view(incident.id, escalation);
      return { escalation, alerts, objectives, followUp };
    } catch (err) {
      this.log.warn(`could not read the sections of incident ${incident.id}'s card`, err);
      return {};
    }
  }

  private escalationView(incident: Incident): Promise<EscalationView | undefined> {
    return this.escalation ? this.escalation.cardView(incident) : Promise.resolve(undefined);
  }

  /** The runbook's contact order, by role name; read without the database. */
  contactOrder(): string[] {
    return this.escalation?.contactOrder() ?? [];
  }

  /** Declares an incident: whole (record, channel, timers) or not at all. See DeclarationService. */
  declare(input: DeclareInput, opts?: DeclareOptions): Promise<DeclareResult> {
    const title = this.typed(input.title);
    // A title that held a secret (masked now) is about one: private, as a security title is.
    const heldSecret = title !== input.title;
    return this.declarations.declare({ ...input, title, ...(heldSecret ? { heldSecret } : {}) }, opts);
  }

  /**
   * A repeat of a declaration the same person made moments ago, answered as a declaration of it would be (`existing`:
   * its incident), or null (see DeclarationService.recentSame).
   */
  async repeatOf(
    input: Pick<DeclareInput, 'teamId' | 'reporterId' | 'title'>,
  ): Promise<({ kind: 'existing'; incident: Incident } & Unchanged) | null> {
    const incident = await this.declarations.recentSame({ ...input, title: this.typed(input.title) });
    return incident ? existingDeclaration(incident) : null;
  }

  /**
   * Re-renders the incident's card from its current state (e.g. once its alerts changed). What changed may be outside
   * the incident's row (its alerts, objectives, pages), so a refresh folded into a card update under way renders the
   * card again after it even when the row did not change: the update under way may have read the alerts before.
   */
  async refreshCard(incidentId: number): Promise<void> {
    this.changedOutsideRow.add(incidentId);
    await this.showCard(incidentId, async () => {
      const found = await getVersionedIncident(this.db, incidentId);
      if (!found) throw await incidentNotFound(this.db, incidentId);
      return found;
    });
  }

  /**
   * Shows the incident on its card (`first`: the state to show when no refresh of it is under way in this process).
   * Refreshes of one incident asked while one is under way are folded into one after it, which shows the row as it is
   * then, if it changed since: a burst of changes to one incident (people clicking on its card at once) updates the
   * card twice, not once per change, and the last update shows the last change.
   */
  private async showCard(incidentId: number, first: () => Promise<VersionedIncident>): Promise<void> {
    await this.cardRuns.run(incidentId, async (shown) => {
      // Taken as the run starts: a refresh asked after this point is folded into the next run, which renders again.
      const outside = this.changedOutsideRow.delete(incidentId);
      const latest =
        shown === undefined
          ? await first()
          : outside
            ? await getVersionedIncident(this.db, incidentId)
            : await incidentIfChanged(this.db, incidentId, shown);
      return latest ? this.showLatest(latest) : shown;
    });
  }

  private readonly cardRuns = new Coalesced<number, string | undefined>();
  /** Incidents whose card was asked to show something kept outside their row, not shown yet (see refreshCard). */
  private readonly changedOutsideRow = new Set<number>();

  /**
   * Shows `shown` on the card, then reads the incident again: when another change (in this process or another
   * replica) committed meanwhile, its card update may have reached Slack before this one, leaving this older state on
   * the card, so the card is rendered again from the newer row. Whoever updates last also checks last, so the card
   * ends as the database has it (bench/mixed found a card showing the commander one change behind without this).
   * The check compares the version of the row (one small statement), and reads the row only when it changed. That
   * render is sent even when it is what the card was last updated to: with updates from two replicas crossing, the
   * update answered last is not always the one Slack applied last, so what was last sent is not known to be shown
   * (bench/mixed found a card a severity behind, its last render left out as already shown).
   */
  private async showLatest(shown: VersionedIncident): Promise<string> {
    for (let round = 0; ; round++) {
      await this.chat.refreshCard(shown.incident, await this.escalationView(shown.incident));
      if (round === 2) return shown.version;
      const newer = await incidentIfChanged(this.db, shown.incident.id, shown.version);
      if (!newer) return shown.version;
      shown = newer;
      await this.chat.cardMayDiffer?.(shown.incident);
    }
  }

  /** The incident whose channel this is, as shown: what people typed in it masked as it is read (maskedIncident). */
  async findByChannel(channelId: string): Promise<Incident | null> {
    const incident = await getIncidentByChannel(this.db, channelId);
    return incident && maskedIncident(incident, this.typed);
  }

  /** The open incidents whose pages reached `userId`, the latest paged first (see pagedIncidentsOf), as shown. */
  async pagedIncidents(teamId: string, userId: string): Promise<PagedIncident[]> {
    const paged = await pagedIncidentsOf(this.db, teamId, userId);
    return paged.map((p) => ({ ...p, incident: maskedIncident(p.incident, this.typed) }));
  }

  /** The incident, as shown (see findByChannel). */
  async get(id: number): Promise<Incident> {
    return maskedIncident(await incidentOrThrow(this.db, id), this.typed);
  }

  /**
   * The first open incidents `userId` may see (most severe, then newest), and how many of them are open in all; what
   * people typed in them masked as it is read (see maskedIncident).
   */
  async listOpen(teamId: string, userId: string | null = null, limit?: number): Promise<OpenIncidents> {
    const open = await listOpenIncidents(this.db, teamId, limit, userId);
    return { ...open, incidents: open.incidents.map((i) => maskedIncident(i, this.typed)) };
  }

  /** The incident's events, their text masked as it is read: a row stored before a value was known secret holds it. */
  async timeline(incidentId: number): Promise<IncidentEvent[]> {
    return (await listEvents(this.db, incidentId)).map((e) => ({ ...e, details: maskStored(e.details, this.typed) }));
  }

  /**
   * The shape of every change: lock the incident, decide (may throw AlreadyDoneError), write the patch and its event
   * in one transaction, then show it in Slack. A request key makes Slack retries and double submits no-ops.
   */
  private async change(
    incidentId: number,
    requestKey: string | undefined,
    decide: (current: Incident) => Decision,
  ): Promise<ChangeResult | null> {
    // Few round trips: the key and the lock in one statement; the patch, its events and the escalation timers (those
    // the incident asks for as the patch leaves it) in one.
    const result = await this.db.transaction(async (tx: Queryable) => {
      const { claimed, incident: current } = await lockIncidentForChange(tx, incidentId, requestKey);
      if (!claimed) return null;
      if (!current) throw await incidentNotFound(tx, incidentId);
      const d = decide(current);
      const after = patched(current, d.patch);
      // The pages this answered (it stopped them: an acknowledgement, the resolution) say so in their direct
      // messages; reopened, those that said it was resolved say again who acknowledged it.
      const pages = stopsPages(current, after) || reopens(current, after);
      const resolved = current.status !== 'resolved' && after.status === 'resolved';
      const timers = this.escalation?.timersPart(after, current);
      // What people are told of it is kept with it, until shown (a process killed meanwhile leaves it to another):
      // written by the same statement, as the timers are.
      const kept = this.followups.part({ incident: after, notice: d.notice, pages, resolved });
      const more = timers && kept ? jointPart([timers, kept]) : (timers ?? kept);
      const written = await changeIncident(tx, incidentId, d.patch, d.events, more);
      if (d.publicUpdate) await insertPublicUpdate(tx, incidentId, d.publicUpdate);
      await this.escalation?.syncNotifications(tx, written.incident, current);
      const redrawn = (await this.escalation?.commandMoved(tx, written.incident, current)) ?? null;
      const [timersRead, keptRead] =
        timers && kept ? partsOf(written.more) : timers ? [written.more] : [undefined, written.more];
      // A redraw written for a change of command is due now: no timer is due sooner.
      const due = redrawn ?? nextDueOf(timersRead);
      const followup = kept ? Number(keptRead) : null;
      return {
        before: current,
        written,
        incident: written.incident,
        notice: d.notice,
        due,
        said: d.said,
        pages,
        resolved,
        followup,
      };
    });
    if (!result) return null;
    // Held (its lease renewed) while it is shown here: however long Slack takes, no other process shows it too.
    const release = this.followups.hold(result.followup);
    try {
      return await this.showChange(incidentId, result);
    } finally {
      release();
    }
  }

  /** What a committed change shows: the card, its notice, the pages it answered, what follows a resolution. */
  private async showChange(
    incidentId: number,
    result: {
      before: Incident;
      written: VersionedIncident;
      incident: Incident;
      notice: IncidentNotice | undefined;
      due: Date | null;
      said?: readonly string[];
      pages: boolean;
      resolved: boolean;
      followup: number | null;
    },
  ): Promise<ChangeResult> {
    this.escalation?.scheduled(result.due);
    this.countMilestones(result.before, result.incident);
    const warnings: string[] = [...(result.said ?? [])];
    try {
      await this.showCard(incidentId, async () => result.written);
    } catch (err) {
      warnings.push(`the card could not be updated: ${describe(err).replace(/\.$/, '')}`);
      this.log.warn('refreshCard failed', err);
    }
    if (result.notice) {
      try {
        // Each of its posts names the follow-up: a process taking it over finds them (this one may die after a post).
        const problems = await this.chat.notify(
          result.incident,
          result.notice,
          result.followup === null ? undefined : { followup: result.followup },
        );
        if (problems) warnings.push(...problems);
      } catch (err) {
        warnings.push(`the notice could not be posted: ${describe(err).replace(/\.$/, '')}`);
        this.log.warn('notify failed', err);
      }
      // Recorded when more is left to show after it (else the follow-up ends next, one statement fewer).
      if (result.pages || result.resolved) await this.followups.noticePosted(result.followup);
    }
    // The pages a resolution, an acknowledgement or a reopening answered, and the DMs a new severity changed (their
    // Acknowledge, their subject, response time and Escalate to …), are shown by the change's own timer
    // (`redraw_pages`, written with it): retried until Slack takes each, by any process, after a restart too.
    if (result.resolved) await this.afterResolved(result.incident);
    if (result.before.status === 'resolved' && result.incident.status !== 'resolved') {
      try {
        await this.onReopened?.(result.incident);
      } catch (err) {
        // Left to the change's follow-up (its lease runs out; any process's timer loop finishes it: showLeft), as when
        // this process dies before it: a Reopen button left showing would reopen nothing and confuse.
        this.log.warn('after reopening: could not finish; its follow-up tries again shortly', err);
        if (result.followup !== null) {
          if (result.notice) await this.followups.noticePosted(result.followup);
          return { incident: result.incident, warnings };
        }
      }
    }
    await this.followups.done(result.followup);
    return { incident: result.incident, warnings };
  }

  private async afterResolved(incident: Incident): Promise<void> {
    await this.onResolved?.(incident).catch((err) => this.log.warn('after resolving: could not finish', err));
  }

  /**
   * Shows what a change left unshown when its process died (see ChangeFollowups), from the incident as it is now: its
   * card; its notice, unless posted already or overtaken (a resolution not said once the incident was reopened, nor a
   * reopening once resolved again); the pages it answered; what follows a resolution. The notice is posted late, saying
   * so, where it is not yet: the dead process may have posted it in the incident channel, or in the incidents channel
   * too, before it could record that (its posts name the follow-up: findNotice). Slack refusing a post is thrown once
   * the rest is shown, for a later round, which posts only what is still missing. A chat that cannot tell where it is
   * posts it at most once: recorded before it is posted, a refusal logged.
   */
  private async showLeft(incident: Incident | null, f: Followup, noticeDone: () => Promise<void>): Promise<void> {
    if (!incident) return;
    await this.refreshCard(incident.id);
    let refused: unknown;
    if (!f.noticeDone && !overtaken(f.notice, f.incident, incident)) {
      // Shown as the change left the incident (a rename's new title then).
      const post = { followup: f.id, late: { madeAt: f.createdAt } };
      const posted = this.chat.findNotice
        ? await this.chat.findNotice(f.incident, f.notice, f.id, f.createdAt).catch(() => null)
        : null;
      if (posted) {
        try {
          await this.chat.notify(f.incident, f.notice, { ...post, posted });
          await noticeDone();
        } catch (err) {
          refused = err;
        }
      } else {
        await noticeDone();
        await this.chat
          .notify(f.incident, f.notice, post)
          .catch((err) =>
            this.log.warn(`could not post the late ${f.notice.kind} notice of incident ${incident.id}`, err),
          );
      }
    }
    if (f.pages) await this.escalation?.showAnsweredPages(incident);
    if (f.resolved && incident.status === 'resolved') await this.afterResolved(incident);
    // A reopening: what follows it (the messages offering Reopen say who reopened it), unless resolved again since.
    // Slack refusing is thrown, for a later round.
    if (f.notice.kind === 'reopened' && incident.status !== 'resolved')
      await this.onReopened?.(incident).catch((err: unknown) => {
        refused ??= err;
      });
    if (refused) throw refused;
  }

  /**
   * Time to acknowledge, mitigate and resolve, counted when a change reaches each for the first time: a reopened
   * incident (its mitigation and resolution cleared) is not counted again when it is mitigated and resolved again.
   */
  private countMilestones(before: Incident, after: Incident): void {
    if (after.reopenedAt) return;
    const since = (at: Date) => Math.max(0, (at.getTime() - after.createdAt.getTime()) / 1000);
    if (!before.acknowledgedAt && after.acknowledgedAt)
      this.metrics.reached('acknowledge', after.severity, since(after.acknowledgedAt));
    if (!before.mitigatedAt && after.mitigatedAt)
      this.metrics.reached('mitigate', after.severity, since(after.mitigatedAt));
    if (!before.resolvedAt && after.resolvedAt)
      this.metrics.reached('resolve', after.severity, since(after.resolvedAt));
  }

  /**
   * Keeps the RTO of the incident's procedure (see Incident.recovery), which sets, moves or cancels the reminders of
   * its bounds, and shows the card (its objectives line). Nothing is recorded: attaching the playbook was.
   */
  async setRecovery(incidentId: number, recovery: RecoveryTime | null): Promise<void> {
    await this.change(incidentId, undefined, () => ({ patch: { recovery }, events: [] }));
  }

  changeSeverity(incidentId: number, actorId: string, to: Severity, requestKey?: string) {
    return this.change(incidentId, requestKey, (cur) => {
      if (cur.status === 'resolved') throw resolvedError('This incident is resolved; its severity is final.');
      if (cur.severity === to) throw new AlreadyDoneError(`The incident is already ${severityLabel(to)}.`);
      return {
        patch: { severity: to, severityChangedAt: new Date() },
        events: [{ kind: 'severity_changed', actorId, details: { from: cur.severity, to } }],
        notice: { kind: 'severity_changed', from: cur.severity, to, actorId },
      };
    });
  }

  /**
   * The first acknowledgement makes the commander; a later one is told who commands (`commanded`). A later one by
   * someone paged since (the `unresolved` rule paging senior DevOps) also acknowledges their own page: its remaining
   * notifications stop (`ownPage: false` leaves pages alone, for an acknowledgement that came from PagerDuty).
   */
  async acknowledge(
    incidentId: number,
    actorId: string,
    requestKey?: string,
    { ownPage = true }: { ownPage?: boolean } = {},
  ): Promise<CommandResult<ChangeResult> | null> {
    const own = ownPage ? ((await this.escalation?.acknowledgeOwnPage(incidentId, actorId)) ?? null) : null;
    const refresh = () =>
      this.refreshCard(own!.incident.id).catch((err) =>
        this.log.warn('could not refresh the card after a page ack', err),
      );
    try {
      const r = await this.commandChange(incidentId, requestKey, (cur) => decideAcknowledge(cur, actorId));
      if (own && r?.kind === 'commanded') {
        await refresh();
        // Their page is acknowledged: a change, though command stays where it was.
        const { kind, incident, commanderId, warnings } = r;
        return { kind, incident, incidentId, commanderId, warnings, pageAcknowledged: own.pages };
      }
      return r;
    } catch (err) {
      if (!(own && err instanceof AlreadyDoneError)) throw err;
      await refresh();
      return { kind: 'page_acknowledged', incident: own.incident, incidentId, pages: own.pages, warnings: [] };
    }
  }

  /** Take command on purpose from `from`, the commander the person was shown; recorded and announced. */
  takeCommand(
    incidentId: number,
    actorId: string,
    from: string,
    requestKey?: string,
  ): Promise<CommandResult<ChangeResult> | null> {
    return this.commandChange(incidentId, requestKey, (cur) => decideTakeCommand(cur, actorId, from));
  }

  /** Command handed to `toId` (`/incident commander @person`); recorded and announced (see decideHandOver). */
  handOver(incidentId: number, actorId: string, toId: string, requestKey?: string) {
    return this.change(incidentId, requestKey, (cur) => decideHandOver(cur, actorId, toId));
  }

  private async commandChange(
    incidentId: number,
    requestKey: string | undefined,
    decide: (cur: Incident) => Decision,
  ): Promise<CommandResult<ChangeResult> | null> {
    try {
      const r = await this.change(incidentId, requestKey, decide);
      return r && { kind: 'changed', ...r };
    } catch (err) {
      if (err instanceof CommandHeld) {
        return {
          kind: 'commanded',
          incident: err.incident,
          incidentId,
          commanderId: err.commanderId,
          warnings: [],
          unchanged: `commanded by ${err.commanderId}: command was not changed`,
        };
      }
      throw err;
    }
  }

  /**
   * A status update. `seen`: what the person's form showed of the incident when it opened; a field they left as it
   * was, which another update changed meanwhile, keeps the other update's value (and they are told).
   */
  postStatusUpdate(
    incidentId: number,
    authorId: string,
    submitted: StatusUpdateInput,
    requestKey?: string,
    seen?: SeenFields,
    /** The channel the form was opened for: a form of another incident's channel does not fit this one. */
    formChannelId?: string,
  ) {
    return this.change(incidentId, requestKey, (cur) => {
      if (formChannelId && cur.channelId && formChannelId !== cur.channelId) throw formOutOfDate();
      // The form showed the incident masked (see get): its fields are compared with the incident as it shows now.
      const { update, kept } = maskedUpdate(
        mergeOverNewer(submitted, seen, maskedIncident(cur, this.typed)),
        this.typed,
      );
      // The status as submitted: a form left at its status does not take the resolution over.
      if (cur.status === 'resolved' && submitted.status !== 'resolved') throw resolvedMeanwhile(submitted, seen);
      // Saying Resolved of an incident resolved already (another person resolved it while this one wrote): not posted
      // as a plain update after the resolution, refused as a second resolution is, with what was written given back.
      if (cur.status === 'resolved') throw resolvedBeforeUpdate(cur, submitted);
      // A field left as the form showed it takes the incident's; a form that does not fit the incident (another
      // incident's, or one forged) would then post required fields empty.
      if (REQUIRED_FIELDS.some((f) => isBlank(update[f]))) throw formOutOfDate();
      const now = new Date();
      let phase = cur.phase;
      if (update.status === 'investigating' && update.mitigationSteps.trim()) phase = advance(phase, 'mitigation');
      if (update.status === 'mitigated') phase = advance(phase, 'resolution');
      if (update.status === 'resolved') phase = advance(phase, 'postmortem');
      const patch: IncidentPatch = {
        status: update.status,
        phase,
        affected: update.affected,
        currentImpact: update.currentImpact,
        currentStatus: update.currentStatus,
        mitigationSteps: update.mitigationSteps,
        nextUpdateAt: update.nextUpdateAt,
        lastUpdateAt: now,
        customerImpact: update.customerImpact,
        dataLossRisk: update.dataLossRisk,
      };
      // A flag the update lowers takes what was said with it along.
      if (!update.customerImpact) patch.customerImpactNote = null;
      if (!update.dataLossRisk) patch.dataLossNote = null;
      if (update.status !== 'investigating' && !cur.mitigatedAt) patch.mitigatedAt = now;
      const events: Decision['events'] = [
        {
          kind: 'status_update',
          actorId: authorId,
          details: { ...update, nextUpdateAt: update.nextUpdateAt?.toISOString() ?? null },
        },
      ];
      // Resolved by the update: as `/incident resolve` resolves (its patch, its events, its notice), the update said
      // first, its summary one line as the resolve form's. (An incident resolved already takes no update: refused above.)
      const resolved =
        update.status === 'resolved' ? resolution(cur, authorId, summaryOfStatus(update.currentStatus), now) : null;
      if (resolved) {
        Object.assign(patch, resolved.patch);
        events.push(...resolved.events);
      } else if (phase !== cur.phase)
        events.push({ kind: 'phase_changed', actorId: authorId, details: { from: cur.phase, to: phase } });
      const publicUpdate = publicUpdateOf(update, now);
      // What the status page now promises: its own reminder while an unpublished update moves the next update only.
      if (publicUpdate) patch.publicNextUpdateAt = update.status === 'resolved' ? null : update.nextUpdateAt;
      return {
        patch,
        events,
        notice: resolved ? { ...resolved.notice, update } : { kind: 'status_update', update, authorId },
        ...(publicUpdate ? { publicUpdate } : {}),
        ...(kept.length
          ? {
              said: [
                `another update was posted while you wrote yours: ${kept.join(', ')} ${kept.length === 1 ? 'keeps its value, which you left as your form showed it' : 'keep its values, which you left as your form showed them'} (the rest is yours)`,
              ],
            }
          : {}),
      };
    });
  }

  /** Mitigated (Mark mitigated, `/incident mitigated [how]`): `how`, when said, is on the timeline and in the notice. */
  markMitigated(incidentId: number, actorId: string, requestKey?: string, typedHow?: string | null) {
    const how = typedHow ? this.typed(typedHow) : typedHow;
    return this.change(incidentId, requestKey, (cur) => {
      if (cur.status === 'resolved') throw resolvedError();
      if (cur.status === 'mitigated') throw new AlreadyDoneError('This incident is already marked mitigated.');
      const phase = advance(cur.phase, 'resolution');
      return {
        patch: { status: 'mitigated', mitigatedAt: new Date(), phase },
        events: [
          { kind: 'mitigated', actorId, ...(how ? { details: { how } } : {}) },
          ...(phase !== cur.phase
            ? [{ kind: 'phase_changed' as const, actorId, details: { from: cur.phase, to: phase } }]
            : []),
        ],
        notice: { kind: 'mitigated', actorId, ...(how ? { how } : {}) },
      };
    });
  }

  /**
   * `/incident rename`: a new title, on a resolved incident too (its post-mortem reads it). A public incident's title is
   * shown in the incidents channel and on the status page, so one that reads as a security incident is refused there:
   * such an incident is declared private.
   */
  rename(incidentId: number, actorId: string, typedTitle: string, requestKey?: string) {
    const title = this.typed(typedTitle);
    return this.change(incidentId, requestKey, (cur) => {
      if (cur.title === title) throw new AlreadyDoneError('The incident already has this title.');
      if (!cur.private && this.policy.sensitive?.(title)) {
        throw new DomainError(
          'sensitive_title',
          'This title reads as a security incident, and this incident is public: its title is shown in the incidents channel and on the status page. Keep a neutral title here, and declare the security incident privately with `/incident sev1 --private <title>`.',
        );
      }
      return {
        patch: { title },
        events: [{ kind: 'renamed', actorId, details: { from: cur.title, to: title } }],
        notice: { kind: 'renamed', from: cur.title, actorId },
      };
    });
  }

  /** `/incident impact` and `/incident data-loss`: flags that page the engineering manager or the CTO at once. */
  /** Customer impact or a data-loss risk flagged (the card's form, `/incident impact [what]`); `what`, when said, is told. */
  setFlag(
    incidentId: number,
    actorId: string,
    flag: 'customer_impact' | 'data_loss_risk',
    requestKey?: string,
    typedWhat?: string | null,
  ) {
    const what = typedWhat ? this.typed(typedWhat) : typedWhat;
    return this.change(incidentId, requestKey, (cur) => {
      if (cur.status === 'resolved') throw resolvedError();
      const already = flag === 'customer_impact' ? cur.customerImpact : cur.dataLossRisk;
      if (already) {
        throw new AlreadyDoneError(
          flag === 'customer_impact' ? 'Customer impact is already flagged.' : 'Data-loss risk is already flagged.',
        );
      }
      return {
        // What was said with it is kept while the flag is raised: the page it causes says it (see flagNote).
        patch:
          flag === 'customer_impact'
            ? { customerImpact: true, customerImpactNote: what || null }
            : { dataLossRisk: true, dataLossNote: what || null },
        events: [{ kind: 'flag_set', actorId, details: { flag, ...(what ? { what } : {}) } }],
        notice: { kind: 'flag_set', flag, actorId, ...(what ? { what } : {}) },
      };
    });
  }

  /**
   * "Escalate now": pages the role the person meant (one they named, the card's, else the next in the contact order),
   * once.
   */
  async escalateNow(
    incidentId: number,
    actorId: string,
    request: Parameters<EscalationService['escalateNow']>[2] = {},
  ): Promise<EscalateResult | null> {
    if (!this.escalation) throw new DomainError('no_escalation', 'Escalation is not configured for this bot.');
    return this.escalation.escalateNow(incidentId, actorId, request);
  }

  /** Whether what a person typed after `/incident page` names a role of the runbook (`@database-team` does). */
  namesRole(typed: string): boolean {
    return this.escalation?.namesRole(typed) ?? false;
  }

  resolve(
    incidentId: number,
    actorId: string,
    typed: string,
    requestKey?: string,
    /** The channel the resolve form was opened for: a form of another incident's channel does not fit this one. */
    formChannelId?: string,
  ) {
    const summary = this.typed(typed);
    return this.change(incidentId, requestKey, (cur) => {
      mustFitForm(cur, formChannelId, '/incident resolve');
      if (cur.status === 'resolved') throw alreadyResolved(cur, actorId, summary);
      return resolution(cur, actorId, summary, new Date());
    });
  }

  /**
   * `/incident reopen [why]`: a resolved incident is worked on again (resolved too early, or its trouble came back). It
   * goes back to Investigating, its phase to Assessment (Detection if nobody acknowledged it), and its resolution is
   * kept only on the timeline. Its commander stays. The next update it promised is dropped: the team posts a new one.
   * Its timed escalation rules count from now: a timer its resolution cancelled is set again (see SyncRules), and a
   * role already paged for a reason is not paged again for it.
   */
  reopen(incidentId: number, actorId: string, typedWhy?: string | null, requestKey?: string) {
    const why = typedWhy?.trim() ? this.typed(typedWhy.trim()) : null;
    return this.change(incidentId, requestKey, (cur) => {
      if (cur.status !== 'resolved')
        throw new AlreadyDoneError(`This incident is not resolved (it is ${cur.status}): there is nothing to reopen.`);
      const phase = cur.acknowledgedAt ? 'assessment' : 'detection';
      return {
        patch: {
          status: 'investigating',
          phase,
          mitigatedAt: null,
          resolvedAt: null,
          resolvedBy: null,
          resolutionSummary: null,
          nextUpdateAt: null,
          // The page drops the promise of an update from before the reopening (status-page.ts).
          publicNextUpdateAt: null,
          reopenedAt: new Date(),
          reopenedBy: actorId,
        },
        events: [
          {
            kind: 'reopened',
            actorId,
            details: {
              ...(why ? { why } : {}),
              resolvedAt: cur.resolvedAt?.toISOString() ?? null,
              resolvedBy: cur.resolvedBy,
              summary: cur.resolutionSummary,
            },
          },
          { kind: 'phase_changed', actorId, details: { from: cur.phase, to: phase } },
        ],
        notice: { kind: 'reopened', actorId, ...(why ? { why } : {}) },
      };
    });
  }
}

/**
 * The resolution of an open incident `cur` by `actorId` with `summary` (`/incident resolve`, its form, a status update
 * saying Resolved): its patch, its `resolved` and `phase_changed` events, its notice.
 */
function resolution(
  cur: Incident,
  actorId: string,
  summary: string,
  now: Date,
): Decision & { notice: Extract<IncidentNotice, { kind: 'resolved' }> } {
  return {
    patch: {
      status: 'resolved',
      resolvedAt: now,
      resolvedBy: actorId,
      resolutionSummary: summary,
      mitigatedAt: cur.mitigatedAt ?? now,
      phase: 'postmortem',
    },
    events: [
      {
        kind: 'resolved',
        actorId,
        details: { summary, secondsToResolve: Math.round((now.getTime() - cur.createdAt.getTime()) / 1000) },
      },
      { kind: 'phase_changed', actorId, details: { from: cur.phase, to: 'postmortem' } },
    ],
    notice: { kind: 'resolved', actorId, summary },
  };
}

function describe(err: unknown): string {
  if (err instanceof DomainError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A status update form that does not fit the incident it names (another incident's, or forged). */
function formOutOfDate(): DomainError {
  return new DomainError(
    'form_out_of_date',
    'This form does not fit the incident as it is now (what it showed is not there), so nothing was posted. Close it and open a new one with `/incident update` in the incident channel.',
  );
}

/**
 * A resolution of an incident resolved already (two people resolving at once): who resolved it and with what summary,
 * and the summary this person wrote, given back when it was another's resolution, so that it is not lost.
 */
function alreadyResolved(cur: Incident, actorId: string, summary: string): AlreadyDoneError {
  const by: Phrase = cur.resolvedBy ? [' by ', { people: [cur.resolvedBy] }] : [];
  const kept: Phrase = cur.resolutionSummary ? [': ', { typed: cur.resolutionSummary, max: 300 }] : [];
  const mine =
    cur.resolvedBy !== actorId && summary.trim() && summary.trim() !== cur.resolutionSummary?.trim()
      ? ([
          ' Your summary was not recorded; post it in the channel or put it in the post-mortem (`/incident postmortem`): ',
          { typed: summary.trim(), max: 300 },
        ] as Phrase)
      : [];
  if (cur.resolvedBy === actorId) return new AlreadyDoneError(['You resolved this incident already', ...kept, '.']);
  return new AlreadyDoneError(['This incident is already resolved', ...by, ...kept, '.', ...mine]);
}

/**
 * How an incident resolved already is said to a person who would resolve it or update it: `Incident #7 is already
 * resolved by <who> at <when>: <its summary>.`, `at` saying the time (on that person's clock, where it is known).
 */
export function alreadyResolvedPhrase(cur: Incident, at: (t: Date) => string): Phrase {
  return [
    `Incident #${cur.number} is already resolved`,
    ...(cur.resolvedBy ? ([' by ', { people: [cur.resolvedBy] }] as Phrase) : []),
    ...(cur.resolvedAt ? [` at ${at(cur.resolvedAt)}`] : []),
    ...(cur.resolutionSummary ? ([': ', { typed: cur.resolutionSummary, max: 300 }] as Phrase) : []),
    '.',
  ];
}

/** `2026-12-06 07:40 UTC`: a time said by the domain, where nobody's clock is known. */
const utcMinute = (t: Date) => `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * A status update saying Resolved of an incident resolved already: who resolved it, when and how, that nothing was
 * posted (a resolved incident takes no status update), how to post it all the same, and what was written given back.
 */
function resolvedBeforeUpdate(cur: Incident, update: StatusUpdateInput): DomainError {
  return new DomainError('already_resolved', [
    ...alreadyResolvedPhrase(cur, utcMinute),
    ...givenBack(
      ` Your update was not posted: a resolved incident takes no more status updates. To post it, reopen the incident first (\`/incident reopen [why]\`) and post it again.`,
      'post it in the channel, or put it in the post-mortem, `/incident postmortem`',
      update,
    ),
  ]);
}

/** A status update with what was typed in it masked (see IncidentService's `typed`). */
function maskedUpdate<T extends { update: StatusUpdateInput }>(merged: T, mask: (text: string) => string): T {
  const { affected, currentImpact, currentStatus, mitigationSteps } = merged.update;
  return {
    ...merged,
    update: {
      ...merged.update,
      affected: mask(affected),
      currentImpact: mask(currentImpact),
      currentStatus: mask(currentStatus),
      mitigationSteps: mask(mitigationSteps),
    },
  };
}

/**
 * Refuses to open the status update form of a resolved incident (its card's Post status update, `/incident update`),
 * saying how to reopen it: its submission would be refused (resolvedMeanwhile).
 */
export function mustTakeUpdates(i: Incident): void {
  if (i.status === 'resolved') throw resolvedError('This incident is resolved; it takes no more status updates.');
}

/**
 * A status update for an incident resolved meanwhile (another person resolved it while this one wrote): refused, saying
 * how to post it all the same (reopen first), and what the person wrote is given back to them, so that it is not lost.
 */
function resolvedMeanwhile(update: StatusUpdateInput, seen: SeenFields | undefined): DomainError {
  const lead = `This incident ${seen ? 'was resolved while you wrote your update' : 'is resolved'}, so it takes no more status updates and yours was not posted. To post it, reopen the incident first (\`/incident reopen [why]\`) and post it again.`;
  return new DomainError(
    'incident_resolved',
    givenBack(lead, 'put it in the post-mortem, `/incident postmortem`, or in the channel', update),
  );
}

/**
 * `lead`, then what the person wrote in a status update that was not posted, so that it is not lost (`where`: where
 * to put it); `lead` alone when they wrote nothing.
 */
export function givenBack(lead: string, where: string, update: StatusUpdateInput): Phrase {
  const written = WRITTEN_FIELDS.filter(({ field }) => !isBlank(update[field]));
  if (written.length === 0) return [lead];
  return [
    `${lead} What you wrote, so that it is not lost (${where}):`,
    ...written.flatMap(({ label, field }) => [`\n*${label}:* `, { typed: update[field].trim(), max: 700 }]),
  ];
}
