/**
 * A step that cannot be done yet (the incident is still being declared, or Slack's channel budget is spent): tried
 * again after `delayMs` (default: shortly), not a failure. Its own module: the alert steps, the storm steps (which the
 * alert steps import) and the delivery failures all throw or read it, and none imports another for it.
 */
export class NotYet extends Error {
  constructor(
    message: string,
    readonly delayMs?: number,
  ) {
    super(message);
  }
}
