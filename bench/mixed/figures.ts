/**
 * The figures of bench/mixed: ack latency per kind of request and target, how each request ended (from its ack, its
 * reply and the audit), the channel budget across the two bots, and the cards against the database.
 */
import { BUSY_TEXT } from '../../src/slack/work-gate.js';
import type { ThreadedFakeSlack } from '../fake-slack-thread.js';
import { type BenchSchema, percentile, round } from '../lib.js';
import type { CallIndex } from './calls.js';
import type { OpenIncident } from './cards.js';
import { readCard } from './cards.js';
import type { Sample } from './load.js';
import { type Kind, MIX, SLACK_ACK_DEADLINE_MS } from './settings.js';

export interface Latency {
  kind: Kind | 'all';
  requests: number;
  /** Answers that were not HTTP 200 (network errors and timeouts included). */
  httpErrors: number;
  over3s: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export function latency(kind: Kind | 'all', samples: Sample[]): Latency {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    kind,
    requests: samples.length,
    httpErrors: samples.filter((s) => s.status !== 200).length,
    over3s: ms.filter((m) => m > SLACK_ACK_DEADLINE_MS).length,
    p50: round(percentile(ms, 50)),
    p90: round(percentile(ms, 90)),
    p99: round(percentile(ms, 99)),
    max: round(ms[ms.length - 1] ?? Number.NaN),
  };
}

/** The latency of every kind in MIX order, then of all requests together. */
export function latencyTable(samples: Sample[]): Latency[] {
  const rows = MIX.map(([kind]) =>
    latency(
      kind,
      samples.filter((s) => s.kind === kind),
    ),
  );
  return [...rows, latency('all', samples)];
}

/** How a request of our bots ended, as the person would see it. */
export type Ending =
  | 'ok'
  | 'http_error'
  /** The form was sent back with an error although it was filled in right. */
  | 'form_error'
  /** The bot was too busy: the work gate was full. */
  | 'refused_overload'
  /** A declaration beyond Slack's channel-creation budget. */
  | 'refused_channel_limit'
  /** A per-person limit. */
  | 'refused_user_limit'
  /** A reply that says something went wrong. */
  | 'error_reply';

const ENDINGS: Ending[] = [
  'ok',
  'http_error',
  'form_error',
  'refused_overload',
  'refused_channel_limit',
  'refused_user_limit',
  'error_reply',
];

// biome-ignore lint/suspicious/noExplicitAny: ack bodies are read defensively
function parse(body: string): any {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

export function ending(s: Sample, index: CallIndex): Ending {
  if (s.status !== 200) return 'http_error';
  if (s.ackBody) {
    const ack = parse(s.ackBody);
    const said = JSON.stringify(ack ?? s.ackBody);
    if (said.includes('overloaded')) return 'refused_overload';
    if (ack?.response_action === 'errors') return 'form_error';
  }
  const reply = s.key ? index.replies.get(s.key) : undefined;
  if (!reply) return 'ok';
  const t = reply.text;
  if (t === BUSY_TEXT || t.includes('is overloaded right now')) return 'refused_overload';
  if (t.includes('Slack lets the bot create only')) return 'refused_channel_limit';
  if (/^You have (declared|run) \d+/.test(t)) return 'refused_user_limit';
  if (/reference [0-9A-F]{6}|Something went wrong|^:x:/.test(t)) return 'error_reply';
  return 'ok';
}

export type EndingCounts = Record<Ending, number>;

/** Per kind: how many requests ended each way. */
export function endings(samples: Sample[], index: CallIndex): Map<Kind, EndingCounts> {
  const out = new Map<Kind, EndingCounts>();
  for (const [kind] of MIX) out.set(kind, Object.fromEntries(ENDINGS.map((e) => [e, 0])) as EndingCounts);
  for (const s of samples) out.get(s.kind)![ending(s, index)]++;
  return out;
}

export function totalEndings(per: Map<Kind, EndingCounts>): EndingCounts {
  const total = Object.fromEntries(ENDINGS.map((e) => [e, 0])) as EndingCounts;
  for (const c of per.values()) for (const e of ENDINGS) total[e] += c[e];
  return total;
}

/** The audit of a stretch of the run: rows by action and outcome, and the reasons for the refusals and failures. */
export interface AuditSummary {
  rows: number;
  /** Refused for another reason than overload or, for a declaration, Slack's channel budget. */
  otherRefused: number;
  byAction: { action: string; outcome: string; n: number }[];
  reasons: { outcome: string; action: string; reason: string; n: number }[];
}

export async function auditId(schema: BenchSchema): Promise<number> {
  const { rows } = await schema.admin.query<{ id: string | null }>(
    `SELECT max(id) AS id FROM ${schema.name}.audit_log`,
  );
  return Number(rows[0]?.id ?? 0);
}

export async function auditSummary(schema: BenchSchema, afterId: number, toId: number): Promise<AuditSummary> {
  const t = `${schema.name}.audit_log`;
  const range = 'id > $1 AND id <= $2';
  const byAction = await schema.admin.query<{ action: string; outcome: string; n: string }>(
    `SELECT action, outcome, count(*) AS n FROM ${t} WHERE ${range} GROUP BY 1, 2 ORDER BY 1, 2`,
    [afterId, toId],
  );
  const reasons = await schema.admin.query<{ outcome: string; action: string; reason: string; n: string }>(
    `SELECT outcome, action, left(regexp_replace(coalesce(reason, ''), '[0-9]+', 'N', 'g'), 140) AS reason,
            count(*) AS n
     FROM ${t} WHERE ${range} AND outcome IN ('refused', 'failed') GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 12`,
    [afterId, toId],
  );
  const other = await schema.admin.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${t} WHERE ${range} AND outcome = 'refused' AND action <> 'overloaded'
       AND coalesce(reason, '') NOT LIKE 'overloaded%'
       AND NOT (action = 'declare' AND coalesce(reason, '') LIKE '%Slack lets the bot create only%')`,
    [afterId, toId],
  );
  return {
    rows: byAction.rows.reduce((n, r) => n + Number(r.n), 0),
    otherRefused: Number(other.rows[0]?.n ?? 0),
    byAction: byAction.rows.map((r) => ({ action: r.action, outcome: r.outcome, n: Number(r.n) })),
    reasons: reasons.rows.map((r) => ({ ...r, n: Number(r.n) })),
  };
}

/**
 * Audit rows refused for another reason than overload (counted from the answers; the audit's own `overloaded` rows
 * count those it did not write one by one) or the channel budget.
 */
export const otherAuditRefusals = (a: AuditSummary) => a.otherRefused;

export const auditFailed = (a: AuditSummary) =>
  a.byAction.filter((r) => r.outcome === 'failed').reduce((n, r) => n + r.n, 0);

/** Channels created in each wall-clock minute (Slack's budget and the bots' count both go by the minute). */
export function channelsPerMinute(index: CallIndex, windows: { from: number; to: number }[]): number[] {
  const perMinute = new Map<number, number>();
  for (const at of index.channelsCreatedAt) {
    if (!windows.some((w) => at >= w.from && at <= w.to)) continue;
    const m = Math.floor(at / 60_000);
    perMinute.set(m, (perMinute.get(m) ?? 0) + 1);
  }
  return [...perMinute.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
}

export interface CardCheck {
  checked: number;
  /** Cards whose severity, status or commander differ from the incident row once the bots are idle. */
  stale: number;
  samples: string[];
}

/**
 * Each open incident's card as the fake Slack holds it after the load, against its row: two bots update the same
 * cards, and the last update to land must show the last state.
 */
export async function checkCards(
  schema: BenchSchema,
  fake: ThreadedFakeSlack,
  incidents: OpenIncident[],
): Promise<CardCheck> {
  const { rows } = await schema.admin.query<{
    id: number;
    severity: number;
    status: string;
    commander_id: string | null;
  }>(`SELECT id, severity, status, commander_id FROM ${schema.name}.incidents WHERE id = ANY($1::int[])`, [
    incidents.map((i) => i.id),
  ]);
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  let stale = 0;
  const samples: string[] = [];
  for (const i of incidents) {
    const row = byId.get(i.id);
    const card = readCard(fake, i.channelId, i.cardTs);
    if (!row || !card) continue;
    const shownSeverity = /^SEV-(\d)/.exec(card.text)?.[1];
    const commanderField = JSON.stringify(card.blocks).match(/\*Commander\*\\n(<@([A-Z0-9]+)>|_nobody yet_)/);
    const shownCommander = commanderField?.[2] ?? null;
    const shownStatus = / — (\w+)$/.exec(card.text)?.[1]?.toLowerCase();
    const problems: string[] = [];
    if (shownSeverity !== String(row.severity)) problems.push(`severity ${shownSeverity} vs ${row.severity}`);
    if (shownCommander !== row.commander_id) problems.push(`commander ${shownCommander} vs ${row.commander_id}`);
    if (shownStatus !== row.status) problems.push(`status ${shownStatus} vs ${row.status}`);
    if (problems.length) {
      stale++;
      if (samples.length < 3) samples.push(`#${i.number}: card shows ${problems.join(', ')} (row)`);
    }
  }
  return { checked: incidents.length, stale, samples };
}
