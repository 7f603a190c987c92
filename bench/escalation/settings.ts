/** The settings of bench/escalation: tokens, timings, targets, the phases and the runbook (see bench/README.md). */

/** One token per bot process: the fake records the token of each call, which tells which process sent a page. */
export const TOKENS = { A: 'xoxb-bench-escalation-a', B: 'xoxb-bench-escalation-b' } as const;
export const SEED_TOKEN = 'xoxb-bench-escalation-seed';
export const ON_CALL = 'U0ONCALL';
/** The first timer is due this long after the rows are written, so the bots see them as future timers. */
export const LEAD_MS = 4000;
/** A phase gives up this long after its last due time; jobs still not done then are missed. */
export const GRACE_MS = 30_000;
/**
 * After the deadline, a phase waits this much longer for its late jobs (counted as missed, but it tells late from
 * lost, and the next phase starts on idle bots).
 */
export const DRAIN_MS = 60_000;
/** After the last job is done, the trailing Slack calls (the card update) get this long. */
export const SETTLE_MS = 1000;
export const POLL_MS = 100;
export const TARGET_P99_MS = 100;
export const GRAFANA_TOLERANCE_MS = 5 * 60_000;
export const MONZO_POLL_MS = 60_000;

export interface PhaseSpec {
  name: 'burst' | 'spread';
  /** Due times are spread evenly over this window (0: all at the same instant). */
  spreadMs: number;
}

export const PHASES: PhaseSpec[] = [
  { name: 'burst', spreadMs: 0 },
  { name: 'spread', spreadMs: 2000 },
];

export function parseArgs(argv: string[]): { jobs: number } {
  let jobs = 1000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--jobs') jobs = Number(argv[++i]);
    else if (a?.startsWith('--jobs=')) jobs = Number(a.slice('--jobs='.length));
    else {
      console.error(`unknown argument ${a}; use --jobs N`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 20_000) {
    console.error('--jobs must be a whole number between 1 and 20000');
    process.exit(2);
  }
  return { jobs };
}

export const RUNBOOK_YAML = `name: bench escalation runbook
severities:
  SEV-0: { name: Critical, respond_within: 1h }
  SEV-1: { name: High, respond_within: 1h }
  SEV-2: { name: Medium, respond_within: 1h }
  SEV-3: { name: Low, respond_within: 1h }
escalation:
  order: [on_call, senior_devops, engineering_manager, cto]
  roles:
    on_call: { name: On-Call Engineer, contacts: [${ON_CALL}] }
    senior_devops: { name: Senior DevOps Engineer, contacts: [U0SENIOR] }
    engineering_manager: { name: Engineering Manager, contacts: [U0MANAGER] }
    cto: { name: CTO, contacts: [U0CTO] }
  rules:
    on_declare: on_call
    unresolved: { after: 1h, page: senior_devops }
    customer_impact: engineering_manager
    critical: cto
    unacknowledged: on_call
`;
