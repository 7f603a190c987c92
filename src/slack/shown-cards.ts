/** How long a card's last update here is trusted to be what the card shows: past it, an identical update is sent. */
export const SHOWN_TRUSTED_MS = 60_000;
/** Cards remembered at most; the oldest are forgotten first. */
const KEPT = 2_000;

/**
 * What this process last put on each card (posted or updated, and answered ok by Slack), so that an update that
 * would show exactly that again is left out. A declaration's card is refreshed by several things that each may have
 * changed it (the pages made while it was posted, the notification run, the alert loop), and the same card was sent
 * two or three times over; each update costs a call Slack rate-limits per channel.
 *
 * Only this process's updates are known: another replica's update to the card is not, so an entry is trusted for a
 * minute only. Within it, a wrong skip needs the state to go from what this process showed to something else (shown
 * by another replica) and back; row changes are checked after each update besides (IncidentService.showLatest).
 */
export class ShownCards {
  private readonly shown = new Map<string, { body: string; at: number }>();

  constructor(private readonly trustedMs = SHOWN_TRUSTED_MS) {}

  /** Whether the card at `channel`/`ts` shows `body`, as far as this process knows. */
  shows(channel: string, ts: string, body: string): boolean {
    const last = this.shown.get(key(channel, ts));
    return last !== undefined && last.body === body && Date.now() - last.at < this.trustedMs;
  }

  /** The card shows `body` now (Slack answered ok). */
  showing(channel: string, ts: string, body: string): void {
    const k = key(channel, ts);
    this.shown.delete(k);
    if (this.shown.size >= KEPT) this.shown.delete(this.shown.keys().next().value!);
    this.shown.set(k, { body, at: Date.now() });
  }

  /** What the card shows is not known (an update failed, or may have reached Slack without an answer). */
  forget(channel: string, ts: string): void {
    this.shown.delete(key(channel, ts));
  }
}

const key = (channel: string, ts: string) => `${channel}:${ts}`;
