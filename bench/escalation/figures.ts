/**
 * The figures of bench/escalation: the lateness of each timer (claimed, paged, done) from the database and the fake
 * Slack's calls, and what went wrong (missed, duplicates, retries).
 */
import type { RecordedCall } from '../../test/support/fake-slack.js';
import { percentile, round } from '../lib.js';
import type { Ctx, Timers, Waited } from './load.js';
import { ON_CALL, type PhaseSpec, TOKENS } from './settings.js';

/** Lateness after the due time, ms: the count and percentiles. */
export interface Lateness {
  n: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export function lateness(values: number[]): Lateness {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => round(percentile(s, p));
  return { n: s.length, p50: at(50), p90: at(90), p99: at(99), max: round(s[s.length - 1] ?? Number.NaN) };
}

export interface PhaseResult {
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

/** What the phase measured on the way, beside the timers and the wait. */
export interface Measured extends Timers, Waited {
  channelIds: string[];
  /** The fake's call count and the bots' log counts before the timers were written. */
  callsBefore: number;
  logBefore: { errors: number; warnings: number };
}

/** The figures of one phase, from the database and the fake Slack's calls since `m.callsBefore`. */
export async function phaseFigures(ctx: Ctx, spec: PhaseSpec, m: Measured): Promise<PhaseResult> {
  const { db, fake, bots, jobs: n } = ctx;
  const { inserted, callsBefore, logBefore, deadline, dueStart, leadMs, timedOut, cpuPct, botCpuMsPerJob } = m;
  const phaseChannels = new Set(m.channelIds);

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
