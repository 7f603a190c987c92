import type { IncomingMessage, ServerResponse } from 'node:http';
import { ALERT_SOURCES, ALERTS_NOT_RECEIVED, MAX_BODY_BYTES, noHook, strayHookPath, tooLarge } from './alert-hooks.js';
import { reply } from './json-reply.js';
import type { AdvertisedRoute } from './not-found.js';
import { PAGERDUTY_HOOK_PATH, PAGERDUTY_NOT_RECEIVED } from './pagerduty-hook.js';
import { closeAfterAnswer, header } from './request-body.js';

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
 * and for a hook in `unserved` (not configured here): its 404 comes first, as a path not served
 * (hookNotFoundBeforeBody).
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

/**
 * A request sent with `Expect: 100-continue` to a path under /hooks that answers 404 whatever its body: no hook there
 * (the hooks' catch-all), a path refused as written (strayHookPath), or a POST to a hook not configured here (in
 * `unserved`). Answered that 404, with the words its handler would use, before the body is asked for, true (the rest
 * of an unsent body dropped, the connection closed after); false for any other request. Node's default sends 100
 * Continue first, and the sender uploads a body only for it to be thrown away.
 */
export function hookNotFoundBeforeBody(
  req: IncomingMessage,
  res: ServerResponse,
  unserved: readonly string[] = [],
): boolean {
  const url = req.url ?? '/';
  const path = url.split(/[?#]/)[0] ?? '/';
  let message = strayHookPath(url);
  if (message === null) {
    if (!/^\/hooks(\/|$)/.test(path)) return false;
    const source = Object.values(ALERT_SOURCES).find((s) => s.path === path);
    if (!source && path !== PAGERDUTY_HOOK_PATH) message = noHook(path);
    // A hook not configured answers 404 to a POST only: another method is its 405 (the handler's).
    else if (req.method === 'POST' && unserved.includes(path))
      message = source ? ALERTS_NOT_RECEIVED : PAGERDUTY_NOT_RECEIVED;
    else return false;
  }
  closeAfterAnswer(req, res);
  reply(res, 404, { error: 'not_found', message });
  return true;
}
