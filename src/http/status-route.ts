import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../incidents/ports.js';
import type { StatusPage, StatusSnapshot } from '../incidents/status-page.js';
import { renderStatusAtom, renderStatusJson } from '../templates/status-feed.js';
import { renderStatusPage, STATUS_PAGE_STYLE } from '../templates/status-page.js';
import type { HealthRoute } from './health.js';

export const STATUS_PATHS = { page: '/status', json: '/status.json', atom: '/status.atom' } as const;

export interface StatusRouteOptions {
  title: string;
  companyStatusUrl?: string;
  historyDays: number;
  /**
   * The bot's public URL (PUBLIC_BASE_URL, no trailing slash): every absolute link of the page and the feeds starts with
   * it. Unset: the feed's links are built from the request (publicUrl), the page's are relative.
   */
  publicBaseUrl?: string;
  /** The zone the page and its feed give times in (TIME_ZONE); UTC when unset. */
  timeZone?: string;
}

/** Browsers and proxies may keep a read this long; the page itself reads the database at most every few seconds. */
const MAX_AGE_SECONDS = 15;

/** Only the page's own inline style; no script, no frames, no forms, nothing fetched. */
const CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STATUS_PAGE_STYLE).digest('base64')}'`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const COMMON_HEADERS = {
  'cache-control': `public, max-age=${MAX_AGE_SECONDS}`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * What a response built with publicUrl varies by: the feed's links follow whatever X-Forwarded-Host a request sent, and
 * a shared cache that kept one feed for every reader served a forged host's links to all (found from outside:
 * `X-Forwarded-Host: evil.example` made every link https://evil.example/…, cached `public` for 15 s, no Vary).
 */
const BUILT_FROM_HOST = { vary: 'Host, X-Forwarded-Host, X-Forwarded-Proto' } as const;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();

/**
 * The absolute URL of `path` as the reader reached the bot: behind a proxy its `X-Forwarded-Proto` and
 * `X-Forwarded-Host`, else the `Host` header. A host that is not a host name (and port) is not used. A response built
 * with it says so (BUILT_FROM_HOST): anyone may send those headers.
 */
export function publicUrl(req: IncomingMessage, path: string): string {
  const protoHeader = first(req.headers['x-forwarded-proto']);
  const proto =
    protoHeader === 'https' || protoHeader === 'http'
      ? protoHeader
      : (req.socket as { encrypted?: boolean }).encrypted
        ? 'https'
        : 'http';
  const hostHeader = first(req.headers['x-forwarded-host']) ?? req.headers.host ?? '';
  const host = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(hostHeader)
    ? hostHeader
    : 'localhost';
  return `${proto}://${host}${path}`;
}

type Render = (
  s: StatusSnapshot,
  req: IncomingMessage,
) => { type: string; body: string; headers?: Record<string, string> };

function route(
  path: string,
  page: Pick<StatusPage, 'snapshot'>,
  log: Pick<Logger, 'warn'>,
  render: Render,
  unavailable: { type: string; body: string },
): HealthRoute[] {
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    let snapshot: StatusSnapshot;
    try {
      snapshot = await page.snapshot();
    } catch (err) {
      log.warn(`the status page could not be read: ${err instanceof Error ? err.message : String(err)}`);
      res.writeHead(503, {
        'content-type': unavailable.type,
        'cache-control': 'no-store',
        'retry-after': '30',
        'x-content-type-options': 'nosniff',
      });
      res.end(unavailable.body);
      return;
    }
    const { type, body, headers } = render(snapshot, req);
    res.writeHead(200, { 'content-type': type, ...COMMON_HEADERS, ...headers });
    res.end(body);
  };
  // HEAD (uptime monitors: UptimeRobot's default, `curl -I`) is answered by this handler too, through the server's
  // last route (http/not-found.ts), as for every GET route.
  return [{ path, method: 'GET', handler }];
}

/**
 * `GET /status` (HTML), `/status.json` and `/status.atom`: the public status page and its feeds, served with the
 * bot's other routes (on Bolt's HTTP receiver, or in Socket Mode on the health server), to GET (and HEAD). Public: no
 * token. When the database cannot be read, 503 with a short message in the route's own format.
 */
export function statusRoutes(
  page: Pick<StatusPage, 'snapshot'>,
  o: StatusRouteOptions,
  log: Pick<Logger, 'warn'>,
): HealthRoute[] {
  const company = o.companyStatusUrl ? { companyStatusUrl: o.companyStatusUrl } : {};
  // The page and both feeds give (and name) times in one zone.
  const zone = o.timeZone ? { timeZone: o.timeZone } : {};
  const base = o.publicBaseUrl;
  // A link of the feed: from PUBLIC_BASE_URL when set (the same to every reader), else as the reader reached the bot.
  const linkTo = (req: IncomingMessage, path: string) => (base ? `${base}${path}` : publicUrl(req, path));
  const sorry = 'The status page cannot be read right now. Try again in a minute.';
  return [
    ...route(
      STATUS_PATHS.page,
      page,
      log,
      (s) => ({
        type: 'text/html; charset=utf-8',
        body: renderStatusPage(s, {
          title: o.title,
          historyDays: o.historyDays,
          ...zone,
          ...company,
          ...(base ? { publicBaseUrl: base } : {}),
        }),
        headers: { 'content-security-policy': CSP },
      }),
      { type: 'text/plain; charset=utf-8', body: sorry },
    ),
    ...route(
      STATUS_PATHS.json,
      page,
      log,
      (s) => ({
        type: 'application/json; charset=utf-8',
        body: JSON.stringify(renderStatusJson(s, { title: o.title, historyDays: o.historyDays, ...zone, ...company })),
        // Public data: a widget on another site may read it.
        headers: { 'access-control-allow-origin': '*' },
      }),
      { type: 'application/json; charset=utf-8', body: JSON.stringify({ error: 'unavailable', message: sorry }) },
    ),
    ...route(
      STATUS_PATHS.atom,
      page,
      log,
      (s, req) => ({
        type: 'application/atom+xml; charset=utf-8',
        body: renderStatusAtom(s, {
          title: o.title,
          selfUrl: linkTo(req, STATUS_PATHS.atom),
          pageUrl: linkTo(req, STATUS_PATHS.page),
          ...zone,
          ...company,
        }),
        headers: base ? {} : { ...BUILT_FROM_HOST },
      }),
      { type: 'text/plain; charset=utf-8', body: sorry },
    ),
  ];
}
