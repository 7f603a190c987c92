import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** How long a request may take to arrive whole, headers and body (REQUEST_TIMEOUT_MS): Node's own default. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;

/** How long a connection that was answered and closed at the edge waits for its sender to close its side. */
const CLOSE_WAIT_MS = 1_000;

export interface EdgeTimeouts {
  /** How long idle keep-alive connections stay open (Node's default when unset). */
  keepAliveMs?: number | undefined;
  /** How long a request may take to arrive whole (DEFAULT_REQUEST_TIMEOUT_MS when unset). */
  requestTimeoutMs?: number | undefined;
}

/**
 * The server's timeouts, as options for createServer (the time between checks is read when it starts listening): a
 * request not whole after requestTimeoutMs is answered 408 (answerAtTheEdge), checked a quarter of that often (Node
 * checks every 30 s, which would let a 2 s limit run to 32 s).
 */
export function edgeServerOptions({ keepAliveMs, requestTimeoutMs }: EdgeTimeouts): ServerOptions {
  const requestTimeout = requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return {
    requestTimeout,
    // The headers must come within the request's time too; a keep-alive longer than it leaves them that long.
    headersTimeout: Math.min(requestTimeout, keepAliveMs === undefined ? 60_000 : keepAliveMs + 1000),
    ...(keepAliveMs === undefined ? {} : { keepAliveTimeout: keepAliveMs }),
    connectionsCheckingInterval: Math.max(250, Math.min(30_000, Math.floor(requestTimeout / 4))),
  };
}

/** Sets a server's timeouts (before it listens) as edgeServerOptions gives them. */
export function setEdgeTimeouts(server: Server, timeouts: EdgeTimeouts): void {
  Object.assign(server, edgeServerOptions(timeouts));
}

/**
 * What a request refused before its body is asked for (`Expect: 100-continue`) gets: answered here, true; false for
 * one whose body is wanted (it is then sent 100 Continue and handled as any).
 */
export type RefuseBeforeBody = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

interface EdgeAnswer {
  status: number;
  reason: string;
  body: { error: string; message: string };
}

/** The answer to a request Node's parser gave up on (`err`), in the words of the bot's other errors. */
function edgeAnswer(err: NodeJS.ErrnoException, requestTimeoutMs: number): EdgeAnswer {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const seconds = Math.round(requestTimeoutMs / 100) / 10;
    return {
      status: 408,
      reason: 'Request Timeout',
      body: {
        error: 'request_timeout',
        message: `The request did not arrive whole within ${seconds} s (its headers or its body stopped coming): it was not acted on. Send it again.`,
      },
    };
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      reason: 'Request Header Fields Too Large',
      body: { error: 'headers_too_large', message: 'The request headers are too large: it was not read.' },
    };
  }
  return {
    status: 400,
    reason: 'Bad Request',
    body: {
      error: 'bad_request',
      message: `The request is not valid HTTP/1.1 (${err.code ?? err.message}): it was not read.`,
    },
  };
}

/**
 * What Node answers bare at a server's edge, answered as the bot's other errors are (a JSON body naming the problem):
 * a request that did not arrive whole in time (408), headers too large (431), one that is not HTTP (400). And a
 * request that waits for `100 Continue` before sending its body is asked for it only if `refuseBeforeBody` does not
 * refuse it first (a body too large, by its Content-Length: 413 without reading a byte of it). Node's default sends
 * 100 Continue to every such request and reads the body before any handler can look at its headers.
 */
export function answerAtTheEdge(
  server: Server,
  {
    requestTimeoutMs,
    refuseBeforeBody,
  }: { requestTimeoutMs?: number | undefined; refuseBeforeBody?: RefuseBeforeBody },
): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, reason, body } = edgeAnswer(err, requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    const json = JSON.stringify(body);
    if (inFlight) {
      // A request being handled (its body never came): answered through its response, so its handler answers nothing.
      inFlight.shouldKeepAlive = false;
      inFlight.writeHead(status, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        connection: 'close',
      });
      inFlight.end(json);
    } else {
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n` +
          `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
      );
    }
    const timer = setTimeout(() => socket.destroy(), CLOSE_WAIT_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const handle = (refused: boolean) => {
      if (refused) return;
      res.writeContinue();
      server.emit('request', req, res);
    };
    let refused: boolean | Promise<boolean> = false;
    try {
      refused = refuseBeforeBody?.(req, res) ?? false;
    } catch {
      refused = false;
    }
    if (typeof refused === 'boolean') handle(refused);
    else refused.then(handle, () => handle(false));
  });
}
