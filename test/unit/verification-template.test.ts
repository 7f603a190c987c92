import { describe, expect, it } from 'vitest';
import { renderVerification } from '../../src/templates/playbook.js';

describe('renderVerification', () => {
  it('reports each check pass or fail with the expected result, escaping what the output said', () => {
    const msg = renderVerification('v57', [
      { name: 'GET /api/alive', ok: true, expected: '200 OK', detail: 'HTTP 200 in 4 ms' },
      {
        name: 'atom-cli logs --lines 50',
        ok: false,
        expected: 'no errors in recent logs',
        detail: '1 error line(s): ERROR <!channel> failed',
      },
    ]);
    expect(msg.text).toBe(
      ':x: Rollback to `v57`: 1 check(s) failed.\n' +
        ':white_check_mark: pass · `GET /api/alive` — expected 200 OK; HTTP 200 in 4 ms\n' +
        ':x: fail · `atom-cli logs --lines 50` — expected no errors in recent logs; 1 error line(s): ERROR &lt;!channel&gt; failed',
    );
  });

  it('stays within a section when every check fails at length', () => {
    const long = { name: 'x'.repeat(300), ok: false, expected: 'y'.repeat(300), detail: 'z'.repeat(900) };
    const msg = renderVerification(
      'v1',
      Array.from({ length: 10 }, () => long),
    );
    expect(msg.text.length).toBeLessThanOrEqual(3000);
  });
});
