/**
 * The doubling retry schedule of the sweeps that try again what Slack refused (redraws, withdrawals): one computation,
 * each sweep its own numbers.
 */
export interface DoublingRetries {
  /** The wait after the first refusal. */
  firstMs: number;
  /** The longest wait: doubling stops here. */
  mostMs: number;
  /** Refusals after which the work is given up; none: it is tried again for good. */
  maxAttempts?: number;
}

/**
 * The wait after the `attempt`-th refusal (1, 2, …): `firstMs`, doubled with each refusal after, at most `mostMs`; null
 * once `maxAttempts` refusals are reached (given up).
 */
export function retryWaitMs(retries: DoublingRetries & { maxAttempts?: undefined }, attempt: number): number;
export function retryWaitMs(retries: DoublingRetries, attempt: number): number | null;
export function retryWaitMs(retries: DoublingRetries, attempt: number): number | null {
  if (retries.maxAttempts !== undefined && attempt >= retries.maxAttempts) return null;
  return Math.min(retries.firstMs * 2 ** Math.max(0, attempt - 1), retries.mostMs);
}
