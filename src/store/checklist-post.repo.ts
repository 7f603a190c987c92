import type { Queryable } from './db.js';

/*
 * A checklist message while it is being posted (migrations 093 and 094): a playbook run's (playbook_runs) or a playbook
 * attached to an incident (incident_playbooks). The posting process holds its row (message_lease_until), renewing its
 * hold while Slack takes the post; a row with no message whose hold ran out (its process died, or its post's answer
 * was lost) is the timer loop's sweep's (ChecklistMessages). One kind of checklist is one row of CHECKLIST_POSTS.
 */

/** Whose checklist message: a run's, or an incident's attached playbook's. */
export type ChecklistPostKey =
  | { kind: 'run'; runId: number }
  | { kind: 'attached'; incidentId: number; playbookId: string };

export type ChecklistPostKind = ChecklistPostKey['kind'];

/** Each kind's table, and how its row is named (from `$1`). */
const CHECKLIST_POSTS: {
  [K in ChecklistPostKind]: {
    table: string;
    /** Its primary key's columns. */
    columns: string;
    key: string;
    params: (k: Extract<ChecklistPostKey, { kind: K }>) => unknown[];
  };
} = {
  run: { table: 'playbook_runs', columns: 'id', key: 'id = $1', params: (k) => [k.runId] },
  attached: {
    table: 'incident_playbooks',
    columns: 'incident_id, playbook_id',
    key: 'incident_id = $1 AND playbook_id = $2',
    params: (k) => [k.incidentId, k.playbookId],
  },
};

function row(k: ChecklistPostKey) {
  const { table, key } = CHECKLIST_POSTS[k.kind];
  const params = k.kind === 'run' ? CHECKLIST_POSTS.run.params(k) : CHECKLIST_POSTS.attached.params(k);
  /** The next parameter's placeholder. */
  const next = (i = 0) => `$${params.length + 1 + i}`;
  return { table, key, params, next };
}

/** `now()` plus a hold given in milliseconds by the parameter `param`. */
export const leaseFor = (param: string) => `now() + make_interval(secs => ${param}::double precision / 1000)`;

const UNPOSTED = 'message_ts IS NULL AND message_lease_until <= now()';

/** The timer loop's look before its sweep (see `sweepWhen`): a checklist of this kind may be up unrecorded, or not up. */
export const checklistsUnposted = (kind: ChecklistPostKind) =>
  `EXISTS (SELECT 1 FROM ${CHECKLIST_POSTS[kind].table} WHERE ${UNPOSTED})`;

/**
 * Records where a checklist message went, unless one is recorded already (a process taking over a post it thought dead
 * recorded its own first): its message then, this one or the one recorded before; null when its row is gone.
 */
export async function setChecklistMessage(q: Queryable, k: ChecklistPostKey, ts: string): Promise<string | null> {
  const { table, key, params, next } = row(k);
  const { rows } = await q.query<{ message_ts: string | null }>(
    `WITH kept AS (
       UPDATE ${table} SET message_ts = ${next()}, message_lease_until = NULL
        WHERE ${key} AND message_ts IS NULL RETURNING message_ts
     )
     SELECT message_ts FROM kept
     UNION ALL
     SELECT message_ts FROM ${table} WHERE ${key} AND NOT EXISTS (SELECT 1 FROM kept)`,
    [...params, ts],
  );
  return rows[0]?.message_ts ?? null;
}

/** Its process is still posting its checklist: held `leaseMs` more. */
export async function renewChecklistPost(q: Queryable, k: ChecklistPostKey, leaseMs: number): Promise<void> {
  const { table, key, params, next } = row(k);
  await q.query(
    `UPDATE ${table} SET message_lease_until = ${leaseFor(next())}
      WHERE ${key} AND message_ts IS NULL AND message_lease_until IS NOT NULL`,
    [...params, leaseMs],
  );
}

/** Its post's answer was lost (Slack may have taken it): left to the sweep now, rather than once its hold runs out. */
export async function releaseChecklistPost(q: Queryable, k: ChecklistPostKey): Promise<void> {
  const { table, key, params } = row(k);
  await q.query(
    `UPDATE ${table} SET message_lease_until = now()
      WHERE ${key} AND message_ts IS NULL AND message_lease_until IS NOT NULL`,
    params,
  );
}

/** Looked for (or posted) again no sooner than `at` (Slack failed the last attempt). */
export async function retryChecklistPostAt(q: Queryable, k: ChecklistPostKey, at: Date): Promise<void> {
  const { table, key, params, next } = row(k);
  await q.query(
    `UPDATE ${table} SET message_lease_until = ${next()}
      WHERE ${key} AND message_ts IS NULL AND message_lease_until IS NOT NULL`,
    [...params, at],
  );
}

/**
 * Given up: its checklist neither found nor posted after the sweep's attempts; the sweep leaves it (logged). True when
 * this marked it so (not given up before, nor posted meanwhile): its person is told once.
 */
export async function giveChecklistPostUp(q: Queryable, k: ChecklistPostKey): Promise<boolean> {
  const { table, key, params } = row(k);
  const { rows } = await q.query(
    `UPDATE ${table} SET message_lease_until = NULL, message_given_up_at = now()
      WHERE ${key} AND message_ts IS NULL AND message_given_up_at IS NULL RETURNING 1`,
    params,
  );
  return rows.length === 1;
}

/**
 * Rows of this kind with no message whose hold ran out, claimed by one process at a time (SKIP LOCKED), each held
 * `leaseMs` (a process that dies leaves it to another after that), its attempt counted: `message_attempts` so far,
 * this one included. `also`: more columns returned (SQL).
 */
export async function claimUnpostedChecklists<R>(
  q: Queryable,
  kind: ChecklistPostKind,
  limit: number,
  leaseMs: number,
  also = '',
): Promise<(R & { message_attempts: number })[]> {
  const { table, columns } = CHECKLIST_POSTS[kind];
  const { rows } = await q.query<R & { message_attempts: number }>(
    `UPDATE ${table} SET message_lease_until = ${leaseFor('$2')}, message_attempts = message_attempts + 1
      WHERE (${columns}) IN (
        SELECT ${columns} FROM ${table} WHERE ${UNPOSTED} ORDER BY message_lease_until LIMIT $1 FOR UPDATE SKIP LOCKED
      )
      RETURNING *${also ? `, ${also}` : ''}`,
    [limit, leaseMs],
  );
  return rows;
}
