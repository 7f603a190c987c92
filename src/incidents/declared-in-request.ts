import { currentRequest, type RequestContext } from '../audit/request-context.js';
import type { Incident } from './types.js';

/** The incident each request has declared whole, as it stands (its card once posted). */
const declared = new WeakMap<RequestContext, Incident>();

/**
 * The current request's declaration made `incident` whole (its channel recorded, its timers set): from here on it
 * exists, and a later failure in the request must say so, never "nothing was changed, try again" (which would have the
 * person declare it twice). Noted again as it changes (its card posted). Outside a request (the sweep, alert intake)
 * nothing is noted.
 */
export function noteDeclaredWhole(incident: Incident): void {
  const ctx = currentRequest();
  if (ctx) declared.set(ctx, incident);
}

/** The incident the current request declared whole (noteDeclaredWhole), if any. */
export function declaredInRequest(): Incident | undefined {
  const ctx = currentRequest();
  return ctx ? declared.get(ctx) : undefined;
}
