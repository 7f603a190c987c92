import { z } from 'zod';

/**
 * The lines a step's output is read for, as the runbook's `atom-cli logs | grep "ERROR"` reads it: a line that holds
 * any of `any` (text, matched as written, not a pattern), in any case when `anyCase` (`grep -i`), only as a whole word
 * when `wholeWord` (`grep -w`: DATABASE_URL is not found in OLD_DATABASE_URL_2, nor 401 in 12:00:01.401Z). `mustFind`:
 * the step expects such a line ("it should be listed"), and fails when the output has none.
 */
export interface LookFor {
  any: string[];
  anyCase: boolean;
  wholeWord: boolean;
  mustFind: boolean;
}

/** The lines of an output that hold what a step looks for. */
export interface FoundLines {
  /** How many lines hold it. */
  matched: number;
  /** How many lines the output has. */
  total: number;
  /** The last lines that hold it, in order, within the room given, as a reader sees them (redacted, no escapes). */
  last: string[];
}

/** Most texts a step looks for, and the longest of each: a run's message names them all. */
const MAX_TEXTS = 10;
const MAX_TEXT_CHARS = 60;

const lookText = z
  .preprocess(
    (v) => (typeof v === 'number' ? String(v) : v),
    z
      .string()
      .trim()
      .min(1, 'is empty: write the text a line must hold, such as ERROR')
      .max(MAX_TEXT_CHARS, `is longer than ${MAX_TEXT_CHARS} characters: look for a shorter text`),
  )
  .refine((s) => !s.includes('\n'), 'must be one line: a line of output is matched against it');

const lookTexts = z.preprocess(
  (v) => (Array.isArray(v) ? v : [v]),
  z
    .array(lookText)
    .min(1, 'names no text: write one, such as ERROR')
    .max(MAX_TEXTS, `names more than ${MAX_TEXTS} texts: keep the ${MAX_TEXTS} that matter`),
);

/**
 * `look_for:` in the runbook file: `ERROR`, `[ERROR, unauthorized]` (as written), or
 * `{ any_of: [database, connection], any_case: true }` (`grep -i`).
 */
export const lookForSchema = z
  .preprocess(
    (v) => (typeof v === 'string' || typeof v === 'number' || Array.isArray(v) ? { any_of: v } : v),
    z
      .object(
        {
          any_of: lookTexts,
          any_case: z.boolean().optional(),
          whole_word: z.boolean().optional(),
          must_find: z.boolean().optional(),
        },
        {
          error: () =>
            'must be a text (ERROR), a list of texts ([ERROR, unauthorized]) or { any_of: [database, connection], any_case: true, whole_word: true, must_find: true }',
        },
      )
      .strict(),
  )
  .transform(
    (v): LookFor => ({
      any: [...new Set(v.any_of)],
      anyCase: v.any_case ?? false,
      wholeWord: v.whole_word ?? false,
      mustFind: v.must_find ?? false,
    }),
  );

/** Whether a line (as a reader sees it) is one the step looks for. */
export function lineMatcher(lookFor: LookFor): (line: string) => boolean {
  if (lookFor.wholeWord) {
    const escaped = lookFor.any.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const re = new RegExp(`(?<![A-Za-z0-9_])(?:${escaped.join('|')})(?![A-Za-z0-9_])`, lookFor.anyCase ? 'i' : '');
    return (line) => re.test(line);
  }
  if (!lookFor.anyCase) return (line) => lookFor.any.some((t) => line.includes(t));
  const wanted = lookFor.any.map((t) => t.toLowerCase());
  return (line) => {
    const lower = line.toLowerCase();
    return wanted.some((t) => lower.includes(t));
  };
}

/** What a step looks for, in words (plain text): `"ERROR"`, `"database" or "connection" (any case)`. */
export function lookForWords(lookFor: LookFor): string {
  const quoted = lookFor.any.map((t) => `"${t}"`);
  const list = quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}` : (quoted[0] ?? '');
  return `${list}${lookFor.anyCase ? ' (any case)' : ''}`;
}

/** Why a run that must find a line (`must_find`) failed, when its output has none: said where its outcome is. */
export function notFoundDetail(lookFor: LookFor, total: number): string {
  const words = lookForWords(lookFor);
  return total === 0
    ? `Expected a line with ${words}, and it printed nothing.`
    : `Expected a line with ${words}: none of the ${total} printed has it.`;
}

/**
 * How many lines had what a run looked for, as its timeline and post-mortem say it (plain text): "34 of 200 lines
 * have "ERROR"", "no line has "ERROR"". `words` is lookForWords' text, kept with the run's record.
 */
export function foundSummary(f: { words: string; matched: number; total: number }): string {
  if (f.matched === 0) return `no line has ${f.words}`;
  return `${f.matched} of ${f.total} ${f.total === 1 ? 'line' : 'lines'} ${f.matched === 1 ? 'has' : 'have'} ${f.words}`;
}

/** A run's record's `found` (see foundSummary), when it has one. */
export function foundOfRecord(d: Record<string, unknown>): { words: string; matched: number; total: number } | null {
  const f = d.found as { words?: unknown; matched?: unknown; total?: unknown } | undefined;
  if (!f || typeof f.words !== 'string' || typeof f.matched !== 'number' || typeof f.total !== 'number') return null;
  return { words: f.words, matched: f.matched, total: f.total };
}
