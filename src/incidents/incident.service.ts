import { maskStored } from '../ops/mask-stored.js';
import type { Database } from '../store/db.js';
import { listEvents } from '../store/event.repo.js';
import { getIncidentByChannel, listOpenIncidents, type OpenIncidents } from '../store/incident.repo.js';
import type { KeyValue } from '../store/kv.js';
import { pagedIncidentsOf } from '../store/page.repo.js';
import type { AlertCardView } from './alert-types.js';
import type { CardSections } from './card-sections.js';
import type { ChangeFollowups } from './change-followups.js';
import {
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
import { AlreadyDoneError, DomainError } from './errors.js';
import type { EscalateResult, EscalationService } from './escalation.service.js';
import { incidentOrThrow } from './find-incident.js';
import { type ChangeResult, IncidentChanges } from './incident-changes.js';
import {
  decideFlag,
  decideMitigated,
  decideRename,
  decideReopen,
  decideResolve,
  decideSeverity,
  decideStatusUpdate,
} from './incident-decisions.js';
import {
  type EscalationView,
  type FollowUpCardView,
  type IncidentChat,
  type IncidentMetrics,
  type Logger,
  NO_METRICS,
  type ObjectivesView,
} from './ports.js';
import type { Severity } from './severity.js';
import { maskedIncident } from './shown-incident.js';
import type { SeenFields } from './status-merge.js';
import type { Incident, IncidentEvent, PagedIncident, RecoveryTime, StatusUpdateInput, Unchanged } from './types.js';

export type { DeclareInput, DeclareOptions, DeclarePolicy, DeclareResult } from './declaration.service.js';
export type { ChangeResult } from './incident-changes.js';

export class IncidentService {
  constructor(
    private readonly db: Database,
    chat: IncidentChat,
    private readonly log: Logger = console,
    /** Escalation timers, kept in step with every change (inside the same transaction). */
    private readonly escalation?: EscalationService,
    /** Called once a declared incident is whole (channel, card); e.g. to suggest a playbook. Failures are logged. */
    afterDeclare?: (incident: Incident) => Promise<void>,
    metrics: IncidentMetrics = NO_METRICS,
    private readonly policy: DeclarePolicy = {},
    /** Where notes of declarations the database could not record are shared with other replicas. */
    shared: KeyValue | null = null,
    /**
     * What people type (a title, a status update, a resolution summary, how it was mitigated, what the impact is) is
     * masked by: the values the bot knows are secret.
     */
    private readonly typed: (text: string) => string = (text) => text,
  ) {
    this.changes = new IncidentChanges(db, chat, log, escalation, metrics, this);
    this.followups = this.changes.followups;
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

  /** How every change below is made and shown, and the card refreshed (see IncidentChanges). */
  private readonly changes: IncidentChanges;

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
      const escalation = await this.changes.escalationView(incident);
      if (!this.sections) return { escalation };
      const { alerts, objectives, followUp } = await this.sections.view(incident.id, escalation);
      return { escalation, alerts, objectives, followUp };
    } catch (err) {
      this.log.warn(`could not read the sections of incident ${incident.id}'s card`, err);
      return {};
    }
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

  /** Re-renders the incident's card from its current state (see IncidentChanges.refreshCard). */
  refreshCard(incidentId: number): Promise<void> {
    return this.changes.refreshCard(incidentId);
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
   * Keeps the RTO of the incident's procedure (see Incident.recovery), which sets, moves or cancels the reminders of
   * its bounds, and shows the card (its objectives line). Nothing is recorded: attaching the playbook was.
   */
  async setRecovery(incidentId: number, recovery: RecoveryTime | null): Promise<void> {
    await this.changes.change(incidentId, undefined, () => ({ patch: { recovery }, events: [] }));
  }

  changeSeverity(incidentId: number, actorId: string, to: Severity, requestKey?: string) {
    return this.changes.change(incidentId, requestKey, (cur) => decideSeverity(cur, actorId, to));
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
    return this.changes.change(incidentId, requestKey, (cur) => decideHandOver(cur, actorId, toId));
  }

  private async commandChange(
    incidentId: number,
    requestKey: string | undefined,
    decide: (cur: Incident) => Decision,
  ): Promise<CommandResult<ChangeResult> | null> {
    try {
      const r = await this.changes.change(incidentId, requestKey, decide);
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
    return this.changes.change(incidentId, requestKey, (cur) =>
      decideStatusUpdate(cur, authorId, submitted, seen, formChannelId, this.typed),
    );
  }

  /** Mitigated (Mark mitigated, `/incident mitigated [how]`): `how`, when said, is on the timeline and in the notice. */
  markMitigated(incidentId: number, actorId: string, requestKey?: string, typedHow?: string | null) {
    const how = typedHow ? this.typed(typedHow) : typedHow;
    return this.changes.change(incidentId, requestKey, (cur) => decideMitigated(cur, actorId, how));
  }

  /**
   * `/incident rename`: a new title, on a resolved incident too (its post-mortem reads it). A public incident's title is
   * shown in the incidents channel and on the status page, so one that reads as a security incident is refused there:
   * such an incident is declared private.
   */
  rename(incidentId: number, actorId: string, typedTitle: string, requestKey?: string) {
    const title = this.typed(typedTitle);
    return this.changes.change(incidentId, requestKey, (cur) =>
      decideRename(cur, actorId, title, this.policy.sensitive),
    );
  }

  /**
   * Customer impact or a data-loss risk flagged (`/incident impact [what]`, `/incident data-loss [what]`, the card's
   * form): flags that page the engineering manager or the CTO at once; `what`, when said, is told.
   */
  setFlag(
    incidentId: number,
    actorId: string,
    flag: 'customer_impact' | 'data_loss_risk',
    requestKey?: string,
    typedWhat?: string | null,
  ) {
    const what = typedWhat ? this.typed(typedWhat) : typedWhat;
    return this.changes.change(incidentId, requestKey, (cur) => decideFlag(cur, actorId, flag, what));
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
    return this.changes.change(incidentId, requestKey, (cur) => decideResolve(cur, actorId, summary, formChannelId));
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
    return this.changes.change(incidentId, requestKey, (cur) => decideReopen(cur, actorId, why));
  }
}
