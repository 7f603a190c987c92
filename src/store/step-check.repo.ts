import type { HostRef } from '../incidents/playbook-host.js';
import { jsonOf, type Queryable, type StatementPart, toDate } from './db.js';
import { ownerColumn, ownerValues } from './owner.js';

/** A standing tick of a checklist step: Done, or Skip with its reason; who and when. */
export interface StepCheck {
  id: number;
  stepKey: string;
  state: 'done' | 'skipped';
  reason: string | null;
  checkedBy: string;
  checkedAt: Date;
}

interface Row {
  id: number;
  step_key: string;
  state: 'done' | 'skipped';
  reason: string | null;
  checked_by: string;
  checked_at: Date | string;
}

const toCheck = (r: Row): StepCheck => ({
  id: Number(r.id),
  stepKey: r.step_key,
  state: r.state,
  reason: r.reason,
  checkedBy: r.checked_by,
  checkedAt: toDate(r.checked_at),
});

/** `currentChecks` as part of another statement (one JSON value, read back with `checksOf`). */
export function currentChecksPart(host: HostRef, playbookId: string): (first: number) => StatementPart {
  return (first) => ({
    with: '',
    params: [host.id, playbookId],
    select: `(SELECT json_agg(c) FROM (SELECT * FROM step_checks
       WHERE ${ownerColumn(host)} = $${first} AND playbook_id = $${first + 1} AND undone_at IS NULL) c)`,
  });
}

/** What currentChecksPart selected. */
export function checksOf(selected: unknown): StepCheck[] {
  return (jsonOf(selected as Row[] | string | null) ?? []).map(toCheck);
}

/** The standing ticks of a host's playbook (undone ones are kept, and left out here). */
export async function currentChecks(q: Queryable, host: HostRef, playbookId: string): Promise<StepCheck[]> {
  const { rows } = await q.query<Row>(
    `SELECT * FROM step_checks WHERE ${ownerColumn(host)} = $1 AND playbook_id = $2 AND undone_at IS NULL`,
    [host.id, playbookId],
  );
  return rows.map(toCheck);
}

/** The standing tick of one step, locked until the transaction ends; null when it is not ticked. */
export async function currentCheckForUpdate(
  q: Queryable,
  host: HostRef,
  playbookId: string,
  stepKey: string,
): Promise<StepCheck | null> {
  const { rows } = await q.query<Row>(
    `SELECT * FROM step_checks WHERE ${ownerColumn(host)} = $1 AND playbook_id = $2 AND step_key = $3
       AND undone_at IS NULL FOR UPDATE`,
    [host.id, playbookId, stepKey],
  );
  return rows[0] ? toCheck(rows[0]) : null;
}

/** Ticks a step; null when it already is (a double click, someone faster): one standing tick per step. */
export async function insertCheck(
  q: Queryable,
  host: HostRef,
  c: { playbookId: string; stepKey: string; state: 'done' | 'skipped'; reason: string | null; checkedBy: string },
): Promise<StepCheck | null> {
  const column = ownerColumn(host);
  const { rows } = await q.query<Row>(
    `INSERT INTO step_checks (incident_id, run_id, playbook_id, step_key, state, reason, checked_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (${column}, playbook_id, step_key) WHERE undone_at IS NULL DO NOTHING
     RETURNING *`,
    [...ownerValues(host), c.playbookId, c.stepKey, c.state, c.reason, c.checkedBy],
  );
  return rows[0] ? toCheck(rows[0]) : null;
}

/** Undoes a standing tick: the row stays, with who undid it and when. */
export async function undoCheck(q: Queryable, id: number, undoneBy: string): Promise<void> {
  await q.query('UPDATE step_checks SET undone_by = $2, undone_at = now() WHERE id = $1 AND undone_at IS NULL', [
    id,
    undoneBy,
  ]);
}
