/**
 * A local Slack Web API on loopback: what the console stands in for Slack with, and what the end-to-end tests drive
 * the real Bolt app against.
 *
 * Point a WebClient (or Bolt's `clientOptions.slackApiUrl`) at `url`. It parses requests exactly as @slack/web-api
 * sends them, records every call, keeps a workspace (channels, people, messages, pins, modals) and answers like Slack
 * does: HTTP 200 with `{ ok: true | false, error? }`. Faults can be injected per method; `subscribe` hears each call
 * as it is answered.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallLog, type Failure, type RecordedCall, type WaitOptions } from './call-log.js';
import { type Handler, type HandlerResult, slackError, webApiMethods } from './methods.js';
import {
  type Ephemeral,
  type LocalChannel,
  type LocalUser,
  type LocalView,
  type SlackArgs,
  type StoredMessage,
  str,
  type Upload,
  Workspace,
} from './workspace.js';

export type { Failure, RecordedCall, WaitOptions } from './call-log.js';
export type { SlackArgs } from './workspace.js';

/** Something the bot said privately to one person: an ephemeral message Slack delivered, or a direct message. */
export interface Told {
  via: 'ephemeral' | 'direct';
  /** The channel an ephemeral message was shown in; the direct message channel (D…) of a direct message. */
  channel: string;
  text: string | undefined;
  blocks: unknown;
  call: RecordedCall;
}

export interface LocalSlackOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Keep at most this many recorded calls, the latest (default: all, as tests read them). */
  keepCalls?: number;
}

/** Parses a form value as Slack's callers expect: JSON objects/arrays become objects, the rest stay strings. */
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

export class LocalSlack {
  private readonly log: CallLog;
  /** Every call answered, in order (at most `keepCalls`, the latest). */
  readonly calls: RecordedCall[];
  /** The workspace the methods read and change. */
  readonly workspace = new Workspace();
  readonly channels: Map<string, LocalChannel> = this.workspace.channels;
  readonly views: Map<string, LocalView> = this.workspace.views;
  readonly users: Map<string, LocalUser> = this.workspace.users;
  readonly uploads: Map<string, Upload> = this.workspace.uploads;
  /** Home tabs published with views.publish, by user: the latest view and how many times it was published. */
  readonly homeTabs: Map<string, { view: SlackArgs; publishes: number }> = this.workspace.homeTabs;
  /** User IDs Slack does not know (deleted or mistyped): a DM to one is channel_not_found, an invite user_not_found. */
  readonly unknownUsers: Set<string> = this.workspace.unknownUsers;
  /** User groups (S…) and their members, for usergroups.users.list. */
  readonly usergroups: Map<string, string[]> = this.workspace.usergroups;
  /** User groups' handles, for usergroups.list (a group without one is named from its id: `S0SRE` is `sre`). */
  readonly usergroupHandles: Map<string, string> = this.workspace.usergroupHandles;

  /** Where `apps.connections.open` sends a Socket Mode client (a test's own WebSocket server). */
  socketModeUrl: string | undefined;

  private readonly server: Server;
  private readonly port: number;
  private readonly host: string;
  private readonly failures = new Map<string, { failure: Failure; when?: (args: SlackArgs) => boolean }[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly handlers: Record<string, Handler>;
  private closed = false;

  private constructor(server: Server, port: number, opts: LocalSlackOptions) {
    this.server = server;
    this.port = port;
    this.host = opts.host ?? '127.0.0.1';
    this.log = new CallLog(opts.keepCalls);
    this.calls = this.log.calls;
    this.handlers = webApiMethods(this.workspace, {
      socketModeUrl: () => this.socketModeUrl,
      uploadUrl: (id) => `${this.origin}/upload/${id}`,
    });
  }

  static async start(opts: LocalSlackOptions = {}): Promise<LocalSlack> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const slack = new LocalSlack(server, port, opts);
    server.on('request', (req, res) => {
      slack.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`local Slack internal error: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    return slack;
  }

  private get origin(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** Base URL for WebClient's `slackApiUrl`, e.g. `http://127.0.0.1:PORT/api/`. */
  get url(): string {
    return `${this.origin}/api/`;
  }

  /** A response_url served here; POSTs to it are recorded as method `'response_url'` with this key. */
  responseUrl(key: string = randomBytes(6).toString('hex')): string {
    return `${this.origin}/response/${encodeURIComponent(key)}`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.log.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Forgets recorded calls, pending failures and ephemeral messages; the workspace and its id counters stay. */
  reset(): void {
    this.calls.length = 0;
    this.failures.clear();
    this.workspace.ephemerals.length = 0;
  }

  /**
   * Calls `listener` with every call as it is recorded, after the workspace changed and before the caller has its
   * answer. Returns a function that stops it.
   */
  subscribe(listener: (call: RecordedCall) => void): () => void {
    return this.log.subscribe(listener);
  }

  /** Every recorded call to `method`, failed attempts included. */
  callsTo(method: string): RecordedCall[] {
    return this.log.callsTo(method);
  }

  /**
   * Resolves with the first call to `method` (already recorded or future) that matches `predicate`.
   * Only calls answered normally count unless `opts.includeFailed`.
   */
  waitFor(
    method: string,
    predicate?: (call: RecordedCall) => boolean,
    timeoutMs = 10_000,
    opts: WaitOptions = {},
  ): Promise<RecordedCall> {
    return this.log.waitFor(method, predicate, timeoutMs, opts);
  }

  /** Resolves with the first `n` matching calls to `method` (see {@link waitFor}) once that many were recorded. */
  waitForCount(
    method: string,
    n: number,
    predicate?: (call: RecordedCall) => boolean,
    timeoutMs = 10_000,
    opts: WaitOptions = {},
  ): Promise<RecordedCall[]> {
    return this.log.waitForCount(method, n, predicate, timeoutMs, opts);
  }

  /**
   * Resolves with the first thing `user` is told privately (already or later) that matches `predicate`: an ephemeral
   * message Slack delivered, or a direct message from the bot. An ephemeral message Slack refused (to someone not in
   * the channel: user_not_in_channel) never reached them, so it does not count.
   */
  waitForTold(user: string, predicate?: (told: Told) => boolean, timeoutMs = 10_000): Promise<Told> {
    const toldOf = (call: RecordedCall): Told | undefined => {
      if (call.failed || call.response?.ok !== true) return undefined;
      const told: Told | undefined =
        call.method === 'chat.postEphemeral' && call.args.user === user
          ? {
              via: 'ephemeral',
              channel: String(call.args.channel),
              text: str(call.args.text),
              blocks: call.args.blocks,
              call,
            }
          : call.method === 'chat.postMessage' && this.workspace.dmUser(String(call.response.channel)) === user
            ? {
                via: 'direct',
                channel: String(call.response.channel),
                text: str(call.args.text),
                blocks: call.args.blocks,
                call,
              }
            : undefined;
      return told && (!predicate || predicate(told)) ? told : undefined;
    };
    for (const call of this.calls) {
      const told = toldOf(call);
      if (told) return Promise.resolve(told);
    }
    return new Promise<Told>((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        const seen = this.calls
          .filter((c) => c.method === 'chat.postEphemeral' && c.args.user === user)
          .map((c) => `${c.response?.ok ? 'delivered' : `refused (${c.response?.error ?? 'failed'})`}: ${c.args.text}`);
        reject(
          new Error(
            `LocalSlack: timed out after ${timeoutMs}ms waiting for ${user} to be told something privately. Ephemeral messages to them: ${seen.join(' | ') || 'none'}`,
          ),
        );
      }, timeoutMs);
      const stop = this.subscribe((call) => {
        const told = toldOf(call);
        if (!told) return;
        clearTimeout(timer);
        stop();
        resolve(told);
      });
    });
  }

  private record(call: RecordedCall): void {
    this.log.record(call);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Fault injection

  /**
   * The next `times` requests to `method` get `failure` instead of the normal answer. Use `'*'` for any method
   * (method-specific failures are consumed first). Failed attempts are recorded with `failed` set. `when`: only
   * requests whose arguments it accepts (one message's `chat.update` among the card's), the others answered normally.
   */
  failNext(method: string, failure: Failure, times = 1, when?: (args: SlackArgs) => boolean): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(when ? { failure, when } : { failure });
    this.failures.set(method, queue);
  }

  private takeFailure(method: string, args: SlackArgs): Failure | undefined {
    for (const key of [method, '*']) {
      const queue = this.failures.get(key);
      const at = queue?.findIndex((f) => !f.when || f.when(args)) ?? -1;
      if (!queue || at < 0) continue;
      const [f] = queue.splice(at, 1);
      if (queue.length === 0) this.failures.delete(key);
      if (f) return f.failure;
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // State

  /** Adds a pre-existing channel (e.g. `#incidents`). Returns its ID. The bot is a member unless `botIsMember: false`. */
  addChannel(
    name: string,
    opts: { id?: string; botIsMember?: boolean; members?: string[]; topic?: string; isPrivate?: boolean } = {},
  ): string {
    return this.workspace.addChannel(name, opts);
  }

  /** Registers a user for users.info (unknown U/W IDs still get a plausible generated user). */
  addUser(id: string, fields: Partial<Omit<LocalUser, 'id'>> = {}): LocalUser {
    return this.workspace.addUser(id, fields);
  }

  channelByName(name: string): LocalChannel | undefined {
    return this.workspace.channelByName(name);
  }

  /** Current (post-update, non-deleted) messages in a channel, oldest first. Accepts a channel ID, DM ID or user ID. */
  messagesIn(channel: string): StoredMessage[] {
    return this.workspace.messagesIn(channel);
  }

  /**
   * The messages the bot or people posted in a channel, oldest first, as {@link messagesIn} without the lines Slack
   * posts itself when someone joins or leaves ("<@U…> has joined the channel").
   */
  postedIn(channel: string): StoredMessage[] {
    return this.workspace.messagesIn(channel).filter((m) => !m.subtype);
  }

  /** A stored message by channel and ts (including deleted ones), or undefined. */
  message(channel: string, ts: string): StoredMessage | undefined {
    return this.workspace.message(channel, ts);
  }

  /** Ephemeral messages posted so far. */
  ephemeralMessages(): readonly Ephemeral[] {
    return this.workspace.ephemerals;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', this.origin);
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

    const failure = this.takeFailure(method, args);
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
    } else if (failure && 'until' in failure) {
      await failure.until.catch(() => {});
      if (this.closed) return;
      base.delayedMs = Date.now() - at;
    } else if (failure && 'takenThen' in failure) {
      // Done as asked, the answer an error: the caller cannot tell it was taken.
      const done = token ? this.handlers[method]?.(args) : undefined;
      const response = { ok: false, error: failure.takenThen };
      this.record({ ...base, failed: failure, response, ...(done ? { taken: done } : {}) });
      this.sendJson(res, response);
      return;
    } else if (failure) {
      this.record({ ...base, failed: failure });
      if (failure.status === 429) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(failure.retryAfter) });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      } else {
        res.writeHead(failure.status, { 'content-type': 'text/html' });
        const kind = failure.status < 500 ? 'Client' : 'Server';
        res.end(`<html><body><h1>${failure.status} ${kind} Error</h1><p>injected failure</p></body></html>`);
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
}
