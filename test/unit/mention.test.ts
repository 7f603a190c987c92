import { describe, expect, it } from 'vitest';
import { mentionHint } from '../../src/commands/mention.js';

describe('a mention of the bot, read as /incident reads a command', () => {
  it('alone or asking for help: the help, nothing above it', () => {
    expect(mentionHint('<@UBOT>')).toBeUndefined();
    expect(mentionHint('<@UBOT|incident-bot> help')).toBeUndefined();
    expect(mentionHint('  <@UBOT>   HELP ')).toBeUndefined();
  });

  it('holding a command: the /incident line that does it', () => {
    const type = (cmd: string) => `A mention does not run commands. To do that, type \`/incident ${cmd}\`.`;
    expect(mentionHint('<@UBOT> sev2 db down')).toBe(type('sev2 db down'));
    expect(mentionHint('<@UBOT> /incident   status')).toBe(type('status'));
    expect(mentionHint('<@UBOT|incident-bot> ack')).toBe(type('ack'));
    expect(mentionHint('<@UBOT> resolve rolled back &amp; verified')).toBe(type('resolve rolled back &amp; verified'));
  });

  it('holding anything else, or markup a person would not type: where commands are typed', () => {
    const general =
      'A mention does not run commands: they are typed with `/incident` (`/incident list` shows the open incidents).';
    expect(mentionHint('<@UBOT> what is going on?')).toBe(general);
    expect(mentionHint('<@UBOT> sev1 <#C0123|general> is down')).toBe(general);
  });
});
