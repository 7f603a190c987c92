import { z } from 'zod';
import { ALERT_LEVELS, type AlertLevel, type AlertRule, MAINTENANCE_BEHAVIOURS } from '../incidents/alert-types.js';
import { parseSeverityToken } from '../incidents/severity.js';
import { parseDuration, runbookDuration } from './duration.js';
import { keyword, keywordKey } from './playbooks.js';
import { limitedText } from './text-limits.js';

const severity = z.string().transform((s, ctx) => {
  const r = parseSeverityToken(s);
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a severity; write SEV-0, SEV-1, SEV-2 or SEV-3` });
    return z.NEVER;
  }
  return r.severity;
});

/** A runbook duration (see runbookDuration), and at least `min` when given (what it is for, said when shorter). */
const durationOf = (min?: { ms: number; shorter: string }) =>
  z.string().superRefine((s, ctx) => {
    const d = runbookDuration(s);
    const problem = 'problem' in d ? d.problem : min && d.ms < min.ms ? `"${s}" ${min.shorter}` : null;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const duration = durationOf();

/** A heartbeat: a second at least (shorter, every delivery would be late). */
const heartbeat = durationOf({
  ms: 1000,
  shorter:
    'is shorter than a second: a heartbeat is how long the silence of an always-firing alert may last (e.g. 10m)',
});

/** One row of the runbook's Alert Thresholds table, as the runbook file writes it. */
const row = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_:.-]*$/, 'must be an alert name such as HighErrorRate'),
    metric: z.string().regex(/^[A-Za-z][A-Za-z0-9_:.-]*$/, 'must be a metric name such as error_rate'),
    threshold: z.string().min(1),
    /** How long the threshold must hold; left out where the runbook gives none (its Target Thresholds). */
    duration: duration.optional(),
    level: z.enum(ALERT_LEVELS),
    action: limitedText(z.string().min(1), 'alertAction'),
    playbook: z.string().min(1).optional(),
    /** Default SEV-1. */
    severity: severity.optional(),
    auto_resolve: z.boolean().default(false),
    /** Default declare. */
    during_maintenance: z.enum(MAINTENANCE_BEHAVIOURS).default('declare'),
    /**
     * Words of a typed title that mean this row's trouble, for a row that names no playbook: a title they fit best is
     * suggested no playbook (its action is the procedure), not the playbook some other word of it would suggest.
     */
    match: z.array(keyword).default([]),
    /**
     * A heartbeat (a dead man's switch, Alertmanager's always-firing `Watchdog`): the incidents channel is told when
     * no delivery of it has come from a source for this long, and again when it comes back.
     */
    heartbeat: heartbeat.optional(),
  })
  .strict()
  .refine((r) => r.match.length === 0 || r.playbook === undefined, {
    path: ['match'],
    message: "is for a row that names no playbook (a row with a playbook: put the words in that playbook's match)",
  })
  .refine((r) => r.heartbeat === undefined || r.level === 'info', {
    path: ['level'],
    message: 'must be info for a heartbeat row: its alert always fires, and only its silence is news',
  });

/** `alerts:` in the runbook file: the Alert Thresholds table, one row per alert, names unique. */
export const alertRulesSchema = z.array(row).superRefine((rows, ctx) => {
  // Names compared as alerts are matched to them (case and punctuation aside): two that match the same alerts are one.
  const seen = new Map<string, string>();
  const words = new Map<string, string>();
  for (const [i, r] of rows.entries()) {
    const key = norm(r.name);
    const first = seen.get(key);
    if (first !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        message:
          first.toLowerCase() === r.name.toLowerCase()
            ? `"${r.name}" is named twice`
            : `"${r.name}" matches the same alerts as "${first}" (names are matched ignoring case and punctuation): give one another name`,
      });
    else seen.set(key, r.name);
    r.match.forEach((kw, j) => {
      const w = keywordKey(kw);
      const other = words.get(w);
      if (other)
        ctx.addIssue({ code: 'custom', path: [i, 'match', j], message: `"${kw}" is already a word of ${other}` });
      else words.set(w, r.name);
    });
  }
});

export function toAlertRules(rows: z.infer<typeof alertRulesSchema> | undefined): AlertRule[] {
  return (rows ?? []).map((r) => ({
    name: r.name,
    metric: r.metric,
    threshold: r.threshold,
    duration: r.duration?.trim() ?? '',
    durationMs: r.duration ? (parseDuration(r.duration) ?? 0) : 0,
    level: r.level,
    action: r.action,
    playbook: r.playbook ?? null,
    severity: r.severity ?? 1,
    autoResolve: r.auto_resolve,
    duringMaintenance: r.during_maintenance,
    match: r.match,
    ...(r.heartbeat ? { heartbeatMs: parseDuration(r.heartbeat) ?? undefined } : {}),
  }));
}

/**
 * Playbook references of the rows that name no playbook of the file, and a row's `match` word that is a playbook's
 * keyword too (which one a title means would be a toss-up); checked on the raw data, like roles.
 */
export function alertRuleProblems(data: unknown): string[] {
  const d = data as { alerts?: unknown; playbooks?: unknown } | null;
  if (!d || !Array.isArray(d.alerts)) return [];
  const playbooks = d.playbooks && typeof d.playbooks === 'object' ? (d.playbooks as Record<string, unknown>) : {};
  const known = Object.keys(playbooks);
  const keywordOf = new Map<string, string>();
  for (const [id, pb] of Object.entries(playbooks)) {
    const match = (pb as { match?: unknown } | null)?.match;
    // A list, or { what, where, also }: `also` words suggest nothing, so a row may say them.
    const m = match as { what?: unknown; where?: unknown } | null;
    const words = Array.isArray(match) ? match : [m?.what, m?.where].flatMap((w) => (Array.isArray(w) ? w : []));
    for (const kw of words) if (typeof kw === 'string') keywordOf.set(keywordKey(kw), id);
  }
  const out: string[] = [];
  for (const [i, r] of d.alerts.entries()) {
    const row = r as { playbook?: unknown; match?: unknown } | null;
    const p = row?.playbook;
    if (typeof p === 'string' && !known.includes(p)) {
      out.push(`alerts.${i}.playbook: unknown playbook "${p}"; the file's playbooks: ${known.join(', ') || 'none'}`);
    } else if (typeof p === 'string' && (playbooks[p] as { kind?: unknown } | null)?.kind === 'procedure') {
      // A procedure (a deployment, a restore) is run on purpose, or suggested by words a person typed: never what an
      // alert points at.
      out.push(
        `alerts.${i}.playbook: "${p}" is a procedure (kind: procedure), run on purpose and never given to an alert's incident; name an incident playbook, or none`,
      );
    }
    if (Array.isArray(row?.match)) {
      row.match.forEach((kw, j) => {
        const owner = typeof kw === 'string' ? keywordOf.get(keywordKey(kw)) : undefined;
        if (owner) out.push(`alerts.${i}.match.${j}: "${kw}" is already a keyword of playbook ${owner}`);
      });
    }
  }
  return out;
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Each runbook's rows with their names and metrics compared as matchRule compares them, worked out once. */
const normalised = new WeakMap<readonly AlertRule[], { rule: AlertRule; name: string; metric: string }[]>();
function normalisedRules(rules: readonly AlertRule[]) {
  let rows = normalised.get(rules);
  if (!rows) {
    rows = rules.map((rule) => ({ rule, name: norm(rule.name), metric: norm(rule.metric) }));
    normalised.set(rules, rows);
  }
  return rows;
}

/** The levels, most severe first. */
const LEVEL_ORDER: readonly AlertLevel[] = ['critical', 'warning', 'info'];

/** `> 10%` → [>, 10, in percent]; null when the threshold is not a comparison with a number. */
function comparison(threshold: string): { op: string; n: number; percent: boolean } | null {
  const m = /^\s*([<>]=?)\s*(-?\d+(?:\.\d+)?)\s*(%)?/.exec(threshold);
  return m ? { op: m[1]!, n: Number(m[2]), percent: m[3] === '%' } : null;
}

/** Whether a value (`6%`, `0.82`, `2.731`) is past a row's threshold (`> 5%`); null when either cannot be read. */
function crosses(threshold: string, value: string): boolean | null {
  const c = comparison(threshold);
  const m = /-?\d+(?:\.\d+)?/.exec(value);
  if (!c || !m) return null;
  // A ratio (`0.14`, as `{{ $value }}` of an error-rate rule gives it) against a threshold in percent (`> 10%`).
  const percent = c.percent && !value.includes('%') && Math.abs(Number(m[0])) <= 1;
  const v = Number(m[0]) * (percent ? 100 : 1);
  return c.op === '>' ? v > c.n : c.op === '>=' ? v >= c.n : c.op === '<' ? v < c.n : v <= c.n;
}

/**
 * The row an alert matches: by its name (alertname), else by its metric. The runbook has a row per level for some
 * metrics (error rate: critical over 10%, warning over 5%), so by metric an alert that says its level gets the row of
 * that level (none: no row), unless its value is short of that row's threshold: then the most severe row of the metric
 * its value is past (`disk_usage 91%` sent as critical is past the warning row's > 90%, not the critical row's > 95%),
 * so that the threshold shown beside a value is never one it is not past while another row's is (that row's level is
 * then the alert's: see the parsers). A sender's level the value bears out stands (a warning at 97% is past the
 * warning row's > 90% too: the sender chose not to page). One that does not say its level (no severity label) gets its
 * metric's one row; of several, the most severe whose threshold its value is past, else (no value, or one no threshold
 * reads) the least severe: an alert that does not say how bad it is does not page on the strength of the row listed
 * first. Names and metrics are compared ignoring case and punctuation (`HighErrorRate`, `high-error-rate`).
 */
export function matchRule(
  rules: readonly AlertRule[],
  alert: { name?: string | null; metric?: string | null; level?: AlertLevel | null; value?: string | null },
): AlertRule | null {
  const rows = normalisedRules(rules);
  if (alert.name) {
    const name = norm(alert.name);
    const byName = rows.find((r) => r.name === name);
    if (byName) return byName.rule;
  }
  const metric = alert.metric ? norm(alert.metric) : null;
  if (!metric) return null;
  const byMetric = rows.filter((r) => r.metric === metric).map((r) => r.rule);
  const value = alert.value;
  // Whether the value is past a row's threshold; null when either cannot be read (or no value was given).
  const past = (r: AlertRule) => (value ? crosses(r.threshold, value) : null);
  const bySeverity = () => [...byMetric].sort((a, b) => LEVEL_ORDER.indexOf(a.level) - LEVEL_ORDER.indexOf(b.level));
  if (alert.level) {
    const own = byMetric.find((r) => r.level === alert.level) ?? null;
    if (!own || past(own) !== false) return own;
    return bySeverity().find((r) => past(r) === true) ?? own;
  }
  if (byMetric.length <= 1) return byMetric[0] ?? null;
  const sorted = bySeverity();
  return sorted.find((r) => past(r) === true) ?? sorted[sorted.length - 1]!;
}

/**
 * The alert rows that name no playbook and have words meaning their trouble: a title they fit best gets no playbook
 * (their action is the procedure), not the one a lesser word would suggest (see suggestPlaybook).
 */
export function titleClaims(rows: readonly AlertRule[]): (AlertRule & { match: readonly string[] })[] {
  return rows.filter(
    (r): r is AlertRule & { match: readonly string[] } => r.playbook === null && (r.match?.length ?? 0) > 0,
  );
}
