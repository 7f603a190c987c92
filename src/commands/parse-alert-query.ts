import type { AlertQuery } from '../incidents/alert-types.js';

export type AlertQueryParse = { ok: true; query: AlertQuery } | { ok: false; error: string };

/** At most this many words narrow the list (each must be found in the alert). */
export const ALERT_QUERY_WORDS_MAX = 8;

export const ALERT_QUERY_FORMS =
  '`/incident alerts` (all of them), `/incident alerts node-12` (only those whose name, summary, service, state or ' +
  'labels hold every word: a host, an alert name, `firing`, `resolved`), `/incident alerts from 201` (from the 201st on)';

/**
 * What follows `/incident alerts`: words that narrow the list (case-insensitive, each must be found), and `from N` to
 * start at the Nth alert of the list (the next page of a long one). A number alone is an incident's (`/incident alerts
 * 12`): said where to type it instead. Pure.
 */
export function parseAlertQuery(text: string | null | undefined): AlertQueryParse {
  const words = (text ?? '').trim().split(/\s+/).filter(Boolean);
  let from = 1;
  const at = words.findIndex((w) => w.toLowerCase() === 'from');
  if (at >= 0) {
    const n = words[at + 1];
    if (n === undefined || !/^\d{1,9}$/.test(n) || Number(n) < 1) {
      return {
        ok: false,
        error: `\`from\` takes the number of the first alert to show, e.g. \`/incident alerts from 201\`. ${ALERT_QUERY_FORMS}.`,
      };
    }
    from = Number(n);
    words.splice(at, 2);
  }
  if (words.length === 1 && /^(?:#|inc-?)\d{1,9}$/i.test(words[0]!) && from === 1) {
    const n = Number(/\d+/.exec(words[0]!)![0]);
    return {
      ok: false,
      error: `\`/incident alerts\` takes no incident number: type it in incident #${n}'s channel (\`/incident list\` links each open incident's) for its alerts.`,
    };
  }
  if (words.length > ALERT_QUERY_WORDS_MAX) {
    return {
      ok: false,
      error: `That is ${words.length} words; narrow the list with at most ${ALERT_QUERY_WORDS_MAX} (each must be found in the alert).`,
    };
  }
  // Quotes people put around a word are not part of it.
  const cleaned = words
    .map((w) =>
      w
        .replace(/^["'“‘]+|["'”’]+$/g, '')
        .replace(/`/g, '')
        .toLowerCase(),
    )
    .filter(Boolean);
  return { ok: true, query: { words: cleaned, from } };
}
