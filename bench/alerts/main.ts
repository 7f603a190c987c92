/**
 * Alerts into the bot: 2,000 critical alerts in 10 s over 20 fingerprints, concurrency 20, posted to
 * POST /hooks/alerts of the built bot (dist/app.js, as npm start runs it) on Postgres; then the same requests against
 * a bare Node HTTP server that only writes each body to Postgres (bench/alerts/bare-inbox.mjs), before and after.
 *
 *   npm run bench:alerts
 *   npx tsx bench/alerts/main.ts --alerts 400 --seconds 2     # a shorter run
 *
 * Everything runs on loopback: a fake Slack Web API (test/support/fake-slack.ts) on a thread of this process
 * (fake-slack-thread.ts: its work does not delay the timing of the answers), the bot and the
 * bare server as child processes, Postgres on 127.0.0.1:5432 in a fresh schema dropped at the end. Figures: the
 * webhook answer's p50/p99 (target p99 under 50 ms), incidents opened (exactly one per fingerprint: the bot runs
 * with ALERTS_MAX_INCIDENTS at the fingerprint count), alerts recorded (every one), the time from a fingerprint's
 * first alert to its incident's card (target p95 under 1 s), and the p99 ratio to the bare server (target at most
 * 1.5x). See bench/README.md.
 */
import { appendFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createPostgresDatabase } from '../../src/store/db.js';
import { ThreadedFakeSlack } from '../fake-slack-thread.js';
import {
  BenchBroken,
  BenchSchema,
  BOT_READY,
  BOT_SCRIPT,
  buildBot,
  type Child,
  codeVersion,
  cpuMs,
  hostBusyMs,
  LIMITS_OFF,
  logKindsByCount,
  logSummary,
  percentile,
  printTable,
  round,
  runBench,
  SIGNING_SECRET,
  sleep,
  startChild,
  startChildren,
} from '../lib.js';
import { type LoadSpec, paced, type Sent, summaryOf } from './load.js';

const TOKEN = 'bench-alerts-token-0123456789abcdef';
const TARGETS = { p99Ms: 50, cardP95Ms: 1000, ratio: 1.5 };
/** After the last answer, the bot gets this long to work through its inbox. */
const DRAIN_TIMEOUT_MS = 120_000;

function parseArgs(argv: string[]): LoadSpec {
  const spec: LoadSpec = { alerts: 2000, seconds: 10, concurrency: 20, fingerprints: 20 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=');
    const value = Number(inline ?? argv[++i]);
    const key = flag?.replace(/^--/, '') as keyof LoadSpec;
    if (!(key in spec) || !Number.isInteger(value) || value < 1) {
      throw new BenchBroken(
        `usage: bench/alerts/main.ts [--alerts N] [--seconds N] [--concurrency N] [--fingerprints N]`,
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
}

/** Sends the load to one target, with its CPU and the machine's during it. */
async function load(target: string, child: Child, path: string, token: string | null, spec: LoadSpec): Promise<Run> {
  const cpu0 = cpuMs(child.pid);
  const host0 = hostBusyMs();
  const t0 = Date.now();
  const sent = await paced(`http://127.0.0.1:${child.port}${path}`, token, spec);
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

runBench(async (atExit) => {
  const spec = parseArgs(process.argv.slice(2));
  const schema = await BenchSchema.create('alerts');
  atExit(() => schema.drop());
  const fake = await ThreadedFakeSlack.start({ channels: [] });
  atExit(() => fake.close());
  const version = codeVersion();
  console.log(
    `bench/alerts: ${spec.alerts} alerts in ${spec.seconds} s over ${spec.fingerprints} fingerprints, concurrency ` +
      `${spec.concurrency}; node ${process.version}; code ${version}; schema ${schema.name}; ` +
      `${availableParallelism()} cores`,
  );
  buildBot();
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
  console.log('running bare inbox (1/2)');
  const bare1 = await load('bare inbox', bare, '/', null, spec);
  console.log('running bot');
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
  console.log('running bare inbox (2/2)');
  const bare2 = await load('bare inbox', bare, '/', null, spec);
  await drained;
  await sleep(500);

  const { rows: alertRows } = await db.query<{ n: number; total: number }>(
    'SELECT count(*)::int AS n, coalesce(sum(count), 0)::int AS total FROM alerts',
  );
  const { rows: incidents } = await db.query<{ title: string; created_at: Date }>(
    'SELECT title, created_at FROM incidents WHERE NOT declaring ORDER BY id',
  );
  // A fingerprint's first alert sent -> its incident's card at the fake Slack (the card's text names the title).
  const firstSent = new Map<string, number>();
  for (const s of ours.sent) if (!firstSent.has(s.key)) firstSent.set(s.key, s.sentAt);
  const cardAt = new Map<string, number>();
  await fake.sync();
  for (const c of fake.callsTo('chat.postMessage')) {
    const m = /^SEV-\d incident #\d+: (bench alert \S+) — /.exec(c.text ?? '');
    if (m && !cardAt.has(m[1]!)) cardAt.set(m[1]!, c.at);
  }
  const cardMs = [...firstSent]
    .map(([key, at]) => (cardAt.has(summaryOf(key)) ? cardAt.get(summaryOf(key))! - at : Number.NaN))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);

  const a = answerFigures(ours.sent);
  const b = answerFigures([...bare1.sent, ...bare2.sent]);
  const ratio = a.p99 !== null && b.p99 ? round(a.p99 / b.p99, 2) : null;
  printTable(
    'Webhook answers (ms)',
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
    ],
    [
      { name: 'bare inbox 1', f: answerFigures(bare1.sent), r: bare1 },
      { name: 'bot', f: a, r: ours },
      { name: 'bare inbox 2', f: answerFigures(bare2.sent), r: bare2 },
    ],
    ({ name, f, r }) => [name, f.reqs, f.non202, f.p50, f.p90, f.p99, f.max, r.cpuPct, r.hostPct],
  );
  const cards = {
    expected: spec.fingerprints,
    found: cardMs.length,
    p50: round(percentile(cardMs, 50), 0),
    p95: round(percentile(cardMs, 95), 0),
    max: round(cardMs.at(-1) ?? Number.NaN, 0),
  };
  console.log(`\nincidents opened: ${incidents.length} (expected exactly ${spec.fingerprints})`);
  console.log(
    `alerts recorded: ${alertRows[0]!.total} of ${spec.alerts} (${alertRows[0]!.n} alerts; deliveries done ` +
      `${counts.done}, failed ${counts.failed}, still pending ${counts.pending}; inbox drained ${drainMs} ms after the last answer)`,
  );
  console.log(
    `first alert -> card (ms): p50 ${cards.p50}, p95 ${cards.p95}, max ${cards.max} (${cards.found} of ${cards.expected} cards)`,
  );
  console.log(`p99 ratio bot / bare inbox: ${ratio}x`);
  const targets = {
    p99: { value: a.p99, target: TARGETS.p99Ms, met: a.p99 !== null && a.p99 < TARGETS.p99Ms },
    incidents: { value: incidents.length, target: spec.fingerprints, met: incidents.length === spec.fingerprints },
    recorded: { value: alertRows[0]!.total, target: spec.alerts, met: alertRows[0]!.total === spec.alerts },
    cardP95: { value: cards.p95, target: TARGETS.cardP95Ms, met: cards.p95 !== null && cards.p95 < TARGETS.cardP95Ms },
    ratio: { value: ratio, target: TARGETS.ratio, met: ratio !== null && ratio <= TARGETS.ratio },
  };
  for (const [name, t] of Object.entries(targets)) {
    console.log(`  ${t.met ? 'met ' : 'MISSED'} ${name}: ${t.value} (target ${t.target})`);
  }
  const kinds = logKindsByCount(bot);
  if (kinds.length) {
    console.log('\nbot error/warning log entries by kind:');
    for (const [k, n] of kinds) console.log(`  ${n} x ${k}`);
  }
  console.log(
    JSON.stringify({
      spec,
      version,
      answers: { bot: a, bare: b, bare1: answerFigures(bare1.sent), bare2: answerFigures(bare2.sent) },
      cpu: { bot: ours.cpuPct, bare: [bare1.cpuPct, bare2.cpuPct], host: [bare1.hostPct, ours.hostPct, bare2.hostPct] },
      incidents: incidents.length,
      recorded: { alerts: alertRows[0]!.n, counted: alertRows[0]!.total, deliveries: counts, drainMs },
      cards,
      ratio,
      botLog: logSummary(bot),
      targets,
    }),
  );
});
