import { SUBCOMMAND_ROWS, type SubcommandSpec } from '../commands/subcommands.js';
import type { Message } from './incident-card.js';

const lines = (keep: (spec: SubcommandSpec) => boolean) =>
  SUBCOMMAND_ROWS.filter(([, spec]) => keep(spec)).map(([, spec]) => spec.usage);

const declares = (spec: SubcommandSpec) => spec.args === 'severity' && spec.text !== undefined;

/** The usage, from the subcommand table: declaring first, then what works anywhere, then inside an incident channel. */
export const USAGE = [
  '*Declare an incident*',
  ...lines(declares),
  '',
  '*Anywhere*',
  ...lines((s) => !declares(s) && s.where === 'anywhere'),
  '',
  '*Inside an incident channel*',
  ...lines((s) => !declares(s) && s.where !== 'anywhere'),
].join('\n');

/** `/incident help`, or the usage shown after a mistake. Pure. */
export function renderHelp(problem?: string): Message {
  const text = problem ? `:warning: ${problem}\n\n${USAGE}` : USAGE;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
