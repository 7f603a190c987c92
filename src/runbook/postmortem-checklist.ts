import { z } from 'zod';

/**
 * The runbook's post-mortem phase ("Document incident timeline, identify root cause, create action items, update
 * runbook if needed") as a checklist the post-mortem document shows, each item ticked or not. An item the record can
 * tick names its check (`done_when`); any other item is ticked by hand in the post-mortem form.
 */
export const CHECKLIST_CHECKS = {
  /** The document carries the incident's timeline, from the record. */
  timeline: 'the timeline is documented',
  /** The form's root cause is filled in. */
  root_cause: 'a root cause is written',
  /** The incident has at least one action item. */
  action_items: 'action items exist',
  /** The form says the runbook needs no update, or the runbook's action item is done. */
  runbook: 'the runbook needs no update, or its update is done',
} as const;

export type ChecklistCheck = keyof typeof CHECKLIST_CHECKS;

export interface ChecklistItem {
  text: string;
  /** What ticks it from the record; null: ticked by hand in the form. */
  check: ChecklistCheck | null;
}

/**
 * A plain text is an item ticked by hand. Read as `{ text }` rather than as a union of the two forms, so that a problem
 * inside the mapping (`done_when: timelines`) is named there, not as a mapping that is no form of an item.
 */
const item = z.preprocess(
  (v) => (typeof v === 'string' ? { text: v } : v),
  z
    .object({
      text: z.string().min(1),
      done_when: z.enum(Object.keys(CHECKLIST_CHECKS) as [ChecklistCheck, ...ChecklistCheck[]]).optional(),
    })
    .strict(),
);

/** `postmortem:` in the runbook file. */
export const postmortemSchema = z
  .object({
    checklist: z
      .array(item)
      .max(20, 'keep the checklist to 20 items')
      .default([])
      .transform((items): ChecklistItem[] => items.map((i) => ({ text: i.text, check: i.done_when ?? null })))
      .refine((items) => new Set(items.map((i) => i.text.toLowerCase())).size === items.length, {
        message: 'two checklist items have the same text',
      }),
  })
  .strict();
