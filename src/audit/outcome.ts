import { AlreadyDoneError, DomainError } from '../incidents/errors.js';
import { DatabaseBusyError, DatabaseUnavailableError } from '../store/db.js';
import { noteOutcome } from './request-context.js';

/** Notes how an error ended the current request: refused (a domain rule, overload), failed, or nothing to do. */
export function noteError(err: unknown): void {
  if (err instanceof AlreadyDoneError) noteOutcome('noop', err.message);
  else if (err instanceof DatabaseBusyError) noteOutcome('refused', 'overloaded: the database pool is exhausted');
  else if (err instanceof DatabaseUnavailableError) noteOutcome('failed', 'the database cannot be reached');
  else if (err instanceof DomainError) noteOutcome('refused', `${err.code}: ${err.message}`);
  else noteOutcome('failed', err instanceof Error ? `unexpected: ${err.message}` : 'unexpected error');
}

/**
 * A form refused in its answer (`response_action: errors`, the form stays open): refused, `invalid_input` with what
 * its fields say, unless the listener noted the refusal with its own code first (noteError: not_in_channel, stale…).
 */
export function noteInlineErrors(errors: Record<string, unknown>): void {
  const said = Object.values(errors).filter((e): e is string => typeof e === 'string');
  noteOutcome('refused', `invalid_input: ${said.join('; ')}`);
}
