/**
 * A `Response` for an answer already read whole (slackFetch): what the Web API client, Bolt's `respond` and the
 * metered fetch read of one (status, ok, url, headers, text, json, arrayBuffer), without building the WHATWG body
 * stream and Headers that undici's `Response` builds for every answer: on a bot making hundreds of Slack calls a
 * second, that was about a twentieth of the thread's busy time (bench/mixed profile). Unlike `fetch`'s, its body can
 * be read more than once (the metered fetch reads it, then hands it on). `body` (a stream) is built only when asked
 * for.
 */
export class LightHeaders {
  private readonly map = new Map<string, string>();

  /** From Node's rawHeaders: name, value, name, value… Repeated names are joined with ", ", as fetch does. */
  constructor(raw: readonly string[] = []) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const before = this.map.get(name);
      this.map.set(name, before === undefined ? raw[i + 1]! : `${before}, ${raw[i + 1]}`);
    }
  }

  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }

  forEach(fn: (value: string, name: string, headers: LightHeaders) => void): void {
    for (const [k, v] of this.sorted()) fn(v, k, this);
  }

  entries(): IterableIterator<[string, string]> {
    return this.sorted()[Symbol.iterator]();
  }

  keys(): IterableIterator<string> {
    return this.sorted()
      .map(([k]) => k)
      [Symbol.iterator]();
  }

  values(): IterableIterator<string> {
    return this.sorted()
      .map(([, v]) => v)
      [Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Names in order, as `Headers` iterates them. */
  private sorted(): [string, string][] {
    return [...this.map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

export class LightResponse {
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = 'basic';
  readonly bodyUsed = false;

  constructor(
    private readonly bytes: Buffer | null,
    readonly status: number,
    readonly statusText: string,
    readonly headers: LightHeaders,
    readonly url: string,
  ) {
    this.ok = status >= 200 && status <= 299;
  }

  async text(): Promise<string> {
    return this.bytes ? this.bytes.toString('utf8') : '';
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.bytes ?? Buffer.alloc(0);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  /** The body as a stream, as `fetch` gives it: built on demand (nobody in the bot reads it so). */
  get body(): ReadableStream<Uint8Array> | null {
    return this.bytes ? new Response(this.bytes).body : null;
  }

  clone(): LightResponse {
    return new LightResponse(this.bytes, this.status, this.statusText, this.headers, this.url);
  }
}
