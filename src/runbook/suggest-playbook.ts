import type { Playbook } from './playbooks.js';
import { escapeRegExp } from './regexp.js';

/** Compiled keyword patterns: a Unicode pattern costs far more to build than to run, and keywords are few. */
const patterns = new Map<string, RegExp>();

/** A keyword as a case-insensitive whole-word pattern; spaces match any run of spaces, a plural 's' is allowed. */
function keywordPattern(kw: string): RegExp {
  let re = patterns.get(kw);
  if (!re) {
    const body = kw.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
    re = new RegExp(`(?<![\\p{L}\\p{N}])${body}(?:e?s)?(?![\\p{L}\\p{N}])`, 'giu');
    patterns.set(kw, re);
  }
  return re;
}

/** Kinds suggested ahead of any other match: an attack reads like an ordinary fault ("DDoS: rate limit alerts"). */
const SUGGESTED_FIRST: ReadonlySet<Playbook['kind']> = new Set(['security']);

/**
 * The id of the playbook whose keywords best fit an incident title, or null. Overlapping matches go to the longest
 * keyword ("redis connection" beats "connection"); a matched security playbook wins; otherwise each playbook scores
 * the number of words its matches cover; ties go to the playbook matched earliest in the title, then to the one first
 * in the file. `claims`: words that mean a trouble the runbook has no playbook for (an alert row whose action is the
 * procedure: "disk full"), scored as a playbook after the file's: when one fits best, no playbook is suggested, not
 * the one a lesser word would ("db" in "disk full on db-1").
 */
export function suggestPlaybook(
  title: string,
  playbooks: readonly (Pick<Playbook, 'id' | 'match'> & Partial<Pick<Playbook, 'kind'>>)[],
  claims: readonly { match: readonly string[] }[] = [],
): string | null {
  const best = bestFit(title, [...playbooks, ...claims]);
  return best !== null && best < playbooks.length ? playbooks[best]!.id : null;
}

/**
 * The claim whose words best fit a title, when one does better than every playbook (see suggestPlaybook), else null:
 * what the runbook says to do for a trouble it has no playbook for.
 */
export function winningClaim<C extends { match: readonly string[] }>(
  title: string,
  playbooks: readonly (Pick<Playbook, 'match'> & Partial<Pick<Playbook, 'kind'>>)[],
  claims: readonly C[],
): C | null {
  const best = bestFit(title, [...playbooks, ...claims]);
  return best !== null && best >= playbooks.length ? claims[best - playbooks.length]! : null;
}

/**
 * The other playbooks a title fits exactly as well as the one suggested (the same number of words, neither a security
 * one unless both are), in the order the tie is broken: "payments api slow" fits Stripe Webhook Failures (payment) and
 * Slow Response Times (slow) alike, and only the order of the words chose the first. Empty when the suggestion stands
 * alone, or when `suggested` is not the one the title suggests (attached after a rename).
 */
export function equalFits(
  title: string,
  playbooks: readonly (Pick<Playbook, 'id' | 'match'> & Partial<Pick<Playbook, 'kind'>>)[],
  claims: readonly { match: readonly string[] }[],
  suggested: string,
): string[] {
  const ranked = rankedFits(title, [...playbooks, ...claims]);
  const [best] = ranked;
  if (!best || best.index >= playbooks.length || playbooks[best.index]!.id !== suggested) return [];
  return ranked
    .slice(1)
    .filter((r) => r.index < playbooks.length && r.words === best.words && r.ahead === best.ahead)
    .map((r) => playbooks[r.index]!.id);
}

/** The index of the candidate whose keywords best fit the title (as suggestPlaybook says), or null. */
function bestFit(
  typed: string,
  candidates: readonly { match: readonly string[]; kind?: Playbook['kind'] }[],
): number | null {
  return rankedFits(typed, candidates)[0]?.index ?? null;
}

/**
 * Every candidate the title fits, best first (see suggestPlaybook): its index, the words its matches cover, and whether
 * it is suggested ahead of others (`ahead` 1: a security playbook).
 */
function rankedFits(
  typed: string,
  candidates: readonly { match: readonly string[]; kind?: Playbook['kind'] }[],
): { index: number; words: number; ahead: number }[] {
  // Read as keywords are (NFKC): `ｄｂ down`, typed full width, is `db down`.
  const title = typed.normalize('NFKC');
  const found: { start: number; end: number; index: number; words: number }[] = [];
  // A keyword's first word must appear in the title for its pattern to match: skip the rest (Unicode patterns cost
  // about 10 µs each to run). Only for printable ASCII titles, where lower case and Unicode case folding agree.
  const lower = /[^ -~\t]/.test(title) ? null : title.toLowerCase();
  candidates.forEach((pb, index) => {
    for (const kw of pb.match) {
      if (lower !== null && !lower.includes(kw.trim().split(/\s+/)[0]!.toLowerCase())) continue;
      for (const m of title.matchAll(keywordPattern(kw)))
        found.push({ start: m.index, end: m.index + m[0].length, index, words: kw.trim().split(/\s+/).length });
    }
  });
  found.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start || a.index - b.index);
  const kept: typeof found = [];
  for (const f of found) if (!kept.some((k) => f.start < k.end && k.start < f.end)) kept.push(f);
  const score = new Map<number, { words: number; first: number }>();
  for (const k of kept) {
    const s = score.get(k.index) ?? { words: 0, first: Number.POSITIVE_INFINITY };
    score.set(k.index, { words: s.words + k.words, first: Math.min(s.first, k.start) });
  }
  const first = (i: number) => (SUGGESTED_FIRST.has(candidates[i]!.kind ?? 'incident') ? 1 : 0);
  return [...score.entries()]
    .sort(([ia, a], [ib, b]) => first(ib) - first(ia) || b.words - a.words || a.first - b.first || ia - ib)
    .map(([index, s]) => ({ index, words: s.words, ahead: first(index) }));
}
