import { z } from 'zod';
import { RESOLUTION_SUMMARY_MAX } from '../incidents/resolution-summary.js';
import { cleanText, isBlank } from '../incidents/text.js';
import { INCIDENT_STATUSES, type StatusUpdateInput } from '../incidents/types.js';
import { BLOCK, FLAG, INPUT } from '../templates/ids.js';
import { NEXT_UPDATE_MAX_DAYS, UPDATE_LINE_MAX, UPDATE_TEXT_MAX } from '../templates/modals.js';

type StateValues = Record<string, Record<string, Record<string, unknown>>>;

const textValue = z.object({ value: z.string().nullish() }).passthrough();
const selectValue = z.object({ selected_option: z.object({ value: z.string() }).nullish() }).passthrough();
const dateTimeValue = z.object({ selected_date_time: z.number().nullish() }).passthrough();
const checkboxValue = z.object({ selected_options: z.array(z.object({ value: z.string() })).nullish() }).passthrough();

const get = (v: StateValues, block: string, action: string) => v[block]?.[action];

export type ParsedForm<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

/** The status update form -> StatusUpdateInput, or per-block errors to show inline in the modal. */
export function parseStatusUpdate(values: StateValues, now: Date): ParsedForm<StatusUpdateInput> {
  const errors: Record<string, string> = {};
  // Multi-line fields (current status, mitigation steps): tabs and line breaks stay, other control characters (a NUL,
  // which Postgres refuses) go. Single-line ones (affected, current impact: one line in the form) take a space for a
  // line break: one sent in a payload made by hand would otherwise start a line of its own in the posted update.
  const text = (block: string, action: string, multiline = false) =>
    cleanText(textValue.safeParse(get(values, block, action)).data?.value ?? '', { multiline }).trim();

  const statusRaw = selectValue.safeParse(get(values, BLOCK.updStatus, INPUT.status)).data?.selected_option?.value;
  const status = INCIDENT_STATUSES.find((s) => s === statusRaw);
  if (!status) errors[BLOCK.updStatus] = 'Choose Investigating, Mitigated or Resolved.';

  // Past the form's own limits (Slack keeps to them; a payload sent otherwise may not): refused, not stored and shown.
  const capped = (block: string, v: string, max: number) => {
    if ([...v].length > max) errors[block] = `Keep it to ${max} characters (it has ${[...v].length}).`;
    return v;
  };
  const affected = capped(BLOCK.updAffected, text(BLOCK.updAffected, INPUT.affected), UPDATE_LINE_MAX);
  const currentImpact = capped(BLOCK.updImpact, text(BLOCK.updImpact, INPUT.impact), UPDATE_LINE_MAX);
  const currentStatus = capped(
    BLOCK.updCurrentStatus,
    text(BLOCK.updCurrentStatus, INPUT.currentStatus, true),
    UPDATE_TEXT_MAX,
  );
  const mitigation = capped(BLOCK.updMitigation, text(BLOCK.updMitigation, INPUT.mitigation, true), UPDATE_TEXT_MAX);
  // A field of only invisible characters (a zero-width space) shows nothing: as good as empty. The optional
  // mitigation steps then are none (they would otherwise move the phase to mitigation, and post an empty section).
  const mitigationSteps = isBlank(mitigation) ? '' : mitigation;
  if (isBlank(affected)) errors[BLOCK.updAffected] = 'Say who or what is affected (users, services).';
  if (isBlank(currentImpact)) errors[BLOCK.updImpact] = 'Describe the current impact.';
  if (isBlank(currentStatus)) errors[BLOCK.updCurrentStatus] = "Say what's happening now.";

  const seconds = dateTimeValue.safeParse(get(values, BLOCK.updNextUpdate, INPUT.nextUpdate)).data?.selected_date_time;
  let nextUpdateAt: Date | null = null;
  const at = typeof seconds === 'number' ? new Date(seconds * 1000) : null;
  // A number past what a date can hold is no time at all: as if none were picked.
  if (at && !Number.isNaN(at.getTime())) {
    nextUpdateAt = at;
    // A minute of slack for clocks and for the time it takes to fill the form.
    if (status !== 'resolved' && at.getTime() < now.getTime() - 60_000) {
      errors[BLOCK.updNextUpdate] = 'The next update must be in the future.';
    } else if (status !== 'resolved' && at.getTime() > now.getTime() + NEXT_UPDATE_MAX_DAYS * 86_400_000) {
      errors[BLOCK.updNextUpdate] =
        `Pick a time within the next ${NEXT_UPDATE_MAX_DAYS} days; if it takes longer, say so in the next update.`;
    }
  } else if (status && status !== 'resolved') {
    errors[BLOCK.updNextUpdate] = 'Pick when the next update will come.';
  }

  const ticked = (block: string, action: string) =>
    new Set((checkboxValue.safeParse(get(values, block, action)).data?.selected_options ?? []).map((o) => o.value));
  const flags = ticked(BLOCK.updFlags, INPUT.flags);
  // A form opened before the box existed has no such block: not published.
  const publish = ticked(BLOCK.updPublish, INPUT.publish).has(FLAG.publish);
  if (Object.keys(errors).length || !status) return { ok: false, errors };
  return {
    ok: true,
    value: {
      status,
      affected,
      currentImpact,
      currentStatus,
      mitigationSteps,
      nextUpdateAt,
      customerImpact: flags.has(FLAG.customerImpact),
      dataLossRisk: flags.has(FLAG.dataLossRisk),
      publish,
    },
  };
}

export const SUMMARY_MAX = RESOLUTION_SUMMARY_MAX;

export function parseResolveSummary(values: StateValues): ParsedForm<string> {
  const v = cleanText(textValue.safeParse(get(values, BLOCK.resolveSummary, INPUT.summary)).data?.value ?? '').trim();
  if (isBlank(v)) return { ok: false, errors: { [BLOCK.resolveSummary]: 'Write one line on what fixed it.' } };
  if ([...v].length > SUMMARY_MAX)
    return { ok: false, errors: { [BLOCK.resolveSummary]: `Keep the summary to ${SUMMARY_MAX} characters.` } };
  return { ok: true, value: v.replace(/\s+/g, ' ') };
}
