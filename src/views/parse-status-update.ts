import { z } from 'zod';
import { cleanText, isBlank } from '../incidents/text.js';
import { INCIDENT_STATUSES, type StatusUpdateInput } from '../incidents/types.js';
import { BLOCK, FLAG, INPUT } from '../templates/ids.js';

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
  // Multi-line fields: tabs and line breaks stay, other control characters (a NUL, which Postgres refuses) go.
  const text = (block: string, action: string) =>
    cleanText(textValue.safeParse(get(values, block, action)).data?.value ?? '', { multiline: true }).trim();

  const statusRaw = selectValue.safeParse(get(values, BLOCK.updStatus, INPUT.status)).data?.selected_option?.value;
  const status = INCIDENT_STATUSES.find((s) => s === statusRaw);
  if (!status) errors[BLOCK.updStatus] = 'Choose Investigating, Mitigated or Resolved.';

  const affected = text(BLOCK.updAffected, INPUT.affected);
  const currentImpact = text(BLOCK.updImpact, INPUT.impact);
  const currentStatus = text(BLOCK.updCurrentStatus, INPUT.currentStatus);
  const mitigationSteps = text(BLOCK.updMitigation, INPUT.mitigation);
  // A field of only invisible characters (a zero-width space) shows nothing: as good as empty.
  if (isBlank(affected)) errors[BLOCK.updAffected] = 'Say who or what is affected (users, services).';
  if (isBlank(currentImpact)) errors[BLOCK.updImpact] = 'Describe the current impact.';
  if (isBlank(currentStatus)) errors[BLOCK.updCurrentStatus] = "Say what's happening now.";

  const seconds = dateTimeValue.safeParse(get(values, BLOCK.updNextUpdate, INPUT.nextUpdate)).data?.selected_date_time;
  let nextUpdateAt: Date | null = null;
  if (typeof seconds === 'number') {
    nextUpdateAt = new Date(seconds * 1000);
    // A minute of slack for clocks and for the time it takes to fill the form.
    if (status !== 'resolved' && nextUpdateAt.getTime() < now.getTime() - 60_000) {
      errors[BLOCK.updNextUpdate] = 'The next update must be in the future.';
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

export const SUMMARY_MAX = 300;

export function parseResolveSummary(values: StateValues): ParsedForm<string> {
  const v = cleanText(textValue.safeParse(get(values, BLOCK.resolveSummary, INPUT.summary)).data?.value ?? '').trim();
  if (isBlank(v)) return { ok: false, errors: { [BLOCK.resolveSummary]: 'Write one line on what fixed it.' } };
  if ([...v].length > SUMMARY_MAX)
    return { ok: false, errors: { [BLOCK.resolveSummary]: `Keep the summary to ${SUMMARY_MAX} characters.` } };
  return { ok: true, value: v.replace(/\s+/g, ' ') };
}
