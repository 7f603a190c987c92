/**
 * SQL statements per request of bench/mixed, by kind: the bot in this process (the bundled runbook, the fake Slack,
 * a fresh schema), every statement it sends to Postgres counted, one request at a time, each waited for until the
 * bot has been quiet (no statement, no Slack call) for a while. See bench/README.md (bench/mixed, "Round trips").
 *
 *   npx tsx bench/mixed/queries.ts            # 10 requests of each kind
 *   npx tsx bench/mixed/queries.ts 20 --sql   # 20, and the statements of one request of each kind
 */

import type { Server } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_RUNBOOK_FILE, loadRunbook } from '../../src/runbook/runbook.js';
import { createPostgresDatabase } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { ThreadedFakeSlack } from '../fake-slack-thread.js';
import { BenchSchema, postSigned, runBench, SIGNING_SECRET, sleep } from '../lib.js';
import { declareOpenIncidents, refreshCards } from './cards.js';
import { RequestFactory } from './requests.js';
import { ANNOUNCE_CHANNEL_ID, GENERAL_CHANNEL_ID, KIND_LABELS, type Kind, TOKEN } from './settings.js';

const QUIET_MS = 300;
/**
 * Statements counted apart: the audit (written in batches, one statement for many requests under load) and people's
 * Home tabs (refreshed at most once in 5 s per person and 100 times a minute per process, whatever the load). The
 * alerts firing are read by a Home tab and by `/incident list` with one statement: it is counted under home for both.
 */
const APART: [string, RegExp][] = [
  ['audit', /^INSERT INTO audit_log/],
  [
    'home',
    /^SELECT i\.\*, \(i\.reporter_id|^SELECT a\.\*, i\.number AS i_number|^SELECT a\.\*, i\.number AS incident_number|AS total FROM incidents i WHERE i\.team_id = \$1 AND i\.status = 'resolved'|^SELECT count\(\*\) AS n FROM action_items|actor_id AS id FROM incident_events/,
  ],
];
const KINDS: Kind[] = ['status', 'list', 'acknowledge_click', 'severity_click', 'update_click', 'update_submit'];

/** Every statement a pg client of the bot sends, whitespace folded, in order. */
const seen: string[] = [];
/** Time from sending each kind of statement to its answer (ms), by its first 100 characters: where the time goes. */
const timing = new Map<string, { n: number; ms: number }>();
let lastActivity = Date.now();

function countStatements(skip: pg.Client): void {
  const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (this !== skip) {
      const q = args[0];
      const text = typeof q === 'string' ? q : ((q as { text?: string })?.text ?? '?');
      const folded = text.replace(/\s+/g, ' ').trim();
      seen.push(folded);
      lastActivity = Date.now();
      const t0 = performance.now();
      const res = query.apply(this, args);
      if (res instanceof Promise) {
        const key = folded.slice(0, 100);
        void res.then(
          () => {
            const t = timing.get(key) ?? { n: 0, ms: 0 };
            t.n++;
            t.ms += performance.now() - t0;
            timing.set(key, t);
          },
          () => {},
        );
      }
      return res;
    }
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
}

async function quiet(fake: ThreadedFakeSlack): Promise<void> {
  let calls = fake.calls.length;
  for (;;) {
    await sleep(50);
    await fake.sync();
    if (fake.calls.length !== calls) {
      calls = fake.calls.length;
      lastActivity = Date.now();
    }
    if (Date.now() - lastActivity >= QUIET_MS) return;
  }
}

runBench(async (atExit) => {
  const n = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 10);
  const showSql = process.argv.includes('--sql');
  const schema = await BenchSchema.create('queries');
  atExit(() => schema.drop());
  countStatements(schema.admin);
  const fake = await ThreadedFakeSlack.start({
    channels: [
      { name: 'incidents', id: ANNOUNCE_CHANNEL_ID },
      { name: 'general', id: GENERAL_CHANNEL_ID },
    ],
  });
  atExit(() => fake.close());

  const db = createPostgresDatabase(schema.databaseUrl);
  await migrate(db);
  const config = loadConfig({
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.url,
    PORT: '0',
    LOG_LEVEL: 'error',
    DATABASE_URL: schema.databaseUrl,
    INCIDENTS_CHANNEL: ANNOUNCE_CHANNEL_ID,
    DECLARE_RATE_LIMIT: 'off',
    RUN_RATE_LIMIT: 'off',
    CHANNEL_CREATE_LIMIT: 'off',
  });
  const runbook = await loadRunbook(DEFAULT_RUNBOOK_FILE);
  // The timer loop and the alert inbox poll on their own; they are left out so that only the requests' work counts.
  const { app, audit, home, kv } = createBot({ config, db, runbook });
  const server = (await app.start(0)) as Server;
  atExit(async () => {
    await app.stop();
    home.forget();
    await home.idle();
    await audit.flush();
    await kv.close();
    await db.close();
  });
  const port = (server.address() as AddressInfo).port;
  const responders = Array.from({ length: 20 }, (_, i) => `U0RESP${String(i).padStart(2, '0')}`);
  const incidents = await declareOpenIncidents(fake, schema, port, responders);
  await quiet(fake);
  await audit.flush();
  await quiet(fake);

  const agent = new http.Agent({ keepAlive: true });
  const factory = new RequestFactory(fake, incidents, responders, 'Q', 7);
  let i = 0;
  const rows: { kind: Kind; per: number; min: number; max: number; audit: number; home: number }[] = [];
  const samples = new Map<Kind, string[]>();
  for (const kind of KINDS) {
    const counts: number[] = [];
    const apart = { audit: 0, home: 0 };
    for (let r = 0; r < n; r++) {
      refreshCards(fake, incidents);
      const req = factory.build(i++, kind);
      const from = seen.length;
      const a = await postSigned(agent, port, req.body);
      if (a.status !== 200) throw new Error(`${kind} was answered ${a.status}`);
      await quiet(fake);
      await audit.flush();
      const mine = seen.slice(from).filter((sql) => {
        const group = APART.find(([, re]) => re.test(sql))?.[0] as keyof typeof apart | undefined;
        if (group) apart[group]++;
        return !group;
      });
      counts.push(mine.length);
      if (!samples.has(kind)) samples.set(kind, mine);
    }
    rows.push({
      kind,
      per: counts.reduce((s, c) => s + c, 0) / n,
      min: Math.min(...counts),
      max: Math.max(...counts),
      audit: apart.audit / n,
      home: apart.home / n,
    });
  }
  agent.destroy();
  console.log(`SQL statements per request (${n} of each kind, one at a time; the audit and Home tabs apart)`);
  console.log('kind                  mean   min   max   audit   home');
  for (const r of rows) {
    console.log(
      `${KIND_LABELS[r.kind].padEnd(20)} ${r.per.toFixed(1).padStart(5)} ${String(r.min).padStart(5)} ` +
        `${String(r.max).padStart(5)} ${r.audit.toFixed(1).padStart(7)} ${r.home.toFixed(1).padStart(6)}`,
    );
  }
  if (showSql) {
    console.log('\nslowest statements (mean ms from sending to the answer, count):');
    const byMean = [...timing]
      .filter(([, t]) => t.n >= 10)
      .sort((a, b) => b[1].ms / b[1].n - a[1].ms / a[1].n)
      .slice(0, 15);
    for (const [sql, t] of byMean)
      console.log(`  ${(t.ms / t.n).toFixed(2).padStart(6)} ${String(t.n).padStart(5)}  ${sql}`);
    for (const [kind, sql] of samples) {
      console.log(`\n${KIND_LABELS[kind]}:`);
      for (const s of sql) console.log(`  ${s.slice(0, 160)}`);
    }
  }
});
