import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { IncidentMetrics, Milestone } from '../incidents/ports.js';
import { SEVERITIES, type Severity, severityLabel } from '../incidents/severity.js';
import { DECLARE_SOURCES, type DeclareSource } from '../incidents/types.js';
import type { Queryable } from '../store/db.js';

/** What the Slack edge counts: every Web API call and its error, and how long each request took to acknowledge. */
export interface EdgeMetrics {
  /** One HTTP attempt at a Web API method; `error` is Slack's (`channel_not_found`), `ratelimited`, `http_503`, … */
  slackCall(method: string, error: string | null): void;
  /** A request from Slack was acknowledged `seconds` after the app was handed it. */
  acked(kind: RequestKind, seconds: number): void;
}

/** The kinds of request Slack sends, as the ack latency is labelled. */
export const REQUEST_KINDS = ['command', 'action', 'view', 'event', 'shortcut', 'options', 'other'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** Everything the bot counts, and the Prometheus text of it. */
export interface BotMetrics extends IncidentMetrics, EdgeMetrics {
  /** The Content-Type of `text()` (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** The metrics now, in the Prometheus text format: the gauges read from Postgres first. */
  text(): Promise<string>;
}

export const METRIC_PREFIX = 'incident_bot_';

const MINUTE = 60;
const HOUR = 3600;
/** Time to acknowledge: the runbook's response times are 5 minutes to 4 hours. */
const ACK_BUCKETS = [
  10,
  30,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  4 * HOUR,
];
/** Time to mitigate and to resolve: minutes to days. */
const RESOLVE_BUCKETS = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  4 * HOUR,
  8 * HOUR,
  24 * HOUR,
  72 * HOUR,
];
/** How late a timer fires: the timer loop polls, so well under a second when healthy. */
const LATENESS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];
/** Slack waits 3 s for an ack. */
const ACK_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5];

/** How long the scrape waits for the open-incidents query. */
const GAUGE_QUERY_TIMEOUT_MS = 1500;

/** A label value as given by code (an id, a rule, an outcome): kept short, never empty. */
const label = (v: string) => (v.length === 0 ? 'unknown' : v.length > 64 ? v.slice(0, 64) : v);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

export interface MetricsOptions {
  /** Also the process's own metrics (CPU, memory, event loop lag, GC): prom-client's defaults. Default true. */
  processDefaults?: boolean;
  /** Where a failed read of the gauges is said. */
  log?: { warn(...args: unknown[]): void };
}

/**
 * The bot's metrics in a registry of its own (never prom-client's global one, so two bots in one process do not
 * clash). Counters and histograms count what this process did: Prometheus sums them over replicas. The open-incident
 * gauge is read from Postgres at each scrape, so every replica reports the same numbers: aggregate it with max, not
 * sum.
 */
export function createMetrics(db: Queryable, opts: MetricsOptions = {}): BotMetrics {
  const registry = new Registry();
  const registers = [registry];
  const sev = (s: Severity) => severityLabel(s);

  const declared = new Counter({
    name: `${METRIC_PREFIX}incidents_declared_total`,
    help: 'Incidents declared (made whole: channel and timers), by severity at declaration and source (person, alert).',
    labelNames: ['severity', 'source'] as const,
    registers,
  });
  for (const s of SEVERITIES) for (const source of DECLARE_SOURCES) declared.labels(sev(s), source).inc(0);

  const databaseUp = new Gauge({
    name: `${METRIC_PREFIX}metrics_database_up`,
    help: 'Whether this scrape could read the database (1) or not (0); when not, the open incident gauge is absent.',
    registers,
  });
  const open = new Gauge({
    name: `${METRIC_PREFIX}open_incidents`,
    help: 'Open incidents by severity and status, read from the database at each scrape (the same on every replica).',
    labelNames: ['severity', 'status'] as const,
    registers,
  });
  /** Reads the open incidents into the gauges; prom-client serialises metrics concurrently, so this runs first. */
  const readOpenIncidents = async () => {
    try {
      const { rows } = await withTimeout(
        db.query<{ severity: number; status: string; n: number | string }>(
          `SELECT severity, status, count(*) AS n FROM incidents
           WHERE status <> 'resolved' AND NOT declaring AND channel_id IS NOT NULL GROUP BY severity, status`,
        ),
        GAUGE_QUERY_TIMEOUT_MS,
        'the database',
      );
      open.reset();
      for (const s of SEVERITIES)
        for (const status of ['investigating', 'mitigated']) open.labels(sev(s), status).set(0);
      for (const r of rows) open.labels(sev(Number(r.severity) as Severity), r.status).set(Number(r.n));
      databaseUp.set(1);
    } catch (err) {
      open.reset();
      databaseUp.set(0);
      opts.log?.warn(`metrics: could not read open incidents (${err instanceof Error ? err.message : String(err)})`);
    }
  };

  const histogram = (milestone: Milestone, name: string, help: string, buckets: number[]) => {
    const h = new Histogram({ name, help, labelNames: ['severity'] as const, buckets, registers });
    for (const s of SEVERITIES) h.zero({ severity: sev(s) });
    return [milestone, h] as const;
  };
  const milestones = new Map([
    histogram(
      'detect',
      `${METRIC_PREFIX}time_to_detect_seconds`,
      "For an incident declared from alerts: from its first alert's firing (its source's start, else when the bot heard it) to the declaration (MTTD), by severity then.",
      ACK_BUCKETS,
    ),
    histogram(
      'acknowledge',
      `${METRIC_PREFIX}time_to_acknowledge_seconds`,
      'From declaration to the first acknowledgement (MTTA), by severity then.',
      ACK_BUCKETS,
    ),
    histogram(
      'mitigate',
      `${METRIC_PREFIX}time_to_mitigate_seconds`,
      'From declaration to mitigated (or resolved without being mitigated first), by severity then.',
      RESOLVE_BUCKETS,
    ),
    histogram(
      'resolve',
      `${METRIC_PREFIX}time_to_resolve_seconds`,
      'From declaration to resolved (MTTR), by severity then.',
      RESOLVE_BUCKETS,
    ),
  ]);

  const pages = new Counter({
    name: `${METRIC_PREFIX}pages_sent_total`,
    help: 'Roles paged, by role (the runbook file id; `person` for a person paged by name) and reason (the escalation rule: declared, unresolved, manual, …).',
    labelNames: ['role', 'reason'] as const,
    registers,
  });
  const lateness = new Histogram({
    name: `${METRIC_PREFIX}escalation_lateness_seconds`,
    help: 'How long after it was due an escalation timer or reminder fired, by rule.',
    labelNames: ['rule'] as const,
    buckets: LATENESS_BUCKETS,
    registers,
  });
  const steps = new Counter({
    name: `${METRIC_PREFIX}playbook_step_runs_total`,
    help: 'Playbook steps run, by playbook id and outcome (succeeded, failed, timed_out, not_found, stopped, lost).',
    labelNames: ['playbook', 'outcome'] as const,
    registers,
  });
  const rollbacks = new Counter({
    name: `${METRIC_PREFIX}rollbacks_total`,
    help: 'Rollbacks run (atom-cli rollback), by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const alerts = new Counter({
    name: `${METRIC_PREFIX}alerts_received_total`,
    help: 'Alerts received, by source and level.',
    labelNames: ['source', 'level'] as const,
    registers,
  });
  const slackCalls = new Counter({
    name: `${METRIC_PREFIX}slack_api_calls_total`,
    help: 'Slack Web API requests (each HTTP attempt, retries included), by method.',
    labelNames: ['method'] as const,
    registers,
  });
  const slackErrors = new Counter({
    name: `${METRIC_PREFIX}slack_api_errors_total`,
    help: "Slack Web API requests that failed, by method and error (Slack's error, ratelimited, http_<status>, timeout, request_error).",
    labelNames: ['method', 'error'] as const,
    registers,
  });
  const acks = new Histogram({
    name: `${METRIC_PREFIX}request_ack_seconds`,
    help: 'From a request from Slack reaching the app to its acknowledgement (Slack waits 3 s), by kind.',
    labelNames: ['kind'] as const,
    buckets: ACK_LATENCY_BUCKETS,
    registers,
  });

  if (opts.processDefaults ?? true) collectDefaultMetrics({ register: registry });

  return {
    contentType: registry.contentType,
    async text() {
      await readOpenIncidents();
      return registry.metrics();
    },
    declared: (severity: Severity, source: DeclareSource) => declared.labels(sev(severity), source).inc(),
    reached: (milestone, severity, seconds) => milestones.get(milestone)?.labels(sev(severity)).observe(seconds),
    paged: (role, reason) => pages.labels(label(role), label(reason)).inc(),
    escalationLate: (rule, seconds) => lateness.labels(label(rule)).observe(seconds),
    stepRan: (playbook, outcome) => steps.labels(label(playbook), label(outcome)).inc(),
    rolledBack: (outcome) => rollbacks.labels(label(outcome)).inc(),
    alertReceived: (source, level) => alerts.labels(label(source), label(level)).inc(),
    slackCall: (method, error) => {
      slackCalls.labels(label(method)).inc();
      if (error !== null) slackErrors.labels(label(method), label(error)).inc();
    },
    acked: (kind, seconds) => acks.labels(kind).observe(seconds),
  };
}
