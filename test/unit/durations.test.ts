import { describe, expect, it } from 'vitest';
import { ruleReason } from '../../src/incidents/escalation-policy.js';
import { describeDuration } from '../../src/runbook/duration.js';
import { humanDuration } from '../../src/templates/text.js';
import { testRunbook } from '../support/test-runbook.js';

const T0 = new Date('2026-11-27T23:14:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('humanDuration', () => {
  it.each([
    [0, '0 seconds'],
    [1000, '1 second'],
    [1400, '1 second'],
    [45_000, '45 seconds'],
    [60_000, '1 minute'],
    [61_000, '1 minute'],
    [2 * 60_000 + 59_000, '2 minutes'],
    [65 * 60_000, '1 hour 5 minutes'],
    [24 * 3_600_000 + 60_000, '1 day 1 minute'],
    [40 * 86_400_000, '40 days'],
  ])('%i ms is "%s"', (ms, text) => {
    expect(humanDuration(T0, at(ms))).toBe(text);
  });

  it('is never negative', () => {
    expect(humanDuration(at(5000), T0)).toBe('0 seconds');
  });
});

describe('describeDuration serves the runbook durations and the escalation reasons', () => {
  it.each([
    [1000, '1 second'],
    [2000, '2 seconds'],
    [60_000, '1 minute'],
    [90_000, '1 minute 30 seconds'],
    [3_600_000, '1 hour'],
    [86_400_000, '1 day'],
    [500, '500 ms'],
  ])('%i ms is "%s"', (ms, text) => {
    expect(describeDuration(ms)).toBe(text);
  });

  it('says "1 second", not "1 seconds", in an escalation reason', () => {
    const rb = testRunbook({ unresolvedAfter: '1s', respond: { 2: '1s' } });
    expect(ruleReason('unresolved', rb, { severity: 2 })).toBe(
      'it is still not resolved 1 second after it was declared',
    );
    expect(ruleReason('unacknowledged', rb, { severity: 2 })).toBe(
      'nobody acknowledged within the SEV-2 response time (1 second)',
    );
  });

  it('names a compound duration in parts', () => {
    const rb = testRunbook({ unresolvedAfter: '1h30m' });
    expect(ruleReason('unresolved', rb, { severity: 1 })).toBe(
      'it is still not resolved 1 hour 30 minutes after it was declared',
    );
  });
});
