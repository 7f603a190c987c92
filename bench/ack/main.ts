/**
 * Ack latency, command-to-card latency and memory of the incident bot, against a bare Bolt app as the baseline.
 *
 *   npm run bench                        # 10 s per load phase
 *   npx tsx bench/ack/main.ts --quick    # 3 s per load phase
 *   npx tsx bench/ack/main.ts --seconds 5
 *
 * Everything runs on loopback: a fake Slack Web API (test/support/fake-slack.ts) inside this process, the bot
 * (built: dist/app.js, as npm start runs it) and a bare Bolt app (bench/bare-bolt.mjs) as child processes, Postgres on
 * 127.0.0.1:5432 in a fresh schema that is dropped at the end. See bench/README.md for what each figure means and the
 * targets. This file runs the phases; load.ts sends the requests, calls.ts reads what the fake Slack saw, figures.ts
 * turns both into figures and report.ts prints them.
 */
import { FakeSlack } from '../../test/support/fake-slack.js';
import {
  assertAlive,
  BenchSchema,
  BOT_READY,
  BOT_SCRIPT,
  buildBot,
  type Child,
  codeVersion,
  cpuMs,
  gcProbe,
  hostBusyMs,
  LIMITS_OFF,
  runBench,
  SIGNING_SECRET,
  selfCpuMs,
  sleep,
  startChild,
  startChildren,
} from '../lib.js';
import { CallIndex } from './calls.js';
import {
  type AckFigures,
  ackFigures,
  type CardFigures,
  cardFigures,
  checkConsistency,
  mb,
  readMem,
} from './figures.js';
import { closedLoop, drain, emptyLoadResult, makeBatch, type Probe, paced, poolInto, probeLater } from './load.js';
import { report } from './report.js';
import {
  ANNOUNCE_CHANNEL_ID,
  CONCURRENCIES,
  IDLE_AFTER_LOAD_MS,
  MAX_RATE_PER_SECOND,
  PACED_COUNT,
  PACED_INTERVAL_MS,
  PACED_WARMUP,
  parseArgs,
  ROUNDS,
  SETTLE_MS,
  TOKEN,
} from './settings.js';

/** What the phases share: the fake Slack and its index, both children, the load duration, the figures so far. */
interface Ctx {
  fake: FakeSlack;
  index: CallIndex;
  bot: Child;
  bare: Child;
  seconds: number;
  acks: AckFigures[];
  cards: CardFigures[];
}

/**
 * One concurrency, both targets, in ROUNDS rounds of seconds / ROUNDS each, alternating bare and ours (ABBA…):
 * on a shared machine the speed available drifts by tens of percent over seconds, so back-to-back 10 s phases
 * compared the machine's moods as much as the two apps. Each target still gets `seconds` of load in all, and the
 * figures pool every round. After each of our rounds the bot's backlog is drained before anything else runs.
 */
async function loadPhases(ctx: Ctx, concurrency: number): Promise<void> {
  const { fake, index, bot, bare, seconds, acks, cards } = ctx;
  const cap = Math.ceil(seconds * MAX_RATE_PER_SECOND);
  const drainCapMs = Math.max(30_000, seconds * 6000);
  const pooled = { bare: emptyLoadResult(), ours: emptyLoadResult() };
  const cpu = { bare: { target: 0, bench: 0, host: 0 }, ours: { target: 0, bench: 0, host: 0 } };
  const drainedAll = { ms: 0, complete: true };
  const errorLogsBefore = bot.errorLines;
  let health: Promise<Probe> | undefined;
  const roundSeconds = seconds / ROUNDS;
  for (let round = 0; round < ROUNDS; round++) {
    const order: ('bare' | 'ours')[] = round % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare'];
    for (const target of order) {
      const child = target === 'bare' ? bare : bot;
      const batch = makeBatch(
        fake,
        `${target === 'bare' ? 'b' : 'o'}${concurrency}r${round}x`,
        Math.ceil(cap / ROUNDS),
      );
      const cpu0 = { target: cpuMs(child.pid), bench: selfCpuMs(), host: hostBusyMs() };
      if (target === 'ours' && !health) health = probeLater(child.port, '/health', (roundSeconds * 1000) / 2);
      const r = await closedLoop(child.port, concurrency, roundSeconds, batch);
      cpu[target].target += cpuMs(child.pid) - cpu0.target;
      cpu[target].bench += selfCpuMs() - cpu0.bench;
      cpu[target].host += hostBusyMs() - cpu0.host;
      assertAlive(child);
      poolInto(pooled[target], r);
      if (target === 'ours') {
        const drained = await drain(index, r, drainCapMs);
        assertAlive(child);
        drainedAll.ms += drained.ms;
        drainedAll.complete &&= drained.complete;
      }
    }
  }
  for (const target of ['bare', 'ours'] as const) {
    const figures = ackFigures(target, `c${concurrency}`, concurrency, pooled[target], cpu[target]);
    acks.push(figures);
    console.log(
      `  ${target === 'bare' ? 'bare Bolt' : 'our bot'} c${concurrency}: ${figures.requests} requests in ${ROUNDS} ` +
        `rounds, ack p99 ${figures.p99} ms, ${figures.rps} req/s`,
    );
  }
  const c = cardFigures(`load c${concurrency}`, pooled.ours, index, drainedAll, bot.errorLines - errorLogsBefore);
  c.healthMidLoad = (await health) ?? null;
  cards.push(c);
  console.log(
    `    backlog drained after each round, ${drainedAll.ms} ms in all; ${c.cards}/${c.declared} cards, ` +
      `card p95 ${c.p95} ms`,
  );
}

/** PACED_WARMUP declarations not counted, then PACED_COUNT one at a time, every PACED_INTERVAL_MS. */
async function pacedPhase(ctx: Ctx, label: string): Promise<AckFigures> {
  const { fake, index, bot, cards } = ctx;
  const warm = makeBatch(fake, `w${label}x`, PACED_WARMUP);
  const warmRun = await paced(bot.port, warm, PACED_INTERVAL_MS);
  await drain(index, warmRun, 10_000);
  const batch = makeBatch(fake, `p${label}x`, PACED_COUNT);
  const errorLogsBefore = bot.errorLines;
  const r = await paced(bot.port, batch, PACED_INTERVAL_MS);
  const drained = await drain(index, r, 30_000);
  assertAlive(bot);
  const a = ackFigures('ours', `paced ${label}`, 1, r, { target: Number.NaN, bench: Number.NaN, host: Number.NaN });
  const c = cardFigures(`paced ${label}`, r, index, drained, bot.errorLines - errorLogsBefore);
  cards.push(c);
  console.log(
    `  paced ${label}: ${r.sent} declarations every ${PACED_INTERVAL_MS} ms, ack p50 ${a.p50} / max ${a.max} ms, ` +
      `card p50 ${c.p50} / p95 ${c.p95} ms`,
  );
  return a;
}

runBench(async (atExit) => {
  const { seconds, quick } = parseArgs(process.argv.slice(2));
  const schema = await BenchSchema.create('ack');
  atExit(() => schema.drop());
  const fake = await FakeSlack.start();
  atExit(() => fake.close());
  fake.addChannel('incidents', { id: ANNOUNCE_CHANNEL_ID });
  const index = new CallIndex(fake);
  const version = codeVersion();
  const slackEnv = { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.url };

  console.log(
    `bench/ack: ${seconds} s per load phase${quick ? ' (--quick)' : ''}, concurrency ${CONCURRENCIES.join(' and ')}; ` +
      `node ${process.version}; code ${version}; schema ${schema.name}`,
  );
  buildBot();
  const [bot, bare] = await startChildren(
    [
      startChild('bot', {
        script: BOT_SCRIPT,
        env: {
          ...slackEnv,
          ...LIMITS_OFF,
          PORT: '0',
          DATABASE_URL: schema.databaseUrl,
          INCIDENTS_CHANNEL: ANNOUNCE_CHANNEL_ID,
        },
        ready: BOT_READY,
        gcProbe: true,
        maskRefs: true,
      }),
      startChild('bare Bolt', {
        script: 'bench/bare-bolt.mjs',
        env: { ...slackEnv, PORT: '0' },
        ready: /Bare Bolt listening on http:\/\/[^:]+:(\d+)\//,
        gcProbe: true,
        maskRefs: true,
      }),
    ],
    atExit,
  );
  await sleep(SETTLE_MS);
  assertAlive(bot);
  assertAlive(bare);
  const idle = { bot: readMem(bot.pid), bare: readMem(bare.pid) };
  const idleHeap = { bot: await gcProbe(bot), bare: await gcProbe(bare) };
  console.log(
    `ready: bot pid ${bot.pid} port ${bot.port}, bare Bolt pid ${bare.pid} port ${bare.port}; ` +
      `idle RSS after ${SETTLE_MS / 1000} s: bot ${mb(idle.bot.rssKb)} MB, bare Bolt ${mb(idle.bare.rssKb)} MB`,
  );

  const acks: AckFigures[] = [];
  const cards: CardFigures[] = [];
  const ctx: Ctx = { fake, index, bot, bare, seconds, acks, cards };

  console.log('running:');
  // The paced phase first, on a fresh bot; then bare and ours in alternating rounds per concurrency, so both see
  // about the same background load on a shared machine.
  const pacedBefore = await pacedPhase(ctx, 'fresh');
  for (const c of CONCURRENCIES) await loadPhases(ctx, c);
  const pacedAfter = await pacedPhase(ctx, 'after-load');
  await sleep(1000);
  const after = { bot: readMem(bot.pid), bare: readMem(bare.pid) };
  // Does the memory come back once the bot is idle (V8 shrinks its heap after a while), or does it stay (a leak)?
  await sleep(IDLE_AFTER_LOAD_MS);
  assertAlive(bot);
  const rested = { bot: readMem(bot.pid), bare: readMem(bare.pid) };
  const restedHeap = { bot: await gcProbe(bot), bare: await gcProbe(bare) };

  const consistency = await checkConsistency(schema, fake);

  report({
    seconds,
    quick,
    version,
    acks,
    paced: [pacedBefore, pacedAfter],
    cards,
    memory: { idle, after, rested, idleHeap, restedHeap },
    consistency,
    index,
    bot,
  });
});
