import type { PlainTextOption } from '@slack/types';
import { responseText, SEVERITIES, type Severity, type SeverityDefs, severityLabel } from '../incidents/severity.js';
import { RUNBOOK_TEXT_MAX } from '../runbook/text-limits.js';
import { LIMITS, mrkdwnClip, mrkdwnName, truncate } from './text.js';

/** Slack's limit on an option's description. */
const OPTION_DESCRIPTION = 75;

/**
 * "Many users affected, critical paths broken; e.g. Agent execution failing, auth broken, …": the impact, then as
 * many whole examples as fit in Slack's 75 characters (none cut in its middle), the impact alone cut when it is long.
 */
function impactAndExamples(s: Severity, severities: SeverityDefs): string {
  const { impact, examples } = severities[s];
  const lead = impact ? `${impact}; e.g. ` : 'e.g. ';
  const room = OPTION_DESCRIPTION - [...lead].length;
  if (!examples.length || room < 12) return truncate(impact, OPTION_DESCRIPTION);
  return `${lead}${wholeWithin(examples, room, truncate, '')}`;
}

/**
 * An option of a severity select: "SEV-1 (High)", named as the runbook names it, with the runbook's impact and
 * examples as its description, within Slack's 75 characters (the full text is in `/incident help`).
 */
export function severityOption(s: Severity, severities: SeverityDefs): PlainTextOption {
  const description = impactAndExamples(s, severities);
  return {
    text: { type: 'plain_text', text: truncate(`${severityLabel(s)} (${severities[s].name})`, LIMITS.optionText) },
    ...(description ? { description: { type: 'plain_text', text: description } } : {}),
    value: String(s),
  };
}

/** The most characters of examples a level's line in `/incident help` lists. */
const EXAMPLES_MAX = 300;

/**
 * A level's examples, escaped, as many whole ones as fit in `max` characters: all of them with a full stop, else those
 * that fit followed by `, …`, none cut in its middle (one alone too long for the room is cut, and ends with `…`).
 */
export function examplesWithin(examples: readonly string[], max: number): string {
  return wholeWithin(examples, max, mrkdwnClip, '.');
}

/** examplesWithin with each example made by `clip` (escaped for mrkdwn, or cut as plain text), all of them ending `end`. */
function wholeWithin(
  examples: readonly string[],
  max: number,
  clip: (s: string, max: number) => string,
  end: string,
): string {
  const chars = (s: string) => [...s].length;
  const all = examples.map((e) => clip(e, max));
  const joined = all.join(', ');
  if (chars(joined) + end.length <= max) return `${joined}${end}`;
  let shown = '';
  for (const e of all) {
    const next = shown ? `${shown}, ${e}` : e;
    if (chars(next) + ', …'.length > max) break;
    shown = next;
  }
  return shown ? `${shown}, …` : clip(examples[0] ?? '', max);
}

/**
 * The runbook's severity levels for a person choosing one (`/incident help`), one mrkdwn line each:
 * "• *SEV-1 High* — respond within 15 minutes. Major feature degradation … Impact: … Examples: …". Pure.
 */
export function renderSeverityLevels(severities: SeverityDefs): string {
  const lines = SEVERITIES.map((s) => {
    const d = severities[s];
    const parts = [
      `• *${severityLabel(s)} ${mrkdwnName(d.name, 40)}* — ${responseText(s, severities)}.`,
      d.definition ? `${mrkdwnClip(d.definition, RUNBOOK_TEXT_MAX.severityText)}.` : '',
      d.impact ? `Impact: ${mrkdwnClip(d.impact, RUNBOOK_TEXT_MAX.severityText)}.` : '',
      d.examples.length ? `Examples: ${examplesWithin(d.examples, EXAMPLES_MAX)}` : '',
    ];
    return parts.filter(Boolean).join(' ');
  });
  return ['*Severity levels*', ...lines].join('\n');
}
