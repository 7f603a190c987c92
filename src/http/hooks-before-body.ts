import type { IncomingMessage, ServerResponse } from 'node:http';
import { ALERT_SOURCES, MAX_BODY_BYTES, tooLarge } from './alert-hooks.js';
import { PAGERDUTY_HOOK_PATH } from './pagerduty-hook.js';
import { header } from './request-body.js';

/**
 * A POST to a hook (the alert hooks, PagerDuty's) whose Content-Length is over MAX_BODY_BYTES, sent with `Expect:
 * 100-continue`: answered 413 (with the hook's hint) before its body is asked for, true; false for any other request.
 */
export function hookRefusedBeforeBody(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'POST') return false;
  const declared = Number(header(req, 'content-length'));
  if (!Number.isFinite(declared) || declared <= MAX_BODY_BYTES) return false;
  const path = (req.url ?? '/').split('?')[0];
  const source = Object.values(ALERT_SOURCES).find((s) => s.path === path);
  if (!source && path !== PAGERDUTY_HOOK_PATH) return false;
  tooLarge(req, res, source?.tooLargeHint);
  return true;
}
