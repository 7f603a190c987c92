import { type NotifyVia, stepsFor } from '../runbook/people.js';
import type { Runbook } from '../runbook/runbook.js';
import type { Database, Queryable, StatementPart } from '../store/db.js';
import { insertRedrawJob } from '../store/escalation-redraws.repo.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident, getIncidents } from '../store/incident.repo.js';
import {
  acknowledgeOwnPages,
  cancelNotifications,
  claimDueNotifications,
  type DeliveryOutcome,
  extendNotificationLeases,
  finishNotification,
  hasOwnPagesToAcknowledge,
  type NotificationJob,
  pageDeliveriesOf,
  pageDeliveriesPart,
  pageNotificationsPart,
  pagerdutyRecipients,
  recordSentAction,
  recordTriggered,
  retryNotification,
  type StepRow,
  syncNotifications,
} from '../store/notification.repo.js';
import type { AlertCardView } from './alert-types.js';
import type { PagesAcknowledged } from './commander.js';
import { byNameOf, pagedPerson, roleLabel, ruleFlag, ruleReason } from './escalation-policy.js';
import {
  DeliveryError,
  type NotificationSenders,
  type PageNotification,
  type PagerDutyTarget,
} from './notification-ports.js';
import type { OnCallResolver } from './oncall.service.js';
import { type IncidentChat, type Logger, type PageDmAt, UnreachableContactError } from './ports.js';
import type { Incident } from './types.js';

/** Attempts of one step before it is reported failed. */
export const MAX_NOTIFY_ATTEMPTS = 4;
/** Timers claimed by one sweep at most. */
const SWEEP_BATCH = 64;
/** How long a claimed timer is invisible to other processes; longer than any send's own timeout. */
const NOTIFY_LEASE_MS = 60_000;

/** Delay before a failed step is tried again: 1 s, 2 s, 4 s … capped at a minute. */
export function notifyRetryDelayMs(attempts: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, attempts - 1));
}

/** The PagerDuty dedup key of an incident and role: repeated pages of a role update one PagerDuty incident. */
export function dedupKeyOf(incident: Pick<Incident, 'teamId' | 'number'>, role: string): string {
  return `incident-bot/${incident.teamId}/${incident.number}/${role}`;
}

/** The page just sent, as the escalation service knows it. */
export interface SentPage {
  incident: Incident;
  pageId: number;
  role: string;
}

/** A person's acknowledgement of their own page: the incident, and the roles they were paged as. */
export interface OwnPageAck {
  incident: Incident;
  /** The roles its acknowledged pages paged them as (none for pages by name only), and any page of them by name. */
  pages: PagesAcknowledged;
}

/** What one person's page line on the card shows: each method with its outcome, and the latest time. */
export interface NotifiedLine {
  roleName: string;
  userId: string;
  name: string | null;
  methods: { via: NotifyVia; outcome: DeliveryOutcome }[];
  at: Date;
}

/** What a method does with a due step, and how it reads. A new method is a row here and a value of NotifyVia. */
interface Method {
  label: string;
  /** Sends; `skip` (a reason) when the method cannot be used for this person (not configured, no address). */
  /** Sent: nothing, or where its direct message is (a Slack step); not sent: why it was skipped. */
  send(ctx: StepContext): Promise<{ skip: string } | { dm: PageDmAt } | undefined>;
}

interface StepContext {
  incident: Incident;
  job: NotificationJob;
  page: PageNotification;
  dedupKey: string;
}

/**
 * How pages reach people after the Slack DM: each later step of the runbook's `notify:` rules is a row with a due
 * time (scheduled with the page, idempotently), swept by the timer loop: claimed under a lease with its incident
 * locked, re-checked (still unacknowledged, not resolved), sent, and finished with its delivery and timeline event in
 * one statement. A failed step is tried again with backoff, then reported in the channel; it never stops the others.
 * PagerDuty hears acknowledge and resolve for what it opened, through rows of their own.
 */
export class NotificationService {
  private readonly methods: Record<NotifyVia, Method>;
  private readonly running = new Set<number>();

  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat,
    private readonly runbook: Runbook,
    private readonly senders: NotificationSenders,
    private readonly log: Logger = console,
    /** Re-renders an incident's card (its page line changed). */
    private readonly refreshCard: (incidentId: number) => Promise<void> = async () => {},
    private readonly opts: {
      maxAttempts?: number;
      leaseMs?: number;
      /**
       * An incident's monitoring alerts, for its email and PagerDuty pages to say what fired (its Slack DMs have them
       * from the chat). Not given, or not read: the page goes without them.
       */
      alertsOf?: (incidentId: number) => Promise<AlertCardView | undefined>;
      /** Who each rotation has on call, for the role a page by name follows (see roleDef). Not given: contacts only. */
      onCall?: Pick<OnCallResolver, 'onCallNow'>;
    } = {},
  ) {
    this.methods = {
      slack: {
        label: 'Slack',
        send: async ({ incident, page, job }) => {
          const userId = job.userId!;
          const pageId = job.pageId ?? undefined;
          // A retry (a lease run out after kill -9, or a failure): an earlier attempt may have sent this DM and stopped
          // before finishing the step; Slack has it (its metadata names the page, the person and this step). Found, the
          // step is recorded as sent (where it is, to be shown answered), not sent again. A first attempt spends no
          // call on it.
          if (job.attempts > 1 && pageId !== undefined) {
            const found = await this.foundInSlack(incident, pageId, userId, job.id, job.pagedAt);
            if (found) return { dm: found };
          }
          try {
            const dm = await this.chat.sendPage(
              incident,
              {
                roleName: page.roleName,
                reason: page.reason,
                ...(page.flag ? { flag: page.flag } : {}),
                pageId,
                step: job.id,
                ...(page.byName ? { byName: true } : {}),
              },
              userId,
            );
            return dm ? { dm } : undefined;
          } catch (err) {
            if (err instanceof UnreachableContactError) throw new DeliveryError(err.reason, true);
            throw err;
          }
        },
      },
      email: {
        label: 'email',
        send: async ({ incident, page, job }) => {
          const to = this.runbook.people[job.userId ?? '']?.email;
          if (!to) return { skip: `no email address for ${job.userId} under people: in the runbook file` };
          if (!this.senders.email) return { skip: 'email is not configured (set SMTP_URL and EMAIL_FROM)' };
          // At least once: sent again after a crash before it was recorded, with the same Message-ID.
          await this.senders.email.sendPage(incident, page, to, job.id);
          return undefined;
        },
      },
      pagerduty: {
        label: 'PagerDuty',
        send: async ({ incident, page, job, dedupKey }) => {
          const routingKey = await this.routingKeyOf(job.role, job.userId, job.pagedAt ?? new Date());
          if (!routingKey)
            return { skip: `no PagerDuty routing key for ${job.userId} or the role in the runbook file` };
          if (!this.senders.pagerduty) return { skip: 'PagerDuty is not configured' };
          await this.senders.pagerduty.trigger(incident, page, { routingKey, dedupKey });
          await recordTriggered(this.db, { dedupKey, incidentId: incident.id, role: job.role });
          return undefined;
        },
      },
    };
  }

  /** Where a Slack step's DM already reached the person; null when it did not or the chat cannot tell (sent). */
  private async foundInSlack(
    incident: Incident,
    pageId: number,
    userId: string,
    step: number,
    since: Date | null,
  ): Promise<PageDmAt | null> {
    if (!this.chat.findPage) return null;
    try {
      // Not before the page was sent: a later step of it is later still.
      return await this.chat.findPage(incident, pageId, userId, step, since ?? undefined);
    } catch (err) {
      this.log.warn(`could not look for page ${pageId}'s Slack step ${step} to ${userId}; sending it`, err);
      return null;
    }
  }

  private roleName(role: string): string {
    return roleLabel(this.runbook.escalation.roles, role);
  }

  /** A person's routing key wins over the role's (the role a page by name follows as at `at`: see roleDef). */
  private async routingKeyOf(role: string, userId: string | null, at: Date): Promise<string | null> {
    const own = userId ? this.runbook.people[userId]?.pagerdutyRoutingKey : null;
    return own ?? (await this.roleDef(role, at))?.pagerdutyRoutingKey ?? null;
  }

  /**
   * The runbook role whose rules (notify:, PagerDuty service) a page follows: its own. A page by name follows the
   * first role (in the contact order, then the others) that names the person among its contacts or has them on call
   * at `at` (its rotation, with the overrides people made): paged by name at 3 a.m., the CTO's phone rings as the
   * CTO's page would ring it, and this week's payments on-call's as that rotation's page would. None for someone no
   * role names or has on call (or when who is on call cannot be read: the contacts alone then).
   */
  private async roleDef(role: string, at: Date) {
    const roles = this.runbook.escalation.roles;
    const person = pagedPerson(role);
    if (!person) return roles[role];
    const ids = [...new Set([...this.runbook.escalation.order, ...Object.keys(roles)])];
    const rotating = ids.filter((id) => roles[id]?.rotation);
    const onCall =
      rotating.length > 0 && this.opts.onCall
        ? await this.opts.onCall.onCallNow(rotating, at).catch((err) => {
            this.log.warn(
              `could not read who is on call to page ${person.userId} by name; their role's contacts only`,
              err,
            );
            return null;
          })
        : null;
    const holds = (id: string) =>
      Boolean(roles[id]?.contacts.includes(person.userId) || onCall?.get(id)?.userIds.includes(person.userId));
    const id = ids.find(holds);
    return id ? roles[id] : undefined;
  }

  /**
   * What a page's DMs leave to record: the DMs, and each person's later steps (their own rules, else the role's), as
   * part of the statement that records whom the page reached (recordDeliveries: one round trip). Steps are due from
   * the page's time, once each: a retried page schedules nothing twice. `userIds` are everyone the page is for,
   * reached in Slack or not (`reached`): a DM Slack could not deliver is what the others are for.
   */
  async pagedPart(page: SentPage, userIds: string[], reached: string[]): Promise<(first: number) => StatementPart> {
    const def = await this.roleDef(page.role, new Date());
    const dedupKey = dedupKeyOf(page.incident, page.role);
    const steps: StepRow[] = [];
    for (const userId of userIds) {
      const rules = stepsFor(this.runbook.people[userId], def?.notify ?? null);
      rules.forEach((s, n) => {
        if (s.via === 'slack' && s.afterMs === 0) return; // the DM just sent
        steps.push({
          incidentId: page.incident.id,
          pageId: page.pageId,
          key: `step:${page.pageId}:${userId}:${n}`,
          role: page.role,
          userId,
          via: s.via,
          afterMs: s.afterMs,
          dedupKey,
        });
      });
    }
    return pageNotificationsPart(
      { incidentId: page.incident.id, pageId: page.pageId, role: page.role },
      reached,
      steps,
    );
  }

  /**
   * A paged person acknowledged their own page (its DM's Acknowledge, or `/incident ack`) of an incident someone had
   * acknowledged already: the pages that reached them since stop their remaining steps, PagerDuty hears acknowledge
   * for what they triggered, and the timeline records it. Null when there is nothing of theirs to acknowledge (the
   * incident is not acknowledged yet: acknowledging it stops every page; or they were not paged since).
   */
  async acknowledgeOwnPage(incidentId: number, userId: string): Promise<OwnPageAck | null> {
    if (!(await hasOwnPagesToAcknowledge(this.db, incidentId, userId))) return null;
    return this.db.transaction(async (tx) => {
      const incident = await getIncident(tx, incidentId, { forUpdate: true });
      if (!incident || incident.status === 'resolved' || !incident.acknowledgedAt) return null;
      const pages = await acknowledgeOwnPages(tx, incidentId, userId, incident.acknowledgedAt);
      if (pages.length === 0) return null;
      const roles = [...new Set(pages.map((p) => p.role))];
      // A page by name is theirs, not a role's: said as such (`by name`), not as a role of their own name.
      const roleNames = roles.filter((r) => !pagedPerson(r)).map((r) => this.roleName(r));
      const byName = roles.some((r) => pagedPerson(r) !== null);
      await insertEvent(tx, incidentId, 'page_acknowledged', userId, {
        roles,
        roleNames: byName ? [...roleNames, 'by name'] : roleNames,
        pageIds: pages.map((p) => p.pageId),
      });
      // Their direct messages say they acknowledged, by a timer written with it (`redraw_pages`, due now): retried
      // until Slack takes each, by any process, after a restart too. Each page is acknowledged once: its own key.
      await insertRedrawJob(tx, incidentId, `redraw_pages@own:${pages.map((p) => p.pageId).join(',')}`);
      return { incident, pages: { roleNames, ...(byName ? { byName } : {}) } };
    });
  }

  /** Inside the transaction that changed the incident: acknowledging or resolving stops the steps still to come. */
  async sync(tx: Queryable, incident: Incident): Promise<void> {
    await syncNotifications(tx, incident);
  }

  /** Whether a step's page still wants it: not resolved, nobody acknowledged since (here or in PagerDuty). */
  private stillWanted(job: NotificationJob, incident: Incident): boolean {
    if (job.action !== 'notify') return true;
    if (incident.status === 'resolved') return false;
    if (incident.acknowledgedAt && job.pagedAt && incident.acknowledgedAt >= job.pagedAt) return false;
    return !job.acknowledgedInPagerDuty;
  }

  /** The timer loop's sweep: claims due steps, cancels those no longer wanted, sends the others side by side. */
  async sweep(): Promise<void> {
    const claimed = await this.db.transaction(async (tx) => {
      const jobs = await claimDueNotifications(tx, SWEEP_BATCH, this.opts.leaseMs ?? NOTIFY_LEASE_MS);
      if (jobs.length === 0) return [];
      const incidents = await getIncidents(tx, [...new Set(jobs.map((j) => j.incidentId))]); // locked by the claim
      const cancelled: number[] = [];
      const work: { job: NotificationJob; incident: Incident }[] = [];
      for (const job of jobs) {
        const incident = incidents.get(job.incidentId);
        if (!incident || !this.stillWanted(job, incident)) cancelled.push(job.id);
        else work.push({ job, incident });
      }
      await cancelNotifications(tx, cancelled);
      return work;
    });
    if (claimed.length === 0) return;
    for (const { job } of claimed) this.running.add(job.id);
    const renew = setInterval(
      () => {
        extendNotificationLeases(this.db, [...this.running], this.opts.leaseMs ?? NOTIFY_LEASE_MS).catch((err) =>
          this.log.warn('could not renew the leases of notifications being sent', err),
        );
      },
      Math.floor((this.opts.leaseMs ?? NOTIFY_LEASE_MS) / 3),
    );
    renew.unref();
    try {
      const refresh = new Set<number>();
      await Promise.allSettled(
        claimed.map(async ({ job, incident }) => {
          try {
            if (await this.run(job, incident)) refresh.add(incident.id);
          } finally {
            this.running.delete(job.id);
          }
        }),
      );
      await Promise.allSettled(
        [...refresh].map((id) =>
          this.refreshCard(id).catch((err) => this.log.warn('could not refresh the card after a notification', err)),
        ),
      );
    } finally {
      clearInterval(renew);
    }
  }

  /** Sends one step, and records its end or its next attempt. Never throws. True when the card's line changed. */
  private async run(job: NotificationJob, incident: Incident): Promise<boolean> {
    const dedupKey = job.dedupKey ?? dedupKeyOf(incident, job.role);
    const person = { id: job.userId ?? '', name: job.userId ? (this.runbook.people[job.userId]?.name ?? null) : null };
    const reason = job.rule ? ruleReason(job.rule, this.runbook, incident) : 'the incident is open';
    const flag = job.rule ? ruleFlag(job.rule, incident) : null;
    const page: PageNotification = {
      roleName: this.roleName(job.role),
      reason,
      ...(flag ? { flag } : {}),
      person,
      ...byNameOf(job.role),
    };
    if (job.action === 'notify' && job.via !== 'slack' && this.opts.alertsOf) {
      const alerts = await this.opts.alertsOf(incident.id).catch((err) => {
        this.log.warn(`could not read the alerts of incident ${incident.id} for its ${job.via} page`, err);
        return undefined;
      });
      if (alerts) page.alerts = alerts;
    }
    const label = this.methods[job.via].label;
    let outcome: { sent: true; dm?: PageDmAt } | { skip: string } | { failed: string };
    try {
      if (job.action === 'notify') {
        const r = await this.methods[job.via].send({ incident, job, page, dedupKey });
        outcome = r === undefined ? { sent: true } : 'dm' in r ? { sent: true, dm: r.dm } : r;
      } else {
        outcome = (await this.follow(job, dedupKey)) ?? { sent: true };
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const permanent = err instanceof DeliveryError && err.permanent;
      if (!permanent && job.attempts < (this.opts.maxAttempts ?? MAX_NOTIFY_ATTEMPTS)) {
        const delay = notifyRetryDelayMs(job.attempts);
        this.log.warn(`${label} ${job.action} for incident ${incident.id} failed, retrying in ${delay} ms: ${message}`);
        await retryNotification(this.db, job.id, new Date(Date.now() + delay), message).catch((e) =>
          this.log.error('could not reschedule a notification; its lease will expire and it will run again', e),
        );
        return false;
      }
      outcome = { failed: message };
    }
    const base = { role: job.role, roleName: page.roleName, userId: job.userId, via: job.via, action: job.action };
    try {
      if ('sent' in outcome) {
        await finishNotification(this.db, job, 'sent', null, { kind: 'notified', details: base }, outcome.dm);
        return job.action === 'notify';
      }
      const skipped = 'skip' in outcome;
      const detail = 'skip' in outcome ? outcome.skip : outcome.failed;
      await finishNotification(this.db, job, skipped ? 'skipped' : 'failed', detail, {
        kind: 'notify_failed',
        details: { ...base, detail, skipped, attempts: job.attempts },
      });
      await this.chat
        .notify(incident, {
          kind: 'notify_failed',
          roleName: page.roleName,
          userId: job.userId,
          method: label,
          action: job.action,
          detail,
          attempts: skipped ? 0 : job.attempts,
        })
        .catch((err) => this.log.warn('could not report a failed notification in the channel', err));
      return job.action === 'notify';
    } catch (err) {
      this.log.error(`could not record notification ${job.id}; its lease will expire and it will run again`, err);
      return false;
    }
  }

  /** Acknowledge or resolve, sent to every PagerDuty service the role's triggers went to. */
  private async follow(job: NotificationJob, dedupKey: string): Promise<{ skip: string } | undefined> {
    if (!this.senders.pagerduty) return { skip: 'PagerDuty is not configured' };
    const users = await pagerdutyRecipients(this.db, job.incidentId, dedupKey);
    const keys = new Set<string>();
    for (const u of users.length ? users : [null]) {
      const key = await this.routingKeyOf(job.role, u, job.pagedAt ?? new Date());
      if (key) keys.add(key);
    }
    if (keys.size === 0) return { skip: 'no PagerDuty routing key for the role in the runbook file any more' };
    const action = job.action as 'acknowledge' | 'resolve';
    for (const routingKey of keys) {
      const target: PagerDutyTarget = { routingKey, dedupKey };
      await this.senders.pagerduty.follow(action, target);
    }
    await recordSentAction(this.db, dedupKey, action);
    return undefined;
  }

  /** The part of the card's escalation statement that reads what cardLines needs (one round trip for both). */
  cardLinesPart(incidentId: number): (first: number) => StatementPart {
    return pageDeliveriesPart(incidentId);
  }

  /**
   * Each person's methods on each page, for the card: "paged Olive: Slack ✓, email ✓, PagerDuty ✓ 02:14"; from what
   * cardLinesPart selected.
   */
  cardLines(selected: unknown): NotifiedLine[] {
    const rows = pageDeliveriesOf(selected);
    const lines = new Map<string, NotifiedLine>();
    for (const r of rows) {
      if (!r.userId) continue;
      const k = `${r.pageId}:${r.userId}`;
      const line = lines.get(k) ?? {
        roleName: this.roleName(r.role),
        userId: r.userId,
        name: this.runbook.people[r.userId]?.name ?? null,
        methods: [],
        at: r.at,
      };
      const same = line.methods.find((m) => m.via === r.via);
      if (same) same.outcome = r.outcome === 'sent' ? 'sent' : same.outcome;
      else line.methods.push({ via: r.via, outcome: r.outcome });
      if (r.at > line.at) line.at = r.at;
      lines.set(k, line);
    }
    // A page that only sent the Slack DM (the default rules) needs no line: the card's Paged line says it.
    return [...lines.values()].filter((l) => l.methods.some((m) => m.via !== 'slack' || m.outcome !== 'sent'));
  }
}
