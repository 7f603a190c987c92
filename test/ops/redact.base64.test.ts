import { describe, expect, it } from 'vitest';
import { redactWith } from '../../src/ops/redact.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('redact: a short known value in base64', () => {
  it('masks a 6-character value wherever it starts in the encoded bytes', () => {
    const mask = redactWith(['k9Qz7w']);
    for (const before of ['', 'u', 'ab', 'ops:', 'u:', 'user:']) {
      for (const after of ['', '@db', '\n']) {
        const encoded = b64(`${before}k9Qz7w${after}`);
        expect(mask(`auth ${encoded}`), `${before}|${after}`).toContain('***');
      }
    }
    // As the tester saw them.
    for (const seen of ['dXNlcjprOVF6N3dAZGI=', 'b3BzOms5UXo3dw==', 'dTprOVF6N3c=']) {
      expect(mask(seen), seen).toContain('***');
    }
  });
});
