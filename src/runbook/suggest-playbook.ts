import { keywordKey, type Playbook } from './playbooks.js';
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

/** What a title is fitted against: a playbook's words (or an alert row's), and its kind. */
interface Candidate {
  match: readonly string[];
  where?: readonly string[] | undefined;
  also?: readonly string[] | undefined;
  unless?: readonly string[] | undefined;
  kind?: Playbook['kind'] | undefined;
}

/**
 * The id of the playbook whose keywords best fit an incident title, or null. A playbook whose `unless` words are in the
 * title is out ("docs site down" is not the site down, "OpenAI total outage" not ours to recover). Overlapping matches
 * go to the longest keyword ("redis connection" beats "connection"); a matched security playbook wins; otherwise the
 * playbook whose matches saying what is wrong (500s, slow, corruption: not its `where` words, login, postgres,
 * payments) cover the most words of the title, so "auth 500s" is High Error Rates and "log in slow" Slow Response
 * Times, however many words name where; then the one whose matches cover the most words in all; then the playbook
 * matched earliest in the title, then the one first in the file. `claims`: words
 * that mean a trouble the runbook has no playbook for (an alert row whose action is the procedure: "disk full"),
 * scored as a playbook after the file's: when one fits best, no playbook is suggested, not the one a lesser word would
 * ("db" in "disk full on db-1").
 */
export function suggestPlaybook(
  title: string,
  playbooks: readonly (Pick<Playbook, 'id'> & Candidate)[],
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
  playbooks: readonly Candidate[],
  claims: readonly C[],
): C | null {
  const best = bestFit(title, [...playbooks, ...claims]);
  return best !== null && best >= playbooks.length ? claims[best - playbooks.length]! : null;
}

/**
 * The other playbooks a title fits as well as the one suggested, to name beside it: those whose matches cover as many
 * words or more, and lost only on what they say or where in the title they are (neither a security one unless both
 * are), in the order they rank: "payments api slow" fits Stripe Webhook
 * Failures (payment) and Slow Response Times (slow) alike, and only "slow" saying what is wrong chose the second; then
 * those whose `also` words are in the title ("all machines down" names Disaster Recovery beside Machine Auto-Stops).
 * Empty when the suggestion stands alone, or when `suggested` is not the one the title suggests (attached after a
 * rename).
 */
export function equalFits(
  title: string,
  playbooks: readonly (Pick<Playbook, 'id'> & Candidate)[],
  claims: readonly { match: readonly string[] }[],
  suggested: string,
): string[] {
  const ranked = rankedFits(title, [...playbooks, ...claims]);
  const [best] = ranked;
  if (!best || best.index >= playbooks.length || playbooks[best.index]!.id !== suggested) return [];
  const tied = ranked
    .slice(1)
    .filter((r) => r.index < playbooks.length && r.words >= best.words && r.ahead === best.ahead)
    .map((r) => playbooks[r.index]!.id);
  const t = readable(title);
  const also = playbooks
    .filter(
      (pb) =>
        pb.id !== suggested && !tied.includes(pb.id) && !ruledOut(t, pb) && (pb.also ?? []).some((kw) => occurs(t, kw)),
    )
    .map((pb) => pb.id);
  return [...tied, ...also];
}

/** The index of the candidate whose keywords best fit the title (as suggestPlaybook says), or null. */
function bestFit(typed: string, candidates: readonly Candidate[]): number | null {
  return rankedFits(typed, candidates)[0]?.index ?? null;
}

/**
 * A title as keywords are read (NFKC: `ｄｂ down`, typed full width, is `db down`), and in lower case when it is
 * printable ASCII, where lower case and Unicode case folding agree (else null).
 */
function readable(typed: string): { title: string; lower: string | null } {
  const title = typed.normalize('NFKC');
  return { title, lower: /[^ -~\t]/.test(title) ? null : title.toLowerCase() };
}

/**
 * Where a keyword is in a title. Its first word must appear in the lower-case title for its pattern to match: the rest
 * is skipped (Unicode patterns cost about 10 µs each to run).
 */
function* matchesOf(t: { title: string; lower: string | null }, kw: string): Generator<RegExpExecArray> {
  if (t.lower !== null && !t.lower.includes(kw.trim().split(/\s+/)[0]!.toLowerCase())) return;
  yield* t.title.matchAll(keywordPattern(kw));
}

const occurs = (t: { title: string; lower: string | null }, kw: string) => !matchesOf(t, kw).next().done;

/** Whether a title names what makes it not this candidate's trouble (one of its `unless` words). */
const ruledOut = (t: { title: string; lower: string | null }, c: Candidate) =>
  (c.unless ?? []).some((kw) => occurs(t, kw));

/**
 * Every candidate the title fits, best first (see suggestPlaybook): its index, the words its matches cover, and whether
 * it is suggested ahead of others (`ahead` 1: a security playbook). A candidate ruled out by its `unless` words takes
 * no part, so the words it would have covered are left to the others ("OpenAI total outage": OpenAI's playbook).
 */
function rankedFits(
  typed: string,
  candidates: readonly Candidate[],
): { index: number; words: number; ahead: number }[] {
  const t = readable(typed);
  const found: { start: number; end: number; index: number; words: number; where: boolean }[] = [];
  candidates.forEach((pb, index) => {
    if (ruledOut(t, pb)) return;
    const where = new Set((pb.where ?? []).map(keywordKey));
    for (const kw of pb.match)
      for (const m of matchesOf(t, kw))
        found.push({
          start: m.index,
          end: m.index + m[0].length,
          index,
          words: kw.trim().split(/\s+/).length,
          where: where.has(keywordKey(kw)),
        });
  });
  found.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start || a.index - b.index);
  const kept: typeof found = [];
  for (const f of found) if (!kept.some((k) => f.start < k.end && k.start < f.end)) kept.push(f);
  const score = new Map<number, { words: number; what: number; first: number }>();
  for (const k of kept) {
    const s = score.get(k.index) ?? { words: 0, what: 0, first: Number.POSITIVE_INFINITY };
    score.set(k.index, {
      words: s.words + k.words,
      what: k.where ? s.what : s.what + k.words,
      first: Math.min(s.first, k.start),
    });
  }
  const first = (i: number) => (SUGGESTED_FIRST.has(candidates[i]!.kind ?? 'incident') ? 1 : 0);
  return [...score.entries()]
    .sort(
      ([ia, a], [ib, b]) =>
        first(ib) - first(ia) || b.what - a.what || b.words - a.words || a.first - b.first || ia - ib,
    )
    .map(([index, s]) => ({ index, words: s.words, ahead: first(index) }));
}
