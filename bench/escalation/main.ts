/**
 * Escalation timer lateness with two bot processes on one database: 1,000 open incidents, each with a pending
 * 'declared' timer a few seconds ahead; first all due at the same instant (burst), then due evenly over 2 s (spread).
 *
 *   npm run bench:escalation
 *   npx tsx bench/escalation/main.ts --jobs 200     # fewer timers per phase
 *
 * Everything runs on loopback: a fake Slack Web API (test/support/fake-slack.ts) inside this process, two bots
 * (built: dist/app.js, as npm start runs it) as child processes, Postgres on 127.0.0.1:5432 in a fresh schema that is
 * dropped at the end. See bench/README.md (bench/escalation) for what each figure means and the targets. This file
 * runs the phases; load.ts writes the timers and waits for them, figures.ts measures them and report.ts prints them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresDatabase } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { FakeSlack } from '../../test/support/fake-slack.js';
import {
  BenchSchema,
  BOT_READY,
  BOT_SCRIPT,
  buildBot,
  codeVersion,
  hostBusyMs,
  LIMITS_OFF,
  round,
  runBench,
  SIGNING_SECRET,
  sleep,
  startChild,
  startChildren,
} from '../lib.js';
import { type PhaseResult, phaseFigures } from './figures.js';
import { type Ctx, insertTimers, seedChannels, waitUntilDone } from './load.js';
import { report } from './report.js';
import { PHASES, type PhaseSpec, parseArgs, RUNBOOK_YAML, SETTLE_MS, TOKENS } from './settings.js';

/** One phase: the channels and cards, the timers, the wait until none is pending, then its figures. */
async function runPhase(ctx: Ctx, spec: PhaseSpec, offset: number): Promise<PhaseResult> {
  const { fake, bots } = ctx;
  const seeded = await seedChannels(ctx, spec, offset);
  const callsBefore = fake.calls.length;
  const logBefore = { errors: bots.A.errorLines + bots.B.errorLines, warnings: bots.A.warnLines + bots.B.warnLines };
  const timers = await insertTimers(ctx, spec, seeded);
  const waited = await waitUntilDone(ctx, timers);
  await sleep(SETTLE_MS);
  return phaseFigures(ctx, spec, { ...timers, ...waited, channelIds: seeded.channelIds, callsBefore, logBefore });
}

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
        ...LIMITS_OFF,
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

  report({ jobs, version, cores: availableParallelism(), backgroundHostPct, results, bots });
});
