import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HTTPSServer } from 'node:https';
import type { ListenOptions } from 'node:net';
import {
  type App,
  HTTPModuleFunctions,
  HTTPReceiver,
  type HTTPReceiverOptions,
  type Logger,
  type ReceiverEvent,
  SocketModeReceiver,
  type SocketModeReceiverOptions,
} from '@slack/bolt';
import type { RequestKind } from '../metrics/metrics.js';
import { clockSkew, MAX_CLOCK_SKEW_SECONDS } from './ack-front.rules.js';
import { refuseStrayHookPaths } from './alert-hooks.js';
import { hookNotFoundBeforeBody, hookRefusedBeforeBody, unservedHooks } from './hooks-before-body.js';
import { type NotFoundPaths, notFoundBeforeBody, notFoundPaths } from './not-found.js';
import { answerAtTheEdge, edgeServerOptions, setEdgeTimeouts } from './server-edges.js';

// The clock check is the front's too (ack-front.rules.ts: no Bolt there); the tests and callers read it here.
export { clockSkew, MAX_CLOCK_SKEW_SECONDS };

/**
 * Bolt's receiver reads `ssl_check` of whatever a signed body parsed to, in a promise nothing awaits: a body of `null`
 * (JSON, or `payload=null`) threw there, and the unhandled rejection ended the process, every incident's bot gone for
 * one request. A body that parses to no object is read as an empty one, which the app acknowledges with an empty 200
 * (acknowledgingEverything). Bolt's receiver calls the function through this module object at each request.
 */
const parseBody = HTTPModuleFunctions.parseHTTPRequestBody;
Object.assign(HTTPModuleFunctions, {
  parseHTTPRequestBody: (req: Parameters<typeof parseBody>[0]): ReturnType<typeof parseBody> => {
    const body = parseBody(req);
    return body !== null && typeof body === 'object' ? body : {};
  },
});

/** Told how long each request took to be acknowledged, from the moment the receiver handed it to the app. */
export type AckObserver = (kind: RequestKind, seconds: number) => void;

/** What kind of request a body is: a slash command, a button or select, a form, an event, … */
export function requestKind(body: unknown): RequestKind {
  const b = (body ?? {}) as { command?: unknown; type?: unknown };
  if (typeof b.command === 'string') return 'command';
  switch (b.type) {
    case 'block_actions':
    case 'interactive_message':
      return 'action';
    case 'view_submission':
    case 'view_closed':
      return 'view';
    case 'event_callback':
      return 'event';
    case 'shortcut':
    case 'message_action':
      return 'shortcut';
    case 'block_suggestion':
      return 'options';
    default:
      return 'other';
  }
}

/**
 * The app as the receiver sees it, acknowledging every request it is given. Slack waits 3 s for an answer to each
 * request and then shows the person an error; Bolt leaves unanswered what it has no listener for (answered 404 after
 * 3 s, with an error logged) or cannot read (a payload without `user` throws before any middleware: 500). Here a
 * request still unanswered when the app is done with it is acknowledged with an empty 200, and one the app could not
 * read is logged as a warning and acknowledged the same way: Slack gets an answer at once and never a 5xx.
 */
export function acknowledgingEverything(app: App, logger: Pick<Logger, 'warn' | 'debug'>, onAck?: AckObserver): App {
  const processEvent = async (event: ReceiverEvent): Promise<void> => {
    let acked = false;
    const started = performance.now();
    const ack: ReceiverEvent['ack'] = (response) => {
      if (!acked) onAck?.(requestKind(event.body), (performance.now() - started) / 1000);
      acked = true;
      return event.ack(response);
    };
    try {
      await app.processEvent({ ...event, ack });
    } catch (err) {
      logger.warn(`Ignored a request the app could not read (${(err as Error)?.message ?? err})`);
    }
    if (acked) return;
    logger.debug('Acknowledged a request nothing answered');
    await ack().catch((err) => logger.debug(`Could not acknowledge it: ${(err as Error)?.message ?? err}`));
  };
  // Everything else the receiver might ask of the app is the app's own.
  return Object.assign(Object.create(app) as App, { processEvent });
}

export interface SlackHttpReceiverOptions extends HTTPReceiverOptions {
  /** The clock the timestamps are checked against (tests move it). */
  now?: () => number;
  /** Told how long each request took to be acknowledged (the metrics). */
  onAck?: AckObserver;
  /** How long idle connections stay open (Node's default when unset). */
  keepAliveMs?: number;
  /** How long a request may take to arrive whole before it is answered 408 (DEFAULT_REQUEST_TIMEOUT_MS when unset). */
  requestTimeoutMs?: number;
}

/** Where Slack posts its requests in HTTP mode (Bolt's default endpoint). */
export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * Bolt's HTTP receiver, with the request timestamp checked in both directions. Bolt verifies the `v0` signature and
 * refuses a timestamp more than five minutes in the past, but takes one from any time in the future: a request signed
 * with a timestamp ahead of time could be replayed until then. This receiver answers a request whose timestamp is more
 * than five minutes off either way with 401, as Bolt answers a bad signature, before Bolt reads it; every other request
 * goes to Bolt's own listener unchanged, signature verification and all. Every request it hands to the app is
 * answered (acknowledgingEverything).
 */
export class SlackHttpReceiver extends HTTPReceiver {
  private log: Pick<Logger, 'warn'> | undefined;
  private readonly onAck: AckObserver | undefined;
  protected readonly keepAliveMs: number | undefined;
  protected readonly requestTimeoutMs: number | undefined;

  /** The hooks not configured here: a body too large for one is not refused before its 404 (hookRefusedBeforeBody). */
  protected readonly unservedHooks: string[];
  /** The paths served and what a 404 lists: a path none serves is refused before its body is asked for. */
  protected readonly notFound: NotFoundPaths;

  constructor({ now = Date.now, onAck, keepAliveMs, requestTimeoutMs, ...options }: SlackHttpReceiverOptions) {
    super(options);
    this.unservedHooks = unservedHooks(options.customRoutes);
    this.notFound = notFoundPaths(options.customRoutes ?? [], SLACK_EVENTS_PATH);
    this.keepAliveMs = keepAliveMs;
    this.requestTimeoutMs = requestTimeoutMs;
    if (options.signatureVerification === false) throw new Error('SlackHttpReceiver checks signed requests only');
    this.onAck = onAck;
    const verifyAndHandle = this.requestListener;
    this.requestListener = refuseStrayHookPaths((req: IncomingMessage, res: ServerResponse) => {
      const skew = req.method === 'POST' ? clockSkew(req.headers['x-slack-request-timestamp'], now()) : null;
      if (skew === null) return verifyAndHandle(req, res);
      this.log?.warn(
        `Refused a request: its x-slack-request-timestamp is ${Math.abs(skew)} s in the ${skew > 0 ? 'future' : 'past'}, more than ${MAX_CLOCK_SKEW_SECONDS} s from this machine's clock`,
      );
      // The body is not read: drain it so the connection can be reused.
      req.resume();
      res.writeHead(401);
      res.end();
    });
  }

  // Bolt's overloads type the result as an HTTPS server when given TLS options; this receiver takes none.
  // Its timeouts are given as the server's options: the time between Node's checks of them is read as it listens.
  override start(listen?: number | string | ListenOptions): Promise<HTTPSServer> {
    const timeouts = { keepAliveMs: this.keepAliveMs, requestTimeoutMs: this.requestTimeoutMs };
    return (super.start(listen as number, edgeServerOptions(timeouts)) as Promise<Server>).then((server) => {
      answerAtTheEdge(server, {
        requestTimeoutMs: this.requestTimeoutMs,
        refuseBeforeBody: (req, res) =>
          hookNotFoundBeforeBody(req, res, this.unservedHooks) ||
          hookRefusedBeforeBody(req, res, this.unservedHooks) ||
          notFoundBeforeBody(req, res, this.notFound),
      });
      return server as unknown as HTTPSServer;
    });
  }

  override init(app: App): void {
    this.log = app.logger;
    super.init(acknowledgingEverything(app, app.logger, this.onAck));
  }
}

/**
 * Bolt's Socket Mode receiver, with every envelope it hands to the app answered (acknowledgingEverything): Slack
 * resends an envelope nobody acknowledged, and Bolt logs a payload it cannot read as an error.
 */
export class SlackSocketReceiver extends SocketModeReceiver {
  private readonly host: string | undefined;
  private readonly onAck: AckObserver | undefined;

  constructor({
    host,
    onAck,
    requestTimeoutMs,
    ...options
  }: SocketModeReceiverOptions & { host?: string; onAck?: AckObserver; requestTimeoutMs?: number }) {
    super(options);
    this.host = host;
    this.onAck = onAck;
    // Its server (health, the hooks) refuses stray paths under /hooks before Bolt's router, as the HTTP receiver does.
    const server = (this as unknown as { httpServer?: Server }).httpServer;
    if (server) {
      setEdgeTimeouts(server, { requestTimeoutMs });
      const unserved = unservedHooks(options.customRoutes);
      const notFound = notFoundPaths(options.customRoutes ?? []);
      answerAtTheEdge(server, {
        requestTimeoutMs,
        refuseBeforeBody: (req, res) =>
          hookNotFoundBeforeBody(req, res, unserved) ||
          hookRefusedBeforeBody(req, res, unserved) ||
          notFoundBeforeBody(req, res, notFound),
      });
    }
    const [route] = server?.listeners('request') ?? [];
    if (server && route) {
      server.removeAllListeners('request');
      server.on('request', refuseStrayHookPaths(route as (req: IncomingMessage, res: ServerResponse) => void));
    }
  }

  override init(app: App): void {
    super.init(acknowledgingEverything(app, app.logger, this.onAck));
  }

  /**
   * Bolt's start listens for the custom routes (health) on the port alone, on every interface, and does not wait:
   * a port in use would crash the process later. Here the server listens on HOST when set, and start waits for it,
   * failing with the listen error, before Socket Mode connects.
   */
  override async start(): ReturnType<SocketModeReceiver['start']> {
    const own = this as unknown as { httpServer?: Server; httpServerPort?: number };
    const server = own.httpServer;
    if (server) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: own.httpServerPort, ...(this.host ? { host: this.host } : {}) }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
    return this.client.start();
  }
}
