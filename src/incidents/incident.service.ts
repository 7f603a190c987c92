import type { Database, Queryable } from '../store/db.js';
import { insertEvent, listEvents } from '../store/event.repo.js';
import {
  deleteAbandonedIncidents,
  deleteIncident,
  findRecentSameDeclaration,
  getIncident,
  getIncidentByChannel,
  type IncidentPatch,
  insertIncident,
  listOpenIncidents,
  nextIncidentNumber,
  updateIncident,
} from '../store/incident.repo.js';
import { claimRequestKey } from '../store/request-key.repo.js';
import { AlreadyDoneError, DomainError, IncidentNotFoundError } from './errors.js';
import type { EscalationService } from './escalation.service.js';
import type { EscalationView, IncidentChat, IncidentNotice, Logger } from './ports.js';
import { type Severity, severityLabel } from './severity.js';
import type { Incident, IncidentEvent, IncidentPhase, StatusUpdateInput } from './types.js';
import { INCIDENT_PHASES } from './types.js';

export interface DeclareInput {
  teamId: string;
  reporterId: string;
  title: string;
  severity: Severity;
  /** Unique per Slack request (the trigger id): a retry of the same request finds it taken. */
  requestKey: string;
}

/** A part of a declaration that did not happen in Slack, and Slack's reason (with its fix, where there is one). */
export interface DeclareProblem {
  step: 'card' | 'pin' | 'link' | 'announce';
  reason: string;
}

export type DeclareResult =
  /** `warnings` says each of `problems` in a sentence. */
  | { kind: 'declared'; incident: Incident; warnings: string[]; problems: DeclareProblem[] }
  /** The same person declared the same title moments ago (a double send): the existing incident. */
  | { kind: 'existing'; incident: Incident }
  /** A retry of a request already handled: nothing to say. */
  | { kind: 'retry' };

export interface ChangeResult {
  incident: Incident;
  /** Parts that were recorded but could not be shown in Slack. */
  warnings: string[];
}

/** A person double-sending the same declaration within this window gets the existing incident. */
const SAME_DECLARATION_WINDOW_SECONDS = 120;
/** A declaration still without a channel after this long failed half-way; its row is removed. */
const ABANDONED_AFTER_SECONDS = 120;

async function retry<T>(fn: () => Promise<T>, attempts = 3, delayMs = 200): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, delayMs * i));
    }
  }
}

const phaseIndex = (p: IncidentPhase) => INCIDENT_PHASES.indexOf(p);
/** Phases only move forward. */
const advance = (current: IncidentPhase, to: IncidentPhase): IncidentPhase =>
  phaseIndex(to) > phaseIndex(current) ? to : current;

export class IncidentService {
  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat,
    private readonly log: Logger = console,
    /** Escalation timers, kept in step with every change (inside the same transaction). */
    private readonly escalation?: EscalationService,
    /** Called once a declared incident is whole (channel, card); e.g. to suggest a playbook. Failures are logged. */
    private readonly afterDeclare?: (incident: Incident) => Promise<void>,
  ) {}

  private async escalationView(incident: Incident): Promise<EscalationView | undefined> {
    if (!this.escalation) return undefined;
    try {
      return await this.escalation.view(this.db, incident);
    } catch (err) {
      this.log.warn('could not read the escalation state for the card', err);
      return undefined;
    }
  }

  async declare(input: DeclareInput): Promise<DeclareResult> {
    const created = await this.db.transaction(async (tx) => {
      // Serialise identical declarations by the same person so a double send cannot make two incidents.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `declare:${input.teamId}:${input.reporterId}:${input.title.toLowerCase()}`,
      ]);
      if (!(await claimRequestKey(tx, `declare:${input.requestKey}`))) return { kind: 'retry' as const };
      await deleteAbandonedIncidents(tx, input.teamId, ABANDONED_AFTER_SECONDS);
      const same = await findRecentSameDeclaration(
        tx,
        input.teamId,
        input.reporterId,
        input.title,
        SAME_DECLARATION_WINDOW_SECONDS,
      );
      if (same) return { kind: 'existing' as const, incident: same };
      const number = await nextIncidentNumber(tx, input.teamId);
      const incident = await insertIncident(tx, { ...input, number });
      await insertEvent(tx, incident.id, 'declared', input.reporterId, {
        title: input.title,
        severity: input.severity,
      });
      return { kind: 'new' as const, incident };
    });
    if (created.kind !== 'new') return created;

    let incident = created.incident;
    let channel: { channelId: string; channelName: string };
    try {
      channel = await this.chat.openChannel(incident);
    } catch (err) {
      // No channel, no incident: remove the row so nothing half-made is left behind.
      await this.removeHalfMade(incident.id);
      throw err;
    }
    try {
      let due: Date | null = null;
      incident = await this.db.transaction(async (tx) => {
        const updated = await updateIncident(tx, incident.id, channel);
        await insertEvent(tx, incident.id, 'channel_created', null, { ...channel });
        // The incident is whole now: its escalation timers start in this same transaction.
        due = (await this.escalation?.sync(tx, updated)) ?? null;
        return updated;
      });
      this.escalation?.scheduled(due);
    } catch (err) {
      await this.chat.abandonChannel(channel.channelId).catch((e) => this.log.error('abandonChannel failed', e));
      await this.removeHalfMade(incident.id);
      throw err;
    }

    const warnings: string[] = [];
    const problems: DeclareProblem[] = [];
    const failed = (step: DeclareProblem['step'], sentence: string, err: unknown) => {
      warnings.push(`${sentence} (${describe(err)})`);
      problems.push({ step, reason: describe(err) });
    };
    let cardTs: string | undefined;
    try {
      cardTs = await this.chat.postCard(incident, await this.escalationView(incident));
    } catch (err) {
      failed('card', 'the incident card could not be posted', err);
      this.log.error('postCard failed', err);
    }
    if (cardTs) {
      const ts = cardTs;
      try {
        incident = await retry(() => updateIncident(this.db, incident.id, { cardTs: ts })); // one statement
      } catch (err) {
        warnings.push('the card was posted but could not be linked to the incident, so it will not update');
        problems.push({ step: 'link', reason: describe(err) });
        this.log.error('saving the card ts failed', err);
      }
      try {
        await this.chat.pinCard({ ...incident, cardTs: ts });
      } catch (err) {
        failed('pin', 'the card could not be pinned', err);
        this.log.warn('pinCard failed', err);
      }
    }
    try {
      await this.chat.announce(incident);
    } catch (err) {
      failed('announce', 'the announcement could not be posted', err);
      this.log.warn('announce failed', err);
    }
    if (this.afterDeclare) {
      try {
        await this.afterDeclare(incident);
      } catch (err) {
        this.log.warn('after-declare step failed', err);
      }
    }
    return { kind: 'declared', incident, warnings, problems };
  }

  /** Deletes the row of a declaration that failed half-way; retried, since the database may be busy. */
  private async removeHalfMade(id: number): Promise<void> {
    try {
      await retry(() => this.db.transaction((tx) => deleteIncident(tx, id)));
    } catch (err) {
      // Left for deleteAbandonedIncidents: it is invisible meanwhile (no channel) and removed on a later declaration.
      this.log.error(`could not remove half-made incident ${id}`, err);
    }
  }

  async findByChannel(channelId: string): Promise<Incident | null> {
    return getIncidentByChannel(this.db, channelId);
  }

  async get(id: number): Promise<Incident> {
    const found = await getIncident(this.db, id);
    if (!found) throw new IncidentNotFoundError();
    return found;
  }

  async listOpen(teamId: string): Promise<Incident[]> {
    return listOpenIncidents(this.db, teamId);
  }

  async timeline(incidentId: number): Promise<IncidentEvent[]> {
    return listEvents(this.db, incidentId);
  }

  /**
   * The shape of every change: lock the incident, decide (may throw AlreadyDoneError), write the patch and its event
   * in one transaction, then show it in Slack. A request key makes Slack retries and double submits no-ops.
   */
  private async change(
    incidentId: number,
    requestKey: string | undefined,
    decide: (current: Incident) => {
      patch: IncidentPatch;
      events: { kind: IncidentEvent['kind']; actorId: string | null; details?: Record<string, unknown> }[];
      notice?: IncidentNotice;
    },
  ): Promise<ChangeResult | null> {
    const result = await this.db.transaction(async (tx: Queryable) => {
      if (requestKey && !(await claimRequestKey(tx, requestKey))) return null;
      const current = await getIncident(tx, incidentId, { forUpdate: true });
      if (!current) throw new IncidentNotFoundError();
      const d = decide(current);
      const incident = await updateIncident(tx, incidentId, d.patch);
      for (const e of d.events) await insertEvent(tx, incidentId, e.kind, e.actorId, e.details ?? {});
      const due = (await this.escalation?.sync(tx, incident)) ?? null;
      return { incident, notice: d.notice, due };
    });
    if (!result) return null;
    this.escalation?.scheduled(result.due);
    const warnings: string[] = [];
    try {
      await this.chat.refreshCard(result.incident, await this.escalationView(result.incident));
    } catch (err) {
      warnings.push(`the card could not be updated (${describe(err)})`);
      this.log.warn('refreshCard failed', err);
    }
    if (result.notice) {
      try {
        await this.chat.notify(result.incident, result.notice);
      } catch (err) {
        warnings.push(`the notice could not be posted (${describe(err)})`);
        this.log.warn('notify failed', err);
      }
    }
    return { incident: result.incident, warnings };
  }

  changeSeverity(incidentId: number, actorId: string, to: Severity, requestKey?: string) {
    return this.change(incidentId, requestKey, (cur) => {
      if (cur.status === 'resolved') throw new AlreadyDoneError('This incident is resolved; its severity is final.');
      if (cur.severity === to) throw new AlreadyDoneError(`The incident is already ${severityLabel(to)}.`);
      return {
        patch: { severity: to },
        events: [{ kind: 'severity_changed', actorId, details: { from: cur.severity, to } }],
        notice: { kind: 'severity_changed', from: cur.severity, to, actorId },
      };
    });
  }

  acknowledge(incidentId: number, actorId: string, requestKey?: string) {
    return this.change(incidentId, requestKey, (cur) => {
      if (cur.status === 'resolved') throw new AlreadyDoneError('This incident is already resolved.');
      if (cur.acknowledgedAt && cur.commanderId === actorId) {
        throw new AlreadyDoneError('You have already acknowledged this incident; you are its commander.');
      }
      const now = new Date();
      const first = !cur.acknowledgedAt;
      const phase = advance(cur.phase, 'assessment');
      return {
        patch: {
          commanderId: actorId,
          acknowledgedAt: cur.acknowledgedAt ?? now,
          acknowledgedBy: cur.acknowledgedBy ?? actorId,
          phase,
        },
        events: [
          {
            kind: 'acknowledged',
            actorId,
            details: {
              commander: actorId,
              previousCommander: cur.commanderId,
              ...(first ? { secondsToAcknowledge: Math.round((now.getTime() - cur.createdAt.getTime()) / 1000) } : {}),
            },
          },
          ...(phase !== cur.phase
            ? [{ kind: 'phase_changed' as const, actorId, details: { from: cur.phase, to: phase } }]
            : []),
        ],
        notice: { kind: 'acknowledged', actorId, previousCommanderId: cur.commanderId },
      };
    });
  }

  postStatusUpdate(incidentId: number, authorId: string, update: StatusUpdateInput, requestKey?: string) {
    return this.change(incidentId, requestKey, (cur) => {
      if (cur.status === 'resolved' && update.status !== 'resolved') {
        throw new DomainError('incident_resolved', 'This incident is resolved; it takes no more status updates.');
      }
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
      if (update.status !== 'investigating' && !cur.mitigatedAt) patch.mitigatedAt = now;
      if (update.status === 'resolved' && !cur.resolvedAt) {
        patch.resolvedAt = now;
        patch.resolvedBy = authorId;
        patch.resolutionSummary = cur.resolutionSummary ?? (update.currentStatus || 'Resolved');
      }
      const events: { kind: IncidentEvent['kind']; actorId: string | null; details?: Record<string, unknown> }[] = [
        {
          kind: 'status_update',
          actorId: authorId,
          details: { ...update, nextUpdateAt: update.nextUpdateAt?.toISOString() ?? null },
        },
      ];
      if (phase !== cur.phase)
        events.push({ kind: 'phase_changed', actorId: authorId, details: { from: cur.phase, to: phase } });
      return { patch, events, notice: { kind: 'status_update', update, authorId } };
    });
  }

  markMitigated(incidentId: number, actorId: string, requestKey?: string) {
    return this.change(incidentId, requestKey, (cur) => {
      if (cur.status === 'resolved') throw new AlreadyDoneError('This incident is already resolved.');
      if (cur.status === 'mitigated') throw new AlreadyDoneError('This incident is already marked mitigated.');
      const phase = advance(cur.phase, 'resolution');
      return {
        patch: { status: 'mitigated', mitigatedAt: new Date(), phase },
        events: [
          { kind: 'mitigated', actorId },
          ...(phase !== cur.phase
            ? [{ kind: 'phase_changed' as const, actorId, details: { from: cur.phase, to: phase } }]
            : []),
        ],
        notice: { kind: 'mitigated', actorId },
      };
    });
  }

  /** `/incident impact` and `/incident data-loss`: flags that page the engineering manager or the CTO at once. */
  setFlag(incidentId: number, actorId: string, flag: 'customer_impact' | 'data_loss_risk', requestKey?: string) {
    return this.change(incidentId, requestKey, (cur) => {
      if (cur.status === 'resolved') throw new AlreadyDoneError('This incident is already resolved.');
      const already = flag === 'customer_impact' ? cur.customerImpact : cur.dataLossRisk;
      if (already) {
        throw new AlreadyDoneError(
          flag === 'customer_impact' ? 'Customer impact is already flagged.' : 'Data-loss risk is already flagged.',
        );
      }
      return {
        patch: flag === 'customer_impact' ? { customerImpact: true } : { dataLossRisk: true },
        events: [{ kind: 'flag_set', actorId, details: { flag } }],
        notice: { kind: 'flag_set', flag, actorId },
      };
    });
  }

  /** "Escalate now": pages the next role in the contact order. */
  async escalateNow(incidentId: number, actorId: string, requestKey?: string): Promise<string | null> {
    if (!this.escalation) throw new DomainError('no_escalation', 'Escalation is not configured for this bot.');
    const escalation = this.escalation;
    return escalation.escalateNow(incidentId, actorId, requestKey);
  }

  resolve(incidentId: number, actorId: string, summary: string, requestKey?: string) {
    return this.change(incidentId, requestKey, (cur) => {
      if (cur.status === 'resolved') throw new AlreadyDoneError('This incident is already resolved.');
      const now = new Date();
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
    });
  }
}

function describe(err: unknown): string {
  if (err instanceof DomainError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
