import { describe, expect, it } from 'vitest';
import { CHANNEL_NAME_MAX, incidentChannelName } from '../../src/incidents/channel-name.js';

/** What Slack accepts for a channel name, plus our own rules: no leading/trailing/double separators. */
function expectValidName(name: string) {
  expect(name.length).toBeLessThanOrEqual(80);
  expect(name).toMatch(/^[a-z0-9_-]+$/);
  expect(name).not.toMatch(/--/);
  expect(name).not.toMatch(/^[-_]|[-_]$/);
  expect(name).toMatch(/^inc-\d+/);
}

describe('incidentChannelName', () => {
  it('slugs the number and title: inc-42-db-down', () => {
    expect(incidentChannelName(42, 'db down')).toBe('inc-42-db-down');
  });

  it('lowercases and turns punctuation and spaces into single dashes', () => {
    expect(incidentChannelName(7, 'DB Down!!  (EU-West)')).toBe('inc-7-db-down-eu-west');
    expect(incidentChannelName(7, 'api: 500s / timeouts...')).toBe('inc-7-api-500s-timeouts');
  });

  it('keeps underscores and digits', () => {
    expect(incidentChannelName(3, 'queue_worker 2 stuck')).toBe('inc-3-queue_worker-2-stuck');
  });

  it('folds accents to plain letters', () => {
    expect(incidentChannelName(5, 'Café crème brûlée à Zürich')).toBe('inc-5-cafe-creme-brulee-a-zurich');
    expect(incidentChannelName(5, 'ÅNGSTRÖM Ñandú')).toBe('inc-5-angstrom-nandu');
  });

  it.each(['🔥🔥🔥', 'データベース停止', '数据库宕机', '!!!', '   ', '', '---', '___', '🚨 — 🚨'])(
    'a title with nothing usable (%j) gives inc-42',
    (title) => {
      expect(incidentChannelName(42, title)).toBe('inc-42');
    },
  );

  it('keeps the Latin part of a mixed title and drops emoji/CJK without leaving dashes behind', () => {
    expect(incidentChannelName(42, '🔥 db down 🔥')).toBe('inc-42-db-down');
    expect(incidentChannelName(42, 'データベース db 停止')).toBe('inc-42-db');
  });

  it('never has leading, trailing or doubled dashes', () => {
    for (const title of ['-db-down-', '_db_', ' - db -- down - ', '-_-x-_-', 'a - - - b', '🔥-🔥-a-🔥-🔥']) {
      const name = incidentChannelName(9, title);
      expectValidName(name);
    }
    expect(incidentChannelName(9, ' - db -- down - ')).toBe('inc-9-db-down');
  });

  it(`stays within ${CHANNEL_NAME_MAX} characters for a very long title`, () => {
    expect(CHANNEL_NAME_MAX).toBe(80);
    const name = incidentChannelName(42, 'database '.repeat(50));
    expectValidName(name);
    expect(name.startsWith('inc-42-database-database')).toBe(true);
    expect(name.length).toBeGreaterThan(70); // uses the room it has
  });

  it('stays within 80 characters for big incident numbers', () => {
    for (const n of [1, 99_999, 2_147_483_647]) {
      const name = incidentChannelName(n, 'x'.repeat(200));
      expectValidName(name);
      expect(name.startsWith(`inc-${n}-`)).toBe(true);
    }
  });

  it('does not end in a dash when the cut falls on a word boundary', () => {
    // "inc-1-" is 6 chars, so the slug gets 74: make char 74 of the slug a separator.
    const title = `${'a'.repeat(73)} bbbb`;
    const name = incidentChannelName(1, title);
    expect(name).toBe(`inc-1-${'a'.repeat(73)}`);
    expectValidName(name);
  });

  describe('suffix for a taken name', () => {
    it('appends -2, -3 after the slug', () => {
      expect(incidentChannelName(42, 'db down', 2)).toBe('inc-42-db-down-2');
      expect(incidentChannelName(42, 'db down', 3)).toBe('inc-42-db-down-3');
    });

    it('adds nothing for suffix 1 or none', () => {
      expect(incidentChannelName(42, 'db down', 1)).toBe('inc-42-db-down');
      expect(incidentChannelName(42, 'db down', undefined)).toBe('inc-42-db-down');
    });

    it('appends the suffix to inc-42 when the title has nothing usable', () => {
      expect(incidentChannelName(42, '🔥', 2)).toBe('inc-42-2');
    });

    it('keeps the suffix and stays within 80 characters for long titles', () => {
      for (const suffix of [2, 10, 999]) {
        const name = incidentChannelName(2_147_483_647, 'very long title '.repeat(20), suffix);
        expectValidName(name);
        expect(name.endsWith(`-${suffix}`)).toBe(true);
      }
    });

    it('gives distinct names for distinct suffixes even when cut', () => {
      const title = 'z'.repeat(300);
      const names = new Set([2, 3, 4, 5].map((s) => incidentChannelName(42, title, s)));
      expect(names.size).toBe(4);
      expect(incidentChannelName(42, title)).not.toBe(incidentChannelName(42, title, 2));
    });
  });

  it('is stable: the same input always gives the same name', () => {
    expect(incidentChannelName(12, 'Payments API 502s')).toBe(incidentChannelName(12, 'Payments API 502s'));
  });
});
