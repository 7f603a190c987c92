import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { reply } from './json-reply.js';
import { closeAfterAnswer } from './request-body.js';

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** A route's path as a pattern: `:name` segments stand for any one segment. */
function pathPattern(path: string): RegExp {
  const escaped = path
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}$`);
}

const methodsOf = (r: CustomRoute) => (Array.isArray(r.method) ? r.method : [r.method]).map((m) => m.toUpperCase());

/**
 * A route that takes every method to answer the wrong ones itself (the hooks: their own 405 in JSON, their own 404
 * under /hooks) says which it serves, for the 404's list of what the server has: none while it is not configured (it
 * answers 404 then).
 */
export type AdvertisedRoute = CustomRoute & { advertised?: readonly string[] };

/** The routes with a path of their own (not a catch-all), Slack's endpoint first when given. */
function knownRoutes(routes: readonly AdvertisedRoute[], slackPath?: string) {
  const known = routes
    .filter((r) => !r.path.includes('*'))
    .map((r) => ({ route: r, pattern: pathPattern(r.path), methods: methodsOf(r) }));
  if (slackPath) {
    known.unshift({
      route: { path: slackPath, method: 'POST', handler: () => {} },
      pattern: pathPattern(slackPath),
      methods: ['POST'],
    });
  }
  return known;
}

/**
 * What the 404 of a path no route has needs, as plain data (the acknowledging front's thread is given it): the paths
 * served (a route's own, Slack's endpoint), and the list of what the server has that the 404 names.
 */
export interface NotFoundPaths {
  paths: string[];
  listed: string;
}

export function notFoundPaths(routes: readonly AdvertisedRoute[], slackPath?: string): NotFoundPaths {
  const known = knownRoutes(routes, slackPath);
  const listed = known
    .flatMap((k) => {
      const methods = (k.route as AdvertisedRoute).advertised ?? k.methods;
      return methods.length > 0 && methods.length < ALL_METHODS.length ? [`${methods.join('/')} ${k.route.path}`] : [];
    })
    .join(', ');
  return { paths: known.map((k) => k.route.path), listed };
}

const notFoundBody = (path: string, listed: string) => ({
  error: 'not_found',
  message: `Nothing at ${path.slice(0, 200)}. This server has: ${listed}.`,
});

/**
 * A request sent with `Expect: 100-continue` to a path the server has no route for: answered its 404 (the fallback's)
 * before its body is asked for, true, the rest of an unsent body dropped; false for any other (a path some route may
 * take, matched loosely: any case, a trailing slash, so that only what is surely not served is refused here; and
 * whatever is under /hooks, which the hooks answer themselves). Node's default sends 100 Continue first, and the
 * sender uploads a body only for it to be thrown away.
 */
export function notFoundBeforeBody(req: IncomingMessage, res: ServerResponse, nf: NotFoundPaths): boolean {
  let path: string;
  try {
    path = new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return false;
  }
  let loose = path;
  try {
    loose = decodeURIComponent(path);
  } catch {}
  loose = loose.replaceAll('\\', '/').replace(/\/+$/, '') || '/';
  if (/^\/+hooks(\/|$)/i.test(loose)) return false;
  if (nf.paths.some((p) => new RegExp(pathPattern(p).source, 'i').test(loose))) return false;
  closeAfterAnswer(req, res);
  reply(res, 404, notFoundBody(path, nf.listed));
  return true;
}

/**
 * The route after every other: what no route took gets an answer that says why, never Bolt's empty 404. A `HEAD` of a
 * path served by `GET` is answered as `GET` is, without the body (as an uptime checker or load balancer asks); another
 * method on a path the server has is a 405 naming the methods it takes (`Allow`); any other path is a 404 listing what
 * the server has (a route's `advertised` methods where it takes every method to answer the others itself).
 * `slackPath`: Slack's own endpoint in HTTP mode (Bolt takes its `POST` before any route).
 */
export function fallbackRoute(routes: readonly AdvertisedRoute[], slackPath?: string): CustomRoute {
  const known = knownRoutes(routes, slackPath);
  const { listed } = notFoundPaths(routes, slackPath);
  return {
    // Every path, `/` too (path-to-regexp 8: the braces make the rest optional).
    path: '{/*rest}',
    method: ALL_METHODS,
    handler: (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      const method = (req.method ?? 'GET').toUpperCase();
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const here = known.filter((k) => k.pattern.test(path));
      // Each GET route reads its path from the request itself (none relies on the router's params).
      const get = here.find((k) => k.methods.includes('GET'));
      if (method === 'HEAD' && get) {
        // Node sends no body for a HEAD request: the GET handler's status and headers are the answer.
        void Promise.resolve(get.route.handler(req as never, res)).catch(() =>
          reply(res, 503, { error: 'unavailable' }),
        );
        return;
      }
      const allowed = [...new Set(here.flatMap((k) => k.methods))];
      if (allowed.length > 0) {
        if (allowed.includes('GET') && !allowed.includes('HEAD')) allowed.push('HEAD');
        reply(
          res,
          405,
          { error: 'method_not_allowed', message: `${path.slice(0, 200)} takes ${allowed.join(', ')}, not ${method}.` },
          { allow: allowed.join(', ') },
        );
        return;
      }
      reply(res, 404, notFoundBody(path, listed));
    },
  };
}
