import type { Database, Queryable } from '../store/db.js';
import { noteChanged } from './request-context.js';

/** A statement that writes (alone, or in a `WITH`): it changes rows once it has run outside a transaction. */
const WRITES = /\b(insert\s+into|update\s+(?:only\s+)?[\w."]+(?:\s+(?:as\s+)?\w+)?\s+set|delete\s+from)\b/i;

/**
 * The database as the services use it, noting in the current request (noteChanged) each change that is made: a
 * transaction committed, or a writing statement run on its own. Every change a person asks for passes through here,
 * so the error path can tell "nothing was changed, try again" from "it was done, look before you try again" (errorText)
 * without each listener saying when its change was made. Outside a request (timers, alert intake) nothing is noted.
 */
export function notingChanges(db: Database): Database {
  const query = async <R = Record<string, unknown>>(text: string, params?: readonly unknown[]) => {
    const res = await db.query<R>(text, params);
    if (WRITES.test(text)) noteChanged();
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
