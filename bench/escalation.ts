/**
 * Escalation timer lateness with two bot processes on one database: 1,000 open incidents, each with a pending
 * 'declared' timer a few seconds ahead; first all due at the same instant (burst), then due evenly over 2 s (spread).
 *
 *   npm run bench:escalation
 *   npx tsx bench/escalation.ts --jobs 200     # fewer timers per phase
 *
 * Everything runs on loopback: a fake Slack Web API (test/support/fake-slack.ts) inside this process, two bots
 * (built: dist/app.js, as npm start runs it) as child processes, Postgres on 127.0.0.1:5432 in a fresh schema that is dropped at the end. See
 * bench/README.md (bench/escalation) for what each figure means and the targets.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../src/store/db.js';
import { createPostgresDatabase } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { FakeSlack, type RecordedCall } from '../test/support/fake-slack.js';
import {
  assertAlive,
  BenchBroken,
  BenchSchema,
  BOT_READY,
  BOT_SCRIPT,
  buildBot,
  type Child,
  type Columns,
  codeVersion,
  cpuMs,
  fmt,
  hostBusyMs,
  logKindsByCount,
  logSummary,
  percentile,
  printTable,
  round,
  runBench,
  SIGNING_SECRET,
  selfCpuMs,
  sleep,
  startChild,
  startChildren,
} from './lib.js';

// -------------------------------------------------------------------------------------------------------------------
// Settings

/** One token per bot process: the fake records the token of each call, which tells which process sent a page. */
const TOKENS = { A: 'xoxb-bench-escalation-a', B: 'xoxb-bench-escalation-b' } as const;
const SEED_TOKEN = 'xoxb-bench-escalation-seed';
const ON_CALL = 'U0ONCALL';
/** The first timer is due this long after the rows are written, so the bots see them as future timers. */
const LEAD_MS = 4000;
/** A phase gives up this long after its last due time; jobs still not done then are missed. */
const GRACE_MS = 30_000;
/**
 * After the deadline, a phase waits this much longer for its late jobs (counted as missed, but it tells late from
 * lost, and the next phase starts on idle bots).
 */
const DRAIN_MS = 60_000;
/** After the last job is done, the trailing Slack calls (the card update) get this long. */
const SETTLE_MS = 1000;
const POLL_MS = 100;
const TARGET_P99_MS = 100;
const GRAFANA_TOLERANCE_MS = 5 * 60_000;
const MONZO_POLL_MS = 60_000;

interface PhaseSpec {
  name: 'burst' | 'spread';
  /** Due times are spread evenly over this window (0: all at the same instant). */
  spreadMs: number;
}

const PHASES: PhaseSpec[] = [
  { name: 'burst', spreadMs: 0 },
  { name: 'spread', spreadMs: 2000 },
];

function parseArgs(argv: string[]): { jobs: number } {
  let jobs = 1000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--jobs') jobs = Number(argv[++i]);
    else if (a?.startsWith('--jobs=')) jobs = Number(a.slice('--jobs='.length));
    else {
      console.error(`unknown argument ${a}; use --jobs N`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 20_000) {
    console.error('--jobs must be a whole number between 1 and 20000');
    process.exit(2);
  }
  return { jobs };
}

const RUNBOOK_YAML = `name: bench escalation runbook
severities:
  SEV-0: { name: Critical, respond_within: 1h }
  SEV-1: { name: High, respond_within: 1h }
  SEV-2: { name: Medium, respond_within: 1h }
  SEV-3: { name: Low, respond_within: 1h }
escalation:
  order: [on_call, senior_devops, engineering_manager, cto]
  roles:
    on_call: { name: On-Call Engineer, contacts: [${ON_CALL}] }
    senior_devops: { name: Senior DevOps Engineer, contacts: [U0SENIOR] }
    engineering_manager: { name: Engineering Manager, contacts: [U0MANAGER] }
    cto: { name: CTO, contacts: [U0CTO] }
  rules:
    on_declare: on_call
    unresolved: { after: 1h, page: senior_devops }
    customer_impact: engineering_manager
    critical: cto
    unacknowledged: on_call
`;

// -------------------------------------------------------------------------------------------------------------------
// Figures

interface Lateness {
  n: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

function lateness(values: number[]): Lateness {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => round(percentile(s, p));
  return { n: s.length, p50: at(50), p90: at(90), p99: at(99), max: round(s[s.length - 1] ?? Number.NaN) };
}

interface PhaseResult {
  phase: PhaseSpec['name'];
  jobs: number;
  spreadMs: number;
  /** How long before the first due time the rows were committed. */
  leadMs: number;
  claim: Lateness;
  pageDm: Lateness;
  done: Lateness;
  /** Time between the steps of one job: where the time from claim to done goes. */
  steps: { claimToDm: Lateness; dmToChannelPost: Lateness; channelPostToDone: Lateness; doneToCardUpdate: Lateness };
  states: Record<string, number>;
  /** Jobs not done by the deadline, or without a DM to the contact by then. */
  missed: number;
  /** DMs to the contact beyond one per incident. */
  duplicates: number;
  duplicateChannelPosts: number;
  pageRows: number;
  deliveryRows: number;
  /** Jobs claimed more than once (a failed attempt retried, or a lease that ran out). */
  retried: number;
  lastErrors: string[];
  pagesBy: { A: number; B: number; other: number };
  /** Jobs done per second, from the first due time to the last finish. */
  jobsPerSecond: number | null;
  /** CPU used from the first due time until no job was pending, in % of one core (host: all cores, each 100). */
  cpuPct: { A: number | null; B: number | null; bench: number | null; host: number | null };
  /** CPU time both bots used in that window, per job. */
  botCpuMsPerJob: number | null;
  slackCalls: Record<string, number>;
  slackOkFalse: number;
  botLog: { errors: number; warnings: number };
  /** Some jobs were not done by the deadline. */
  timedOut: boolean;
  /** Jobs still not done after the extra DRAIN_MS: lost, not just late. */
  neverDone: number;
}

// -------------------------------------------------------------------------------------------------------------------
// A phase

interface Ctx {
  db: Database;
  fake: FakeSlack;
  bots: { A: Child; B: Child };
  jobs: number;
}

/** Posts a placeholder card in each channel (as the declaration would have), so each page also updates a card. */
async function postCards(fake: FakeSlack, channels: string[]): Promise<string[]> {
  const ts: string[] = new Array(channels.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < channels.length; i = next++) {
      const res = await fetch(`${fake.url}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SEED_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: channels[i], text: 'incident card (bench placeholder)' }),
      });
      const body = (await res.json()) as { ok: boolean; ts?: string; error?: string };
      if (!body.ok || !body.ts) throw new BenchBroken(`could not post a placeholder card: ${body.error}`);
      ts[i] = body.ts;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return ts;
}

/** The incident id a page DM is about: the value of its Acknowledge button. */
function pagedIncidentId(c: RecordedCall): number | null {
  const blocks = Array.isArray(c.args.blocks) ? (c.args.blocks as { type?: string; elements?: unknown[] }[]) : [];
  for (const b of blocks) {
    if (b.type !== 'actions') continue;
    for (const e of b.elements ?? []) {
      const value = (e as { value?: unknown }).value;
      if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
    }
  }
  return null;
}

interface JobRow {
  id: number;
  incident_id: number;
  due_ms: number;
  fired_ms: number | null;
  finished_ms: number | null;
  state: string;
  attempts: number;
  last_error: string | null;
  channel_id: string;
}

async function runPhase(ctx: Ctx, spec: PhaseSpec, offset: number): Promise<PhaseResult> {
  const { db, fake, bots, jobs: n } = ctx;
  const numbers = Array.from({ length: n }, (_, i) => offset + i + 1);
  const pad = (num: number) => String(num).padStart(6, '0');
  const channelIds = numbers.map((num) => `CESC${pad(num)}`);
  const channelNames = numbers.map((num) => `inc-${num}-escalation-bench`);
  const titles = numbers.map((num) => `escalation bench ${spec.name} ${pad(num)}`);
  for (const [i, id] of channelIds.entries()) fake.addChannel(channelNames[i]!, { id, botIsMember: true });
  const cardTs = await postCards(fake, channelIds);
  const phaseChannels = new Set(channelIds);

  const callsBefore = fake.calls.length;
  const logBefore = { errors: bots.A.errorLines + bots.B.errorLines, warnings: bots.A.warnLines + bots.B.warnLines };
  const dueStart = Date.now() + LEAD_MS;
  const dues = numbers.map((_, i) => new Date(dueStart + Math.round((i * spec.spreadMs) / n)).toISOString());
  const lastDue = dueStart + spec.spreadMs;

  const inserted = await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `WITH inc AS (
         INSERT INTO incidents (team_id, number, title, severity, status, phase, reporter_id, channel_id, channel_name,
                                card_ts)
         SELECT 'T0BENCH', u.num, u.title, 2, 'investigating', 'detection', 'U0REPORTER', u.ch, u.chname, u.ts
         FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(num, title, ch, chname, ts)
         RETURNING id, number
       )
       INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
       SELECT inc.id, 'declared', 'declared', 'on_call', d.due
       FROM inc JOIN unnest($1::int[], $6::timestamptz[]) AS d(num, due) ON d.num = inc.number
       RETURNING id`,
      [numbers, titles, channelIds, channelNames, cardTs, dues],
    );
    return rows.map((r) => Number(r.id));
  });
  const leadMs = dueStart - Date.now();
  if (inserted.length !== n) throw new BenchBroken(`inserted ${inserted.length} timers, not ${n}`);
  if (leadMs < 500) console.log(`  warning: the rows were committed only ${leadMs} ms before the first due time`);

  // CPU is counted from the first due time until no job of this phase is pending (or the wait ends).
  await sleep(Math.max(0, dueStart - Date.now()));
  const cpu0 = { A: cpuMs(bots.A.pid), B: cpuMs(bots.B.pid), bench: selfCpuMs(), host: hostBusyMs(), at: Date.now() };
  const deadline = lastDue + GRACE_MS;
  let timedOut = false;
  for (;;) {
    assertAlive(bots.A);
    assertAlive(bots.B);
    const { rows } = await db.query<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM escalation_jobs WHERE id = ANY($1) AND state = 'pending'`,
      [inserted],
    );
    const pending = Number(rows[0]?.pending ?? 0);
    if (pending === 0) break;
    if (Date.now() > deadline && !timedOut) {
      timedOut = true;
      console.log(`  ${pending} jobs not done ${GRACE_MS / 1000} s after the last due time; waiting for them`);
    }
    if (Date.now() > deadline + DRAIN_MS) break;
    await sleep(POLL_MS);
  }
  const used = {
    A: cpuMs(bots.A.pid) - cpu0.A,
    B: cpuMs(bots.B.pid) - cpu0.B,
    bench: selfCpuMs() - cpu0.bench,
    host: hostBusyMs() - cpu0.host,
  };
  const activeMs = Date.now() - cpu0.at;
  const pct = (ms: number) => round((ms / activeMs) * 100, 0);
  const cpuPct = { A: pct(used.A), B: pct(used.B), bench: pct(used.bench), host: pct(used.host) };
  const botCpuMsPerJob = round((used.A + used.B) / n);
  await sleep(SETTLE_MS);

  // ---- what the database says
  const { rows: jobRows } = await db.query<JobRow>(
    `SELECT j.id, j.incident_id, j.state, j.attempts, j.last_error, i.channel_id,
            (extract(epoch FROM j.due_at) * 1000)::float8 AS due_ms,
            (extract(epoch FROM j.fired_at) * 1000)::float8 AS fired_ms,
            (extract(epoch FROM j.finished_at) * 1000)::float8 AS finished_ms
     FROM escalation_jobs j JOIN incidents i ON i.id = j.incident_id WHERE j.id = ANY($1)`,
    [inserted],
  );
  const incidentIds = jobRows.map((j) => Number(j.incident_id));
  const { rows: pageCounts } = await db.query<{ pages: number; deliveries: number }>(
    `SELECT (SELECT count(*)::int FROM pages WHERE incident_id = ANY($1)) AS pages,
            (SELECT count(*)::int FROM page_deliveries d JOIN pages p ON p.id = d.page_id
             WHERE p.incident_id = ANY($1)) AS deliveries`,
    [incidentIds],
  );
  const states: Record<string, number> = {};
  for (const j of jobRows) states[j.state] = (states[j.state] ?? 0) + 1;
  const dueByIncident = new Map(jobRows.map((j) => [Number(j.incident_id), Number(j.due_ms)]));

  // ---- what Slack saw
  const calls = fake.calls.slice(callsBefore);
  const slackCalls: Record<string, number> = {};
  let slackOkFalse = 0;
  const dms = new Map<number, number[]>();
  const channelPosts = new Map<string, number>();
  /** First invite, channel post and card update per incident channel. */
  const firstAt = {
    invite: new Map<string, number>(),
    post: new Map<string, number>(),
    card: new Map<string, number>(),
  };
  const first = (m: Map<string, number>, key: string, at: number) => {
    if (!m.has(key)) m.set(key, at);
  };
  const pagesBy = { A: 0, B: 0, other: 0 };
  for (const c of calls) {
    slackCalls[c.method] = (slackCalls[c.method] ?? 0) + 1;
    if (c.failed || c.response?.ok === false) {
      slackOkFalse++;
      continue;
    }
    const channel = String(c.args.channel ?? '');
    if (c.method === 'conversations.invite' && phaseChannels.has(channel)) first(firstAt.invite, channel, c.at);
    if (c.method === 'chat.update' && phaseChannels.has(channel)) first(firstAt.card, channel, c.at);
    if (c.method !== 'chat.postMessage') continue;
    if (channel === ON_CALL) {
      const id = pagedIncidentId(c);
      if (id === null || !dueByIncident.has(id)) continue;
      dms.set(id, [...(dms.get(id) ?? []), c.at]);
      if (c.token === TOKENS.A) pagesBy.A++;
      else if (c.token === TOKENS.B) pagesBy.B++;
      else pagesBy.other++;
    } else if (phaseChannels.has(channel) && String(c.args.text ?? '').startsWith(':pager: Paged')) {
      channelPosts.set(channel, (channelPosts.get(channel) ?? 0) + 1);
      first(firstAt.post, channel, c.at);
    }
  }

  const claim: number[] = [];
  const done: number[] = [];
  const dmLate: number[] = [];
  let missed = 0;
  let neverDone = 0;
  let retried = 0;
  let lastFinish = 0;
  const lastErrors = new Set<string>();
  const gaps = {
    claimToDm: [] as number[],
    dmToPost: [] as number[],
    postToDone: [] as number[],
    doneToCard: [] as number[],
  };
  const gap = (list: number[], from: number | null | undefined, to: number | null | undefined) => {
    if (from !== null && from !== undefined && to !== null && to !== undefined) list.push(to - from);
  };
  for (const j of jobRows) {
    if (j.fired_ms !== null) claim.push(Number(j.fired_ms) - Number(j.due_ms));
    if (j.state === 'done' && j.finished_ms !== null) {
      done.push(Number(j.finished_ms) - Number(j.due_ms));
      lastFinish = Math.max(lastFinish, Number(j.finished_ms));
    }
    const sent = dms.get(Number(j.incident_id));
    const dmAt = sent?.length ? Math.min(...sent) : null;
    if (dmAt !== null) dmLate.push(dmAt - Number(j.due_ms));
    const postAt = firstAt.post.get(j.channel_id);
    const finishedAt = j.finished_ms === null ? null : Number(j.finished_ms);
    gap(gaps.claimToDm, j.fired_ms === null ? null : Number(j.fired_ms), dmAt);
    gap(gaps.dmToPost, dmAt, postAt);
    gap(gaps.postToDone, postAt, finishedAt);
    gap(gaps.doneToCard, finishedAt, firstAt.card.get(j.channel_id));
    if (j.state !== 'done') neverDone++;
    if (finishedAt === null || finishedAt > deadline || dmAt === null || dmAt > deadline) missed++;
    if (Number(j.attempts) > 1) retried++;
    if (j.last_error && lastErrors.size < 3) lastErrors.add(j.last_error.slice(0, 160));
  }
  let duplicates = 0;
  for (const sent of dms.values()) duplicates += Math.max(0, sent.length - 1);
  let duplicateChannelPosts = 0;
  for (const count of channelPosts.values()) duplicateChannelPosts += Math.max(0, count - 1);

  return {
    phase: spec.name,
    jobs: n,
    spreadMs: spec.spreadMs,
    leadMs,
    claim: lateness(claim),
    pageDm: lateness(dmLate),
    done: lateness(done),
    steps: {
      claimToDm: lateness(gaps.claimToDm),
      dmToChannelPost: lateness(gaps.dmToPost),
      channelPostToDone: lateness(gaps.postToDone),
      doneToCardUpdate: lateness(gaps.doneToCard),
    },
    states,
    missed,
    duplicates,
    duplicateChannelPosts,
    pageRows: Number(pageCounts[0]?.pages ?? 0),
    deliveryRows: Number(pageCounts[0]?.deliveries ?? 0),
    retried,
    lastErrors: [...lastErrors],
    pagesBy,
    jobsPerSecond: lastFinish > dueStart ? round((done.length * 1000) / (lastFinish - dueStart)) : null,
    cpuPct,
    botCpuMsPerJob,
    slackCalls,
    slackOkFalse,
    botLog: {
      errors: bots.A.errorLines + bots.B.errorLines - logBefore.errors,
      warnings: bots.A.warnLines + bots.B.warnLines - logBefore.warnings,
    },
    timedOut,
    neverDone,
  };
}

// -------------------------------------------------------------------------------------------------------------------
// Report

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

function printReport(results: PhaseResult[]): void {
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

// -------------------------------------------------------------------------------------------------------------------
// Main

runBench(async (atExit) => {
  const { jobs } = parseArgs(process.argv.slice(2));
  const tmp = mkdtempSync(join(tmpdir(), 'bench-escalation-'));
  atExit(() => rmSync(tmp, { recursive: true, force: true }));
  const schema = await BenchSchema.create('escalation');
  atExit(() => schema.drop());
  const db = createPostgresDatabase(schema.databaseUrl, { max: 2, queryTimeoutMillis: 30_000 });
  atExit(() => db.close());
  await migrate(db);
  const fake = await FakeSlack.start();
  atExit(() => fake.close());
  const runbookFile = join(tmp, 'runbook.yml');
  writeFileSync(runbookFile, RUNBOOK_YAML);
  const version = codeVersion();
  console.log(
    `bench/escalation: ${jobs} timers per phase, two bots on one database; node ${process.version}; ` +
      `code ${version}; schema ${schema.name}`,
  );

  buildBot();
  const bot = (name: string, token: string) =>
    startChild(name, {
      script: BOT_SCRIPT,
      env: {
        SLACK_BOT_TOKEN: token,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: fake.url,
        PORT: '0',
        DATABASE_URL: schema.databaseUrl,
        RUNBOOK_FILE: runbookFile,
        LOG_LEVEL: 'warn',
      },
      ready: BOT_READY,
    });
  const [botA, botB] = await startChildren([bot('bot A', TOKENS.A), bot('bot B', TOKENS.B)], atExit);
  const bots = { A: botA, B: botB };
  const ctx: Ctx = { db, fake, bots, jobs };
  // What the rest of the machine is doing while the bots idle: other load makes the figures noisy.
  const host0 = { busy: hostBusyMs(), at: Date.now() };
  await sleep(1000);
  const backgroundHostPct = round(((hostBusyMs() - host0.busy) / (Date.now() - host0.at)) * 100, 0);
  console.log(
    `ready: bot A pid ${bots.A.pid} port ${bots.A.port}, bot B pid ${bots.B.pid} port ${bots.B.port}; ` +
      `host% with the bots idle: ${backgroundHostPct} (${availableParallelism()} cores, each 100)`,
  );

  const results: PhaseResult[] = [];
  for (const [i, spec] of PHASES.entries()) {
    console.log(`running ${spec.name}: ${jobs} timers due ${spec.spreadMs ? `over ${spec.spreadMs} ms` : 'at once'}`);
    const r = await runPhase(ctx, spec, i * jobs);
    console.log(
      `  claim p99 ${r.claim.p99} ms, page DM p99 ${r.pageDm.p99} ms, max ${r.pageDm.max} ms; ` +
        `${r.duplicates} duplicates, ${r.missed} missed`,
    );
    results.push(r);
  }

  printReport(results);
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
    cores: availableParallelism(),
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
});
