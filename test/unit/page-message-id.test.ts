import { describe, expect, it } from 'vitest';
import { pageMessageId } from '../../src/notify/email.js';

describe('pageMessageId', () => {
  const incident = { id: 7, createdAt: new Date('2026-12-01T09:00:00Z') };

  it('is the same for every attempt of a step, under the sender domain, with or without a display name', () => {
    const id = pageMessageId(incident, 42, 'incidents@example.com');
    expect(id).toBe(`<page.7.${incident.createdAt.getTime()}.step-42@example.com>`);
    expect(pageMessageId(incident, 42, 'Incident Bot <incidents@example.com>')).toBe(id);
  });

  it('differs for another step, another incident, or the same id in a later database (another creation time)', () => {
    const id = pageMessageId(incident, 42, 'incidents@example.com');
    expect(pageMessageId(incident, 43, 'incidents@example.com')).not.toBe(id);
    expect(pageMessageId({ ...incident, id: 8 }, 42, 'incidents@example.com')).not.toBe(id);
    expect(
      pageMessageId({ ...incident, createdAt: new Date('2027-01-01T00:00:00Z') }, 42, 'incidents@example.com'),
    ).not.toBe(id);
  });
});
