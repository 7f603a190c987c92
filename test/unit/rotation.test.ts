import { describe, expect, it } from 'vitest';
import {
  handoffsBetween,
  layerActive,
  layerSegments,
  layerWindows,
  type Override,
  onCallAt,
  pageesAt,
  type Rotation,
  scheduledAt,
  segments,
  shiftAt,
} from '../../src/incidents/rotation.js';
import { rotationSchema } from '../../src/runbook/rotation-schema.js';

const rot = (r: Record<string, unknown>): Rotation => rotationSchema.parse(r);
const at = (iso: string) => new Date(iso);
const H = 3_600_000;

const weeklyLondon = rot({
  people: ['U0ALICE', 'U0BOB', 'U0CAROL'],
  shift: 'weekly',
  handoff: { day: 'monday', time: '09:00', time_zone: 'Europe/London' },
  start: '2026-01-05', // a Monday
});

let nextId = 1;
function override(o: Partial<Override> & Pick<Override, 'userId' | 'startsAt' | 'endsAt'>): Override {
  return {
    id: nextId++,
    role: 'on_call',
    kind: 'override',
    otherId: null,
    createdBy: 'U0BOSS',
    createdAt: new Date(Date.UTC(2026, 0, 1) + nextId * 1000),
    ...o,
  };
}

describe('a weekly rotation (Monday 09:00 Europe/London)', () => {
  it('hands off each Monday at 09:00 local, in order, wrapping round', () => {
    expect(weeklyLondon.anchor.toISOString()).toBe('2026-01-05T09:00:00.000Z');
    expect(scheduledAt(weeklyLondon, at('2026-01-05T08:59:59Z'))).toBe('U0CAROL'); // before the anchor: the order backwards
    expect(scheduledAt(weeklyLondon, at('2026-01-05T09:00:00Z'))).toBe('U0ALICE');
    expect(scheduledAt(weeklyLondon, at('2026-01-11T23:00:00Z'))).toBe('U0ALICE');
    expect(scheduledAt(weeklyLondon, at('2026-01-12T09:00:00Z'))).toBe('U0BOB');
    expect(scheduledAt(weeklyLondon, at('2026-01-19T10:00:00Z'))).toBe('U0CAROL');
    expect(scheduledAt(weeklyLondon, at('2026-01-26T10:00:00Z'))).toBe('U0ALICE');
  });

  it('keeps 09:00 local across the spring-forward and fall-back weekends (shifts of 167 and 169 hours)', () => {
    // Clocks go forward on Sunday 29 March 2026: Monday 30 March 09:00 BST is 08:00 UTC.
    const before = shiftAt(weeklyLondon, at('2026-03-25T12:00:00Z'));
    expect(before.start.toISOString()).toBe('2026-03-23T09:00:00.000Z');
    expect(before.end.toISOString()).toBe('2026-03-30T08:00:00.000Z');
    expect(before.end.getTime() - before.start.getTime()).toBe(167 * H);
    expect(scheduledAt(weeklyLondon, at('2026-03-30T07:59:00Z'))).not.toBe(
      scheduledAt(weeklyLondon, at('2026-03-30T08:00:00Z')),
    );
    // Back on Sunday 25 October 2026: Monday 26 October 09:00 GMT is 09:00 UTC again.
    const fall = shiftAt(weeklyLondon, at('2026-10-22T12:00:00Z'));
    expect(fall.start.toISOString()).toBe('2026-10-19T08:00:00.000Z');
    expect(fall.end.toISOString()).toBe('2026-10-26T09:00:00.000Z');
    expect(fall.end.getTime() - fall.start.getTime()).toBe(169 * H);
  });

  it('counts whole weeks across DST, so the order never slips', () => {
    // 52 weeks after the anchor is shift 52: 52 mod 3 = 1, Bob.
    expect(scheduledAt(weeklyLondon, at('2027-01-04T09:30:00Z'))).toBe('U0BOB');
    expect(shiftAt(weeklyLondon, at('2027-01-04T09:30:00Z')).index).toBe(52);
  });

  it('anchors on the first hand-off on or after the start date', () => {
    const r = rot({
      people: ['U0ALICE', 'U0BOB'],
      shift: 'weekly',
      handoff: { day: 'wednesday', time: '17:30', time_zone: 'Europe/London' },
      start: '2026-06-01', // a Monday: the first Wednesday is 3 June, 17:30 BST
    });
    expect(r.anchor.toISOString()).toBe('2026-06-03T16:30:00.000Z');
  });
});

describe('a daily rotation in America/New_York', () => {
  const daily = rot({
    people: ['U0ANN', 'U0BEN'],
    shift: 'daily',
    handoff: { time: '08:00', time_zone: 'America/New_York' },
    start: '2026-03-01',
  });

  it('alternates each day at 08:00 local (EST, then EDT after the spring forward)', () => {
    expect(scheduledAt(daily, at('2026-03-01T13:00:00Z'))).toBe('U0ANN'); // 08:00 EST
    expect(scheduledAt(daily, at('2026-03-02T12:59:00Z'))).toBe('U0ANN');
    expect(scheduledAt(daily, at('2026-03-02T13:00:00Z'))).toBe('U0BEN');
    // 8 March: clocks spring forward at 02:00; 9 March 08:00 EDT is 12:00 UTC.
    const s = shiftAt(daily, at('2026-03-08T20:00:00Z'));
    expect(s.start.toISOString()).toBe('2026-03-08T12:00:00.000Z');
    expect(s.end.toISOString()).toBe('2026-03-09T12:00:00.000Z');
    const sunday = shiftAt(daily, at('2026-03-08T05:00:00Z'));
    expect(sunday.end.getTime() - sunday.start.getTime()).toBe(23 * H);
    expect(scheduledAt(daily, at('2026-03-08T12:00:00Z'))).toBe('U0BEN'); // 7 days after 1 March
  });

  it('has a 25-hour shift over the fall back (1 November 2026)', () => {
    const s = shiftAt(daily, at('2026-11-01T10:00:00Z'));
    expect(s.start.toISOString()).toBe('2026-10-31T12:00:00.000Z');
    expect(s.end.toISOString()).toBe('2026-11-01T13:00:00.000Z');
    expect(s.end.getTime() - s.start.getTime()).toBe(25 * H);
  });

  it('a hand-off time the clocks skip happens once they have jumped; a repeated one at its first occurrence', () => {
    const night = rot({
      people: ['U0ANN', 'U0BEN'],
      shift: 'daily',
      handoff: { time: '02:30', time_zone: 'America/New_York' },
      start: '2026-03-01',
    });
    // 02:30 does not exist on 8 March: the hand-off is at 03:30 EDT (07:30 UTC).
    expect(shiftAt(night, at('2026-03-08T12:00:00Z')).start.toISOString()).toBe('2026-03-08T07:30:00.000Z');
    const fallBack = rot({
      people: ['U0ANN', 'U0BEN'],
      shift: 'daily',
      handoff: { time: '01:30', time_zone: 'America/New_York' },
      start: '2026-10-01',
    });
    // 01:30 happens twice on 1 November: the first (EDT, 05:30 UTC).
    expect(shiftAt(fallBack, at('2026-11-01T12:00:00Z')).start.toISOString()).toBe('2026-11-01T05:30:00.000Z');
  });
});

describe('a fixed-length rotation', () => {
  it('hands off every 12h from its start, whatever the clocks do', () => {
    const r = rot({
      people: ['U0A1', 'U0B1', 'U0C1'],
      shift: '12h',
      handoff: { time: '07:00', time_zone: 'Europe/London' },
      start: '2026-03-28',
    });
    expect(r.anchor.toISOString()).toBe('2026-03-28T07:00:00.000Z');
    expect(scheduledAt(r, at('2026-03-28T18:59:59Z'))).toBe('U0A1');
    expect(scheduledAt(r, at('2026-03-28T19:00:00Z'))).toBe('U0B1');
    // After the spring forward the hand-offs stay 12 h apart: 07:00 UTC is 08:00 BST.
    expect(shiftAt(r, at('2026-03-29T09:00:00Z')).start.toISOString()).toBe('2026-03-29T07:00:00.000Z');
    expect(scheduledAt(r, at('2026-03-29T09:00:00Z'))).toBe('U0C1');
  });

  it('takes an instant with its offset as the start, for seconds-long test shifts', () => {
    const r = rot({
      people: ['U0A1', 'U0B1'],
      shift: '3s',
      handoff: { time_zone: 'UTC' },
      start: '2026-05-01T10:00:00.000Z',
    });
    expect(scheduledAt(r, at('2026-05-01T10:00:02.999Z'))).toBe('U0A1');
    expect(scheduledAt(r, at('2026-05-01T10:00:03.000Z'))).toBe('U0B1');
    expect(scheduledAt(r, at('2026-05-01T10:00:06.000Z'))).toBe('U0A1');
  });
});

describe('overrides and swaps', () => {
  const mon = at('2026-01-12T09:00:00Z'); // Bob's week starts

  it('an override takes the shift for its time range only, and the latest made wins', () => {
    const first = override({
      userId: 'U0DAN',
      startsAt: at('2026-01-13T10:00:00Z'),
      endsAt: at('2026-01-13T18:00:00Z'),
    });
    const later = override({
      userId: 'U0EVE',
      startsAt: at('2026-01-13T12:00:00Z'),
      endsAt: at('2026-01-13T14:00:00Z'),
    });
    const ov = [later, first].map((o, i) => ({ ...o, createdAt: new Date(mon.getTime() + i * -1000 + 5000) }));
    // later was made after first
    ov[0]!.createdAt = at('2026-01-10T00:00:02Z');
    ov[1]!.createdAt = at('2026-01-10T00:00:01Z');
    expect(onCallAt(weeklyLondon, ov, at('2026-01-13T09:59:00Z')).userId).toBe('U0BOB');
    expect(onCallAt(weeklyLondon, ov, at('2026-01-13T10:00:00Z'))).toMatchObject({ userId: 'U0DAN', via: 'override' });
    expect(onCallAt(weeklyLondon, ov, at('2026-01-13T13:00:00Z')).userId).toBe('U0EVE');
    expect(onCallAt(weeklyLondon, ov, at('2026-01-13T15:00:00Z')).userId).toBe('U0DAN');
    expect(onCallAt(weeklyLondon, ov, at('2026-01-13T18:00:00Z'))).toMatchObject({ userId: 'U0BOB', via: 'rotation' });
  });

  it('a swap trades two people’s shifts within its range, both ways', () => {
    const swap = override({
      kind: 'swap',
      userId: 'U0BOB',
      otherId: 'U0CAROL',
      startsAt: at('2026-01-12T09:00:00Z'),
      endsAt: at('2026-01-26T09:00:00Z'),
    });
    expect(onCallAt(weeklyLondon, [swap], at('2026-01-13T00:00:00Z'))).toMatchObject({
      userId: 'U0CAROL',
      via: 'swap',
    });
    expect(onCallAt(weeklyLondon, [swap], at('2026-01-20T00:00:00Z'))).toMatchObject({ userId: 'U0BOB', via: 'swap' });
    expect(onCallAt(weeklyLondon, [swap], at('2026-01-27T00:00:00Z'))).toMatchObject({ userId: 'U0ALICE' });
  });

  it('an override beats a swap that overlaps it', () => {
    const swap = override({
      kind: 'swap',
      userId: 'U0BOB',
      otherId: 'U0CAROL',
      startsAt: mon,
      endsAt: at('2026-01-19T09:00:00Z'),
    });
    const take = override({
      userId: 'U0DAN',
      startsAt: at('2026-01-14T00:00:00Z'),
      endsAt: at('2026-01-15T00:00:00Z'),
    });
    expect(onCallAt(weeklyLondon, [take, swap], at('2026-01-14T12:00:00Z')).userId).toBe('U0DAN');
    expect(onCallAt(weeklyLondon, [take, swap], at('2026-01-15T12:00:00Z')).userId).toBe('U0CAROL');
  });
});

describe('until when, who is next, hand-offs', () => {
  it('the current stretch ends at the next change of person; the next one is who follows', () => {
    const segs = segments(weeklyLondon, [], at('2026-01-13T00:00:00Z'), at('2026-02-13T00:00:00Z'), 3);
    expect(segs.map((s) => [s.userId, s.end.toISOString()])).toEqual([
      ['U0BOB', '2026-01-19T09:00:00.000Z'],
      ['U0CAROL', '2026-01-26T09:00:00.000Z'],
      ['U0ALICE', '2026-02-02T09:00:00.000Z'],
    ]);
  });

  it('one person twice in a row is one stretch; an override splits it and is marked', () => {
    const solo = rot({ people: ['U0SOLO'], shift: 'daily', handoff: { time_zone: 'UTC' }, start: '2026-01-01' });
    const o = override({ userId: 'U0DAN', startsAt: at('2026-01-03T10:00:00Z'), endsAt: at('2026-01-03T12:00:00Z') });
    const segs = segments(solo, [o], at('2026-01-02T00:00:00Z'), at('2026-01-06T00:00:00Z'));
    expect(segs.map((s) => [s.userId, s.via, s.start.toISOString(), s.end.toISOString()])).toEqual([
      ['U0SOLO', 'rotation', '2026-01-02T00:00:00.000Z', '2026-01-03T10:00:00.000Z'],
      ['U0DAN', 'override', '2026-01-03T10:00:00.000Z', '2026-01-03T12:00:00.000Z'],
      ['U0SOLO', 'rotation', '2026-01-03T12:00:00.000Z', '2026-01-06T00:00:00.000Z'],
    ]);
  });

  it('hand-offs are the changes of person, overrides included', () => {
    const o = override({ userId: 'U0DAN', startsAt: at('2026-01-19T08:00:00Z'), endsAt: at('2026-01-19T10:00:00Z') });
    const h = handoffsBetween(weeklyLondon, [o], at('2026-01-19T00:00:00Z'), at('2026-01-20T00:00:00Z'));
    expect(h.map((x) => [x.at.toISOString(), x.from.userId, x.to.userId])).toEqual([
      ['2026-01-19T08:00:00.000Z', 'U0BOB', 'U0DAN'],
      ['2026-01-19T10:00:00.000Z', 'U0DAN', 'U0CAROL'],
    ]);
    // An override giving the shift to whoever has it anyway hands nothing off.
    const same = override({
      userId: 'U0BOB',
      startsAt: at('2026-01-14T08:00:00Z'),
      endsAt: at('2026-01-14T10:00:00Z'),
    });
    expect(handoffsBetween(weeklyLondon, [same], at('2026-01-13T00:00:00Z'), at('2026-01-18T00:00:00Z'))).toEqual([]);
  });
});

describe('the second layer', () => {
  const layered = rot({
    people: ['U0ALICE', 'U0BOB'],
    shift: 'weekly',
    handoff: { day: 'monday', time: '09:00', time_zone: 'Europe/London' },
    start: '2026-01-05',
    layer: {
      name: 'Daytime shadow',
      people: ['U0SHADOWA', 'U0SHADOWB'],
      shift: 'daily',
      hours: { from: '09:00', to: '17:00' },
      days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
    },
  });

  it('is on only in its hours and days, local time, with its own order', () => {
    const layer = layered.layer!;
    expect(layerActive(layer, at('2026-01-06T08:59:00Z'))).toBe(false);
    expect(layerActive(layer, at('2026-01-06T09:00:00Z'))).toBe(true);
    expect(layerActive(layer, at('2026-01-06T16:59:00Z'))).toBe(true);
    expect(layerActive(layer, at('2026-01-06T17:00:00Z'))).toBe(false);
    expect(layerActive(layer, at('2026-01-10T12:00:00Z'))).toBe(false); // Saturday
    // In summer, 09:00 BST is 08:00 UTC.
    expect(layerActive(layer, at('2026-07-07T08:30:00Z'))).toBe(true);
    expect(scheduledAt(layer, at('2026-01-05T12:00:00Z'))).toBe('U0SHADOWA');
    expect(scheduledAt(layer, at('2026-01-06T12:00:00Z'))).toBe('U0SHADOWB');
  });

  it('pages the person on call, the layer’s while on, then the fixed contacts, without repeats', () => {
    const role = { contacts: ['S0GROUP', 'U0ALICE'], rotation: layered };
    expect(pageesAt(role, [], at('2026-01-06T12:00:00Z'))).toEqual(['U0ALICE', 'U0SHADOWB', 'S0GROUP']);
    expect(pageesAt(role, [], at('2026-01-06T20:00:00Z'))).toEqual(['U0ALICE', 'S0GROUP']);
    expect(pageesAt({ contacts: ['U0X'] }, [], at('2026-01-06T20:00:00Z'))).toEqual(['U0X']);
  });

  it('an overnight window wraps midnight', () => {
    const night = rot({
      people: ['U0A1'],
      shift: 'daily',
      handoff: { time_zone: 'UTC' },
      start: '2026-01-01',
      layer: { people: ['U0N1'], hours: { from: '22:00', to: '06:00' } },
    });
    expect(layerActive(night.layer!, at('2026-01-02T23:00:00Z'))).toBe(true);
    expect(layerActive(night.layer!, at('2026-01-02T05:59:00Z'))).toBe(true);
    expect(layerActive(night.layer!, at('2026-01-02T12:00:00Z'))).toBe(false);
  });
});

describe("the second layer's stretches", () => {
  const layered = rot({
    people: ['U0ALICE'],
    shift: 'weekly',
    handoff: { day: 'monday', time: '09:00', time_zone: 'Europe/London' },
    start: '2026-01-05',
    layer: {
      name: 'Daytime shadow',
      people: ['U0SHADOWA', 'U0SHADOWB'],
      shift: 'daily',
      hours: { from: '09:00', to: '17:00' },
      days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
    },
  });
  const iso = (xs: { start: Date; end: Date; userId?: string }[]) =>
    xs.map((x) => [x.userId, x.start.toISOString(), x.end.toISOString()].filter(Boolean));

  it('are its hours on its days, local time, cut to the range asked; each day its own person', () => {
    const layer = layered.layer!;
    // From Friday noon to Tuesday noon: Friday afternoon, then Monday's day, then Tuesday morning.
    expect(iso(layerWindows(layer, at('2026-01-09T12:00:00Z'), at('2026-01-13T12:00:00Z')))).toEqual([
      ['2026-01-09T12:00:00.000Z', '2026-01-09T17:00:00.000Z'],
      ['2026-01-12T09:00:00.000Z', '2026-01-12T17:00:00.000Z'],
      ['2026-01-13T09:00:00.000Z', '2026-01-13T12:00:00.000Z'],
    ]);
    expect(iso(layerSegments(layer, at('2026-01-09T12:00:00Z'), at('2026-01-13T12:00:00Z')))).toEqual([
      [scheduledAt(layer, at('2026-01-09T12:00:00Z')), '2026-01-09T12:00:00.000Z', '2026-01-09T17:00:00.000Z'],
      [scheduledAt(layer, at('2026-01-12T12:00:00Z')), '2026-01-12T09:00:00.000Z', '2026-01-12T17:00:00.000Z'],
      [scheduledAt(layer, at('2026-01-13T10:00:00Z')), '2026-01-13T09:00:00.000Z', '2026-01-13T12:00:00.000Z'],
    ]);
    // In summer the hours are BST: 08:00 to 16:00 UTC.
    expect(iso(layerWindows(layer, at('2026-07-07T00:00:00Z'), at('2026-07-08T00:00:00Z')))).toEqual([
      ['2026-07-07T08:00:00.000Z', '2026-07-07T16:00:00.000Z'],
    ]);
  });

  it('an overnight window runs across midnight as one stretch; a layer without hours is on all day', () => {
    const night = rot({
      people: ['U0A1'],
      shift: 'daily',
      handoff: { time_zone: 'UTC' },
      start: '2026-01-01',
      layer: { people: ['U0N1'], hours: { from: '22:00', to: '06:00' } },
    });
    expect(iso(layerWindows(night.layer!, at('2026-01-02T03:00:00Z'), at('2026-01-03T12:00:00Z')))).toEqual([
      ['2026-01-02T03:00:00.000Z', '2026-01-02T06:00:00.000Z'],
      ['2026-01-02T22:00:00.000Z', '2026-01-03T06:00:00.000Z'],
    ]);
    const allDay = rot({
      people: ['U0A1'],
      shift: 'daily',
      handoff: { time_zone: 'UTC' },
      start: '2026-01-01',
      layer: { people: ['U0N1'] },
    });
    expect(iso(layerSegments(allDay.layer!, at('2026-01-02T03:00:00Z'), at('2026-01-05T03:00:00Z')))).toEqual([
      ['U0N1', '2026-01-02T03:00:00.000Z', '2026-01-05T03:00:00.000Z'],
    ]);
  });
});

describe('the rotation schema', () => {
  const problems = (r: Record<string, unknown>) => {
    const p = rotationSchema.safeParse(r);
    return p.success ? [] : p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const ok = { people: ['U0A1'], shift: 'weekly', handoff: { day: 'monday', time_zone: 'UTC' }, start: '2026-01-05' };

  it('names each bad field', () => {
    expect(problems({ ...ok, people: [] })).toEqual([
      'people: a rotation needs at least one person (Slack user IDs, in order)',
    ]);
    expect(problems({ ...ok, handoff: { day: 'monday', time_zone: 'Europe/Londn' } })[0]).toMatch(
      /^handoff.time_zone: "Europe\/Londn" is not a time zone/,
    );
    expect(problems({ ...ok, handoff: { day: 'monday', time: '9am', time_zone: 'UTC' } })[0]).toMatch(
      /^handoff.time: "9am" is not a time of day/,
    );
    expect(problems({ ...ok, handoff: { day: 'mon', time_zone: 'UTC' } })[0]).toMatch(
      /^handoff.day: unknown day "mon"/,
    );
    expect(problems({ ...ok, handoff: { time_zone: 'UTC' } })).toEqual([
      'handoff.day: a weekly shift needs the hand-off day, e.g. day: monday',
    ]);
    const { handoff: _, ...noHandoff } = ok;
    expect(problems({ ...noHandoff, shift: '12h' })).toEqual([
      "handoff: missing: say when shifts hand over, e.g. handoff: { time: '09:00', time_zone: Europe/London } (and day: monday for weekly shifts)",
    ]);
    expect(problems({ ...ok, shift: 'fortnightly' })[0]).toMatch(/^shift: "fortnightly" is not a shift/);
    expect(problems({ ...ok, start: '2026-02-30' })[0]).toMatch(/^start: "2026-02-30" is not a start/);
    expect(problems({ ...ok, people: ['S0GROUP'] })[0]).toMatch(/^people.0: must be a Slack user ID/);
  });
});
