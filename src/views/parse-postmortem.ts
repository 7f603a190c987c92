import { z } from 'zod';
import { type ParsedActionItem, parseActionItem } from '../commands/parse-action-item.js';
import { POSTMORTEM_ANSWER_MAX, type PostmortemAnswers } from '../incidents/postmortem.js';
import { cleanText, isBlank } from '../incidents/text.js';
import { BLOCK, INPUT } from '../templates/ids.js';
import { NO_RUNBOOK_UPDATE } from '../templates/postmortem-modal.js';
import type { ParsedForm } from './parse-status-update.js';

type StateValues = Record<string, Record<string, Record<string, unknown>>>;

const textValue = z.object({ value: z.string().nullish() }).passthrough();
const selectValue = z.object({ selected_option: z.object({ value: z.string() }).nullish() }).passthrough();
const checkboxValue = z.object({ selected_options: z.array(z.object({ value: z.string() })).nullish() }).passthrough();

/** New action items a form may add at once. */
export const FORM_ITEMS_MAX = 20;

export interface PostmortemFormValue {
  answers: PostmortemAnswers;
  /** New items, owners not looked up yet. */
  items: ParsedActionItem[];
}

/** The post-mortem form -> the answers and the new action items, or per-block errors to show inline. */
export function parsePostmortemForm(values: StateValues, now: Date): ParsedForm<PostmortemFormValue> {
  const errors: Record<string, string> = {};
  const text = (block: string, multiline = true) =>
    cleanText(textValue.safeParse(values[block]?.[INPUT.text]).data?.value ?? '', { multiline }).trim();
  const answer = (block: string) => {
    const v = text(block);
    if ([...v].length > POSTMORTEM_ANSWER_MAX) errors[block] = `Keep it to ${POSTMORTEM_ANSWER_MAX} characters.`;
    return v;
  };
  const rootCause = answer(BLOCK.pmRootCause);
  if (!rootCause || isBlank(rootCause))
    errors[BLOCK.pmRootCause] = 'Write the root cause, as far as it is known (say so if it is not).';
  const factors = answer(BLOCK.pmFactors);
  const wentWell = answer(BLOCK.pmWentWell);
  const wentBadly = answer(BLOCK.pmWentBadly);

  const section = selectValue.safeParse(values[BLOCK.pmRunbook]?.[INPUT.select]).data?.selected_option?.value;
  if (!section) errors[BLOCK.pmRunbook] = 'Say whether the runbook needs an update, and which section.';
  const runbookNote = text(BLOCK.pmRunbookNote, false).replace(/\s+/g, ' ');
  if ([...runbookNote].length > 500) errors[BLOCK.pmRunbookNote] = 'Keep the note to 500 characters.';

  const items: ParsedActionItem[] = [];
  const problems: string[] = [];
  const lines = text(BLOCK.pmItems)
    .split('\n')
    .map((l) => l.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').trim())
    .filter((l) => l && !isBlank(l));
  for (const [n, line] of lines.entries()) {
    const r = parseActionItem(line, now);
    if (r.ok) items.push(r.item);
    else problems.push(`Line ${n + 1}: ${r.error}`);
  }
  if (lines.length > FORM_ITEMS_MAX) problems.unshift(`Add at most ${FORM_ITEMS_MAX} items at a time.`);
  if (problems.length) errors[BLOCK.pmItems] = problems.slice(0, 3).join(' ');

  const checked = (checkboxValue.safeParse(values[BLOCK.pmChecklist]?.[INPUT.checks]).data?.selected_options ?? []).map(
    (o) => o.value,
  );
  if (Object.keys(errors).length || !section) return { ok: false, errors };
  return {
    ok: true,
    value: {
      answers: {
        rootCause,
        factors,
        wentWell,
        wentBadly,
        runbookSection: section === NO_RUNBOOK_UPDATE ? null : section,
        runbookNote,
        checked,
      },
      items,
    },
  };
}
