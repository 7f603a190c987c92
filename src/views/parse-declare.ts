import { z } from 'zod';
import { TITLE_MAX } from '../commands/subcommands.js';
import { SEVERITIES, type Severity } from '../incidents/severity.js';
import { cleanText, cleanTitle, isBlank } from '../incidents/text.js';
import { DESCRIPTION_MAX } from '../templates/declare-modal.js';
import { BLOCK, FLAG, INPUT } from '../templates/ids.js';
import type { ParsedForm } from './parse-status-update.js';

type StateValues = Record<string, Record<string, Record<string, unknown>>>;

const textValue = z.object({ value: z.string().nullish() }).passthrough();
const selectValue = z.object({ selected_option: z.object({ value: z.string() }).nullish() }).passthrough();
const checksValue = z.object({ selected_options: z.array(z.object({ value: z.string() })).nullish() }).passthrough();

export interface DeclareFormValue {
  severity: Severity;
  title: string;
  description: string;
  /** The Private box was ticked. */
  private: boolean;
}

/** The declare form -> severity, title and description, or per-block errors to show inline. */
export function parseDeclareForm(values: StateValues): ParsedForm<DeclareFormValue> {
  const errors: Record<string, string> = {};
  const raw = selectValue.safeParse(values[BLOCK.declareSeverity]?.[INPUT.severity]).data?.selected_option?.value;
  const severity = SEVERITIES.find((s) => String(s) === raw);
  if (severity === undefined) errors[BLOCK.declareSeverity] = 'Pick a severity: SEV-0 (most severe) to SEV-3.';
  // As `/incident sev1 <title>` reads a title: one line, bidi controls dropped, spaces collapsed.
  const title = cleanTitle(textValue.safeParse(values[BLOCK.declareTitle]?.[INPUT.text]).data?.value ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!title || isBlank(title)) errors[BLOCK.declareTitle] = 'Write a title, e.g. db down.';
  else if ([...title].length > TITLE_MAX)
    errors[BLOCK.declareTitle] = `Keep the title to ${TITLE_MAX} characters; details go in the description.`;
  const description = cleanText(textValue.safeParse(values[BLOCK.declareDescription]?.[INPUT.text]).data?.value ?? '', {
    multiline: true,
  }).trim();
  if ([...description].length > DESCRIPTION_MAX)
    errors[BLOCK.declareDescription] = `Keep the description to ${DESCRIPTION_MAX} characters.`;
  if (Object.keys(errors).length || severity === undefined) return { ok: false, errors };
  const ticked = checksValue.safeParse(values[BLOCK.declarePrivate]?.[INPUT.checks]).data?.selected_options ?? [];
  const isPrivate = ticked.some((o) => o.value === FLAG.private);
  return {
    ok: true,
    value: { severity, title, description: isBlank(description) ? '' : description, private: isPrivate },
  };
}
