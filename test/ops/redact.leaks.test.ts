import { describe, expect, it } from 'vitest';
import { redact } from '../../src/ops/redact.js';

const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('redact: a bare AWS secret access key', () => {
  it.each([
    ['alone on a line', AWS_SECRET, '***'],
    ['in prose', `created key ${AWS_SECRET} for ci`, 'created key *** for ci'],
    ['in a table column', `AKIAIOSFODNN7EXAMPLE  ${AWS_SECRET}  Active`, 'AKIA***  ***  Active'],
    ['without / or +', 'secret 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 here', 'secret *** here'],
    ['with +', 'k=1 Abc+def/GHI0123456789jklmnoPQRSTuvwxYZ12', 'k=1 ***'],
    ['quoted', `"${AWS_SECRET}"`, '"***"'],
  ])('is masked %s', (_where, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ['a git SHA', 'HEAD is now at 9fceb02d0ae598e95dc970b74767f19372d61af8 fix: retry'],
    ['an upper-case hex SHA', 'commit 9FCEB02D0AE598E95DC970B74767F19372D61AF8'],
    ['a 64-hex digest', 'sha256:9fceb02d0ae598e95dc970b74767f19372d61af89fceb02d0ae598e95dc970b7'],
    ['a longer base64 blob', `data ${AWS_SECRET}${AWS_SECRET}`],
    ['a 40-letter word run', 'Pneumonoultramicroscopicsilicovolcanoconiosisx'],
    ['a path', '/srv/atom/releases/v58/backend/app/main1'],
    ['a 39-character string', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE'],
  ])('leaves %s alone', (_what, input) => {
    expect(redact(input)).toBe(input);
  });
});
