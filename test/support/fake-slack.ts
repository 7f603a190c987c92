/**
 * A local fake of the Slack Web API, for end-to-end tests that drive the real Bolt app over real HTTP.
 *
 * Point a WebClient (or Bolt's `clientOptions.slackApiUrl`) at `fake.url`. The fake parses requests exactly as
 * @slack/web-api sends them, records every call, keeps a little state (channels, members, messages, pins, views)
 * and answers like Slack does: HTTP 200 with `{ ok: true | false, error? }`. Faults can be injected per method.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Arguments of a recorded call: form values, with JSON object/array values already parsed. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary Slack argument shapes
export type SlackArgs = Record<string, any>;

/** An injected failure. See {@link FakeSlack.failNext}. */
export type Failure =
  /** HTTP 200 with `{ ok: false, error, ...extra }` (e.g. `{ error: 'missing_scope', needed: 'chat:write' }`). */
  | { error: string; [extra: string]: unknown }
  /** HTTP 429 with a `Retry-After: <seconds>` header. */
  | { status: 429; retryAfter: number }
  /** An HTTP 5xx with an HTML body, as Slack's edge answers when it is unwell. */
  | { status: 500 | 502 | 503 }
  /** Answers normally, after a delay. */
  | { delayMs: number };

export interface RecordedCall {
  /** Web API method (`chat.postMessage`), or `'response_url'` for a POST to a {@link FakeSlack.responseUrl}. */
  method: string;
  args: SlackArgs;
  /** From `Authorization: Bearer`, else the `token` field. */
  token: string | undefined;
  /** `Date.now()` when the request arrived. */
  at: number;
  /** Set when this attempt was answered by an injected failure (error, 429 or 5xx); holds that failure. */
  failed?: Failure;
  /** Set when the answer was held back by an injected `{ delayMs }`. */
  delayedMs?: number;
  /** The JSON body answered (absent for 429/5xx attempts). `response.ok === false` for Slack-level errors. */
  response?: SlackArgs;
  /** For `response_url` calls: the key of the URL that was posted to. */
  key?: string;
}

export interface FakeChannel {
  id: string;
  name: string;
  topic: string;
  purpose: string;
  /** User IDs; includes `'UBOT'` when the bot is a member. */
  members: Set<string>;
  /** Timestamps of pinned messages, in pin order. */
  pins: string[];
  isPrivate: boolean;
  isArchived: boolean;
  created: number;
  creator: string;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  user: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  attachments: unknown[] | undefined;
  metadata: unknown;
  thread_ts: string | undefined;
  /** How many times chat.update changed it. */
  edits: number;
  deleted: boolean;
  /** Earlier contents, oldest first (one entry per update). */
  history: { text: string | undefined; blocks: unknown[] | undefined }[];
}

export interface FakeView {
  id: string;
  /** The view as last given to views.open/push/update (parsed), plus `id`. */
  view: SlackArgs;
  triggerId: string | undefined;
  /** The method that created it. */
  openedBy: 'views.open' | 'views.push';
}

export interface FakeUser {
  id: string;
  name: string;
  real_name: string;
  email: string;
  tz: string;
  is_bot: boolean;
}

export const BOT_USER_ID = 'UBOT';
export const BOT_ID = 'BBOT';
export const TEAM_ID = 'T0TEST';

const CHANNEL_NAME_RE = /^[a-z0-9_-]+$/;
const BASE_TS_SECONDS = 1_700_000_000;

type HandlerResult = SlackArgs & { ok: boolean };
type Handler = (args: SlackArgs) => HandlerResult;

interface Waiter {
  method: string;
  predicate: ((call: RecordedCall) => boolean) | undefined;
  n: number;
  includeFailed: boolean;
  matched: RecordedCall[];
  resolve: (calls: RecordedCall[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export interface WaitOptions {
  /** Also match attempts answered by an injected failure (default false: only calls the fake answered normally). */
  includeFailed?: boolean;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function slackError(error: string, extra: SlackArgs = {}): HandlerResult {
  return { ...extra, ok: false, error };
}

/** Parses a form value the way the fake's callers expect: JSON objects/arrays become objects, the rest stay strings. */
function parseFormValue(value: string): unknown {
  const first = value.trimStart()[0];
  if (first !== '{' && first !== '[') return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null ? parsed : value;
  } catch {
    return value;
  }
}

function parseBody(raw: string, contentType: string): SlackArgs {
  if (raw.length === 0) return {};
  if (contentType.includes('application/json')) {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as SlackArgs) : {};
  }
  const args: SlackArgs = {};
  for (const [k, v] of new URLSearchParams(raw)) args[k] = parseFormValue(v);
  return args;
}

/** The file's bytes in an upload body: the file part of a multipart/form-data body, else the body itself. */
function fileBody(raw: string, contentType: string): string {
  const boundary = /^multipart\/form-data;.*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!boundary) return raw;
  const parts = raw.split(`--${boundary[1] ?? boundary[2]}`).slice(1, -1);
  const file = parts.find((p) => /filename=/i.test(p.slice(0, p.indexOf('\r\n\r\n')))) ?? parts[0] ?? '';
  const start = file.indexOf('\r\n\r\n');
  return start === -1 ? '' : file.slice(start + 4, file.endsWith('\r\n') ? -2 : undefined);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class FakeSlack {
  readonly calls: RecordedCall[] = [];
  readonly channels = new Map<string, FakeChannel>();
  readonly views = new Map<string, FakeView>();
  readonly users = new Map<string, FakeUser>();

  private readonly server: Server;
  private readonly port: number;
  private readonly messages = new Map<string, StoredMessage[]>();
  /** user ID -> DM channel ID. */
  private readonly dms = new Map<string, string>();
  private readonly ephemerals: { channel: string; user: string; text: string | undefined; blocks: unknown }[] = [];
  private readonly usedTriggers = new Set<string>();
  private readonly failures = new Map<string, Failure[]>();
  private readonly waiters = new Set<Waiter>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly handlers: Record<string, Handler>;
  private channelCounter = 0;
  private tsCounter = 0;
  private viewCounter = 0;
  private closed = false;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
    this.handlers = this.buildHandlers();
  }

  static async start(): Promise<FakeSlack> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeSlack(server, port);
    server.on('request', (req, res) => {
      fake.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake-slack internal error: ${err instanceof Error ? err.stack : String(err)}`);
      });
    });
    return fake;
  }

  /** Base URL for WebClient's `slackApiUrl`, e.g. `http://127.0.0.1:PORT/api/`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** A response_url served by the fake; POSTs to it are recorded as method `'response_url'` with this key. */
  responseUrl(key: string = randomBytes(6).toString('hex')): string {
    return `http://127.0.0.1:${this.port}/response/${encodeURIComponent(key)}`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(`FakeSlack closed while waiting for ${w.method}`));
    }
    this.waiters.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Forgets recorded calls and pending failures; channels, messages and id counters stay (ids never repeat). */
  /**
   * Files uploaded with files.uploadV2 (files.getUploadURLExternal, the upload, files.completeUploadExternal), by id:
   * name, the length announced and the bytes received, the content, and where they were shared with which title and
   * comment. `completed` once files.completeUploadExternal shared it.
   */
  readonly uploads = new Map<
    string,
    {
      id: string;
      filename: string;
      length: number;
      bytes: number;
      content: string;
      channel: string | undefined;
      threadTs: string | undefined;
      title: string | undefined;
      initialComment: string | undefined;
      completed: boolean;
    }
  >();

  /** Home tabs published with views.publish, by user: the latest view and how many times it was published. */
  readonly homeTabs = new Map<string, { view: SlackArgs; publishes: number }>();
  private fileCounter = 0;

  /** User IDs Slack does not know (deleted or mistyped): a DM to one is channel_not_found, an invite user_not_found. */
  readonly unknownUsers = new Set<string>();

  /** User groups (S…) and their members, for usergroups.users.list. */
  readonly usergroups = new Map<string, string[]>();

  /** Where `apps.connections.open` sends a Socket Mode client (a test's own WebSocket server). */
  socketModeUrl: string | undefined;

  reset(): void {
    this.calls.length = 0;
    this.failures.clear();
    this.ephemerals.length = 0;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Fault injection

  /**
   * The next `times` requests to `method` get `failure` instead of the normal answer. Use `'*'` for any method
   * (method-specific failures are consumed first). Failed attempts are recorded with `failed` set.
   */
  failNext(method: string, failure: Failure, times = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(failure);
    this.failures.set(method, queue);
  }

  private takeFailure(method: string): Failure | undefined {
    for (const key of [method, '*']) {
      const queue = this.failures.get(key);
      const f = queue?.shift();
      if (queue && queue.length === 0) this.failures.delete(key);
      if (f) return f;
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Recorded calls

  /** Every recorded call to `method`, failed attempts included. */
  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /**
   * Resolves with the first call to `method` (already recorded or future) that matches `predicate`.
   * Only calls answered normally count unless `opts.includeFailed`.
   */
  async waitFor(
    method: string,
    predicate?: (call: RecordedCall) => boolean,
    timeoutMs = 10_000,
    opts: WaitOptions = {},
  ): Promise<RecordedCall> {
    const [first] = await this.waitForCount(method, 1, predicate, timeoutMs, opts);
    return first!;
  }

  /** Resolves with the first `n` matching calls to `method` (see {@link waitFor}) once that many were recorded. */
  waitForCount(
    method: string,
    n: number,
    predicate?: (call: RecordedCall) => boolean,
    timeoutMs = 10_000,
    opts: WaitOptions = {},
  ): Promise<RecordedCall[]> {
    const includeFailed = opts.includeFailed ?? false;
    const matches = (c: RecordedCall): boolean =>
      c.method === method && (includeFailed || !c.failed) && (!predicate || predicate(c));
    const already = this.calls.filter(matches);
    if (already.length >= n) return Promise.resolve(already.slice(0, n));
    return new Promise<RecordedCall[]>((resolve, reject) => {
      const waiter: Waiter = {
        method,
        predicate,
        n,
        includeFailed,
        matched: already,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(this.timeoutMessage(method, n, waiter.matched.length, timeoutMs, Boolean(predicate))));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private timeoutMessage(method: string, n: number, got: number, timeoutMs: number, withPredicate: boolean): string {
    const counts = new Map<string, { ok: number; failed: number }>();
    for (const c of this.calls) {
      const e = counts.get(c.method) ?? { ok: 0, failed: 0 };
      if (c.failed) e.failed++;
      else e.ok++;
      counts.set(c.method, e);
    }
    const summary =
      [...counts].map(([m, e]) => `${m} x${e.ok}${e.failed ? ` (+${e.failed} failed)` : ''}`).join(', ') || 'none';
    const what = `${n === 1 ? 'a call' : `${n} calls`} to ${method}${withPredicate ? ' matching the predicate' : ''}`;
    return `FakeSlack: timed out after ${timeoutMs}ms waiting for ${what} (got ${got}). Recorded calls: ${summary}`;
  }

  private record(call: RecordedCall): void {
    this.calls.push(call);
    for (const w of [...this.waiters]) {
      if (w.method !== call.method || (!w.includeFailed && call.failed)) continue;
      let ok: boolean;
      try {
        ok = !w.predicate || w.predicate(call);
      } catch (err) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (!ok) continue;
      w.matched.push(call);
      if (w.matched.length >= w.n) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(w.matched.slice(0, w.n));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // State

  /** Adds a pre-existing channel (e.g. `#incidents`). Returns its ID. The bot is a member unless `botIsMember: false`. */
  addChannel(
    name: string,
    opts: { id?: string; botIsMember?: boolean; members?: string[]; topic?: string; isPrivate?: boolean } = {},
  ): string {
    const id = opts.id ?? this.nextChannelId();
    const members = new Set(opts.members ?? []);
    if (opts.botIsMember ?? true) members.add(BOT_USER_ID);
    this.channels.set(id, {
      id,
      name,
      topic: opts.topic ?? '',
      purpose: '',
      members,
      pins: [],
      isPrivate: opts.isPrivate ?? false,
      isArchived: false,
      created: Math.floor(Date.now() / 1000),
      creator: 'U0ADMIN',
    });
    return id;
  }

  /** Registers a user for users.info (unknown U/W IDs still get a plausible generated user). */
  addUser(id: string, fields: Partial<Omit<FakeUser, 'id'>> = {}): FakeUser {
    const user = { ...defaultUser(id), ...fields, id };
    this.users.set(id, user);
    return user;
  }

  channelByName(name: string): FakeChannel | undefined {
    const bare = name.replace(/^#/, '');
    for (const c of this.channels.values()) if (c.name === bare) return c;
    return undefined;
  }

  /** Current (post-update, non-deleted) messages in a channel, oldest first. Accepts a channel ID, DM ID or user ID. */
  messagesIn(channel: string): StoredMessage[] {
    const id = this.dms.get(channel) ?? channel;
    return (this.messages.get(id) ?? []).filter((m) => !m.deleted);
  }

  /** A stored message by channel and ts (including deleted ones), or undefined. */
  message(channel: string, ts: string): StoredMessage | undefined {
    const id = this.dms.get(channel) ?? channel;
    return this.messages.get(id)?.find((m) => m.ts === ts);
  }

  /** Ephemeral messages posted so far. */
  ephemeralMessages(): readonly { channel: string; user: string; text: string | undefined; blocks: unknown }[] {
    return this.ephemerals;
  }

  private nextChannelId(): string {
    let id: string;
    do {
      this.channelCounter++;
      id = `C${String(this.channelCounter).padStart(7, '0')}`;
    } while (this.channels.has(id));
    return id;
  }

  private nextTs(): string {
    this.tsCounter++;
    const micros = this.tsCounter * 100;
    const seconds = BASE_TS_SECONDS + Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  private nextViewId(): string {
    this.viewCounter++;
    return `V${String(this.viewCounter).padStart(7, '0')}`;
  }

  private dmFor(userId: string): string {
    let id = this.dms.get(userId);
    if (!id) {
      id = `D${userId.slice(1)}`;
      this.dms.set(userId, id);
    }
    return id;
  }

  /**
   * Resolves a `channel` argument for posting: channel ID, `#name`/name, DM ID, or user ID (opens a DM).
   * Returns the channel ID, or an error code.
   */
  private resolvePostTarget(raw: unknown): { id: string; channel?: FakeChannel } | { error: string } {
    const value = str(raw);
    if (!value) return { error: 'channel_not_found' };
    if (/^[UW][A-Z0-9]+$/.test(value)) {
      return this.unknownUsers.has(value) ? { error: 'channel_not_found' } : { id: this.dmFor(value) };
    }
    if (value.startsWith('D') && [...this.dms.values()].includes(value)) return { id: value };
    const channel = this.channels.get(value) ?? (/^[CG][A-Z0-9]+$/.test(value) ? undefined : this.channelByName(value));
    if (!channel) return { error: 'channel_not_found' };
    return { id: channel.id, channel };
  }

  private channelJson(c: FakeChannel): SlackArgs {
    return {
      id: c.id,
      name: c.name,
      name_normalized: c.name,
      is_channel: !c.isPrivate,
      is_group: c.isPrivate,
      is_im: false,
      is_mpim: false,
      is_private: c.isPrivate,
      is_archived: c.isArchived,
      is_general: false,
      is_member: c.members.has(BOT_USER_ID),
      created: c.created,
      creator: c.creator,
      num_members: c.members.size,
      topic: { value: c.topic, creator: c.topic ? BOT_USER_ID : '', last_set: 0 },
      purpose: { value: c.purpose, creator: '', last_set: 0 },
    };
  }

  private messageJson(m: StoredMessage): SlackArgs {
    const json: SlackArgs = {
      type: 'message',
      user: m.user,
      bot_id: BOT_ID,
      team: TEAM_ID,
      ts: m.ts,
      text: m.text ?? '',
    };
    if (m.blocks !== undefined) json.blocks = m.blocks;
    if (m.attachments !== undefined) json.attachments = m.attachments;
    if (m.thread_ts !== undefined) json.thread_ts = m.thread_ts;
    if (m.metadata !== undefined) json.metadata = m.metadata;
    return json;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const contentType = String(req.headers['content-type'] ?? '');

    let method: string;
    let key: string | undefined;
    let args: SlackArgs;
    try {
      if (url.pathname.startsWith('/api/')) {
        method = decodeURIComponent(url.pathname.slice('/api/'.length));
        args = { ...Object.fromEntries([...url.searchParams].map(([k, v]) => [k, parseFormValue(v)])) };
        Object.assign(args, parseBody(raw, contentType));
      } else if (url.pathname.startsWith('/upload/')) {
        // The second step of files.uploadV2: the file's bytes go to the URL getUploadURLExternal gave.
        const id = decodeURIComponent(url.pathname.slice('/upload/'.length));
        // @slack/web-api sends the bytes as multipart/form-data (one file part); a raw body is taken as it is.
        const content = fileBody(raw, contentType);
        const pending = this.uploads.get(id);
        if (pending) {
          pending.content = content;
          pending.bytes = Buffer.byteLength(content);
        }
        this.record({ method: 'file_upload', args: { id, bytes: Buffer.byteLength(content) }, token: undefined, at });
        res.writeHead(pending ? 200 : 404, { 'content-type': 'text/plain' });
        res.end(pending ? `OK - ${raw.length}` : 'unknown upload');
        return;
      } else if (url.pathname.startsWith('/response/')) {
        method = 'response_url';
        key = decodeURIComponent(url.pathname.slice('/response/'.length));
        args = parseBody(raw, contentType.includes('x-www-form-urlencoded') ? contentType : 'application/json');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return;
      }
    } catch {
      this.sendJson(res, { ok: false, error: 'invalid_json' });
      return;
    }

    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    const token = bearer ?? str(args.token);
    const base: RecordedCall = { method, args, token, at };
    if (key !== undefined) base.key = key;

    const failure = this.takeFailure(method);
    if (failure && 'error' in failure) {
      const { error, ...extra } = failure;
      const response = { ...extra, ok: false, error };
      this.record({ ...base, failed: failure, response });
      this.sendJson(res, response);
      return;
    }
    if (failure && 'delayMs' in failure) {
      await this.sleep(failure.delayMs);
      if (this.closed) return;
      base.delayedMs = failure.delayMs;
    } else if (failure) {
      this.record({ ...base, failed: failure });
      if (failure.status === 429) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(failure.retryAfter) });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      } else {
        res.writeHead(failure.status, { 'content-type': 'text/html' });
        res.end(`<html><body><h1>${failure.status} Server Error</h1><p>fake-slack injected failure</p></body></html>`);
      }
      return;
    }

    let result: HandlerResult;
    if (method === 'response_url') {
      result = { ok: true };
    } else if (!token) {
      result = slackError('not_authed');
    } else if (!token.startsWith('xox') && !token.startsWith('xapp-')) {
      result = slackError('invalid_auth');
    } else {
      const handler = this.handlers[method];
      result = handler ? handler(args) : slackError('unknown_method', { req_method: method });
    }
    base.response = result;
    this.record(base);
    this.sendJson(res, result);
  }

  private sendJson(res: ServerResponse, body: SlackArgs): void {
    if (res.writableEnded) return;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Methods

  private buildHandlers(): Record<string, Handler> {
    const requireChannel = (args: SlackArgs): FakeChannel | HandlerResult => {
      const id = str(args.channel);
      const channel = id ? this.channels.get(id) : undefined;
      return channel ?? slackError('channel_not_found');
    };
    const isError = (v: FakeChannel | HandlerResult): v is HandlerResult => 'ok' in v;

    return {
      'api.test': (args) => ({ ok: true, args }),

      'apps.connections.open': () =>
        this.socketModeUrl ? { ok: true, url: this.socketModeUrl } : slackError('invalid_auth'),

      'auth.test': () => ({
        ok: true,
        url: 'https://test.slack.com/',
        team: 'Test Team',
        user: 'incidentbot',
        team_id: TEAM_ID,
        user_id: BOT_USER_ID,
        bot_id: BOT_ID,
        is_enterprise_install: false,
      }),

      'conversations.create': (args) => {
        const name = str(args.name) ?? '';
        if (name.length === 0) return slackError('invalid_name_required');
        if (name.length > 80) return slackError('invalid_name_maxlength');
        if (!CHANNEL_NAME_RE.test(name)) return slackError('invalid_name_specials');
        if (this.channelByName(name)) return slackError('name_taken');
        const isPrivate = str(args.is_private) === 'true' || args.is_private === true;
        const id = this.addChannel(name, { isPrivate });
        const channel = this.channels.get(id)!;
        channel.creator = BOT_USER_ID;
        return { ok: true, channel: this.channelJson(channel) };
      },

      'conversations.setTopic': (args) => {
        const channel = requireChannel(args);
        if (isError(channel)) return channel;
        if (channel.isArchived) return slackError('is_archived');
        if (!channel.members.has(BOT_USER_ID)) return slackError('not_in_channel');
        const topic = str(args.topic) ?? '';
        if (topic.length > 250) return slackError('too_long');
        channel.topic = topic;
        return { ok: true, channel: this.channelJson(channel) };
      },

      'conversations.setPurpose': (args) => {
        const channel = requireChannel(args);
        if (isError(channel)) return channel;
        if (!channel.members.has(BOT_USER_ID)) return slackError('not_in_channel');
        channel.purpose = str(args.purpose) ?? '';
        return { ok: true, channel: this.channelJson(channel) };
      },

      'conversations.invite': (args) => {
        const channel = requireChannel(args);
        if (isError(channel)) return channel;
        if (channel.isArchived) return slackError('is_archived');
        if (!channel.members.has(BOT_USER_ID)) return slackError('not_in_channel');
        const users = (str(args.users) ?? '')
          .split(',')
          .map((u) => u.trim())
          .filter((u) => u.length > 0);
        if (users.length === 0) return slackError('no_user');
        if (users.includes(BOT_USER_ID)) return slackError('cant_invite_self');
        const invalid = users.filter((u) => !/^[UW][A-Z0-9]+$/.test(u) || this.unknownUsers.has(u));
        if (invalid.length > 0) {
          return slackError('user_not_found', {
            errors: invalid.map((user) => ({ user, ok: false, error: 'user_not_found' })),
          });
        }
        if (users.every((u) => channel.members.has(u))) return slackError('already_in_channel');
        for (const u of users) channel.members.add(u);
        return { ok: true, channel: this.channelJson(channel) };
      },

      'conversations.join': (args) => {
        const channel = requireChannel(args);
        if (isError(channel)) return channel;
        if (channel.isArchived) return slackError('is_archived');
        if (channel.isPrivate && !channel.members.has(BOT_USER_ID))
          return slackError('method_not_supported_for_channel_type');
        const already = channel.members.has(BOT_USER_ID);
        channel.members.add(BOT_USER_ID);
        const result: HandlerResult = { ok: true, channel: this.channelJson(channel) };
        if (already) {
          result.warning = 'already_in_channel';
          result.response_metadata = { warnings: ['already_in_channel'] };
        }
        return result;
      },

      'conversations.info': (args) => {
        const channel = requireChannel(args);
        if (isError(channel)) return channel;
        return { ok: true, channel: this.channelJson(channel) };
      },

      'conversations.members': (args) => {
        const channel = requireChannel(args);
        if (isError(channel)) return channel;
        return { ok: true, members: [...channel.members], response_metadata: { next_cursor: '' } };
      },

      'conversations.list': (args) => {
        const excludeArchived = str(args.exclude_archived) === 'true';
        const list = [...this.channels.values()].filter((c) => !excludeArchived || !c.isArchived);
        return { ok: true, channels: list.map((c) => this.channelJson(c)), response_metadata: { next_cursor: '' } };
      },

      'conversations.archive': (args) => {
        const channel = requireChannel(args);
        if (isError(channel)) return channel;
        if (channel.isArchived) return slackError('already_archived');
        if (!channel.members.has(BOT_USER_ID)) return slackError('not_in_channel');
        channel.isArchived = true;
        return { ok: true };
      },

      'chat.postMessage': (args) => {
        const target = this.resolvePostTarget(args.channel);
        if ('error' in target) return slackError(target.error);
        if (target.channel?.isArchived) return slackError('is_archived');
        if (target.channel && !target.channel.members.has(BOT_USER_ID)) return slackError('not_in_channel');
        const text = str(args.text);
        const blocks = Array.isArray(args.blocks) ? (args.blocks as unknown[]) : undefined;
        const attachments = Array.isArray(args.attachments) ? (args.attachments as unknown[]) : undefined;
        if (!text && !blocks?.length && !attachments?.length) return slackError('no_text');
        const threadTs = str(args.thread_ts);
        const msg: StoredMessage = {
          channel: target.id,
          ts: this.nextTs(),
          user: BOT_USER_ID,
          text,
          blocks,
          attachments,
          metadata: args.metadata,
          thread_ts: threadTs,
          edits: 0,
          deleted: false,
          history: [],
        };
        const list = this.messages.get(target.id) ?? [];
        list.push(msg);
        this.messages.set(target.id, list);
        return { ok: true, channel: target.id, ts: msg.ts, message: this.messageJson(msg) };
      },

      'chat.update': (args) => {
        const target = this.resolvePostTarget(args.channel);
        if ('error' in target) return slackError(target.error);
        const ts = str(args.ts);
        const msg = ts ? this.message(target.id, ts) : undefined;
        if (!msg || msg.deleted) return slackError('message_not_found');
        if (target.channel?.isArchived) return slackError('is_archived');
        msg.history.push({ text: msg.text, blocks: msg.blocks });
        if ('text' in args) msg.text = str(args.text);
        if ('blocks' in args) msg.blocks = Array.isArray(args.blocks) ? (args.blocks as unknown[]) : undefined;
        if ('attachments' in args) {
          msg.attachments = Array.isArray(args.attachments) ? (args.attachments as unknown[]) : undefined;
        }
        if ('metadata' in args) msg.metadata = args.metadata;
        msg.edits++;
        return { ok: true, channel: target.id, ts: msg.ts, text: msg.text ?? '', message: this.messageJson(msg) };
      },

      'chat.delete': (args) => {
        const target = this.resolvePostTarget(args.channel);
        if ('error' in target) return slackError(target.error);
        const ts = str(args.ts);
        const msg = ts ? this.message(target.id, ts) : undefined;
        if (!msg || msg.deleted) return slackError('message_not_found');
        msg.deleted = true;
        if (target.channel) target.channel.pins = target.channel.pins.filter((p) => p !== msg.ts);
        return { ok: true, channel: target.id, ts: msg.ts };
      },

      'chat.postEphemeral': (args) => {
        const user = str(args.user);
        if (!user) return slackError('user_not_found');
        const text = str(args.text);
        if (!text && !(Array.isArray(args.blocks) && args.blocks.length > 0)) return slackError('no_text');
        this.ephemerals.push({ channel: str(args.channel) ?? '', user, text, blocks: args.blocks });
        return { ok: true, message_ts: this.nextTs() };
      },

      'chat.getPermalink': (args) => {
        const target = this.resolvePostTarget(args.channel);
        if ('error' in target) return slackError(target.error);
        const ts = str(args.message_ts);
        const msg = ts ? this.message(target.id, ts) : undefined;
        if (!msg) return slackError('message_not_found');
        return {
          ok: true,
          channel: target.id,
          permalink: `https://test.slack.com/archives/${target.id}/p${msg.ts.replace('.', '')}`,
        };
      },

      'pins.add': (args) => {
        const channel = requireChannel(args);
        if (isError(channel)) return channel;
        if (!channel.members.has(BOT_USER_ID)) return slackError('not_in_channel');
        const ts = str(args.timestamp);
        const msg = ts ? this.message(channel.id, ts) : undefined;
        if (!msg || msg.deleted) return slackError('message_not_found');
        if (channel.pins.includes(msg.ts)) return slackError('already_pinned');
        channel.pins.push(msg.ts);
        return { ok: true };
      },

      'pins.remove': (args) => {
        const channel = requireChannel(args);
        if (isError(channel)) return channel;
        const ts = str(args.timestamp);
        if (!ts || !channel.pins.includes(ts)) return slackError('not_pinned');
        channel.pins = channel.pins.filter((p) => p !== ts);
        return { ok: true };
      },

      'views.open': (args) => this.openView('views.open', args),
      'views.push': (args) => this.openView('views.push', args),

      'views.update': (args) => {
        const viewId = str(args.view_id);
        const externalId = str(args.external_id);
        const existing = viewId
          ? this.views.get(viewId)
          : [...this.views.values()].find((v) => externalId !== undefined && v.view.external_id === externalId);
        if (!existing) return slackError('not_found');
        if (typeof args.view !== 'object' || args.view === null) return slackError('invalid_arguments');
        const hash = str(args.hash);
        if (hash !== undefined && hash !== existing.view.hash) return slackError('hash_conflict');
        existing.view = this.viewJson(existing.id, args.view as SlackArgs);
        return { ok: true, view: existing.view };
      },

      // Slack requires the file's name and its length in bytes up front.
      'files.getUploadURLExternal': (args) => {
        const filename = str(args.filename);
        const length = Number(str(args.length));
        if (!filename || !Number.isInteger(length) || length < 1) return slackError('invalid_arguments');
        const id = `F${String(++this.fileCounter).padStart(7, '0')}`;
        this.uploads.set(id, {
          id,
          filename,
          length,
          bytes: 0,
          content: '',
          channel: undefined,
          threadTs: undefined,
          title: undefined,
          initialComment: undefined,
          completed: false,
        });
        return { ok: true, upload_url: `http://127.0.0.1:${this.port}/upload/${id}`, file_id: id };
      },

      // Shares uploaded files in a channel (with a comment); a file whose bytes did not all arrive is refused.
      'files.completeUploadExternal': (args) => {
        const files = (Array.isArray(args.files) ? args.files : []) as { id: string; title?: string }[];
        if (files.length === 0) return slackError('invalid_arguments');
        const channel = str(args.channel_id);
        if (channel && !this.channels.has(channel)) return slackError('channel_not_found');
        const done = [];
        for (const f of files) {
          const u = this.uploads.get(f.id);
          if (!u) return slackError('file_not_found');
          if (u.bytes !== u.length) return slackError('file_upload_size_mismatch');
          u.channel = channel;
          u.threadTs = str(args.thread_ts);
          u.title = f.title ?? u.filename;
          u.initialComment = str(args.initial_comment);
          u.completed = true;
          done.push({ id: u.id, name: u.filename, title: u.title });
        }
        return { ok: true, files: done };
      },

      // A Home tab: a `home` view of at most 100 blocks, for a user (not the bot).
      'views.publish': (args) => {
        const user = str(args.user_id);
        if (!user || !/^[UW][A-Z0-9]+$/.test(user) || this.unknownUsers.has(user)) return slackError('user_not_found');
        if (user === BOT_USER_ID) return slackError('not_found');
        const view = args.view as SlackArgs | undefined;
        if (typeof view !== 'object' || view === null || view.type !== 'home') return slackError('invalid_arguments');
        if (!Array.isArray(view.blocks) || view.blocks.length > 100) return slackError('invalid_blocks');
        const id = this.nextViewId();
        const before = this.homeTabs.get(user);
        const published = this.viewJson(id, view);
        this.homeTabs.set(user, { view: published, publishes: (before?.publishes ?? 0) + 1 });
        return { ok: true, view: published };
      },

      // The people of the workspace: the users added with addUser, then the bot. Paged by `limit` and `cursor`.
      'users.list': (args) => {
        const all = [...this.users.values()].map((u) => this.userJson(u));
        all.push(this.userJson({ ...defaultUser(BOT_USER_ID), is_bot: true }));
        const limit = Math.max(1, Math.min(1000, Number(str(args.limit) ?? 200) || 200));
        const start = Number(str(args.cursor) ?? 0) || 0;
        const page = all.slice(start, start + limit);
        const next = start + limit < all.length ? String(start + limit) : '';
        return { ok: true, members: page, response_metadata: { next_cursor: next } };
      },

      'usergroups.users.list': (args) => {
        const members = this.usergroups.get(str(args.usergroup) ?? '');
        return members ? { ok: true, users: [...members] } : slackError('no_such_subteam');
      },

      'users.info': (args) => {
        const id = str(args.user);
        if (!id || !/^[UW][A-Z0-9]+$/.test(id) || this.unknownUsers.has(id)) return slackError('user_not_found');
        return { ok: true, user: this.userJson(this.users.get(id) ?? defaultUser(id)) };
      },
    };
  }

  private userJson(u: FakeUser): SlackArgs {
    return {
      id: u.id,
      team_id: TEAM_ID,
      name: u.name,
      deleted: false,
      real_name: u.real_name,
      tz: u.tz,
      tz_label: 'Greenwich Mean Time',
      tz_offset: 0,
      is_admin: false,
      is_owner: false,
      is_bot: u.is_bot,
      is_app_user: false,
      updated: BASE_TS_SECONDS,
      profile: {
        real_name: u.real_name,
        real_name_normalized: u.real_name,
        display_name: u.name,
        display_name_normalized: u.name,
        email: u.email,
        image_48: `https://secure.gravatar.com/avatar/${u.id}.jpg?s=48`,
        team: TEAM_ID,
      },
    };
  }

  private viewJson(id: string, given: SlackArgs): SlackArgs {
    return {
      team_id: TEAM_ID,
      state: { values: {} },
      hash: `${BASE_TS_SECONDS}.${randomBytes(4).toString('hex')}`,
      clear_on_close: false,
      notify_on_close: false,
      root_view_id: id,
      app_id: 'A0TESTAPP',
      bot_id: BOT_ID,
      ...given,
      id,
    };
  }

  private openView(method: 'views.open' | 'views.push', args: SlackArgs): HandlerResult {
    const triggerId = str(args.trigger_id);
    if (!triggerId) return slackError('invalid_arguments', { response_metadata: { messages: ['missing trigger_id'] } });
    if (typeof args.view !== 'object' || args.view === null) return slackError('invalid_arguments');
    if (this.usedTriggers.has(triggerId)) return slackError('exchanged_trigger_id');
    this.usedTriggers.add(triggerId);
    const id = this.nextViewId();
    const view = this.viewJson(id, args.view as SlackArgs);
    this.views.set(id, { id, view, triggerId, openedBy: method });
    return { ok: true, view };
  }
}

function defaultUser(id: string): FakeUser {
  const name = id.replace(/^[UW]0?/, '').toLowerCase() || 'user';
  const real = name.charAt(0).toUpperCase() + name.slice(1);
  return { id, name, real_name: `${real} Tester`, email: `${name}@example.com`, tz: 'Europe/London', is_bot: false };
}
