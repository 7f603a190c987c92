/** bench/alerts: the alerts it sends (paced, with a concurrency cap) and what it reads back. */
import { Agent, request } from 'node:http';

export interface LoadSpec {
  /** Alerts sent in all. */
  alerts: number;
  /** Over this many seconds, evenly. */
  seconds: number;
  /** Requests in flight at most. */
  concurrency: number;
  /** Distinct alerts (generic `key`s): request i is fingerprint i mod this. */
  fingerprints: number;
}

export interface Sent {
  i: number;
  key: string;
  /** When the request was sent (Date.now()). */
  sentAt: number;
  /** Until the end of the response. */
  ms: number;
  status: number;
}

export const SOURCE = 'bench';
export const fingerprintKey = (n: number) => `f-${String(n).padStart(2, '0')}`;
/** An incident's title: the alert's summary, which names its fingerprint. */
export const summaryOf = (key: string) => `bench alert ${key}`;

/**
 * A critical alert in the generic format; `i` makes each body different (a retry would be recognised as such). Its
 * value, 10.1% to 15%, is past the bundled runbook's critical row for error_rate (> 10%): an alert whose value is short
 * of its level's row takes the row its value is past (10% exactly would be the warning row's, > 5%).
 */
export function alertBody(i: number, key: string): string {
  return JSON.stringify({
    source: SOURCE,
    key,
    status: 'firing',
    level: 'critical',
    metric: 'error_rate',
    value: `${(10.1 + (i % 50) / 10).toFixed(1)}%`,
    threshold: '> 10%',
    service: 'api-service',
    summary: summaryOf(key),
    labels: { seq: String(i) },
  });
}

function post(agent: Agent, url: URL, body: string, token: string | null): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        timeout: 15_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/**
 * Sends `alerts` requests, request i due at `i * seconds / alerts` from the start, by `concurrency` workers: a worker
 * sends its next request when it is due, or at once if it is late (never more than `concurrency` in flight).
 */
export async function paced(target: string, token: string | null, spec: LoadSpec): Promise<Sent[]> {
  const url = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const interval = (spec.seconds * 1000) / spec.alerts;
  const bodies = Array.from({ length: spec.alerts }, (_, i) => alertBody(i, fingerprintKey(i % spec.fingerprints)));
  const sent: Sent[] = [];
  const start = Date.now() + 50;
  const worker = async (w: number) => {
    for (let i = w; i < spec.alerts; i += spec.concurrency) {
      const due = start + i * interval;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t0 = performance.now();
      const sentAt = Date.now();
      const status = await post(agent, url, bodies[i]!, token);
      sent.push({ i, key: fingerprintKey(i % spec.fingerprints), sentAt, ms: performance.now() - t0, status });
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, (_, w) => worker(w)));
  agent.destroy();
  return sent.sort((a, b) => a.i - b.i);
}
