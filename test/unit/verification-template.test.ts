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

  it('a check that could not be run is neither a pass nor a failure: it is to be checked by hand', () => {
    const health = {
      name: 'GET /api/health',
      ok: false,
      unchecked: true as const,
      expected: '200 OK',
      detail:
        'Set HEALTH_BASE_URL (e.g. https://tenant.example.com) so the bot knows where to check the health endpoints.',
    };
    const status = { name: 'atom-cli status', ok: true, expected: 'the status is shown (exit 0)', detail: 'exit 0' };
    expect(renderVerification('v57', [status, health]).text).toBe(
      ':warning: Rolled back to `v57`: 1 post-deployment check(s) passed, 1 could not be checked (below): check it by hand.\n' +
        ':white_check_mark: pass · `atom-cli status` — expected the status is shown (exit 0); exit 0\n' +
        ':warning: not checked · `GET /api/health` — expected 200 OK; Set HEALTH_BASE_URL (e.g. https://tenant.example.com) so the bot knows where to check the health endpoints.',
    );
    expect(renderVerification({ deployed: 'atom-cli deploy' }, [status, health, health]).text.split('\n')[0]).toBe(
      ':warning: Deployed with `atom-cli deploy`: 1 post-deployment check(s) passed, 2 could not be checked (below): check them by hand.',
    );
    const failed = { ...status, ok: false, detail: 'exit 1' };
    expect(renderVerification('v57', [failed, health]).text.split('\n')[0]).toBe(
      ':x: Rollback to `v57`: 1 check(s) failed; 1 not checked.',
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
