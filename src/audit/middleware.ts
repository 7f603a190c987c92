import { randomBytes } from 'node:crypto';
import type { AllMiddlewareArgs, AnyMiddlewareArgs } from '@slack/bolt';
import type { AuditTrail } from '../incidents/audit.service.js';
import { noteError } from './outcome.js';
import { PerMinuteBudget } from './per-minute.js';
import { type RequestContext, withRequest } from './request-context.js';
import { describeRequest } from './slack-requests.js';

/** Requests refused while overloaded that get a row of their own each minute; the rest are counted. */
const OVERLOAD_ROWS_PER_MINUTE = 30;
const OVERLOADED = 'overloaded:';

/**
 * Bolt global middleware, installed before every listener: gives the request an id (every log line written while it
 * runs carries it), and once the listener is done writes its audit row: who, what and where from the payload, the
 * outcome as the listener pipeline noted it (afterAck), or `answered` when the listener answered in its ack (help,
 * usage, an inline form error). The row is written after the ack, so it never slows one.
 */
export function auditRequests(
  trail: Pick<AuditTrail, 'record'>,
  overloaded = new PerMinuteBudget(OVERLOAD_ROWS_PER_MINUTE),
) {
  return async ({ body, next, context }: AnyMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const described = describeRequest(body as Record<string, unknown>);
    const ctx: RequestContext = {
      requestId: randomBytes(6).toString('hex'),
      ...(described?.incidentId ? { incidentId: described.incidentId } : {}),
    };
    await withRequest(ctx, async () => {
      try {
        await next();
      } catch (err) {
        noteError(err);
        throw err;
      } finally {
        if (described) {
          const { outcome = 'answered', reason } = ctx.outcome ?? {};
          // Under a flood most requests are refused at the gate: a few rows a minute and a count, not one each.
          const flood = outcome === 'refused' && reason?.startsWith(OVERLOADED) ? overloaded.take() : null;
          if (flood?.heldBefore) {
            await trail.record({
              actor: 'unknown',
              action: 'overloaded',
              surface: described.surface,
              outcome: 'refused',
              reason: `${flood.heldBefore} more requests refused while the bot was overloaded in the minute before, not written one by one`,
              details: { held: flood.heldBefore },
            });
          }
          const retry = typeof context.retryNum === 'number' ? { retryNum: context.retryNum } : {};
          if (!flood || flood.write)
            await trail.record({
              ...described,
              ...(ctx.incidentId !== undefined ? { incidentId: ctx.incidentId } : {}),
              outcome,
              ...(reason !== undefined ? { reason } : {}),
              requestId: ctx.requestId,
              details: { ...described.details, ...ctx.details, ...retry },
            });
        }
      }
    });
  };
}
