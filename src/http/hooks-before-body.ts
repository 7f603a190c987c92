import type { IncomingMessage, ServerResponse } from 'node:http';
import { ALERT_SOURCES, MAX_BODY_BYTES, tooLarge } from './alert-hooks.js';
import type { AdvertisedRoute } from './not-found.js';
import { PAGERDUTY_HOOK_PATH } from './pagerduty-hook.js';
import { header } from './request-body.js';

/**
 * The hooks' paths that this server does not serve (no proof of origin configured: their route advertises no method),
 * from its routes: such a hook answers 404 whatever its body, so its size is not what to refuse it for.
 */
export function unservedHooks(routes: readonly AdvertisedRoute[] | undefined): string[] {
  const hooks = new Set<string>([...Object.values(ALERT_SOURCES).map((s) => s.path), PAGERDUTY_HOOK_PATH]);
  return (routes ?? []).filter((r) => hooks.has(r.path) && r.advertised?.length === 0).map((r) => r.path);
}

/**
 * A POST to a hook (the alert hooks, PagerDuty's) whose Content-Length is over MAX_BODY_BYTES, sent with `Expect:
 * 100-continue`: answered 413 (with the hook's hint) before its body is asked for, true; false for any other request,
 * and for a hook in `unserved` (not configured here): its handler answers 404 first, as a path not served.
 */
export function hookRefusedBeforeBody(
  req: IncomingMessage,
  res: ServerResponse,
  unserved: readonly string[] = [],
): boolean {
  if (req.method !== 'POST') return false;
  const declared = Number(header(req, 'content-length'));
  if (!Number.isFinite(declared) || declared <= MAX_BODY_BYTES) return false;
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (unserved.includes(path)) return false;
  const source = Object.values(ALERT_SOURCES).find((s) => s.path === path);
  if (!source && path !== PAGERDUTY_HOOK_PATH) return false;
  tooLarge(req, res, source?.tooLargeHint);
  return true;
}
