import type { PlainTextOption } from '@slack/types';
import { responseText, SEVERITIES, type Severity, type SeverityDefs, severityLabel } from '../incidents/severity.js';
import { RUNBOOK_TEXT_MAX } from '../runbook/text-limits.js';
import { LIMITS, mrkdwnClip, mrkdwnName, truncate } from './text.js';

/** Slack's limit on an option's description. */
const OPTION_DESCRIPTION = 75;

/** "Many users affected, critical paths broken; e.g. Agent execution failing, auth broken, …" */
function impactAndExamples(s: Severity, severities: SeverityDefs): string {
  const { impact, examples } = severities[s];
  const eg = examples.length ? `e.g. ${examples.join(', ')}` : '';
  return [impact, eg].filter(Boolean).join('; ');
}

/**
 * An option of a severity select: "SEV-1 (High)", named as the runbook names it, with the runbook's impact and
 * examples as its description, cut to Slack's 75 characters on purpose (the full text is in `/incident help`).
 */
export function severityOption(s: Severity, severities: SeverityDefs): PlainTextOption {
  const description = impactAndExamples(s, severities);
  return {
    text: { type: 'plain_text', text: truncate(`${severityLabel(s)} (${severities[s].name})`, LIMITS.optionText) },
    ...(description ? { description: { type: 'plain_text', text: truncate(description, OPTION_DESCRIPTION) } } : {}),
    value: String(s),
  };
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
      d.examples.length ? `Examples: ${mrkdwnClip(d.examples.join(', '), 300)}.` : '',
    ];
    return parts.filter(Boolean).join(' ');
  });
  return ['*Severity levels*', ...lines].join('\n');
}
