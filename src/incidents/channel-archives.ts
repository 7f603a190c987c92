import type { Database } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { peopleOfIncident } from '../store/home.repo.js';
import { getIncidentByChannel } from '../store/incident.repo.js';
import { claimRequestKey } from '../store/request-key.repo.js';
import type { ChannelArchiveChat, Logger } from './ports.js';
import type { Incident } from './types.js';

/** Slack's event: a channel archived (`channel_archive`, `group_archive` for a private one), by whom, when. */
export interface ArchivedChannel {
  channelId: string;
  userId: string;
  /** The event's own time (Slack's `event_ts`): with the channel, what makes a delivery of it the same one. */
  eventTs: string;
}

/**
 * An incident's channel archived in Slack while the incident is open (by mistake, or a clean-up done too soon): the
 * card, status updates, checklists and page notices the bot posts there no longer reach anyone, and nobody can type
 * `/incident` in it. Recorded on the timeline and told once per archiving, however often Slack delivers the event and
 * whichever replica gets it: in the incidents channel (a public incident's) and to its commander (else who declared
 * it) and who archived it, in direct messages, with what to do (unarchive it: Slack does not let apps). A resolved
 * incident's channel archived is the usual clean-up, and the bot's own archiving (a declaration it gave up) is its own
 * doing: neither is told.
 */
export class ChannelArchives {
  constructor(
    private readonly db: Database,
    private readonly chat: ChannelArchiveChat,
    private readonly log: Pick<Logger, 'warn'>,
    /** The bot's own user, when known (its archiving is not told). */
    private readonly botUserId: () => Promise<string | undefined>,
    /** Draws the incident's card again (IncidentService's): current once the bot is back in its channel. */
    private readonly refreshCard: (incidentId: number) => Promise<void> = async () => {},
  ) {}

  /**
   * The channel unarchived: the bot joins it again and brings the incident's people back into a public one (Slack
   * does not), says so there, records it (with whom it invited) and draws the card again. Once per unarchiving; a
   * resolved incident's channel unarchived (to read it) is left alone.
   */
  async unarchived(a: ArchivedChannel): Promise<void> {
    const bot = await this.botUserId();
    if (a.userId === bot) return;
    const incident = await this.claim(a, 'channel_unarchived');
    if (!incident) return;
    const people = (await peopleOfIncident(this.db, incident.id)).filter((u) => u !== bot && u !== a.userId).sort();
    const back = await this.chat.rejoinChannel(incident, a.userId, people);
    await insertEvent(this.db, incident.id, 'channel_unarchived', a.userId, { invited: back.invited });
    for (const r of back.refused)
      this.log.warn(`incident ${incident.id}: its channel unarchived, but Slack refused ${r.place} (${r.error})`);
    await this.refreshCard(incident.id).catch((err) =>
      this.log.warn(`incident ${incident.id}: could not draw its card again after its channel was unarchived`, err),
    );
  }

  /** The open incident of the channel, once per event (its key claimed): null when none, or already handled. */
  private claim(a: ArchivedChannel, kind: 'channel_archived' | 'channel_unarchived'): Promise<Incident | null> {
    return this.db.transaction(async (tx) => {
      const i = await getIncidentByChannel(tx, a.channelId);
      if (!i || i.status === 'resolved') return null;
      if (!(await claimRequestKey(tx, `${kind}:${a.channelId}:${a.eventTs}`))) return null;
      if (kind === 'channel_archived') await insertEvent(tx, i.id, kind, a.userId, {});
      return i;
    });
  }

  async archived(a: ArchivedChannel): Promise<void> {
    const bot = await this.botUserId();
    if (a.userId === bot) return;
    const incident = await this.claim(a, 'channel_archived');
    if (!incident) return;
    const tell = [...new Set([incident.commanderId ?? incident.reporterId, a.userId])].filter(
      (u): u is string => Boolean(u) && u !== bot,
    );
    const refused = await this.chat.tellChannelArchived(incident, { byUserId: a.userId, tell });
    for (const r of refused)
      this.log.warn(
        `incident ${incident.id}: could not tell ${r.place} that its channel was archived (${r.error}); the timeline has it`,
      );
  }
}
