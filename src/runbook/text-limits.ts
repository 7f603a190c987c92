import type { z } from 'zod';

/**
 * The longest each free text of the runbook file may be: as much as the messages that show it show in full. A Slack
 * section holds 3,000 characters, and a text shares its section with others (the card's alert section lists a row's
 * action beside the alerts; a checklist step its status), so each has its part. The file is refused at start with a
 * longer one, naming the entry, its length and its limit: the operator learns it while editing the file, rather than a
 * responder at 3 a.m. finding the runbook's instruction cut off mid-sentence. The templates cut at these same numbers
 * (RUNBOOK_TEXT_MAX), so what the file holds is what is shown.
 */
interface TextLimit {
  max: number;
  /** Where it is shown, as the refusal says it: "on the incident card's alert section and the alert's notice". */
  shownOn: string;
  /** What to do instead of a longer text. */
  advice: string;
}

export const RUNBOOK_TEXTS = {
  alertAction: {
    max: 300,
    shownOn: "on the incident card's alert section and the alert's notice",
    advice:
      "keep it to what to do first, and put a longer procedure in a playbook's steps (the row's playbook: names it)",
  },
  playbookTitle: {
    max: 100,
    shownOn: "on the playbook's checklist and the lists of playbooks",
    advice: 'shorten it, and put the detail in its symptoms or steps',
  },
  stepText: {
    max: 600,
    shownOn: 'on its line of the checklist, its confirmation and its approval request',
    advice: 'shorten it, or split it into steps',
  },
  stepWarning: { max: 400, shownOn: 'with the step and its confirmation', advice: 'shorten it' },
  stepExpect: { max: 300, shownOn: 'with the step and its run', advice: 'shorten it' },
  sectionName: {
    max: 60,
    shownOn: 'as a heading of the checklist, its progress line and its confirmations',
    advice: 'name the section in a few words (Prerequisites checklist, Deployment)',
  },
  symptom: { max: 300, shownOn: "in the checklist's Symptoms", advice: 'shorten it, or make it two symptoms' },
  prevention: { max: 200, shownOn: "on the checklist's Prevention line", advice: 'shorten it, or make it two notes' },
  severityText: { max: 200, shownOn: 'in `/incident help`', advice: 'shorten it' },
} as const satisfies Record<string, TextLimit>;

export type RunbookText = keyof typeof RUNBOOK_TEXTS;

/** The limits alone, for the templates that show these texts: each cuts at its text's limit, never shorter. */
export const RUNBOOK_TEXT_MAX = Object.fromEntries(Object.entries(RUNBOOK_TEXTS).map(([k, v]) => [k, v.max])) as {
  readonly [K in RunbookText]: (typeof RUNBOOK_TEXTS)[K]['max'];
};

/** A text of the file held to its limit, refused beyond it with its length, its limit, where it is shown and why. */
export function limitedText(schema: z.ZodString, text: RunbookText): z.ZodString {
  const { max, shownOn, advice } = RUNBOOK_TEXTS[text];
  return schema.max(max, {
    error: (iss) =>
      `is ${String(iss.input ?? '').length.toLocaleString('en-US')} characters long; at most ${max} fit ${shownOn}: ${advice}`,
  });
}
