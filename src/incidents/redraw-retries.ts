import type { Logger } from './ports.js';
import { type DoublingRetries, retryWaitMs } from './retry-schedule.js';

/*
 * How a message Slack would not update is shown again by the timer loop's sweeps (closed approval requests, lists of
 * deployments out of date): one schedule for both.
 */
/** Messages shown again at most this many times, then left as they are (a press on one is refused all the same). */
export const REDRAW_MAX_ATTEMPTS = 8;
/** Claimed per round at most. */
export const REDRAW_BATCH = 20;
/** A claimed message is another process's to show after this (this one died showing it). */
export const REDRAW_LEASE_MS = 60_000;
/** The wait before the next attempt: 30 s, doubled each time, at most 10 minutes; given up after REDRAW_MAX_ATTEMPTS. */
const REDRAW_RETRIES: DoublingRetries = { firstMs: 30_000, mostMs: 600_000, maxAttempts: REDRAW_MAX_ATTEMPTS };

/**
 * After a failed attempt: past REDRAW_MAX_ATTEMPTS the message is given up (`done`, logged), else tried again later
 * (`again`, at the next attempt's time). `what` names it in the log ("approval request 7"), `goal` what was tried
 * ("showing it closed").
 */
export async function redrawLater(
  o: {
    what: string;
    goal: string;
    attempts: number;
    done: () => Promise<unknown>;
    again: (at: Date) => Promise<unknown>;
  },
  log: Logger,
): Promise<void> {
  const wait = retryWaitMs(REDRAW_RETRIES, o.attempts);
  if (wait === null) {
    log.warn(`${o.what}: gave up ${o.goal} after ${o.attempts} attempts`);
    await o.done().catch(() => undefined);
    return;
  }
  await o
    .again(new Date(Date.now() + wait))
    .catch((e) => log.warn(`could not reschedule ${o.goal} (${o.what}); its lease will run out`, e));
}
