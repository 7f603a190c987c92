import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { localParts } from '../incidents/rotation.js';
import { modal } from './blocks.js';
import { BLOCK, INPUT, VIEW } from './ids.js';
import { type OverrideConfirm, renderOverrideConfirm } from './oncall.js';
import { overrideFormRef, overrideRef } from './payloads.js';
import { LIMITS, truncate } from './text.js';

/** A role with a rotation, as the override form offers it. */
export interface RotationChoice {
  id: string;
  name: string;
  timeZone: string;
}

const option = (r: RotationChoice): PlainTextOption => ({
  text: { type: 'plain_text', text: truncate(r.name, LIMITS.optionText) },
  value: r.id,
});

const hhmm = (t: Date, timeZone: string) => {
  const p = localParts(t, timeZone);
  return `${String(p.h).padStart(2, '0')}:${String(p.mi).padStart(2, '0')}`;
};

/**
 * The Home tab's override form: who goes on call (the clicker, for Take on-call), for which role, from when (empty:
 * now) and until when or for how long, in the words `/incident oncall override` takes. A time typed is read on the
 * clicker's clock (`clock`: their Slack time zone, and the moment the form opens), as the command reads it, and the
 * hints name it with UTC beside; no clock known, the role's. Pure.
 */
export function overrideModal(
  roles: readonly RotationChoice[],
  personId: string | null,
  clock: { timeZone: string; now: Date } | null = null,
): ModalView {
  const zones = [...new Set(roles.map((r) => r.timeZone))];
  const zone = clock
    ? `your time zone, ${clock.timeZone} (${hhmm(clock.now, clock.timeZone)} there when this form opened, ${hhmm(clock.now, 'UTC')} UTC)`
    : zones.length === 1
      ? `${zones[0]} time`
      : "the role's time zone";
  const blocks: KnownBlock[] = [
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'Puts someone on call instead of the rotation for a while, as `/incident oncall override` does; the rotation takes over again when it ends.',
        },
      ],
    },
    {
      type: 'input',
      block_id: BLOCK.ocPerson,
      label: { type: 'plain_text', text: 'Who' },
      element: {
        type: 'users_select',
        action_id: INPUT.person,
        ...(personId ? { initial_user: personId } : {}),
        placeholder: { type: 'plain_text', text: 'Pick a person' },
      },
    },
    {
      type: 'input',
      block_id: BLOCK.ocRole,
      label: { type: 'plain_text', text: 'Role' },
      element: {
        type: 'static_select',
        action_id: INPUT.select,
        options: roles.slice(0, 100).map(option),
        ...(roles[0] ? { initial_option: option(roles[0]) } : {}),
      },
    },
    {
      type: 'input',
      block_id: BLOCK.ocFrom,
      optional: true,
      label: { type: 'plain_text', text: 'From' },
      hint: { type: 'plain_text', text: `Empty: from now. A time of day is its next occurrence, in ${zone}.` },
      element: {
        type: 'plain_text_input',
        action_id: INPUT.text,
        max_length: 40,
        placeholder: { type: 'plain_text', text: '20:00 or 2026-12-01 09:00' },
      },
    },
    {
      type: 'input',
      block_id: BLOCK.ocUntil,
      label: { type: 'plain_text', text: 'Until, or for how long' },
      hint: { type: 'plain_text', text: `A length (2h, 30m, 1d) or a time, in ${zone}.` },
      element: {
        type: 'plain_text_input',
        action_id: INPUT.text,
        max_length: 40,
        placeholder: { type: 'plain_text', text: '2h, until 18:00 or until 2026-12-01 09:00' },
      },
    },
  ];
  return modal({
    callbackId: VIEW.oncallOverride,
    privateMetadata: overrideFormRef.encode({ from: 'home', ...(clock ? { tz: clock.timeZone } : {}) }),
    title: 'On-call override',
    submit: 'Override',
    blocks,
  });
}

/** The form's second step for someone outside the role's rotation: the question, with the override it would record. */
export function overrideConfirmModal(c: OverrideConfirm): ModalView {
  const question = renderOverrideConfirm(c);
  const metadata = overrideRef.encode({
    k: c.kind,
    r: c.role,
    u: c.userId,
    ...(c.otherId ? { o: c.otherId } : {}),
    ...(c.startsAt ? { s: c.startsAt.toISOString() } : {}),
    e: c.endsAt.toISOString(),
  });
  return modal({
    callbackId: VIEW.oncallOverrideConfirm,
    privateMetadata: metadata,
    title: 'Outside the rotation',
    submit: 'Put on call',
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(question.text, LIMITS.sectionText) } }],
  });
}

/** What the form did (or why it did nothing), in place of the form, with Done. */
export function overrideDoneModal(text: string): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'On-call override' },
    close: { type: 'plain_text', text: 'Done' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } }],
  };
}
