import { z } from 'zod';
import { SEVERITIES, type Severity } from '../incidents/severity.js';
import { cleanTitle, isBlank } from '../incidents/text.js';
import { BLOCK, INPUT } from '../templates/ids.js';
import { DECLARE_TITLE_MAX } from '../templates/modals.js';
import type { ParsedForm } from './parse-status-update.js';

type StateValues = Record<string, Record<string, Record<string, unknown>>>;

const textValue = z.object({ value: z.string().nullish() }).passthrough();
const selectValue = z.object({ selected_option: z.object({ value: z.string() }).nullish() }).passthrough();

/** The declare form -> severity and title (cleaned as a typed title is), or per-block errors to show inline. */
export function parseDeclareForm(values: StateValues): ParsedForm<{ severity: Severity; title: string }> {
  const errors: Record<string, string> = {};
  const raw = selectValue.safeParse(values[BLOCK.declareSeverity]?.[INPUT.severity]).data?.selected_option?.value;
  const severity = SEVERITIES.find((s) => String(s) === raw);
  if (severity === undefined) errors[BLOCK.declareSeverity] = 'Choose a severity, SEV-0 (most severe) to SEV-3.';
  const title = cleanTitle(textValue.safeParse(values[BLOCK.declareTitle]?.[INPUT.title]).data?.value ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!title || isBlank(title))
    errors[BLOCK.declareTitle] = 'Give the incident a title: what is broken, in a few words.';
  else if ([...title].length > DECLARE_TITLE_MAX) {
    errors[BLOCK.declareTitle] = `Keep the title to ${DECLARE_TITLE_MAX} characters or fewer.`;
  }
  if (Object.keys(errors).length || severity === undefined) return { ok: false, errors };
  return { ok: true, value: { severity, title } };
}
