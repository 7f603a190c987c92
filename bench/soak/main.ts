/**
 * Soak: 10,000 incidents declared, updated and resolved through the bot's HTTP edge, with 500 more left open; the
 * bot's memory (VmRSS) after the warm-up, halfway and at the end, and `/incident list` latency with 500 open
 * incidents before the soak and with 10,000 resolved after it. Every request also goes to bare Bolt, the baseline.
 *
 *   npm run bench:soak                              # 10,000 incidents, 500 open
 *   npx tsx bench/soak/main.ts --quick              # 1,000 incidents, 100 open
 *   npx tsx bench/soak/main.ts --incidents 3000 --open 200 --concurrency 4
 *
 * Everything runs on loopback: a fake Slack Web API (test/support/fake-slack.ts) inside this process, the bot (built:
 * dist/app.js, as npm start runs it) and bare Bolt (bench/bare-bolt.mjs) as child processes, Postgres on
 * 127.0.0.1:5432 in a fresh schema that is dropped at the end. See bench/README.md for the phases, the figures and
 * the targets. This file runs the phases; driver.ts sends the requests, calls.ts reads what the fake Slack saw,
 * report.ts prints the figures.
 */
import { availableParallelism } from 'node:os';
import { createPostgresDatabase, type Database } from '../../src/store/db.js';
import { listOpenIncidents } from '../../src/store/incident.repo.js';
import { FakeSlack } from '../../test/support/fake-slack.js';
import { TEST_TEAM_ID } from '../../test/support/slack-request.js';
import {
  assertAlive,
  BenchRedis,
  BenchSchema,
  BOT_READY,
  BOT_SCRIPT,
  buildBot,
  type Child,
  codeVersion,
  cpuMs,
  gcProbe,
  type Heap,
  hostBusyMs,
  LIMITS_OFF,
  type Mem,
  mb,
  readMem,
  round,
  runBench,
  SIGNING_SECRET,
  sleep,
  startChild,
  startChildren,
} from '../lib.js';
import { SoakCalls } from './calls.js';
import { Driver } from './driver.js';
import { report } from './report.js';
import { ANNOUNCE_CHANNEL_ID, GENERAL_CHANNEL_ID, LIST_GAP_MS, parseArgs, SETTLE_MS, TOKEN } from './settings.js';

/**
 * A memory reading of both processes once the requests in flight are done and SETTLE_MS have passed: VmRSS as it is
 * (`bot`, `bare`), then a forced full GC (the heap in use after it) and VmRSS again a second later (`botAfterGc`,
 * `bareAfterGc`). The second is what the target is judged on: RSS as it is depends on when V8 last collected, and
 * moved by more than 10% between two readings a minute apart with nothing leaking.
 */
export interface Checkpoint {
  name: string;
  /** Incidents resolved so far. */
  resolved: number;
  bot: Mem;
  bare: Mem;
  botAfterGc: Mem;
  bareAfterGc: Mem;
  botHeap: Heap | undefined;
  bareHeap: Heap | undefined;
}

/** RSS read while the cycles run (no pause), every tenth of the soak. */
export interface Progress {
  resolved: number;
  botRssKb: number;
  bareRssKb: number;
  cyclesPerSecond: number | null;
}

async function checkpoint(
  name: string,
  resolved: number,
  driver: Driver,
  bot: Child,
  bare: Child,
): Promise<Checkpoint> {
  await driver.settled();
  await sleep(SETTLE_MS);
  assertAlive(bot);
  assertAlive(bare);
  const mem = { bot: readMem(bot.pid), bare: readMem(bare.pid) };
  const heaps = { bot: await gcProbe(bot), bare: await gcProbe(bare) };
  await sleep(1000);
  const afterGc = { bot: readMem(bot.pid), bare: readMem(bare.pid) };
  console.log(
    `  ${name}: ${resolved} resolved; RSS bot ${mb(mem.bot.rssKb)} MB (${mb(afterGc.bot.rssKb)} after a full GC), ` +
      `bare Bolt ${mb(mem.bare.rssKb)} MB (${mb(afterGc.bare.rssKb)}); heap after GC bot ` +
      `${heaps.bot ? mb(heaps.bot.heapUsed / 1024) : '-'} MB`,
  );
  return {
    name,
    resolved,
    bot: mem.bot,
    bare: mem.bare,
    botAfterGc: afterGc.bot,
    bareAfterGc: afterGc.bare,
    botHeap: heaps.bot,
    bareHeap: heaps.bare,
  };
}

/** What a list phase measured: `/incident list` through the bot, then its query alone. */
export interface ListPhase {
  ms: number[];
  headers: Set<string>;
  /** listOpenIncidents run by the bench on its own connection, as many times: the database's share. */
  queryMs: number[];
}

async function listPhase(driver: Driver, db: Database, samples: number, tag: string): Promise<ListPhase> {
  const { ms, headers } = await driver.listSamples(samples, LIST_GAP_MS, tag);
  const queryMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await listOpenIncidents(db, TEST_TEAM_ID);
    queryMs.push(performance.now() - t0);
  }
  return { ms, headers, queryMs };
}

runBench(async (atExit) => {
  const s = parseArgs(process.argv.slice(2));
  const schema = await BenchSchema.create('soak');
  atExit(() => schema.drop());
  const redis = s.redis ? await BenchRedis.create('soak') : null;
  if (redis) atExit(() => redis.drop());
  const fake = await FakeSlack.start();
  atExit(() => fake.close());
  fake.addChannel('incidents', { id: ANNOUNCE_CHANNEL_ID });
  fake.addChannel('general', { id: GENERAL_CHANNEL_ID });
  const calls = new SoakCalls(fake);
  atExit(() => calls.close());
  const version = codeVersion();
  console.log(
    `bench/soak: ${s.incidents} incidents declared, updated and resolved (the first ${s.warmup} the warm-up), ` +
      `${s.open} left open, ${s.concurrency} at a time${s.quick ? ' (--quick)' : ''}; ` +
      `${redis ? `Redis prefix ${redis.prefix}` : 'in-process store'}; node ${process.version}; code ${version}; ` +
      `schema ${schema.name}`,
  );
  buildBot();
  const slackEnv = { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.url };
  const [bot, bare] = await startChildren(
    [
      startChild('bot', {
        script: BOT_SCRIPT,
        env: {
          ...slackEnv,
          ...LIMITS_OFF,
          ...(redis ? redis.env : {}),
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
  const driver = new Driver(fake, calls, { bot: bot.port, bare: bare.port });
  // The bench's own connection, to time the list query alone.
  const db = createPostgresDatabase(schema.databaseUrl, { max: 1 });
  atExit(() => db.close());
  atExit(() => driver.close());
  const started = { at: Date.now(), botCpu: cpuMs(bot.pid), host: hostBusyMs() };
  console.log(
    `ready: bot pid ${bot.pid} port ${bot.port}, bare Bolt pid ${bare.pid} port ${bare.port}; idle RSS bot ` +
      `${mb(readMem(bot.pid).rssKb)} MB, bare Bolt ${mb(readMem(bare.pid).rssKb)} MB`,
  );

  const timed = async (what: string, fn: () => Promise<void>) => {
    const t0 = Date.now();
    await fn();
    assertAlive(bot);
    const secs = (Date.now() - t0) / 1000;
    console.log(`  ${what} in ${secs.toFixed(1)} s`);
    return secs;
  };
  console.log('running:');
  // Numbered after the soak's own, so every title stays unique.
  await timed(`${s.open} incidents declared and updated, left open`, () =>
    driver.cycles(s.incidents, s.incidents + s.open, s.concurrency, { leaveOpen: true }),
  );
  const listBefore = await listPhase(driver, db, s.listSamples, 's');
  console.log(`  /incident list x ${listBefore.ms.length} with 0 resolved and ${s.open} open`);
  await timed(`warm-up: ${s.warmup} incidents declared, updated and resolved`, () =>
    driver.cycles(0, s.warmup, s.concurrency),
  );
  const checkpoints: Checkpoint[] = [await checkpoint('start', s.warmup, driver, bot, bare)];

  const progress: Progress[] = [];
  const tenth = Math.max(1, Math.round((s.incidents - s.warmup) / 10));
  let last = { at: Date.now(), resolved: s.warmup };
  const onDone = (base: number) => (done: number) => {
    const resolved = base + done;
    if ((resolved - s.warmup) % tenth !== 0) return;
    const now = Date.now();
    const rate = round(((resolved - last.resolved) * 1000) / (now - last.at), 1);
    last = { at: now, resolved };
    const p = {
      resolved,
      botRssKb: readMem(bot.pid).rssKb,
      bareRssKb: readMem(bare.pid).rssKb,
      cyclesPerSecond: rate,
    };
    progress.push(p);
    console.log(`    ${resolved} resolved, ${rate} incidents/s; RSS bot ${mb(p.botRssKb)} MB (under load)`);
  };
  const middle = Math.floor((s.warmup + s.incidents) / 2);
  let soakSeconds = await timed(`incidents ${s.warmup} to ${middle}`, () =>
    driver.cycles(s.warmup, middle, s.concurrency, { onDone: onDone(s.warmup) }),
  );
  checkpoints.push(await checkpoint('middle', middle, driver, bot, bare));
  last = { at: Date.now(), resolved: middle };
  soakSeconds += await timed(`incidents ${middle} to ${s.incidents}`, () =>
    driver.cycles(middle, s.incidents, s.concurrency, { onDone: onDone(middle) }),
  );
  checkpoints.push(await checkpoint('end', s.incidents, driver, bot, bare));
  const listAfter = await listPhase(driver, db, s.listSamples, 'e');
  console.log(`  /incident list x ${listAfter.ms.length} with ${s.incidents} resolved and ${s.open} open`);
  await driver.settled();
  calls.pump();

  const { rows } = await schema.admin.query<{ status: string; n: string; no_card: string; declaring: string }>(
    `SELECT status, count(*) AS n, count(*) FILTER (WHERE card_ts IS NULL) AS no_card,
            count(*) FILTER (WHERE declaring) AS declaring
     FROM ${schema.name}.incidents GROUP BY status ORDER BY status`,
  );
  const plan = await schema.admin.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN ANALYZE SELECT *, count(*) OVER () FROM ${schema.name}.incidents
     WHERE team_id = '${TEST_TEAM_ID}' AND status <> 'resolved' AND channel_id IS NOT NULL AND NOT declaring
     ORDER BY severity ASC, created_at DESC LIMIT 50`,
  );
  report({
    settings: s,
    version,
    cores: availableParallelism(),
    soakSeconds,
    cpu: {
      botMs: cpuMs(bot.pid) - started.botCpu,
      hostMs: hostBusyMs() - started.host,
      wallMs: Date.now() - started.at,
    },
    checkpoints,
    progress,
    list: { before: listBefore, after: listAfter },
    driver,
    calls,
    incidents: rows.map((r) => ({
      status: r.status,
      n: Number(r.n),
      withoutCard: Number(r.no_card),
      declaring: Number(r.declaring),
    })),
    listPlan: plan.rows.map((r) => r['QUERY PLAN']),
    bot,
    bare,
  });
});
