import { createHash } from 'node:crypto';
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
    // The value alone or last in the encoded bytes: nothing of its encoding shows, the last character and the padding
    // neither (`***E=` was left of a COMMAND_ENV value's base64).
    const long = redactWith(['atomTok-9f8e7d6c5b4a']);
    for (const before of ['', 'u:', 'user:']) {
      const encoded = b64(`${before}atomTok-9f8e7d6c5b4a`);
      // What is left is only the start that carries bits of the bytes before it.
      expect(long(`env secret b64: ${encoded}`), before).toMatch(/^env secret b64: [A-Za-z0-9+/]{0,7}\*\*\*$/);
    }
    expect(long(`env secret b64: ${b64('atomTok-9f8e7d6c5b4a')}`)).toBe('env secret b64: ***');
    // Two values back to back: nothing of the characters between their masks, which carry bits of both.
    const two = redactWith(['atomTok-9f8e7d6c5b4a', 'Kx9mQ2vR']);
    expect(two(b64('atomTok-9f8e7d6c5b4aKx9mQ2vR'))).toMatch(/^(\*\*\*)+=*$/);
    expect(two(b64('atomTok-9f8e7d6c5b4a'.repeat(4)))).toMatch(/^(\*\*\*)+=*$/);
    // As the tester saw them.
    for (const seen of ['dXNlcjprOVF6N3dAZGI=', 'b3BzOms5UXo3dw==', 'dTprOVF6N3c=']) {
      expect(mask(seen), seen).toContain('***');
    }
  });
});

describe('redact: a short known value in base64 wrapped at 76 columns', () => {
  /** Deterministic bytes that look random: what other base64 in the output holds. */
  const noise = (n: number, seed: string): Buffer => {
    const out: Buffer[] = [];
    for (let i = 0; out.length * 32 < n; i++) out.push(createHash('sha256').update(`${seed}${i}`).digest());
    return Buffer.concat(out).subarray(0, n);
  };
  const wrap = (encoded: string): string => `${encoded.match(/.{1,76}/g)!.join('\n')}\n`;

  it('masks a 6- to 8-character value wherever the wrap cuts its encoding', () => {
    for (const secret of ['k9Qz7w', 'hunter42', 'Zx9!pQ2']) {
      const mask = redactWith([secret]);
      // The value's bytes start at every offset around the 57-byte line (76 characters), so every cut is tried.
      for (let at = 48; at < 58; at++) {
        const encoded = wrap(Buffer.concat([noise(at, 'a'), Buffer.from(secret), noise(20, 'b')]).toString('base64'));
        const out = mask(encoded);
        const decoded = Buffer.from(out.replace(/\*\*\*|\n/g, ''), 'base64').toString('latin1');
        expect(out, `${secret} at ${at}`).toContain('***');
        expect(decoded, `${secret} at ${at}`).not.toContain(secret.slice(1, -1));
      }
    }
  });

  it('leaves other base64 alone', () => {
    const mask = redactWith(['k9Qz7w', 'hunter42', 'Zx9!pQ2#rT5$', 'us-east-1']);
    const blob = wrap(noise(200_000, 'other').toString('base64'));
    expect(mask(blob)).toBe(blob);
  });
});
