import { SKIP_REASON_MAX } from '../incidents/checklist.service.js';
import { cleanText, hasControlCharacters, isBlank } from '../incidents/text.js';
import { BLOCK, INPUT } from '../templates/ids.js';
import { DENY_REASON_MAX } from '../templates/playbook.js';
import type { ParsedForm } from './parse-status-update.js';

type Values = Record<string, Record<string, { value?: string | null } | undefined> | undefined>;

/**
 * A step's parameters form: each parameter block's value by parameter name. A value is taken exactly as typed or not
 * at all: one holding a control character (a NUL, a line break) is refused on its block, never changed into another
 * value; the step's own check (validateParams) then judges the rest.
 */
export function parseStepParams(values: Values): ParsedForm<Record<string, string>> {
  const params: Record<string, string> = {};
  const errors: Record<string, string> = {};
  for (const [blockId, inputs] of Object.entries(values)) {
    if (!blockId.startsWith(BLOCK.paramPrefix)) continue;
    const value = inputs?.[INPUT.param]?.value ?? '';
    if (hasControlCharacters(value))
      errors[blockId] =
        'contains a control character (or a bidi control, which reorders how it reads), which no parameter pattern allows; type the value without it.';
    else params[blockId.slice(BLOCK.paramPrefix.length)] = value;
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value: params };
}

/**
 * Deny's reason form: the reason, one line without control characters, required (only invisible characters are
 * none), at most DENY_REASON_MAX characters (the form's max_length, which a crafted request does not keep to).
 */
export function parseDenyReason(values: Values): ParsedForm<string> {
  const reason = cleanText(values[BLOCK.denyReason]?.[INPUT.summary]?.value ?? '').trim();
  if (isBlank(reason))
    return { ok: false, errors: { [BLOCK.denyReason]: 'Say why, so the requester knows what to do instead.' } };
  if ([...reason].length > DENY_REASON_MAX)
    return { ok: false, errors: { [BLOCK.denyReason]: `Keep the reason to ${DENY_REASON_MAX} characters.` } };
  return { ok: true, value: reason };
}

/** Skip's reason form: why, one line without control characters, required (it goes on the timeline). */
export function parseSkipReason(values: Values): ParsedForm<string> {
  const reason = cleanText(values[BLOCK.skipReason]?.[INPUT.reason]?.value ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  if (isBlank(reason))
    return {
      ok: false,
      errors: { [BLOCK.skipReason]: 'Say why this step is skipped: it is recorded on the timeline.' },
    };
  if ([...reason].length > SKIP_REASON_MAX)
    return { ok: false, errors: { [BLOCK.skipReason]: `Keep it to ${SKIP_REASON_MAX} characters.` } };
  return { ok: true, value: reason };
}
