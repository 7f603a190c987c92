import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { remoteAddress } from '../audit/bad-signatures.js';
import type { Accepted } from '../incidents/alert.service.js';
import {
  type ParsedDelivery,
  parseAlertmanager,
  parseGeneric,
  parseJson,
  SOURCE_PATTERN,
} from '../incidents/alert-formats.js';
import type { AlertRule } from '../incidents/alert-types.js';
import type { Logger } from '../incidents/ports.js';
import { cutToChars } from '../incidents/text.js';
import { DatabaseBusyError, DatabaseUnavailableError, isDatabaseUnavailable, mayHaveRun } from '../store/db.js';
import type { AlertAuth, AuthMethod } from './alert-auth.js';
import { reply } from './json-reply.js';
import type { AdvertisedRoute } from './not-found.js';
import { closeAfterAnswer, header, readBody as readRawBody } from './request-body.js';

export const HOOKS_PREFIX = '/hooks';
/** Bodies past this are refused (413): before reading when Content-Length says so, else once past it. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An alert source: the path it posts to, how it proves who it is, and how its payload reads. */
interface AlertSource {
  path: string;
  auth: readonly AuthMethod[];
  /** What its sender can do about a body over MAX_BODY_BYTES (the 413's second sentence). */
  tooLargeHint: string;
  /** The body's JSON as a delivery, or the problem with it; `url` carries the hook's query (`?source=`). */
  parse(value: unknown, rules: readonly AlertRule[], url: URL): ParsedDelivery;
}

const sourceParam = (url: URL): string | null => url.searchParams.get('source');

/**
 * Where alerts come from. A new source is a row: its path, the proofs it may carry, its parser. Alertmanager (and
 * Grafana Alerting, whose webhook contact point sends the same format as version 1) authenticates with a bearer token
 * (Alertmanager's `http_config.authorization`); the generic format also with an HMAC signature or a QStash signature.
 */
export const ALERT_SOURCES: Record<'alertmanager' | 'generic', AlertSource> = {
  alertmanager: {
    path: `${HOOKS_PREFIX}/alertmanager`,
    auth: ['bearer'],
    tooLargeHint:
      'Its group holds too many alerts for one delivery: set max_alerts on the webhook receiver (the alerts it leaves out are counted on the incident card), or group_by more labels.',
    parse(value, rules, url) {
      const named = url.searchParams.getAll('source');
      const source = sourceParam(url) ?? 'alertmanager';
      // A parameter it does not know (`?Source=grafana`, `?source[]=a`) would be taken for no source at all: these
      // alerts would be counted, grouped and stormed with another sender's.
      const unknown = [...new Set(url.searchParams.keys())].filter((k) => k !== 'source');
      const message = unknown.length
        ? `${cutToChars(unknown[0]!, 40)} (query): not a parameter this hook takes; it takes only source (?source=grafana)`
        : named.length > 1
          ? `source (query): given ${named.length} times (${named
              .slice(0, 3)
              .map((n) => JSON.stringify(cutToChars(n, 40)))
              .join(', ')}${named.length > 3 ? ', …' : ''}): name one source`
          : SOURCE_PATTERN.test(source)
            ? null
            : 'source (query): must be 1 to 64 letters, digits, dots, dashes, colons or underscores';
      if (message) return { ok: false, problem: { error: 'invalid_payload', message, problems: [message] } };
      return parseAlertmanager(value, rules, source);
    },
  },
  generic: {
    path: `${HOOKS_PREFIX}/alerts`,
    auth: ['bearer', 'hmac', 'qstash'],
    tooLargeHint: 'Send one alert per request, with a shorter summary and fewer labels.',
    parse: (value, rules) => parseGeneric(value, rules),
  },
};

export interface AlertHookDeps {
  auth: AlertAuth;
  rules: readonly AlertRule[];
  accept(delivery: Extract<ParsedDelivery, { ok: true }>['delivery'], body: string): Promise<Accepted>;
  /** How long the same body from the same source is taken for a resend of it (what `accept` is told). */
  duplicateWindowMs: number;
  log: Pick<Logger, 'warn' | 'info'>;
}

/**
 * The 503's sentence for a delivery that could not be written. Only a statement that never left (no connection could
 * be had) is known not to be recorded; one sent whose answer never came (a timeout, the connection lost after) may
 * have been committed all the same (a database frozen, then back): the sender is told so, and that the same body
 * sent again is recognised as the same delivery within the duplicate window (counted from the first copy written).
 */
export function unrecordedMessage(err: unknown, duplicateWindowMs: number): string {
  const window = `${Math.round(duplicateWindowMs / 1000)} s`;
  if (mayHaveRun(err)) {
    return (
      'The database did not answer in time: the delivery may have been recorded. Send it again: the same body from ' +
      `the same source within ${window} of the copy recorded is recognised as a resend (202 "duplicate") and not ` +
      'recorded twice.'
    );
  }
  const unreachable =
    err instanceof DatabaseUnavailableError || err instanceof DatabaseBusyError || isDatabaseUnavailable(err);
  return unreachable
    ? 'The database cannot be reached; nothing was recorded. Send it again.'
    : 'The delivery could not be recorded; nothing was kept. Send it again.';
}

/** The body as text; null when it is over `max` bytes (see readBody in request-body.ts): answer with tooLarge. */
export async function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  return (await readRawBody(req, max))?.toString('utf8') ?? null;
}

/** The compressions a body may come in (`Content-Encoding`), each read back to at most MAX_BODY_BYTES. */
const DECODERS: Record<string, (b: Buffer, o: { maxOutputLength: number }) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

type Decoded = { ok: true; body: string } | { ok: false; status: 400 | 413 | 415; body: Record<string, unknown> };

/**
 * A body as its sender wrote it: as it came, or read back from its `Content-Encoding` (gzip, deflate, br), then
 * checked and parsed as any other. What cannot be read back is refused naming why, never read as JSON garbage; one
 * over MAX_BODY_BYTES once read back gets the 413 with `tooLargeHint` (what its sender can do about it).
 */
export async function decodeBody(raw: Buffer, encoding: string | undefined, tooLargeHint = ''): Promise<Decoded> {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return asText(raw);
  const decode = DECODERS[enc];
  if (!decode) {
    const message = `Content-Encoding "${cutToChars(enc, 40)}" is not read: send the body as it is, or as ${Object.keys(DECODERS).join(', ')}.`;
    return { ok: false, status: 415, body: { error: 'unsupported_encoding', message } };
  }
  try {
    const read = await decode(raw, { maxOutputLength: MAX_BODY_BYTES });
    return asText(read, ' once read back');
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      return {
        ok: false,
        status: 413,
        body: { error: 'too_large', message: tooLargeMessage(tooLargeHint, ' once read back') },
      };
    }
    const message = `the body is not valid ${enc} (Content-Encoding): send it again as it is, or compressed whole`;
    return { ok: false, status: 400, body: { error: 'malformed_body', message, problems: [message] } };
  }
}

/**
 * The bytes as text, when they are UTF-8 (JSON's encoding): bytes that are not (Latin-1 text, binary) are refused
 * naming it, never stored with U+FFFD in their place, which changed what the sender sent (a label key `c\xff\xfe1`
 * became another key). A NUL or a lone surrogate written as a JSON escape is valid UTF-8 and read as ever.
 */
function asText(bytes: Buffer, how = ''): Decoded {
  if (isUtf8(bytes)) return { ok: true, body: bytes.toString('utf8') };
  const message = `the body is not valid UTF-8${how}: JSON must be sent as UTF-8 (text in another encoding, such as Latin-1, or binary bytes, cannot be read)`;
  return { ok: false, status: 400, body: { error: 'malformed_body', message, problems: [message] } };
}

/** The 413's message: the body over MAX_BODY_BYTES (`how`: as sent, or once read back), then what its sender can do. */
const tooLargeMessage = (hint: string, how = '') =>
  `The body is over ${MAX_BODY_BYTES} bytes (1 MB)${how}.${hint ? ` ${hint}` : ''}`;

/**
 * 413 for a body over MAX_BODY_BYTES, answered before the rest of it is read; then the connection is closed. `hint`
 * says what the sender can do about it.
 */
export function tooLarge(req: IncomingMessage, res: ServerResponse, hint = ''): void {
  closeAfterAnswer(req, res);
  reply(res, 413, { error: 'too_large', message: tooLargeMessage(hint) });
}

/**
 * QStash's id of the message a delivery carries (`Upstash-Message-Id`), the same on each of its retries: a retry is
 * known by it. Not signed, but the body it comes with is, and the id only ever makes a delivery a copy of one already
 * written from the same source. Undefined when absent or not an id (over 200 characters).
 */
function qstashMessageId(req: IncomingMessage): string | undefined {
  const id = header(req, 'upstash-message-id')?.trim();
  return id && id.length <= 200 ? id : undefined;
}

/** The 404's message of an alert hook while no proof of origin is configured. */
export const ALERTS_NOT_RECEIVED =
  'Alerts are not received: set ALERTS_TOKEN (or ALERTS_SIGNING_SECRET or the QStash signing keys).';

/** One hook: method, configured, size, proof of origin, JSON, payload; then the delivery is written and 202. */
async function handle(src: AlertSource, deps: AlertHookDeps, req: IncomingMessage, res: ServerResponse) {
  if (req.method !== 'POST') {
    req.resume();
    return reply(res, 405, { error: 'method_not_allowed', message: `${src.path} takes POST.` }, { allow: 'POST' });
  }
  if (!deps.auth.configured(src.auth)) {
    req.resume();
    return reply(res, 404, { error: 'not_found', message: ALERTS_NOT_RECEIVED });
  }
  const raw = await readRawBody(req, MAX_BODY_BYTES);
  if (raw === null) return tooLarge(req, res, src.tooLargeHint);
  const decoded = await decodeBody(raw, header(req, 'content-encoding'), src.tooLargeHint);
  if (!decoded.ok) return reply(res, decoded.status, decoded.body);
  const body = decoded.body;
  const who = await deps.auth.check(req, body, src.auth);
  if (!who.ok) {
    deps.log.warn(`Refused alerts posted to ${src.path} from ${remoteAddress(req)}: ${who.reason}`);
    return reply(
      res,
      401,
      { error: 'unauthorized', message: `Refused: ${who.reason}.` },
      src.auth.includes('bearer') ? { 'www-authenticate': 'Bearer' } : {},
    );
  }
  const json = parseJson(body);
  const url = new URL(req.url ?? '/', 'http://localhost');
  const parsed = json.ok ? src.parse(json.value, deps.rules, url) : json;
  if (!parsed.ok) return reply(res, 400, { ...parsed.problem });
  const senderId = who.method === 'qstash' ? qstashMessageId(req) : undefined;
  const r = await deps.accept(
    { ...parsed.delivery, ...(senderId ? { senderId } : {}), ...(who.proof ? { proof: who.proof } : {}) },
    body,
  );
  reply(res, 202, { status: r.duplicate ? 'duplicate' : 'accepted', delivery: r.delivery, alerts: r.alerts });
}

const HOOK_PATHS = () =>
  Object.values(ALERT_SOURCES)
    .map((s) => s.path)
    .join(' or ');

/** The 404's sentence for a path under /hooks that is no hook, and why when it is not plain. */
export function noHook(path: string, why = ''): string {
  return `No hook at ${cutToChars(path, 200)}${why}; alerts go to ${HOOK_PATHS()}.`;
}

/** A path with its percent-escapes read (one that does not read is left as it is), as a lenient server reads it. */
function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

const TRAILING_SLASH = ' (no trailing slash: a path under /hooks is taken as written)';

/** Whether a path is /hooks or under it by any reading: escapes decoded, `\` as `/`, slashes doubled, any case. */
const looselyUnderHooks = (path: string) => /^\/+hooks(\/|$)/i.test(decoded(path).replaceAll('\\', '/'));

/**
 * Why a request's path, as sent, is refused before any route is looked for (the 404's message); null for every other
 * path, routed as ever. Bolt routes by the path a URL parser resolves (`%2e%2e` is a `..`, `\` a `/`, `//hooks/…` a
 * host) and matches its routes in any case: `/hooks/%2e%2e/slack/events` reached the Slack handler, `/HOOKS/alerts`
 * the hook and `//hooks/alerts` nothing (an empty 404). Paths are case-sensitive, as Slack's `/slack/events` is and
 * as URLs are (RFC 3986): a path under /hooks by any reading (or resolving there) is passed on only when it is
 * written as the hooks are, `/hooks/…` exactly, with nothing a parser would resolve and no trailing slash; every other
 * is a JSON 404 naming why, and never reaches another handler.
 */
export function strayHookPath(url: string): string | null {
  const raw = url.split(/[?#]/)[0] ?? '';
  const resolved = URL.canParse(raw, 'http://localhost') ? new URL(raw, 'http://localhost').pathname : null;
  if (!looselyUnderHooks(raw) && !(resolved !== null && looselyUnderHooks(resolved))) return null;
  const plain = resolved === raw;
  // A hook with a trailing slash: Bolt's router (path-to-regexp) would take `/hooks/alerts/` as `/hooks/alerts`, the
  // acknowledging front would not; refused here, before either, as Slack's `/slack/events/` is. (`/hooks/` itself is
  // the catch-all's plain 404.)
  if (plain && /^\/hooks\/.+\/$/.test(raw)) return noHook(raw, TRAILING_SLASH);
  if (plain && /^\/hooks(\/|$)/.test(raw)) return null;
  if (plain && /^\/hooks(\/|$)/i.test(raw)) return noHook(raw, ' (paths are case-sensitive)');
  return noHook(
    raw,
    ' (a path under /hooks is taken as written: no dot segments, doubled slashes, backslashes or escaped separators)',
  );
}

/**
 * The bot's HTTP server behind stray paths under /hooks (see strayHookPath): the one place they are refused, before
 * Bolt's router (HTTP mode, behind the acknowledging front or not) or its Socket Mode server (health, hooks) sees them.
 */
export function refuseStrayHookPaths(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const stray = strayHookPath(req.url ?? '/');
    if (stray === null) return listener(req, res);
    req.resume();
    reply(res, 404, { error: 'not_found', message: stray });
  };
}

/**
 * The hooks as routes of the bot's HTTP server (Bolt's receiver in HTTP mode, its health server in Socket Mode):
 * `POST /hooks/alertmanager`, `POST /hooks/alerts`, and a JSON 404 for any other path under /hooks (`/hooks` and
 * `/hooks/` too). Nothing a sender does
 * gets a 5xx, save the database being unreachable (503: nothing was recorded, or, when the statement was sent and no
 * answer came, it may have been; either way send it again, a resend being recognised: unrecordedMessage).
 */
export function alertHookRoutes(deps: AlertHookDeps): AdvertisedRoute[] {
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
  const guarded =
    (fn: (req: IncomingMessage, res: ServerResponse) => Promise<void>) =>
    (req: IncomingMessage, res: ServerResponse) => {
      fn(req, res).catch((err) => {
        deps.log.warn(`alerts posted to ${req.url} could not be recorded`, err);
        reply(res, 503, { error: 'unavailable', message: unrecordedMessage(err, deps.duplicateWindowMs) });
      });
    };
  return [
    ...Object.values(ALERT_SOURCES).map(
      (src): AdvertisedRoute => ({
        path: src.path,
        method: methods,
        // Listed among what the server has once it receives alerts (a proof of origin is configured).
        advertised: deps.auth.configured(src.auth) ? ['POST'] : [],
        handler: guarded((req, res) => handle(src, deps, req, res)),
      }),
    ),
    {
      // `/hooks` itself and `/hooks/` too (path-to-regexp 8: the braces make the rest optional).
      path: `${HOOKS_PREFIX}{/*rest}`,
      method: methods,
      handler: guarded(async (req, res) => {
        req.resume();
        reply(res, 404, { error: 'not_found', message: noHook(new URL(req.url ?? '/', 'http://localhost').pathname) });
      }),
    },
  ];
}
