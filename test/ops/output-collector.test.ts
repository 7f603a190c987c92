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

  it('finds the lines it looks for across chunks, as a reader sees them, over the whole output', () => {
    const c = createOutputCollector({
      maxFullBytes: 30,
      maxTailChars: 20,
      lookFor: (line) => line.includes('ERROR'),
      maxFoundChars: 45,
    });
    c.push('INFO a\nER');
    c.push('ROR one\r\nINFO b\n\u001b[31mERROR\u001b[0m two\n');
    for (let i = 0; i < 50; i++) c.push(`INFO filler ${i}\n`);
    c.push('ERROR three, last and unfinished');
    const { found, truncated, tail } = c.finish();
    expect(truncated).toBe(true);
    expect(tail).not.toContain('ERROR one');
    // Every line counted, the ERROR ones found though past the head kept; the last that fit in 45 characters shown.
    expect(found).toEqual({ matched: 3, total: 55, last: ['ERROR two', 'ERROR three, last and unfinished'] });
  });

  it('keeps one very long line found, cut, and reads no further into a line past 64 KiB', () => {
    const c = createOutputCollector({ maxFullBytes: 1000, maxTailChars: 100, lookFor: (l) => l.includes('ERROR') });
    c.push(`ERROR ${'x'.repeat(1000)}\n`);
    c.push(`${'y'.repeat(70 * 1024)} ERROR past the read\nlast\n`);
    const { found } = c.finish();
    expect(found?.matched).toBe(1);
    expect(found?.total).toBe(3);
    expect(found?.last[0]).toHaveLength(400);
    expect(found?.last[0]?.endsWith('…')).toBe(true);
  });

  it("shows a line found without its control characters (a BEL, a progress bar's carriage returns); tabs stay", () => {
    const c = createOutputCollector({ maxFullBytes: 1000, maxTailChars: 100, lookFor: (l) => l.includes('ERROR') });
    c.push('ERROR\u0007 upload 10%\r 50%\r 100%\tdone\u007f\n');
    expect(c.finish().found?.last).toEqual(['ERROR upload 10% 50% 100%\tdone']);
  });

  it('shows the tail as a terminal would: colours and cursor moves dropped, a progress bar at its last state, CRLF as lines', () => {
    const c = createOutputCollector({ maxFullBytes: 1000, maxTailChars: 200 });
    c.push('\u001b[1;31mERROR\u001b[0m disk full\u001b[K\r\n');
    c.push('upload  10%\rupload  50%\rupload 100%\n');
    c.push('spinner |\b/\b-\u0007 done\r\n');
    c.push('\u001b]0;title\u0007ok\u001b(B\u001b[2A');
    const { tail, full } = c.finish();
    expect(tail).toBe('ERROR disk full\nupload 100%\nspinner - done\nok');
    expect(c.tail()).toBe(tail);
    // The file keeps what the command printed.
    expect(full).toContain('\u001b[1;31mERROR');
  });

  it('finds nothing without lookFor', () => {
    const c = createOutputCollector({ maxFullBytes: 100, maxTailChars: 100 });
    c.push('ERROR\n');
    expect(c.finish().found).toBeUndefined();
  });
});
