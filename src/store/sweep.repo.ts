import type { Queryable } from './db.js';

/**
 * Which of the sweeps' conditions (each an SQL condition without parameters, from the sweep's own repo) hold now: one
 * statement for all, so an idle process asks once a round, not once per sweep.
 */
export async function sweepsDue(q: Queryable, conditions: readonly string[]): Promise<boolean[]> {
  if (conditions.length === 0) return [];
  const { rows } = await q.query<Record<string, boolean>>(
    `SELECT ${conditions.map((c, i) => `(${c}) AS d${i}`).join(', ')}`,
  );
  return conditions.map((_, i) => rows[0]?.[`d${i}`] === true);
}
