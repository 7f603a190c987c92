import type { Runbook } from '../runbook/runbook.js';
import type { Database, Queryable } from '../store/db.js';
import {
  deliveredTo,
  type EscalationJob,
  escalationSummary,
  finishJob,
  getJobForUpdate,
  insertManualJob,
  markPageAnnounced,
  pageAnnounced,
  pagedRoles,
  pendingManualRoles,
  recordDelivery,
  retryJob,
  syncJobs,
  upsertPage,
} from '../store/escalation.repo.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import { claimRequestKey } from '../store/request-key.repo.js';
import { AlreadyDoneError, IncidentNotFoundError } from './errors.js';
import {
  desiredJobs,
  type EscalationRule,
  nextRoleToPage,
  rolesToPage,
  ruleReason,
  ruleUnless,
  stillHolds,
} from './escalation-policy.js';
import type { Logger } from './incident.service.js';
import { type EscalationView, type IncidentChat, UnreachableContactError } from './ports.js';
import type { Incident } from './types.js';

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
  /** Told when a timer may be due sooner than the loop planned to wake. */
  onScheduled: (dueAt: Date) => void = () => {};

  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat,
    private readonly runbook: Runbook,
    private readonly log: Logger = console,
  ) {}

  roleName(role: string | null): string {
    return role ? (this.runbook.escalation.roles[role]?.name ?? role) : 'the commander';
  }

  /** Inside the transaction that changed `incident`: make its timers match its state. */
  async sync(tx: Queryable, incident: Incident): Promise<Date | null> {
    return syncJobs(
      tx,
      incident.id,
      desiredJobs(incident, this.runbook, new Date()),
      incident.status === 'investigating',
    );
  }

  /** After the transaction commits: wake the timer loop if something is due before it would wake. */
  scheduled(dueAt: Date | null): void {
    if (dueAt) this.onScheduled(dueAt);
  }

  async view(q: Queryable, incident: Incident): Promise<EscalationView> {
    const s = await escalationSummary(q, incident.id);
    return {
      paged: s.paged.map((p) => ({ roleName: this.roleName(p.role), at: p.at })),
      next: s.next
        ? {
            roleName: this.roleName(s.next.role),
            reason: ruleReason(s.next.rule as EscalationRule, this.runbook, incident),
            unless: ruleUnless(s.next.rule),
            dueAt: s.next.dueAt,
          }
        : null,
    };
  }

  /** "Escalate now": pages the next role in the contact order at once. Returns that role's name. */
  async escalateNow(incidentId: number, actorId: string, requestKey?: string): Promise<string | null> {
    const result = await this.db.transaction(async (tx) => {
      if (requestKey && !(await claimRequestKey(tx, requestKey))) return null;
      const incident = await getIncident(tx, incidentId, { forUpdate: true });
      if (!incident) throw new IncidentNotFoundError();
      if (incident.status !== 'investigating') {
        throw new AlreadyDoneError(`This incident is ${incident.status}; there is nobody left to escalate to for it.`);
      }
      const taken = new Set([...(await pagedRoles(tx, incidentId)), ...(await pendingManualRoles(tx, incidentId))]);
      const role = nextRoleToPage(this.runbook, taken);
      if (!role) {
        const names = this.runbook.escalation.order.map((r) => this.roleName(r)).join(', ');
        throw new AlreadyDoneError(`Every role in the contact order has been paged already (${names}).`);
      }
      await insertManualJob(tx, incidentId, role, actorId);
      await insertEvent(tx, incidentId, 'escalation_requested', actorId, { role });
      return { role, incident };
    });
    if (!result) return null;
    this.onScheduled(new Date());
    const roleName = this.roleName(result.role);
    await this.chat
      .notify(result.incident, { kind: 'escalation_requested', roleName, actorId })
      .catch((err) => this.log.warn('could not post the escalation notice', err));
    return roleName;
  }

  /** Runs one claimed job. Never throws: a failure is recorded and the job tried again later. */
  async fire(job: EscalationJob): Promise<void> {
    try {
      await this.run(job);
    } catch (err) {
      const delay = retryDelayMs(job.attempts);
      this.log.warn(`escalation job ${job.id} (${job.key}) failed, retrying in ${delay} ms`, err);
      await retryJob(
        this.db,
        job.id,
        new Date(Date.now() + delay),
        err instanceof Error ? err.message : String(err),
      ).catch((e) =>
        this.log.error('could not reschedule an escalation job; its lease will expire and it will run again', e),
      );
    }
  }

  private async run(job: EscalationJob): Promise<void> {
    const now = new Date();
    const plan = await this.db.transaction(async (tx) => {
      const incident = await getIncident(tx, job.incidentId, { forUpdate: true });
      const fresh = await getJobForUpdate(tx, job.id);
      if (!fresh || fresh.state !== 'pending') return null;
      if (!incident || !stillHolds(job, incident, this.runbook, now)) {
        await finishJob(tx, job.id, 'cancelled');
        return null;
      }
      if (job.rule === 'next_update') return { incident, pages: [] as { pageId: number; role: string }[] };
      const roles = rolesToPage(job, this.runbook, await pagedRoles(tx, incident.id));
      const pages: { pageId: number; role: string }[] = [];
      for (const role of roles) pages.push({ pageId: await upsertPage(tx, incident.id, job.id, role, job.rule), role });
      return { incident, pages };
    });
    if (!plan) return;
    const { incident } = plan;
    const reason = ruleReason(job.rule as EscalationRule, this.runbook, incident);

    if (job.rule === 'next_update') {
      await this.chat.notify(incident, {
        kind: 'reminder',
        commanderId: incident.commanderId,
        nextUpdateAt: incident.nextUpdateAt!,
      });
      await this.db.transaction(async (tx) => {
        await insertEvent(tx, incident.id, 'reminder_sent', null, {
          to: incident.commanderId,
          nextUpdateAt: incident.nextUpdateAt,
        });
        await finishJob(tx, job.id, 'done');
      });
      return;
    }

    for (const { pageId, role } of plan.pages) await this.page(incident, job, pageId, role, reason);
    await finishJob(this.db, job.id, 'done');
    const view = await this.view(this.db, incident);
    const current = (await getIncident(this.db, incident.id)) ?? incident;
    await this.chat
      .refreshCard(current, view)
      .catch((err) => this.log.warn('could not refresh the card after a page', err));
  }

  /** Pages one role: a DM to each contact, an invitation to the channel, and a line in the channel saying why. */
  private async page(
    incident: Incident,
    job: EscalationJob,
    pageId: number,
    role: string,
    reason: string,
  ): Promise<void> {
    const def = this.runbook.escalation.roles[role];
    const roleName = this.roleName(role);
    if (await pageAnnounced(this.db, pageId)) return;
    if (!def || def.contacts.length === 0) {
      await this.chat.notify(incident, { kind: 'page_skipped', roleName, reason });
      await this.db.transaction(async (tx) => {
        await insertEvent(tx, incident.id, 'page_skipped', null, {
          role,
          rule: job.rule,
          reason: 'nobody is configured',
        });
        await markPageAnnounced(tx, pageId);
      });
      return;
    }
    const { userIds, unresolved } = await this.chat.resolveContacts(def.contacts);
    const done = await deliveredTo(this.db, pageId);
    const unreachable = [...unresolved];
    const reached: string[] = [];
    for (const userId of userIds) {
      if (done.has(userId)) {
        reached.push(userId);
        continue;
      }
      try {
        await this.chat.sendPage(incident, { roleName, reason }, userId);
        reached.push(userId);
      } catch (err) {
        if (!(err instanceof UnreachableContactError)) throw err; // Slack failing: the job is retried
        unreachable.push(userId);
      }
      await recordDelivery(this.db, pageId, userId);
    }
    const invite = reached.length ? await this.chat.inviteToChannel(incident, reached) : { unreachable: [] };
    for (const u of invite.unreachable) if (!unreachable.includes(u)) unreachable.push(u);
    await this.chat.notify(incident, { kind: 'paged', roleName, reason, userIds: reached, unreachable });
    await this.db.transaction(async (tx) => {
      await insertEvent(tx, incident.id, 'paged', null, {
        role,
        rule: job.rule,
        reason,
        userIds: reached,
        unreachable,
      });
      await markPageAnnounced(tx, pageId);
    });
  }
}
