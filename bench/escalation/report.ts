/** The report of bench/escalation: the lateness and correctness tables, the targets and the JSON line. */
import { type Child, type Columns, fmt, logKindsByCount, logSummary, printTable, round } from '../lib.js';
import type { Lateness, PhaseResult } from './figures.js';
import { GRAFANA_TOLERANCE_MS, MONZO_POLL_MS, TARGET_P99_MS } from './settings.js';

const met = (r: PhaseResult) => ({
  p99: r.claim.p99 !== null && r.claim.p99 < TARGET_P99_MS,
  duplicates: r.duplicates === 0,
  missed: r.missed === 0,
});

/** Three lines per phase (claim, page DM, done); the measure is left-aligned after a gap. */
const LATENESS_COLUMNS: Columns = [
  ['phase', 8],
  ['jobs', 6],
  ['  measure', 11, 'left'],
  ['n', 6],
  ['p50', 9],
  ['p90', 9],
  ['p99', 9],
  ['max', 9],
];

const CORRECTNESS_COLUMNS: Columns = [
  ['phase', 8],
  ['in time', 8],
  ['missed', 8],
  ['dup DMs', 9],
  ['dup posts', 11],
  ['retried', 9],
  ['by A/B', 11],
  ['jobs/s', 8],
  ['cpu% A', 8],
  ['cpu% B', 8],
  ['bench%', 8],
  ['host%', 7],
  ['ms/job', 8],
  ['err/warn', 10],
];

const latenessCells = (l: Lateness) => [l.n, l.p50, l.p90, l.p99, l.max];

function printTables(results: PhaseResult[]): void {
  printTable(
    'Lateness after the due time, ms (claim: fired_at - due_at in the database; page DM: the fake Slack\n' +
      'received the DM to the on-call contact; done: finished_at - due_at)',
    LATENESS_COLUMNS,
    results.flatMap((r) => [
      [r.phase, r.jobs, '  claim', ...latenessCells(r.claim)],
      ['', '', '  page DM', ...latenessCells(r.pageDm)],
      ['', '', '  done', ...latenessCells(r.done)],
    ]),
    (cells) => cells,
  );

  printTable('Correctness and load', CORRECTNESS_COLUMNS, results, (r) => [
    r.phase,
    r.jobs - r.missed,
    r.missed,
    r.duplicates,
    r.duplicateChannelPosts,
    r.retried,
    `${r.pagesBy.A}/${r.pagesBy.B}`,
    r.jobsPerSecond,
    r.cpuPct.A,
    r.cpuPct.B,
    r.cpuPct.bench,
    r.cpuPct.host,
    r.botCpuMsPerJob,
    `${r.botLog.errors}/${r.botLog.warnings}`,
  ]);
  for (const r of results) {
    const states = Object.entries(r.states)
      .map(([s, c]) => `${c} ${s}`)
      .join(', ');
    console.log(
      `  ${r.phase}: due ${r.spreadMs ? `evenly over ${r.spreadMs} ms` : 'all at one instant'}, rows committed ` +
        `${r.leadMs} ms ahead; jobs ${states}${r.timedOut ? ` (${r.neverDone} never done)` : ''}; ` +
        `${r.pageRows} pages rows, ` +
        `${r.deliveryRows} deliveries; Slack ${JSON.stringify(r.slackCalls)}` +
        `${r.slackOkFalse ? `, ${r.slackOkFalse} ok:false` : ''}`,
    );
    const st = (l: Lateness) => `${l.p50}/${l.p99}`;
    console.log(
      `    steps of one job, p50/p99 ms: claim -> DM ${st(r.steps.claimToDm)}, DM -> channel post ` +
        `${st(r.steps.dmToChannelPost)}, channel post -> done ${st(r.steps.channelPostToDone)}, done -> card update ` +
        `${st(r.steps.doneToCardUpdate)}`,
    );
    for (const e of r.lastErrors) console.log(`    last_error: ${e}`);
  }

  console.log(`\nTargets (each phase): claim p99 < ${TARGET_P99_MS} ms, 0 duplicates, 0 missed`);
  for (const r of results) {
    const m = met(r);
    const v = (ok: boolean) => (ok ? 'MET' : 'MISSED');
    console.log(
      `  ${r.phase.padEnd(7)} claim p99 ${r.claim.p99} ms -> ${v(m.p99)}; duplicates ${r.duplicates} -> ` +
        `${v(m.duplicates)}; missed ${r.missed} -> ${v(m.missed)}`,
    );
  }
  const worst = Math.max(...results.map((r) => r.pageDm.max ?? Number.POSITIVE_INFINITY));
  console.log(
    `\nFor comparison: Grafana OnCall audits escalations with a 5-minute tolerance (${GRAFANA_TOLERANCE_MS} ms) and ` +
      `Monzo Response polls once a minute (up to ${MONZO_POLL_MS} ms late). The latest page DM here was ` +
      `${round(worst)} ms after its due time.`,
  );
}

/** Everything the run measured, for the report. */
export interface Run {
  jobs: number;
  version: string;
  cores: number;
  backgroundHostPct: number | null;
  results: PhaseResult[];
  bots: { A: Child; B: Child };
}

/** Prints the report; its last line is one JSON object with every figure. */
export function report(run: Run): void {
  const { jobs, version, backgroundHostPct, results, bots } = run;
  printTables(results);
  console.log(
    `\nBot logs over the whole run: A ${bots.A.errorLines} errors, ${bots.A.warnLines} warnings; B ` +
      `${bots.B.errorLines} errors, ${bots.B.warnLines} warnings`,
  );
  for (const [name, c] of Object.entries(bots)) {
    for (const [kind, n] of logKindsByCount(c)) console.log(`  ${name} ${fmt(n, 5)} x ${kind}`);
  }
  const result = {
    bench: 'escalation',
    jobs,
    node: process.version,
    code: version,
    cores: run.cores,
    backgroundHostPct,
    phases: results,
    botLog: { A: logSummary(bots.A), B: logSummary(bots.B) },
    targets: Object.fromEntries(
      results.map((r) => {
        const m = met(r);
        return [
          r.phase,
          {
            claimP99Ms: { max: TARGET_P99_MS, value: r.claim.p99, met: m.p99 },
            duplicates: { max: 0, value: r.duplicates, met: m.duplicates },
            missed: { max: 0, value: r.missed, met: m.missed },
          },
        ];
      }),
    ),
    comparison: { grafanaOnCallToleranceMs: GRAFANA_TOLERANCE_MS, monzoResponsePollMs: MONZO_POLL_MS },
  };
  console.log(`\n${JSON.stringify(result)}`);
}
