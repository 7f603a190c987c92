import type { IncomingMessage } from 'node:http';

/** A header's value; the first when it came more than once. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

/**
 * A request's body; null when it is over `max` bytes, whatever Content-Length said. A body past the limit is still
 * read (and dropped) up to eight times it, so the sender hears the 413 instead of a reset; past that the connection
 * goes.
 */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
      else if (size > 8 * max) {
        resolve(null);
        req.destroy();
      }
    });
    req.on('end', () => resolve(size > max ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
