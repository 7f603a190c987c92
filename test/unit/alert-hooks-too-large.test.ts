import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ALERT_SOURCES, decodeBody, MAX_BODY_BYTES } from '../../src/http/alert-hooks.js';

describe('the 413 of a body too large once read back', () => {
  it("says what the body's sender can do, as the 413 of a body too large as sent does", async () => {
    const bomb = gzipSync(Buffer.alloc(MAX_BODY_BYTES + 1, 'x'));
    for (const src of Object.values(ALERT_SOURCES)) {
      const r = await decodeBody(bomb, 'gzip', src.tooLargeHint);
      expect(r).toEqual({
        ok: false,
        status: 413,
        body: {
          error: 'too_large',
          message: `The body is over ${MAX_BODY_BYTES} bytes (1 MB) once read back. ${src.tooLargeHint}`,
        },
      });
    }
    const plain = await decodeBody(bomb, 'gzip');
    expect(plain).toMatchObject({
      body: { message: `The body is over ${MAX_BODY_BYTES} bytes (1 MB) once read back.` },
    });
  });
});
