import type { Logger } from '@slack/bolt';
import { noteError } from '../audit/outcome.js';
import { DomainError } from '../incidents/errors.js';
import { type OverrideRequest, startAndEnd } from '../incidents/oncall.service.js';
import { isTimeZone } from '../incidents/rotation.js';
import type { ListenerDeps } from '../slack/deps.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { type ContactNames, errorText, inlineRefusalText } from '../slack/report-error.js';
import { BLOCK, VIEW } from '../templates/ids.js';
import { renderOverrideRecorded } from '../templates/oncall.js';
import { overrideConfirmModal, overrideDoneModal } from '../templates/oncall-modal.js';
import { overrideFormRef, overrideRef } from '../templates/payloads.js';
import { parseOverrideForm } from './parse-oncall-form.js';

/** Which field a refusal of the on-call service belongs under. */
const FIELD_OF: Record<string, string> = {
  override_start_past: BLOCK.ocFrom,
  unknown_role: BLOCK.ocRole,
  no_rotation: BLOCK.ocRole,
  which_role: BLOCK.ocRole,
};

/** A refusal in words for an inline error (plain text: no mrkdwn marks, no emoji codes, people by name). */
async function refusal(
  err: unknown,
  logger: Pick<Logger, 'error'>,
  contactNames: ContactNames,
): Promise<{ field: string; text: string }> {
  noteError(err); // audited refused with its code, as the command's refusal is
  const text = await inlineRefusalText(err, logger, contactNames);
  return { field: (err instanceof DomainError && FIELD_OF[err.code]) || BLOCK.ocUntil, text };
}

/**
 * The Home tab's override form and its second step. The override is recorded through the same service and rules as
 * `/incident oncall override` before the form is answered, so a refusal shows under its field and the form stays
 * open; someone outside the role's rotation turns the form into a question (Put on call, or Cancel). Done, the form
 * says what was recorded, and the Home tabs of the person who made it and of the person put on call are refreshed.
 */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  const record = (req: OverrideRequest) => deps.oncall.override(req);
  const refreshHomes = (teamId: string, people: string[]) => deps.home.refresh(teamId, people);
  const contactNames: ContactNames = (ids) => deps.notes.contactNames(ids);

  app.view(VIEW.oncallOverride, async ({ ack, view, body, logger }) => {
    const parsed = parseOverrideForm((view.state?.values ?? {}) as Parameters<typeof parseOverrideForm>[0]);
    if (!parsed.ok) {
      // A refusal quotes what was typed (`from <text>` is not a time): a secret value pasted there is masked.
      const errors = Object.fromEntries(
        Object.entries(parsed.errors).map(([field, text]) => [field, deps.oncall.masked(text)]),
      );
      await ack({ response_action: 'errors', errors });
      return;
    }
    const { userId, role, start, end } = parsed.value;
    const actorId = body.user.id;
    const teamId = body.team?.id ?? body.user.team_id ?? view.team_id;
    const now = new Date();
    // The clock the form named (the clicker's Slack time zone when it opened); a form without one, theirs now.
    const named = overrideFormRef.decode(view.private_metadata)?.tz;
    const typedZone = named && isTimeZone(named) ? named : await deps.notes.timeZoneOf(actorId);
    try {
      const r = await record({
        kind: 'override',
        userId,
        otherId: null,
        role,
        start: start ? { kind: 'typed', ...start } : null,
        end,
        actorId,
        confirmed: false,
        requestKey: `view:${view.id}`,
        typedZone,
      });
      if (r.kind === 'retry') return await ack();
      // Said back on the clock the times were read on, the role's alongside when it is another (as the command does).
      const shownZone = typedZone ?? r.timeZone;
      if (r.kind === 'confirm') {
        await ack({
          response_action: 'update',
          view: overrideConfirmModal({ ...r, kind: 'override', userId, otherId: null, shownZone }),
        });
        return;
      }
      const text = renderOverrideRecorded({
        kind: 'override',
        userId,
        otherId: null,
        roleName: r.roleName,
        timeZone: r.timeZone,
        shownZone,
        gaps: r.gaps,
        nextOnCall: r.nextOnCall,
        ...startAndEnd(r.override, now),
      });
      await ack({ response_action: 'update', view: overrideDoneModal(text) });
      refreshHomes(teamId, [actorId, userId]);
    } catch (err) {
      const { field, text } = await refusal(err, logger, contactNames);
      await ack({ response_action: 'errors', errors: { [field]: text } });
    }
  });

  app.view(VIEW.oncallOverrideConfirm, async ({ ack, view, body, logger }) => {
    const ref = overrideRef.decode(view.private_metadata);
    if (!ref) {
      await ack({ response_action: 'update', view: overrideDoneModal('This form is out of date: open it again.') });
      return;
    }
    const actorId = body.user.id;
    const teamId = body.team?.id ?? body.user.team_id ?? view.team_id;
    try {
      const r = await record({
        kind: ref.k,
        userId: ref.u,
        otherId: ref.o ?? null,
        role: ref.r,
        start: ref.s ? { kind: 'at', at: new Date(ref.s) } : null,
        end: { kind: 'at', at: new Date(ref.e) },
        actorId,
        confirmed: true,
        requestKey: `view:${view.id}`,
      });
      if (r.kind !== 'recorded') return await ack();
      const text = renderOverrideRecorded({
        kind: ref.k,
        userId: ref.u,
        otherId: ref.o ?? null,
        roleName: r.roleName,
        timeZone: r.timeZone,
        // On the clock of the person who confirms, as the question was.
        shownZone: (await deps.notes.timeZoneOf(actorId)) ?? r.timeZone,
        gaps: r.gaps,
        nextOnCall: r.nextOnCall,
        ...startAndEnd(r.override, new Date()),
      });
      await ack({ response_action: 'update', view: overrideDoneModal(text) });
      refreshHomes(teamId, [actorId, ref.u]);
    } catch (err) {
      // The question has no field to show it under: the form (a mrkdwn section, where mentions show as names) says
      // why nothing was recorded.
      noteError(err); // audited refused with its code, as the command's refusal is
      await ack({ response_action: 'update', view: overrideDoneModal(errorText(err, logger)) });
    }
  });
}
