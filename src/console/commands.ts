/**
 * What can be typed at the console: the bot's slash command as in Slack, and the console's own commands. One table;
 * the parser, `/help` and the answer to an unknown command are derived from it.
 */
import { INCIDENT_COMMAND } from '../commands/incident.command.js';
import { SUBCOMMANDS } from '../commands/subcommands.js';
import { ALERT_USAGE } from './alert-line.js';

export type ConsoleInput =
  | { kind: 'empty' }
  /** A slash command for the bot, sent as Slack sends it. */
  | { kind: 'slash'; command: string; text: string }
  | { kind: 'press'; target: string }
  | { kind: 'as'; name: string }
  | { kind: 'open'; channel: string }
  /** An empty channel is the one the person is in. */
  | { kind: 'join'; channel: string }
  | { kind: 'leave'; channel: string }
  /** An alert from monitoring, as one line (alert-line.ts). */
  | { kind: 'alert'; text: string }
  | { kind: 'channels' }
  | { kind: 'setup' }
  | { kind: 'help' }
  /** Closes the form being filled in, without sending it (at the prompt there is none). */
  | { kind: 'cancel' }
  | { kind: 'quit' }
  /** Words without a slash: a message in the current channel, as in Slack. */
  | { kind: 'message'; text: string }
  /** `meant`: the bot's command it stands for, when the word is one of its subcommands (`/maintenance start`). */
  | { kind: 'unknown'; word: string; meant?: string };

type Kind = Exclude<ConsoleInput['kind'], 'empty' | 'message' | 'unknown'>;

export interface ConsoleCommand {
  kind: Kind;
  /** What is typed; the first is the one shown. */
  names: string[];
  usage: string;
  help: string;
}

export const CONSOLE_COMMANDS: readonly ConsoleCommand[] = [
  {
    kind: 'slash',
    names: [INCIDENT_COMMAND],
    usage: `${INCIDENT_COMMAND} <what>`,
    help: `What you would type in Slack: ${INCIDENT_COMMAND} sev1 db down, ${INCIDENT_COMMAND} list, ${INCIDENT_COMMAND} ack, ${INCIDENT_COMMAND} help`,
  },
  {
    kind: 'press',
    names: ['press', '/press'],
    usage: 'press <number or label>',
    help: 'Press a button, or choose in a select, of a message above: press 2, press acknowledge',
  },
  {
    kind: 'as',
    names: ['/as'],
    usage: '/as <name>',
    help: 'Act as someone else, e.g. a second person to approve (a new name joins the workspace); /as alone lists people',
  },
  {
    kind: 'open',
    names: ['/open'],
    usage: '/open <channel or @person>',
    help: "Go to a channel (or someone's direct messages with the bot) and show its recent messages",
  },
  {
    kind: 'join',
    names: ['/join'],
    usage: '/join [channel]',
    help: 'Join the channel you are in, or the one named (/join inc-1), as Slack\'s "Join channel"; an approver must be in the incident channel (pressing Approve adds them to a public incident\'s)',
  },
  {
    kind: 'leave',
    names: ['/leave'],
    usage: '/leave [channel]',
    help: 'Leave the channel you are in, or the one named',
  },
  {
    kind: 'alert',
    names: ['/alert'],
    usage: '/alert <level> <summary>',
    help: `Send an alert as monitoring would (POST /hooks/alerts): ${ALERT_USAGE}`,
  },
  { kind: 'channels', names: ['/channels'], usage: '/channels', help: 'The channels, with their topics' },
  { kind: 'setup', names: ['/setup'], usage: '/setup', help: 'How to connect the bot to your Slack workspace' },
  { kind: 'help', names: ['/help', '/?'], usage: '/help', help: 'This list' },
  {
    kind: 'cancel',
    names: ['/cancel'],
    usage: '/cancel',
    help: 'In a form (its fields asked one by one): close it without sending, as Ctrl-C does',
  },
  {
    kind: 'quit',
    names: ['/quit', '/exit'],
    usage: '/quit',
    help: 'Leave (Ctrl-D does too); the database keeps everything for the next start',
  },
];

/** The names of the bot's subcommands (`maintenance`, `oncall`, `ack` …), each a word typed after its command. */
const SUBCOMMAND_NAMES = new Set(Object.values(SUBCOMMANDS).flatMap((s): readonly string[] => s.names));

/** A slash word the console does not know; one naming a subcommand of the bot's command is pointed to it. */
function unknown(word: string, rest: string): ConsoleInput {
  const name = word.slice(1);
  if (!SUBCOMMAND_NAMES.has(name)) return { kind: 'unknown', word };
  return { kind: 'unknown', word, meant: `${INCIDENT_COMMAND} ${name}${rest ? ` ${rest}` : ''}` };
}

/** Reads one typed line. */
export function parseConsoleInput(line: string): ConsoleInput {
  const trimmed = line.trim();
  if (trimmed === '') return { kind: 'empty' };
  const space = trimmed.search(/\s/);
  const word = (space === -1 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  const rest = space === -1 ? '' : trimmed.slice(space + 1).trim();
  const command = CONSOLE_COMMANDS.find((c) => c.names.includes(word));
  if (!command) return word.startsWith('/') ? unknown(word, rest) : { kind: 'message', text: trimmed };
  switch (command.kind) {
    case 'slash':
      return { kind: 'slash', command: word, text: rest };
    case 'press':
      return { kind: 'press', target: rest };
    case 'as':
      return { kind: 'as', name: rest };
    case 'alert':
      return { kind: 'alert', text: rest };
    case 'open':
    case 'join':
    case 'leave':
      return { kind: command.kind, channel: rest };
    default:
      return { kind: command.kind };
  }
}

/** The commands, one a line, usage aligned: for /help and for a command the console does not know. */
export function commandList(): string[] {
  const width = Math.max(...CONSOLE_COMMANDS.map((c) => c.usage.length));
  return CONSOLE_COMMANDS.map((c) => `  ${c.usage.padEnd(width)}   ${c.help}`);
}
