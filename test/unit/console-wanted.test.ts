import { describe, expect, it } from 'vitest';
import { consoleWanted } from '../../src/console/wanted.js';

const CREDENTIALS = ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET'] as const;

describe('consoleWanted: whether npm start opens the console', () => {
  it('--console opens it, with or without Slack credentials and a terminal', () => {
    for (const tty of [true, false]) {
      expect(consoleWanted(['--console'], {}, tty)).toBe(true);
      expect(consoleWanted(['--console'], { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }, tty)).toBe(true);
    }
  });

  it('without credentials: the console at a terminal, set-up mode without one', () => {
    expect(consoleWanted([], {}, true)).toBe(true);
    expect(consoleWanted([], {}, false)).toBe(false);
  });

  it.each(CREDENTIALS)('%s alone means Slack, not the console, even at a terminal', (name) => {
    expect(consoleWanted([], { [name]: 'x' }, true)).toBe(false);
  });

  it('a blank credential counts as unset, and other SLACK_ variables do not count', () => {
    expect(consoleWanted([], { SLACK_BOT_TOKEN: '  ', SLACK_APP_TOKEN: '', SLACK_SIGNING_SECRET: '\t' }, true)).toBe(
      true,
    );
    expect(consoleWanted([], { SLACK_API_URL: 'http://127.0.0.1:9/api/' }, true)).toBe(true);
  });

  it('only the flag itself: another argument, or --console as part of one, is not asked for', () => {
    expect(consoleWanted(['--consoles'], {}, false)).toBe(false);
    expect(consoleWanted(['--verbose'], { SLACK_BOT_TOKEN: 'xoxb-1' }, true)).toBe(false);
  });
});
