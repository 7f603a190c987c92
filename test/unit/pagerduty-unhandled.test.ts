import { expect, it } from 'vitest';
import { pagerdutyUnhandled } from '../../src/http/pagerduty-hook.js';
import { DatabaseUnavailableError } from '../../src/store/db.js';

it('a PagerDuty event whose statement was sent with no answer may have been recorded; one never sent was not', () => {
  const timedOut = new DatabaseUnavailableError(new Error('Query read timeout'), true);
  const refused = new DatabaseUnavailableError(new Error('connect ECONNREFUSED 127.0.0.1:5432'), false);
  expect(pagerdutyUnhandled(timedOut)).toMatch(/may have been recorded.*not applied twice/);
  expect(pagerdutyUnhandled(timedOut)).not.toMatch(/nothing was recorded/);
  expect(pagerdutyUnhandled(refused)).toBe(
    'The database cannot be reached; nothing was recorded. PagerDuty sends it again.',
  );
  expect(pagerdutyUnhandled(new Error('boom'))).toMatch(/^The event could not be handled; nothing was recorded/);
});
