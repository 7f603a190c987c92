/** The settings of bench/soak: counts, concurrency and targets (see bench/README.md). */

export const TOKEN = 'xoxb-bench-soak-token';
export const ANNOUNCE_CHANNEL_ID = 'C0INCIDENTS';
export const GENERAL_CHANNEL_ID = 'C0GENERAL';
/** The people who declare, update and resolve, in turn. */
export const PEOPLE = 20;
/** Quiet time before each memory reading, once the requests in flight are done. */
export const SETTLE_MS = 2000;
/** How long one step (a reply, a form, a post) may take before it counts as lost. */
export const STEP_TIMEOUT_MS = 30_000;
export const REQUEST_TIMEOUT_MS = 15_000;
/** Pause between two `/incident list` samples (one at a time). */
export const LIST_GAP_MS = 20;
export const TARGET_RSS_GROWTH_PCT = 10;
export const TARGET_LIST_P99_MS = 50;

export interface Settings {
  /** Incidents declared, updated and resolved, warm-up included. */
  incidents: number;
  /** Of those, the first `warmup` (a tenth, at least 400) are the warm-up: memory is compared from the end of it. */
  warmup: number;
  /** Incidents declared and left open (before the soak's own cycles), so that the list has them. */
  open: number;
  /** Cycles run at once. */
  concurrency: number;
  /** `/incident list` samples at the start and at the end. */
  listSamples: number;
  /** Share a Redis (REDIS_URL) instead of the in-process store. */
  redis: boolean;
  quick: boolean;
}

const USAGE = 'use --quick, --incidents N, --open N, --warmup N, --concurrency N, --list-samples N, --redis';

export function parseArgs(argv: string[]): Settings {
  let incidents = 10_000;
  let open = 500;
  let warmup: number | undefined;
  let concurrency = 4;
  let listSamples = 200;
  let redis = false;
  let quick = false;
  const num = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 0) {
      console.error(`${name} needs a whole number; ${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--quick') {
      quick = true;
      incidents = 1000;
      open = 100;
      listSamples = 100;
    } else if (flag === '--incidents') incidents = num(flag, value());
    else if (flag === '--open') open = num(flag, value());
    else if (flag === '--warmup') warmup = num(flag, value());
    else if (flag === '--concurrency') concurrency = num(flag, value());
    else if (flag === '--list-samples') listSamples = num(flag, value());
    else if (flag === '--redis') redis = true;
    else {
      console.error(`unknown argument ${a}; ${USAGE}`);
      process.exit(2);
    }
  }
  warmup ??= Math.max(400, Math.round(incidents / 10));
  if (incidents - warmup < 2 || concurrency < 1 || concurrency > 64 || listSamples < 1) {
    console.error('--incidents at least 2 above --warmup, --concurrency 1 to 64, --list-samples at least 1');
    process.exit(2);
  }
  return { incidents, warmup, open, concurrency, listSamples, redis, quick };
}
