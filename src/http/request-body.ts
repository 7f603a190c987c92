import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long a connection whose body was refused still takes in (and drops) what the sender sends, after the answer. */
const LINGER_MS = 2_000;

/** A header's value; the first when it came more than once. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

/**
 * A request's body; null when it is over `max` bytes: at once, reading nothing, when Content-Length says so; else (a
 * chunked body) as soon as what came passes `max`, keeping none of it. The caller then answers 413 with
 * closeAfterAnswer, which drops the rest.
 */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const declared = Number(header(req, 'content-length'));
  if (Number.isFinite(declared) && declared > max) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= max) {
        chunks.push(c);
        return;
      }
      chunks.length = 0;
      req.off('data', onData);
      req.off('end', onEnd);
      resolve(null);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

/**
 * Once the answer to a request refused before its body was read (a 413) has been written, what the sender still sends
 * of that body is taken in and dropped, and the connection stays open for its next request, as the answer (keep-alive)
 * says. Closing it after the answer made a keep-alive client (Node's http) send its next request on a connection being
 * closed ("socket hang up" instead of the 413), and saying so (`Connection: close`) made fetch (undici) fail its upload
 * with EPIPE. LINGER_MS after the answer with the body still coming, the connection is closed: its sending side first
 * (the sender sees the end after the answer), then the whole of it when the sender closes it or after LINGER_MS. (Node
 * drops what comes of a body once it is answered, unread: a fast sender's whole body is dropped within that time, and
 * the connection kept.) Closing it outright with a body still arriving resets it, and a sender reset before it reads
 * the answer never sees it. (nginx's "lingering close" does the same.)
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    if (req.complete) return;
    const close = () => {
      const socket = req.socket;
      req.resume();
      socket.end();
      const timer = setTimeout(() => socket.destroy(), LINGER_MS);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    };
    const slow = setTimeout(close, LINGER_MS);
    slow.unref();
    req.once('end', () => clearTimeout(slow));
    req.resume();
  });
}
