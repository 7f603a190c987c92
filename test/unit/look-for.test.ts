import { describe, expect, it } from 'vitest';
import type { RunView } from '../../src/incidents/ports.js';
import { lineMatcher, lookForSchema, lookForWords } from '../../src/runbook/look-for.js';
import { loadRunbook, parseRunbook } from '../../src/runbook/runbook.js';
import { renderRun } from '../../src/templates/playbook.js';
import { limitProblems } from '../support/block-kit-limits.js';
import { testRunbookData } from '../support/test-runbook.js';

describe('look_for: the lines a step looks for', () => {
  it('reads a text, a list, or any_of with any_case; matches as written, or in any case', () => {
    const plain = { anyCase: false, wholeWord: false, mustFind: false };
    expect(lookForSchema.parse('ERROR')).toEqual({ any: ['ERROR'], ...plain });
    expect(lookForSchema.parse(['ERROR', 429])).toEqual({ any: ['ERROR', '429'], ...plain });
    const db = lookForSchema.parse({ any_of: ['database', 'connection'], any_case: true });
    expect(lookForWords(db)).toBe('"database" or "connection" (any case)');
    expect(lookForWords(lookForSchema.parse(['ERROR', 'unauthorized', 'forbidden']))).toBe(
      '"ERROR", "unauthorized" or "forbidden"',
    );
    expect(lineMatcher(db)('WARN Database Connection retry')).toBe(true);
    expect(lineMatcher(lookForSchema.parse('ERROR'))('an error here')).toBe(false);
    // Text, not a pattern.
    expect(lineMatcher(lookForSchema.parse('a.c'))('abc')).toBe(false);
  });

  it('whole_word (grep -w): a name is not found inside a longer one, nor a status code inside a timestamp', () => {
    const url = lineMatcher(lookForSchema.parse({ any_of: ['DATABASE_URL'], whole_word: true }));
    expect(url('DATABASE_URL=***')).toBe(true);
    expect(url('DATABASE_URL   3f2a1c   ***')).toBe(true);
    expect(url('OLD_DATABASE_URL_BACKUP=***')).toBe(false);
    expect(url('database_url=x')).toBe(false);
    const auth = lineMatcher(
      lookForSchema.parse({ any_of: ['401', '403', 'failed login'], whole_word: true, any_case: true }),
    );
    expect(auth('2025-11-27T21:04:11.401Z INFO GET /api/health 200')).toBe(false);
    expect(auth('GET /api/admin 403 12ms')).toBe(true);
    expect(auth('Failed login for alice')).toBe(true);
    // Text still, not a pattern, inside the word bounds.
    expect(lineMatcher(lookForSchema.parse({ any_of: ['a.c'], whole_word: true }))('x abc y')).toBe(false);
  });

  it('refuses a bad look_for at start, naming the step and what to write', () => {
    const withStep = (look_for: unknown, run = true) =>
      parseRunbook({
        ...testRunbookData(),
        playbooks: {
          logs: {
            title: 'Logs',
            match: [],
            detection: [{ text: 'Read the logs', ...(run ? { run: ['atom-cli', 'logs'] } : {}), look_for }],
          },
        },
      });
    expect(() => withStep([])).toThrow(/look_for.*names no text/s);
    expect(() => withStep('')).toThrow(/look_for.*is empty/s);
    expect(() => withStep({ words: ['x'] })).toThrow(/look_for/);
    expect(() => withStep('x'.repeat(61))).toThrow(/longer than 60 characters/);
    expect(() => withStep('ERROR', false)).toThrow(/only a command step \(one with run\) has look_for/);
  });

  it('every bundled step whose text says to look for lines has one', async () => {
    const rb = await loadRunbook();
    const steps = rb.playbooks.flatMap((p) => [...p.detection, ...p.mitigation, ...p.resolution]);
    const says = steps.filter((s) => s.type === 'command' && /look for (lines|"|governance)/i.test(s.text));
    expect(says.length).toBeGreaterThanOrEqual(10);
    for (const s of says) expect(s.type === 'command' && s.lookFor, s.text).toBeTruthy();
  });
});

describe("a run's message with the lines found", () => {
  const run = (found: RunView['found'], extra: Partial<RunView> = {}): RunView => ({
    runId: 1,
    playbookTitle: 'High Error Rates',
    stepText: 'View error logs',
    target: ['atom-cli', 'logs', '--lines', '200'],
    kind: 'command',
    requestedBy: 'U0REPORTER',
    state: 'succeeded',
    tail: 'INFO last',
    exitCode: 0,
    durationMs: 10,
    bytes: 100,
    truncated: true,
    lookFor: { any: ['ERROR'], anyCase: false, wholeWord: false, mustFind: false },
    found,
    ...extra,
  });

  it('leads with how many, then the lines, then the last lines; within Block Kit limits however many', () => {
    const many = Array.from({ length: 30 }, (_, i) => `ERROR <&> ${i} ${'&'.repeat(300)}`);
    const m = renderRun(run({ matched: 700, total: 5000, last: many }));
    expect(limitProblems(m, 'message')).toEqual([]);
    const texts = m.blocks.map((b) => JSON.stringify(b));
    const at = texts.findIndex((t) => t.includes('700 of 5000 lines have'));
    expect(at).toBeGreaterThan(0);
    expect(texts[at]).toMatch(/\(the last (one|\d+) below\)/);
    expect(texts[at]).toContain('ERROR &lt;&amp;&gt; 29');
    expect(texts[at + 1]).toContain('The last lines of the output');
    expect(m.text).toContain('— 700 of 5000 lines have "ERROR"');
  });

  it('every line has it: the lines found are not shown again as the last lines', () => {
    const all = renderRun(
      run({ matched: 3, total: 3, last: ['ERROR a', 'ERROR b', 'ERROR c'] }, { tail: 'ERROR a\nERROR b\nERROR c' }),
    );
    const text = JSON.stringify(all.blocks);
    expect(text).toContain('*3 of 3 lines have \\"ERROR\\"*');
    expect(text).not.toContain('The last lines of the output');
    expect(text.split('ERROR c')).toHaveLength(2);
  });

  it('one line; none; nothing printed', () => {
    const one = renderRun(run({ matched: 1, total: 1, last: ['ERROR x'] }));
    expect(JSON.stringify(one.blocks)).toContain('*1 of 1 line has \\"ERROR\\"*:');
    const none = renderRun(run({ matched: 0, total: 200, last: [] }));
    expect(JSON.stringify(none.blocks)).toContain(':mag: No line has \\"ERROR\\" in the 200 printed.');
    const empty = renderRun(run({ matched: 0, total: 0, last: [] }, { tail: '' }));
    expect(JSON.stringify(empty.blocks)).toContain('It printed nothing, so no line has \\"ERROR\\".');
    // Not run: nothing said of what it looks for.
    expect(JSON.stringify(renderRun(run(undefined, { state: 'not_found' })).blocks)).not.toContain('ERROR');
  });

  it('while it runs: the count of the lines read so far, said to be so; nothing before a line was read', () => {
    const running = { state: 'running' as const, exitCode: null, truncated: false };
    const sofar = renderRun(run({ matched: 34, total: 200, last: ['ERROR x'] }, running));
    expect(JSON.stringify(sofar.blocks)).toContain('*34 of 200 lines have \\"ERROR\\" so far*');
    expect(sofar.text).toContain('— 34 of 200 lines have "ERROR" so far');
    const none = renderRun(run({ matched: 0, total: 50, last: [] }, running));
    expect(JSON.stringify(none.blocks)).toContain('No line has \\"ERROR\\" in the 50 printed so far.');
    const nothing = renderRun(run({ matched: 0, total: 0, last: [] }, { ...running, tail: '' }));
    expect(JSON.stringify(nothing.blocks)).not.toContain('ERROR');
  });

  it('recorded lost: the count found up to the lease’s last renewal, said to be so far; a lost run’s end, not', () => {
    const lost = { state: 'lost' as const, exitCode: null, truncated: false, detail: 'The bot stopped while it ran' };
    const sofar = renderRun(run({ matched: 7, total: 200, last: ['ERROR x'] }, { ...lost, foundSoFar: true }));
    expect(JSON.stringify(sofar.blocks)).toContain('*7 of 200 lines have \\"ERROR\\" so far*');
    expect(sofar.text).toContain('— 7 of 200 lines have "ERROR" so far');
    const none = renderRun(run({ matched: 0, total: 50, last: [] }, { ...lost, foundSoFar: true }));
    expect(JSON.stringify(none.blocks)).toContain('No line has \\"ERROR\\" in the 50 printed so far.');
    // Nothing printed by the last renewal: not "it printed nothing", which is not known.
    const nothing = renderRun(run({ matched: 0, total: 0, last: [] }, { ...lost, tail: '', foundSoFar: true }));
    expect(JSON.stringify(nothing.blocks)).toContain('No line printed so far has \\"ERROR\\".');
    expect(JSON.stringify(nothing.blocks)).not.toContain('printed nothing');
    // Kept lost, its process come back with the lines found to its end: the count is the whole of them.
    const toEnd = renderRun(run({ matched: 7, total: 200, last: ['ERROR x'] }, lost));
    expect(JSON.stringify(toEnd.blocks)).toContain('*7 of 200 lines have \\"ERROR\\"*');
    expect(toEnd.text).not.toContain('so far');
  });
});
