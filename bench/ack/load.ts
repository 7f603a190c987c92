/**
 * The load of bench/ack: the signed `/incident` requests of a phase, sent in a closed loop or paced, and the wait for
 * the bot's backlog to drain.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { FakeSlack } from '../../test/support/fake-slack.js';
import { encodeSlashCommand, makeSlashCommand } from '../../test/support/slack-request.js';
import { type Answer, BenchBroken, postSigned, round, sleep } from '../lib.js';
import type { CallIndex } from './calls.js';
import { DRAIN_QUIET_MS, REQUEST_TIMEOUT_MS } from './settings.js';

const ID_SLOT = 'QQBENCHIDQQ';

/** The requests of one phase: `/incident sev1 bench <id>`, with a unique title, trigger_id and response_url each. */
export interface Batch {
  size: number;
  id(i: number): string;
  body(i: number): string;
}

/**
 * Builds the form body once, with a slot for the id; a request's body is that template joined around its id (ids are
 * `[a-z0-9]`, which form encoding leaves alone). Cheaper than building, and than storing, tens of thousands of bodies.
 */
export function makeBatch(fake: FakeSlack, prefix: string, n: number): Batch {
  const template = encodeSlashCommand(
    makeSlashCommand({
      text: `sev1 bench ${ID_SLOT}`,
      response_url: fake.responseUrl(ID_SLOT),
      trigger_id: `${Date.now()}.${ID_SLOT}.${randomBytes(10).toString('hex')}`,
    }),
  );
  const parts = template.split(ID_SLOT);
  if (parts.length !== 4) throw new BenchBroken(`the request template has ${parts.length - 1} id slots, not 3`);
  const id = (i: number) => `${prefix}${i}`;
  return { size: n, id, body: (i) => parts.join(id(i)) };
}

/** Signs `body` now and POSTs it to the app's /slack/events, as Slack sends a slash command (bench/lib.ts's postSigned). */
export function post(agent: http.Agent, port: number, body: string): Promise<Answer> {
  return postSigned(agent, port, body, REQUEST_TIMEOUT_MS);
}

export interface Probe {
  status: number;
  ms: number;
  body: string;
}

/** GETs `path` on the app after `delayMs` (a separate connection, outside the load's agent). */
export async function probeLater(port: number, path: string, delayMs: number): Promise<Probe> {
  await sleep(delayMs);
  const t0 = performance.now();
  return new Promise<Probe>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: round(performance.now() - t0) ?? 0, body }));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: -1, ms: round(performance.now() - t0) ?? 0, body: e.message }));
  });
}

export interface LoadResult {
  sent: number;
  ids: string[];
  sentAt: number[];
  latencyMs: number[];
  status: number[];
  elapsedMs: number;
  capped: boolean;
  endedAt: number;
}

function recordSent(r: LoadResult, id: string, sent: Answer): void {
  r.ids.push(id);
  r.sentAt.push(sent.sentAt);
  r.latencyMs.push(sent.ms);
  r.status.push(sent.status);
}

export function emptyLoadResult(): LoadResult {
  return { sent: 0, ids: [], sentAt: [], latencyMs: [], status: [], elapsedMs: 0, capped: false, endedAt: 0 };
}

/** Adds one round's result to the pooled result of its target. */
export function poolInto(into: LoadResult, r: LoadResult): void {
  for (let i = 0; i < r.ids.length; i++) {
    into.ids.push(r.ids[i]!);
    into.sentAt.push(r.sentAt[i]!);
    into.latencyMs.push(r.latencyMs[i]!);
    into.status.push(r.status[i]!);
  }
  into.sent += r.sent;
  into.elapsedMs += r.elapsedMs;
  into.capped ||= r.capped;
  into.endedAt = Math.max(into.endedAt, r.endedAt);
}

/** A closed loop: `concurrency` workers each send, wait for the ack, send again, until `seconds` are up. */
export async function closedLoop(
  port: number,
  concurrency: number,
  seconds: number,
  batch: Batch,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const r = emptyLoadResult();
  let next = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const i = next++;
      if (i >= batch.size) {
        r.capped = true;
        return;
      }
      recordSent(r, batch.id(i), await post(agent, port, batch.body(i)));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  r.elapsedMs = performance.now() - started;
  r.endedAt = Date.now();
  r.sent = r.ids.length;
  agent.destroy();
  return r;
}

/** One request at a time, one every `intervalMs` (or as soon as the previous ack arrives if it is slower). */
export async function paced(port: number, batch: Batch, intervalMs: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const r = emptyLoadResult();
  const started = performance.now();
  for (let i = 0; i < batch.size; i++) {
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    recordSent(r, batch.id(i), await post(agent, port, batch.body(i)));
  }
  r.elapsedMs = performance.now() - started;
  r.endedAt = Date.now();
  r.sent = r.ids.length;
  agent.destroy();
  return r;
}

/**
 * Waits until every acked request of `load` got its response_url reply (success or error), or the fake saw no call
 * for DRAIN_QUIET_MS, or `capMs` passed. Returns how long it waited.
 */
export async function drain(
  index: CallIndex,
  load: LoadResult,
  capMs: number,
): Promise<{ ms: number; complete: boolean }> {
  const started = Date.now();
  let lastCount = -1;
  let lastChange = Date.now();
  const expected = load.ids.filter((_, i) => load.status[i] === 200);
  for (;;) {
    index.update();
    if (expected.every((id) => index.replies.has(id))) return { ms: Date.now() - started, complete: true };
    if (index.callCount !== lastCount) {
      lastCount = index.callCount;
      lastChange = Date.now();
    }
    const now = Date.now();
    if (now - lastChange >= DRAIN_QUIET_MS || now - started >= capMs) return { ms: now - started, complete: false };
    await sleep(200);
  }
}
