/**
 * The post-mortem in the console, typed as a person does: the form's answers line by line, then the document shared in
 * the incident channel with its comment, and the card saying which version was written (test/support/piped-console.ts).
 */
import { describe, expect, it } from 'vitest';
import { usePipedConsole } from '../support/piped-console.js';

describe('a post-mortem written in the console', () => {
  const { pipe } = usePipedConsole();

  it('shows the comment the document is shared with, the file, and the card saying the version written', async () => {
    const text = await pipe('postmortem', [
      '/incident sev2 search stale',
      '/open inc-1',
      '/incident resolve reindexed by hand',
      '/incident postmortem',
      'The indexer stopped after a config change', // Root cause
      '', // Contributing factors
      '', // What went well
      '', // What went badly
      '1', // Does the runbook need an update? No update needed
      '', // What to change in the runbook
      'Alert when the index is a day old', // New action items
    ]);
    expect(text).toContain('(Write: sent)');
    // The comment, as a message of the channel, then the file.
    expect(text).toMatch(/── #inc-1-search-stale\n {2}📝 @alice wrote the post-mortem of incident #1 \(version 1\)\./);
    expect(text).toMatch(/📎 postmortem-incident-1-v1\.md \(\d+ bytes\) attached in #inc-1-search-stale/);
    // The card, shown again: the version written and by whom, its new action item, and Update post-mortem.
    const card = text.slice(text.lastIndexOf('SEV-2 · #1 search stale'));
    expect(card).toMatch(/📝 Post-mortem version 1 written by @alice \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(card).toContain('Action items: 1 open of 1');
    expect(card).toMatch(/\[\d+\] Update post-mortem/);
  }, 90_000);
});
