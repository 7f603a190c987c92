import { createHash } from 'node:crypto';
import type { PostmortemAnswers } from './postmortem.js';

/**
 * The post-mortem's answers a form shows from the version before, as the form labels them: two people writing at once
 * must not undo each other (as status updates, status-merge.ts).
 */
const FIELDS = {
  rootCause: 'Root cause',
  factors: 'Contributing factors',
  wentWell: 'What went well',
  wentBadly: 'What went badly',
  runbookSection: 'Runbook section',
  runbookNote: 'What to change in the runbook',
  checked: 'Checklist',
} as const;
type Field = keyof typeof FIELDS;

/**
 * What a post-mortem form showed of each answer, as short fingerprints (carried in the form's private_metadata, whose
 * 3,000 characters the answers themselves would not fit), back on submission.
 */
export type SeenAnswers = Partial<Record<Field, string>>;

/** An answer as compared: text trimmed; no section as empty; the ticked checklist items in any order, any case. */
function answerOf(a: PostmortemAnswers | null, f: Field, checklist: readonly string[]): string {
  if (!a) return '';
  if (f === 'checked') {
    // Only the items the form can show (the runbook's checklist as it is): one gone from it is no one's change.
    const offered = new Set(checklist.map((c) => c.toLowerCase()));
    return a.checked
      .map((c) => c.toLowerCase())
      .filter((c) => offered.has(c))
      .sort()
      .join('\n');
  }
  return (a[f] ?? '').trim();
}

const fingerprint = (v: string) => createHash('sha256').update(v).digest('base64url').slice(0, 10);

/** The fingerprints of what a post-mortem form opened on `shown` (null: no version yet) shows. */
export function seenAnswers(shown: PostmortemAnswers | null, checklist: readonly string[]): SeenAnswers {
  return Object.fromEntries(
    (Object.keys(FIELDS) as Field[]).map((f) => [f, fingerprint(answerOf(shown, f, checklist))]),
  ) as SeenAnswers;
}

/**
 * Another version was written while this person's form was open: each answer they left as their form showed it (its
 * fingerprint is what they saw), which the other version changed, keeps the other version's; the answers they changed
 * are theirs. `current` is the stored answers as the form would show them now (masked as shown), `stored` as stored.
 * `kept`: the answers that kept the other version's (said to the person).
 */
export function mergeAnswers(
  submitted: PostmortemAnswers,
  seen: SeenAnswers | undefined,
  current: PostmortemAnswers | null,
  stored: PostmortemAnswers | null,
  checklist: readonly string[],
): { answers: PostmortemAnswers; kept: string[] } {
  if (!seen || !current || !stored) return { answers: submitted, kept: [] };
  const answers: PostmortemAnswers = { ...submitted };
  const kept: string[] = [];
  for (const f of Object.keys(FIELDS) as Field[]) {
    const saw = seen[f];
    if (saw === undefined) continue;
    const untouched = fingerprint(answerOf(submitted, f, checklist)) === saw;
    const changedSince = fingerprint(answerOf(current, f, checklist)) !== saw;
    if (!untouched || !changedSince) continue;
    (answers as unknown as Record<Field, unknown>)[f] = stored[f];
    kept.push(FIELDS[f]);
  }
  return { answers, kept };
}

/** What the person is told of the answers that kept another version's. */
export function keptText(kept: readonly string[], version: number): string {
  return `another version was written while you wrote yours: ${kept.join(', ')} ${kept.length === 1 ? 'keeps its answer, which you left as your form showed it' : 'keep their answers, which you left as your form showed them'} (the rest is yours, in version ${version})`;
}
