/**
 * How a form in the console ends, with piped input as a person pastes it: the open window's end, /quit, the end of the
 * input (test/support/piped-console.ts).
 */
import { describe, expect, it } from 'vitest';
import { usePipedConsole } from '../support/piped-console.js';

describe('a form in the console', () => {
  const { pipe } = usePipedConsole();

  it('/incident maintenance stop ends the open window, as end does', async () => {
    const text = await pipe('maintenance', [
      '/incident maintenance start db upgrade',
      '/incident maintenance stop',
      '/incident maintenance',
    ]);
    expect(text).toMatch(/db upgrade is open from now until/);
    const stopped = text.slice(text.indexOf('> /incident maintenance stop'));
    expect(stopped).not.toContain('is not a maintenance command');
    expect(stopped).toMatch(/Ended db upgrade\./);
    expect(stopped).toContain('db upgrade has ended (ended by @alice)');
  }, 90_000);

  it('/quit in a form closes it unsent and stops the console, not asked again', async () => {
    const text = await pipe('quit', [
      '/incident sev2 db down',
      '/open inc-1',
      '/incident resolve',
      '/quit',
      'never read',
    ]);
    expect(text.slice(text.indexOf('Form: Resolve'))).toMatch(
      /One-line summary: \/quit\nForm "Resolve #1" closed; nothing was sent\.\nStopping/,
    );
    expect(text).not.toContain('is a command, not an answer');
    expect(text).not.toContain('never read');
    expect(text).not.toContain('Resolved');
  }, 90_000);

  it('says the form was not sent when the input ends in it', async () => {
    const text = await pipe('ended', ['/incident sev2 db down', '/open inc-1', '/incident update', '2']);
    expect(text).toMatch(/Status \[\w+\]: 2\n[\s\S]*Affected\n/);
    expect(text.slice(text.indexOf('Form: Status update'))).toMatch(
      /The input ended in the form "Status update": nothing was sent\.\nStopping/,
    );
    expect(text).not.toContain('(Post update: sent)');
  }, 90_000);
});
