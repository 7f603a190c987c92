import type { Database } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { makeIncidentPublic } from '../store/incident.repo.js';
import { addMember } from '../store/incident-members.repo.js';
import { claimRequestKey } from '../store/request-key.repo.js';
import { AlreadyDoneError, DomainError } from './errors.js';
import { incidentOrThrow } from './find-incident.js';
import type { IncidentService } from './incident.service.js';
import type { IncidentChat, Logger } from './ports.js';
import type { Incident } from './types.js';

export interface MadePublic {
  incident: Incident;
  /** Parts recorded but not shown in Slack. */
  warnings: string[];
}

/**
 * Private (security) incidents: made public on purpose, and joined once public. Making one public is the only change
 * of its privacy there is (the database refuses the other way): recorded on the timeline in the transaction that
 * makes it, then announced (with a Join button: its channel stays private, since Slack cannot make a private channel
 * public) and shown on its card.
 */
export class PrivateIncidents {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<IncidentChat, 'announce' | 'notify' | 'inviteToChannel'>,
    private readonly incidents: Pick<IncidentService, 'refreshCard'>,
    private readonly log: Logger = console,
  ) {}

  /** Makes a private incident public; null for a retry of the same request. */
  async makePublic(incidentId: number, actorId: string, requestKey: string): Promise<MadePublic | null> {
    const incident = await this.db.transaction(async (tx) => {
      if (!(await claimRequestKey(tx, requestKey))) return null;
      const current = await incidentOrThrow(tx, incidentId, { forUpdate: true });
      const made = await makeIncidentPublic(tx, incidentId);
      if (!made) throw new AlreadyDoneError(`Incident #${current.number} is public already.`);
      await insertEvent(tx, incidentId, 'made_public', actorId, {});
      return made;
    });
    if (!incident) return null;
    const warnings: string[] = [];
    let announced = false;
    try {
      await this.chat.announce(incident, actorId);
      announced = true;
    } catch (err) {
      warnings.push(`it could not be announced (${(err as Error).message})`);
      this.log.warn('announcing an incident made public failed', err);
    }
    await this.incidents
      .refreshCard(incident.id)
      .catch((err) => this.log.warn('refreshing the card of an incident made public failed', err));
    try {
      await this.chat.notify(incident, { kind: 'made_public', actorId, announced });
    } catch (err) {
      warnings.push(`the channel could not be told (${(err as Error).message})`);
    }
    return { incident, warnings };
  }

  /**
   * The Join button of an incident made public: invites the person to its (private) channel and records it. A
   * private incident is never joined so: its people are invited by the bot (pages) or by each other.
   */
  async join(incidentId: number, userId: string): Promise<{ incident: Incident; already: boolean }> {
    const incident = await incidentOrThrow(this.db, incidentId);
    if (incident.private || !incident.channelId) {
      throw new DomainError('incident_private', 'This incident is private: ask one of its responders to invite you.');
    }
    const { unreachable } = await this.chat.inviteToChannel(incident, [userId], 'add you to the channel');
    if (unreachable.length) throw new DomainError('cannot_invite', 'Slack would not let the bot invite you.');
    const added = await this.db.transaction(async (tx) => {
      const fresh = await addMember(tx, incidentId, userId);
      if (fresh) await insertEvent(tx, incidentId, 'joined', userId, {});
      return fresh;
    });
    return { incident, already: !added };
  }
}
