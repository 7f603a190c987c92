/**
 * Lets `limit` rows a minute through and counts the rest, so that a flood (of bad signatures, of requests refused
 * while the bot is overloaded) costs the audit a few rows and one count instead of a row per request.
 */
export class PerMinuteBudget {
  private windowStart: number;
  private written = 0;
  private held = 0;

  constructor(
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {
    this.windowStart = now();
  }

  /** `write`: write this row. `heldBefore`: rows held back in the minute that just ended (write one row saying so). */
  take(): { write: boolean; heldBefore: number } {
    let heldBefore = 0;
    if (this.now() - this.windowStart >= 60_000) {
      heldBefore = this.held;
      this.windowStart = this.now();
      this.written = 0;
      this.held = 0;
    }
    if (this.written >= this.limit) {
      this.held += 1;
      return { write: false, heldBefore };
    }
    this.written += 1;
    return { write: true, heldBefore };
  }
}
