import type { EscalationJob } from '../store/escalation-jobs.repo.js';
import type { KeyValue } from '../store/kv.js';
import type { Logger } from './ports.js';
import { type NoteCodec, SideNotes } from './side-notes.js';

/** What a page (or a reminder) did in Slack, noted beside the database (see PageNotes). */
export interface PageNote {
  /** Whom its direct messages reached (or were tried on and could not reach: `unreachable`). */
  to: string[];
  /** Those of `to` its direct messages could not reach (Slack said user_not_found …). */
  unreachable?: string[];
  /** Slack's answer for those of `unreachable` it gave one for (user_not_found …). */
  unreachableWhy?: Record<string, string>;
  /** The channel was told. */
  announced: boolean;
}

const PAGE_NOTE_CODEC: NoteCodec<PageNote> = {
  encode: (n) => n,
  decode: (v) => {
    const n = v as Partial<PageNote> | null;
    if (!n || !Array.isArray(n.to) || typeof n.announced !== 'boolean') return null;
    const users = (v: unknown) => (Array.isArray(v) ? v.filter((u): u is string => typeof u === 'string') : []);
    const unreachable = users(n.unreachable);
    const why = n.unreachableWhy && typeof n.unreachableWhy === 'object' ? n.unreachableWhy : {};
    const unreachableWhy = Object.fromEntries(
      Object.entries(why).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
    return {
      to: users(n.to),
      ...(unreachable.length ? { unreachable } : {}),
      ...(Object.keys(unreachableWhy).length ? { unreachableWhy } : {}),
      announced: n.announced,
    };
  },
};

/**
 * What a page did in Slack (whom its direct messages reached, whether the channel was told), kept beside the
 * database: a page whose record was lost with the database (the job retried once it is back, here or by another
 * replica) does not message people twice, nor tell the channel twice. Reminders and page_failed notices too.
 */
export class PageNotes {
  private readonly notes: SideNotes<PageNote>;

  /** `shared`: where notes are shared with other replicas; null: this process's memory. */
  constructor(shared: KeyValue | null, log: Logger) {
    this.notes = new SideNotes(shared, 'page', PAGE_NOTE_CODEC, log);
  }

  /**
   * What an earlier attempt of `job` did in Slack and could not record: read only for a job tried before (a first
   * attempt has nothing to find, and reads nothing).
   */
  async of(job: EscalationJob, key: string): Promise<PageNote> {
    const none = { to: [], announced: false };
    return job.attempts > 1 ? ((await this.notes.read(key)) ?? none) : none;
  }

  /** Records with `record`; when the database does not take it, keeps `note` beside it first. */
  async noting<T>(key: string, note: PageNote, record: () => Promise<T>): Promise<T> {
    try {
      return await record();
    } catch (err) {
      await this.notes.write(key, note);
      throw err;
    }
  }
}
