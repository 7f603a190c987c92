import { describe, expect, it } from 'vitest';
import { wallTimeOf } from '../../src/commands/parse-oncall.js';
import type { WallTime } from '../../src/incidents/oncall.service.js';
import { resolveWallTime } from '../../src/incidents/typed-time.js';

const typed = (text: string) => {
  const w = wallTimeOf(text, 'until');
  if (typeof w === 'string') throw new Error(w);
  return w;
};

describe('a time typed after until or from', () => {
  it('takes tomorrow before it and a zone after it (UTC, Z, GMT, an IANA name)', () => {
    expect(typed('17:30')).toEqual({ date: null, time: { h: 17, m: 30 } });
    expect(typed('tomorrow 17:30')).toEqual({ date: null, time: { h: 17, m: 30 }, tomorrow: true });
    expect(typed('23:30 UTC')).toEqual({ date: null, time: { h: 23, m: 30 }, zone: 'UTC' });
    expect(typed('23:30Z')).toEqual({ date: null, time: { h: 23, m: 30 }, zone: 'UTC' });
    expect(typed('18:00 europe/london')).toEqual({ date: null, time: { h: 18, m: 0 }, zone: 'Europe/London' });
    expect(typed('tomorrow 18:00 America/New_York')).toMatchObject({ tomorrow: true, zone: 'America/New_York' });
    expect(typed('2026-12-01 09:00 UTC')).toEqual({
      date: { y: 2026, mo: 11, d: 1 },
      time: { h: 9, m: 0 },
      zone: 'UTC',
    });
    // A zone the bot does not read is what is wrong, said so (not that 18:00 is no time).
    expect(wallTimeOf('18:00 Mars/Olympus', 'until')).toBe(
      '`Mars/Olympus` is not a time zone the bot reads: write it as `Europe/London` or `America/New_York` is written, or `UTC`.',
    );
    expect(wallTimeOf('18:00 GMT', 'until')).toMatchObject({ time: { h: 18, m: 0 }, zone: 'UTC' });
    expect(wallTimeOf('tomorrow 2026-12-01 09:00', 'until')).toMatch(/is not a time/);
  });
});

describe('a typed time read against now', () => {
  const NY = 'America/New_York';
  // 17:38 in New York (EST, UTC-5) on 2026-12-05.
  const now = new Date('2026-12-05T22:38:00Z');
  const at = (w: WallTime, zone = NY) => resolveWallTime(w, zone, now, now, 'until', 'Nothing was recorded.');

  it('refuses a time of day that passed less than 12 hours ago today, naming it and what to write for tomorrow', () => {
    expect(() => at(typed('17:30'))).toThrow(
      "17:30 (America/New_York) has passed today (8 minutes ago); for tomorrow's, write `until tomorrow 17:30`. Nothing was recorded.",
    );
    expect(() => at(typed('22:00 UTC'))).toThrow(/^22:00 UTC has passed today \(38 minutes ago\)/);
  });

  it('reads one to come today as today, one long past as tomorrow, and tomorrow as tomorrow, in the zone typed', () => {
    expect(at(typed('18:00'))).toEqual(new Date('2026-12-05T23:00:00Z'));
    expect(at(typed('05:00'))).toEqual(new Date('2026-12-06T10:00:00Z'));
    expect(at(typed('tomorrow 17:30'))).toEqual(new Date('2026-12-06T22:30:00Z'));
    expect(at(typed('23:30 UTC'))).toEqual(new Date('2026-12-05T23:30:00Z'));
    expect(at(typed('23:30Z'))).toEqual(new Date('2026-12-05T23:30:00Z'));
    expect(at(typed('23:00 Europe/London'))).toEqual(new Date('2026-12-05T23:00:00Z'));
  });

  it('after a later start, a time alone is its next occurrence after the start, as before', () => {
    const start = new Date('2026-12-06T01:00:00Z');
    expect(resolveWallTime(typed('17:30'), NY, start, now, 'until', '')).toEqual(new Date('2026-12-06T22:30:00Z'));
  });
});
