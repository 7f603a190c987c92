/**
 * The load of bench/mixed: an open loop that sends request i at start + i / rate whatever the answers do (so a slow
 * ack does not slow the rate, and p99 is that of a steady rate), round-robin over the target's processes.
 */
import http from 'node:http';
import { postSigned, sleep } from '../lib.js';
import type { RequestFactory } from './requests.js';
import { type Kind, REQUEST_TIMEOUT_MS } from './settings.js';

export interface Sample {
  kind: Kind;
  /** Which process of the target (0 or 1). */
  proc: number;
  /** HTTP status; -1 on a network error or a timeout. */
  status: number;
  /** The ack's body, when it had one. */
  ackBody: string;
  ms: number;
  sentAt: number;
  /** How late the bench sent it after its due time, in ms: the bench's own lag, the same for both targets. */
  lagMs: number;
  key?: string;
  /** Why there was no answer (status -1). */
  error?: string;
}

export interface Run {
  samples: Sample[];
  elapsedMs: number;
  startedAt: number;
  endedAt: number;
}

/**
 * Sends `kinds.length` requests at `rate` a second, request i to `ports[i % ports.length]`, built by `factory` just
 * before it is sent (a click carries the card as it is then); `every500ms` runs between sends twice a second.
 */
export async function openLoop(
  ports: number[],
  rate: number,
  kinds: Kind[],
  factory: RequestFactory,
  every500ms: () => void,
): Promise<Run> {
  const agents = ports.map(() => new http.Agent({ keepAlive: true, maxSockets: 512 }));
  const samples: Sample[] = [];
  const inFlight: Promise<void>[] = [];
  const interval = 1000 / rate;
  const startedAt = Date.now();
  const t0 = performance.now();
  let lastTick = t0;
  let i = 0;
  while (i < kinds.length) {
    const now = performance.now();
    if (now - lastTick >= 500) {
      every500ms();
      lastTick = now;
    }
    const due = t0 + i * interval;
    if (due > now) {
      await sleep(Math.max(1, Math.floor(due - now)));
      continue;
    }
    // Everything due by now goes out, oldest first.
    while (i < kinds.length && t0 + i * interval <= performance.now()) {
      const kind = kinds[i]!;
      const proc = i % ports.length;
      const req = factory.build(i, kind);
      const lagMs = performance.now() - (t0 + i * interval);
      inFlight.push(
        postSigned(agents[proc]!, ports[proc]!, req.body, REQUEST_TIMEOUT_MS).then((a) => {
          samples.push({
            kind,
            proc,
            status: a.status,
            ackBody: a.body,
            ms: a.ms,
            sentAt: a.sentAt,
            lagMs,
            ...(req.key ? { key: req.key } : {}),
            ...(a.error ? { error: a.error } : {}),
          });
        }),
      );
      i++;
    }
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - t0;
  for (const a of agents) a.destroy();
  return { samples, elapsedMs, startedAt, endedAt: Date.now() };
}
