import { describe, expect, it } from 'vitest';
import { createOutputCollector, terminalView } from '../../src/ops/output-collector.js';

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

  it('shows the tail as a terminal would: colours dropped, a progress bar at its last state, CRLF as lines', () => {
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

  it('shows each line of a display redrawn in place at its last state, once (docker pull)', () => {
    const c = createOutputCollector({ maxFullBytes: 10_000, maxTailChars: 500 });
    c.push('latest: Pulling from library/nginx\n');
    c.push('a1b2: Pulling fs layer\nc3d4: Pulling fs layer\n');
    // Docker goes up to a layer's line, erases it, writes it again with \r, and goes back down.
    c.push('\u001b[2A\u001b[2K\ra1b2: Downloading  12%\r\u001b[2B');
    c.push('\u001b[1A\u001b[2K\rc3d4: Downloading  50%\r\u001b[1B');
    c.push('\u001b[2A\u001b[2K\ra1b2: Pull complete\r\u001b[2B');
    c.push('\u001b[1A\u001b[2K\rc3d4: Pull complete\r\u001b[1B');
    c.push('Digest: sha256:0123\n');
    const { tail, full } = c.finish();
    expect(tail).toBe(
      'latest: Pulling from library/nginx\na1b2: Pull complete\nc3d4: Pull complete\nDigest: sha256:0123',
    );
    expect(c.tail()).toBe(tail);
    // The file keeps what the command printed, every redraw.
    expect(full).toContain('a1b2: Downloading  12%');
    expect(full).toContain('\u001b[2A');
  });

  it("follows pip's and rich's redraw (erase, up, erase), a move to column 1, and the cursor kept on the screen given", () => {
    const bar = (a: number, b: number) => `Collecting a ${a}%\nCollecting b ${b}%`;
    const redraw = '\r\u001b[2K\u001b[1A\u001b[2K';
    expect(terminalView(`pip\n${bar(0, 0)}${redraw}${bar(40, 10)}${redraw}${bar(100, 100)}\ndone`)).toBe(
      'pip\nCollecting a 100%\nCollecting b 100%\ndone',
    );
    expect(terminalView('50%\u001b[1G70%\u001b[G90%\u001b[K')).toBe('90%');
    expect(terminalView('abcdef\u001b[1Gxy\u001b[K\nsecond')).toBe('xy\nsecond');
    // Further up than the first line: the first line; further down than the last: the last.
    expect(terminalView('one\ntwo\u001b[9A\rONE\u001b[9B\rTWO')).toBe('ONE\nTWO');
    // Up keeps the column, a blank put before a character written past a shorter line's end; a line feed onto a line
    // already printed moves down to it (tqdm) without adding one.
    expect(terminalView('ab\nlonger\u001b[1Ax\n\n!')).toBe('ab    x\nlonger\n!');
    expect(terminalView('x\u001b[3Cy\u001b[2Dz')).toBe('x  zy');
    // Sequences it does not follow show nothing, as before.
    expect(terminalView('a\u001b[2;5Hb\u001b[2Jc\u001b[?25l')).toBe('abc');
  });

  it('masks a secret that a cursor move puts together, and keeps the tail within maxTailChars', () => {
    const c = createOutputCollector({
      maxFullBytes: 10_000,
      maxTailChars: 100,
      remask: (text) => text.replaceAll('hunter2', '***'),
    });
    c.push('password: hun\nnext line\u001b[1A\rpassword: hunter2\u001b[1B\r');
    expect(c.finish().tail).toBe('password: ***\nnext line');
    const d = createOutputCollector({ maxFullBytes: 100, maxTailChars: 40 });
    d.push(`x\u001b[1000C${'y'.repeat(30)}`);
    expect(d.finish().tail.length).toBeLessThanOrEqual(40);
  });

  it('draws redraws in time linear in the output, never more than twice as long as it', () => {
    // A long line, then a cursor going up to it and back down for one character, again and again: redrawing the line
    // each time would take minutes.
    const long = 'L'.repeat(256 * 1024);
    const text = `${long}\n${long}\n${'\u001b[1Ax\u001b[1B'.repeat(200_000)}\n${'\n\u001b[500Cz'.repeat(200_000)}`;
    const started = performance.now();
    const view = terminalView(text);
    const ms = performance.now() - started;
    // The cursor keeps its column going up and down: each x lands one further on the line.
    expect(view.split('\n')[1]).toBe(`${'x'.repeat(200_000)}${long.slice(200_000)}`);
    expect(view.length).toBeLessThanOrEqual(2 * text.length);
    expect(ms).toBeLessThan(3_000);
  });

  it('finds nothing without lookFor', () => {
    const c = createOutputCollector({ maxFullBytes: 100, maxTailChars: 100 });
    c.push('ERROR\n');
    expect(c.finish().found).toBeUndefined();
  });
});
