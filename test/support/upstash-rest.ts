import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GuardedKv } from '../../src/store/kv.js';
import { openKv } from '../../src/store/kv-redis.js';
import { RedisRequester } from '../../src/store/redis-requester.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own, so parallel test files (and tests) never see each other's keys in the one Redis. */
export const testKeyPrefix = (name = 't') => `test:${name}:${randomBytes(5).toString('hex')}:`;

/**
 * Two replicas' shared stores on the test Redis (one key prefix of its own, so what one notes the other reads), given
 * to `body` and closed after it, whatever it does.
 */
export async function withSharedStores<T>(name: string, body: (a: GuardedKv, b: GuardedKv) => Promise<T>): Promise<T> {
  const prefix = testKeyPrefix(name);
  const quiet = { info: () => {}, warn: () => {} };
  const a = openKv({ redisUrl: TEST_REDIS_URL, prefix, timeoutMs: 2000 }, quiet);
  const b = openKv({ redisUrl: TEST_REDIS_URL, prefix, timeoutMs: 2000 }, quiet);
  try {
    return await body(a, b);
  } finally {
    await a.close();
    await b.close();
  }
}

/**
 * Upstash's REST API in front of the test Redis, as `@upstash/redis` speaks it: `POST /` with a command as a JSON array
 * (`["SET","k","v"]`), `POST /pipeline` and `POST /multi-exec` with a list of them, `Authorization: Bearer <token>`;
 * answers `{ "result": … }` or `{ "error": … }` (400 for a single command), and with `Upstash-Encoding: base64` every
 * string result but "OK" in base64. `hold()` makes it take requests and answer none (a slow or hung Upstash) until
 * `release()`.
 */
export class UpstashRestFront {
  private held: (() => void)[] | null = null;
  /** When each request taken while held came (Date.now()), since the last hold(). */
  private heldAt: number[] = [];

  private constructor(
    private readonly server: Server,
    private readonly redis: RedisRequester,
    readonly url: string,
    readonly token: string,
    private readonly o: FrontOptions,
  ) {}

  static async start(redisUrl = TEST_REDIS_URL, o: FrontOptions = {}): Promise<UpstashRestFront> {
    const redis = new RedisRequester(new URL(redisUrl), 2000);
    const token = `test-token-${randomBytes(6).toString('hex')}`;
    let front: UpstashRestFront | undefined;
    const server = createServer((req, res) => {
      void front!.handle(req, res).catch((err) => send(res, 500, { error: String(err) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    front = new UpstashRestFront(server, redis, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token, o);
    return front;
  }

  hold(): void {
    if (!this.held) this.heldAt = [];
    this.held ??= [];
  }

  /** When each request taken since the last hold() came, in order (Date.now()). */
  heldArrivals(): readonly number[] {
    return [...this.heldAt];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = null;
    for (const go of waiting) go();
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    this.redis.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.held) {
      this.heldAt.push(Date.now());
      await new Promise<void>((r) => this.held!.push(r));
    }
    if (req.method !== 'POST') return send(res, 405, { error: 'Method not allowed' });
    if (req.headers.authorization !== `Bearer ${this.token}`) return send(res, 401, { error: 'Unauthorized' });
    const base64 = req.headers['upstash-encoding'] === 'base64';
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, { error: 'ERR failed to parse command' });
    }
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    const encode = (r: { result?: unknown; error?: string }) =>
      r.error !== undefined ? { error: r.error } : { result: base64 ? toBase64(r.result) : r.result };
    if (path === '/pipeline' || path === '/multi-exec') {
      if (!Array.isArray(body) || !body.every(Array.isArray)) return send(res, 400, { error: 'ERR bad pipeline' });
      if (body.some((c) => this.refuses(c)))
        return send(
          res,
          200,
          body.map(() => ({ error: SCRIPT_CLOCK_REFUSED })),
        );
      const answers = (await this.redis.request({ path: [path.slice(1)], body })) as unknown as {
        result?: unknown;
        error?: string;
      }[];
      return send(res, 200, answers.map(encode));
    }
    if (path !== '' || !Array.isArray(body)) return send(res, 400, { error: 'ERR bad command' });
    if (this.refuses(body)) return send(res, 400, { error: SCRIPT_CLOCK_REFUSED });
    const answer = await this.redis.request({ body });
    return send(res, answer.error !== undefined ? 400 : 200, encode(answer));
  }

  /** A script that reads the clock, where scripts may not (`scriptsWithoutClock`). */
  private refuses(command: unknown[]): boolean {
    if (!this.o.scriptsWithoutClock) return false;
    const [name, script] = command;
    return (
      typeof name === 'string' &&
      /^eval(_ro)?$/i.test(name) &&
      typeof script === 'string' &&
      /redis\.p?call\(\s*['"]time['"]/i.test(script)
    );
  }
}

export interface FrontOptions {
  /**
   * Refuse a script that calls `TIME`, as services that replicate scripts rather than their effects do (AWS's
   * serverless ElastiCache answers this; Upstash asks scripts not to read a clock).
   */
  scriptsWithoutClock?: boolean;
}

const SCRIPT_CLOCK_REFUSED = 'ERR This Redis command is not allowed from script';

function toBase64(v: unknown): unknown {
  if (typeof v === 'string') return v === 'OK' ? v : Buffer.from(v, 'utf8').toString('base64');
  if (Array.isArray(v)) return v.map(toBase64);
  return v;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
