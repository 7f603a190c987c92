import { describe, expect, it } from 'vitest';
import { redactWith } from '../../src/ops/redact.js';

describe('redact: a known value as real tools escape or encode it', () => {
  const values = ['a&b<c>d-9Kx2', 'Zx9!pQ2#rT5$', 'clé-sécrète-ü42', 'correct horse battery staple', 'ab/cd+ef/gh99'];
  const mask = redactWith(values);

  it.each([
    ["Go's encoding/json", '{"t":"a\\u0026b\\u003cc\\u003ed-9Kx2"}', '{"t":"***"}'],
    ['JSON with \\/ (PHP)', '{"t":"ab\\/cd+ef\\/gh99"}', '{"t":"***"}'],
    ['bash printf %q, specials', 'run Zx9\\!pQ2#rT5\\$ now', 'run *** now'],
    ['bash printf %q, ampersand and brackets', 'a\\&b\\<c\\>d-9Kx2', '***'],
    ['bash printf %q, blanks', 'pw=correct\\ horse\\ battery\\ staple', 'pw=***'],
    ['percent-encoding, all reserved', 'p=Zx9%21pQ2%23rT5%24', 'p=***'],
    ['percent-encoding, / kept', 'q=ab/cd%2Bef/gh99', 'q=***'],
    ['percent-encoding, / encoded', 'q=ab%2Fcd%2Bef%2Fgh99', 'q=***'],
    ['quote_plus', 'q=correct+horse+battery+staple&x=1', 'q=***&x=1'],
    ['HTML entities', '<td>a&amp;b&lt;c&gt;d-9Kx2</td>', '<td>***</td>'],
    ["Python's \\x for Latin-1", "'cl\\xe9-s\\xe9cr\\xe8te-\\xfc42'", "'***'"],
    ['a repr of UTF-8 bytes', "b'cl\\xc3\\xa9-s\\xc3\\xa9cr\\xc3\\xa8te-\\xc3\\xbc42'", "b'***'"],
  ])('masks it in %s', (_what, input, expected) => {
    expect(mask(input)).toBe(expected);
  });

  it('leaves the same text alone when no known value is in it', () => {
    const text = "a\\&b x%21y &amp; &lt;tag&gt; correct+horse b'\\xc3\\xa9' s\\xe9cr\\xe8te";
    expect(mask(text)).toBe(text);
  });

  it('masks it in JSON encoded inside another JSON string (double escaped)', () => {
    const quoted = 'pa"ss\\wd-42';
    const mask2 = redactWith([quoted, 'clé-sécrète-ü42']);
    const inner = JSON.stringify({ pw: quoted });
    expect(mask2(JSON.stringify({ body: inner }))).toBe('{"body":"{\\"pw\\":\\"***\\"}"}');
    // Twice over as Python writes what is past ASCII (`\\u00e9`).
    const ascii = JSON.stringify({ pw: 'clé-sécrète-ü42' }).replace(
      /[^ -~]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    expect(mask2(JSON.stringify({ body: ascii }))).toBe('{"body":"{\\"pw\\":\\"***\\"}"}');
  });

  it.each([
    ['/ and + encoded', 'q=k9%2fx%2bq7&x=1', 'q=***&x=1'],
    ['UTF-8 bytes', 'u=p%c3%a4ssw0rd', 'u=***'],
    ['a word past ASCII', 'w=Kennw%c3%b6rter', 'w=***'],
  ])('masks a value not masked in any case percent-encoded with lower-case hex: %s', (_what, input, expected) => {
    expect(redactWith(['k9/x+q7', 'pässw0rd', 'Kennwörter'])(input)).toBe(expected);
  });
});
