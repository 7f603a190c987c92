/** The report of bench/soak: memory at each checkpoint, list latency, acks, what was lost, and the JSON line. */
import {
  type Child,
  type Columns,
  fmt,
  type Heap,
  logKindsByCount,
  logSummary,
  mb,
  percentile,
  printTable,
  round,
} from '../lib.js';
import type { SoakCalls } from './calls.js';
import type { Driver } from './driver.js';
import type { Checkpoint, ListPhase, Progress } from './main.js';
import { type Settings, TARGET_LIST_P99_MS, TARGET_RSS_GROWTH_PCT } from './settings.js';

export interface SoakRun {
  settings: Settings;
  version: string;
  cores: number;
  soakSeconds: number;
  cpu: { botMs: number; hostMs: number; wallMs: number };
  checkpoints: Checkpoint[];
  progress: Progress[];
  list: { before: ListPhase; after: ListPhase };
  driver: Driver;
  calls: SoakCalls;
  incidents: { status: string; n: number; withoutCard: number; declaring: number }[];
  listPlan: string[];
  bot: Child;
  bare: Child;
}

const MEMORY_COLUMNS: Columns = [
  ['checkpoint', 12],
  ['resolved', 10],
  ['bot RSS', 9],
  ['after GC', 10],
  ['heap', 8],
  ['of total', 10],
  ['external', 10],
  ['bare RSS', 10],
  ['after GC', 10],
  ['heap', 8],
];

const LIST_COLUMNS: Columns = [
  ['/incident list', 34],
  ['n', 6],
  ['p50', 8],
  ['p90', 8],
  ['p99', 8],
  ['max', 8],
];

const heapMb = (h: Heap | undefined) => (h ? mb(h.heapUsed / 1024) : null);
const growth = (from: number, to: number) => round(((to - from) / from) * 100, 1);

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

/** Prints the report; its last line is one JSON object with every figure. */
export function report(run: SoakRun): void {
  const { settings: s, checkpoints, driver, calls } = run;
  printTable(
    'Memory once idle: VmRSS as it is, VmRSS 1 s after a forced full GC, and the JS heap in use after that GC ' +
      '(of the heap V8 holds; external: memory of JS objects outside the heap, buffers included); MB',
    MEMORY_COLUMNS,
    checkpoints,
    (c) => [
      c.name,
      c.resolved,
      mb(c.bot.rssKb),
      mb(c.botAfterGc.rssKb),
      heapMb(c.botHeap),
      c.botHeap ? mb(c.botHeap.heapTotal / 1024) : null,
      c.botHeap ? mb(c.botHeap.external / 1024) : null,
      mb(c.bare.rssKb),
      mb(c.bareAfterGc.rssKb),
      heapMb(c.bareHeap),
    ],
  );
  const [start, middle, end] = checkpoints as [Checkpoint, Checkpoint, Checkpoint];
  const botGrowth = growth(start.botAfterGc.rssKb, end.botAfterGc.rssKb);
  const bareGrowth = growth(start.bareAfterGc.rssKb, end.bareAfterGc.rssKb);
  const botGrowthAsIs = growth(start.bot.rssKb, end.bot.rssKb);
  console.log(
    `  RSS after GC, start to end: bot ${botGrowth}% (start to middle ` +
      `${growth(start.botAfterGc.rssKb, middle.botAfterGc.rssKb)}%, middle to end ` +
      `${growth(middle.botAfterGc.rssKb, end.botAfterGc.rssKb)}%), bare Bolt ${bareGrowth}%; RSS as it is: bot ` +
      `${botGrowthAsIs}%, bare Bolt ${growth(start.bare.rssKb, end.bare.rssKb)}%; bot peak (VmHWM) ${mb(end.bot.hwmKb)} MB`,
  );
  console.log(
    `  heap after GC, start to end: bot ${heapMb(start.botHeap)} -> ${heapMb(end.botHeap)} MB, bare Bolt ` +
      `${heapMb(start.bareHeap)} -> ${heapMb(end.bareHeap)} MB`,
  );
  const [first, last] = [run.progress[0], run.progress[run.progress.length - 1]];
  const underLoad = first && last ? growth(first.botRssKb, last.botRssKb) : null;
  console.log(
    `  RSS under load, every tenth: ${run.progress.map((p) => `${p.resolved}: ${mb(p.botRssKb)}`).join(', ')} ` +
      `(bot, MB; first to last ${underLoad}%)`,
  );

  const before = stats(run.list.before.ms);
  const after = stats(run.list.after.ms);
  const queryBefore = stats(run.list.before.queryMs);
  const queryAfter = stats(run.list.after.queryMs);
  printTable(
    'List latency: /incident list sent to its reply reaching the fake Slack, one at a time (query: the list query ' +
      'alone, from the bench); ms',
    LIST_COLUMNS,
    [
      [`0 resolved, ${s.open} open`, before] as const,
      [`  query alone`, queryBefore] as const,
      [`${s.incidents} resolved, ${s.open} open`, after] as const,
      [`  query alone`, queryAfter] as const,
    ],
    ([name, x]) => [name, x.n, x.p50, x.p90, x.p99, x.max],
  );
  console.log(
    `  replies' headers: before ${JSON.stringify([...run.list.before.headers])}, after ${JSON.stringify([...run.list.after.headers])}`,
  );
  console.log(`  the list query at the end (EXPLAIN ANALYZE):`);
  for (const line of run.listPlan) console.log(`    ${line}`);

  const botAck = stats(driver.acks.bot);
  const bareAck = stats(driver.acks.bare);
  const cycles = s.incidents - s.warmup;
  console.log(
    `\nAcks of every request (${botAck.n} to the bot, ${bareAck.n} copies to bare Bolt), ms: bot p50 ${botAck.p50} ` +
      `p99 ${botAck.p99} max ${botAck.max}; bare Bolt p50 ${bareAck.p50} p99 ${bareAck.p99} max ${bareAck.max}; ` +
      `not HTTP 200: bot ${driver.httpErrors.bot}, bare Bolt ${driver.httpErrors.bare}`,
  );
  const hostPct = round((run.cpu.hostMs / run.cpu.wallMs) * 100, 0);
  console.log(
    `Pace: ${cycles} incidents after the warm-up in ${run.soakSeconds.toFixed(1)} s (${round(cycles / run.soakSeconds, 1)}/s); ` +
      `bot CPU ${round(run.cpu.botMs / (s.incidents + s.open), 1)} ms per incident over the whole run; host ` +
      `${hostPct}% of ${run.cores * 100} (others share the machine when it is well above the bot's share)`,
  );
  const lostBy = new Map<string, number>();
  for (const l of driver.lost) lostBy.set(l.step, (lostBy.get(l.step) ?? 0) + 1);
  console.log(
    `Lost steps: ${driver.lost.length}${driver.lost.length ? ` ${JSON.stringify(Object.fromEntries(lostBy))}` : ''}`,
  );
  for (const l of driver.lost.slice(0, 5)) console.log(`  ${l.step} #${l.n}: ${l.why}`);
  console.log(
    `Incidents in the database: ${run.incidents.map((r) => `${r.status} ${r.n} (${r.withoutCard} without a card, ${r.declaring} still declaring)`).join('; ')}`,
  );
  const methods = Object.fromEntries([...calls.methodCounts].sort((a, b) => b[1] - a[1]));
  console.log(
    `Fake Slack saw ${calls.callCount} calls (${calls.failedCalls} answered ok:false): ${JSON.stringify(methods)}`,
  );
  for (const c of [run.bot, run.bare]) {
    console.log(`${c.name} log over the whole run: ${c.errorLines} error entries, ${c.warnLines} warnings`);
    for (const [kind, n] of logKindsByCount(c).slice(0, 8)) console.log(`  ${fmt(n, 6)} x ${kind}`);
  }

  const resolved = run.incidents.find((r) => r.status === 'resolved')?.n ?? 0;
  const open = run.incidents.filter((r) => r.status !== 'resolved').reduce((n, r) => n + r.n, 0);
  // The second half alone too: a start reading taken while V8 still held a heap grown during the warm-up (it did
  // when the machine was starved then) would hide growth that the second half still shows.
  const halfGrowth = growth(middle.botAfterGc.rssKb, end.botAfterGc.rssKb);
  const inflatedStart = start.botAfterGc.rssKb > middle.botAfterGc.rssKb * 1.1;
  const met = {
    rss:
      botGrowth !== null &&
      botGrowth < TARGET_RSS_GROWTH_PCT &&
      halfGrowth !== null &&
      halfGrowth < TARGET_RSS_GROWTH_PCT,
    list: after.p99 !== null && after.p99 < TARGET_LIST_P99_MS,
    complete: driver.lost.length === 0 && resolved === s.incidents && open === s.open,
  };
  const v = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  console.log('\nTargets');
  console.log(
    `  bot RSS growth after the warm-up (after a full GC): ${mb(start.botAfterGc.rssKb)} -> ` +
      `${mb(end.botAfterGc.rssKb)} MB = ${botGrowth}%, second half ${halfGrowth}% (each under ` +
      `${TARGET_RSS_GROWTH_PCT}%; as it is ${botGrowthAsIs}%; bare Bolt ${bareGrowth}%) -> ${v(met.rss)}`,
  );
  if (inflatedStart) {
    console.log(
      `    the start reading is more than 10% above the middle one (V8 held ${start.botHeap ? mb(start.botHeap.heapTotal / 1024) : '?'} MB ` +
        `of heap then, ${middle.botHeap ? mb(middle.botHeap.heapTotal / 1024) : '?'} MB at the middle): growth from it ` +
        'says little; read the second half and RSS under load',
    );
  }
  console.log(
    `  /incident list p99 with ${resolved} resolved and ${open} open: ${after.p99} ms (under ${TARGET_LIST_P99_MS} ms; ` +
      `${before.p99} ms with 0 resolved; the query alone ${queryAfter.p99} ms) -> ${v(met.list)}`,
  );
  console.log(
    `  every incident declared, updated and resolved (${resolved} of ${s.incidents} resolved, ${open} of ${s.open} ` +
      `open, ${driver.lost.length} steps lost) -> ${v(met.complete)}`,
  );

  const result = {
    bench: 'soak',
    settings: s,
    node: process.version,
    code: run.version,
    cores: run.cores,
    soakSeconds: round(run.soakSeconds, 1),
    memoryMb: checkpoints.map((c) => ({
      name: c.name,
      resolved: c.resolved,
      botRss: mb(c.bot.rssKb),
      botRssAfterGc: mb(c.botAfterGc.rssKb),
      botHeapAfterGc: heapMb(c.botHeap),
      botHeapTotal: c.botHeap ? mb(c.botHeap.heapTotal / 1024) : null,
      botExternal: c.botHeap ? mb(c.botHeap.external / 1024) : null,
      bareRss: mb(c.bare.rssKb),
      bareRssAfterGc: mb(c.bareAfterGc.rssKb),
      bareHeapAfterGc: heapMb(c.bareHeap),
      botPeak: mb(c.bot.hwmKb),
    })),
    rssGrowthPct: { botAfterGc: botGrowth, bareAfterGc: bareGrowth, botAsIs: botGrowthAsIs, botUnderLoad: underLoad },
    rssUnderLoadMb: run.progress.map((p) => ({ resolved: p.resolved, bot: mb(p.botRssKb), bare: mb(p.bareRssKb) })),
    listMs: { before, after, queryBefore, queryAfter },
    ackMs: { bot: botAck, bare: bareAck },
    httpErrors: driver.httpErrors,
    lost: { total: driver.lost.length, byStep: Object.fromEntries(lostBy) },
    incidents: run.incidents,
    cpu: { botMsPerIncident: round(run.cpu.botMs / (s.incidents + s.open), 1), hostPct },
    fakeSlack: { calls: calls.callCount, okFalse: calls.failedCalls, methods },
    botLog: logSummary(run.bot),
    targets: {
      rssGrowthPct: {
        max: TARGET_RSS_GROWTH_PCT,
        value: botGrowth,
        secondHalf: halfGrowth,
        inflatedStart,
        met: met.rss,
      },
      listP99Ms: { max: TARGET_LIST_P99_MS, value: after.p99, met: met.list },
      complete: { met: met.complete },
    },
  };
  console.log(`\n${JSON.stringify(result)}`);
}
