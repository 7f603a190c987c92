import type { Queryable } from '../../src/store/db.js';
import type { IncidentRow } from '../../src/store/incident.repo.js';

/**
 * The incidents row with this id, or of this channel, as stored (the repository's own row type); undefined when there
 * is none.
 */
export async function incidentRow(
  db: Queryable,
  where: { id: number } | { channelId: string },
): Promise<IncidentRow | undefined> {
  const { rows } =
    'id' in where
      ? await db.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [where.id])
      : await db.query<IncidentRow>('SELECT * FROM incidents WHERE channel_id = $1', [where.channelId]);
  return rows[0];
}

/** How many incidents the database holds. */
export async function countIncidents(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM incidents');
  return Number(rows[0]!.n);
}
