import { notDoneOfRecord } from '../incidents/checklist.js';
import type { HostRef } from '../incidents/playbook-host.js';
import type { NotDoneStep } from '../incidents/ports.js';
import type { FoundLines, LookFor } from '../runbook/look-for.js';
import type { RunnableStep } from '../runbook/playbooks.js';
import { jsonOf, type Queryable, type StatementPart, toDate } from './db.js';
import { ATTACHED, type AttachedPlaybook, type AttachedRow, toAttached } from './incident-playbook.repo.js';
import { ownerColumn, ownerOf, ownerValues } from './owner.js';

/**
 * `stopped`: the bot stopped its command as it was stopping itself. `lost`: the process running it died (kill -9) or lost
 * the database, its lease ran out, and another process's sweep recorded it so (see claimLostRuns): how it ended is not
 * known.
 */
export type StepRunState =
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'not_found'
  | 'stopped'
  | 'lost'
  | 'refused';

export interface StepRun {
  id: number;
  /** Whose run it is: an incident's, or a playbook run's outside any incident. */
  host: HostRef;
  playbookId: string;
  stepKey: string;
  kind: RunnableStep['type'];
  target: string[];
  requestedBy: string;
  /** The second person who approved it, for a step that needs one; null otherwise. */
  approvedBy: string | null;
  state: StepRunState;
  threadTs: string | null;
}

interface Row {
  id: number;
  incident_id: number | null;
  run_id: number | null;
  playbook_id: string;
  step_key: string;
  kind: RunnableStep['type'];
  target: string[] | string;
  requested_by: string;
  approved_by: string | null;
  state: StepRunState;
  thread_ts: string | null;
}

const toRun = (r: Row): StepRun => ({
  id: Number(r.id),
  host: ownerOf(r),
  playbookId: r.playbook_id,
  stepKey: r.step_key,
  kind: r.kind,
  target: typeof r.target === 'string' ? (JSON.parse(r.target) as string[]) : r.target,
  requestedBy: r.requested_by,
  approvedBy: r.approved_by,
  state: r.state,
  threadTs: r.thread_ts,
});

/** Which step of whose playbook, what it runs (redacted) and who asked. */
export type StepRunInput = Pick<StepRun, 'host' | 'playbookId' | 'stepKey' | 'kind' | 'target' | 'requestedBy'>;

const secs = (ms: number) => ms / 1000;
const jsonOrNull = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/**
 * Starts a run (with who approved it, and the approval request it carries out, for a step that needed a second
 * person), held by the process that runs it for `leaseMs` (renewStepRun renews it); null when the same step is already
 * running for this host.
 */
export async function insertRunningStep(
  q: Queryable,
  r: StepRunInput & Pick<StepRun, 'approvedBy'> & { approvalId?: number | null },
  leaseMs: number,
): Promise<StepRun | null> {
  const { rows } = await q.query<Row>(
    `INSERT INTO step_runs (incident_id, run_id, playbook_id, step_key, kind, target, requested_by, approved_by,
       approval_id, state, lease_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'running', now() + make_interval(secs => $10))
     ON CONFLICT (${ownerColumn(r.host)}, playbook_id, step_key) WHERE state = 'running' DO NOTHING
     RETURNING *`,
    [
      ...ownerValues(r.host),
      r.playbookId,
      r.stepKey,
      r.kind,
      JSON.stringify(r.target),
      r.requestedBy,
      r.approvedBy,
      r.approvalId ?? null,
      secs(leaseMs),
    ],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

/**
 * Extends the lease on a run still running, keeping what it has shown so far (the output's last lines, redacted, how
 * long it has run, and what its message shows besides: `shown`, the lines found so far): what its message shows should
 * its process die. With its message (`threadTs`), recorded when the run has none on the record yet: its recording
 * after the post (setRunThread) failed, and renewals go on until one takes, so the sweeps find the message. False when it is running no more (it ended, or another process's sweep
 * recorded it lost).
 */
export async function renewStepRun(
  q: Queryable,
  id: number,
  leaseMs: number,
  sofar: { tail: string; durationMs: number; threadTs?: string | null; shown?: RunShown | null },
): Promise<boolean> {
  const { rows } = await q.query(
    `UPDATE step_runs SET lease_until = now() + make_interval(secs => $2), output_tail = $3, duration_ms = $4,
       thread_ts = COALESCE(thread_ts, $5), shown_so_far = $6
     WHERE id = $1 AND state = 'running' RETURNING id`,
    [
      id,
      secs(leaseMs),
      sofar.tail.slice(-4000),
      Math.round(sofar.durationMs),
      sofar.threadTs ?? null,
      jsonOrNull(sofar.shown),
    ],
  );
  return rows.length > 0;
}

/** A run held by no process any more: its lease ran out, or it has none (an older version's) and began an hour ago. */
const LOST = `state = 'running'
  AND (lease_until <= now() OR (lease_until IS NULL AND started_at <= now() - interval '1 hour'))`;

/** The timer loop's look before its sweep (see `sweepWhen`): a run whose process is gone is there. */
export const RUNS_LOST = `EXISTS (SELECT 1 FROM step_runs WHERE ${LOST})`;

/**
 * How long after a run was recorded lost or stopped the timer loop's sweep draws its message again (RunMessageRedraws),
 * unless the process that recorded it drew it first (it draws it at once; Slack refusing that, or the process dying
 * before, leaves it to the sweep).
 */
export const RUN_SHOW_GRACE_S = 30;

/**
 * Marks the run's message (`thread`: where it is, as the statement writes it) due to be drawn by the sweep when it has
 * one and `when` holds, or clears the mark (see migration 079). A checklist still due to be drawn (checklist_due,
 * migration 100) is drawn after the message then.
 */
const markShown = (when = 'true', thread = 'thread_ts') =>
  `show_due_at = CASE WHEN ${thread} IS NOT NULL AND ${when} THEN now() + make_interval(secs => ${RUN_SHOW_GRACE_S}) END,
   show_attempts = 0, show_mark = show_mark + 1,
   checklist_due = CASE WHEN checklist_due IS NOT NULL THEN 'also' END`;

/**
 * What a run's final message shows besides its columns (migration 080), kept so that a drawing by another process
 * draws it whole: the detail (an HTTP check's status and latency, a check's finding, a timeout, or for a run recorded
 * lost whose process came back, what it then said), the lines it looked for and found, the output's size and the
 * attached file's, the required steps it ran without. All as shown in Slack (redacted). A running run's message keeps
 * the same with each renewal of its lease (shown_so_far, migration 087): what it shows once recorded lost.
 */
export interface RunShown {
  detail?: string;
  /** The signal it was killed by, one the bot did not send (RunView.signal): its message and checklist say killed. */
  signal?: string;
  /**
   * The output's last lines, when not the run's own (output_tail): a run kept lost whose process came back shows those
   * its late end brought, while its record keeps those of the lease's last renewal.
   */
  tail?: string;
  /** How long it ran, when not the run's own (duration_ms): a run kept lost whose process came back ran to its end. */
  durationMs?: number;
  lookFor?: LookFor;
  found?: FoundLines;
  bytes?: number;
  truncated?: boolean;
  fileBytes?: number;
  notDone?: NotDoneStep[];
}

/** A stored `end_shown` or `shown_so_far` (a string, as some drivers give jsonb, is parsed first). */
function shownOf(v: unknown): RunShown | null {
  const s = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  if (s === null || typeof s !== 'object' || Array.isArray(s)) return null;
  const { notDone, ...rest } = s as RunShown;
  const steps = notDoneOfRecord(notDone);
  return { ...rest, ...(steps.length ? { notDone: steps } : {}) };
}

/** A run that ended with what its message and timeline show of it: recorded lost, or read back to be drawn again. */
export interface EndedRun extends StepRun {
  approvalId: number | null;
  tail: string;
  exitCode: number | null;
  durationMs: number;
  found: RunFound | null;
  /**
   * What its final message showed besides; for a run recorded lost without its process's end, what its message showed
   * at the lease's last renewal (null: nothing kept, a run ended before migration 080 or lost before 087).
   */
  shown: RunShown | null;
  /**
   * `shown` is what its message showed at the lease's last renewal (a run recorded lost without its process's end), not
   * at its end: the lines it found are those found so far, the command may have printed more after.
   */
  shownSoFar: boolean;
  /** The marking of its message as due to be drawn that this read (see runMessageDrawn); null: not marked. */
  mark: number | null;
  /** When it started: its message, if any, was posted after. */
  startedAt: Date;
  /**
   * Its message, none on the record, was looked for till its look-up was given up (migration 095): why (Slack's last
   * answer). Not looked for again.
   */
  messageGivenUpWhy?: string;
  /**
   * Its playbook's checklist is owed a drawing (LostRuns': Slack refused it; migration 100): `only` that, its message
   * needing nothing; `also`, after its message's drawing or look-up.
   */
  checklistDue?: 'only' | 'also';
}

/** A run recorded lost by claimLostRuns. */
export type LostRun = EndedRun;

/** The columns an EndedRun is read from (`RETURNING *`). */
export type EndedRow = Row & {
  approval_id: number | null;
  output_tail: string | null;
  exit_code: number | null;
  duration_ms: number | null;
  found: unknown;
  end_shown: unknown;
  shown_so_far?: unknown;
  show_due_at: Date | string | null;
  show_mark: number;
  started_at: Date | string;
  message_given_up_why?: string | null;
  checklist_due?: string | null;
};

export const toEndedRun = (r: EndedRow): EndedRun => ({
  ...toRun(r),
  approvalId: r.approval_id === null ? null : Number(r.approval_id),
  tail: r.output_tail ?? '',
  exitCode: r.exit_code === null ? null : Number(r.exit_code),
  durationMs: Number(r.duration_ms ?? 0),
  found: foundOf(r.found),
  shown: shownOf(r.end_shown) ?? shownOf(r.shown_so_far ?? null),
  shownSoFar: shownOf(r.end_shown) === null && shownOf(r.shown_so_far ?? null) !== null,
  mark: r.show_due_at === null ? null : Number(r.show_mark),
  startedAt: toDate(r.started_at),
  ...(r.message_given_up_why ? { messageGivenUpWhy: r.message_given_up_why } : {}),
  ...(r.checklist_due === 'only' || r.checklist_due === 'also' ? { checklistDue: r.checklist_due } : {}),
});

/**
 * Records at most `limit` runs whose process is gone (their lease ran out: killed, or cut off from the database) as
 * `lost`, and returns them, their messages marked due to be drawn by the sweep (the caller draws them first: see
 * runMessageDrawn). Rows another process is taking are skipped; a run whose process renews its lease is never
 * taken. Its process, should it come back and finish the run, records how it ended over `lost` only when nothing was
 * done about it since (see finishStepRun).
 */
export async function claimLostRuns(q: Queryable, limit: number): Promise<LostRun[]> {
  const { rows } = await q.query<EndedRow>(
    `UPDATE step_runs SET state = 'lost', lease_until = NULL, finished_at = now(), ${markShown()}
     WHERE id IN (SELECT id FROM step_runs WHERE ${LOST} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
       AND state = 'running'
     RETURNING *`,
    [limit],
  );
  return rows.map(toEndedRun);
}

export async function findRunningStep(
  q: Queryable,
  host: HostRef,
  playbookId: string,
  stepKey: string,
): Promise<StepRun | null> {
  const { rows } = await q.query<Row>(
    `SELECT * FROM step_runs WHERE ${ownerColumn(host)} = $1 AND playbook_id = $2 AND step_key = $3
       AND state = 'running'`,
    [host.id, playbookId, stepKey],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

/** The last run of each step of a host's playbook that was not refused: what a checklist shows of its runs. */
export interface LastStepRun {
  stepKey: string;
  state: Exclude<StepRunState, 'refused'>;
  requestedBy: string;
  /** Who approved it, for a step that needed a second person. */
  approvedBy: string | null;
  at: Date;
  /** What it found of the lines its step looks for (foundSummary), so far while it runs; null when it looks for none. */
  found?: RunFound | null;
  /**
   * `found` is the count up to a point, not to the run's end: a run recorded lost without its process's end, whose
   * count is the last one written while it ran (the command may have printed more after). Not for a run stopped (its
   * count is to where it was stopped), nor one kept lost whose process came back (keepLostRun: the count to its end).
   */
  foundSoFar?: boolean;
  /**
   * Its message (a run recorded lost whose process died as Slack took it) was looked for in Slack and given up: Slack's
   * last answer (migration 095). Absent: not given up.
   */
  messageGivenUpWhy?: string;
  /** It failed killed by this signal, one the bot did not send (kept in end_shown: RunShown.signal). */
  signal?: string;
}

/** How many lines a run found of what its step looks for: `words` as lookForWords says them. */
export interface RunFound {
  words: string;
  matched: number;
  total: number;
}

const LAST_RUNS = (column: string, host: string, playbook: string) =>
  `SELECT DISTINCT ON (step_key) step_key, state, requested_by, approved_by, COALESCE(finished_at, started_at) AS at,
     found, state = 'lost' AND end_shown IS NULL AS found_so_far, message_given_up_why,
     CASE WHEN state = 'failed' THEN end_shown ->> 'signal' END AS signal
   FROM step_runs WHERE ${column} = ${host} AND playbook_id = ${playbook} AND state <> 'refused'
   ORDER BY step_key, id DESC`;

interface LastRunRow {
  step_key: string;
  state: LastStepRun['state'];
  requested_by: string;
  approved_by: string | null;
  at: Date | string;
  found?: unknown;
  found_so_far?: boolean | null;
  message_given_up_why?: string | null;
  signal?: string | null;
}

/** A stored `found`, when it has the shape written (a string, as some drivers give jsonb, is parsed first). */
function foundOf(v: unknown): RunFound | null {
  const f = (typeof v === 'string' ? JSON.parse(v) : v) as Partial<RunFound> | null | undefined;
  return f && typeof f.words === 'string' && typeof f.matched === 'number' && typeof f.total === 'number'
    ? { words: f.words, matched: f.matched, total: f.total }
    : null;
}

const toLastRun = (r: LastRunRow): LastStepRun => ({
  stepKey: r.step_key,
  state: r.state,
  requestedBy: r.requested_by,
  approvedBy: r.approved_by ?? null,
  at: toDate(r.at),
  found: foundOf(r.found),
  ...(r.found_so_far === true ? { foundSoFar: true } : {}),
  ...(r.message_given_up_why ? { messageGivenUpWhy: r.message_given_up_why } : {}),
  ...(r.signal ? { signal: r.signal } : {}),
});

export async function lastStepRuns(q: Queryable, host: HostRef, playbookId: string): Promise<LastStepRun[]> {
  const { rows } = await q.query<LastRunRow>(LAST_RUNS(ownerColumn(host), '$1', '$2'), [host.id, playbookId]);
  return rows.map(toLastRun);
}

/**
 * What a checklist shows of a host's playbook, in one statement: the last runs of its steps, the playbook's attachment
 * (for an incident's; null for a run's, or when not attached), and what `checks` selected (the standing ticks).
 */
export async function checklistRecords(
  q: Queryable,
  host: HostRef,
  playbookId: string,
  checks: (first: number) => StatementPart,
): Promise<{ runs: LastStepRun[]; attached: AttachedPlaybook | null; checks: unknown; page: number | null }> {
  const part = checks(3);
  const { rows } = await q.query<{
    runs: LastRunRow[] | string | null;
    attached: AttachedRow | string | null;
    checks: unknown;
    page: number | null;
  }>(
    `${part.with ? `WITH ${part.with} ` : ''}SELECT
       (SELECT json_agg(r) FROM (${LAST_RUNS(ownerColumn(host), '$1', '$2')}) r) AS runs,
       ${host.kind === 'incident' ? `(SELECT row_to_json(a) FROM (${ATTACHED('$1', '$2')}) a)` : 'NULL::json'} AS attached,
       ${part.select} AS checks,
       (${
         host.kind === 'incident'
           ? 'SELECT message_page FROM incident_playbooks WHERE incident_id = $1 AND playbook_id = $2'
           : 'SELECT message_page FROM playbook_runs WHERE id = $1 AND playbook_id = $2'
       }) AS page`,
    [host.id, playbookId, ...part.params],
  );
  const r = rows[0];
  const attached = jsonOf(r?.attached);
  return {
    runs: (jsonOf(r?.runs) ?? []).map(toLastRun),
    attached: attached ? toAttached(attached) : null,
    checks: r?.checks ?? null,
    page: r?.page === null || r?.page === undefined ? null : Number(r.page),
  };
}

export async function setRunThread(q: Queryable, id: number, threadTs: string): Promise<void> {
  await q.query('UPDATE step_runs SET thread_ts = $2 WHERE id = $1', [id, threadTs]);
}

/**
 * An ended run's message found in Slack (its process died after Slack took the post, before anything recorded where):
 * recorded, and marked due to be drawn as the run ended, as claimLostRuns marks one whose message was on the record.
 * The run as it is then; null when its message was on the record already (whoever recorded it draws it).
 */
export async function keepFoundRunThread(q: Queryable, id: number, threadTs: string): Promise<EndedRun | null> {
  const { rows } = await q.query<EndedRow>(
    `UPDATE step_runs SET thread_ts = $2, ${markShown('true', '$2::text')}
      WHERE id = $1 AND thread_ts IS NULL AND state <> 'running'
      RETURNING *`,
    [id, threadTs],
  );
  return rows[0] ? toEndedRun(rows[0]) : null;
}

/** What a run still running found so far of the lines its step looks for (the checklist line says it as it goes). */
export async function setRunFoundSoFar(q: Queryable, id: number, found: RunFound): Promise<void> {
  await q.query("UPDATE step_runs SET found = $2 WHERE id = $1 AND state = 'running'", [id, JSON.stringify(found)]);
}

/** The same host's (either owner column: only the one set can be equal), playbook and step as run `s`'s. */
const SAME_STEP = (t: string) =>
  `(${t}.incident_id = s.incident_id OR ${t}.run_id = s.run_id)
   AND ${t}.playbook_id = s.playbook_id AND ${t}.step_key = s.step_key`;

/**
 * A run recorded lost (`s`, at its finished_at) that nobody has acted on since: its step not run again (a refused
 * attempt ran nothing), not ticked done or skipped nor a tick undone, no approval asked to run it.
 */
const UNTOUCHED_SINCE_LOST = `s.state = 'lost'
  AND NOT EXISTS (SELECT 1 FROM step_runs n WHERE ${SAME_STEP('n')} AND n.id > s.id AND n.state <> 'refused')
  AND NOT EXISTS (SELECT 1 FROM step_checks c WHERE ${SAME_STEP('c')}
                    AND (c.checked_at >= s.finished_at OR c.undone_at >= s.finished_at))
  AND NOT EXISTS (SELECT 1 FROM step_approvals a WHERE ${SAME_STEP('a')} AND a.created_at >= s.finished_at)`;

/** How a run's end was recorded by finishStepRun. */
export type FinishedRun =
  /** Recorded (`cameBack`: over `lost`, its process come back); `mark`: its message's, due to be drawn (runMessageDrawn). */
  | { recorded: true; cameBack: boolean; mark: number | null }
  /** Not: it was recorded lost and acted on since (or is not running). See keepLostRun. */
  | { recorded: false };

/**
 * Records how a run ended, with its message (`threadTs`, recorded when it was not: the recording after the post may
 * have failed) and what the message shows (`shown`, for a drawing by another process). Its message is marked due to be
 * drawn by the sweep (RunMessageRedraws) until the process's own drawing takes and clears the mark: Slack refusing
 * that update, or the process dying before it, would leave it saying "Running".
 *
 * A run recorded lost (its process cut off from the database past its lease: another's sweep took it) whose process
 * came back takes its real end only while nobody acted on the lost run (UNTOUCHED_SINCE_LOST), decided in this
 * statement, the row locked: the real end is better news than "not known", but once a person ran the step again,
 * ticked it or asked to run it, what they did stands.
 */
export async function finishStepRun(
  q: Queryable,
  id: number,
  f: {
    state: StepRunState;
    exitCode: number | null;
    durationMs: number;
    digest: string | null;
    tail: string;
    found?: RunFound | null;
    threadTs?: string | null;
    shown?: RunShown | null;
  },
): Promise<FinishedRun> {
  const { rows } = await q.query<{ was: StepRunState; mark: number | null }>(
    `UPDATE step_runs s SET state = $2, exit_code = $3, duration_ms = $4, output_digest = $5, output_tail = $6,
       found = $7, end_shown = $8, thread_ts = COALESCE(s.thread_ts, $9), finished_at = now(), lease_until = NULL,
       ${markShown('true', 'COALESCE(s.thread_ts, $9)')}
     FROM (SELECT id, state FROM step_runs WHERE id = $1 FOR UPDATE) o
     WHERE s.id = o.id AND (s.state = 'running' OR (${UNTOUCHED_SINCE_LOST}))
     RETURNING o.state AS was, CASE WHEN s.show_due_at IS NOT NULL THEN s.show_mark END AS mark`,
    [
      id,
      f.state,
      f.exitCode,
      Math.round(f.durationMs),
      f.digest,
      f.tail.slice(-4000),
      jsonOrNull(f.found),
      jsonOrNull(f.shown),
      f.threadTs ?? null,
    ],
  );
  const r = rows[0];
  if (!r) return { recorded: false };
  return { recorded: true, cameBack: r.was === 'lost', mark: r.mark === null ? null : Number(r.mark) };
}

/**
 * A run recorded lost and acted on since, whose process came back with its real end (finishStepRun did not record
 * it): it stays lost, its message (`threadTs`, recorded when it was not) saying so with `shown` (what the process
 * found), and marked due to be drawn by the sweep. Its count of the lines found (`found`) is the one to its end, as its
 * message shows it: the checklist's line says the same, not the count written while it ran. Null when it is not lost.
 */
export async function keepLostRun(
  q: Queryable,
  id: number,
  threadTs: string | null,
  shown: RunShown,
  found: RunFound | null,
): Promise<EndedRun | null> {
  const { rows } = await q.query<EndedRow>(
    `UPDATE step_runs SET thread_ts = COALESCE(thread_ts, $2), end_shown = $3, found = $4,
       ${markShown('true', 'COALESCE(thread_ts, $2)')}
     WHERE id = $1 AND state = 'lost'
     RETURNING *`,
    [id, threadTs, JSON.stringify(shown), jsonOrNull(found)],
  );
  return rows[0] ? toEndedRun(rows[0]) : null;
}

/** A refused attempt (no role, bad parameters) is recorded too. */
export async function insertRefusedStep(q: Queryable, r: StepRunInput & { refusal: string }): Promise<void> {
  await q.query(
    `INSERT INTO step_runs (incident_id, run_id, playbook_id, step_key, kind, target, requested_by, state, refusal,
       finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'refused', $8, now())`,
    [...ownerValues(r.host), r.playbookId, r.stepKey, r.kind, JSON.stringify(r.target), r.requestedBy, r.refusal],
  );
}

/** A rollback's post-deployment verification as its host's timeline keeps it (`rollback_verified`). */
export interface RecordedRollback {
  at: Date;
  by: string | null;
  details: Record<string, unknown>;
}

/** The newest rollback a host recorded after `since` (its `rollback_verified` event), or null when there is none. */
export async function lastRollbackSince(q: Queryable, ref: HostRef, since: Date): Promise<RecordedRollback | null> {
  const table = ref.kind === 'incident' ? 'incident_events' : 'playbook_run_events';
  const { rows } = await q.query<{
    at: Date | string;
    actor_id: string | null;
    details: Record<string, unknown> | string;
  }>(
    `SELECT at, actor_id, details FROM ${table}
     WHERE ${ownerColumn(ref)} = $1 AND kind = 'rollback_verified' AND at > $2 ORDER BY at DESC, id DESC LIMIT 1`,
    [ref.id, since],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    at: toDate(r.at),
    by: r.actor_id,
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : r.details,
  };
}
