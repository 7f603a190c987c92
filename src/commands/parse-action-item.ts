import { ACTION_ITEM_MAX, type OwnerRef } from '../incidents/action-items.js';
import { cleanText, isBlank } from '../incidents/text.js';
import { parseDuration } from '../runbook/duration.js';

/** An action item as typed: `Add pool monitoring @alice 2026-12-01` or `Rotate the key <@U0123ABC> in 3d`. */
export interface ParsedActionItem {
  text: string;
  owner: OwnerRef | null;
  dueAt: Date | null;
}

export type ActionItemParse = { ok: true; item: ParsedActionItem } | { ok: false; error: string };

/** The hour (UTC) a due date given as a day stands for: the start of that working day. */
export const DUE_DAY_HOUR_UTC = 9;

export const ACTION_ITEM_FORM = 'TEXT [@owner] [due: YYYY-MM-DD or 3d]';

const MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/;
const NAME = /^@([\p{L}\p{N}._-]{1,80})$/u;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

type Token = { kind: 'owner'; owner: OwnerRef } | { kind: 'due'; at: Date } | { kind: 'error'; error: string };

/** A date (`2026-12-01`, at 09:00 UTC) or a duration from now (`3d`, `2s`, `1h30m`), with `due:` in front or not. */
function dueToken(raw: string, now: Date): Token | null {
  const word = raw.replace(/^due:/i, '');
  const day = DAY.exec(word);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const at = new Date(Date.UTC(y, m - 1, d, DUE_DAY_HOUR_UTC));
    if (at.getUTCFullYear() !== y || at.getUTCMonth() !== m - 1 || at.getUTCDate() !== d)
      return { kind: 'error', error: `\`${word}\` is not a date; write the due date as YYYY-MM-DD, e.g. 2026-12-01.` };
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    if (Date.UTC(y, m - 1, d) < today) return { kind: 'error', error: `The due date ${word} is in the past.` };
    return { kind: 'due', at };
  }
  const ms = parseDuration(word);
  if (ms !== null) return { kind: 'due', at: new Date(now.getTime() + ms) };
  if (word !== raw) return { kind: 'error', error: `\`${raw}\` is not a due date; write due:2026-12-01 or due:3d.` };
  return null;
}

function ownerToken(raw: string): Token | null {
  const mention = MENTION.exec(raw);
  if (mention) return { kind: 'owner', owner: { id: mention[1]! } };
  const name = NAME.exec(raw);
  if (name) return { kind: 'owner', owner: { name: name[1]! } };
  return null;
}

/**
 * Reads one action item: its text, then optionally an owner (a mention, or `@name` to look up) and a due date or
 * duration, in either order, at the end. Errors are sentences for the person who typed it.
 */
export function parseActionItem(raw: string, now: Date): ActionItemParse {
  const words = cleanText(raw).replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  let owner: OwnerRef | null = null;
  let dueAt: Date | null = null;
  for (let taken = 0; taken < 2 && words.length > 0; taken++) {
    const last = words.at(-1)!;
    const t: Token | null = (!owner && ownerToken(last)) || (!dueAt && dueToken(last, now)) || null;
    if (!t) break;
    if (t.kind === 'error') return { ok: false, error: t.error };
    words.pop();
    if (t.kind === 'owner') owner = t.owner;
    else {
      dueAt = t.at;
      if (words.length > 1 && words.at(-1)!.toLowerCase() === 'in') words.pop(); // "in 3d"
    }
  }
  const text = words.join(' ');
  if (!text || isBlank(text))
    return {
      ok: false,
      error: `An action item needs a text: \`${ACTION_ITEM_FORM}\`, e.g. Add pool monitoring @alice 2026-12-01.`,
    };
  if ([...text].length > ACTION_ITEM_MAX)
    return { ok: false, error: `Keep an action item to ${ACTION_ITEM_MAX} characters (it has ${[...text].length}).` };
  return { ok: true, item: { text, owner, dueAt } };
}
