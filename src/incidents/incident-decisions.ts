import type { IncidentPatch } from '../store/incident.repo.js';
import { advance, type Decision } from './commander.js';
import { AlreadyDoneError, DomainError, resolvedError } from './errors.js';
import { mustFitForm } from './form-fit.js';
import type { IncidentNotice } from './ports.js';
import { alreadyResolved, formOutOfDate, resolvedBeforeUpdate, resolvedMeanwhile } from './refusal-phrases.js';
import { summaryOfStatus } from './resolution-summary.js';
import { type Severity, severityLabel } from './severity.js';
import { maskedIncident } from './shown-incident.js';
import { mergeOverNewer, REQUIRED_FIELDS, type SeenFields } from './status-merge.js';
import { publicUpdateOf } from './status-page.js';
import { isBlank } from './text.js';
import type { Incident, StatusUpdateInput } from './types.js';

/*
 * What each change of IncidentService does to the incident as it is (`cur`, locked): its patch, its events, its notice,
 * or the refusal it throws (AlreadyDoneError when it was done already). Pure: what people typed comes in masked, and
 * the service writes and shows the decision (IncidentChanges.change). Command changes are in commander.ts.
 */

/** A new severity; a resolved incident's is final. */
export function decideSeverity(cur: Incident, actorId: string, to: Severity): Decision {
  if (cur.status === 'resolved') throw resolvedError('This incident is resolved; its severity is final.');
  if (cur.severity === to) throw new AlreadyDoneError(`The incident is already ${severityLabel(to)}.`);
  return {
    patch: { severity: to, severityChangedAt: new Date() },
    events: [{ kind: 'severity_changed', actorId, details: { from: cur.severity, to } }],
    notice: { kind: 'severity_changed', from: cur.severity, to, actorId },
  };
}

/** Mitigated (Mark mitigated, `/incident mitigated [how]`): `how`, when said, is on the timeline and in the notice. */
export function decideMitigated(cur: Incident, actorId: string, how: string | null | undefined): Decision {
  if (cur.status === 'resolved') throw resolvedError();
  if (cur.status === 'mitigated') throw new AlreadyDoneError('This incident is already marked mitigated.');
  const phase = advance(cur.phase, 'resolution');
  return {
    patch: { status: 'mitigated', mitigatedAt: new Date(), phase },
    events: [
      { kind: 'mitigated', actorId, ...(how ? { details: { how } } : {}) },
      ...(phase !== cur.phase
        ? [{ kind: 'phase_changed' as const, actorId, details: { from: cur.phase, to: phase } }]
        : []),
    ],
    notice: { kind: 'mitigated', actorId, ...(how ? { how } : {}) },
  };
}

/** A new title; `sensitive`: whether a title reads as a security incident (refused on a public incident). */
export function decideRename(
  cur: Incident,
  actorId: string,
  title: string,
  sensitive: ((title: string) => boolean) | undefined,
): Decision {
  if (cur.title === title) throw new AlreadyDoneError('The incident already has this title.');
  if (!cur.private && sensitive?.(title)) {
    throw new DomainError(
      'sensitive_title',
      'This title reads as a security incident, and this incident is public: its title is shown in the incidents channel and on the status page. Keep a neutral title here, and declare the security incident privately with `/incident sev1 --private <title>`.',
    );
  }
  return {
    patch: { title },
    events: [{ kind: 'renamed', actorId, details: { from: cur.title, to: title } }],
    notice: { kind: 'renamed', from: cur.title, actorId },
  };
}

/** Customer impact or a data-loss risk flagged; `what`, when said, is kept while the flag is raised and told. */
export function decideFlag(
  cur: Incident,
  actorId: string,
  flag: 'customer_impact' | 'data_loss_risk',
  what: string | null | undefined,
): Decision {
  if (cur.status === 'resolved') throw resolvedError();
  const already = flag === 'customer_impact' ? cur.customerImpact : cur.dataLossRisk;
  if (already) {
    throw new AlreadyDoneError(
      flag === 'customer_impact' ? 'Customer impact is already flagged.' : 'Data-loss risk is already flagged.',
    );
  }
  return {
    // What was said with it is kept while the flag is raised: the page it causes says it (see flagNote).
    patch:
      flag === 'customer_impact'
        ? { customerImpact: true, customerImpactNote: what || null }
        : { dataLossRisk: true, dataLossNote: what || null },
    events: [{ kind: 'flag_set', actorId, details: { flag, ...(what ? { what } : {}) } }],
    notice: { kind: 'flag_set', flag, actorId, ...(what ? { what } : {}) },
  };
}

/** `/incident resolve` or its form (`formChannelId`: the channel it was opened for). */
export function decideResolve(
  cur: Incident,
  actorId: string,
  summary: string,
  formChannelId: string | undefined,
): Decision {
  mustFitForm(cur, formChannelId, '/incident resolve');
  if (cur.status === 'resolved') throw alreadyResolved(cur, actorId, summary);
  return resolution(cur, actorId, summary, new Date());
}

/** `/incident reopen [why]` (see IncidentService.reopen). */
export function decideReopen(cur: Incident, actorId: string, why: string | null): Decision {
  if (cur.status !== 'resolved')
    throw new AlreadyDoneError(`This incident is not resolved (it is ${cur.status}): there is nothing to reopen.`);
  const phase = cur.acknowledgedAt ? 'assessment' : 'detection';
  return {
    patch: {
      status: 'investigating',
      phase,
      mitigatedAt: null,
      resolvedAt: null,
      resolvedBy: null,
      resolutionSummary: null,
      nextUpdateAt: null,
      // The page drops the promise of an update from before the reopening (status-page.ts).
      publicNextUpdateAt: null,
      reopenedAt: new Date(),
      reopenedBy: actorId,
    },
    events: [
      {
        kind: 'reopened',
        actorId,
        details: {
          ...(why ? { why } : {}),
          resolvedAt: cur.resolvedAt?.toISOString() ?? null,
          resolvedBy: cur.resolvedBy,
          summary: cur.resolutionSummary,
        },
      },
      { kind: 'phase_changed', actorId, details: { from: cur.phase, to: phase } },
    ],
    notice: { kind: 'reopened', actorId, ...(why ? { why } : {}) },
  };
}

/**
 * A status update (see IncidentService.postStatusUpdate): `typed` masks what people typed, as the incident is shown
 * and as the update is written.
 */
export function decideStatusUpdate(
  cur: Incident,
  authorId: string,
  submitted: StatusUpdateInput,
  seen: SeenFields | undefined,
  formChannelId: string | undefined,
  typed: (text: string) => string,
): Decision {
  if (formChannelId && cur.channelId && formChannelId !== cur.channelId) throw formOutOfDate();
  // The form showed the incident masked (see get): its fields are compared with the incident as it shows now.
  const { update, kept } = maskedUpdate(mergeOverNewer(submitted, seen, maskedIncident(cur, typed)), typed);
  // The status as submitted: a form left at its status does not take the resolution over.
  if (cur.status === 'resolved' && submitted.status !== 'resolved') throw resolvedMeanwhile(submitted, seen);
  // Saying Resolved of an incident resolved already (another person resolved it while this one wrote): not posted
  // as a plain update after the resolution, refused as a second resolution is, with what was written given back.
  if (cur.status === 'resolved') throw resolvedBeforeUpdate(cur, submitted);
  // A field left as the form showed it takes the incident's; a form that does not fit the incident (another
  // incident's, or one forged) would then post required fields empty.
  if (REQUIRED_FIELDS.some((f) => isBlank(update[f]))) throw formOutOfDate();
  const now = new Date();
  let phase = cur.phase;
  if (update.status === 'investigating' && update.mitigationSteps.trim()) phase = advance(phase, 'mitigation');
  if (update.status === 'mitigated') phase = advance(phase, 'resolution');
  if (update.status === 'resolved') phase = advance(phase, 'postmortem');
  const patch: IncidentPatch = {
    status: update.status,
    phase,
    affected: update.affected,
    currentImpact: update.currentImpact,
    currentStatus: update.currentStatus,
    mitigationSteps: update.mitigationSteps,
    nextUpdateAt: update.nextUpdateAt,
    lastUpdateAt: now,
    customerImpact: update.customerImpact,
    dataLossRisk: update.dataLossRisk,
  };
  // A flag the update lowers takes what was said with it along.
  if (!update.customerImpact) patch.customerImpactNote = null;
  if (!update.dataLossRisk) patch.dataLossNote = null;
  if (update.status !== 'investigating' && !cur.mitigatedAt) patch.mitigatedAt = now;
  const events: Decision['events'] = [
    {
      kind: 'status_update',
      actorId: authorId,
      details: { ...update, nextUpdateAt: update.nextUpdateAt?.toISOString() ?? null },
    },
  ];
  // Resolved by the update: as `/incident resolve` resolves (its patch, its events, its notice), the update said
  // first, its summary one line as the resolve form's. (An incident resolved already takes no update: refused above.)
  const resolved =
    update.status === 'resolved' ? resolution(cur, authorId, summaryOfStatus(update.currentStatus), now) : null;
  if (resolved) {
    Object.assign(patch, resolved.patch);
    events.push(...resolved.events);
  } else if (phase !== cur.phase)
    events.push({ kind: 'phase_changed', actorId: authorId, details: { from: cur.phase, to: phase } });
  const publicUpdate = publicUpdateOf(update, now);
  // What the status page now promises: its own reminder while an unpublished update moves the next update only.
  if (publicUpdate) patch.publicNextUpdateAt = update.status === 'resolved' ? null : update.nextUpdateAt;
  return {
    patch,
    events,
    notice: resolved ? { ...resolved.notice, update } : { kind: 'status_update', update, authorId },
    ...(publicUpdate ? { publicUpdate } : {}),
    ...(kept.length
      ? {
          said: [
            `another update was posted while you wrote yours: ${kept.join(', ')} ${kept.length === 1 ? 'keeps its value, which you left as your form showed it' : 'keep its values, which you left as your form showed them'} (the rest is yours)`,
          ],
        }
      : {}),
  };
}

/**
 * The resolution of an open incident `cur` by `actorId` with `summary` (`/incident resolve`, its form, a status update
 * saying Resolved): its patch, its `resolved` and `phase_changed` events, its notice.
 */
function resolution(
  cur: Incident,
  actorId: string,
  summary: string,
  now: Date,
): Decision & { notice: Extract<IncidentNotice, { kind: 'resolved' }> } {
  return {
    patch: {
      status: 'resolved',
      resolvedAt: now,
      resolvedBy: actorId,
      resolutionSummary: summary,
      mitigatedAt: cur.mitigatedAt ?? now,
      phase: 'postmortem',
    },
    events: [
      {
        kind: 'resolved',
        actorId,
        details: { summary, secondsToResolve: Math.round((now.getTime() - cur.createdAt.getTime()) / 1000) },
      },
      { kind: 'phase_changed', actorId, details: { from: cur.phase, to: 'postmortem' } },
    ],
    notice: { kind: 'resolved', actorId, summary },
  };
}

/** A status update with what was typed in it masked (see IncidentService's `typed`). */
function maskedUpdate<T extends { update: StatusUpdateInput }>(merged: T, mask: (text: string) => string): T {
  const { affected, currentImpact, currentStatus, mitigationSteps } = merged.update;
  return {
    ...merged,
    update: {
      ...merged.update,
      affected: mask(affected),
      currentImpact: mask(currentImpact),
      currentStatus: mask(currentStatus),
      mitigationSteps: mask(mitigationSteps),
    },
  };
}
