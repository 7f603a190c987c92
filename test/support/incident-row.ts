import type { Queryable } from '../../src/store/db.js';

/** A row of the incidents table as the database returns it: the stored data a test asserts on, column by column. */
export interface IncidentRow {
  id: number;
  team_id: string;
  number: number;
  title: string;
  severity: number;
  status: string;
  phase: string;
  reporter_id: string;
  commander_id: string | null;
  channel_id: string | null;
  channel_name: string | null;
  card_ts: string | null;
  created_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  mitigated_at: Date | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution_summary: string | null;
  customer_impact: boolean;
  data_loss_risk: boolean;
  affected: string | null;
  current_impact: string | null;
  current_status: string | null;
  mitigation_steps: string | null;
  next_update_at: Date | null;
  last_update_at: Date | null;
}

/** The incidents row with this id, or of this channel; undefined when there is none. */
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
