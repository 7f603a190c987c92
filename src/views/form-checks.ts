import type { FormCheck } from '../http/ack-front.rules.js';
import { REQUIRED_FIELDS, type RequiredField, sawEmpty } from '../incidents/status-merge.js';
import { isBlank } from '../incidents/text.js';
import type { Incident } from '../incidents/types.js';
import { BLOCK, INPUT, VIEW } from '../templates/ids.js';
import { type ModalMetadata, modalMetadata } from '../templates/payloads.js';
import { type ParsedForm, parseResolveSummary, parseStatusUpdate } from './parse-status-update.js';

export const STALE_TEXT = 'This form is out of date; close it and open a new one.';

type StateValues = Parameters<typeof parseStatusUpdate>[0];

/** A submitted form as Slack sends it: what the checks read. */
export interface SubmittedView {
  private_metadata?: string;
  state?: { values?: unknown };
}

/** The checks of a form that need nothing but the form: which incident it is for, and its fields. */
export interface FormCheckSpec<T> {
  callbackId: string;
  /** The block that shows form-wide problems (a stale form, overload). */
  mainBlock: string;
  parse: (values: StateValues) => ParsedForm<T>;
}

export type FormChecked<T> =
  | { ok: true; meta: ModalMetadata; value: T }
  | { ok: false; errors: Record<string, string> };

/** A form's checks: its metadata names an incident, and its fields read (else the errors to show inline). */
export function checkForm<T>(spec: FormCheckSpec<T>, view: SubmittedView): FormChecked<T> {
  const meta = modalMetadata.decode(view.private_metadata ?? '');
  if (!meta) return { ok: false, errors: { [spec.mainBlock]: STALE_TEXT } };
  // A form with no state at all is read as an empty one: its errors show inline.
  const parsed = spec.parse((view.state?.values ?? {}) as unknown as StateValues);
  return parsed.ok ? { ok: true, meta, value: parsed.value } : { ok: false, errors: parsed.errors };
}

type Parsed<F extends (...a: never[]) => ParsedForm<unknown>> = Extract<ReturnType<F>, { ok: true }>['value'];

export const STATUS_UPDATE_FORM: FormCheckSpec<Parsed<typeof parseStatusUpdate>> = {
  callbackId: VIEW.statusUpdate,
  mainBlock: BLOCK.updCurrentStatus,
  parse: (values) => parseStatusUpdate(values, new Date()),
};

export const RESOLVE_FORM: FormCheckSpec<Parsed<typeof parseResolveSummary>> = {
  callbackId: VIEW.resolve,
  mainBlock: BLOCK.resolveSummary,
  parse: parseResolveSummary,
};

/** The status update form's required text fields: where each is in the form, and the incident's field it shows. */
const PLACE: Record<RequiredField, { block: string; input: string }> = {
  affected: { block: BLOCK.updAffected, input: INPUT.affected },
  currentImpact: { block: BLOCK.updImpact, input: INPUT.impact },
  currentStatus: { block: BLOCK.updCurrentStatus, input: INPUT.currentStatus },
};
const REQUIRED_TEXT = REQUIRED_FIELDS.map((field) => ({ field, ...PLACE[field] }));
type RequiredText = (typeof REQUIRED_TEXT)[number];

/**
 * The required fields a status update form was refused for that it left empty as it showed them (no update had
 * filled them when it opened: the incident's first update written by two people at once). Another update may have
 * filled them since, and the submission then keeps what it put there (mergeOverNewer), so only the incident as it is
 * now says whether they are missing. Null when any other error stands, or none of these.
 */
export function leftEmptyAsShown(view: SubmittedView, errors: Record<string, string>): RequiredText[] | null {
  const meta = modalMetadata.decode(view.private_metadata ?? '');
  if (!meta?.seen) return null;
  const fields = REQUIRED_TEXT.filter((r) => Object.hasOwn(errors, r.block));
  if (fields.length === 0 || fields.length !== Object.keys(errors).length) return null;
  return fields.every((r) => sawEmpty(meta.seen, r.field)) ? fields : null;
}

/**
 * A status update form refused only for required fields it left empty as shown, read against the incident as it is
 * now: when another update has filled every one of them, the form as if it had shown them, and those fields (to be
 * left to the merge, which keeps the other update's values and says so). Null when one is still empty.
 */
export function filledSince(
  view: SubmittedView,
  fields: RequiredText[],
  now: Pick<Incident, RequiredText['field']>,
): { view: SubmittedView; fields: RequiredText['field'][] } | null {
  if (fields.some((r) => isBlank(now[r.field] ?? ''))) return null;
  const values = { ...((view.state?.values ?? {}) as Record<string, Record<string, unknown>>) };
  for (const r of fields) values[r.block] = { [r.input]: { type: 'plain_text_input', value: now[r.field] } };
  return { view: { ...view, state: { values } }, fields: fields.map((r) => r.field) };
}

/**
 * The forms whose answer depends on the form alone, by callback id: the errors to show inline, or null when it reads.
 * The acknowledging front answers these itself (a form that reads is answered with an empty 200 and handed to the bot,
 * which does its work); every other form is answered by the bot, and so is one of these whose answer depends on the
 * incident as it is now: a resolve form that reads, and a status update saying Resolved that reads, are `{ ifOpen }`,
 * answered by the front when it reads the incident as not resolved, else by the bot, which refuses it inline (a
 * resolved incident is not resolved twice, and takes no status update); one refused only for fields another update
 * may have filled since is 'pass'. A status update saying Investigating or Mitigated is answered unread: most updates
 * say these (bench/mixed sends one in three requests as one), and a read of the incident before each answer made their
 * acknowledgements slower (its p50 2.8 ms against 1.7, p90 7.6 against 4.3); one whose incident was resolved meanwhile
 * is refused after, privately. A form the front could not read in time goes to the bot, which reads it itself; one
 * the front answered (read as open, resolved just after) is refused after, privately.
 */
export const FORM_CHECKS: Record<string, (view: SubmittedView) => FormCheck> = Object.fromEntries(
  [STATUS_UPDATE_FORM, RESOLVE_FORM].map((spec) => [
    spec.callbackId,
    (view: SubmittedView) => {
      const r = checkForm<unknown>(spec as FormCheckSpec<unknown>, view);
      // A resolve form, or a status update saying Resolved: answered here unless its incident is resolved (then
      // refused inline by the bot). A status update saying anything else: answered here at once, unread (FORM_CHECKS).
      if (r.ok)
        return spec === RESOLVE_FORM || (r.value as { status?: string }).status === 'resolved'
          ? { ifOpen: r.meta.incidentId }
          : null;
      // Refused only for fields another update may have filled since: the bot reads the incident to answer.
      return spec === STATUS_UPDATE_FORM && leftEmptyAsShown(view, r.errors) ? 'pass' : r.errors;
    },
  ]),
);
