import { createConnection, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Requester, UpstashRequest, UpstashResponse } from '@upstash/redis';

type Reply = string | number | null | Error | Reply[];

/**
 * `@upstash/redis`'s Requester over a plain Redis connection (`redis://` or `rediss://`), speaking RESP on one socket,
 * so one client serves both Upstash's REST API and a Redis of one's own. The client hands it a command (`["SET", k,
 * v]`) or, under the `pipeline` / `multi-exec` paths, a list of them; it answers `{ result }` or `{ error }` as the
 * REST API does. Requests are pipelined on the socket and matched to replies in order. A request without an answer
 * in `timeoutMs` drops the connection (failing whatever was waiting); the next request connects again.
 */
export class RedisRequester implements Requester {
  private socket: Socket | null = null;
  private readonly waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private buffer: Buffer = Buffer.alloc(0);

  constructor(
    private readonly url: URL,
    private readonly timeoutMs = 1000,
  ) {}

  async request<TResult = unknown>(req: UpstashRequest): Promise<UpstashResponse<TResult>> {
    const path = req.path?.[0];
    if (path === 'pipeline' || path === 'multi-exec') {
      const commands = req.body as unknown[][];
      if (path === 'pipeline') return (await this.send(commands)).map(answer) as unknown as UpstashResponse<TResult>;
      const replies = await this.send([['MULTI'], ...commands, ['EXEC']]);
      const exec = replies[replies.length - 1];
      const results = Array.isArray(exec) ? exec : commands.map(() => exec ?? null);
      return results.map(answer) as unknown as UpstashResponse<TResult>;
    }
    const [reply] = await this.send([req.body as unknown[]]);
    return answer(reply ?? null) as UpstashResponse<TResult>;
  }

  close(): void {
    this.drop(new Error('connection closed'));
  }

  private send(commands: unknown[][]): Promise<Reply[]> {
    const socket = this.socket ?? this.connect();
    const replies = commands.map(() => new Promise<Reply>((resolve, reject) => this.waiting.push({ resolve, reject })));
    socket.write(Buffer.concat(commands.map(encode)));
    const timer = setTimeout(() => this.drop(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    return Promise.all(replies).finally(() => clearTimeout(timer));
  }

  private connect(): Socket {
    const port = Number(this.url.port || 6379);
    const host = this.url.hostname || '127.0.0.1';
    const socket =
      this.url.protocol === 'rediss:' ? tlsConnect({ port, host, servername: host }) : createConnection({ port, host });
    socket.setNoDelay(true);
    // An idle connection must not keep the process alive.
    socket.unref();
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (err) => this.drop(err, socket));
    socket.on('close', () => this.drop(new Error('connection closed'), socket));
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    const user = decodeURIComponent(this.url.username);
    const password = decodeURIComponent(this.url.password);
    const db = this.url.pathname.replace(/^\//, '');
    const setup: unknown[][] = [];
    if (password) setup.push(user ? ['AUTH', user, password] : ['AUTH', password]);
    if (db && db !== '0') setup.push(['SELECT', db]);
    for (const command of setup) {
      this.waiting.push({
        resolve: (r) => {
          if (r instanceof Error) this.drop(new Error(`${command[0]} failed: ${r.message}`), socket);
        },
        reject: () => {},
      });
      socket.write(encode(command));
    }
    return socket;
  }

  private drop(err: Error, socket: Socket | null = this.socket): void {
    if (!socket || socket !== this.socket) return;
    this.socket = null;
    socket.destroy();
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      let parsed: ReturnType<typeof parse>;
      try {
        parsed = parse(this.buffer, 0);
      } catch (err) {
        this.drop(err as Error);
        return;
      }
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.next);
      this.waiting.shift()?.resolve(parsed.value);
    }
  }
}

const answer = (reply: Reply): UpstashResponse<unknown> =>
  reply instanceof Error ? { error: reply.message } : { result: reply };

function encode(command: unknown[]): Buffer {
  const parts = command.map((a) => Buffer.from(typeof a === 'string' ? a : JSON.stringify(a)));
  return Buffer.concat([
    Buffer.from(`*${parts.length}\r\n`),
    ...parts.flatMap((p) => [Buffer.from(`$${p.length}\r\n`), p, Buffer.from('\r\n')]),
  ]);
}

/** One RESP2 reply from `at`, or null when the buffer does not hold all of it yet. */
function parse(buf: Buffer, at: number): { value: Reply; next: number } | null {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (String.fromCharCode(buf[at]!)) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new Error(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next };
      if (buf.length < next + len + 2) return null;
      return { value: buf.toString('utf8', next, next + len), next: next + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const items: Reply[] = [];
      let pos = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, pos);
        if (!item) return null;
        items.push(item.value);
        pos = item.next;
      }
      return { value: items, next: pos };
    }
    default:
      throw new Error(`unexpected reply from Redis: ${line.slice(0, 40)}`);
  }
}
