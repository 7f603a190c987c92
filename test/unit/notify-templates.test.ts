import { describe, expect, it } from 'vitest';
import { pagerdutySignature, signatureMatches } from '../../src/http/pagerduty-hook.js';
import { renderNotifiedLines } from '../../src/templates/notified.js';

describe('the PagerDuty v3 signature', () => {
  const body = '{"event":{"event_type":"incident.acknowledged"}}';
  it('is v1=<hex HMAC-SHA256 of the raw body>; any of several signatures may match', () => {
    const good = pagerdutySignature('s3cret', body);
    expect(good).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(signatureMatches(good, 's3cret', body)).toBe(true);
    expect(signatureMatches(`v1=${'0'.repeat(64)}, ${good}`, 's3cret', body)).toBe(true);
    expect(signatureMatches(good, 'other', body)).toBe(false);
    expect(signatureMatches(good, 's3cret', `${body} `)).toBe(false);
    expect(signatureMatches(undefined, 's3cret', body)).toBe(false);
    expect(signatureMatches('v1=short', 's3cret', body)).toBe(false);
  });
});

describe("the card's page lines", () => {
  it("one per person: each method with ✓, ✗ or not set up, and the time (the reader's, UTC where dates do not show); names escaped", () => {
    const at = new Date('2026-11-30T02:14:30Z');
    const text = renderNotifiedLines([
      {
        roleName: 'On-Call Engineer',
        userId: 'U0OLIVE',
        name: 'Olive <!channel>',
        methods: [
          { via: 'slack', outcome: 'sent' },
          { via: 'email', outcome: 'failed' },
          { via: 'pagerduty', outcome: 'sent' },
        ],
        at,
      },
      { roleName: 'CTO', userId: 'U0CTO', name: null, methods: [{ via: 'email', outcome: 'skipped' }], at },
    ]);
    const time = '<!date^1796004870^{time}|02:14 UTC>';
    expect(text).toBe(
      `:telephone_receiver: paged Olive &lt;!channel&gt; (On-Call Engineer): Slack ✓, email ✗, PagerDuty ✓ ${time}\n` +
        `:telephone_receiver: paged <@U0CTO> (CTO): email (not set up) ${time}`,
    );
    expect(renderNotifiedLines([])).toBeNull();
    expect(renderNotifiedLines(undefined)).toBeNull();
  });
});
