import { describeDuration } from '../runbook/duration.js';
import type { IncidentNotice } from './ports.js';
import { recoveredAt } from './recovery-objectives.js';
import type { SeverityDefs } from './severity.js';
import type { DeclareSource, Incident, RaisedFlag, RecoveryTime } from './types.js';

export const ESCALATION_RULES = [
  'declared',
  'unresolved',
  'unacknowledged',
  'customer_impact',
  'critical',
  'data_loss',
  'manual',
  'next_update',
  'public_next_update',
  'rto_lower_bound',
  'rto_passed',
  'paging_stopped',
  'redraw_pages',
  'redraw_card',
  'page_failed',
] as const;
export type EscalationRule = (typeof ESCALATION_RULES)[number];

/** A rule as the runbook file sets it, parsed: the roles it pages and, for a timed rule, how long after declaring. */
export interface RuleSettings {
  roles: string[];
  afterMs: number | null;
  /** A timed rule: what stops it. `resolved` (the runbook's "if unresolved"): mitigating does not. */
  until: 'resolved' | 'mitigated' | null;
}

/** What the policy reads from the runbook (the Runbook of runbook/runbook.ts has this shape and more). */
export interface PolicyRunbook {
  severities: SeverityDefs;
  escalation: {
    /** Escalation Contact Order. */
    order: string[];
    /** By rule name; a rule the file does not set is absent. */
    rules: Readonly<Partial<Record<EscalationRule, RuleSettings>>>;
  };
}

/** What of an incident a rule's reason reads. */
export type ReasonIncident = Pick<Incident, 'severity'> & {
  dataLossRisk?: boolean;
  source?: DeclareSource;
  reopenedAt?: Date | null;
};

/** One escalation rule: everything the bot knows about it, in one place. */
export interface RuleDef {
  /**
   * How the rule is written under `escalation.rules` in the runbook file: `role` is a role id or a list of them
   * (`critical: [senior_devops, cto]`), `after` is `{ after: <duration>, page: <role> }`; an `optional` rule the file
   * leaves out pages nobody. null: not set in the file.
   */
  readonly file: { readonly key: string; readonly form: 'role' | 'after'; readonly optional?: boolean } | null;
  /** When its timer is due for the incident as it is now; null when the rule wants no timer now. */
  due(i: Incident, rb: PolicyRunbook, now: Date): Date | null;
  /** The timer's key (once per key and incident); the rule's name unless it can recur. */
  key?(i: Incident): string;
  /**
   * A rule that fires in rounds: the timers it wants now (keys and due times), in place of `due` and `key`. A fired
   * round's timer holds while it is among them; the claim that fires it sets the next (see recurs).
   */
  rounds?(i: Incident, rb: PolicyRunbook, now: Date): { key: string; dueAt: Date }[];
  /** For timers made by hand rather than from the incident's state: kept while this holds. */
  keptWhile?(i: Incident): boolean;
  /** Wanted of a resolved incident too (its `due` says when); every other rule's timers end with the resolution. */
  readonly whenResolved?: true;
  /** Why it pages, in words for the channel and the page itself. */
  reason(rb: PolicyRunbook, i: ReasonIncident): string;
  /** For the card: what stops a pending page ("unless acknowledged by then"), or null when nothing does. */
  unless(rb: PolicyRunbook): string | null;
  /** Whether its due time follows the incident (a severity change moves it); the others keep the time they were set. */
  readonly movable: boolean;
  /**
   * Whether a change from `before` to `after` sets its cancelled timer again, when `after` asks for it (every rule's
   * is, for a change that reopens the incident).
   */
  revivedBy?(before: Incident, after: Incident): boolean;
  /**
   * Whom it pages: `roles` the roles the rule names (a by-hand rule: the role it was made for); `role_and_next` its
   * role again together with the next role in the contact order not paged yet; `commander` nobody: it reminds the
   * commander in the channel; `dms` nobody: it shows the page direct messages people hold again as the incident is
   * now, until Slack has taken every one (see PageDmRedraw.redrawPages); `card` nobody: it shows the incident's card
   * again as the incident is now, until Slack takes it; `told` nobody: it tells the channel and the commander that a
   * page given up reached nobody (see EscalationService.tellPageFailed).
   */
  readonly pages: 'roles' | 'role_and_next' | 'commander' | 'dms' | 'card' | 'told';
  /**
   * A rule that reminds (`pages: 'commander'`): what the channel is told, and the details its timeline event keeps
   * (`rule` among them). `playbookTitle` names a playbook of the runbook by its id.
   */
  remind?(
    i: Incident,
    playbookTitle: (id: string) => string,
    rb: PolicyRunbook,
  ): { notice: IncidentNotice; details: Record<string, unknown> };
  /**
   * Paged at once when a flag is raised (customer impact, SEV-0, a data-loss risk): a role paged for the incident
   * less than RECENT_PAGE_MS before is not paged again for it (its page is still reaching them); a timer's page
   * (`unresolved` after 30 minutes) pages again, as the card says.
   */
  readonly onFlag?: true;
  /**
   * A rule raised by a flag: the flag whose note (what was said with it: `/incident data-loss writes may be lost`) its
   * page says, for the incident as it is now; null when that flag is not what it pages for (SEV-0 alone).
   */
  flag?(i: FlagIncident): RaisedFlag | null;
  /**
   * A rule that pages on a condition of the incident (a flag raised, a severity), not on time passing: whether it holds,
   * and what it is in words ("customer impact"). A role of the contact order that only such rules page is climbed to
   * by a round of nobody acknowledging only while one of them holds (see climbConditions): the runbook's "Engineering
   * Manager (if customer impact)", "CTO (if SEV-0 or data loss risk)".
   */
  readonly condition?: RuleCondition;
}

/** What of an incident a rule's condition reads. */
export type ConditionIncident = Pick<Incident, 'severity' | 'customerImpact' | 'dataLossRisk'>;

/** A rule's condition (RuleDef.condition). */
export interface RuleCondition {
  holds(i: ConditionIncident): boolean;
  /** In words, after "paged for": `customer impact`, `SEV-0 or a data-loss risk`. */
  readonly says: string;
}

/** What of an incident a flag's note is read from. */
export type FlagIncident = Pick<Incident, 'customerImpact' | 'dataLossRisk' | 'customerImpactNote' | 'dataLossNote'>;

/** A line of what was typed, its line breaks as spaces. */
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** What was said with a flag as it was raised, on one line; null when nothing was, or the flag is down. Pure. */
export function flagNote(i: FlagIncident, flag: RaisedFlag | null | undefined): string | null {
  const note =
    flag === 'customer_impact'
      ? i.customerImpact && i.customerImpactNote
      : flag === 'data_loss'
        ? i.dataLossRisk && i.dataLossNote
        : null;
  return note ? oneLine(note) || null : null;
}

/** The flag whose note a page for `rule` says (see RuleDef.flag); null for a rule no flag raised. */
export function ruleFlag(rule: string, i: FlagIncident): RaisedFlag | null {
  return ruleDef(rule)?.flag?.(i) ?? null;
}

/** How long a role's page counts as still reaching them: a flag raised meanwhile does not page them a second time. */
export const RECENT_PAGE_MS = 5 * 60_000;

const investigating = (i: Incident) => i.status === 'investigating';
/**
 * Not resolved: a mitigated incident is not over, and customer impact, a data-loss risk or SEV-0 found while it is
 * mitigated pages as at once as before (it paged nobody, and nobody was told).
 */
const notResolved = (i: Incident) => i.status !== 'resolved';
/** The conditions of the rules that page at once on a flag or a severity (RuleDef.condition). */
const CUSTOMER_IMPACT: RuleCondition = { holds: (i) => i.customerImpact, says: 'customer impact' };
const SEV0_OR_DATA_LOSS: RuleCondition = {
  holds: (i) => i.severity === 0 || i.dataLossRisk,
  says: 'SEV-0 or a data-loss risk',
};
const DATA_LOSS: RuleCondition = { holds: (i) => i.dataLossRisk, says: 'a data-loss risk' };
/** A rule paging on its condition: due now while it holds and the incident is not resolved. */
const whileHolds =
  (c: RuleCondition) =>
  (i: Incident, _rb: PolicyRunbook, now: Date): Date | null =>
    notResolved(i) && c.holds(i) ? now : null;

/**
 * When the incident's current opening began: its declaration, or its last reopening (`/incident reopen`). Its timed
 * rules count from then, and so do the pages an escalation reads as taken: a role paged before a resolution may be
 * paged again once the incident is reopened.
 */
export const openedAt = (i: Pick<Incident, 'reopenedAt' | 'createdAt'>): Date => i.reopenedAt ?? i.createdAt;

/**
 * The latest change of an incident that its page direct messages show, in its current opening: a severity change, the
 * acknowledgement (their Acknowledge goes), the reopening (they say it was reopened), the resolution (they say it was
 * resolved, whoever answered them). Null when there is none.
 */
function redrawnSince(i: Incident): Date | null {
  if (!notResolved(i)) return i.resolvedAt ?? null;
  const opened = openedAt(i);
  const changes = [i.severityChangedAt, i.acknowledgedAt, i.reopenedAt].filter(
    (d): d is Date => d !== null && d !== undefined && d >= opened,
  );
  return changes.length ? new Date(Math.max(...changes.map((d) => d.getTime()))) : null;
}

/** A timed rule counts from the declaration, or from the last reopening (`/incident reopen`): ms after that. */
const after = (i: Incident, ms: number) => new Date(openedAt(i).getTime() + ms);

/**
 * A timed rule's key: its name, and after a reopening the time of it too, so that a rule fired before the resolution
 * fires again from the reopening (the channel is told its timers count from then).
 */
const sinceKey = (rule: string, i: Incident) => (i.reopenedAt ? `${rule}@${i.reopenedAt.toISOString()}` : rule);

/**
 * The rounds of nobody acknowledging count from the declaration, the last reopening or the last severity change,
 * whichever came last: a new severity is a new response time, paged from when it was set (raised to SEV-0, paged
 * every five minutes from then, not found with all its rounds past).
 */
const roundsFrom = (i: Incident): Date => {
  const opened = i.reopenedAt ?? i.createdAt;
  return i.severityChangedAt && i.severityChangedAt > opened ? i.severityChangedAt : opened;
};

/** A rounds rule's key (`unacknowledged`, `paging_stopped`): as sinceKey, and after a severity change its time too. */
const roundsKey = (rule: string, i: Incident) => {
  const from = roundsFrom(i);
  return from === (i.reopenedAt ?? i.createdAt) ? sinceKey(rule, i) : `${rule}@${from.toISOString()}`;
};

/**
 * How many times `unacknowledged` fires while nobody acknowledges: each round, one response time after the last,
 * pages the on-call again together with the next role of the contact order not paged yet whose condition holds (see
 * climbConditions; then the on-call alone), as PagerDuty walks and repeats an escalation policy.
 */
export const UNACKNOWLEDGED_ROUNDS = 10;

/**
 * The rounds of `unacknowledged` the incident wants now: the last one due by now (fired, or overdue and still to fire)
 * and every later one, each one response time after the last, counted from the declaration or the reopening. Every
 * later one, not only the next: a round fired already keeps its key (done), so after a severity change to a longer
 * response time the next rounds by time may all have fired, and the first not fired is the one that comes. Round 1's
 * key is the rule's name (as timers set before rounds existed have it); round k's adds `:k`.
 */
function unacknowledgedRounds(i: Incident, rb: PolicyRunbook, now: Date): { key: string; dueAt: Date }[] {
  if (!investigating(i) || i.acknowledgedAt) return [];
  const every = Math.max(1, rb.severities[i.severity].respondWithinMs);
  const start = roundsFrom(i).getTime();
  const passed = Math.max(0, Math.floor((now.getTime() - start) / every));
  const base = roundsKey('unacknowledged', i);
  const rounds: { key: string; dueAt: Date }[] = [];
  for (let k = Math.max(1, passed); k <= UNACKNOWLEDGED_ROUNDS; k++)
    rounds.push({ key: k === 1 ? base : `${base}:${k}`, dueAt: new Date(start + k * every) });
  return rounds;
}

/**
 * When paging stops for an incident nobody acknowledges: one response time after its last round of `unacknowledged`
 * (UNACKNOWLEDGED_ROUNDS), counted from the declaration, the reopening or the severity change (roundsFrom), as PagerDuty gives up once an escalation
 * policy's last repeat passes unanswered. Null while someone has acknowledged, once it is no longer investigating, or
 * when the runbook file sets no `unacknowledged` rule (no rounds to run out).
 */
export function pagingStopsAt(i: Incident, rb: PolicyRunbook): Date | null {
  if (!investigating(i) || i.acknowledgedAt || !rb.escalation.rules.unacknowledged) return null;
  return new Date(
    roundsFrom(i).getTime() + (UNACKNOWLEDGED_ROUNDS + 1) * Math.max(1, rb.severities[i.severity].respondWithinMs),
  );
}

/**
 * How paging stops for the incident (see pagingStopsAt): when, after how many rounds, and how long after its opening
 * (the declaration or the reopening): what the card, the channel's notice and the timeline all say. Null as there.
 */
export function pagingStop(i: Incident, rb: PolicyRunbook): { at: Date; rounds: number; afterMs: number } | null {
  const at = pagingStopsAt(i, rb);
  return at ? { at, rounds: UNACKNOWLEDGED_ROUNDS, afterMs: at.getTime() - openedAt(i).getTime() } : null;
}

/** Whether paging has stopped for the incident as it is at `now` (its card says so, and what to do). */
export function pagingStopped(i: Incident, rb: PolicyRunbook, now: Date): { rounds: number; afterMs: number } | null {
  const stop = pagingStop(i, rb);
  return stop && stop.at <= now ? { rounds: stop.rounds, afterMs: stop.afterMs } : null;
}

/** When an RTO bound of `ms` is reached: counted from the declaration, as the card counts it. */
const rtoAt = (i: Incident, ms: number) => new Date(i.createdAt.getTime() + ms);

/** The RTO still counting: until service is restored (mitigated or resolved; see recoveredAt). */
const openRecovery = (i: Incident): RecoveryTime | null => (recoveredAt(i) ? null : i.recovery);

/**
 * The RTO's reminders count again: a procedure with one attached (none or another before), or a mitigation undone
 * (back to Investigating: the service is down again, and the bounds not yet told are told).
 */
const recoveryCountsAgain = (before: Incident, after: Incident): boolean =>
  recoveryAttached(before, after) || (before.status === 'mitigated' && after.status === 'investigating');

/** A procedure with an RTO attached, none or another before: its reminders count again, cancelled or not. */
const recoveryAttached = (before: Incident, after: Incident): boolean => {
  const [a, b] = [before.recovery, after.recovery];
  return b !== null && (a === null || a.playbook !== b.playbook || a.minMs !== b.minMs || a.maxMs !== b.maxMs);
};

/** A reminder of an RTO bound: the notice and the timeline's details, the same for both bounds. */
function rtoReminder(
  bound: 'lower' | 'rto',
): (
  i: Incident,
  playbookTitle: (id: string) => string,
) => { notice: IncidentNotice; details: Record<string, unknown> } {
  return (i, playbookTitle) => {
    const r = i.recovery!;
    const title = playbookTitle(r.playbook);
    const rto = { minMs: r.minMs, maxMs: r.maxMs };
    return {
      notice: { kind: 'recovery_time', bound, commanderId: i.commanderId, playbookTitle: title, ...rto },
      details: { rule: bound === 'lower' ? 'rto_lower_bound' : 'rto_passed', playbook: r.playbook, ...rto },
    };
  };
}

/** The runbook's Escalation Procedures, one row per rule. */
export const RULES = {
  declared: {
    file: { key: 'on_declare', form: 'role' },
    due: (i) => (investigating(i) ? i.createdAt : null),
    reason: (_rb, i) =>
      i.source === 'alert' ? 'an alert from monitoring opened the incident' : 'a new incident was declared',
    unless: () => null,
    movable: false,
    pages: 'roles',
  },
  unresolved: {
    file: { key: 'unresolved', form: 'after' },
    // Mitigated incidents too unless the runbook file says `until: mitigated`: mitigated is not resolved.
    due: (i, rb) => {
      const s = rb.escalation.rules.unresolved;
      const open = investigating(i) || (i.status === 'mitigated' && s?.until !== 'mitigated');
      return open ? after(i, s?.afterMs ?? 0) : null;
    },
    key: (i) => sinceKey('unresolved', i),
    reason: (rb, i) =>
      `it is still not resolved ${describeDuration(rb.escalation.rules.unresolved?.afterMs ?? 0)} after it was ${i.reopenedAt ? 'reopened' : 'declared'}`,
    unless: (rb) =>
      rb.escalation.rules.unresolved?.until === 'mitigated' ? 'mitigated or resolved by then' : 'resolved by then',
    movable: true,
    pages: 'roles',
  },
  unacknowledged: {
    file: { key: 'unacknowledged', form: 'role' },
    due: (i, rb) =>
      investigating(i) && !i.acknowledgedAt
        ? new Date(roundsFrom(i).getTime() + rb.severities[i.severity].respondWithinMs)
        : null,
    rounds: unacknowledgedRounds,
    reason: (rb, i) =>
      `nobody acknowledged within the SEV-${i.severity} response time (${describeDuration(rb.severities[i.severity].respondWithinMs)})`,
    unless: () => 'acknowledged by then',
    movable: true,
    pages: 'role_and_next',
  },
  customer_impact: {
    file: { key: 'customer_impact', form: 'role' },
    due: whileHolds(CUSTOMER_IMPACT),
    condition: CUSTOMER_IMPACT,
    reason: () => 'customer impact was flagged',
    unless: () => null,
    movable: false,
    pages: 'roles',
    onFlag: true,
    flag: () => 'customer_impact',
  },
  critical: {
    file: { key: 'critical', form: 'role' },
    due: whileHolds(SEV0_OR_DATA_LOSS),
    condition: SEV0_OR_DATA_LOSS,
    // The reason that holds as the page goes (both, when both do).
    reason: (_rb, i) =>
      i.severity === 0 && i.dataLossRisk
        ? 'the incident is SEV-0 and at risk of data loss'
        : i.severity === 0
          ? 'the incident is SEV-0'
          : i.dataLossRisk
            ? 'a data-loss risk was flagged'
            : 'the incident is SEV-0 or at risk of data loss',
    unless: () => null,
    movable: false,
    pages: 'roles',
    onFlag: true,
    flag: (i) => (i.dataLossRisk ? 'data_loss' : null),
  },
  data_loss: {
    // "Data loss risk: escalate immediately, involve database team" (critical covers the immediate escalation).
    file: { key: 'data_loss', form: 'role', optional: true },
    due: whileHolds(DATA_LOSS),
    condition: DATA_LOSS,
    reason: () => 'a data-loss risk was flagged',
    unless: () => null,
    movable: false,
    pages: 'roles',
    onFlag: true,
    flag: () => 'data_loss',
  },
  manual: {
    file: null,
    due: () => null,
    // Asked for by a person, while the incident is open: a mitigated one still has its root cause to fix.
    keptWhile: notResolved,
    reason: () => 'someone escalated by hand',
    unless: () => null,
    movable: false,
    pages: 'roles',
  },
  next_update: {
    file: null,
    // The commander is reminded when the promised next update passes with no new update (mitigated incidents too).
    due: (i) => (i.nextUpdateAt && (!i.lastUpdateAt || i.lastUpdateAt < i.nextUpdateAt) ? i.nextUpdateAt : null),
    key: (i) => `next_update:${i.nextUpdateAt?.toISOString()}`,
    reason: () => 'the promised status update is overdue',
    unless: () => null,
    movable: false,
    pages: 'commander',
    remind: (i) => ({
      notice: { kind: 'reminder', commanderId: i.commanderId, nextUpdateAt: i.nextUpdateAt! },
      details: { to: i.commanderId, nextUpdateAt: i.nextUpdateAt },
    }),
  },
  public_next_update: {
    file: null,
    // The status page's promise, when an unpublished update moved the next update away from it: the page still says
    // it, so its passing is said too. (The same time as nextUpdateAt: next_update reminds.) A published update sets
    // the promise anew; resolving or reopening drops it.
    due: (i) =>
      notResolved(i) && i.publicNextUpdateAt && i.publicNextUpdateAt.getTime() !== i.nextUpdateAt?.getTime()
        ? i.publicNextUpdateAt
        : null,
    key: (i) => `public_next_update:${i.publicNextUpdateAt?.toISOString()}`,
    reason: () => 'the status update promised on the status page is overdue',
    unless: () => null,
    movable: false,
    pages: 'commander',
    remind: (i) => ({
      notice: { kind: 'reminder', commanderId: i.commanderId, nextUpdateAt: i.publicNextUpdateAt!, public: true },
      details: { to: i.commanderId, nextUpdateAt: i.publicNextUpdateAt, public: true },
    }),
  },
  rto_lower_bound: {
    file: null,
    // The channel is told when its procedure's RTO range is entered (Disaster Recovery: 2 hours of 2-4) while the
    // service is not restored yet (mitigated is recovered: see recoveredAt). Not for a single-duration RTO, nor once the
    // RTO itself has passed (a bot down over both bounds, or reopened after both): its own reminder says more.
    due: (i, _rb, now) => {
      const r = openRecovery(i);
      if (!r || r.minMs >= r.maxMs || now >= rtoAt(i, r.maxMs)) return null;
      return rtoAt(i, r.minMs);
    },
    reason: () => "the recovery time objective's lower bound passed",
    unless: () => null,
    // Another procedure's RTO (attached first, the first detached) moves it.
    movable: true,
    revivedBy: recoveryCountsAgain,
    pages: 'commander',
    remind: rtoReminder('lower'),
  },
  rto_passed: {
    file: null,
    due: (i) => {
      const r = openRecovery(i);
      return r ? rtoAt(i, r.maxMs) : null;
    },
    reason: () => 'the recovery time objective passed',
    unless: () => null,
    movable: true,
    revivedBy: recoveryCountsAgain,
    pages: 'commander',
    remind: rtoReminder('rto'),
  },
  paging_stopped: {
    file: null,
    // The rounds of nobody acknowledging have run out: the channel, the incidents channel and the timeline are told
    // once for each opening (its key counts from the reopening), so that an unanswered incident does not go silent.
    due: (i, rb) => pagingStopsAt(i, rb),
    key: (i) => roundsKey('paging_stopped', i),
    reason: () => `nobody acknowledged in ${UNACKNOWLEDGED_ROUNDS} rounds of paging`,
    unless: () => 'acknowledged by then',
    movable: true,
    pages: 'commander',
    remind: (i, _title, rb) => {
      const afterMs = pagingStop(i, rb)?.afterMs ?? 0;
      return {
        notice: { kind: 'paging_stopped', rounds: UNACKNOWLEDGED_ROUNDS, afterMs, commanderId: i.commanderId },
        details: { rule: 'paging_stopped', rounds: UNACKNOWLEDGED_ROUNDS, afterMs },
      };
    },
  },
  redraw_pages: {
    file: null,
    // The page DMs still say what the incident was: a severity changed (their subject, response time, Escalate to …),
    // the incident was acknowledged, reopened or resolved (their Acknowledge), or a page went to more roles (their
    // Escalate to …). A timer due at the change, written with it, so that a DM Slack refused (an error, a 429) or one
    // a process stopped before showing is shown again by the timer loop, retried until Slack takes it. Its key names
    // the latest change of the incident it follows (a page of more roles and a person acknowledging their own page
    // write their own: see EscalationService.claim, NotificationService.acknowledgeOwnPage). Each one shows every DM
    // behind as the incident is when it draws, so an older one still pending is kept, resolved or not: it finds
    // nothing left. The resolution's is the one timer a resolved incident keeps (whenResolved).
    due: (i) => redrawnSince(i),
    key: (i) => `redraw_pages@${redrawnSince(i)?.toISOString()}`,
    keptWhile: () => true,
    whenResolved: true,
    reason: () => 'the page direct messages are behind the incident',
    unless: () => null,
    movable: false,
    pages: 'dms',
  },
  redraw_card: {
    file: null,
    // The card after a fired timer (a page, a reminder) could not be shown (Slack refused the update, the database did
    // not answer): nothing else may redraw it for hours, and it would offer Escalate now to a role paged already. A
    // timer written when that refresh fails, retried until the card is shown as the incident is then.
    due: () => null,
    keptWhile: () => true,
    reason: () => 'the card is behind the incident',
    unless: () => null,
    movable: false,
    pages: 'card',
  },
  page_failed: {
    file: null,
    // A paging job given up (giveUpPages) with pages that reached nobody: the card and the timeline say so, and this
    // timer, written in the same statement, tells the channel and the commander once (its key names the job), with
    // what to do. Kept till told, not once the incident is resolved (nobody is to be paged for it then).
    due: () => null,
    keptWhile: (i) => i.status !== 'resolved',
    reason: () => 'a page failed',
    unless: () => null,
    movable: false,
    pages: 'told',
  },
} as const satisfies Record<EscalationRule, RuleDef>;

/** The rules the runbook file sets under `escalation.rules`, with the key and form each is written in. */
export const FILE_RULES = ESCALATION_RULES.flatMap((rule) => {
  const file = (RULES[rule] as RuleDef).file;
  return file ? [{ rule, ...file }] : [];
});

/** The row of a stored job's rule; undefined for a rule this version does not know. */
export function ruleDef(rule: string): RuleDef | undefined {
  return (ESCALATION_RULES as readonly string[]).includes(rule) ? RULES[rule as EscalationRule] : undefined;
}

/** A timer that should exist for an incident in its current state. */
export interface JobSpec {
  key: string;
  rule: EscalationRule;
  role: string | null;
  dueAt: Date;
}

/** Why a page was sent, in words for the channel and the page itself. */
export function ruleReason(rule: string, rb: PolicyRunbook, i: ReasonIncident): string {
  return ruleDef(rule)?.reason(rb, i) ?? `the escalation rule "${rule}" fired`;
}

/** For the card: what stops a pending page ("unless acknowledged by then"), or null when nothing does. */
export function ruleUnless(rule: string, rb: PolicyRunbook): string | null {
  return ruleDef(rule)?.unless(rb) ?? null;
}

/** The role a rule's timer is stored with (the first it pages; shown on the card as "Next: …"). */
function ruleRole(rule: EscalationRule, rb: PolicyRunbook): string | null {
  return rb.escalation.rules[rule]?.roles[0] ?? null;
}

/**
 * The timers an incident should have, derived from its state alone (the runbook's Escalation Procedures). Comparing
 * this with what is stored tells what to add, cancel or move; re-checking it when a timer fires tells whether the
 * reason still holds.
 */
export function desiredJobs(i: Incident, rb: PolicyRunbook, now: Date): JobSpec[] {
  const resolved = i.status === 'resolved';
  const jobs: JobSpec[] = [];
  for (const rule of ESCALATION_RULES) {
    const def: RuleDef = RULES[rule];
    if (resolved && !def.whenResolved) continue;
    if (def.file && !rb.escalation.rules[rule]) continue; // an optional rule the runbook file leaves out
    if (def.rounds) {
      for (const r of def.rounds(i, rb, now)) jobs.push({ ...r, rule, role: ruleRole(rule, rb) });
      continue;
    }
    const dueAt = def.due(i, rb, now);
    if (dueAt) jobs.push({ key: def.key?.(i) ?? rule, rule, role: ruleRole(rule, rb), dueAt });
  }
  return jobs;
}

/** Whether a stored job's reason still holds for the incident as it is now. */
export function stillHolds(job: { key: string; rule: string }, i: Incident, rb: PolicyRunbook, now: Date): boolean {
  const def = ruleDef(job.rule);
  if (!def) return false;
  if (def.keptWhile) return def.keptWhile(i);
  return desiredJobs(i, rb, now).some((d) => d.key === job.key);
}

/**
 * Rules whose timers a claim sets again for the incident as it is then, when one of them fires or is found stale: a
 * rule in rounds sets its next round; a rule whose key changed (a reopening) replaces a timer set under the old one.
 */
export const RESYNCED_RULES: ReadonlySet<string> = new Set(
  ESCALATION_RULES.filter((r) => (RULES[r] as RuleDef).rounds !== undefined || (RULES[r] as RuleDef).key !== undefined),
);

/** Whether a change from `before` to `after` reopens a resolved incident (its cancelled timers and its DMs follow). */
export function reopens(before: Incident, after: Incident): boolean {
  return before.status === 'resolved' && after.status !== 'resolved';
}

/**
 * The rules whose cancelled timers a change from `before` to `after` sets again (when `after` asks for them): every
 * rule's for a change that reopens a resolved incident, else those whose row says so (`revivedBy`).
 */
export function revivedRules(before: Incident, after: Incident): ReadonlySet<string> {
  if (reopens(before, after)) return new Set(ESCALATION_RULES);
  return new Set(ESCALATION_RULES.filter((r) => (RULES[r] as RuleDef).revivedBy?.(before, after) ?? false));
}

/** Rules whose due time follows the incident (severity changes move it); the others keep the time they were set. */
export const MOVABLE_RULES: ReadonlySet<string> = new Set(ESCALATION_RULES.filter((r) => RULES[r].movable));

/** Rules that remind the commander instead of paging anyone (not shown as "Next" on the card). */
export const REMINDER_RULES: readonly string[] = ESCALATION_RULES.filter((r) => RULES[r].pages === 'commander');

/** Rules whose timers page nobody (reminders, redraws of page DMs or of the card): never the card's "Next". */
export const PAGING_NOBODY_RULES: readonly string[] = ESCALATION_RULES.filter(
  (r) =>
    RULES[r].pages === 'commander' ||
    RULES[r].pages === 'dms' ||
    RULES[r].pages === 'card' ||
    RULES[r].pages === 'told',
);

/** Whether a fired job tells the channel and the commander that a page given up reached nobody (see RuleDef.pages). */
export function tellsPageFailed(rule: string): boolean {
  return ruleDef(rule)?.pages === 'told';
}

/** Whether a fired job shows the page DMs again as the incident is now (see RuleDef.pages). */
export function redrawsPages(rule: string): boolean {
  return ruleDef(rule)?.pages === 'dms';
}

/** Whether a fired job shows the incident's card again as the incident is now (see RuleDef.pages). */
export function redrawsCard(rule: string): boolean {
  return ruleDef(rule)?.pages === 'card';
}

/** Made-by-hand rules whose pending timers the incident, as it is now, keeps although its state does not ask for them. */
export function keptByHand(i: Incident): ReadonlySet<string> {
  return new Set(ESCALATION_RULES.filter((r) => (RULES[r] as RuleDef).keptWhile?.(i) ?? false));
}

/** Whether a fired job reminds the commander instead of paging. */
export function remindsCommander(rule: string): boolean {
  return ruleDef(rule)?.pages === 'commander';
}

/**
 * The roles a firing job pages, for the incident `i` as it is now. `unacknowledged` pages its role again together with
 * the next role in the contact order that has not been paged yet and that the runbook's conditions let it climb to
 * (climbConditions: the engineering manager for customer impact, the CTO for SEV-0 or a data-loss risk); its role
 * alone when there is none, or when `alone` (every alert of an incident opened from alerts has resolved, and nobody
 * further up is woken for what monitoring no longer sees). A rule paging on a flag leaves out the roles paged
 * `recently` (RECENT_PAGE_MS).
 */
export function rolesToPage(
  job: { rule: string; role: string | null },
  rb: PolicyRunbook,
  i: ConditionIncident,
  pagedRoles: ReadonlySet<string>,
  { recently = new Set<string>(), alone = false }: { recently?: ReadonlySet<string>; alone?: boolean } = {},
): string[] {
  const def: RuleDef | undefined = ruleDef(job.rule);
  if (!def || def.pages === 'commander' || def.pages === 'dms' || def.pages === 'card' || def.pages === 'told')
    return [];
  if (!job.role) return [];
  if (def.pages === 'roles') {
    const roles = rb.escalation.rules[job.rule as EscalationRule]?.roles ?? [job.role];
    return def.onFlag ? roles.filter((r) => !recently.has(r)) : [...roles];
  }
  if (alone) return [job.role];
  const next = rolesAbove(job.role, rb, pagedRoles).find((r) => mayClimbTo(r, rb, i));
  return next ? [job.role, next] : [job.role];
}

/** The roles after `role` in the contact order not paged yet, in order. */
function rolesAbove(role: string, rb: PolicyRunbook, pagedRoles: ReadonlySet<string>): string[] {
  const { order } = rb.escalation;
  return order.slice(order.indexOf(role) + 1).filter((r) => !pagedRoles.has(r));
}

/**
 * The conditions on which the runbook file pages `role`, when only rules with one (RuleDef.condition) name it
 * (`customer_impact: engineering_manager`, `critical: [senior_devops, cto]`): the CTO's "SEV-0 or a data-loss risk".
 * Null when a rule without one names it too (senior DevOps, paged by `unresolved` after 30 minutes) or no rule does:
 * a round of nobody acknowledging climbs to it whatever the incident.
 */
export function climbConditions(role: string, rb: PolicyRunbook): RuleCondition[] | null {
  const conditions: RuleCondition[] = [];
  for (const rule of ESCALATION_RULES) {
    if (!rb.escalation.rules[rule]?.roles.includes(role)) continue;
    const c = (RULES[rule] as RuleDef).condition;
    if (!c) return null;
    if (!conditions.includes(c)) conditions.push(c);
  }
  return conditions.length ? conditions : null;
}

/** Whether a round of nobody acknowledging may page `role` for the incident as it is now (see climbConditions). */
export function mayClimbTo(role: string, rb: PolicyRunbook, i: ConditionIncident): boolean {
  const conditions = climbConditions(role, rb);
  return !conditions || conditions.some((c) => c.holds(i));
}

/**
 * A round of nobody acknowledging that pages its role alone because no role left above it in the contact order may be
 * climbed to (rolesToPage): those roles, each with the conditions the runbook pages it on, none of which holds; empty
 * for any other job, a round that climbs, one with nobody left to climb to, and one paging alone for `alone`.
 */
export function climbHeld(
  job: { rule: string; role: string | null },
  rb: PolicyRunbook,
  i: ConditionIncident,
  pagedRoles: ReadonlySet<string>,
  alone = false,
): { role: string; when: string[] }[] {
  if (ruleDef(job.rule)?.pages !== 'role_and_next' || !job.role || alone) return [];
  const above = rolesAbove(job.role, rb, pagedRoles);
  if (above.some((r) => mayClimbTo(r, rb, i))) return [];
  return above.map((role) => ({ role, when: (climbConditions(role, rb) ?? []).map((c) => c.says) }));
}

/**
 * A page of one person named by hand (`/incident page @dana`), not of a role: its role, where pages and their timers
 * keep one, is `person:<Slack user id>:<their name when paged>`, so that what shows the page (the card, the timeline,
 * the post-mortem) names them without asking Slack, and no role of the runbook can be mistaken for it.
 */
const PERSON_ROLE = /^person:([UW][A-Z0-9]{2,}):(.*)$/s;

export function personRole(userId: string, name: string): string {
  const clean = name
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .trim()
    .slice(0, 80);
  return `person:${userId}:${clean || userId}`;
}

/** The person a page by name went to; null for a role's page. */
export function pagedPerson(role: string | null | undefined): { userId: string; name: string } | null {
  const m = role ? PERSON_ROLE.exec(role) : null;
  return m ? { userId: m[1]!, name: m[2]! } : null;
}

/** `{ byName: true }` for a page by name, else nothing: what the objects that show a page carry to say so. */
export const byNameOf = (role: string | null | undefined): { byName?: true } =>
  pagedPerson(role) ? { byName: true } : {};

/** What a page's role is called: the runbook role's name, or the person's name for a page by name. */
export function roleLabel(roles: Readonly<Record<string, { name: string }>>, role: string): string {
  return pagedPerson(role)?.name ?? roles[role]?.name ?? role;
}

/** A role as typed, compared loosely: case, spaces, dashes and underscores aside (`Senior DevOps`, `senior-devops`). */
export const roleSlug = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '_');

/**
 * The role a person named (`/incident escalate cto`): by its id or name; else the one role whose id or name holds
 * what was typed (`devops`, `database`). Several: which they are, to choose from; none: nothing.
 */
export function roleNamed(
  roles: Readonly<Record<string, { id: string; name: string }>>,
  typed: string,
): { kind: 'found'; role: string } | { kind: 'several'; roles: string[] } | { kind: 'none' } {
  // `@database-team`: typed as a Slack handle, out of habit.
  const want = roleSlug(typed.trim().replace(/^@/, ''));
  const all = Object.values(roles);
  const exact = all.find((r) => roleSlug(r.id) === want || roleSlug(r.name) === want);
  if (exact) return { kind: 'found', role: exact.id };
  const part = want
    ? all.filter((r) => roleSlug(r.id).includes(want) || roleSlug(r.name).includes(want)).map((r) => r.id)
    : [];
  if (part.length === 1) return { kind: 'found', role: part[0]! };
  return part.length ? { kind: 'several', roles: part } : { kind: 'none' };
}

/**
 * The next role in the contact order that has not been paged, for "Escalate now" (the card's button, the command and
 * a page DM's Escalate to … all): one whose people on call are all on the incident already (`onIt`: its commander, or
 * who acknowledged it) is passed over, paging them would tell them what they know (after a reopening, on-call being
 * the commander); when every role left is such a one, the first of them. `after`: only the roles after it in the
 * contact order (a page of that role offers them); none when it is not in the order.
 */
export function nextRoleToPage(
  rb: PolicyRunbook,
  pagedRoles: ReadonlySet<string>,
  onIt: (role: string) => boolean = () => false,
  after?: string,
): string | null {
  const { order } = rb.escalation;
  if (after !== undefined && !order.includes(after)) return null;
  const from = after === undefined ? order : order.slice(order.indexOf(after) + 1);
  const left = from.filter((r) => !pagedRoles.has(r));
  return left.find((r) => !onIt(r)) ?? left[0] ?? null;
}
