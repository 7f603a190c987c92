/**
 * Mixed load on two bot processes that share one Postgres schema and one Redis: 50 open incidents, then 200 signed
 * requests a second for 60 s (status and list commands, /incident update, clicks on the cards' buttons and select,
 * status update form submissions, a few declarations), sent in an open loop and spread over both processes; the same
 * requests against two bare Bolt processes, in alternating rounds, are the baseline.
 *
 *   npm run bench:mixed                         # 60 s per target in 3 rounds, 200 requests a second
 *   npx tsx bench/mixed/main.ts --quick         # 10 s per target in 2 rounds
 *   npx tsx bench/mixed/main.ts --seconds 30 --rounds 3 --rate 100
 *
 * Everything runs on loopback: a fake Slack Web API (test/support/fake-slack.ts) on a thread of this process
 * (fake-slack-thread.ts: its work does not delay the timing of the answers), the bots (built:
 * dist/app.js, as npm start runs it) and bare Bolt (bench/bare-bolt.mjs) as child processes, Postgres on
 * 127.0.0.1:5432 in a fresh schema and Redis on 127.0.0.1:6379 under a fresh key prefix, both dropped at the end. See
 * bench/README.md for the phases, the figures and the targets. This file runs the phases; cards.ts declares the open
 * incidents and reads their cards, requests.ts builds the requests, load.ts sends them, calls.ts reads what the fake
 * Slack saw, figures.ts measures and report.ts prints.
 */
import { appendFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fakeSlackPriority, ThreadedFakeSlack } from '../fake-slack-thread.js';
import {
  assertAlive,
  atBenchPriority,
  BenchRedis,
  BenchSchema,
  BOT_READY,
  BOT_SCRIPT,
  benchPriority,
  botEnvToTry,
  buildBot,
  type Child,
  codeVersion,
  cpuMs,
  getJson,
  hostBusyMs,
  LIMITS_OFF,
  readMem,
  round,
  runBench,
  SIGNING_SECRET,
  selfCpuMs,
  sleep,
  startChild,
  startChildren,
  stopChild,
} from '../lib.js';
import { CallIndex } from './calls.js';
import { declareOpenIncidents, type OpenIncident, refreshCards } from './cards.js';
import { auditId, auditSummary, channelsPerMinute, checkCards } from './figures.js';
import { openLoop, type Run } from './load.js';
import { report } from './report.js';
import { kindSequence, RequestFactory } from './requests.js';
import {
  ANNOUNCE_CHANNEL_ID,
  DRAIN_CAP_MS,
  DRAIN_QUIET_MS,
  GENERAL_CHANNEL_ID,
  parseArgs,
  RESPONDERS,
  SETTLE_MS,
  type Settings,
  TOKEN,
} from './settings.js';

export type Target = 'bare' | 'ours';

export interface RoundResult {
  target: Target;
  round: number;
  run: Run;
  /** CPU of the target's two processes, the bench and the machine during the round, in ms. */
  cpu: { target: number; bench: number; host: number };
  /**
   * Ours: how long after the round the bots kept calling Slack (`ms`), and other than for Home tabs (`workMs`: Home
   * tabs are refreshed at most 100 times a minute per process, so they trickle on after the work); `complete` false
   * when the cap was reached.
   */
  drain?: { ms: number; workMs: number; complete: boolean };
}

interface Ctx {
  fake: ThreadedFakeSlack;
  index: CallIndex;
  incidents: OpenIncident[];
  responders: string[];
  targets: Record<Target, Child[]>;
}

/** Waits until the fake Slack has seen no call for DRAIN_QUIET_MS (the bots' work behind the acks is done). */
async function drain(index: CallIndex, bots: Child[]): Promise<{ ms: number; workMs: number; complete: boolean }> {
  const started = Date.now();
  for (;;) {
    await sleep(250);
    await index.update();
    for (const b of bots) assertAlive(b);
    const quietFor = Date.now() - Math.max(index.lastCallAt, started);
    const workMs = Math.max(0, index.lastWorkCallAt - started);
    if (quietFor >= DRAIN_QUIET_MS) return { ms: Math.max(0, index.lastCallAt - started), workMs, complete: true };
    if (Date.now() - started > DRAIN_CAP_MS) return { ms: Date.now() - started, workMs, complete: false };
  }
}

/** One round of one target: `seconds` of the mix at `rate`, request i to process i % 2. */
async function runRound(
  ctx: Ctx,
  s: Settings,
  target: Target,
  round: number,
  seconds: number,
  opts: { noDeclare?: boolean; tag: string },
): Promise<RoundResult> {
  const procs = ctx.targets[target];
  const n = Math.max(1, Math.round(seconds * s.rate));
  // The same seed for both targets in a round: the same kinds, incidents and people, in the same order.
  const seed = round + 1;
  const kinds = kindSequence(n, seed, opts.noDeclare);
  const factory = new RequestFactory(ctx.fake, ctx.incidents, ctx.responders, opts.tag, seed);
  const cpu0 = { target: procs.reduce((t, p) => t + cpuMs(p.pid), 0), bench: selfCpuMs(), host: hostBusyMs() };
  const run = await openLoop(
    procs.map((p) => p.port),
    s.rate,
    kinds,
    factory,
    () => {
      // Not waited for: the fake's thread answers while the loop goes on sending.
      void ctx.index.update().then(() => refreshCards(ctx.fake, ctx.incidents));
    },
  );
  const cpu = {
    target: procs.reduce((t, p) => t + cpuMs(p.pid), 0) - cpu0.target,
    bench: selfCpuMs() - cpu0.bench,
    host: hostBusyMs() - cpu0.host,
  };
  for (const p of procs) assertAlive(p);
  const dump = process.env.BENCH_MIXED_DUMP;
  if (dump) {
    const lines = run.samples.map((x) =>
      JSON.stringify({ tag: opts.tag, target, kind: x.kind, proc: x.proc, ms: x.ms, at: x.sentAt - run.startedAt }),
    );
    appendFileSync(dump, `${lines.join('\n')}\n`);
  }
  const result: RoundResult = { target, round, run, cpu };
  if (target === 'ours') {
    result.drain = await drain(ctx.index, procs);
    await ctx.index.update();
    refreshCards(ctx.fake, ctx.incidents);
  }
  return result;
}

runBench(async (atExit) => {
  const s = parseArgs(process.argv.slice(2));
  const schema = await BenchSchema.create('mixed');
  atExit(() => schema.drop());
  const redis = await BenchRedis.create('mixed');
  atExit(() => redis.drop());
  const fake = await ThreadedFakeSlack.start({
    channels: [
      { name: 'incidents', id: ANNOUNCE_CHANNEL_ID },
      { name: 'general', id: GENERAL_CHANNEL_ID },
    ],
  });
  atExit(() => fake.close());
  const index = new CallIndex(fake);
  const version = codeVersion();
  const responders = Array.from({ length: RESPONDERS }, (_, i) => `U0RESP${String(i).padStart(2, '0')}`);
  console.log(
    `bench/mixed: ${s.seconds} s per target in ${s.rounds} rounds at ${s.rate} requests/s over 2 processes` +
      `${s.quick ? ' (--quick)' : ''}, warm-up ${s.warmupSeconds} s; node ${process.version}; code ${version}; ` +
      `schema ${schema.name}; redis prefix ${redis.prefix}`,
  );
  buildBot();

  const slackEnv = { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.url };
  const botEnv = {
    ...slackEnv,
    ...redis.env,
    PORT: '0',
    DATABASE_URL: schema.databaseUrl,
    INCIDENTS_CHANNEL: ANNOUNCE_CHANNEL_ID,
    ...botEnvToTry(),
  };
  // Set-up: one bot with the limits off declares the open incidents (more than Slack's budget allows in a minute)
  // and opens a status update form on each card; it stops before the load.
  const [setupBot] = await startChildren(
    [
      startChild('set-up bot', {
        script: BOT_SCRIPT,
        env: { ...botEnv, ...LIMITS_OFF },
        ready: BOT_READY,
        maskRefs: true,
      }),
    ],
    atExit,
  );
  const setupStarted = Date.now();
  const incidents = await declareOpenIncidents(fake, schema, setupBot.port, responders);
  await stopChild(setupBot);
  console.log(
    `set-up: ${incidents.length} open incidents declared through the edge and a status update form opened on each ` +
      `card, in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`,
  );

  // The load: two bots with the default limits (the channel budget shared through Redis), two bare Bolt processes.
  const bot = (name: string) =>
    startChild(name, { script: BOT_SCRIPT, env: botEnv, ready: BOT_READY, gcProbe: true, maskRefs: true });
  const bare = (name: string) =>
    startChild(name, {
      script: 'bench/bare-bolt.mjs',
      env: { ...slackEnv, PORT: '0' },
      ready: /Bare Bolt listening on http:\/\/[^:]+:(\d+)\//,
      maskRefs: true,
    });
  const [botA, botB, bare1, bare2] = await startChildren(
    [bot('bot A'), bot('bot B'), bare('bare Bolt 1'), bare('bare Bolt 2')],
    atExit,
  );
  await sleep(SETTLE_MS);
  const host0 = { busy: hostBusyMs(), at: Date.now() };
  await sleep(1000);
  const idleHostPct = round(((hostBusyMs() - host0.busy) / (Date.now() - host0.at)) * 100, 0);
  const rssStart = { A: readMem(botA.pid).rssKb, B: readMem(botB.pid).rssKb };
  console.log(
    `ready: bot A pid ${botA.pid} port ${botA.port}, bot B pid ${botB.pid} port ${botB.port}, bare Bolt ports ` +
      `${bare1.port} and ${bare2.port}; host% idle: ${idleHostPct} (${availableParallelism()} cores, each 100)`,
  );
  const ctx: Ctx = {
    fake,
    index,
    incidents,
    responders,
    targets: { ours: [botA, botB], bare: [bare1, bare2] },
  };

  if (s.warmupSeconds > 0) {
    await runRound(ctx, s, 'bare', 100, s.warmupSeconds, { noDeclare: true, tag: 'WB' });
    const w = await runRound(ctx, s, 'ours', 100, s.warmupSeconds, { noDeclare: true, tag: 'WO' });
    console.log(
      `warm-up: ${s.warmupSeconds} s of the mix without declarations per target; drained in ${w.drain?.ms} ms`,
    );
  }

  const auditFrom = await auditId(schema);
  const rounds: RoundResult[] = [];
  const windows: { from: number; to: number }[] = [];
  const roundSeconds = s.seconds / s.rounds;
  let health: Promise<{ status: number; body: string }[]> | undefined;
  console.log('running:');
  for (let r = 0; r < s.rounds; r++) {
    const order: Target[] = r % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare'];
    for (const target of order) {
      if (target === 'ours' && !health) {
        health = sleep((roundSeconds * 1000) / 2).then(() =>
          Promise.all([getJson(botA.port, '/health'), getJson(botB.port, '/health')]),
        );
      }
      const res = await atBenchPriority(() =>
        runRound(ctx, s, target, r, roundSeconds, { tag: `${target === 'ours' ? 'O' : 'B'}${r}` }),
      );
      if (target === 'ours') windows.push({ from: res.run.startedAt, to: Date.now() });
      rounds.push(res);
      const ms = res.run.samples.map((x) => x.ms).sort((a, b) => a - b);
      console.log(
        `  round ${r + 1} ${target === 'ours' ? 'our bots' : 'bare Bolt'}: ${res.run.samples.length} requests, ` +
          `p99 ${round(ms[Math.max(0, Math.ceil(ms.length * 0.99) - 1)] ?? Number.NaN)} ms` +
          `${res.drain ? `; drained ${res.drain.ms}${res.drain.complete ? '' : '+'} ms (${res.drain.workMs} ms without Home tabs)` : ''}`,
      );
    }
  }
  console.log(`  (${benchPriority()}; ${fakeSlackPriority()})`);
  // The audit is written after each request is done; give the last rows a moment.
  await sleep(1000);
  const auditTo = await auditId(schema);
  await index.update();
  const audit = await auditSummary(schema, auditFrom, auditTo);
  const cards = await checkCards(schema, fake, incidents);
  const rssEnd = { A: readMem(botA.pid).rssKb, B: readMem(botB.pid).rssKb };

  report({
    settings: s,
    version,
    cores: availableParallelism(),
    idleHostPct,
    rounds,
    index,
    audit,
    cards,
    channelsPerMinute: channelsPerMinute(index, windows),
    health: (await health) ?? [],
    bots: [botA, botB],
    bares: [bare1, bare2],
    rss: { start: rssStart, end: rssEnd },
  });
});
