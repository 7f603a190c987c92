import { numberOfAnIncident, TIMELINE_FORMS } from './subcommands.js';

/**
 * What follows `/incident timeline`: nothing (the latest events), or `from N` (the events from the Nth on); else what
 * to type instead. Pure.
 */
export function parseTimelineFrom(text: string | null): { ok: true; from?: number } | { ok: false; error: string } {
  const typed = (text ?? '').trim();
  if (!typed) return { ok: true };
  const m = /^from\s+(\d{1,9})$/i.exec(typed);
  if (m && Number(m[1]) >= 1) return { ok: true, from: Number(m[1]) };
  return {
    ok: false,
    error: numberOfAnIncident(typed, 'timeline') ?? `\`/incident timeline\` takes only \`from N\`. ${TIMELINE_FORMS}`,
  };
}
