import { describe, expect, it } from 'vitest';
import { createRedactor, redactWith } from '../../src/ops/redact.js';

/** Output as the command runner feeds it: in chunks, the redactor's pieces joined. */
const streamed = (known: string[], chunks: string[]): string => {
  const redactor = createRedactor({ known });
  return chunks.map((chunk) => redactor.push(chunk)).join('') + redactor.flush();
};

/** Ordinary output that no known value below may touch: words, log lines, JSON, hex and base64 of other data. */
const ORDINARY = [
  '2025-11-27T21:04:11.000Z INFO  [web] GET /api/health 200 12ms',
  'Please enter your password',
  'Enter PASSWORD below. Token refreshed, SECRET VALUE rotated',
  '{"status":"ok","region":"us-east-1","items":[1,2,3]}',
  `sha256 ${Buffer.from('some other data').toString('hex')} ${Buffer.from('some other data').toString('base64')}`,
  'CORRECT HORSE BATTERY STAPLE? Correct Horse Battery Staple.',
  '\u001b[32mdeploy ok\u001b[0m \u001b[1;31mERROR\u001b[0m retrying',
  '',
].join('\n');

describe('redact: a known value with a terminal escape sequence inside it', () => {
  const secret = 's3cret-value-123';
  const mask = redactWith([secret]);

  it.each([
    ['a colour in its middle', 's3cr\u001b[31met-value-123', '***'],
    ['a colour and a reset', 'got s3cr\u001b[1;31met-val\u001b[0mue-123 ok', 'got *** ok'],
    ['a link (OSC 8) around part of it', 'x \u001b]8;;https://e.x\u0007s3cret\u001b]8;;\u0007-value-123', 'x ***'],
    ["tput sgr0's reset", 's3cret\u001b(B\u001b[m-value-123', '***'],
  ])('is masked with %s', (_what, input, expected) => {
    expect(mask(input)).toBe(expected);
  });

  it('keeps the colours of lines that hold no secret, and of the rest of the output', () => {
    const text = '\u001b[32mok\u001b[0m\ntoken s3cr\u001b[31met-value-123\n\u001b[33mwarn\u001b[0m\n';
    expect(mask(text)).toBe('\u001b[32mok\u001b[0m\ntoken ***\n\u001b[33mwarn\u001b[0m\n');
    expect(mask('\u001b[31ms3cret-value-123\u001b[0m')).toBe('\u001b[31m***\u001b[0m');
  });

  it('is masked when a malformed sequence runs into the value', () => {
    expect(mask('\u001b[31s3cret-value-123')).not.toContain('3cret-value-123');
  });

  it('is masked wrapped across lines with colours, and in a stream cut anywhere', () => {
    const text = 'token: \u001b[1ms3cret-v\u001b[0m\n       \u001b[1malue-123\u001b[0m\n';
    expect(mask(text)).not.toMatch(/s3cret|alue-123/);
    const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
    for (let cut = 1; cut < text.length; cut++) {
      const out = streamed([secret], [text.slice(0, cut), text.slice(cut)]);
      expect(out.replace(/\u001b\[[0-9;]*m/g, ''), `cut at ${cut}`).toBe('token: ***\n       ***\n');
    }
    expect(plain).toContain('s3cret-v');
  });
});

describe('redact: a known value in hex', () => {
  const secret = 'pässwörd-Winter-2026';
  const mask = redactWith([secret, 'hunter22']);
  const hex = Buffer.from(secret).toString('hex');

  it.each([
    ['lower case (xxd -p, Python .hex())', `dump: ${hex}`, 'dump: ***'],
    ['upper case (xxd -u -p)', `dump: ${hex.toUpperCase()}`, 'dump: ***'],
    ['inside more hex', `0a0b${hex}0c0d`, '0a0b***0c0d'],
    ['a short value', `x ${Buffer.from('hunter22').toString('hex')} y`, 'x *** y'],
  ])('is masked in %s', (_what, input, expected) => {
    expect(mask(input)).toBe(expected);
  });

  it('is masked wrapped as xxd -p wraps it (60 columns)', () => {
    const dump = `${Buffer.from(`{"kind":"Secret","token":"${secret}"}`)
      .toString('hex')
      .match(/.{1,60}/g)!
      .join('\n')}\n`;
    const out = mask(dump);
    expect(out).toContain('***');
    expect(out.replace(/\n/g, '')).not.toContain(hex.slice(6, 30));
    expect(Buffer.from(out.replace(/\*\*\*|\n/g, ''), 'hex').toString('latin1')).not.toMatch(/Winter|ss/);
  });
});

describe('redact: a known value in another case', () => {
  const mask = redactWith([
    's3cret-value-123',
    'xKqPzRtVbNmLwQyT',
    'correct horse battery staple',
    'hunter2',
    'Deploy',
  ]);

  it.each([
    ['upper-cased (${VAR^^}, tr a-z A-Z)', 'got S3CRET-VALUE-123 here', 'got *** here'],
    ['in mixed case', 'got S3cret-Value-123', 'got ***'],
    ['letters only, not a word', 'XKQPZRTVBNMLWQYT', '***'],
    ['as it is, still', 'correct horse battery staple', '***'],
  ])('is masked %s', (_what, input, expected) => {
    expect(mask(input)).toBe(expected);
  });

  it.each([
    ['a short value in capitals', 'HUNTER2 Hunter2'],
    ['a value of words, in capitals', 'CORRECT HORSE BATTERY STAPLE'],
    ['a word', 'DEPLOY deploy'],
  ])('is left alone: %s (ordinary text looks so)', (_what, input) => {
    expect(mask(input)).toBe(input);
  });
});

describe('redact: ordinary output with known values configured', () => {
  it('passes unchanged, whole and streamed line by line', () => {
    const known = ['s3cret-value-123', 'pässwörd-Winter-2026', 'password-Winter-2026-xyz', 'hunter22', 'Deploy'];
    expect(redactWith(known)(ORDINARY)).toBe(ORDINARY);
    expect(streamed(known, ORDINARY.split(/(?<=\n)/))).toBe(ORDINARY);
  });
});
