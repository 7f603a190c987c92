import type { SeverityDefs } from '../incidents/severity.js';
import { packLines } from './blocks.js';
import type { Message } from './incident-card.js';
import { renderSeverityLevels } from './severities.js';

/**
 * `/incident help`, or the usage shown after a mistake: `usage` is the subcommand table's usage text; with
 * `severities`, the runbook's levels follow it. Pure.
 */
export function renderHelp(usage: string, problem?: string, severities?: SeverityDefs): Message {
  const full = severities ? `${usage}\n\n${renderSeverityLevels(severities)}` : usage;
  const text = problem ? `:warning: ${problem}\n\n${full}` : full;
  // Cut at line ends into sections within Slack's limit (the usage and level lines are each far shorter than it).
  return { text, blocks: packLines(text.split('\n'), Number.POSITIVE_INFINITY).blocks };
}

/**
 * A mistake in a known subcommand: what is wrong, that subcommand's usage line (`usage`), and where the rest is; the
 * whole usage is for text that names no subcommand. Pure.
 */
export function renderMistake(problem: string, usage: string): Message {
  const text = `:warning: ${problem}\n\n${usage}\n\`/incident help\` lists every command.`;
  return { text, blocks: packLines(text.split('\n'), Number.POSITIVE_INFINITY).blocks };
}

/**
 * Text that names no subcommand (`/incident foo`): what was not understood and what was likely meant, short, with where
 * every command is; not the whole usage, which buried the one line that mattered. Pure.
 */
export function renderNotUnderstood(problem: string): Message {
  const text = `:warning: ${problem}\n\`/incident help\` lists every command.`;
  return { text, blocks: packLines(text.split('\n'), Number.POSITIVE_INFINITY).blocks };
}

/** A mention of the bot that held words: what to type instead, and where every command is; short, for it is public. */
export function renderMentionHint(hint: string): Message {
  const text = `:information_source: ${hint}\n\`/incident help\` lists every command.`;
  return { text, blocks: packLines(text.split('\n'), Number.POSITIVE_INFINITY).blocks };
}
