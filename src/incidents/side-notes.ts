import type { KeyValue } from '../store/kv.js';
import type { Logger } from './ports.js';

/** How long a note is kept in the shared store: far past any outage a retried step would come back from. */
const NOTE_TTL_MS = 24 * 3_600_000;
/** Notes kept in memory at most: past it the oldest go (the shared store still has them). */
const MEMORY_MAX = 1000;

/** How a note is written to, and read back from, the shared store. */
export interface NoteCodec<T> {
  encode(note: T): unknown;
  decode(stored: unknown): T | null;
}

/**
 * Notes of what was done outside the database (a direct message sent, a line posted, a card posted) kept beside it,
 * for when the database goes away before the step could be recorded there: the step, tried again once the database
 * is back, reads the note and does not do it twice. Kept in this process's memory (read first) and in the shared
 * store (`REDIS_URL` or Upstash), so that another replica, or this one after a restart, reads them too. The shared
 * store may be lost (it is only a note; the database stays the record): without it, a process reads its own notes.
 *
 * A key names what it notes uniquely for good, not only within one database (see `noteKey`): a database restored from
 * a backup gives ids again, and a note found for another page would stop a page going out.
 */
export class SideNotes<T> {
  private readonly memory = new Map<string, T>();
  /** The write in flight of each key: writes of one key reach the store in order. */
  private readonly writing = new Map<string, Promise<void>>();

  constructor(
    private readonly kv: KeyValue | null,
    private readonly namespace: string,
    private readonly codec: NoteCodec<T>,
    private readonly log: Pick<Logger, 'warn'> = console,
  ) {}

  /** The note of `key`: this process's, else the shared store's (another replica's, or before a restart), else null. */
  async read(key: string): Promise<T | null> {
    const own = this.memory.get(key);
    if (own !== undefined) return own;
    if (!this.kv) return null;
    try {
      const stored = await this.kv.get(this.storeKey(key));
      if (stored === null) return null;
      return this.codec.decode(JSON.parse(stored));
    } catch {
      return null; // not reachable, or not a note: as if none (the database's record decides)
    }
  }

  /**
   * Keeps `note` as the note of `key`: at once in memory, and in the shared store when `wait` (the caller is about to
   * do what the note guards against repeating) or in the background. Never throws.
   */
  async write(key: string, note: T, wait = true): Promise<void> {
    this.keep(key, note);
    if (!this.kv) return;
    const kv = this.kv;
    const json = JSON.stringify(this.codec.encode(note));
    const before = this.writing.get(key) ?? Promise.resolve();
    const done = before
      .then(() => kv.set(this.storeKey(key), json, NOTE_TTL_MS))
      .catch((err) => this.log.warn(`could not keep a note of ${this.namespace} ${key} in the shared store`, err))
      .finally(() => {
        if (this.writing.get(key) === done) this.writing.delete(key);
      });
    this.writing.set(key, done);
    if (wait) await done;
  }

  /** Keeps `note` as the note of `key` in this process's memory only (the oldest dropped past MEMORY_MAX). */
  keep(key: string, note: T): void {
    this.memory.delete(key);
    this.memory.set(key, note);
    if (this.memory.size > MEMORY_MAX) this.memory.delete(this.memory.keys().next().value!);
  }

  /** Forgets `key` here (what it noted is recorded in the database now); the shared store's copy runs out by itself. */
  forget(key: string): void {
    this.memory.delete(key);
  }

  private storeKey(key: string): string {
    return `note:${this.namespace}:${key}`;
  }
}

/** A key unique for good: an id with the creation time of its row (ids are given again by a restored database). */
export function noteKey(id: number, createdAt: Date, ...more: (string | number)[]): string {
  return [`${id}@${createdAt.getTime()}`, ...more].join(':');
}
