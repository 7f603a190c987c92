import type { KnownBlock } from '@slack/types';
import { notDoneOfRecord } from '../incidents/checklist.js';
import type { Phrase } from '../incidents/errors.js';
import { pagedPerson } from '../incidents/escalation-policy.js';
import { severityLabel } from '../incidents/severity.js';
import { type Incident, type IncidentEvent, PHASE_LABELS, STATUS_LABELS } from '../incidents/types.js';
import { describeDuration } from '../runbook/duration.js';
import { foundOfRecord, foundSummary } from '../runbook/look-for.js';
import { DEFAULT_SECTION_NAMES } from '../runbook/playbooks.js';
import { ROLLBACK } from '../runbook/rollback-playbook.js';
import type { Runbook } from '../runbook/runbook.js';
import { climbHeldWords, heldOf } from './climb-held.js';
import { type Message, span } from './incident-card.js';
import { neverReachedWho, unreachableAnswer, unreachableWho } from './never-reached.js';
import { recordedState } from './run-killed.js';
import {
  boldName,
  clipEscaped,
  humanDuration,
  LIMITS,
  mention,
  mrkdwnClip,
  renderPhrase,
  truncate,
  utcStamp,
} from './text.js';

const sev = (v: unknown) => (typeof v === 'number' && v >= 0 && v <= 3 ? severityLabel(v as 0 | 1 | 2 | 3) : String(v));
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Longest refusal a timeline line shows, rendered (mentions and all). */
const REFUSAL_SHOWN = 400;

/**
 * A refusal as the reply showed it: people as mentions (recorded as its phrase, `refusalPhrase`). An older record
 * (plain text only), one whose phrase does not read, or one too long to show whole: its plain text, clipped.
 */
function refusalOf(d: Record<string, unknown>): string {
  const phrase = phraseOf(d.refusalPhrase);
  const rendered = phrase ? renderPhrase(phrase) : null;
  return rendered && rendered.length <= REFUSAL_SHOWN ? rendered : mrkdwnClip(str(d.refusal), 200);
}

/** A phrase read back from a record, or null when it is not one. */
function phraseOf(v: unknown): Phrase | null {
  if (!Array.isArray(v)) return null;
  const ok = v.every(
    (p) =>
      typeof p === 'string' ||
      (p !== null &&
        typeof p === 'object' &&
        ((Array.isArray(p.people) && p.people.every((x: unknown) => typeof x === 'string')) ||
          typeof p.typed === 'string' ||
          typeof p.name === 'string' ||
          typeof p.channel === 'string' ||
          (typeof p.link === 'string' && typeof p.label === 'string'))),
  );
  return ok ? (v as Phrase) : null;
}

/** The next update a status update's event promised (none for a resolution, which promises none). */
export function nextUpdateOf(d: Record<string, unknown>): Date | null {
  if (d.status === 'resolved' || typeof d.nextUpdateAt !== 'string') return null;
  const at = new Date(d.nextUpdateAt);
  return Number.isNaN(at.getTime()) ? null : at;
}

/** The runbook's names for what events keep by id: roles (`senior_devops`) and playbooks. */
export interface TimelineNames {
  roles: ReadonlyMap<string, string>;
  playbooks: ReadonlyMap<string, string>;
  /** The section names of the playbooks that name theirs (`sections` in the runbook file), by playbook id. */
  sections?: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/**
 * A playbook step as a person reads it, from an event's `playbook` and `step` (`detection.2`): "Prerequisites
 * checklist 3" (its playbook's section names, else the phase's, numbered from 1 as the checklist shows it); the key
 * as kept when it is not one.
 */
export function stepLabel(
  d: Record<string, unknown>,
  sections?: ReadonlyMap<string, Readonly<Record<string, string>>>,
): string {
  const m = /^(detection|mitigation|resolution)\.(\d{1,3})$/.exec(str(d.step));
  if (!m) return str(d.step);
  const names: Readonly<Record<string, string>> = sections?.get(str(d.playbook)) ?? DEFAULT_SECTION_NAMES;
  return `${names[m[1]!] ?? m[1]} ${Number(m[2]) + 1}`;
}

const NO_NAMES: TimelineNames = { roles: new Map(), playbooks: new Map() };

/** The names a runbook gives its roles and playbooks (the built-in rollback playbook's too). */
/** Where an alert fired (`on instance=db-1`), as its event keeps it; nothing when it keeps none. */
const onWhere = (d: Record<string, unknown>) => (typeof d.where === 'string' ? ` on ${mrkdwnClip(d.where, 170)}` : '');

export function runbookNames(runbook: Pick<Runbook, 'escalation' | 'playbooks'>): TimelineNames {
  return {
    roles: new Map(Object.values(runbook.escalation.roles).map((r) => [r.id, r.name])),
    playbooks: new Map([...runbook.playbooks, ROLLBACK].map((p) => [p.id, p.title])),
    sections: new Map(runbook.playbooks.flatMap((p) => (p.phaseLabels ? [[p.id, p.phaseLabels] as const] : []))),
  };
}

/**
 * A role as the runbook names it ("Senior DevOps Engineer"); its id where the runbook no longer has it; the person for
 * a page by name.
 */
const roleOf = (d: Record<string, unknown>, n: TimelineNames) => {
  const person = pagedPerson(str(d.role));
  if (person) return mention(person.userId);
  return mrkdwnClip(str(d.roleName) || n.roles.get(str(d.role)) || str(d.role), 60);
};

/**
 * The roles a `page_failed` entry lists, each with Slack's answer to its page: its own (`errors`, in the order of
 * `roles`), or the entry's one `error` for all (an entry written before each page kept its own). `same`: the answer,
 * when it is one for every role (said once, after them), else null (said after each role).
 */
export function pageFailedRoles(d: Record<string, unknown>): {
  roles: { role: string; error: string }[];
  same: string | null;
} {
  const roles = Array.isArray(d.roles) ? d.roles.filter((r): r is string => typeof r === 'string') : [];
  const errors = Array.isArray(d.errors) ? d.errors : [];
  const listed = roles.map((role, n) => ({ role, error: str(errors[n]) || str(d.error) }));
  const answers = new Set(listed.map((r) => r.error));
  return { roles: listed, same: answers.size > 1 ? null : (listed[0]?.error ?? str(d.error)) };
}

/** A playbook by its title; its id where the runbook no longer has it. */
const playbookOf = (d: Record<string, unknown>, n: TimelineNames) =>
  mrkdwnClip(str(d.title) || n.playbooks.get(str(d.playbook)) || str(d.playbook), 80);

/** A checklist step as its event names it: "*Title* · Mitigation 3 “Restart node”". */
const stepOf = (d: Record<string, unknown>, n: TimelineNames) =>
  `${boldName(str(d.title) || n.playbooks.get(str(d.playbook)) || str(d.playbook), 120)} · ${mrkdwnClip(stepLabel(d, n.sections), 80)} “${mrkdwnClip(str(d.text), 200)}”`;

/**
 * Why an approval request was closed unrun (an `approval_closed` event), in words; `clip` shows a typed reason, `who`
 * names who closed it.
 */
export function closedWhy(d: Record<string, unknown>, clip: (text: string) => string, who: string): string {
  switch (d.why) {
    case 'step_skipped':
      return `${who} skipped the step${str(d.reason) ? ` (${clip(str(d.reason))})` : ''}; nothing ran`;
    case 'step_done':
      return `${who} marked the step done; nothing ran`;
    case 'playbook_detached':
      return `${who} detached the playbook; nothing ran`;
    case 'incident_resolved':
      return 'the incident was resolved; nothing ran';
    default:
      return 'it no longer stood; nothing ran';
  }
}

/**
 * What a reminder of an RTO bound said (`… is past the lower bound of its RTO (2-4 hours)`), the playbook named by
 * `title`; null for another reminder (a status update due, and the reminders from before the RTO's).
 */
export function rtoPassed(d: Record<string, unknown>, title: (d: Record<string, unknown>) => string): string | null {
  if (d.rule !== 'rto_lower_bound' && d.rule !== 'rto_passed') return null;
  const [min, max] = [Number(d.minMs), Number(d.maxMs)];
  const rto = Number.isFinite(min) && Number.isFinite(max) && min > 0 && max >= min ? ` (${span(min, max)})` : '';
  return `${title(d)} is past ${d.rule === 'rto_lower_bound' ? 'the lower bound of its RTO' : 'its RTO'}${rto}`;
}

const methodName = (via: unknown) => (via === 'pagerduty' ? 'PagerDuty' : via === 'email' ? 'email' : 'Slack');

/**
 * An alert's own time (its source's start or end, kept in the event), which the line's time (when the bot recorded
 * it) may be well after: ` at 2026-11-27 23:12 UTC`; nothing when the source gave none.
 */
function sourceTime(iso: unknown): string {
  const t = typeof iso === 'string' ? new Date(iso) : null;
  return t && !Number.isNaN(t.getTime()) ? ` at ${utcStamp(t)}` : '';
}

/**
 * The required steps a step that changes production was run without (a deploy's prerequisites neither done nor
 * skipped), as its `step_run` event keeps them (notDoneOfRecord, either shape): " — run with 2 required steps not
 * done: Prerequisites checklist 1, 3".
 */
export function notDoneOf(d: Record<string, unknown>): { count: number; steps: string } | null {
  const steps = notDoneOfRecord(d.notDone).map((s) => `${s.section} ${s.number}`);
  return steps.length ? { count: steps.length, steps: steps.join(', ') } : null;
}

const ranAnyway = (d: Record<string, unknown>) => {
  const n = notDoneOf(d);
  return n
    ? ` — run with ${n.count} required ${n.count === 1 ? 'step' : 'steps'} not done: ${mrkdwnClip(n.steps, 300)}`
    : '';
};

/**
 * A run's end that came in after the run was recorded lost (its process cut off from the database, come back): said
 * so, and when the run stays lost (its step acted on since), that too.
 */
export const cameBack = (d: Record<string, unknown>) =>
  d.cameBack !== true
    ? ''
    : d.keptLost === true
      ? ' — reported when the bot came back, after the run was recorded lost; it stays lost, as its step was acted on since'
      : ' — reported when the bot came back, after the run was recorded lost';

/** A run that looked for lines (`look_for`): how many had them, as its message said. */
const foundOf = (d: Record<string, unknown>) => {
  const f = foundOfRecord(d);
  return f ? ` — ${mrkdwnClip(foundSummary(f), 400)}` : '';
};

/**
 * What a rollback's post-deployment verification found (a `rollback_verified` event), in words: "to `v57`: verification
 * failed — `atom-cli status`: status shows v58". `code` shows a command or version (escaped as its surface needs).
 */
export function rollbackVerifiedWords(
  d: Record<string, unknown>,
  code: (text: string) => string,
  plain: (text: string) => string,
): string {
  const to = `to ${code(str(d.version))}`;
  const running = typeof d.running === 'string' ? code(d.running) : null;
  const failed = Array.isArray(d.failed) ? (d.failed as Record<string, unknown>[]) : [];
  const whats = failed
    .slice(0, 5)
    .map((f) => `${code(str(f.name))}: ${plain(str(f.detail).slice(0, 200))}`)
    .join('; ');
  switch (d.result) {
    case 'passed':
      return `${to}: verification passed${running ? ` (${running} running)` : ''}`;
    case 'failed':
      return `${to}: verification failed — ${whats}`;
    case 'unchecked':
      return `${to}: verification not checked in full (some checks could not be run: check by hand)${running ? `; ${running} running` : ''}`;
    default:
      return `${to} failed, so nothing was verified — ${whats}`;
  }
}

/** One line for one event, user text escaped; roles and playbooks by the runbook's names. */
export function describeEvent(e: IncidentEvent, names: TimelineNames = NO_NAMES): string {
  const who = e.actorId ? mention(e.actorId) : 'The bot';
  const d = e.details;
  switch (e.kind) {
    case 'declared':
      return `${who} declared *${sev(d.severity)}*: ${mrkdwnClip(str(d.title), 200)}`;
    case 'channel_created':
      return `Channel #${mrkdwnClip(str(d.channelName), 80)} created`;
    case 'severity_changed':
      return `${who} changed severity ${sev(d.from)} → ${sev(d.to)}`;
    case 'acknowledged':
      return `${who} acknowledged and became commander`;
    case 'command_taken':
      return `${who} took command${typeof d.from === 'string' ? ` from ${mention(d.from)}` : ''}`;
    case 'command_handed':
      return d.to === e.actorId
        ? `${who} took command${typeof d.from === 'string' ? ` from ${mention(d.from)}` : ''}`
        : `${who} handed command to ${mention(str(d.to))}${typeof d.from === 'string' ? ` (from ${mention(d.from)})` : ''}`;
    case 'status_update': {
      const status = STATUS_LABELS[d.status as keyof typeof STATUS_LABELS] ?? str(d.status);
      // What users were told is reviewed from here: whether it went public, the next update promised, the steps.
      const published =
        d.publish === true ? ', published to the status page' : d.publish === false ? ', not published' : '';
      const next = nextUpdateOf(d);
      const steps = str(d.mitigationSteps).trim();
      return [
        `${who} posted a status update (${status})${published}: ${mrkdwnClip(str(d.currentStatus), 300) || '-'}`,
        ...(next ? [`next update promised ${utcStamp(next)}`] : []),
        ...(steps ? [`mitigation steps: ${mrkdwnClip(steps, 300)}`] : []),
      ].join('; ');
    }
    case 'mitigated':
      return `${who} marked the incident mitigated${str(d.how) ? `: ${mrkdwnClip(str(d.how), 300)}` : ''}`;
    case 'resolved':
      return `${who} resolved the incident: ${mrkdwnClip(str(d.summary), 300)}`;
    case 'reopened':
      return `${who} reopened the incident${str(d.why) ? `: ${mrkdwnClip(str(d.why), 300)}` : ''}`;
    case 'phase_changed':
      return `Phase ${PHASE_LABELS[d.from as keyof typeof PHASE_LABELS] ?? str(d.from)} → ${PHASE_LABELS[d.to as keyof typeof PHASE_LABELS] ?? str(d.to)}`;
    case 'renamed':
      return `${who} renamed the incident: ${mrkdwnClip(str(d.from), 200)} → ${mrkdwnClip(str(d.to), 200)}`;
    case 'flag_set':
      return `${who} flagged ${d.flag === 'data_loss_risk' ? 'a data-loss risk' : 'customer impact'}${str(d.what) ? `: ${mrkdwnClip(str(d.what), 300)}` : ''}`;
    case 'paged': {
      const users = Array.isArray(d.userIds) ? (d.userIds as string[]).map(mention).join(', ') : '';
      // A person paged by name: named once; or that Slack could not reach them, with its answer (the ID typed to fix).
      if (pagedPerson(str(d.role))) {
        const why = Array.isArray(d.unreachableErrors) ? d.unreachableErrors.find((e) => typeof e === 'string') : null;
        return !users && Array.isArray(d.unreachable) && d.unreachable.length
          ? `Could not page ${roleOf(d, names)} by name (${typeof why === 'string' ? unreachableAnswer(why, true) : 'Slack could not reach them'}): ${mrkdwnClip(str(d.reason), 200)}`
          : `Paged ${roleOf(d, names)} by name: ${mrkdwnClip(str(d.reason), 200)}`;
      }
      // A role paged by hand: its people paged already, not paged again.
      const already = Array.isArray(d.alreadyPaged) ? (d.alreadyPaged as string[]).map(mention).join(', ') : '';
      const nobody = !users && !(Array.isArray(d.unreachable) && d.unreachable.length);
      if (already && nobody)
        return `Nobody new to page for ${roleOf(d, names)}: ${mrkdwnClip(str(d.reason), 200)}; already paged, not paged again: ${already}`;
      // Each person never reached with their own answer (`missedErrors`); an entry from before, one for all (`missedError`).
      const missed = Array.isArray(d.missed)
        ? neverReachedWho(
            {
              userIds: d.missed as string[],
              errors: (d.missed as string[]).map((_, i) =>
                Array.isArray(d.missedErrors) ? str(d.missedErrors[i]) : str(d.missedError),
              ),
            },
            (e) => ` (${mrkdwnClip(e, 200)})`,
          )
        : null;
      // Whom Slack said cannot be messaged at all, each with its answer and what it means (`unreachableErrors`).
      const unreached =
        Array.isArray(d.unreachable) && d.unreachable.length
          ? unreachableWho(
              (d.unreachable as unknown[]).map(String),
              Array.isArray(d.unreachableErrors)
                ? (d.unreachableErrors as unknown[]).map((e) => (typeof e === 'string' ? e : null))
                : undefined,
              (a) => ` (${a})`,
            )
          : '';
      // Slack could reach none of those it tried: not paged by it (as the channel's line and the card say).
      const head =
        !users && unreached
          ? `Could not page ${roleOf(d, names)} (nobody of it was reached)`
          : `Paged ${roleOf(d, names)}${users ? ` (${users})` : ''}`;
      return `${head}: ${mrkdwnClip(str(d.reason), 200)}${already ? `; already paged, not paged again: ${already}` : ''}${missed ? `; never reached: ${missed.people}${missed.shared}` : ''}${unreached ? `; could not reach: ${unreached}` : ''}`;
    }
    case 'page_skipped':
      return `Could not page ${roleOf(d, names)}: ${mrkdwnClip(str(d.reason), 200)}`;
    case 'page_failed': {
      const { roles, same } = pageFailedRoles(d);
      if (same !== null)
        return `Could not page ${roles.map((r) => roleOf(r, names)).join(', ')}: its direct messages failed try after try, so the bot stopped trying (${mrkdwnClip(same, 200)})`;
      return `Could not page ${roles.map((r) => `${roleOf(r, names)} (${mrkdwnClip(r.error, 200)})`).join(', ')}: their direct messages failed try after try, so the bot stopped trying`;
    }
    case 'page_held':
      return `Did not page ${(Array.isArray(d.roles) ? (d.roles as string[]) : []).map((r) => roleOf({ role: r }, names)).join(', ')} again (paged moments before): ${mrkdwnClip(str(d.reason), 200)}`;
    case 'climb_held': {
      const held = heldOf(d).map((h) => ({
        name: roleOf({ role: h.role }, names),
        when: h.when.map((w) => mrkdwnClip(w, 60)),
      }));
      return `Paged ${roleOf(d, names)} again, and nobody further up: the runbook pages ${climbHeldWords(held)}`;
    }
    case 'escalation_requested':
      return pagedPerson(str(d.role))
        ? `${who} paged ${roleOf(d, names)} by name`
        : `${who} escalated to ${roleOf(d, names)}`;
    case 'reminder_sent':
      if (d.rule === 'paging_stopped')
        return `Paging stopped after ${typeof d.rounds === 'number' ? d.rounds : 'its'} rounds: nobody acknowledged in ${describeDuration(typeof d.afterMs === 'number' ? d.afterMs : 0)}`;
      return `Reminded the commander that ${rtoPassed(d, (x) => playbookOf(x, names)) ?? 'a status update is due'}`;
    case 'playbook_attached':
      return `${e.actorId ? `${who} attached` : 'Suggested'} the playbook ${playbookOf(d, names)}`;
    case 'step_run': {
      const target = Array.isArray(d.target) ? (d.target as string[]).join(' ') : '';
      const code = typeof d.exitCode === 'number' ? `, exit ${d.exitCode}` : '';
      return `${who} ran \`${mrkdwnClip(target, 300)}\`: ${mrkdwnClip(recordedState(d.state, d.signal), 30)}${code}${foundOf(d)}${ranAnyway(d)}${cameBack(d)}`;
    }
    case 'rollback_verified':
      return `${who}'s rollback ${rollbackVerifiedWords(
        d,
        (t) => `\`${mrkdwnClip(t, 300)}\``,
        (t) => mrkdwnClip(t, 200),
      )}`;
    case 'step_refused': {
      const target = Array.isArray(d.target) ? (d.target as string[]).join(' ') : '';
      return `${who} was refused \`${mrkdwnClip(target, 300)}\`: ${refusalOf(d)}`;
    }
    case 'approval_requested': {
      const target = Array.isArray(d.target) ? (d.target as string[]).join(' ') : '';
      return `${who} asked for approval to run \`${mrkdwnClip(target, 300)}\``;
    }
    case 'approval_decided':
      return `${who} ${d.state === 'approved' ? 'approved' : d.withdrawn === true ? 'withdrew' : 'denied'} request #${String(d.approval)}${d.reason ? `: ${mrkdwnClip(str(d.reason), 200)}` : ''}`;
    case 'approval_closed':
      return `Approval request #${String(d.approval)} for ${stepOf(d, names)} closed: ${closedWhy(d, (t) => mrkdwnClip(t, 300), e.actorId ? mention(e.actorId) : 'someone')}`;
    case 'step_done':
      return `${who} marked done: ${stepOf(d, names)}`;
    case 'step_skipped':
      return `${who} skipped ${stepOf(d, names)}: ${mrkdwnClip(str(d.reason), 300)}`;
    case 'step_undone':
      return `${who} undid ${d.undid === 'skipped' ? 'the skip of' : 'done on'} ${stepOf(d, names)}`;
    case 'playbook_detached':
      return `${who} detached the playbook ${playbookOf(d, names)}`;
    case 'note':
      if (d.source === 'message') {
        const said = typeof d.author === 'string' ? `${mention(d.author)}: ` : '';
        const link = typeof d.link === 'string' && /^https:\/\/[^\s<>|]+$/.test(d.link) ? ` (<${d.link}|message>)` : '';
        return `${said}${mrkdwnClip(str(d.text), 500)}${link} — added by ${who}`;
      }
      return `${who}: ${mrkdwnClip(str(d.text), 500)}`;
    case 'action_item_added':
      return `${who} added an action item: ${mrkdwnClip(str(d.text), 300)}${typeof d.owner === 'string' ? ` (owner ${mention(d.owner)})` : ''}`;
    case 'action_item_closed':
      return `${who} closed an action item: ${mrkdwnClip(str(d.text), 300)}`;
    case 'action_items_completed':
      return 'Every action item of the incident is done';
    case 'action_item_reminded':
      return `Reminded ${typeof d.owner === 'string' ? mention(d.owner) : 'the channel'} that an action item is due: ${mrkdwnClip(str(d.text), 300)}`;
    case 'postmortem_written':
      return `${who} wrote the post-mortem (version ${String(d.version)})`;
    case 'alert_fired':
      return `Alert ${boldName(str(d.name), 100)}${onWhere(d)} (${mrkdwnClip(str(d.level), 10)}) fired${sourceTime(d.startsAt)}: ${mrkdwnClip(str(d.summary), 200)}`;
    case 'raise_offered': {
      const names = Array.isArray(d.alerts) ? d.alerts.filter((n): n is string => typeof n === 'string') : [];
      const named = names.slice(0, 5).map((n) => `${boldName(n, 100)}`);
      if (names.length > 5) named.push(`${names.length - 5} more`);
      return `Offered to raise the severity to ${sev(d.severity)}: critical ${names.length === 1 ? 'alert' : 'alerts'} ${named.join(', ')} joined`;
    }
    case 'alert_resolved':
      return `Alert ${boldName(str(d.name), 100)}${onWhere(d)} resolved${sourceTime(d.endsAt)}${str(d.summary) ? `: ${mrkdwnClip(str(d.summary), 200)}` : ''}`;
    case 'notified': {
      if (d.action === 'acknowledge' || d.action === 'resolve')
        return `Sent PagerDuty ${str(d.action)} for ${roleOf(d, names)}`;
      const to = typeof d.userId === 'string' ? ` (${mention(d.userId)})` : '';
      return `Notified ${roleOf(d, names)}${to} by ${methodName(d.via)} ✓`;
    }
    case 'notify_failed': {
      const to = typeof d.userId === 'string' ? ` (${mention(d.userId)})` : '';
      const what = `${methodName(d.via)}${d.action !== 'notify' ? ` ${str(d.action)}` : ''}`;
      return `${d.skipped ? 'Could not use' : 'Failed'} ${what} for ${roleOf(d, names)}${to}: ${mrkdwnClip(str(d.detail), 200)}`;
    }
    case 'pagerduty_acknowledged': {
      const as = typeof d.userId === 'string' ? ` (${mention(d.userId)})` : '';
      return `Acknowledged in PagerDuty by ${mrkdwnClip(str(d.name), 80)}${as} for ${roleOf(d, names)}`;
    }
    case 'page_acknowledged': {
      const roles = Array.isArray(d.roleNames) ? d.roleNames.map((r) => mrkdwnClip(str(r), 60)).join(', ') : '';
      return `${who} acknowledged the page${roles ? ` (${roles})` : ''}: its remaining notifications stopped`;
    }
    case 'pagerduty_resolved':
      return `Resolved in PagerDuty by ${mrkdwnClip(str(d.name), 80)} for ${roleOf(d, names)}`;
    case 'made_public':
      return `${who} made the private incident public: it is announced and listed from now on`;
    case 'joined':
      return `${who} joined the channel`;
    case 'member_added':
      if (d.why === 'approver' && typeof d.userId === 'string')
        return `${mention(d.userId)} was added to the channel to ${d.decision === 'deny' ? 'deny' : 'approve'} ${stepOf(d, names)}`;
      return `${who} let ${typeof d.userId === 'string' ? mention(d.userId) : 'someone'} into the channel${d.why === 'action_item_owner' ? ' (owner of an action item)' : ''}`;
    case 'channel_archived':
      return `${who} archived the incident's channel in Slack while the incident was open: the bot's posts could not reach it`;
    case 'channel_unarchived':
      return `${who} unarchived the incident's channel${Array.isArray(d.invited) && d.invited.length ? `: the bot invited ${(d.invited as unknown[]).map((u) => mention(str(u))).join(', ')} back` : ''}`;
  }
}

/** Room the timeline's text fallback keeps for its first line (which events it shows) besides the events' lines. */
const TEXT_HEAD_ROOM = 200;

/**
 * How many of `lines`, taken in order from the first, fit one message: in sections of at most Slack's section text
 * (each line joined to the one before while it fits), at most `maxSections` of them, and in the text fallback. Packing
 * each section full, from either end, makes the fewest sections any contiguous run of lines can take.
 */
function fitting(lines: readonly string[], maxSections: number): number {
  const textMax = LIMITS.messageText - TEXT_HEAD_ROOM;
  let sections = 0;
  let chunk = 0;
  let text = 0;
  for (const [k, l] of lines.entries()) {
    text += (k ? 1 : 0) + l.length;
    if (text > textMax) return k;
    if (chunk && chunk + 1 + l.length <= LIMITS.sectionText) chunk += 1 + l.length;
    else {
      if (++sections > maxSections) return k;
      chunk = l.length;
    }
  }
  return lines.length;
}

/**
 * `/incident timeline`: the events, oldest first, packed into sections under Slack's limits; roles and playbooks by
 * the runbook's names. A timeline longer than one message (an alert storm's events) shows its latest events, the
 * newest matter most, and says how to read it from the first; `from` (1-based) shows the events from that one on, as
 * many as fit, saying where the next page starts. Pure.
 */
export function renderTimeline(
  i: Incident,
  events: IncidentEvent[],
  names: TimelineNames = NO_NAMES,
  from?: number,
): Message {
  const all = events.map((e) =>
    clipEscaped(
      `\`${utcStamp(e.at).slice(11, 16)}\` +${humanDuration(i.createdAt, e.at)} — ${describeEvent(e, names)}`,
      LIMITS.sectionText,
    ),
  );
  const total = all.length;
  const maxSections = LIMITS.blocksPerMessage - 2;
  // [start, end): the events shown.
  let start: number;
  let end: number;
  if (from === undefined) {
    end = total;
    start = total - fitting([...all].reverse(), maxSections);
  } else {
    start = Math.min(from - 1, total);
    end = start + fitting(all.slice(start), maxSections);
  }
  const lines = all.slice(start, end);
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(`Timeline · #${i.number} ${i.title}`, LIMITS.headerText) },
    },
  ];
  let chunk = '';
  for (const l of lines) {
    if (chunk && chunk.length + 1 + l.length > LIMITS.sectionText) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
      chunk = '';
    }
    chunk = chunk ? `${chunk}\n${l}` : l;
  }
  if (chunk) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
  const whole = start === 0 && end === total;
  const shown = whole ? '' : end > start ? `events ${start + 1}–${end} of ${total}` : `no event from ${from}`;
  const how = whole
    ? ''
    : from === undefined
      ? ` · showing the latest, ${shown}: \`/incident timeline from 1\` shows them from the first`
      : ` · showing ${shown}${end < total ? ` · next: \`/incident timeline from ${end + 1}\`` : ''} · \`/incident timeline\` shows the latest`;
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `${total} events · started ${utcStamp(i.createdAt)}${how}` }],
  });
  const head = whole ? `Timeline of incident #${i.number}:` : `Timeline of incident #${i.number} (${shown}):`;
  return { text: [head, ...lines].join('\n'), blocks };
}
