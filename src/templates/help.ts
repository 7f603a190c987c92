import type { Message } from './incident-card.js';

/** `/incident help`, or the usage shown after a mistake: `usage` is the subcommand table's usage text. Pure. */
export function renderHelp(usage: string, problem?: string): Message {
  const text = problem ? `:warning: ${problem}\n\n${usage}` : usage;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
