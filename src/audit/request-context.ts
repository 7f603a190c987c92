import { AsyncLocalStorage } from 'node:async_hooks';

/** How a request ended, for the audit: done, refused (with why), failed, or answered in its ack (help, usage). */
export type Outcome = 'ok' | 'refused' | 'failed' | 'noop' | 'answered';

/**
 * What is known about the request being handled, for every log line written while it runs (its id, the incident once
 * known) and for its audit row (how it ended). One per Slack request, set by the audit middleware; nothing else
 * creates one, so outside a request every helper here does nothing.
 */
export interface RequestContext {
  requestId: string;
  incidentId?: number;
  outcome?: { outcome: Outcome; reason?: string };
  /** What the listener adds to the request's audit row (who was warned of a secret in their message). */
  details?: Record<string, unknown>;
  /** The request changed something: a write to the database committed while it ran (noteChanged). */
  changed?: boolean;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `ctx` as the current request. */
export function withRequest<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** The current request concerns this incident (found by its channel, or just declared). The first one noted stays. */
export function noteIncident(incidentId: number): void {
  const ctx = storage.getStore();
  if (ctx && ctx.incidentId === undefined) ctx.incidentId = incidentId;
}

/** How the current request ended. The first outcome noted stays (a refusal is not overwritten by what follows it). */
export function noteOutcome(outcome: Outcome, reason?: string): void {
  const ctx = storage.getStore();
  if (ctx && !ctx.outcome) ctx.outcome = reason === undefined ? { outcome } : { outcome, reason };
}

/** Details for the current request's audit row, beside what its payload gives. */
export function noteDetails(details: Record<string, unknown>): void {
  const ctx = storage.getStore();
  if (ctx) ctx.details = { ...ctx.details, ...details };
}

/** The fields every log line carries while a request runs. */
export function logFields(): { reqId?: string; incidentId?: number } {
  const ctx = storage.getStore();
  if (!ctx) return {};
  return ctx.incidentId === undefined ? { reqId: ctx.requestId } : { reqId: ctx.requestId, incidentId: ctx.incidentId };
}

/** The current request changed something (a write to the database committed): what it asked may have been done. */
export function noteChanged(): void {
  const ctx = storage.getStore();
  if (ctx) ctx.changed = true;
}

/** Whether the current request has changed something so far (noteChanged); false outside a request. */
export function changedInRequest(): boolean {
  return storage.getStore()?.changed === true;
}
