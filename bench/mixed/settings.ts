/** The settings of bench/mixed: the request mix, rates, durations and targets (see bench/README.md). */

export const TOKEN = 'xoxb-bench-mixed-token';
export const ANNOUNCE_CHANNEL_ID = 'C0INCIDENTS';
export const GENERAL_CHANNEL_ID = 'C0GENERAL';
/** Open incidents declared before the load, whose cards are clicked and whose forms are submitted. */
export const OPEN_INCIDENTS = 50;
/** The people who click, type commands and submit forms (declarations each come from a person of their own). */
export const RESPONDERS = 20;
export const SETTLE_MS = 3000;
/** After each of our rounds, the bots' backlog is done when the fake Slack has seen no call for this long. */
export const DRAIN_QUIET_MS = 2000;
export const DRAIN_CAP_MS = 60_000;
export const REQUEST_TIMEOUT_MS = 15_000;
/** Slack shows the person an error when the ack takes longer than this. */
export const SLACK_ACK_DEADLINE_MS = 3000;
/** Slack's channel-creation budget the bots run with (their default CHANNEL_CREATE_LIMIT), shared through Redis. */
export const CHANNEL_LIMIT_PER_MINUTE = 20;
export const TARGET_ACK_RATIO = 1.25;

/** What a request of the mix is. */
export type Kind =
  | 'status'
  | 'list'
  | 'update_command'
  | 'acknowledge_click'
  | 'severity_click'
  | 'update_click'
  | 'update_submit'
  | 'declare';

/**
 * The mix, in requests out of every 400 (two seconds at 200 a second): slash commands, clicks on the cards' real
 * buttons and select, submissions of the status update form, and a declaration a second: more than Slack's 20
 * channels a minute, so that the budget the two bots share is spent.
 */
export const MIX: readonly (readonly [Kind, number])[] = [
  ['status', 60],
  ['list', 40],
  ['update_command', 20],
  ['acknowledge_click', 48],
  ['severity_click', 48],
  ['update_click', 40],
  ['update_submit', 142],
  ['declare', 2],
];

export const KIND_LABELS: Record<Kind, string> = {
  status: '/incident status',
  list: '/incident list',
  update_command: '/incident update',
  acknowledge_click: 'Acknowledge click',
  severity_click: 'severity select',
  update_click: 'Post update click',
  update_submit: 'update form submit',
  declare: '/incident sev3 …',
};

export interface Settings {
  /** Seconds of load per target, split into `rounds` rounds. */
  seconds: number;
  rounds: number;
  /** Requests per second, spread over the two processes of the target. */
  rate: number;
  /** Seconds of the mix (without declarations) sent to each target before its first counted round. */
  warmupSeconds: number;
  quick: boolean;
}

const USAGE = 'use --quick, --seconds N, --rounds N, --rate N, --warmup N';

export function parseArgs(argv: string[]): Settings {
  const s: Settings = { seconds: 60, rounds: 3, rate: 200, warmupSeconds: 5, quick: false };
  const num = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) {
      console.error(`${name} needs a number; ${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--quick') {
      s.quick = true;
      s.seconds = 10;
      s.rounds = 2;
      s.warmupSeconds = 2;
    } else if (flag === '--seconds') s.seconds = num(flag, value());
    else if (flag === '--rounds') s.rounds = Math.round(num(flag, value()));
    else if (flag === '--rate') s.rate = num(flag, value());
    else if (flag === '--warmup') s.warmupSeconds = num(flag, value());
    else {
      console.error(`unknown argument ${a}; ${USAGE}`);
      process.exit(2);
    }
  }
  if (s.seconds <= 0 || s.seconds > 600 || s.rounds < 1 || s.rate <= 0 || s.rate > 2000 || s.warmupSeconds > 60) {
    console.error('--seconds must be in (0, 600], --rounds at least 1, --rate in (0, 2000], --warmup at most 60');
    process.exit(2);
  }
  return s;
}
