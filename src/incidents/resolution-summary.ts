/**
 * A resolution's summary is one line of at most RESOLUTION_SUMMARY_MAX characters: `/incident resolve` and its form
 * refuse a longer one (parseResolveSummary), the card, the timeline and the "already resolved" answer show it whole.
 */
export const RESOLUTION_SUMMARY_MAX = 300;

/**
 * The summary of a resolution by a status update (Status = Resolved): its CURRENT STATUS's first line that shows
 * something, spaces collapsed, cut to RESOLUTION_SUMMARY_MAX with an ellipsis; "Resolved" when it has none. (The whole
 * text, up to 3,000 characters on many lines, was stored as the summary.)
 */
export function summaryOfStatus(currentStatus: string): string {
  const line =
    currentStatus
      .split('\n')
      .map((l) => l.replace(/\s+/g, ' ').trim())
      .find((l) => l !== '') ?? '';
  if (!line) return 'Resolved';
  const chars = [...line];
  return chars.length > RESOLUTION_SUMMARY_MAX
    ? `${chars
        .slice(0, RESOLUTION_SUMMARY_MAX - 1)
        .join('')
        .trimEnd()}…`
    : line;
}

/** Whether `summary` only repeats `currentStatus` (it was taken from it): where that text shows, it is not said again. */
export function summaryRepeats(summary: string, currentStatus: string | null | undefined): boolean {
  return !!currentStatus && summaryOfStatus(currentStatus) === summary.trim();
}
