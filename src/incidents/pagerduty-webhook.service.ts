import type { Runbook } from '../runbook/runbook.js';
import type { Database } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import {
  holdPagerDutyAck,
  lockPagerDutyIncident,
  recordPagerDutyAcknowledged,
  recordPagerDutyResolved,
  releasePagerDutyAck,
} from '../store/notification.repo.js';
import { DomainError } from './errors.js';
import { roleLabel } from './escalation-policy.js';
import type { PagerDutyDirectory } from './notification-ports.js';
import type { IncidentChat, Logger } from './ports.js';
import type { Incident } from './types.js';

/** What the bot reads of a PagerDuty v3 webhook event. */
export interface PagerDutyWebhookEvent {
  id: string | null;
  /** e.g. incident.acknowledged, incident.resolved, pagey.ping. */
  type: string;
  /** The incident's `incident_key`: the dedup key the bot triggered it with. */
  incidentKey: string | null;
  /** Who did it (a user_reference): PagerDuty's id and name. */
  agent: { id: string | null; name: string | null } | null;
}

export type WebhookOutcome =
  | { status: 'ignored'; reason: string }
  | { status: 'acknowledged' | 'resolved'; incidentId: number };

/**
 * How long a delivery of an acknowledgement holds it while it tells it (a crashed replica's hold runs out, and a resend
 * takes it over); how long a copy of it arriving meanwhile (at another replica) waits for that, and how often it looks.
 */
const ACK_HOLD_MS = 30_000;
const COPY_WAIT_MS = 10_000;
const COPY_POLL_MS = 150;

/** The event types the bot acts on; every other one is answered 200 and ignored. */
export const PAGERDUTY_EVENT_TYPES = ['incident.acknowledged', 'incident.resolved'] as const;

/** What the webhook needs of the incident service: acknowledging as a person, and the card. */
export interface IncidentAcknowledger {
  acknowledge(
    incidentId: number,
    actorId: string,
    requestKey?: string,
    opts?: { ownPage?: boolean },
  ): Promise<{ kind: string } | null>;
  refreshCard(incidentId: number): Promise<void>;
}

/**
 * PagerDuty v3 webhooks about the incidents the bot opened there. `incident.acknowledged` acknowledges the bot's
 * incident as the person who did it (found under people: by email through the REST API when a token is set, else by
 * name), which stops the role's remaining notifications and shows in the channel and on the card; someone the runbook
 * does not know is recorded as "acknowledged in PagerDuty by <name>" (their page's notifications stop; nobody here
 * becomes commander). `incident.resolved` is recorded on the timeline and said in the channel, but does not resolve
 * the bot's incident: a PagerDuty incident is one role's page, and the incident here is resolved with its summary by
 * the people working it.
 */
export class PagerDutyWebhooks {
  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat,
    private readonly incidents: IncidentAcknowledger,
    private readonly runbook: Runbook,
    private readonly directory: PagerDutyDirectory | null,
    private readonly log: Logger = console,
  ) {}

  private roleName(role: string): string {
    return roleLabel(this.runbook.escalation.roles, role);
  }

  /** The Slack user PagerDuty's user is, by email (REST API) or else by name; null when nobody matches. */
  private async personOf(agent: PagerDutyWebhookEvent['agent']): Promise<string | null> {
    if (!agent) return null;
    const people = Object.values(this.runbook.people);
    if (this.directory && agent.id) {
      try {
        const email = (await this.directory.emailOf(agent.id))?.toLowerCase();
        const found = email ? people.find((p) => p.email?.toLowerCase() === email) : undefined;
        if (found) return found.id;
      } catch (err) {
        this.log.warn('could not look up the PagerDuty user who acknowledged', err);
      }
    }
    const name = agent.name?.trim().toLowerCase();
    const named = name ? people.filter((p) => p.name?.toLowerCase() === name) : [];
    return named.length === 1 ? named[0]!.id : null;
  }

  /** The delivery being handled per PagerDuty incident, so that copies of it arriving at once wait their turn. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  async handle(e: PagerDutyWebhookEvent): Promise<WebhookOutcome> {
    if (!(PAGERDUTY_EVENT_TYPES as readonly string[]).includes(e.type))
      return { status: 'ignored', reason: `${e.type} is not acted on` };
    if (!e.incidentKey) return { status: 'ignored', reason: 'the incident has no incident_key' };
    // One delivery posted twice at once: the first records the acknowledgement, commits, then acknowledges the
    // incident; the second, reading the row between the two, took the "finish it" path below (meant for a delivery
    // that failed after its commit) and told the channel again. Deliveries of one incident are handled one after
    // the other, so the second finds the first finished and says nothing. Across replicas, Postgres keeps them apart:
    // the delivery telling the acknowledgement holds it (its row), a copy waits for it, then finds it told.
    const key = e.incidentKey;
    const before = this.inFlight.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(() => this.handleOne(e, key));
    const tail = mine.catch(() => undefined);
    this.inFlight.set(key, tail);
    try {
      return await mine;
    } finally {
      if (this.inFlight.get(key) === tail) this.inFlight.delete(key);
    }
  }

  /** A copy of a delivery another replica is telling: waits for it (then finds it told), up to COPY_WAIT_MS. */
  private async handleOne(e: PagerDutyWebhookEvent, incidentKey: string): Promise<WebhookOutcome> {
    const name = e.agent?.name?.trim() || 'someone';
    const userId = e.type === 'incident.acknowledged' ? await this.personOf(e.agent) : null;
    const until = Date.now() + COPY_WAIT_MS;
    for (;;) {
      const r = await this.handleOnce(e, incidentKey, name, userId);
      if (r !== 'busy') return r;
      // Said 200 all the same: the delivery holding it tells it, and one that crashed is resent by PagerDuty.
      if (Date.now() >= until) return { status: 'ignored', reason: 'another delivery of it is being handled' };
      await new Promise((resolve) => setTimeout(resolve, COPY_POLL_MS));
    }
  }

  private async handleOnce(
    e: PagerDutyWebhookEvent,
    incidentKey: string,
    name: string,
    userId: string | null,
  ): Promise<WebhookOutcome | 'busy'> {
    const done = await this.db.transaction(async (tx) => {
      const pd = await lockPagerDutyIncident(tx, incidentKey);
      if (!pd) return { ignored: 'not an incident this bot opened' };
      const incident = await getIncident(tx, pd.incidentId, { forUpdate: true });
      if (!incident) return { ignored: 'its incident is gone' };
      if (incident.status === 'resolved') return { ignored: 'the incident is resolved' };
      const details = { role: pd.role, roleName: this.roleName(pd.role), name, userId, eventId: e.id };
      if (e.type === 'incident.acknowledged') {
        if (pd.acknowledgedAt) {
          if (pd.ackToldAt) return { ignored: 'already acknowledged' };
          // Another delivery of it (a copy at another replica) is telling it now: wait for it.
          if (pd.ackHandling) return 'busy' as const;
          // Recorded by an earlier delivery that failed before it acknowledged the incident (the database went away;
          // PagerDuty was answered 503 and sends it again): finish it. Otherwise a repeat changes nothing.
          if (!userId || incident.acknowledgedAt) return { ignored: 'already acknowledged' };
          await holdPagerDutyAck(tx, pd.dedupKey, ACK_HOLD_MS);
          return { incident, role: pd.role, dedupKey: pd.dedupKey };
        }
        await recordPagerDutyAcknowledged(tx, pd.dedupKey, { name, userId });
        await holdPagerDutyAck(tx, pd.dedupKey, ACK_HOLD_MS);
        await insertEvent(tx, incident.id, 'pagerduty_acknowledged', userId, details);
        return { incident, role: pd.role, dedupKey: pd.dedupKey };
      } else {
        if (pd.resolvedAt) return { ignored: 'already resolved' };
        await recordPagerDutyResolved(tx, pd.dedupKey);
        await insertEvent(tx, incident.id, 'pagerduty_resolved', null, details);
      }
      return { incident, role: pd.role };
    });
    if (done === 'busy') return done;
    if ('ignored' in done) return { status: 'ignored', reason: done.ignored ?? '' };
    const { incident, role, dedupKey } = done as { incident: Incident; role: string; dedupKey?: string };
    const roleName = this.roleName(role);
    if (e.type === 'incident.resolved') {
      await this.chat
        .notify(incident, { kind: 'pagerduty_resolved', roleName, name })
        .catch((err) => this.log.warn('could not post the PagerDuty resolution', err));
      return { status: 'resolved', incidentId: incident.id };
    }
    if (!dedupKey) return this.tellAcknowledged(incident, roleName, name, userId, e.id);
    let told = false;
    try {
      const r = await this.tellAcknowledged(incident, roleName, name, userId, e.id);
      told = true;
      return r;
    } finally {
      // Told: later copies are ignored. Not (it failed): the resend PagerDuty makes after the 503 takes it over.
      await releasePagerDutyAck(this.db, dedupKey, told).catch((err) =>
        this.log.warn('could not record the PagerDuty acknowledgement as told; its hold runs out', err),
      );
    }
  }

  /** The acknowledgement made here (the person becomes commander when they can), said in the channel and on the card. */
  private async tellAcknowledged(
    incident: Incident,
    roleName: string,
    name: string,
    userId: string | null,
    eventId: string | null,
  ): Promise<WebhookOutcome> {
    let commander = false;
    if (userId) {
      try {
        // The page's steps stopped with the PagerDuty acknowledgement, said in the channel below: not said twice.
        const r = await this.incidents.acknowledge(incident.id, userId, eventId ? `pagerduty:${eventId}` : undefined, {
          ownPage: false,
        });
        commander = r?.kind === 'changed';
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
      }
    }
    await this.chat
      .notify(incident, { kind: 'pagerduty_acknowledged', roleName, name, userId, commander })
      .catch((err) => this.log.warn('could not post the PagerDuty acknowledgement', err));
    await this.incidents
      .refreshCard(incident.id)
      .catch((err) => this.log.warn('could not refresh the card after a PagerDuty acknowledgement', err));
    return { status: 'acknowledged', incidentId: incident.id };
  }
}
