import type { ActionItem } from '../incidents/action-items.js';
import { pagedPerson } from '../incidents/escalation-policy.js';
import type { PostmortemRecord } from '../incidents/postmortem.js';
import { recovery } from '../incidents/recovery-objectives.js';
import { type Severity, severityLabel } from '../incidents/severity.js';
import {
  type IncidentEvent,
  type IncidentEventKind,
  type IncidentPhase,
  PHASE_LABELS,
  type RecoveryTime,
  STATUS_LABELS,
} from '../incidents/types.js';
import { markdownText } from '../ops/value-forms.js';
import { describeDuration } from '../runbook/duration.js';
import { foundOfRecord, foundSummary } from '../runbook/look-for.js';
import { ROLLBACK, ROLLBACK_STEPS } from '../runbook/rollback-playbook.js';
import type { Runbook } from '../runbook/runbook.js';
import { climbHeldWords, heldOf } from './climb-held.js';
import { span as rtoSpan, rtoStanding } from './incident-card.js';
import { inertLinks } from './inert-links.js';
import { unreachableMeaning } from './never-reached.js';
import { recordedState } from './run-killed.js';
import { humanDuration } from './text.js';
import {
  cameBack,
  closedWhy,
  nextUpdateOf,
  notDoneOf,
  pageFailedRoles,
  rollbackVerifiedWords,
  rtoPassed,
  runbookNames,
  stepLabel,
} from './timeline.js';

/** What the document needs beyond the record: names for runbook ids, and the mask every shown text goes through. */
export interface MarkdownContext {
  /** Escalation role names by id (`on_call` -> "On-Call Engineer"). */
  roles: ReadonlyMap<string, string>;
  /** Playbook titles by id. */
  playbooks: ReadonlyMap<string, string>;
  /** The section names of the playbooks that name theirs, by id (`sections` in the runbook file). */
  sections?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Masks secrets in text: commands, outputs and whatever people typed (src/ops/redact.ts). */
  mask: (text: string) => string;
}

type Details = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const isSeverity = (v: unknown): v is Severity => v === 0 || v === 1 || v === 2 || v === 3;

/** "2026-11-27 23:14:05" (UTC, to the second: the timeline's time column). */
export function utcSeconds(d: Date): string {
  return d.toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * An alert's own time (its source's start or end, kept in the event), beside the time the bot recorded the event: ` at
 * 2026-11-27 23:12:40 UTC (its source's time)`; nothing when the source gave none.
 */
function sourceTime(iso: unknown): string {
  const t = typeof iso === 'string' ? new Date(iso) : null;
  return t && !Number.isNaN(t.getTime()) ? ` at ${utcSeconds(t)} UTC (its source's time)` : '';
}

/**
 * The first alert of the incident to fire, by its source's own time, when that was before the incident was declared:
 * how long monitoring saw the trouble before the incident opened (the post-mortem's time to detect). None without an
 * alert that says when it started before then (one that joined later, a generic alert, which gives no start).
 */
function firstAlertBefore(events: readonly IncidentEvent[], declared: Date): { at: Date; name: string } | null {
  // Each alert's firing as the timeline has it, by alert; one taken out of the incident since (added by mistake) is
  // not its detection.
  const fired = new Map<unknown, { at: Date; name: string; info: boolean }>();
  for (const e of events) {
    if (e.kind === 'note' && Array.isArray(e.details.alertsTakenOut)) {
      for (const id of e.details.alertsTakenOut) fired.delete(id);
      continue;
    }
    if (e.kind !== 'alert_fired' || typeof e.details.startsAt !== 'string') continue;
    const at = new Date(e.details.startsAt);
    if (Number.isNaN(at.getTime()) || at >= declared) continue;
    const key = e.details.alert ?? e.id;
    const seen = fired.get(key);
    if (!seen || at < seen.at) fired.set(key, { at, name: str(e.details.name), info: e.details.level === 'info' });
  }
  // Info alerts are recorded only: a pod restarting 20 minutes before the outage is not when it was detected (unless
  // nothing else fired).
  const all = [...fired.values()];
  const pressing = all.some((f) => !f.info) ? all.filter((f) => !f.info) : all;
  let first: { at: Date; name: string } | null = null;
  for (const f of pressing) if (!first || f.at < first.at) first = { at: f.at, name: f.name };
  return first;
}

/** No raw HTML in Markdown (see markdownText, which known-value masking reads documents by). */
const noHtml = markdownText;

/** Text safe in Markdown: no raw HTML, no link but to http(s) or mailto, masked. */
function inline(text: string, mask: (t: string) => string): string {
  return inertLinks(noHtml(mask(text)));
}

/** Text for one table cell: one line, `|` escaped (links made inert last: their escapes are not to be doubled). */
function cell(text: string, mask: (t: string) => string): string {
  return inertLinks(noHtml(mask(text)).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').trim());
}

/** Code in a table cell: backticks cannot be escaped inside a code span, so they become quotes. */
function code(text: string, mask: (t: string) => string): string {
  const masked = mask(text).replace(/`/g, "'").replace(/\r?\n/g, ' ');
  return `\`${masked.replace(/\|/g, '\\|')}\``;
}

/** A fence line (` ``` ` or `~~~`, a backtick fence's info without backticks), as CommonMark reads one. */
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/**
 * What people wrote, as Markdown that stays inside its section: their lists, emphasis and code blocks are kept, but a
 * line that would start a heading (`# …`, or a line underlined with `---` or `===`) is escaped, and a code block left
 * open is closed at its end, so that nothing they write makes a section of its own or swallows the ones after it.
 * Each line break they typed is kept (a single newline is no break in Markdown). Outside code, no raw HTML and no
 * link but to http(s) or mailto (see inertLinks); inside a code block, the text as written (a code block shows HTML as
 * text). `lead`: the text begins after a label on its line, where a fence or a heading cannot start.
 */
function prose(text: string, mask: (t: string) => string, lead = ''): string {
  const lines = mask(text.trim()).split(/\r?\n/);
  const out: string[] = [];
  let fence: { ch: string; n: number } | null = null;
  for (const [n, line] of lines.entries()) {
    if (fence) {
      const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line)?.[1];
      if (close && close[0] === fence.ch && close.length >= fence.n) fence = null;
      out.push(line);
      continue;
    }
    const atStart = n > 0 || !lead;
    const open = atStart ? FENCE.exec(line) : null;
    if (open && !(open[1]!.startsWith('`') && open[2]!.includes('`'))) {
      fence = { ch: open[1]![0]!, n: open[1]!.length };
      out.push(noHtml(line));
      continue;
    }
    let safe = inertLinks(noHtml(line));
    // A heading, or a line that would make the one above it a heading: its first mark escaped, so it reads as text.
    if (atStart && (/^ {0,3}#{1,6}(?:[ \t]|$)/.test(safe) || /^ {0,3}(?:=+|-+)[ \t]*$/.test(safe))) {
      safe = safe.replace(/^( {0,3})/, '$1\\');
    }
    // A line break as typed: two spaces end a line that text follows (not a blank one, not one before a fence).
    const next = lines[n + 1];
    out.push(next?.trim() && !FENCE.test(next) && safe.trim() ? `${safe}  ` : safe);
  }
  if (fence) out.push(fence.ch.repeat(fence.n));
  return lead + out.join('\n');
}

/** What people wrote (see `prose`), or a note that nothing was. */
function paragraph(text: string, mask: (t: string) => string, empty = '_None given._', lead = ''): string {
  return text.trim() ? prose(text, mask, lead) : `${lead}${empty}`;
}

function sevName(s: unknown, r: PostmortemRecord): string {
  return isSeverity(s) ? `${severityLabel(s)} (${r.severities[s].name})` : String(s);
}

function durationMs(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** "succeeded, exit 0, 1.2 s" */
function outcome(d: Details): string {
  return [
    recordedState(d.state, d.signal) || 'unknown',
    typeof d.exitCode === 'number' ? `exit ${d.exitCode}` : '',
    durationMs(d.durationMs),
  ]
    .filter(Boolean)
    .join(', ');
}

interface Ctx {
  r: PostmortemRecord;
  c: MarkdownContext;
  who: (id: unknown) => string;
}

/** A role by its runbook name; the person, for a page by name. */
const role = (ctx: Ctx, id: unknown) => {
  const person = pagedPerson(str(id));
  return person ? ctx.who(person.userId) : (ctx.c.roles.get(str(id)) ?? str(id));
};

/** "step 3 (Restart the pool) of Database Connection Failures", from a checklist event's details. */
function checklistStep(d: Details, x: Ctx): string {
  const title = str(d.title) || x.c.playbooks.get(str(d.playbook)) || str(d.playbook);
  return `step ${cell(stepLabel(d, x.c.sections), x.c.mask)} (${cell(str(d.text), x.c.mask)}) of ${cell(title, x.c.mask)}`;
}

const methodName = (via: unknown) => (via === 'pagerduty' ? 'PagerDuty' : via === 'email' ? 'email' : 'Slack');

/** A later step of a page that reached someone, or PagerDuty taking an acknowledge or resolve. */
function notifiedLine(d: Details, x: Ctx): string {
  if (d.action === 'acknowledge' || d.action === 'resolve')
    return `Sent PagerDuty ${str(d.action)} for ${role(x, d.role)}`;
  return `Notified ${role(x, d.role)}${typeof d.userId === 'string' ? ` (${x.who(d.userId)})` : ''} by ${methodName(d.via)}`;
}

/** What each kind of event says in the timeline's "What" column. A new kind does not compile without its line. */
const WHAT: { [K in IncidentEventKind]: (d: Details, x: Ctx, actorId: string | null) => string } = {
  declared: (d, x) => `Declared ${sevName(d.severity, x.r)}: ${cell(str(d.title), x.c.mask)}`,
  channel_created: (d) => `Channel #${str(d.channelName)} created`,
  severity_changed: (d, x) => `Severity ${sevName(d.from, x.r)} → ${sevName(d.to, x.r)}`,
  acknowledged: () => 'Acknowledged and became commander',
  command_taken: (d, x) => `Took command${typeof d.from === 'string' ? ` from ${x.who(d.from)}` : ''}`,
  // Handed to oneself (`/incident commander @me`): taking command, as the timeline says.
  command_handed: (d, x, actorId) =>
    d.to === actorId
      ? `Took command${typeof d.from === 'string' ? ` from ${x.who(d.from)}` : ''}`
      : `Handed command to ${x.who(String(d.to))}${typeof d.from === 'string' ? ` (from ${x.who(d.from)})` : ''}`,
  status_update: (d, x) => {
    const status = STATUS_LABELS[d.status as keyof typeof STATUS_LABELS] ?? str(d.status);
    const next = nextUpdateOf(d);
    const parts = [
      str(d.currentStatus) && cell(str(d.currentStatus), x.c.mask),
      str(d.affected) && `affected: ${cell(str(d.affected), x.c.mask)}`,
      str(d.currentImpact) && `impact: ${cell(str(d.currentImpact), x.c.mask)}`,
      d.customerImpact === true ? 'customer impact' : '',
      d.dataLossRisk === true ? 'data-loss risk' : '',
      // What users were told is reviewed from here: the next update promised and the steps announced with it.
      next ? `next update promised ${utcSeconds(next).slice(0, 16)} UTC` : '',
      str(d.mitigationSteps).trim() && `mitigation steps: ${cell(str(d.mitigationSteps), x.c.mask)}`,
    ].filter(Boolean);
    const published =
      d.publish === true ? ', published to the status page' : d.publish === false ? ', not published' : '';
    return `Status update (${status})${published}${parts.length ? `: ${parts.join('; ')}` : ''}`;
  },
  mitigated: (d, x) => `Marked mitigated${str(d.how) ? `: ${cell(str(d.how), x.c.mask)}` : ''}`,
  resolved: (d, x) => `Resolved: ${cell(str(d.summary), x.c.mask)}`,
  reopened: (d, x) => `Reopened${str(d.why) ? `: ${cell(str(d.why), x.c.mask)}` : ''}`,
  phase_changed: (d) =>
    `Phase ${PHASE_LABELS[d.from as IncidentPhase] ?? str(d.from)} → ${PHASE_LABELS[d.to as IncidentPhase] ?? str(d.to)}`,
  renamed: (d, x) => `Renamed from ${cell(str(d.from), x.c.mask)} to ${cell(str(d.to), x.c.mask)}`,
  flag_set: (d, x) =>
    `${d.flag === 'data_loss_risk' ? 'Flagged a data-loss risk' : 'Flagged customer impact'}${str(d.what) ? `: ${cell(str(d.what), x.c.mask)}` : ''}`,
  paged: (d, x) => {
    const reached = strs(d.userIds).map(x.who);
    const byName = pagedPerson(str(d.role)) !== null;
    // Whom Slack said cannot be messaged at all, each with its answer and what it means (user_not_found: no such
    // Slack user …): the contacts to fix.
    const errors = Array.isArray(d.unreachableErrors) ? d.unreachableErrors : [];
    const unreachable = strs(d.unreachable).map((u, i) => {
      const e = errors[i];
      return typeof e === 'string' && e ? `${u} (${cell(unreachableMeaning(e, byName), x.c.mask)})` : u;
    });
    const missed = [...unreachable, ...strs(d.missed).map(x.who)];
    // A person paged by name: named once.
    if (byName)
      return `Paged ${cell(role(x, d.role), x.c.mask)} by name${reached.length ? '' : ` (not reached${unreachable.length ? `: ${unreachable.join(', ')}` : ''})`} because ${cell(str(d.reason), x.c.mask)}`;
    return `Paged ${cell(role(x, d.role), x.c.mask)} (${reached.length ? reached.join(', ') : 'nobody reached'}) because ${cell(str(d.reason), x.c.mask)}${missed.length ? `; could not reach ${missed.join(', ')}` : ''}`;
  },
  page_skipped: (d, x) => `Could not page ${cell(role(x, d.role), x.c.mask)}: ${cell(str(d.reason), x.c.mask)}`,
  page_failed: (d, x) => {
    const { roles, same } = pageFailedRoles(d);
    if (same !== null)
      return `Could not page ${roles
        .map((r) => cell(role(x, r.role), x.c.mask))
        .join(', ')}: its direct messages failed try after try, so the bot stopped trying (${cell(same, x.c.mask)})`;
    return `Could not page ${roles
      .map((r) => `${cell(role(x, r.role), x.c.mask)} (${cell(r.error, x.c.mask)})`)
      .join(', ')}: their direct messages failed try after try, so the bot stopped trying`;
  },
  page_held: (d, x) =>
    `Did not page ${strs(d.roles)
      .map((r) => cell(role(x, r), x.c.mask))
      .join(', ')} again (paged moments before): ${cell(str(d.reason), x.c.mask)}`,
  climb_held: (d, x) =>
    `Paged ${cell(role(x, d.role), x.c.mask)} again, and nobody further up: the runbook pages ${climbHeldWords(
      heldOf(d).map((h) => ({ name: cell(role(x, h.role), x.c.mask), when: h.when.map((w) => cell(w, x.c.mask)) })),
    )}`,
  escalation_requested: (d, x) =>
    pagedPerson(str(d.role))
      ? `Asked for a page of ${cell(role(x, d.role), x.c.mask)} by name`
      : `Escalated to ${cell(role(x, d.role), x.c.mask)}`,
  reminder_sent: (d, x) =>
    d.rule === 'paging_stopped'
      ? `Paging stopped after ${typeof d.rounds === 'number' ? d.rounds : 'its'} rounds: nobody acknowledged in ${describeDuration(typeof d.afterMs === 'number' ? d.afterMs : 0)}`
      : `Reminded the commander that ${rtoPassed(d, (e) => cell(x.c.playbooks.get(str(e.playbook)) ?? str(e.playbook), x.c.mask)) ?? 'a status update was due'}`,
  playbook_attached: (d, x) => {
    const title = x.c.playbooks.get(str(d.playbook)) ?? str(d.playbook);
    return `${d.suggested === true ? 'Suggested' : 'Attached'} the playbook ${cell(title, x.c.mask)}`;
  },
  step_run: (d, x) => {
    const target = code(strs(d.target).join(' '), x.c.mask);
    if (d.playbook === ROLLBACK.id && d.step === ROLLBACK_STEPS.rollback)
      return `Rolled back: ${target}, ${outcome(d)}`;
    if (d.playbook === ROLLBACK.id && (ROLLBACK_STEPS.verify as readonly string[]).includes(str(d.step)))
      return `Post-deployment check ${target}: ${outcome(d)}`;
    const title = x.c.playbooks.get(str(d.playbook)) ?? str(d.playbook);
    const n = notDoneOf(d);
    const anyway = n
      ? `; run with ${n.count} required ${n.count === 1 ? 'step' : 'steps'} not done: ${cell(n.steps, x.c.mask)}`
      : '';
    const f = foundOfRecord(d);
    const found = f ? `; ${cell(foundSummary(f), x.c.mask)}` : '';
    return `Ran ${target} (${cell(title, x.c.mask)}, step ${cell(stepLabel(d, x.c.sections), x.c.mask)}): ${outcome(d)}${found}${anyway}${cameBack(d).replace(/^ — /, '; ')}`;
  },
  rollback_verified: (d, x) =>
    `Rollback ${rollbackVerifiedWords(
      d,
      (t) => code(t, x.c.mask),
      (t) => cell(t, x.c.mask),
    )}`,
  step_refused: (d, x) =>
    `Refused ${code(strs(d.target).join(' '), x.c.mask)}: ${cell(str(d.refusal) || str(d.reason), x.c.mask)}`,
  approval_requested: (d, x) => `Asked for approval to run ${code(strs(d.target).join(' '), x.c.mask)}`,
  approval_decided: (d, x) =>
    `${d.state === 'approved' ? 'Approved' : d.withdrawn === true ? 'Withdrew' : 'Denied'} request #${String(d.approval)}${str(d.reason) ? `: ${cell(str(d.reason), x.c.mask)}` : ''}`,
  approval_closed: (d, x, actorId) =>
    `Closed approval request #${String(d.approval)} for ${checklistStep(d, x)}: ${closedWhy(
      d,
      (t) => cell(t, x.c.mask),
      actorId ? x.who(actorId) : 'someone',
    )}`,
  step_done: (d, x) => `Checked off ${checklistStep(d, x)}`,
  step_skipped: (d, x) => `Skipped ${checklistStep(d, x)}: ${cell(str(d.reason), x.c.mask)}`,
  step_undone: (d, x) => `Undid ${d.undid === 'skipped' ? 'the skip of' : 'the check of'} ${checklistStep(d, x)}`,
  playbook_detached: (d, x) =>
    `Detached the playbook ${cell(x.c.playbooks.get(str(d.playbook)) ?? str(d.playbook), x.c.mask)}`,
  alert_fired: (d, x) =>
    `Alert ${cell(str(d.name), x.c.mask)}${typeof d.where === 'string' ? ` on ${cell(d.where, x.c.mask)}` : ''} (${cell(str(d.level), x.c.mask)}) fired${sourceTime(d.startsAt)}: ${cell(str(d.summary), x.c.mask)}`,
  raise_offered: (d, x) =>
    `Offered to raise the severity to ${sevName(d.severity, x.r)}: critical ${strs(d.alerts).length === 1 ? 'alert' : 'alerts'} ${strs(
      d.alerts,
    )
      .map((n) => cell(n, x.c.mask))
      .join(', ')} joined`,
  alert_resolved: (d, x) =>
    `Alert ${cell(str(d.name), x.c.mask)}${typeof d.where === 'string' ? ` on ${cell(d.where, x.c.mask)}` : ''} resolved${sourceTime(d.endsAt)}${str(d.summary) ? `: ${cell(str(d.summary), x.c.mask)}` : ''}`,
  notified: (d, x) => notifiedLine(d, x),
  notify_failed: (d, x) =>
    `${d.skipped ? 'Could not use' : 'Failed'} ${methodName(d.via)}${d.action !== 'notify' ? ` ${str(d.action)}` : ''} for ${role(x, d.role)}${typeof d.userId === 'string' ? ` (${x.who(d.userId)})` : ''}: ${cell(str(d.detail), x.c.mask)}`,
  pagerduty_acknowledged: (d, x) =>
    `Acknowledged in PagerDuty by ${cell(str(d.name), x.c.mask)}${typeof d.userId === 'string' ? ` (${x.who(d.userId)})` : ''} for ${role(x, d.role)}`,
  page_acknowledged: (d, x) =>
    `Acknowledged the page${Array.isArray(d.roleNames) ? ` (${d.roleNames.map((r) => cell(str(r), x.c.mask)).join(', ')})` : ''}: its remaining notifications stopped`,
  pagerduty_resolved: (d, x) => `Resolved in PagerDuty by ${cell(str(d.name), x.c.mask)} for ${role(x, d.role)}`,
  made_public: () => 'Made the private incident public (announced and listed from then on)',
  joined: () => 'Joined the channel (Join button)',
  member_added: (d, x) =>
    d.why === 'approver' && typeof d.userId === 'string'
      ? `Added ${x.who(d.userId)} to the channel to ${d.decision === 'deny' ? 'deny' : 'approve'} ${checklistStep(d, x)}`
      : `Let ${typeof d.userId === 'string' ? x.who(d.userId) : 'someone'} into the channel${d.why === 'action_item_owner' ? ' (owner of an action item)' : ''}`,
  channel_archived: () => "Archived the incident's channel in Slack while the incident was open",
  channel_unarchived: () => "Unarchived the incident's channel",
  note: (d, x) =>
    d.source === 'message'
      ? `${typeof d.author === 'string' ? `${x.who(d.author)}: ` : ''}${cell(str(d.text), x.c.mask)}`
      : `Note: ${cell(str(d.text), x.c.mask)}`,
  action_item_added: (d, x) => {
    const extra = [
      typeof d.owner === 'string' ? `owner ${x.who(d.owner)}` : '',
      typeof d.dueAt === 'string' ? `due ${utcSeconds(new Date(d.dueAt))}` : '',
    ].filter(Boolean);
    return `Added action item: ${cell(str(d.text), x.c.mask)}${extra.length ? ` (${extra.join(', ')})` : ''}`;
  },
  action_item_closed: (d, x) => `Closed action item: ${cell(str(d.text), x.c.mask)}`,
  action_items_completed: (d) => `Every action item is done (${String(d.count ?? '')})`,
  action_item_reminded: (d, x) =>
    `Reminded ${typeof d.owner === 'string' ? x.who(d.owner) : 'the channel'} that an action item is due: ${cell(str(d.text), x.c.mask)}`,
  postmortem_written: (d) => `Wrote the post-mortem (version ${String(d.version)})`,
};

/** The "What" of any event; a kind this version does not know (written by a newer one) shows its details. */
export function describeEventMarkdown(e: IncidentEvent, x: Ctx): string {
  const line = WHAT[e.kind];
  if (line) return line(e.details, x, e.actorId);
  return `${cell(String(e.kind), x.c.mask)}: ${cell(JSON.stringify(e.details), x.c.mask)}`;
}

const table = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

/** The person a flag was first raised by: the flag command, or the status update that set it. */
function flaggedBy(events: IncidentEvent[], flag: 'customer_impact' | 'data_loss_risk'): IncidentEvent | undefined {
  const field = flag === 'customer_impact' ? 'customerImpact' : 'dataLossRisk';
  return events.find(
    (e) =>
      (e.kind === 'flag_set' && e.details.flag === flag) || (e.kind === 'status_update' && e.details[field] === true),
  );
}

function itemRows(items: ActionItem[], x: Ctx): string[][] {
  return items.map((it, n) => [
    String(n + 1),
    cell(it.text, x.c.mask),
    it.ownerId ? x.who(it.ownerId) : '_nobody_',
    it.dueAt ? utcSeconds(it.dueAt) : '',
    it.state === 'done'
      ? `done${it.closedAt ? ` ${utcSeconds(it.closedAt)}` : ''}${it.closedBy ? ` by ${x.who(it.closedBy)}` : ''}`
      : 'open',
  ]);
}

/**
 * The recovery time objective of the incident's procedure against the time to recover (to mitigation, or resolution
 * when it was not mitigated first: see recoveredAt), as the card says it: within it, past its lower bound, or past it
 * and by how long; not recovered yet, by when it is due.
 */
function recoveryLine(i: PostmortemRecord['incident'], r: RecoveryTime, c: MarkdownContext): string {
  const title = cell(c.playbooks.get(r.playbook) ?? r.playbook, c.mask);
  const head = `Recovery time objective of ${title}: RTO ${rtoSpan(r.minMs, r.maxMs)}`;
  const recovered = recovery(i);
  const { state: standing, due } = rtoStanding(i.createdAt, recovered?.at ?? i.createdAt, r);
  if (!recovered) return `${head}; not recovered yet, due ${utcSeconds(due)} UTC.`;
  const state =
    standing === 'past'
      ? `past the RTO by ${humanDuration(due, recovered.at)}`
      : standing === 'past_lower'
        ? 'past its lower bound, within the RTO'
        : 'within the RTO';
  return `${head}; recovered (${recovered.by}) after ${humanDuration(i.createdAt, recovered.at)}: ${state}.`;
}

/**
 * The post-mortem document, in Markdown, from the record: summary; severity and every change; impact; time to
 * acknowledge, mitigate and resolve; the timeline (every recorded event, time in UTC, who, what); root cause and
 * factors; what went well and badly; the runbook; action items with owners and due dates; the runbook's post-mortem
 * checklist, each item ticked or not. Everything shown goes through `mask`. Pure.
 */
export function renderPostmortemMarkdown(r: PostmortemRecord, c: MarkdownContext): string {
  const { incident: i, events, answers: a } = r;
  const who = (id: unknown): string => {
    if (typeof id !== 'string' || !id) return 'the bot';
    const name = r.names.get(id);
    return name ? `${cell(name, c.mask)} (${id})` : id;
  };
  const x: Ctx = { r, c, who };
  const out: string[] = [];
  // Blocks apart by a blank line: a line right under a table would be read as one more row of it.
  const push = (...blocks: string[]) => out.push(blocks.join('\n\n'), '');

  push(
    `# Post-mortem: incident #${i.number} — ${inline(i.title, c.mask)}`,
    `Version ${r.version} · written by ${who(r.writtenBy)} · ${utcSeconds(r.writtenAt)} UTC`,
  );

  // Summary. Declared when its timeline says (the incident's row is made a moment before), the same time throughout.
  const declared = events.find((e) => e.kind === 'declared');
  const declaredAt = declared?.at ?? i.createdAt;
  const resolvedLine = i.resolvedAt
    ? `resolved ${utcSeconds(i.resolvedAt)} UTC by ${who(i.resolvedBy)}, after ${humanDuration(declaredAt, i.resolvedAt)}`
    : `not resolved yet (${STATUS_LABELS[i.status].toLowerCase()})`;
  const description = events.find((e) => e.kind === 'note' && e.details.source === 'declaration');
  // Opened from alerts: from which monitoring, as the card's "Reported by" says.
  const sources = [
    ...new Set(
      events.flatMap((e) => (e.kind === 'alert_fired' && str(e.details.source) ? [str(e.details.source)] : [])),
    ),
  ];
  const named =
    sources.length > 1 ? `${sources.slice(0, -1).join(', ')} and ${sources.at(-1)}` : (sources[0] ?? 'monitoring');
  const fromAlerts = i.source === 'alert' ? ` from ${inline(named, c.mask)} alerts` : '';
  push(
    '## Summary',
    `${sevName(i.severity, r)} incident, declared ${utcSeconds(declaredAt)} UTC by ${who(i.reporterId)}${fromAlerts}, ${resolvedLine}. Commander: ${i.commanderId ? who(i.commanderId) : 'nobody took command'}.`,
  );
  if (description) push(paragraph(str(description.details.text), c.mask, undefined, 'Description: '));
  if (i.resolutionSummary) push(paragraph(i.resolutionSummary, c.mask, undefined, 'Resolution: '));
  // Reopened after a resolution: each time, by whom and why, and the resolution it undid.
  for (const e of events.filter((x) => x.kind === 'reopened')) {
    const d = e.details;
    const undid = typeof d.resolvedAt === 'string' ? new Date(d.resolvedAt) : null;
    const earlier =
      undid && !Number.isNaN(undid.getTime())
        ? `; it had been resolved ${utcSeconds(undid)} UTC${typeof d.resolvedBy === 'string' ? ` by ${who(d.resolvedBy)}` : ''}${str(d.summary) ? ` (${inline(str(d.summary), c.mask)})` : ''}`
        : '';
    push(
      `Reopened ${utcSeconds(e.at)} UTC by ${who(e.actorId)}${str(d.why) ? `: ${inline(str(d.why), c.mask)}` : ''}${earlier}.`,
    );
  }

  // Severity and every change
  const changes = events.filter((e) => e.kind === 'severity_changed');
  const firstSeverity = declared?.details.severity ?? changes[0]?.details.from ?? i.severity;
  const reached = [firstSeverity, ...changes.map((e) => e.details.to)].filter(isSeverity);
  const highest = reached.length ? (Math.min(...reached) as Severity) : i.severity;
  push(
    '## Severity',
    table(
      ['Time (UTC)', 'Who', 'Severity'],
      [
        [utcSeconds(declaredAt), who(i.reporterId), `${sevName(firstSeverity, r)} at declaration`],
        ...changes.map((e) => [
          utcSeconds(e.at),
          who(e.actorId),
          `${sevName(e.details.from, r)} → ${sevName(e.details.to, r)}`,
        ]),
      ],
    ),
    `Final: ${sevName(i.severity, r)}. Highest: ${sevName(highest, r)}. ${changes.length} change${changes.length === 1 ? '' : 's'}.`,
  );

  // Impact
  // Flagged, and cleared since (a later status update left it unticked): it was so all the same, and the record says
  // so, with who cleared it and when ("no" read as if customers had never been hit).
  const flag = (on: boolean, name: 'customer_impact' | 'data_loss_risk') => {
    const set = flaggedBy(events, name);
    const flagged = set ? ` (flagged ${utcSeconds(set.at)} UTC by ${who(set.actorId)}` : '';
    if (on) return `yes${set ? `${flagged})` : ''}`;
    if (!set) return 'no';
    const field = name === 'customer_impact' ? 'customerImpact' : 'dataLossRisk';
    const cleared = events
      .slice(events.indexOf(set) + 1)
      .find((e) => e.kind === 'status_update' && e.details[field] === false);
    return `yes, cleared since${flagged}${cleared ? `; cleared ${utcSeconds(cleared.at)} UTC by ${who(cleared.actorId)}` : ''})`;
  };
  push(
    '## Impact',
    [
      `- Affected: ${i.affected?.trim() ? cell(i.affected, c.mask) : '_not stated in any status update_'}`,
      `- Customer impact: ${flag(i.customerImpact, 'customer_impact')}`,
      `- Data-loss risk: ${flag(i.dataLossRisk, 'data_loss_risk')}`,
      `- Impact at the last status update: ${i.currentImpact?.trim() ? cell(i.currentImpact, c.mask) : '_none posted_'}`,
      `- Status updates posted: ${events.filter((e) => e.kind === 'status_update').length}`,
    ].join('\n'),
  );

  // Response times
  // Not reached: not yet, or, once resolved, never (the resolution notice's words).
  const span = (to: Date | null, by: string | null, never = 'not yet') =>
    to ? [humanDuration(declaredAt, to), `${utcSeconds(to)}${by ? ` by ${who(by)}` : ''}`] : ['—', never];
  const detected = firstAlertBefore(events, declaredAt);
  // Mitigated first: marked mitigated (or a status update posted as Mitigated), else resolved (a reopening clears the
  // incident's own, and its second resolution is not when it was first mitigated; the metrics count the first too).
  const mitigation = events.find(
    (e) =>
      e.kind === 'mitigated' ||
      e.kind === 'resolved' ||
      // A status update posted as Mitigated marks it mitigated too.
      (e.kind === 'status_update' && e.details.status === 'mitigated'),
  );
  push(
    '## Response times',
    table(
      ['Measure', 'Time', 'At (UTC)'],
      [
        ...(detected
          ? [
              [
                'Time to detect',
                humanDuration(detected.at, declaredAt),
                `${utcSeconds(declaredAt)} (declared; the first alert, ${cell(detected.name, c.mask)}, fired ${utcSeconds(detected.at)})`,
              ],
            ]
          : []),
        [
          'Time to acknowledge',
          ...span(i.acknowledgedAt, i.acknowledgedBy, i.status === 'resolved' ? 'never acknowledged' : 'not yet'),
        ],
        ['Time to mitigate', ...span(mitigation?.at ?? i.mitigatedAt, mitigation?.actorId ?? null)],
        ['Time to resolve', ...span(i.resolvedAt, i.resolvedBy)],
      ],
    ),
    ...(i.recovery ? [recoveryLine(i, i.recovery, c)] : []),
  );

  // Timeline
  push(
    '## Timeline',
    table(
      ['Time (UTC)', 'Who', 'What'],
      events.map((e) => [utcSeconds(e.at), who(e.actorId), describeEventMarkdown(e, x)]),
    ),
  );

  push('## Root cause', paragraph(a.rootCause, c.mask, '_Not identified yet._'));
  push('## Contributing factors', paragraph(a.factors, c.mask));
  push('## What went well', paragraph(a.wentWell, c.mask));
  push('## What went badly', paragraph(a.wentBadly, c.mask));
  push(
    '## Runbook',
    a.runbookSection
      ? `Needs an update: ${inline(a.runbookSection, c.mask)}${a.runbookNote.trim() ? ` — ${inline(a.runbookNote.trim(), c.mask)}` : ''}. Tracked as an action item.`
      : 'No update needed.',
  );

  push(
    '## Action items',
    r.items.length
      ? table(['#', 'Action', 'Owner', 'Due (UTC)', 'Status'], itemRows(r.items, x))
      : '_No action items._',
  );

  push(
    '## Post-mortem checklist',
    r.checklist.length
      ? r.checklist
          .map((l) => `- [${l.done ? 'x' : ' '}] ${inline(l.text, c.mask)} (${inline(l.why, c.mask)})`)
          .join('\n')
      : '_The runbook file has no post-mortem checklist (`postmortem.checklist`)._',
  );
  return `${out.join('\n').trimEnd()}\n`;
}

/** The document writer for a runbook: role and playbook names from it, every text through `mask`. */
export function postmortemWriter(
  runbook: Pick<Runbook, 'escalation' | 'playbooks'>,
  mask: (text: string) => string,
): (record: PostmortemRecord) => string {
  const ctx: MarkdownContext = { ...runbookNames(runbook), mask };
  return (record) => renderPostmortemMarkdown(record, ctx);
}
