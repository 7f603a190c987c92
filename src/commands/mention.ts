import { parseIncidentCommand } from './parse-incident-command.js';

/** A person mentioned, as Slack writes it in an event's text (`<@U0123ABC>`, `<@U0123ABC|alice>`). */
const MENTION = /<@[UW][A-Z0-9]+(?:\|[^>]*)?>/g;

/**
 * What a mention of the bot asked for, read as `/incident` would read it: the answer in place of the whole help.
 * Undefined for the mention alone or `help` (answered with the help). A mention does nothing else (no form can open
 * from one, and its text is public), so a command in it is answered with the command to type: `@bot sev2 db down`
 * with `/incident sev2 db down`.
 */
export function mentionHint(text: string): string | undefined {
  const typed = text
    .replace(MENTION, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\/incident(?:\s+|$)/i, '');
  if (!typed || /^help$/i.test(typed)) return undefined;
  const command = parseIncidentCommand(typed);
  // Echoed only as plain words: a channel or link in it is Slack's markup, not what the person would type.
  if (command.ok && !/[<>]/.test(typed) && typed.length <= 200)
    return `A mention does not run commands. To do that, type \`/incident ${typed}\`.`;
  return 'A mention does not run commands: they are typed with `/incident` (`/incident list` shows the open incidents).';
}
