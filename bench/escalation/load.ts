/**
 * The load of bench/escalation: the incident channels and their cards in the fake Slack, the incidents and their due
 * timers written in one transaction, and the wait until none is pending (with the CPU it took).
 */
import type { Database } from '../../src/store/db.js';
import type { FakeSlack } from '../../test/support/fake-slack.js';
import { assertAlive, BenchBroken, type Child, cpuMs, hostBusyMs, round, selfCpuMs, sleep } from '../lib.js';
import { DRAIN_MS, GRACE_MS, LEAD_MS, type PhaseSpec, POLL_MS, SEED_TOKEN } from './settings.js';

/** What a phase works with: the database, the fake Slack, both bots, and how many timers a phase writes. */
export interface Ctx {
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

/** The incidents of one phase, before they exist: numbers, titles, and channels with a card in the fake Slack. */
export interface Seeded {
  numbers: number[];
  titles: string[];
  channelIds: string[];
  channelNames: string[];
  cardTs: string[];
}

/** Adds the phase's incident channels to the fake Slack and posts a placeholder card in each. */
export async function seedChannels(ctx: Ctx, spec: PhaseSpec, offset: number): Promise<Seeded> {
  const { fake, jobs: n } = ctx;
  const numbers = Array.from({ length: n }, (_, i) => offset + i + 1);
  const pad = (num: number) => String(num).padStart(6, '0');
  const channelIds = numbers.map((num) => `CESC${pad(num)}`);
  const channelNames = numbers.map((num) => `inc-${num}-escalation-bench`);
  const titles = numbers.map((num) => `escalation bench ${spec.name} ${pad(num)}`);
  for (const [i, id] of channelIds.entries()) fake.addChannel(channelNames[i]!, { id, botIsMember: true });
  const cardTs = await postCards(fake, channelIds);
  return { numbers, titles, channelIds, channelNames, cardTs };
}

/** The phase's timers, as written. */
export interface Timers {
  inserted: number[];
  /** Date.now() of the first due time, and of the last. */
  dueStart: number;
  lastDue: number;
  /** How long before the first due time the rows were committed. */
  leadMs: number;
}

/** Writes, in one transaction, the phase's incidents and one pending `declared` timer each, due from LEAD_MS on. */
export async function insertTimers(ctx: Ctx, spec: PhaseSpec, seeded: Seeded): Promise<Timers> {
  const { db, jobs: n } = ctx;
  const { numbers, titles, channelIds, channelNames, cardTs } = seeded;
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
  return { inserted, dueStart, lastDue, leadMs };
}

/** How the wait went: the deadline, whether it passed, and the CPU used from the first due time. */
export interface Waited {
  deadline: number;
  timedOut: boolean;
  cpuPct: { A: number | null; B: number | null; bench: number | null; host: number | null };
  botCpuMsPerJob: number | null;
}

/**
 * Waits from the first due time until none of the timers is pending, or DRAIN_MS past the deadline; counts the CPU
 * used meanwhile.
 */
export async function waitUntilDone(ctx: Ctx, timers: Timers): Promise<Waited> {
  const { db, bots, jobs: n } = ctx;
  const { inserted, dueStart, lastDue } = timers;
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
  return { deadline, timedOut, cpuPct, botCpuMsPerJob };
}
