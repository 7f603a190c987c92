/** The report of bench/mixed: the tables, the checks, the targets and the JSON line. */
import {
  type Child,
  type Columns,
  fmt,
  logKindsByCount,
  logSummary,
  mb,
  percentile,
  printTable,
  round,
} from '../lib.js';
import type { CallIndex } from './calls.js';
import {
  type AuditSummary,
  auditFailed,
  type CardCheck,
  type EndingCounts,
  endings,
  type Latency,
  latencyTable,
  otherAuditRefusals,
  totalEndings,
} from './figures.js';
import type { Sample } from './load.js';
import type { RoundResult, Target } from './main.js';
import { CHANNEL_LIMIT_PER_MINUTE, KIND_LABELS, type Kind, type Settings, TARGET_ACK_RATIO } from './settings.js';

export interface MixedRun {
  settings: Settings;
  version: string;
  cores: number;
  idleHostPct: number | null;
  rounds: RoundResult[];
  index: CallIndex;
  audit: AuditSummary;
  cards: CardCheck;
  channelsPerMinute: number[];
  health: { status: number; body: string }[];
  bots: Child[];
  bares: Child[];
  rss: { start: { A: number; B: number }; end: { A: number; B: number } };
}

const LATENCY_COLUMNS: Columns = [
  ['request', 21],
  ['bare n', 8],
  ['p50', 10],
  ['p99', 10],
  ['ours n', 8],
  ['err', 7],
  ['>3s', 7],
  ['p50', 10],
  ['p90', 10],
  ['p99', 10],
  ['max', 10],
  ['p99 x', 7],
];

const ENDING_COLUMNS: Columns = [
  ['request', 21],
  ['sent', 7],
  ['ok', 7],
  ['busy', 8],
  ['chan-lim', 9],
  ['user-lim', 9],
  ['err-reply', 10],
  ['form-err', 9],
  ['http-err', 9],
];

const label = (k: Kind | 'all') => (k === 'all' ? 'all requests' : KIND_LABELS[k]);

function pooled(rounds: RoundResult[], target: Target): Sample[] {
  return rounds.filter((r) => r.target === target).flatMap((r) => r.run.samples);
}

function cpuPct(rounds: RoundResult[], target: Target) {
  const mine = rounds.filter((r) => r.target === target);
  const ms = mine.reduce((t, r) => t + r.run.elapsedMs, 0);
  const sum = (f: (r: RoundResult) => number) => round((mine.reduce((t, r) => t + f(r), 0) / ms) * 100, 0);
  return { target: sum((r) => r.cpu.target), bench: sum((r) => r.cpu.bench), host: sum((r) => r.cpu.host) };
}

/** Prints the report; its last line is one JSON object with every figure. */
export function report(run: MixedRun): void {
  const { rounds, index, audit, cards, settings: s } = run;
  const bare = latencyTable(pooled(rounds, 'bare'));
  const ourSamples = pooled(rounds, 'ours');
  const ours = latencyTable(ourSamples);
  const byKind = (rows: Latency[], k: Kind | 'all') => rows.find((r) => r.kind === k)!;

  printTable(
    `Ack latency (send to end of HTTP response), open loop at ${s.rate}/s over 2 processes, pooled over ${s.rounds} rounds; ms`,
    LATENCY_COLUMNS,
    ours,
    (o) => {
      const b = byKind(bare, o.kind);
      return [
        label(o.kind),
        b.requests,
        b.p50,
        b.p99,
        o.requests,
        o.httpErrors,
        o.over3s,
        o.p50,
        o.p90,
        o.p99,
        o.max,
        b.p99 && o.p99 ? round(o.p99 / b.p99, 2) : null,
      ];
    },
  );

  console.log('\nPer round (ack p99, ms; rounds alternate bare, ours, ours, bare, …)');
  for (const r of rounds) {
    const ms = r.run.samples.map((x) => x.ms).sort((a, b) => a - b);
    const lag = r.run.samples.map((x) => x.lagMs).sort((a, b) => a - b);
    console.log(
      `  round ${r.round + 1} ${r.target === 'ours' ? 'our bots ' : 'bare Bolt'}: ${fmt(r.run.samples.length, 6)} requests, ` +
        `p50 ${fmt(round(percentile(ms, 50)), 6)}  p99 ${fmt(round(percentile(ms, 99)), 7)}; bench send lag p99 ` +
        `${round(percentile(lag, 99))} ms, max ${round(lag[lag.length - 1] ?? Number.NaN)} ms` +
        `${r.drain ? `; backlog drained ${r.drain.ms}${r.drain.complete ? '' : '+'} ms after (${r.drain.workMs} ms without Home tabs)` : ''}`,
    );
  }
  const cpu = { bare: cpuPct(rounds, 'bare'), ours: cpuPct(rounds, 'ours') };
  console.log(
    `\nCPU during the rounds, % of one core: our 2 bots ${cpu.ours.target} (bench ${cpu.ours.bench}, host ` +
      `${cpu.ours.host}); 2 bare Bolts ${cpu.bare.target} (bench ${cpu.bare.bench}, host ${cpu.bare.host}); ` +
      `host idle before the load ${run.idleHostPct} of ${run.cores * 100}`,
  );

  const ends = endings(ourSamples, index);
  printTable(
    'How our requests ended (ack body and response_url reply): ok, refused (busy, channel limit, per-person limit), errors',
    ENDING_COLUMNS,
    [...ends.entries()],
    ([k, c]: [Kind, EndingCounts]) => [
      label(k),
      Object.values(c).reduce((a, b) => a + b, 0),
      c.ok,
      c.refused_overload,
      c.refused_channel_limit,
      c.refused_user_limit,
      c.error_reply,
      c.form_error,
      c.http_error,
    ],
  );
  const total = totalEndings(ends);
  const httpErrors = new Map<string, number>();
  for (const x of ourSamples.filter((y) => y.status !== 200)) {
    const what = x.status === -1 ? (x.error ?? 'no answer') : `HTTP ${x.status}`;
    httpErrors.set(what, (httpErrors.get(what) ?? 0) + 1);
  }
  if (httpErrors.size) console.log(`  not HTTP 200: ${JSON.stringify(Object.fromEntries(httpErrors))}`);

  console.log(`\nAudit of our rounds: ${audit.rows} rows`);
  const actions = [...new Set(audit.byAction.map((r) => r.action))];
  for (const a of actions) {
    const parts = audit.byAction.filter((r) => r.action === a).map((r) => `${r.outcome} ${r.n}`);
    console.log(`  ${a.padEnd(22)} ${parts.join(', ')}`);
  }
  for (const r of audit.reasons) console.log(`  ${fmt(r.n, 6)} x ${r.outcome} ${r.action}: ${r.reason}`);

  const maxPerMinute = Math.max(0, ...run.channelsPerMinute);
  console.log(
    `\nChannel budget across both bots: channels created per wall-clock minute during our rounds ` +
      `[${run.channelsPerMinute.join(', ')}], at most ${maxPerMinute} (limit ${CHANNEL_LIMIT_PER_MINUTE}) -> ` +
      `${maxPerMinute <= CHANNEL_LIMIT_PER_MINUTE ? 'held' : 'EXCEEDED'}`,
  );
  console.log(
    `Cards after the load: ${cards.checked - cards.stale} of ${cards.checked} show their incident's severity, status ` +
      `and commander as the database has them${cards.stale ? `; ${cards.stale} stale` : ''}`,
  );
  for (const x of cards.samples) console.log(`  ${x}`);
  for (const [i, h] of run.health.entries())
    console.log(`GET /health on bot ${i === 0 ? 'A' : 'B'} mid-load: ${h.status} ${h.body.slice(0, 200)}`);
  console.log(
    `RSS: bot A ${mb(run.rss.start.A)} -> ${mb(run.rss.end.A)} MB, bot B ${mb(run.rss.start.B)} -> ${mb(run.rss.end.B)} MB`,
  );
  const methods = Object.fromEntries([...index.methodCounts].sort((a, b) => b[1] - a[1]));
  console.log(
    `Fake Slack saw ${index.callCount} calls (${index.failedCalls} answered ok:false): ${JSON.stringify(methods)}`,
  );
  for (const [text, n] of [...index.ephemerals].sort((a, b) => b[1] - a[1]).slice(0, 5))
    console.log(`  ${fmt(n, 6)} x ephemeral: ${text}`);
  for (const b of [...run.bots, ...run.bares]) {
    console.log(`${b.name} log over the whole run: ${b.errorLines} error entries, ${b.warnLines} warnings`);
    for (const [kind, n] of logKindsByCount(b).slice(0, 8)) console.log(`  ${fmt(n, 6)} x ${kind}`);
  }

  const b = byKind(bare, 'all');
  const o = byKind(ours, 'all');
  const ratio = b.p99 && o.p99 ? round(o.p99 / b.p99, 2) : null;
  const failed = auditFailed(audit);
  const errors = total.http_error + total.form_error + failed;
  const refused = total.refused_overload + otherAuditRefusals(audit);
  const met = {
    ackP99: ratio !== null && ratio <= TARGET_ACK_RATIO,
    errors: errors === 0,
    refused: refused === 0,
  };
  const v = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  console.log('\nTargets');
  console.log(
    `  ack p99, all requests: ours ${o.p99} ms / bare Bolt ${b.p99} ms = ${ratio}x (at most ${TARGET_ACK_RATIO}x) -> ${v(met.ackP99)}`,
  );
  console.log(
    `  errors: ${errors} (${total.http_error} not HTTP 200, ${total.form_error} forms sent back, ${failed} failed in the ` +
      `audit; ${total.error_reply} error replies seen) -> ${v(met.errors)}`,
  );
  console.log(
    `  refused, other than declarations beyond the channel budget: ${refused} (${total.refused_overload} busy, ` +
      `${refused - total.refused_overload} other refusals in the audit); ${total.refused_channel_limit} declarations ` +
      `refused for the channel budget -> ${v(met.refused)}`,
  );

  const result = {
    bench: 'mixed',
    settings: s,
    node: process.version,
    code: run.version,
    cores: run.cores,
    idleHostPct: run.idleHostPct,
    latency: { bare, ours },
    rounds: rounds.map((r) => ({
      target: r.target,
      round: r.round + 1,
      requests: r.run.samples.length,
      p99: round(
        percentile(
          r.run.samples.map((x) => x.ms).sort((a, c) => a - c),
          99,
        ),
      ),
      drainMs: r.drain?.ms ?? null,
      workDrainMs: r.drain?.workMs ?? null,
    })),
    cpuPct: cpu,
    endings: { total, byKind: Object.fromEntries(ends), httpErrors: Object.fromEntries(httpErrors) },
    audit,
    channelsPerMinute: run.channelsPerMinute,
    cards,
    rssMb: {
      A: { start: mb(run.rss.start.A), end: mb(run.rss.end.A) },
      B: { start: mb(run.rss.start.B), end: mb(run.rss.end.B) },
    },
    fakeSlack: { calls: index.callCount, okFalse: index.failedCalls, methods },
    botLog: Object.fromEntries(run.bots.map((c) => [c.name, logSummary(c)])),
    targets: {
      ackP99Ratio: { max: TARGET_ACK_RATIO, value: ratio, met: met.ackP99 },
      errors: { max: 0, value: errors, met: met.errors },
      refused: { max: 0, value: refused, channelLimitDeclarations: total.refused_channel_limit, met: met.refused },
    },
  };
  console.log(`\n${JSON.stringify(result)}`);
}
