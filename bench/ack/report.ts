/** The report of bench/ack: the ack and card tables, the targets, memory, consistency, logs and the JSON line. */
import { type Child, type Columns, fmt, type Heap, logKindsByCount, logSummary, printTable, round } from '../lib.js';
import type { CallIndex } from './calls.js';
import { type AckFigures, type CardFigures, type Consistency, type Mem, mb } from './figures.js';
import {
  CONCURRENCIES,
  IDLE_AFTER_LOAD_MS,
  PACED_INTERVAL_MS,
  TARGET_ACK_RATIO,
  TARGET_CARD_P95_MS,
} from './settings.js';

/** Each target's reading: our bot and bare Bolt. */
interface Pair<T> {
  bot: T;
  bare: T;
}

/** Everything the run measured, for the report. */
export interface Run {
  seconds: number;
  quick: boolean;
  version: string;
  acks: AckFigures[];
  paced: [before: AckFigures, after: AckFigures];
  cards: CardFigures[];
  memory: {
    idle: Pair<Mem>;
    after: Pair<Mem>;
    rested: Pair<Mem>;
    idleHeap: Pair<Heap | undefined>;
    restedHeap: Pair<Heap | undefined>;
  };
  consistency: Consistency;
  index: CallIndex;
  bot: Child;
}

const ACK_COLUMNS: Columns = [
  ['target', 10],
  ['conc', 5],
  ['reqs', 8],
  ['err', 6],
  ['>3s', 6],
  ['p50', 8],
  ['p90', 8],
  ['p99', 8],
  ['max', 8],
  ['req/s', 9],
  ['cpu%', 7],
  ['bench%', 8],
  ['host%', 7],
];

const CARD_COLUMNS: Columns = [
  ['phase', 16],
  ['declared', 9],
  ['cards', 7],
  ['missing', 8],
  ['p50', 8],
  ['p95', 8],
  ['p99', 8],
  ['max', 8],
  ['err-replies', 12],
  ['drain ms', 10],
  ['err-logs', 9],
];

function printAckTable(rows: AckFigures[]): void {
  printTable(
    'Ack latency (time to the HTTP response), closed loop, keep-alive; ms',
    ACK_COLUMNS,
    rows,
    (r) => [
      r.target === 'bare' ? 'bare Bolt' : 'our bot',
      r.concurrency,
      r.requests,
      r.errors,
      r.over3s,
      r.p50,
      r.p90,
      r.p99,
      r.max,
      r.rps,
      r.targetCpuPct,
      r.benchCpuPct,
      r.hostCpuPct,
    ],
    (r) => (r.capped ? '  (hit the request cap)' : ''),
  );
}

function printCardTable(rows: CardFigures[]): void {
  printTable(
    'Command to card (card chat.postMessage seen by the fake Slack minus send time); ms',
    CARD_COLUMNS,
    rows,
    (r) => [
      r.phase,
      r.declared,
      r.cards,
      r.missing,
      r.p50,
      r.p95,
      r.p99,
      r.max,
      r.errorReplies,
      `${r.drainMs}${r.drainComplete ? '' : '+'}`,
      r.botErrorLogLines,
    ],
  );
  for (const r of rows) {
    for (const s of r.errorSamples) console.log(`  ${r.phase} error reply: ${s.slice(0, 160)}`);
    if (r.healthMidLoad) {
      const h = r.healthMidLoad;
      console.log(`  ${r.phase} GET /health mid-load: ${h.status} in ${h.ms} ms ${h.body.slice(0, 160)}`);
    }
  }
}

/** Prints the report; its last line is one JSON object with all the figures. */
export function report(run: Run): void {
  const { acks, cards, memory, consistency, index, bot } = run;
  const { idle, after, rested, idleHeap, restedHeap } = memory;
  const [pacedBefore, pacedAfter] = run.paced;

  printAckTable(acks);
  console.log(`\nPaced ack (1 at a time, every ${PACED_INTERVAL_MS} ms), ms`);
  for (const p of [pacedBefore, pacedAfter]) {
    console.log(
      `  our bot ${p.phase.padEnd(18)} n=${p.requests} err=${p.errors} p50 ${p.p50}  p90 ${p.p90}  max ${p.max}`,
    );
  }
  const ratios: Record<string, number | null> = {};
  console.log(`\nTarget: our ack p99 <= ${TARGET_ACK_RATIO} x bare Bolt ack p99`);
  for (const c of CONCURRENCIES) {
    const b = acks.find((a) => a.target === 'bare' && a.concurrency === c);
    const o = acks.find((a) => a.target === 'ours' && a.concurrency === c);
    const ratio = b?.p99 && o?.p99 ? round(o.p99 / b.p99, 2) : null;
    ratios[`c${c}`] = ratio;
    const verdict = ratio === null ? 'n/a' : ratio <= TARGET_ACK_RATIO ? 'MET' : 'MISSED';
    console.log(`  c${c}: ours ${o?.p99} ms / bare ${b?.p99} ms = ${ratio}x  -> ${verdict}`);
  }

  printCardTable(cards);
  const fresh = cards.find((c) => c.phase === 'paced fresh');
  const cardMet =
    fresh?.p95 !== null && fresh?.p95 !== undefined && fresh.p95 < TARGET_CARD_P95_MS && fresh.missing === 0;
  console.log(
    `\nTarget: card p95 < ${TARGET_CARD_P95_MS} ms (paced, fresh bot): p95 ${fresh?.p95} ms, ` +
      `${fresh?.missing} missing -> ${cardMet ? 'MET' : 'MISSED'}` +
      '\n  (the load rows measure queueing behind a saturating closed loop, not the target)',
  );

  console.log('\nMemory (VmRSS of the node process; peak = VmHWM)');
  console.log(
    `  our bot:   idle ${mb(idle.bot.rssKb)} MB, after load ${mb(after.bot.rssKb)} MB, peak ${mb(after.bot.hwmKb)} MB, ` +
      `${IDLE_AFTER_LOAD_MS / 1000} s later ${mb(rested.bot.rssKb)} MB`,
  );
  console.log(
    `  bare Bolt: idle ${mb(idle.bare.rssKb)} MB, after load ${mb(after.bare.rssKb)} MB, peak ${mb(after.bare.hwmKb)} MB, ` +
      `${IDLE_AFTER_LOAD_MS / 1000} s later ${mb(rested.bare.rssKb)} MB`,
  );
  const heapMb = (h: Heap | undefined) => (h ? mb(h.heapUsed / 1024) : null);
  const externalMb = (h: Heap | undefined) => (h ? mb(h.external / 1024) : null);
  console.log(
    `  heap used after a full GC: bot idle ${heapMb(idleHeap.bot)} MB -> after load ${heapMb(restedHeap.bot)} MB ` +
      `(external ${externalMb(idleHeap.bot)} -> ${externalMb(restedHeap.bot)} MB); bare Bolt ` +
      `${heapMb(idleHeap.bare)} -> ${heapMb(restedHeap.bare)} MB`,
  );
  console.log(
    `\nConsistency after the run: ${consistency.incidents} incident rows (${consistency.withoutChannel} without a ` +
      `channel, ${consistency.withoutCard} without a card ts); fake Slack: ${consistency.channelsCreated} incident ` +
      `channels created, ${consistency.channelsArchived} archived, ${consistency.orphanChannels} live with no ` +
      'incident row',
  );
  index.update();
  const methods = Object.fromEntries([...index.methodCounts].sort((a, b) => b[1] - a[1]));
  console.log(
    `\nFake Slack saw ${index.callCount} calls (${index.failedCalls} answered ok:false): ${JSON.stringify(methods)}`,
  );
  console.log(`Bot log over the whole run: ${bot.errorLines} error entries, ${bot.warnLines} warnings`);
  for (const [kind, n] of logKindsByCount(bot)) console.log(`  ${fmt(n, 6)} x ${kind}`);

  const result = {
    bench: 'ack',
    seconds: run.seconds,
    quick: run.quick,
    node: process.version,
    code: run.version,
    ack: acks,
    paced: [pacedBefore, pacedAfter],
    ratios,
    cards: cards.map(({ errorSamples: _, ...c }) => c),
    memoryMb: {
      bot: {
        idle: mb(idle.bot.rssKb),
        afterLoad: mb(after.bot.rssKb),
        peak: mb(after.bot.hwmKb),
        rested: mb(rested.bot.rssKb),
        heapAfterGcIdle: heapMb(idleHeap.bot),
        heapAfterGcAfterLoad: heapMb(restedHeap.bot),
      },
      bare: {
        idle: mb(idle.bare.rssKb),
        afterLoad: mb(after.bare.rssKb),
        peak: mb(after.bare.hwmKb),
        rested: mb(rested.bare.rssKb),
        heapAfterGcIdle: heapMb(idleHeap.bare),
        heapAfterGcAfterLoad: heapMb(restedHeap.bare),
      },
    },
    consistency,
    fakeSlack: { calls: index.callCount, okFalse: index.failedCalls, methods },
    botLog: logSummary(bot),
    targets: {
      ackP99Ratio: {
        max: TARGET_ACK_RATIO,
        met: Object.values(ratios).every((r) => r !== null && r <= TARGET_ACK_RATIO),
      },
      cardP95Ms: { max: TARGET_CARD_P95_MS, value: fresh?.p95 ?? null, met: cardMet },
    },
  };
  console.log(`\n${JSON.stringify(result)}`);
}
