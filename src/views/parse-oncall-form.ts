import { endOf, typedMoment, wallTimeOf } from '../commands/parse-oncall.js';
import type { OverrideEnd, WallTime } from '../incidents/oncall.service.js';
import { BLOCK, INPUT } from '../templates/ids.js';

type StateValues = Record<
  string,
  Record<
    string,
    {
      value?: string | null;
      selected_user?: string | null;
      selected_option?: { value: string } | null;
    }
  >
>;

export interface OverrideForm {
  userId: string;
  role: string;
  start: WallTime | null;
  end: OverrideEnd;
}

export type ParsedOverrideForm = { ok: true; value: OverrideForm } | { ok: false; errors: Record<string, string> };

/** Inline errors are plain text: the command's `code` marks are dropped. */
const plain = (s: string) => s.replace(/`/g, '');

/**
 * The end as written in the form: `2h`, `for 2h`, `until 18:00`, or a time alone (`18:00`, `6pm`, `2026-12-01 09:00`,
 * `tomorrow 18:00`, `18:00 UTC`, `18:00 Europe/London`): words the command reads as a moment (or as one badly) are
 * read as after `until`.
 */
function untilOf(text: string): OverrideEnd | string {
  const words = text.split(/\s+/).filter(Boolean);
  const first = words[0]?.toLowerCase();
  const timeAlone = /^(tomorrow )?(\d{4}-\d{2}-\d{2}[ T])?\d{1,2}:\d{2}z?( [\w/+-]+)?$/i;
  if (first !== 'until' && first !== 'for' && (timeAlone.test(words.join(' ')) || typedMoment(words) !== null))
    return endOf(['until', ...words]);
  return endOf(words);
}

/** Reads the Home tab's override form; each problem under its field. */
export function parseOverrideForm(values: StateValues): ParsedOverrideForm {
  const errors: Record<string, string> = {};
  const userId = values[BLOCK.ocPerson]?.[INPUT.person]?.selected_user ?? '';
  if (!/^[UW][A-Z0-9]{2,}$/.test(userId)) errors[BLOCK.ocPerson] = 'Pick the person who goes on call.';
  const role = values[BLOCK.ocRole]?.[INPUT.select]?.selected_option?.value ?? '';
  if (!role) errors[BLOCK.ocRole] = 'Pick the role.';
  const fromText = (values[BLOCK.ocFrom]?.[INPUT.text]?.value ?? '').trim().replace(/^from\s+/i, '');
  let start: WallTime | null = null;
  if (fromText && fromText.toLowerCase() !== 'now') {
    const w = wallTimeOf(fromText, 'from');
    if (typeof w === 'string') errors[BLOCK.ocFrom] = plain(w);
    else start = w;
  }
  const untilText = (values[BLOCK.ocUntil]?.[INPUT.text]?.value ?? '').trim();
  const end = untilText ? untilOf(untilText) : 'Say how long (2h) or until when (until 18:00).';
  if (typeof end === 'string') errors[BLOCK.ocUntil] = plain(end);
  if (Object.keys(errors).length || typeof end === 'string') return { ok: false, errors };
  return { ok: true, value: { userId, role, start, end } };
}
