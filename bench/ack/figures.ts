/** The figures of bench/ack: ack and card latency per phase, memory readings and the consistency check. */
import type { FakeSlack } from '../../test/support/fake-slack.js';
import { type BenchSchema, percentile, round } from '../lib.js';
import type { CallIndex } from './calls.js';
import type { LoadResult, Probe } from './load.js';
import { SLACK_ACK_DEADLINE_MS } from './settings.js';

export { type Mem, mb, readMem } from '../lib.js';

export interface AckFigures {
  target: 'bare' | 'ours';
  phase: string;
  concurrency: number;
  requests: number;
  errors: number;
  over3s: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  rps: number | null;
  /** CPU used by the target while the phase ran, in % of one core. */
  targetCpuPct: number | null;
  benchCpuPct: number | null;
  /** CPU used by everything on the machine (max 100 x cores): what is left after target + bench is other load. */
  hostCpuPct: number | null;
  capped: boolean;
}

export interface CardFigures {
  phase: string;
  declared: number;
  cards: number;
  missing: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** response_url replies: success, and errors (':x:' or ':warning:' texts) */
  replies: number;
  errorReplies: number;
  errorSamples: string[];
  /** How long after the last ack the bot kept working (until the last reply/card, or until we stopped waiting). */
  drainMs: number;
  drainComplete: boolean;
  botErrorLogLines: number;
  /** GET /health sent halfway through the load phase. */
  healthMidLoad?: Probe | null;
}

export function ackFigures(
  target: 'bare' | 'ours',
  phase: string,
  concurrency: number,
  r: LoadResult,
  cpu: { target: number; bench: number; host: number },
): AckFigures {
  const sorted = [...r.latencyMs].sort((a, b) => a - b);
  const errors = r.status.filter((s) => s !== 200).length;
  return {
    target,
    phase,
    concurrency,
    requests: r.sent,
    errors,
    over3s: r.latencyMs.filter((ms) => ms > SLACK_ACK_DEADLINE_MS).length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
    rps: round((r.sent * 1000) / r.elapsedMs),
    targetCpuPct: round((cpu.target / r.elapsedMs) * 100, 0),
    benchCpuPct: round((cpu.bench / r.elapsedMs) * 100, 0),
    hostCpuPct: round((cpu.host / r.elapsedMs) * 100, 0),
    capped: r.capped,
  };
}

export function cardFigures(
  phase: string,
  r: LoadResult,
  index: CallIndex,
  drained: { ms: number; complete: boolean },
  botErrorLogLines: number,
): CardFigures {
  const lat: number[] = [];
  let declared = 0;
  let replies = 0;
  let errorReplies = 0;
  const errorSamples = new Set<string>();
  let lastActivity = r.endedAt;
  for (let i = 0; i < r.sent; i++) {
    if (r.status[i] !== 200) continue;
    declared++;
    const id = r.ids[i]!;
    const cardAt = index.cards.get(id);
    if (cardAt !== undefined) {
      lat.push(cardAt - r.sentAt[i]!);
      lastActivity = Math.max(lastActivity, cardAt);
    }
    const reply = index.replies.get(id);
    if (reply) {
      replies++;
      lastActivity = Math.max(lastActivity, reply.at);
      if (/^:(x|warning):/.test(reply.text) || reply.text.includes(':warning: But')) {
        errorReplies++;
        if (errorSamples.size < 3) errorSamples.add(reply.text.replace(/reference [0-9A-F]{6}/, 'reference …'));
      }
    }
  }
  lat.sort((a, b) => a - b);
  return {
    phase,
    declared,
    cards: lat.length,
    missing: declared - lat.length,
    p50: round(percentile(lat, 50), 0),
    p95: round(percentile(lat, 95), 0),
    p99: round(percentile(lat, 99), 0),
    max: round(lat[lat.length - 1] ?? Number.NaN, 0),
    replies,
    errorReplies,
    errorSamples: [...errorSamples],
    drainMs: drained.complete ? Math.max(0, lastActivity - r.endedAt) : Date.now() - r.endedAt,
    drainComplete: drained.complete,
    botErrorLogLines,
  };
}

export interface Consistency {
  incidents: number;
  withoutChannel: number;
  withoutCard: number;
  channelsCreated: number;
  channelsArchived: number;
  /** Unarchived incident channels in the fake that no incident row points at (half-made incidents). */
  orphanChannels: number;
}

export async function checkConsistency(schema: BenchSchema, fake: FakeSlack): Promise<Consistency> {
  const { rows } = await schema.admin.query<{ channel_id: string | null; card_ts: string | null }>(
    `SELECT channel_id, card_ts FROM ${schema.name}.incidents`,
  );
  const referenced = new Set(rows.map((r) => r.channel_id).filter((c): c is string => c !== null));
  let created = 0;
  let archived = 0;
  let orphans = 0;
  for (const c of fake.channels.values()) {
    if (!c.name.startsWith('inc-')) continue;
    created++;
    if (c.isArchived) archived++;
    else if (!referenced.has(c.id)) orphans++;
  }
  return {
    incidents: rows.length,
    withoutChannel: rows.filter((r) => r.channel_id === null).length,
    withoutCard: rows.filter((r) => r.card_ts === null).length,
    channelsCreated: created,
    channelsArchived: archived,
    orphanChannels: orphans,
  };
}
