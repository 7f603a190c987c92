/**
 * Alerts into the bot: 2,000 critical alerts in 10 s over 20 fingerprints, concurrency 20, posted to
 * POST /hooks/alerts of the built bot (dist/app.js, as npm start runs it) on Postgres; then the same requests against
 * a bare Node HTTP server that only writes each body to Postgres (bench/alerts/bare-inbox.mjs), before and after.
 * That is one round; a run has 3 (each a fresh schema, bot and bare server: every round sees a storm's first
 * minute), and the figures pool the rounds' answers, so that one stall of the machine weighs one round's share.
 *
 *   npm run bench:alerts                                     # 3 rounds, about 4 min
 *   npx tsx bench/alerts/main.ts --alerts 400 --seconds 2 --rounds 1     # a shorter run
 *
 * Everything runs on loopback: a fake Slack Web API (test/support/fake-slack.ts) on a thread of this process
 * (fake-slack-thread.ts: its work does not delay the timing of the answers), the bot and the
 * bare server as child processes, Postgres on 127.0.0.1:5432 in a fresh schema per round, dropped after it. Figures: the
 * webhook answer's p50/p99 (target p99 under 50 ms), incidents opened (exactly one per fingerprint: the bot runs
 * with ALERTS_MAX_INCIDENTS at the fingerprint count), alerts recorded (every one), the time from a fingerprint's
 * first alert to its incident's card (target p95 under 1 s), and the p99 ratio to the bare server (target at most
 * 1.5x). See bench/README.md.
 */
import { appendFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createPostgresDatabase } from '../../src/store/db.js';
import { fakeSlackPriority, ThreadedFakeSlack } from '../fake-slack-thread.js';
import {
  type AtExit,
  atBenchPriority,
  BenchBroken,
  BenchSchema,
  BOT_READY,
  BOT_SCRIPT,
  benchPriority,
  botEnvToTry,
  buildBot,
  type Child,
  codeVersion,
  cpuMs,
  hostBusyMs,
  LIMITS_OFF,
  logKindsByCount,
  logSummary,
  percentile,
  postgresCpuMs,
  printTable,
  round,
  runBench,
  SIGNING_SECRET,
  selfCpuMs,
  sleep,
  startChild,
  startChildren,
  stopChild,
} from '../lib.js';
import { type LoadSpec, paced, type Sent, summaryOf } from './load.js';

const TOKEN = 'bench-alerts-token-0123456789abcdef';
const TARGETS = { p99Ms: 50, cardP95Ms: 1000, ratio: 1.5 };
/** After the last answer, the bot gets this long to work through its inbox. */
const DRAIN_TIMEOUT_MS = 120_000;

/** What a run does: the load of each round, and how many rounds. */
type Spec = LoadSpec & { rounds: number };

function parseArgs(argv: string[]): Spec {
  const spec: Spec = { alerts: 2000, seconds: 10, concurrency: 20, fingerprints: 20, rounds: 3 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=');
    const value = Number(inline ?? argv[++i]);
    const key = flag?.replace(/^--/, '') as keyof Spec;
    if (!(key in spec) || !Number.isInteger(value) || value < 1) {
      throw new BenchBroken(
        `usage: bench/alerts/main.ts [--alerts N] [--seconds N] [--concurrency N] [--fingerprints N] [--rounds N]`,
      );
    }
    spec[key] = value;
  }
  return spec;
}

interface Run {
  target: string;
  sent: Sent[];
  cpuPct: number | null;
  hostPct: number | null;
  /** PostgreSQL's CPU during the run, in % of one core. */
  pgPct: number | null;
  /** This process's CPU during the run (the load and the fake Slack's thread), in % of one core. */
  benchPct: number | null;
}

/** Sends the load to one target, with its CPU and the machine's during it. */
async function load(target: string, child: Child, path: string, token: string | null, spec: LoadSpec): Promise<Run> {
  const cpu0 = cpuMs(child.pid);
  const host0 = hostBusyMs();
  const pg0 = postgresCpuMs();
  const self0 = selfCpuMs();
  const t0 = Date.now();
  const sent = await atBenchPriority(() => paced(`http://127.0.0.1:${child.port}${path}`, token, spec));
  const wall = Date.now() - t0;
  // BENCH_ALERTS_DUMP=file: every answer's send time (from the start) and duration, per target, to see when the slow
  // ones came. Appended (a run's three targets go to one file): remove the file between runs.
  if (process.env.BENCH_ALERTS_DUMP) {
    const lines = sent.map((s) => JSON.stringify({ target, at: s.sentAt - t0, ms: s.ms, status: s.status }));
    appendFileSync(process.env.BENCH_ALERTS_DUMP, `${lines.join('\n')}\n`);
  }
  return {
    target,
    sent,
    cpuPct: round(((cpuMs(child.pid) - cpu0) / wall) * 100, 0),
    hostPct: round(((hostBusyMs() - host0) / wall) * 100, 0),
    pgPct: round(((postgresCpuMs() - pg0) / wall) * 100, 0),
    benchPct: round(((selfCpuMs() - self0) / wall) * 100, 0),
  };
}

const answerFigures = (sent: Sent[]) => {
  const ms = sent.map((s) => s.ms).sort((a, b) => a - b);
  return {
    reqs: sent.length,
    non202: sent.filter((s) => s.status !== 202).length,
    p50: round(percentile(ms, 50)),
    p90: round(percentile(ms, 90)),
    p99: round(percentile(ms, 99)),
    max: round(ms.at(-1) ?? Number.NaN),
  };
};

/** One round: a fresh schema, a fresh bot and bare inbox on it; the bare inbox, the bot, the bare inbox again. */
interface Round {
  bare1: Run;
  ours: Run;
  bare2: Run;
  incidents: number;
  recorded: { alerts: number; counted: number; deliveries: { pending: number; done: number; failed: number } };
  drainMs: number;
  /** A fingerprint's first alert sent -> its incident's card at the fake Slack, in this round. */
  cardMs: number[];
  botLog: ReturnType<typeof logSummary>;
  botKinds: [string, number][];
}

async function runRound(spec: Spec, n: number, atExit: AtExit): Promise<Round> {
  // A fake Slack of the round's own, as its schema is: a fresh schema numbers its incidents from 1 again, so a fake
  // kept from an earlier round already held each incident's channel name, and every declaration's first
  // conversations.create was refused as name_taken and tried again under the next name (one more Slack call for each
  // earlier round: the rounds got slower one after another).
  const fake = await ThreadedFakeSlack.start({ channels: [] });
  atExit(() => fake.close());
  const schema = await BenchSchema.create('alerts');
  atExit(() => schema.drop());
  const [bot, bare] = await startChildren(
    [
      startChild('bot', {
        script: BOT_SCRIPT,
        env: {
          SLACK_BOT_TOKEN: 'xoxb-bench-alerts',
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: fake.url,
          PORT: '0',
          ...LIMITS_OFF,
          DATABASE_URL: schema.databaseUrl,
          ALERTS_TOKEN: TOKEN,
          ALERTS_MAX_INCIDENTS: String(spec.fingerprints),
          LOG_LEVEL: 'warn',
          ...botEnvToTry(),
        },
        ready: BOT_READY,
      }),
      startChild('bare inbox', {
        script: 'bench/alerts/bare-inbox.mjs',
        env: { DATABASE_URL: schema.databaseUrl, PORT: '0' },
        ready: /Bare inbox listening on http:\/\/127\.0\.0\.1:(\d+)\//,
      }),
    ],
    atExit,
  );
  const db = createPostgresDatabase(schema.databaseUrl, { max: 2, queryTimeoutMillis: 30_000 });
  atExit(() => db.close());
  await sleep(2000);

  // Bare before and after the bot, pooled: the machine's speed drifts over tens of seconds.
  console.log(`round ${n}: bare inbox, bot, bare inbox (schema ${schema.name})`);
  const bare1 = await load('bare inbox', bare, '/', null, spec);
  const ours = await load('bot', bot, '/hooks/alerts', TOKEN, spec);
  const lastAnswer = Date.now();
  // The bot works through its inbox (every delivery done or failed, or the timeout), looked at every 250 ms while the
  // second baseline runs: when it drained is known to a quarter second, not only that it had by the end of that run.
  let counts = { pending: -1, done: 0, failed: 0 };
  let drainMs = Number.NaN;
  const drained = (async () => {
    while (Date.now() - lastAnswer < DRAIN_TIMEOUT_MS) {
      const { rows } = await db.query<{ state: string; n: number }>(
        'SELECT state, count(*)::int AS n FROM alert_deliveries GROUP BY state',
      );
      const by = Object.fromEntries(rows.map((r) => [r.state, r.n]));
      counts = { pending: (by.received ?? 0) + (by.recorded ?? 0), done: by.done ?? 0, failed: by.failed ?? 0 };
      if (counts.pending === 0) break;
      await sleep(250);
    }
    drainMs = Date.now() - lastAnswer;
  })();
  const bare2 = await load('bare inbox', bare, '/', null, spec);
  await drained;
  await sleep(500);

  const { rows: alertRows } = await db.query<{ n: number; total: number }>(
    'SELECT count(*)::int AS n, coalesce(sum(count), 0)::int AS total FROM alerts',
  );
  const { rows: incidents } = await db.query<{ title: string; created_at: Date }>(
    'SELECT title, created_at FROM incidents WHERE NOT declaring ORDER BY id',
  );
  // A fingerprint's first alert sent -> its incident's card at the fake Slack (the card's text names the title; only
  // its calls since this round's first alert count).
  const firstSent = new Map<string, number>();
  for (const s of ours.sent) if (!firstSent.has(s.key)) firstSent.set(s.key, s.sentAt);
  const since = Math.min(...firstSent.values());
  const cardAt = new Map<string, number>();
  await fake.sync();
  for (const c of fake.callsTo('chat.postMessage')) {
    if (c.at < since) continue;
    const m = /^SEV-\d incident #\d+: (bench alert \S+) — /.exec(c.text ?? '');
    if (m && !cardAt.has(m[1]!)) cardAt.set(m[1]!, c.at);
  }
  // BENCH_ALERTS_CALLS=file: every Slack call of the round (ms from its first alert, method, text's start), to see
  // where a declaration's time goes. Appended, as BENCH_ALERTS_DUMP.
  if (process.env.BENCH_ALERTS_CALLS) {
    const lines = fake.calls
      .filter((c) => c.at >= since)
      .map((c) => JSON.stringify({ round: n, at: c.at - since, method: c.method, text: c.text?.slice(0, 60) }));
    // And the bot's side, from its rows: each group's first delivery received, its alert incident opened (recorded),
    // its incident row made and made whole (channel_created).
    const { rows: marks } = await db.query<{ what: string; at: Date; key: string }>(
      `SELECT 'db:received' AS what, min(received_at) AS at, group_key AS key FROM alert_deliveries GROUP BY group_key
       UNION ALL SELECT 'db:alert_incident', created_at, group_key FROM alert_incidents
       UNION ALL SELECT 'db:incident', created_at, title FROM incidents
       UNION ALL SELECT 'db:' || kind, e.at, i.title FROM incident_events e JOIN incidents i ON i.id = e.incident_id
         WHERE kind IN ('channel_created', 'declared')`,
    );
    for (const m of marks)
      lines.push(JSON.stringify({ round: n, at: m.at.getTime() - since, method: m.what, text: m.key.slice(0, 60) }));
    appendFileSync(process.env.BENCH_ALERTS_CALLS, `${lines.join('\n')}\n`);
  }
  const cardMs = [...firstSent]
    .map(([key, at]) => (cardAt.has(summaryOf(key)) ? cardAt.get(summaryOf(key))! - at : Number.NaN))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  await Promise.all([stopChild(bot), stopChild(bare)]);
  await db.close();
  await schema.drop();
  const round: Round = {
    bare1,
    ours,
    bare2,
    incidents: incidents.length,
    recorded: { alerts: alertRows[0]!.n, counted: alertRows[0]!.total, deliveries: counts },
    drainMs,
    cardMs,
    botLog: logSummary(bot),
    botKinds: logKindsByCount(bot),
  };
  const [b1, o, b2] = [bare1, ours, bare2].map((r) => answerFigures(r.sent));
  console.log(
    `  p99 bare ${b1!.p99} / bot ${o!.p99} / bare ${b2!.p99} ms (ratio ${round2(o!.p99, [...bare1.sent, ...bare2.sent])}x); ` +
      `${round.incidents} incidents, ${round.recorded.counted} alerts recorded, card p95 ${round2p(cardMs)} ms`,
  );
  return round;
}

/** This round's ratio: the bot's p99 over its two bare runs' pooled p99. */
function round2(botP99: number | null, bare: Sent[]): number | null {
  const b = answerFigures(bare).p99;
  return botP99 !== null && b ? round(botP99 / b, 2) : null;
}
const round2p = (ms: number[]) => round(percentile(ms, 95), 0);

runBench(async (atExit) => {
  const spec = parseArgs(process.argv.slice(2));
  const version = codeVersion();
  console.log(
    `bench/alerts: ${spec.alerts} alerts in ${spec.seconds} s over ${spec.fingerprints} fingerprints, concurrency ` +
      `${spec.concurrency}, ${spec.rounds} rounds; node ${process.version}; code ${version}; ` +
      `${availableParallelism()} cores`,
  );
  buildBot();
  const rounds: Round[] = [];
  for (let r = 1; r <= spec.rounds; r++) rounds.push(await runRound(spec, r, atExit));
  console.log(`(${benchPriority()}; ${fakeSlackPriority()})`);

  // Pooled over the rounds: each round's answers are as many, so one stall of the machine weighs a round's share.
  const pooled = (pick: (r: Round) => Run): Run => {
    const runs = rounds.map(pick);
    const mean = (xs: (number | null)[]) => round(xs.reduce<number>((s, x) => s + (x ?? 0), 0) / xs.length, 0);
    return {
      target: runs[0]!.target,
      sent: runs.flatMap((x) => x.sent),
      cpuPct: mean(runs.map((x) => x.cpuPct)),
      hostPct: mean(runs.map((x) => x.hostPct)),
      pgPct: mean(runs.map((x) => x.pgPct)),
      benchPct: mean(runs.map((x) => x.benchPct)),
    };
  };
  const [bare1, ours, bare2] = [pooled((r) => r.bare1), pooled((r) => r.ours), pooled((r) => r.bare2)];
  const cardMs = rounds.flatMap((r) => r.cardMs).sort((x, y) => x - y);
  const incidents = Math.min(...rounds.map((r) => r.incidents));
  const incidentsMax = Math.max(...rounds.map((r) => r.incidents));
  const counted = Math.min(...rounds.map((r) => r.recorded.counted));

  const a = answerFigures(ours.sent);
  const b = answerFigures([...bare1.sent, ...bare2.sent]);
  const ratio = a.p99 !== null && b.p99 ? round(a.p99 / b.p99, 2) : null;
  printTable(
    `Webhook answers (ms), ${spec.rounds} rounds pooled`,
    [
      ['target', 14],
      ['reqs', 7],
      ['non-202', 9],
      ['p50', 8],
      ['p90', 8],
      ['p99', 8],
      ['max', 8],
      ['cpu%', 7],
      ['host%', 7],
      ['pg%', 6],
      ['bench%', 8],
    ],
    [
      { name: 'bare inbox 1', f: answerFigures(bare1.sent), r: bare1 },
      { name: 'bot', f: a, r: ours },
      { name: 'bare inbox 2', f: answerFigures(bare2.sent), r: bare2 },
    ],
    ({ name, f, r }) => [name, f.reqs, f.non202, f.p50, f.p90, f.p99, f.max, r.cpuPct, r.hostPct, r.pgPct, r.benchPct],
  );
  const cards = {
    expected: spec.fingerprints * spec.rounds,
    found: cardMs.length,
    p50: round(percentile(cardMs, 50), 0),
    p95: round(percentile(cardMs, 95), 0),
    max: round(cardMs.at(-1) ?? Number.NaN, 0),
  };
  console.log(
    `\nincidents opened per round: ${rounds.map((r) => r.incidents).join(', ')} (expected exactly ${spec.fingerprints})`,
  );
  for (const [i, r] of rounds.entries()) {
    const d = r.recorded.deliveries;
    console.log(
      `round ${i + 1}: alerts recorded ${r.recorded.counted} of ${spec.alerts} (${r.recorded.alerts} alerts; deliveries ` +
        `done ${d.done}, failed ${d.failed}, still pending ${d.pending}; inbox drained ${r.drainMs} ms after the last answer)`,
    );
  }
  console.log(
    `first alert -> card (ms): p50 ${cards.p50}, p95 ${cards.p95}, max ${cards.max} (${cards.found} of ${cards.expected} cards)`,
  );
  console.log(
    `p99 ratio bot / bare inbox: ${ratio}x (rounds: ${rounds.map((r) => round2(answerFigures(r.ours.sent).p99, [...r.bare1.sent, ...r.bare2.sent])).join(', ')})`,
  );
  const targets = {
    p99: { value: a.p99, target: TARGETS.p99Ms, met: a.p99 !== null && a.p99 < TARGETS.p99Ms },
    incidents: {
      value: incidents === incidentsMax ? incidents : `${incidents}..${incidentsMax}`,
      target: spec.fingerprints,
      met: incidents === spec.fingerprints && incidentsMax === spec.fingerprints,
    },
    recorded: { value: counted, target: spec.alerts, met: counted === spec.alerts },
    cardP95: {
      value: cards.p95,
      target: TARGETS.cardP95Ms,
      met: cards.found === cards.expected && cards.p95 !== null && cards.p95 < TARGETS.cardP95Ms,
    },
    ratio: { value: ratio, target: TARGETS.ratio, met: ratio !== null && ratio <= TARGETS.ratio },
  };
  for (const [name, t] of Object.entries(targets)) {
    console.log(`  ${t.met ? 'met ' : 'MISSED'} ${name}: ${t.value} (target ${t.target})`);
  }
  const kinds = new Map<string, number>();
  for (const r of rounds) for (const [k, n] of r.botKinds) kinds.set(k, (kinds.get(k) ?? 0) + n);
  if (kinds.size) {
    console.log('\nbot error/warning log entries by kind (all rounds):');
    for (const [k, n] of [...kinds].sort((x, y) => y[1] - x[1])) console.log(`  ${n} x ${k}`);
  }
  console.log(
    JSON.stringify({
      spec,
      version,
      answers: { bot: a, bare: b, bare1: answerFigures(bare1.sent), bare2: answerFigures(bare2.sent) },
      rounds: rounds.map((r) => ({
        bot: answerFigures(r.ours.sent),
        bare1: answerFigures(r.bare1.sent),
        bare2: answerFigures(r.bare2.sent),
        ratio: round2(answerFigures(r.ours.sent).p99, [...r.bare1.sent, ...r.bare2.sent]),
        cpu: {
          bot: r.ours.cpuPct,
          bare: [r.bare1.cpuPct, r.bare2.cpuPct],
          host: [r.bare1.hostPct, r.ours.hostPct, r.bare2.hostPct],
          pg: [r.bare1.pgPct, r.ours.pgPct, r.bare2.pgPct],
          bench: [r.bare1.benchPct, r.ours.benchPct, r.bare2.benchPct],
        },
        incidents: r.incidents,
        recorded: { ...r.recorded, drainMs: r.drainMs },
        cardP95: round2p(r.cardMs),
        botLog: r.botLog,
      })),
      cpu: {
        bot: ours.cpuPct,
        bare: [bare1.cpuPct, bare2.cpuPct],
        host: [bare1.hostPct, ours.hostPct, bare2.hostPct],
        pg: [bare1.pgPct, ours.pgPct, bare2.pgPct],
        bench: [bare1.benchPct, ours.benchPct, bare2.benchPct],
      },
      incidents,
      cards,
      ratio,
      targets,
    }),
  );
});
