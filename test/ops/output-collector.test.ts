import { describe, expect, it } from 'vitest';
import { createOutputCollector } from '../../src/ops/output-collector.js';

describe('the output collector', () => {
  it('cuts the kept head on a line boundary even when the line began in an earlier chunk', () => {
    const c = createOutputCollector({ maxFullBytes: 20, maxTailChars: 100 });
    c.push('aaaa\nbbbb'); // the second line starts here…
    c.push(`${'b'.repeat(19)}\ncccc\n`); // …and ends past the 20 bytes kept
    const out = c.finish();
    expect(out.truncated).toBe(true);
    const [head] = out.full.split(/\[output truncated: kept the first \d+ of \d+ bytes; the last lines follow\]\n/);
    expect(head).toBe('aaaa\n');
    expect(out.full).toMatch(/^aaaa\n\[output truncated: kept the first 5 of 34 bytes; the last lines follow\]\n/);
  });

  it('keeps whole lines up to the limit when a chunk ends on a line', () => {
    const c = createOutputCollector({ maxFullBytes: 12, maxTailChars: 100 });
    c.push('one\ntwo\n');
    c.push('three\nfour\n');
    const [head] = c.finish().full.split(/\[output truncated/);
    expect(head).toBe('one\ntwo\n');
  });
});
