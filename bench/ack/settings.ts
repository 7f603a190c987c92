/** The settings of bench/ack: counts, durations and targets (see bench/README.md). */

export const TOKEN = 'xoxb-bench-0000-token';
export const ANNOUNCE_CHANNEL_ID = 'C0INCIDENTS';
export const CONCURRENCIES = [10, 50] as const;
/** Requests per second of phase, at most: a bound on the count (the phase ends early if it is reached). */
export const MAX_RATE_PER_SECOND = 20_000;
export const SETTLE_MS = 3000;
/** Idle time after the load before the last memory reading. */
export const IDLE_AFTER_LOAD_MS = 10_000;
/** Slack shows the user an error when the ack takes longer than this. */
export const SLACK_ACK_DEADLINE_MS = 3000;
export const PACED_COUNT = 20;
export const PACED_INTERVAL_MS = 100;
export const PACED_WARMUP = 3;
/** After a load phase, the bot's backlog is done when every acked command got its reply, or nothing moved this long. */
export const DRAIN_QUIET_MS = 5000;
/** Each concurrency's load is split into this many rounds per target, alternating bare and ours. */
export const ROUNDS = 5;
export const REQUEST_TIMEOUT_MS = 15_000;
export const TARGET_ACK_RATIO = 1.25;
export const TARGET_CARD_P95_MS = 250;

export function parseArgs(argv: string[]): { seconds: number; quick: boolean } {
  let seconds = 10;
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') {
      quick = true;
      seconds = 3;
    } else if (a === '--seconds') {
      seconds = Number(argv[++i]);
    } else if (a?.startsWith('--seconds=')) {
      seconds = Number(a.slice('--seconds='.length));
    } else {
      console.error(`unknown argument ${a}; use --quick or --seconds N`);
      process.exit(2);
    }
  }
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 300) {
    console.error('--seconds must be a number of seconds between 0 and 300');
    process.exit(2);
  }
  return { seconds, quick };
}
