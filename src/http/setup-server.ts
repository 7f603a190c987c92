import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ALERT_SOURCES } from './alert-hooks.js';
import { AUDIT_PATH } from './audit-route.js';
import type { HealthRoute } from './health.js';
import { METRICS_PATH } from './metrics-route.js';
import { PAGERDUTY_HOOK_PATH } from './pagerduty-hook.js';
import { isPostmortemPath } from './postmortem-route.js';
import { closeAfterAnswer } from './request-body.js';
import { answerAtTheEdge, type EdgeTimeouts, edgeServerOptions } from './server-edges.js';
import { STATUS_PATHS } from './status-route.js';

const MANIFEST = fileURLToPath(new URL('../../manifest.yml', import.meta.url));

export const SETUP_INSTRUCTIONS = `The bot has no Slack credentials yet, so it is running in set-up mode.

To connect it to Slack:
  1. Go to https://api.slack.com/apps -> Create New App -> From an app manifest,
     pick your workspace and paste manifest.yml (also served at /manifest.yml here).
  2. Install the app to the workspace (Install App), then set:
       SLACK_BOT_TOKEN       Bot User OAuth Token (xoxb-...), from OAuth & Permissions
     and, for HTTP mode (Slack calls https://<your-host>/slack/events):
       SLACK_SIGNING_SECRET  Signing Secret, from Basic Information -> App Credentials
     or, for Socket Mode (no public URL needed; enable Socket Mode in the app settings):
       SLACK_APP_TOKEN       App-level token (xapp-...) with the connections:write scope
  3. Optionally INCIDENTS_CHANNEL (a channel ID such as C0123456789, or a name such as
     #incidents) to announce incidents, and DATABASE_URL for Postgres (without it an
     embedded database is kept in DATA_DIR).
  4. Run npm start again.
`;

/**
 * The paths (as written, no query) the configured bot serves beyond set-up mode's own: Slack's events, the alert and
 * PagerDuty hooks, the admin and status pages. They answer 503 `not_configured` here (the bot will serve them once it
 * has its credentials); any other path is a 404, as it will stay.
 */
export function servedOnceConfigured(path: string): boolean {
  return (
    path === '/slack/events' ||
    Object.values(ALERT_SOURCES).some((s) => s.path === path) ||
    path === PAGERDUTY_HOOK_PATH ||
    path === AUDIT_PATH ||
    path === METRICS_PATH ||
    Object.values(STATUS_PATHS).some((p) => p === path) ||
    isPostmortemPath(path)
  );
}

/** The path asked for, as written, without its query. */
const pathOf = (req: IncomingMessage): string => (req.url ?? '/').split('?')[0] ?? '/';
/**
 * The method asked, HEAD as GET (Node sends no body for it), as the configured bot does: an uptime checker or a load
 * balancer that asks HEAD /alive sees the process alive.
 */
const askedOf = (req: IncomingMessage): string | undefined => (req.method === 'HEAD' ? 'GET' : req.method);

interface Refusal {
  status: number;
  body: { error: string; message: string };
  headers?: Record<string, string>;
}

const json = (res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

/**
 * With no credentials, `npm start` still serves something useful: the instructions, the manifest and health. Its edge
 * answers as the configured bot's does (answerAtTheEdge): a request that does not arrive whole within
 * `requestTimeoutMs` (REQUEST_TIMEOUT_MS) gets the same JSON 408, not Node's bare one.
 */
export function startSetupServer(
  port: number,
  host: string | undefined,
  routes: HealthRoute[],
  { requestTimeoutMs }: EdgeTimeouts = {},
): Promise<Server> {
  /** Set-up mode's own pages: path -> method. */
  const own = new Map<string, string>([
    ['/', 'GET'],
    ['/manifest.yml', 'GET'],
    ...routes.map((r) => [r.path, r.method] as [string, string]),
  ]);
  /** What a request is refused (404, 405, 503), by its path and method alone: null for set-up mode's own pages. */
  const refusalOf = (req: IncomingMessage): Refusal | null => {
    const path = pathOf(req);
    const asked = askedOf(req);
    if (routes.some((r) => r.path === path && r.method === asked)) return null;
    if (asked === 'GET' && (path === '/' || path === '/manifest.yml')) return null;
    const method = own.get(path);
    if (method) {
      const allow = method === 'GET' ? 'GET, HEAD' : method;
      return {
        status: 405,
        body: { error: 'method_not_allowed', message: `${path} takes ${allow}.` },
        headers: { allow },
      };
    }
    if (servedOnceConfigured(path)) {
      return {
        status: 503,
        body: {
          error: 'not_configured',
          message: 'Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN); see GET /',
        },
      };
    }
    return {
      status: 404,
      body: {
        error: 'not_found',
        message: `Nothing at ${path.slice(0, 200)}. The bot is in set-up mode: GET / says what it needs.`,
      },
    };
  };
  const server = createServer(edgeServerOptions({ requestTimeoutMs }), (req, res) => {
    const refusal = refusalOf(req);
    if (refusal) {
      // What is not read is drained, so the connection can be reused.
      req.resume();
      json(res, refusal.status, refusal.body, refusal.headers);
      return;
    }
    const path = pathOf(req);
    const asked = askedOf(req);
    const route = routes.find((r) => r.path === path && r.method === asked);
    if (route) {
      void route.handler(req, res);
      return;
    }
    if (path === '/manifest.yml') {
      res.writeHead(200, { 'content-type': 'text/yaml; charset=utf-8' });
      res.end(readFileSync(MANIFEST, 'utf8'));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(SETUP_INSTRUCTIONS);
  });
  // A request sent with `Expect: 100-continue` to what is refused anyway is answered without asking for its body (as
  // the configured bot refuses a hook's body too large): Node's default sends 100 Continue first, and the sender
  // uploads a body that is then thrown away. Not read, the rest of it is dropped and the connection closed after.
  answerAtTheEdge(server, {
    requestTimeoutMs,
    refuseBeforeBody: (req, res) => {
      const refusal = refusalOf(req);
      if (!refusal) return false;
      closeAfterAnswer(req, res);
      json(res, refusal.status, refusal.body, refusal.headers);
      return true;
    },
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
