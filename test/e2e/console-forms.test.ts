/**
 * Forms in the console, with piped input as a person pastes it: what a field takes, and what it asks again
 * (test/support/piped-console.ts).
 */
import { describe, expect, it } from 'vitest';
import { count, STACK, usePipedConsole } from '../support/piped-console.js';

describe('a form in the console', () => {
  const { startPiped, pipe } = usePipedConsole();

  it('takes no command as a field: it says which form is open and asks again; /cancel closes it unsent', async () => {
    const text = await pipe('command', [
      '/incident sev2 db down',
      '/open inc-1',
      '/incident update',
      '/incident list',
      '/cancel',
      '/cancel',
      '/incident resolve',
      '/incident resolve fixed by rollback',
      'rolled back the deploy',
    ]);
    // The command was not the summary; the line after it was.
    expect(text).not.toContain('Summary: /incident');
    expect(text).toContain('Summary: rolled back the deploy');
    const told = text.slice(text.indexOf('One-line summary: /incident resolve fixed by rollback'));
    expect(told).toMatch(
      /^One-line summary: \/incident resolve fixed by rollback\nYou are filling in the form "Resolve #1": "\/incident resolve fixed by rollback" is a command, not an answer to One-line summary\.\n.*\/cancel to close the form without sending.*\nOne-line summary: rolled back the deploy\n/,
    );
    // Another command in a form is not its answer either; /cancel closes it, and nothing is sent.
    const update = text.slice(text.indexOf('Form: Status update'), text.indexOf('Form: Resolve'));
    expect(update).toContain('/cancel or Ctrl-C closes it without sending');
    expect(update).toMatch(/Status \[\w+\]: \/incident list\nYou are filling in the form "Status update"/);
    expect(update).toMatch(/Status \[\w+\]: \/cancel\nForm closed; nothing was sent\./);
    expect(update).not.toContain('(Post update: sent)');
    // At the prompt, there is no form to close.
    expect(update).toMatch(/> \/cancel\nNo form is open/);
  }, 90_000);

  it('takes an answer that starts with a path, or with // in front, as it is', async () => {
    const text = await pipe('slashes', [
      '/incident sev2 api down',
      '/open inc-1',
      '/incident resolve',
      '/api/health answers again',
      // Declared from #general: typed in #inc-1 it would ask whether it is incident #1 again.
      '/open general',
      '/incident sev2 tmp full',
      '/open inc-2',
      '/incident resolve',
      '//tmp cleaned',
    ]);
    expect(text).toContain('Summary: /api/health answers again');
    expect(text).toContain('Summary: /tmp cleaned');
  }, 90_000);

  it('prints what the bot refused in a field once, then asks that field again', async () => {
    const text = await pipe('refused', [
      '/incident sev2 db down',
      '/open inc-1',
      '/incident playbook read-logs',
      'press run',
      'abc',
      '5',
    ]);
    expect(text).toMatch(/lines \[20\]: abc\nThe bot did not take the form:\n {2}⚠️ lines: "abc" is not valid/);
    expect(count(text, '"abc" is not valid')).toBe(1);
    const again = text.slice(text.indexOf('"abc" is not valid'));
    expect(again).toMatch(/\nlines \[20\]: 5\n/);
    expect(again).toMatch(/Succeeded\s+`?atom-cli logs --lines 5/);
  }, 90_000);

  it("takes Next update as a person types it ('in 30 minutes', '1 hour'), and says what it takes otherwise", async () => {
    const typedAt = Date.now();
    const c = await startPiped('nextwords');
    for (const line of [
      '/incident sev2 checkout slow',
      '/open inc-1',
      '/incident update',
      '', // Status: Investigating
      'checkout users',
      'slow pages',
      'looking at the pool',
      '', // Mitigation steps
      'soonish',
      'in 30 minutes',
      '', // Flags
      '', // Status page
    ])
      c.type(line);
    await c.waitFor('(Post update: sent)', { timeoutMs: 30_000 });
    c.endInput();
    expect(await c.exited).toBe(0);
    const text = c.text;
    expect(text).not.toMatch(STACK);
    // Not a time: said so, with the ways a time is taken, and asked again.
    expect(text).toMatch(
      /Next update \[[^\]]*\]: soonish\n\s*"soonish" is not a time\. Type a time on your clock \(Europe\/London\): in 30 minutes \(or 30m, 1 hour\)/,
    );
    expect(count(text, 'is not a time')).toBe(1);
    // 'in 30 minutes' taken: the update says the next one 30 minutes on (to the minute of the answer).
    const after = text.slice(text.indexOf(': in 30 minutes\n'));
    expect(after).not.toMatch(/^[^\n]*\n\s*Type a time/);
    const next = /NEXT UPDATE:\s*(\d{4}-\d\d-\d\d \d\d:\d\d) UTC/.exec(after);
    expect(next).not.toBeNull();
    const promised = Date.parse(`${next![1]!.replace(' ', 'T')}:00Z`);
    expect(promised).toBeGreaterThanOrEqual(typedAt + 29 * 60_000 - 60_000);
    expect(promised).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
  }, 90_000);
});
