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
/** Given up, its person not told yet (migration 096): told now, or again (Slack refused the last telling). */
const TELL_DUE = 'tell_due_at <= now()';

/**
 * What the sweep claims: a checklist to find or post (`post`), or one given up whose person is to be told (`tell`);
 * each with its due time (its hold meanwhile) and its count of tries.
 */
export type ChecklistClaim = 'post' | 'tell';
const CLAIMS: { [C in ChecklistClaim]: { due: string; at: string; attempts: string } } = {
  post: { due: UNPOSTED, at: 'message_lease_until', attempts: 'message_attempts' },
  tell: { due: TELL_DUE, at: 'tell_due_at', attempts: 'tell_attempts' },
};

/**
 * The timer loop's look before its sweep (see `sweepWhen`): a checklist of this kind may be up unrecorded, or not up,
 * or given up with its person yet to be told.
 */
export const checklistsUnposted = (kind: ChecklistPostKind) =>
  `EXISTS (SELECT 1 FROM ${CHECKLIST_POSTS[kind].table} WHERE ${UNPOSTED} OR ${TELL_DUE})`;

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
 * Given up: its checklist neither found nor posted after the sweep's attempts (`why`: Slack's last answer); the sweep
 * posts it no more (logged). True when this marked it so (not given up before, nor posted meanwhile): its person is
 * then to be told, by this process first (its first telling, held `tellLeaseMs`), else by the sweep once that runs out.
 */
export async function giveChecklistPostUp(
  q: Queryable,
  k: ChecklistPostKey,
  why: string,
  tellLeaseMs: number,
): Promise<boolean> {
  const { table, key, params, next } = row(k);
  const { rows } = await q.query(
    `UPDATE ${table} SET message_lease_until = NULL, message_given_up_at = now(), message_given_up_why = ${next()},
            tell_due_at = ${leaseFor(next(1))}, tell_attempts = 1
      WHERE ${key} AND message_ts IS NULL AND message_given_up_at IS NULL RETURNING 1`,
    [...params, why, tellLeaseMs],
  );
  return rows.length === 1;
}

/** Its person is told again no sooner than `at` (Slack refused the last telling). */
export async function tellChecklistGivenUpAt(q: Queryable, k: ChecklistPostKey, at: Date): Promise<void> {
  const { table, key, params, next } = row(k);
  await q.query(`UPDATE ${table} SET tell_due_at = ${next()} WHERE ${key} AND tell_due_at IS NOT NULL`, [
    ...params,
    at,
  ]);
}

/** Its person is told (or the telling is given up, or there is nobody to tell): the sweep leaves it. */
export async function checklistGivenUpTold(q: Queryable, k: ChecklistPostKey): Promise<void> {
  const { table, key, params } = row(k);
  await q.query(`UPDATE ${table} SET tell_due_at = NULL WHERE ${key}`, params);
}

/** The columns a claim returns besides its table's: its tries so far, and why the checklist was given up. */
export interface ClaimedColumns {
  message_attempts: number;
  tell_attempts: number;
  message_given_up_why: string | null;
}

/** A claimed checklist's tries and why it was given up, as the sweep reads them. */
export interface ClaimedChecklist {
  /** The sweep's attempts at posting it so far (this one included, for a `post` claim). */
  attempts: number;
  /** Its person's tellings so far that it was given up (this one included, for a `tell` claim). */
  tellAttempts: number;
  /** Slack's last answer when it was given up (null: not given up). */
  givenUpWhy: string | null;
}

export const claimed = (r: ClaimedColumns): ClaimedChecklist => ({
  attempts: Number(r.message_attempts),
  tellAttempts: Number(r.tell_attempts),
  givenUpWhy: r.message_given_up_why,
});

/**
 * Rows of this kind due for `what` (no message, their hold run out; or given up, their person yet to be told), claimed
 * by one process at a time (SKIP LOCKED), each held `leaseMs` (a process that dies leaves it to another after that),
 * its try counted (`message_attempts` or `tell_attempts` so far, this one included). `also`: more columns (SQL).
 */
export async function claimUnpostedChecklists<R>(
  q: Queryable,
  kind: ChecklistPostKind,
  limit: number,
  leaseMs: number,
  also = '',
  what: ChecklistClaim = 'post',
): Promise<(R & ClaimedColumns)[]> {
  const { table, columns } = CHECKLIST_POSTS[kind];
  const { due, at, attempts } = CLAIMS[what];
  const { rows } = await q.query<R & ClaimedColumns>(
    `UPDATE ${table} SET ${at} = ${leaseFor('$2')}, ${attempts} = ${attempts} + 1
      WHERE (${columns}) IN (
        SELECT ${columns} FROM ${table} WHERE ${due} ORDER BY ${at} LIMIT $1 FOR UPDATE SKIP LOCKED
      )
      RETURNING *${also ? `, ${also}` : ''}`,
    [limit, leaseMs],
  );
  return rows;
}
