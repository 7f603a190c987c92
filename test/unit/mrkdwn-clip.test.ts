import { describe, expect, it } from 'vitest';
import { clipEscaped, mrkdwnClip } from '../../src/templates/text.js';

describe('text cut for a message', () => {
  it('never leaves a code span or block open when it cuts: what follows would be taken into it', () => {
    // An alert's summary cut inside its code block (a page's title line): the block is not left open.
    const cut = mrkdwnClip('Queue stuck: ```SELECT * FROM jobs WHERE state = stuck``` since 03:00', 30);
    expect(cut).toBe('Queue stuck: ˋˋˋSELECT * FROM…');
    expect(cut).not.toContain('`');
    // Cut after a whole span: left as written.
    expect(mrkdwnClip('Disk `db-1` full, and more after it', 20)).toBe('Disk `db-1` full, a…');
    // Not cut: as written (the sender's balance is theirs).
    expect(mrkdwnClip('a ``` b', 100)).toBe('a ``` b');
    // Entities are still never cut in half.
    expect(clipEscaped('x &amp;&amp;&amp;', 5)).toBe('x …');
  });
});
