import type { Database } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import type { FollowUpChat } from './follow-up-ports.js';
import type { Logger } from './ports.js';
import type { Incident } from './types.js';

/** What a declarer wrote about an incident in the declare form: on its timeline, and posted in its channel. */
export class IncidentNotes {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<FollowUpChat, 'postFollowUp'>,
    private readonly log: Logger = console,
  ) {}

  /** Records the description and posts it; returns what could not be shown. */
  async describe(incident: Incident, actorId: string, text: string): Promise<string[]> {
    await insertEvent(this.db, incident.id, 'note', actorId, { text, source: 'declaration' });
    try {
      await this.chat.postFollowUp(incident, { kind: 'description', actorId, text });
      return [];
    } catch (err) {
      this.log.warn('could not post the description in the incident channel', err);
      return [
        `the description is recorded but could not be posted in the channel (${err instanceof Error ? err.message : String(err)})`,
      ];
    }
  }
}
