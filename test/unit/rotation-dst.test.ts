import { describe, expect, it } from 'vitest';
import { atLocal, type Rotation, shiftAt } from '../../src/incidents/rotation.js';
import { rotationSchema } from '../../src/runbook/rotation-schema.js';

const rot = (r: Record<string, unknown>): Rotation => rotationSchema.parse(r);
const local = (ymd: string, hm: string, zone: string) => {
  const [y, mo, d] = ymd.split('-').map(Number) as [number, number, number];
  const [h, m] = hm.split(':').map(Number) as [number, number];
  return atLocal(y, mo - 1, d, { h, m }, zone).toISOString();
};

describe('a wall-clock reading at the clock changes, in every zone (README: skipped -> after the jump, repeated -> first)', () => {
  it.each([
    // zone, the autumn change's repeated reading -> its first occurrence; the spring change's skipped one -> after it
    [
      'America/New_York',
      '2026-11-01',
      '01:30',
      '2026-11-01T05:30:00.000Z',
      '2026-03-08',
      '02:30',
      '2026-03-08T07:30:00.000Z',
    ],
    [
      'Europe/London',
      '2026-10-25',
      '01:30',
      '2026-10-25T00:30:00.000Z',
      '2026-03-29',
      '01:30',
      '2026-03-29T01:30:00.000Z',
    ],
    [
      'Europe/Berlin',
      '2026-10-25',
      '02:30',
      '2026-10-25T00:30:00.000Z',
      '2026-03-29',
      '02:30',
      '2026-03-29T01:30:00.000Z',
    ],
    [
      'Australia/Sydney',
      '2026-04-05',
      '02:30',
      '2026-04-04T15:30:00.000Z',
      '2026-10-04',
      '02:30',
      '2026-10-03T16:30:00.000Z',
    ],
  ])('%s', (zone, autumnDay, autumnTime, first, springDay, springTime, afterJump) => {
    expect(local(autumnDay, autumnTime, zone)).toBe(first);
    expect(local(springDay, springTime, zone)).toBe(afterJump);
  });

  it('readings away from a change are as before, days past the month end roll over', () => {
    expect(local('2026-07-01', '09:00', 'Europe/London')).toBe('2026-07-01T08:00:00.000Z');
    expect(local('2026-01-15', '09:00', 'Australia/Sydney')).toBe('2026-01-14T22:00:00.000Z');
    expect(local('2026-01-32', '09:00', 'UTC')).toBe('2026-02-01T09:00:00.000Z');
    expect(local('2026-10-25', '00:30', 'Europe/London')).toBe('2026-10-24T23:30:00.000Z');
    expect(local('2026-10-25', '02:00', 'Europe/London')).toBe('2026-10-25T02:00:00.000Z');
  });

  it('a London daily hand-off at 01:30 on the fall-back night is at its first occurrence (00:30 UTC)', () => {
    const night = rot({
      people: ['U0ANN', 'U0BEN'],
      shift: 'daily',
      handoff: { time: '01:30', time_zone: 'Europe/London' },
      start: '2026-10-01',
    });
    const shift = shiftAt(night, new Date('2026-10-25T12:00:00Z'));
    expect(shift.start.toISOString()).toBe('2026-10-25T00:30:00.000Z');
    // The shift before it is a whole day; this one holds the repeated hour.
    const before = shiftAt(night, new Date('2026-10-25T00:00:00Z'));
    expect(before.end.toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(before.end.getTime() - before.start.getTime()).toBe(24 * 3_600_000);
    expect(shift.end.getTime() - shift.start.getTime()).toBe(25 * 3_600_000);
  });
});
