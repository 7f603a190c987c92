import { describe, expect, it } from 'vitest';
import { boldName, clipEscaped, mrkdwnClip, mrkdwnName } from '../../src/templates/text.js';

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

describe('a name shown in a span (mrkdwnName, boldName)', () => {
  it('shows its formatting characters as look-alikes, so the span closes where the message closes it', () => {
    expect(boldName('Disk*Full', 80)).toBe('*Disk∗Full*');
    expect(boldName('`rm` -rf', 80)).toBe('*ˋrmˋ -rf*');
    expect(boldName('queue ~high~ _now_', 80)).toBe('*queue ∼high∼ ˍnowˍ*');
    // Escaped as ever: a mention in a name is shown, not acted on.
    expect(boldName('<!channel> *x*', 80)).toBe('*&lt;!channel&gt; ∗x∗*');
    // Cut as mrkdwnClip cuts, after the look-alikes (no character of theirs is cut in half).
    expect(mrkdwnName('a*b*c*d*e', 5)).toBe('a∗b∗…');
  });

  it('leaves a `_` between letters or digits as written: snake_case is never italics, and is copied as it is', () => {
    expect(boldName('Add an index on orders.created_at', 80)).toBe('*Add an index on orders.created_at*');
    expect(boldName('node_disk_full_', 80)).toBe('*node_disk_fullˍ*');
    expect(boldName('__init__', 80)).toBe('*ˍˍinitˍˍ*');
  });
});
