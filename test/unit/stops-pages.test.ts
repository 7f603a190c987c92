import { describe, expect, it } from 'vitest';
import { stopsPages } from '../../src/incidents/escalation.service.js';
import type { Incident } from '../../src/incidents/types.js';

const base = {
  id: 1,
  status: 'investigating',
  acknowledgedAt: null,
} as unknown as Incident;
const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));
const with_ = (patch: Partial<Incident>): Incident => ({ ...base, ...patch });

/** Which changes of an incident stop its pages' remaining steps (the others spend no statement on them). */
describe('stopsPages', () => {
  it('a first acknowledgement, or one at a new time, stops pages', () => {
    expect(stopsPages(base, with_({ acknowledgedAt: at(1) }))).toBe(true);
    expect(stopsPages(with_({ acknowledgedAt: at(1) }), with_({ acknowledgedAt: at(2) }))).toBe(true);
  });

  it('a resolution stops pages, acknowledged or not; a change of a resolved incident that stays resolved does not', () => {
    expect(stopsPages(base, with_({ status: 'resolved' }))).toBe(true);
    expect(stopsPages(with_({ acknowledgedAt: at(1) }), with_({ acknowledgedAt: at(1), status: 'resolved' }))).toBe(
      true,
    );
    expect(stopsPages(with_({ status: 'resolved' }), with_({ status: 'resolved' }))).toBe(false);
  });

  it('any other change of an incident acknowledged earlier, or never acknowledged, stops nothing', () => {
    const acked = with_({ acknowledgedAt: at(1) });
    expect(stopsPages(acked, { ...acked, severity: 1 } as Incident)).toBe(false);
    expect(stopsPages(acked, { ...acked, commanderId: 'U2' } as Incident)).toBe(false);
    expect(stopsPages(acked, { ...acked, status: 'mitigated' } as Incident)).toBe(false);
    expect(stopsPages(base, { ...base, severity: 1 } as Incident)).toBe(false);
    // A reopened incident keeps its acknowledgement: nothing new to stop.
    expect(stopsPages(with_({ acknowledgedAt: at(1), status: 'resolved' }), acked)).toBe(false);
  });
});
