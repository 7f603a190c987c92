import type { Database } from '../../src/store/db.js';

/**
 * The database as one process sees it: a statement matching `failing` fails ("Connection terminated unexpectedly")
 * while it does, `times` times at most; the rest goes through to `db`.
 */
export function flaky(db: Database) {
  let failing: RegExp | null = null;
  let times = Number.POSITIVE_INFINITY;
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'query') {
        return (sql: string, params?: unknown[]) => {
          if (failing?.test(sql) && times > 0) {
            times--;
            return Promise.reject(new Error('Connection terminated unexpectedly'));
          }
          return target.query(sql, params as never[]);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return {
    db: proxy,
    fail(re: RegExp | null, n = Number.POSITIVE_INFINITY) {
      failing = re;
      times = n;
    },
  };
}
