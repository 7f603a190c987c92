import { describe, expect, it } from 'vitest';
import { parseAlertQuery } from '../../src/commands/parse-alert-query.js';

describe('`/incident alerts WORDS from N`', () => {
  it('reads words (lower case, quotes dropped) and where to start', () => {
    expect(parseAlertQuery(null)).toEqual({ ok: true, query: { words: [], from: 1 } });
    expect(parseAlertQuery('  ')).toEqual({ ok: true, query: { words: [], from: 1 } });
    expect(parseAlertQuery('Node-12 "FIRING"')).toEqual({ ok: true, query: { words: ['node-12', 'firing'], from: 1 } });
    expect(parseAlertQuery('from 201')).toEqual({ ok: true, query: { words: [], from: 201 } });
    expect(parseAlertQuery('disk FROM 41 eu')).toEqual({ ok: true, query: { words: ['disk', 'eu'], from: 41 } });
    // A bare number is a word (a status code, a port): only `#12` / `inc-12` name an incident.
    expect(parseAlertQuery('500')).toEqual({ ok: true, query: { words: ['500'], from: 1 } });
    expect(parseAlertQuery('`db`')).toEqual({ ok: true, query: { words: ['db'], from: 1 } });
  });

  it('says what to type for what it cannot read', () => {
    for (const bad of ['from', 'from x', 'from 0', 'from -3', 'disk from']) {
      const r = parseAlertQuery(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.error).toContain('`/incident alerts from 201`');
    }
    const incident = parseAlertQuery('#12');
    expect(incident).toEqual({
      ok: false,
      error: expect.stringContaining("type it in incident #12's channel"),
    });
    const many = parseAlertQuery('a b c d e f g h i');
    expect(many.ok).toBe(false);
    if (!many.ok) expect(many.error).toContain('at most 8');
  });
});
