import type { ChecklistCheck, ChecklistItem } from '../runbook/postmortem-checklist.js';
import type { ActionItem } from './action-items.js';
import type { SeverityDefs } from './severity.js';
import type { Incident, IncidentEvent } from './types.js';

/** Longest answer of the post-mortem form, in characters (Slack's multiline input holds 3000). */
export const POSTMORTEM_ANSWER_MAX = 2900;

/** What the people who write the post-mortem say; the rest of the document comes from the record. */
export interface PostmortemAnswers {
  rootCause: string;
  factors: string;
  wentWell: string;
  wentBadly: string;
  /** The runbook section that needs an update; null when none does. */
  runbookSection: string | null;
  runbookNote: string;
  /** Checklist items ticked by hand, by their text. */
  checked: string[];
}

/** The stored post-mortem of an incident: the answers, who last wrote them, and when. */
export interface StoredPostmortem extends PostmortemAnswers {
  updatedBy: string;
  updatedAt: Date;
}

/** One line of the runbook's post-mortem checklist as the document shows it. */
export interface ChecklistLine {
  text: string;
  done: boolean;
  /** Why it is ticked or not, e.g. "2 action items", "ticked by hand". */
  why: string;
}

/** Everything the post-mortem document is written from. */
export interface PostmortemRecord {
  incident: Incident;
  /** The timeline: every recorded event, oldest first. */
  events: IncidentEvent[];
  answers: PostmortemAnswers;
  items: ActionItem[];
  checklist: ChecklistLine[];
  severities: SeverityDefs;
  version: number;
  writtenBy: string;
  writtenAt: Date;
  /** People's names by Slack id, where known (the document shows the id otherwise). */
  names: ReadonlyMap<string, string>;
}

/** The "update the runbook" action item a post-mortem makes when it names a section. */
export function runbookItemText(answers: Pick<PostmortemAnswers, 'runbookSection' | 'runbookNote'>): string | null {
  if (!answers.runbookSection) return null;
  const note = answers.runbookNote.trim();
  return `Update the runbook: ${answers.runbookSection}${note ? ` (${note})` : ''}`;
}

type ChecklistFacts = { events: readonly IncidentEvent[]; answers: PostmortemAnswers; items: readonly ActionItem[] };

/** How the record ticks each kind of check (the runbook file's `done_when`). */
const CHECKS: Record<ChecklistCheck, (r: ChecklistFacts) => { done: boolean; why: string }> = {
  timeline: (r) => ({ done: r.events.length > 0, why: `${r.events.length} events on the timeline` }),
  root_cause: (r) =>
    r.answers.rootCause.trim() ? { done: true, why: 'root cause written' } : { done: false, why: 'no root cause yet' },
  action_items: (r) => {
    const n = r.items.length;
    return { done: n > 0, why: n ? `${n} action item${n === 1 ? '' : 's'}` : 'no action items yet' };
  },
  runbook: (r) => {
    if (!r.answers.runbookSection) return { done: true, why: 'no update needed' };
    const item = r.items.find((i) => i.source === 'runbook');
    return item?.state === 'done'
      ? { done: true, why: `${r.answers.runbookSection}: updated` }
      : { done: false, why: `${r.answers.runbookSection} needs an update` };
  },
};

/** The runbook's checklist, each item ticked from the record (its check) or by hand (the form's ticks). */
export function evaluateChecklist(checklist: readonly ChecklistItem[], r: ChecklistFacts): ChecklistLine[] {
  return checklist.map(({ text, check }): ChecklistLine => {
    if (check) return { text, ...CHECKS[check](r) };
    const done = r.answers.checked.some((c) => c.toLowerCase() === text.toLowerCase());
    return { text, done, why: done ? 'ticked by hand' : 'not ticked' };
  });
}
