import { randomBytes } from 'node:crypto';
import type { Logger } from '@slack/bolt';
import { AlreadyDoneError, DomainError } from '../incidents/errors.js';
import { renderPhrase } from '../templates/text.js';

/**
 * The one place that turns an error into words for the person who acted. Domain errors are shown as they are;
 * anything unexpected gets a short reference id, and the stack goes to the log under the same id.
 */
export function errorText(err: unknown, logger: Pick<Logger, 'error'>): string {
  if (err instanceof AlreadyDoneError) return `:information_source: ${renderPhrase(err.phrase)}`;
  if (err instanceof DomainError) return `:warning: ${renderPhrase(err.phrase)}`;
  const ref = randomBytes(3).toString('hex').toUpperCase();
  logger.error(`[ref ${ref}] unexpected error`, err);
  return `:x: Something went wrong on the bot's side (reference ${ref}). Nothing was changed by this request, so you can try again; if it keeps failing, follow the runbook by hand and give the reference to whoever runs the bot.`;
}

/** Runs a listener's work after ack; any error reaches the person through `tell`, never silence. */
export async function reportErrors(
  logger: Pick<Logger, 'error'>,
  tell: (text: string) => Promise<unknown>,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (err) {
    const text = errorText(err, logger);
    try {
      await tell(text);
    } catch (tellErr) {
      logger.error('could not tell the user about an error', tellErr, err);
    }
  }
}
