import { describe, expect, it } from 'vitest';
import { BLOCK, INPUT } from '../../src/templates/ids.js';
import { parseDenyReason } from '../../src/views/parse-playbook-forms.js';

const values = (v: string) => ({ [BLOCK.denyReason]: { [INPUT.summary]: { value: v } } });
const WHY = 'Say why, so the requester knows what to do instead.';

/** Deny's reason form as a crafted request may send it: Slack's max_length and its own blank check not run. */
describe('the deny reason form', () => {
  it('a reason of only spaces and invisible characters is none: refused under the reason', () => {
    expect(parseDenyReason(values('\u200b \u2060\u00a0\ufeff\u200d'))).toEqual({
      ok: false,
      errors: { [BLOCK.denyReason]: WHY },
    });
  });

  it('a reason of 300 characters (emoji one each) is kept; one more is refused, saying the limit', () => {
    const at = `${'r'.repeat(299)}🚫`;
    expect(parseDenyReason(values(at))).toEqual({ ok: true, value: at });
    expect(parseDenyReason(values(`${at}x`))).toEqual({
      ok: false,
      errors: { [BLOCK.denyReason]: 'Keep the reason to 300 characters.' },
    });
  });

  it('right-to-left text is kept as written', () => {
    expect(parseDenyReason(values('لا، أعد النشر بدلاً من ذلك'))).toEqual({
      ok: true,
      value: 'لا، أعد النشر بدلاً من ذلك',
    });
  });
});
