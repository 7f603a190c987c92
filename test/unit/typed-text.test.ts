import { describe, expect, it } from 'vitest';
import { parseIncidentCommand } from '../../src/commands/parse-incident-command.js';
import {
  cleanText,
  cleanTitle,
  hasControlCharacters,
  isBlank,
  mayHoldUnstorable,
  storableJson,
  storableText,
} from '../../src/incidents/text.js';
import { BLOCK, INPUT } from '../../src/templates/ids.js';
import { parseDenyReason, parseStepParams } from '../../src/views/parse-playbook-forms.js';
import { parseResolveSummary, parseStatusUpdate } from '../../src/views/parse-status-update.js';
import { statusFormValues } from '../support/status-form.js';

const NUL = '\u0000';

describe('cleanText', () => {
  it('drops NUL and every other C0/C1 control and DEL', () => {
    expect(cleanText(`db${NUL} down\u0007\u001b[31m\u007f\u0085\u009f`)).toBe('db down');
    // A terminal's escape sequences go whole (the ESC alone left `[31m` in a title, and in its channel's name).
    expect(cleanText('cache\u0007\u001b[31mred\u001b[0m\u000bvt\u007fdel end')).toBe('cache red vt del end');
    expect(cleanText('see \u001b]8;;https://x.example\u001b\\the link\u001b]8;;\u001b\\ now')).toBe('see the link now');
    expect(cleanText(`${NUL}db${NUL}down${NUL}${NUL}`)).toBe('db down');
  });

  it('a control between two words leaves a gap, not one word: `db\\0down` is "db down"', () => {
    expect(cleanText(`db${NUL}down`)).toBe('db down');
    expect(cleanText(`payments${NUL}${NUL}\u0007api`)).toBe('payments api');
    expect(cleanText(`db ${NUL}down`)).toBe('db down');
    expect(cleanText(`line one${NUL}\nline two`, { multiline: true })).toBe('line one\nline two');
  });

  it('makes tabs and line breaks spaces in single-line text, and keeps them (as \\n) in multi-line text', () => {
    expect(cleanText('a\tb\r\nc\rd\ne')).toBe('a b c d e');
    expect(cleanText(`a\tb\r\nc\rd\ne${NUL}`, { multiline: true })).toBe('a\tb\nc\nd\ne');
  });

  it('makes a Windows line break, or any run of line breaks, one space in single-line text, not two', () => {
    expect(cleanText('Checkout slow\r\nfor EU')).toBe('Checkout slow for EU');
    expect(cleanText('one\r\n\r\ntwo\n\n\nthree\r\rfour')).toBe('one two three four');
    expect(cleanText('one\r\n\r\ntwo', { multiline: true })).toBe('one\n\ntwo');
  });

  it('replaces a lone surrogate (which Postgres jsonb refuses) and keeps paired ones (emoji)', () => {
    expect(cleanText('x\uD800y\uDC00z 🔥')).toBe('x\uFFFDy\uFFFDz 🔥');
  });

  it('keeps every other character: emoji with joiners, non-Latin text, zero-width joiners inside words', () => {
    const family = '👨‍👩‍👧';
    expect(cleanText(`${family} データベース停止 ‏`)).toBe(`${family} データベース停止 ‏`);
  });
});

describe('cleanTitle and isBlank', () => {
  it('strips bidi embeddings, overrides, isolates and marks from a title', () => {
    expect(cleanTitle('\u202Eknird\u202C db \u2066down\u2069\u200E\u200F')).toBe('knird db down');
    // The Arabic letter mark is a bidi control too.
    expect(cleanTitle('Name\u061CABC')).toBe('NameABC');
  });

  it.each([
    ['zero-width spaces', '\u200B\u200B\u200B'],
    ['zero-width joiners and non-joiners', '\u200C\u200D\u2060'],
    ['a byte order mark', '\uFEFF'],
    ['soft hyphens', '\u00AD\u00AD'],
    ['Hangul fillers', '\u3164\u115F\u1160\uFFA0'],
    ['a blank braille pattern', '\u2800'],
    ['variation selectors', '\uFE0F\uFE0E'],
    ['tag characters', '\u{E0041}\u{E0042}'],
    ['combining marks without a base', '\u0301\u0308'],
    ['bidi controls', '\u202E\u2066\u200F'],
    ['odd spaces', '\u00A0\u2003\u3000'],
  ])('is blank with only %s', (_what, text) => {
    expect(isBlank(text)).toBe(true);
  });

  it.each(['db down', '🔥', 'é', '停止', '\u200Bx'])('is not blank with %j', (text) => {
    expect(isBlank(text)).toBe(false);
  });

  it('finds control characters and lone surrogates, which a step parameter is refused for', () => {
    expect(hasControlCharacters('v42')).toBe(false);
    for (const bad of [`v42${NUL}`, 'v42\n', 'v4\t2', 'v42\u0085', 'v42\uD800', 'v42\u202E', '\u2066v42\u2069'])
      expect(hasControlCharacters(bad)).toBe(true);
  });
});

describe('typed text is cleaned by every parser', () => {
  it('declares with a NUL-free title', () => {
    expect(parseIncidentCommand(`sev1 db${NUL} down${NUL}`)).toEqual({
      ok: true,
      command: { kind: 'declare', severity: 1, title: 'db down', private: false },
    });
  });

  it('drops bidi controls from a declared title', () => {
    expect(parseIncidentCommand('sev1 \u202Enwod bd\u202C')).toEqual({
      ok: true,
      command: { kind: 'declare', severity: 1, title: 'nwod bd', private: false },
    });
  });

  it.each([
    ['zero-width spaces', '\u200B\u200B'],
    ['bidi controls', '\u202E\u2066'],
    ['a BOM and a zero-width joiner', '\uFEFF\u200D'],
    ['Hangul fillers', '\u3164\u3164'],
  ])('refuses a title made only of %s, like an empty title', (_what, title) => {
    const r = parseIncidentCommand(`sev1 ${title}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/title/i);
  });

  it('resolves with a NUL-free summary', () => {
    expect(parseIncidentCommand(`resolve restarted${NUL} the pool`)).toEqual({
      ok: true,
      command: { kind: 'resolve', summary: 'restarted the pool' },
    });
    // A summary typed after the command, as a form's: without the bidi controls that reorder it.
    expect(parseIncidentCommand('resolve restarted \u202Eloop eht\u202C pool')).toEqual({
      ok: true,
      command: { kind: 'resolve', summary: 'restarted loop eht pool' },
    });
  });

  it('keeps line breaks and tabs in a status update but drops NUL and other controls', () => {
    const r = parseStatusUpdate(
      statusFormValues({
        affected: `EU${NUL}`,
        impact: `500s\u0007`,
        currentStatus: `line one${NUL}\r\n\tline two`,
        mitigation: `restart${NUL}`,
      }) as never,
      new Date(),
    );
    expect(r.ok && r.value).toMatchObject({
      affected: 'EU',
      currentImpact: '500s',
      currentStatus: 'line one\n\tline two',
      mitigationSteps: 'restart',
    });
  });

  it('drops the bidi controls that reorder text from a status update (announced, and on the status page), keeping RLM', () => {
    const r = parseStatusUpdate(
      statusFormValues({
        affected: 'db down \u202Eevil\u202C ok',
        impact: '\u2067rtl\u2069 \u202Aemb\u202C',
        currentStatus: 'שלום\u200F 2',
      }) as never,
      new Date(),
    );
    expect(r.ok && r.value).toMatchObject({
      affected: 'db down evil ok',
      currentImpact: 'rtl emb',
      currentStatus: 'שלום\u200F 2',
    });
  });

  it('refuses a status update field made only of NULs as empty', () => {
    const r = parseStatusUpdate(
      statusFormValues({ affected: 'EU', impact: NUL, currentStatus: 'x' }) as never,
      new Date(),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors)).toEqual([BLOCK.updImpact]);
  });

  it('resolves from the form with a NUL-free summary', () => {
    const values = { [BLOCK.resolveSummary]: { [INPUT.summary]: { value: `pool${NUL} leak` } } };
    expect(parseResolveSummary(values)).toEqual({ ok: true, value: 'pool leak' });
  });

  it('reads a deny reason without controls, and refuses one that is only controls', () => {
    const values = (v: string | null) => ({ [BLOCK.denyReason]: { [INPUT.summary]: { value: v } } });
    expect(parseDenyReason(values(`roll${NUL} forward\ninstead`))).toEqual({ ok: true, value: 'roll forward instead' });
    expect(parseDenyReason(values(`${NUL} `)).ok).toBe(false);
    expect(parseDenyReason(values(null)).ok).toBe(false);
    expect(parseDenyReason({}).ok).toBe(false);
  });

  it('refuses a step parameter holding a control character, naming it, instead of changing it', () => {
    const block = (name: string) => `${BLOCK.paramPrefix}${name}`;
    const values = {
      [block('version')]: { [INPUT.param]: { value: `v42${NUL}` } },
      [block('count')]: { [INPUT.param]: { value: '3' } },
      other_block: { x: { value: 'ignored' } },
    };
    const r = parseStepParams(values);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(Object.keys(r.errors)).toEqual([block('version')]);
      expect(r.errors[block('version')]).toMatch(/control character/);
    }
    expect(parseStepParams({ [block('count')]: { [INPUT.param]: { value: '3' } } })).toEqual({
      ok: true,
      value: { count: '3' },
    });
  });
});

describe('storable JSON (alert bodies)', () => {
  it('a NUL and a lone surrogate become U+FFFD, in keys and values at any depth; pairs and other text are kept', () => {
    expect(storableText(`a${NUL}b\ud800c\udc00d 🚒 \t`)).toBe('a\ufffdb\ufffdc\ufffdd 🚒 \t');
    expect(storableJson({ [`k${NUL}`]: [`v${NUL}`, { deep: '\udbff' }, 3, null, true] })).toEqual({
      'k\ufffd': ['v\ufffd', { deep: '\ufffd' }, 3, null, true],
    });
  });

  it('looks for the escapes only JSON can bring them in', () => {
    expect(mayHoldUnstorable(JSON.stringify({ a: `x${NUL}` }))).toBe(true);
    expect(mayHoldUnstorable(JSON.stringify({ a: '\ud800' }))).toBe(true);
    expect(mayHoldUnstorable('{"a":"\\uD83D\\uDE80"}')).toBe(true);
    expect(mayHoldUnstorable(JSON.stringify({ a: 'plain 🚒 text \u0001' }))).toBe(false);
  });
});
