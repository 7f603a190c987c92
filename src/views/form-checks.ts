import { BLOCK, VIEW } from '../templates/ids.js';
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

/**
 * The forms whose answer depends on the form alone, by callback id: the errors to show inline, or null when it reads.
 * The acknowledging front answers these itself (a form that reads is answered with an empty 200 and handed to the bot,
 * which does its work); every other form is answered by the bot.
 */
export const FORM_CHECKS: Record<string, (view: SubmittedView) => Record<string, string> | null> = Object.fromEntries(
  [STATUS_UPDATE_FORM, RESOLVE_FORM].map((spec) => [
    spec.callbackId,
    (view: SubmittedView) => {
      const r = checkForm<unknown>(spec as FormCheckSpec<unknown>, view);
      return r.ok ? null : r.errors;
    },
  ]),
);
