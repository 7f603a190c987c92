import type { Database, Queryable } from '../store/db.js';
import { noteChanged } from './request-context.js';

/** Statement texts whose reading is kept, at most (the services have a few hundred). */
const WRITES_KEPT = 2000;

/** A statement that writes (alone, or in a `WITH`): it changes rows once it has run outside a transaction. */
const WRITES = /\b(insert\s+into|update\s+(?:only\s+)?[\w."]+(?:\s+(?:as\s+)?\w+)?\s+set|delete\s+from)\b/i;

/**
 * The database as the services use it, noting in the current request (noteChanged) each change that is made: a
 * transaction committed, or a writing statement run on its own. Every change a person asks for passes through here,
 * so the error path can tell "nothing was changed, try again" from "it was done, look before you try again" (errorText)
 * without each listener saying when its change was made. Outside a request (timers, alert intake) nothing is noted.
 */
export function notingChanges(db: Database): Database {
  // The services' statements are a fixed set of texts: each is read once, not at every query.
  const writes = new Map<string, boolean>();
  const isWrite = (text: string): boolean => {
    let known = writes.get(text);
    if (known === undefined) {
      known = WRITES.test(text);
      if (writes.size < WRITES_KEPT) writes.set(text, known);
    }
    return known;
  };
  const query = async <R = Record<string, unknown>>(text: string, params?: readonly unknown[]) => {
    const res = await db.query<R>(text, params);
    if (isWrite(text)) noteChanged();
    return res;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'query') return query;
      if (prop === 'transaction')
        return async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
          const result = await target.transaction(fn);
          noteChanged();
          return result;
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
