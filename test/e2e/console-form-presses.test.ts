/**
 * Presses in the console, with piped input as a person pastes it: a press while a form is open, a press's
 * confirmation, a button in someone else's direct messages (test/support/piped-console.ts).
 */
import { describe, expect, it } from 'vitest';
import { count, usePipedConsole } from '../support/piped-console.js';

describe('a form in the console', () => {
  const { pipe } = usePipedConsole();

  it('takes no press as a field: it says the form covers the buttons, how to choose, and how to answer it as typed', async () => {
    const text = await pipe('press', [
      '/incident sev2 db down',
      '/open inc-1',
      '/incident update',
      'press 2',
      '2',
      '/cancel',
      '/incident resolve',
      'press 2',
      '\\press 2 was the fix',
    ]);
    const update = text.slice(text.indexOf('Form: Status update'), text.indexOf('Form: Resolve'));
    // At a choice, press is not the option: the person is told to type the option alone, and the question comes again.
    expect(update).toMatch(
      /Status \[\w+\]: press 2\nYou are filling in the form "Status update": "press 2" presses a button of a message[^\n]*\nTo choose one of the options of Status, type its number or its name alone, without press\.\n.*\/cancel.*\nStatus \[\w+\]: 2\n/,
    );
    const resolve = text.slice(text.indexOf('Form: Resolve'));
    // The resolution is not "press 2"; the line with \\ in front is taken as typed.
    expect(resolve).toMatch(
      /One-line summary: press 2\nYou are filling in the form "Resolve #1": "press 2" presses a button of a message[^\n]*\nAnswer One-line summary to go on[^\n]*\n[^\n]*To answer "press 2" as typed, type it with \\ in front\.\nOne-line summary: \\press 2 was the fix\n/,
    );
    expect(text).not.toContain('Summary: press 2\n');
    expect(text).toContain('Summary: press 2 was the fix');
  }, 90_000);

  it("a press's confirmation takes /cancel as no and /quit as no and leave, not as answers to ask again", async () => {
    const text = await pipe('confirm', [
      '/incident sev2 db down',
      '/open inc-1',
      'press roll back',
      'press roll back to v57',
      '/cancel',
      'press roll back to v57',
      '/incident list',
      '/quit',
      'never read',
    ]);
    const asked = text.slice(text.indexOf('> press roll back to v57'));
    expect(asked).toMatch(/\? \(y\/n\) \/cancel\nCancelled; nothing was sent\./);
    expect(asked).toMatch(
      /\? \(y\/n\) \/incident list\n"\/incident list" is not an answer here: answer, or type \/cancel to leave it \(Ctrl-C does too\)\.\n[^\n]*\? \(y\/n\) \/quit\nCancelled; nothing was sent\.\nStopping/,
    );
    expect(text).not.toContain('Type y or n.');
    // Neither press reached the bot: nothing of a roll back under way.
    expect(count(text, 'Cancelled; nothing was sent.')).toBe(2);
    expect(text).not.toMatch(/atom-cli rollback v57[^\n]*(ran|running|exit)/i);
  }, 90_000);
});

describe('buttons in the console', () => {
  const { startPiped } = usePipedConsole();

  it("does not press a button in someone else's direct messages with the bot, as Slack shows them to nobody else", async () => {
    const c = await startPiped('others_dm');
    c.type('/incident sev2 db down');
    // The declarer's "is open" and @oncall's page come in either order: wait for both.
    await c.waitFor(/Incident #1 \(SEV-2\) is open/);
    const paged = await c.waitFor(/direct message to @oncall[\s\S]*\[\d+\] Acknowledge/);
    // The page's Acknowledge, in @oncall's direct messages (the first after its heading).
    const dmButton = /\[(\d+)\] Acknowledge/.exec(paged.slice(paged.indexOf('direct message to @oncall')))?.[1];
    expect(dmButton).toBeDefined();
    c.type('/as ann');
    c.type(`press ${dmButton}`);
    c.type('/as oncall');
    c.type(`press ${dmButton}`);
    c.endInput();
    expect(await c.exited).toBe(0);
    const asAnn = c.text.slice(c.text.indexOf(`ann in #general> press ${dmButton}`), c.text.indexOf('> /as oncall'));
    expect(asAnn).toContain(`[${dmButton}] is in @oncall's direct messages with the bot`);
    expect(asAnn).not.toContain('acknowledged the incident');
    const asOncall = c.text.slice(c.text.indexOf(`oncall in #general> press ${dmButton}`));
    expect(asOncall).toContain('@oncall acknowledged the incident');
  }, 90_000);
});
