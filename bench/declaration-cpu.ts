/**
 * CPU time the bot spends per declaration, one declaration at a time (no load, no queueing): what each
 * `/incident sev2 …` costs the process that also has to ack everybody else's requests.
 *
 *   npm run bench:declaration-cpu            # 50 declarations after 20 warm-up ones
 *   npx tsx bench/declaration-cpu.ts 200     # more
 *
 * The built bot (dist/app.js, as `npm start` runs it) on a fresh Postgres schema, a fake Slack answering at once,
 * INCIDENTS_CHANNEL set. A declaration is sent every 150 ms; the bot's CPU time (user + system, from /proc) over the
 * measured window, minus its idle CPU over as long, is divided by the number of declarations.
 */
import { FakeSlack } from '../test/support/fake-slack.js';
import { makeSlashCommand, postSlashCommand } from '../test/support/slack-request.js';
import {
  BenchSchema,
  BOT_READY,
  BOT_SCRIPT,
  buildBot,
  codeVersion,
  cpuMs,
  LIMITS_OFF,
  round,
  runBench,
  SIGNING_SECRET,
  sleep,
  startChild,
} from './lib.js';

const WARM_UP = 20;
const INTERVAL_MS = 150;
const SETTLE_MS = 1500;

runBench(async (atExit) => {
  const n = Number(process.argv[2] ?? 50);
  if (!Number.isInteger(n) || n < 1 || n > 5000) {
    console.error('the number of declarations must be a whole number between 1 and 5000');
    process.exit(2);
  }
  const schema = await BenchSchema.create('declcpu');
  atExit(() => schema.drop());
  const fake = await FakeSlack.start();
  atExit(() => fake.close());
  fake.addChannel('incidents', { id: 'C0INCIDENTS' });
  buildBot();
  const bot = await startChild('bot', {
    script: BOT_SCRIPT,
    env: {
      SLACK_BOT_TOKEN: 'xoxb-bench-declaration-cpu',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      PORT: '0',
      ...LIMITS_OFF,
      DATABASE_URL: schema.databaseUrl,
      INCIDENTS_CHANNEL: 'C0INCIDENTS',
    },
    ready: BOT_READY,
  });
  atExit(async () => {
    bot.proc.kill('SIGTERM');
    await bot.exited;
  });
  const base = `http://127.0.0.1:${bot.port}`;
  console.log(`bench/declaration-cpu: ${n} declarations (after ${WARM_UP} warm-up); code ${codeVersion()}`);

  const declare = async (label: string, count: number) => {
    for (let i = 0; i < count; i++) {
      await postSlashCommand(
        base,
        SIGNING_SECRET,
        makeSlashCommand({ text: `sev2 cpu bench ${label} ${i}`, response_url: fake.responseUrl(`${label}${i}`) }),
      );
      await sleep(INTERVAL_MS);
    }
    await sleep(SETTLE_MS);
  };
  await declare('warm', WARM_UP);

  const idle0 = cpuMs(bot.pid);
  const idleWindow = n * INTERVAL_MS + SETTLE_MS;
  await sleep(idleWindow);
  const idleMs = cpuMs(bot.pid) - idle0;

  const calls0 = fake.calls.length;
  const cpu0 = cpuMs(bot.pid);
  await declare('measure', n);
  const usedMs = cpuMs(bot.pid) - cpu0 - idleMs;
  const calls = fake.calls.slice(calls0);
  const methods: Record<string, number> = {};
  for (const c of calls) {
    methods[c.method] = (methods[c.method] ?? 0) + 1;
  }
  console.log(
    `CPU per declaration: ${round(usedMs / n)} ms (idle CPU over the same window: ${idleMs} ms, subtracted); ` +
      `Slack calls per declaration: ${round(calls.length / n, 1)} ${JSON.stringify(methods)}`,
  );
});
