import type { Database } from '../store/db.js';
import { insertEvent, insertMessageNote } from '../store/event.repo.js';
import { claimRequestKey } from '../store/request-key.repo.js';
import { DomainError } from './errors.js';
import type { ContactName, FollowUpChat } from './follow-up-ports.js';
import type { Logger } from './ports.js';
import { isTimeZone } from './rotation.js';
import { cleanText, cutToChars } from './text.js';
import type { Incident } from './types.js';

/** The most of a message put on the timeline. */
const MESSAGE_NOTE_MAX = 4000;
/** The most of a note typed with `/incident note` (the subcommand table refuses more). */
export const TYPED_NOTE_MAX = 2000;

/** What a declarer wrote about an incident in the declare form: on its timeline, and posted in its channel. */
export class IncidentNotes {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<FollowUpChat, 'postFollowUp' | 'userNames' | 'contactNames' | 'timeZoneOf'>,
    private readonly log: Logger = console,
    /** Masks the bot's known secret values in what people typed (see IncidentService's `typed`). */
    private readonly typed: (text: string) => string = (text) => text,
  ) {}

  /** People's names by user id (those Slack gives within the cache's reach); an id not found is left out. */
  userNames(ids: readonly string[]): Promise<Map<string, string>> {
    return this.chat.userNames(ids);
  }

  /**
   * The time zone a person set in Slack, as a time zone the runtime knows; null when it cannot be read (a time they
   * typed is then read in the zone the command uses without one).
   */
  async timeZoneOf(userId: string): Promise<string | null> {
    const tz = await this.chat.timeZoneOf?.(userId).catch(() => null);
    return tz && isTimeZone(tz) ? tz : null;
  }

  /** People and user groups named for a form's plain text (see ContactName); an id not found is left out. */
  contactNames(ids: readonly string[]): Promise<Map<string, ContactName>> {
    return this.chat.contactNames(ids);
  }

  /**
   * A message of the incident's channel put on its timeline (its Add to incident timeline shortcut), at the time it
   * was said: its text as read (plain, a known secret value in it masked), who said it and its link. `already` when
   * that message is there. `text` is what was recorded, for the answer to quote; `heldSecret` says that the message
   * held a known secret value (masked here, but still in the message itself, which only its author can edit).
   */
  async fromMessage(
    incident: Incident,
    actorId: string,
    message: { text: string; authorId: string | null; ts: string; link: string | null },
  ): Promise<{ result: 'added' | 'already'; text: string; heldSecret: boolean }> {
    const saidAt = new Date(Number(message.ts.split('.')[0]) * 1000);
    const masked = this.typed(message.text);
    // What Postgres cannot store dropped; a long message kept to its first 4,000 characters.
    const text = cutToChars(cleanText(masked, { multiline: true }), MESSAGE_NOTE_MAX);
    const id = await insertMessageNote(this.db, incident.id, actorId, saidAt, {
      text,
      author: message.authorId,
      message_ts: message.ts,
      link: message.link,
    });
    return { result: id === null ? 'already' : 'added', text, heldSecret: masked !== message.text };
  }

  /**
   * A note typed with `/incident note`: on the timeline (a known secret value in it masked, what Postgres cannot store
   * dropped) and posted in the channel. A resolved incident takes notes too (for its post-mortem). Null for a request
   * already handled (`requestKey`); `warnings`: what could not be posted.
   */
  async note(
    incident: Incident,
    actorId: string,
    typedText: string,
    requestKey?: string,
  ): Promise<{ text: string; warnings: string[] } | null> {
    const text = cutToChars(cleanText(this.typed(typedText), { multiline: true }).trim(), TYPED_NOTE_MAX);
    if (!text) throw new DomainError('empty_note', 'The note shows nothing. Write it after `/incident note`.');
    const added = await this.db.transaction(async (tx) => {
      if (requestKey && !(await claimRequestKey(tx, requestKey))) return false;
      await insertEvent(tx, incident.id, 'note', actorId, { text, source: 'command' });
      return true;
    });
    if (!added) return null;
    try {
      await this.chat.postFollowUp(incident, { kind: 'note', actorId, text });
      return { text, warnings: [] };
    } catch (err) {
      this.log.warn('could not post the note in the incident channel', err);
      return {
        text,
        warnings: [
          `the note is on the timeline but could not be posted in the channel (${err instanceof Error ? err.message : String(err)})`,
        ],
      };
    }
  }

  /** Records the description (a known secret value in it masked) and posts it; returns what could not be shown. */
  async describe(incident: Incident, actorId: string, typedText: string): Promise<string[]> {
    const text = this.typed(typedText);
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
