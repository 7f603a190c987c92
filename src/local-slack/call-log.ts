/**
 * The calls a local Slack answered, as tests and the console read them: every call recorded in order (at most
 * `keep`), waits for calls yet to come, and subscribers that hear each call as it is recorded.
 */
import type { SlackArgs } from './workspace.js';

/** An injected failure. See {@link LocalSlack.failNext}. */
export type Failure =
  /** HTTP 200 with `{ ok: false, error, ...extra }` (e.g. `{ error: 'missing_scope', needed: 'chat:write' }`). */
  | { error: string; [extra: string]: unknown }
  /** HTTP 429 with a `Retry-After: <seconds>` header (a string: the header as given, one a client may not read). */
  | { status: 429; retryAfter: number | string }
  /** An HTTP 5xx with an HTML body, as Slack's edge answers when it is unwell. */
  | { status: 500 | 502 | 503 }
  /** An HTTP 4xx with an HTML body and no `ok: false` (Slack's edge refusing the request: a proxy, a bad path). */
  | { status: 400 | 403 | 404 }
  /** Answers normally, after a delay. */
  | { delayMs: number }
  /** Answers normally once `until` settles (a post held by Slack for as long as a test needs). */
  | { until: Promise<unknown> }
  /**
   * Does what was asked (a message is posted), then answers HTTP 200 `{ ok: false, error: takenThen }`: Slack took the
   * call and its answer was lost (an error, or a timeout, after it was done).
   */
  | { takenThen: string };

export interface RecordedCall {
  /** Web API method (`chat.postMessage`), or `'response_url'` for a POST to a {@link LocalSlack.responseUrl}. */
  method: string;
  args: SlackArgs;
  /** From `Authorization: Bearer`, else the `token` field. */
  token: string | undefined;
  /** `Date.now()` when the request arrived. */
  at: number;
  /** Set when this attempt was answered by an injected failure (error, 429 or 5xx); holds that failure. */
  failed?: Failure;
  /** Set when the answer was held back by an injected `{ delayMs }` or `{ until }` (how long, for `until`). */
  delayedMs?: number;
  /** For a `takenThen` failure: what Slack did before it answered the error (a post's `ts`). */
  taken?: SlackArgs;
  /** The JSON body answered (absent for 429/5xx attempts). `response.ok === false` for Slack-level errors. */
  response?: SlackArgs;
  /** For `response_url` calls: the key of the URL that was posted to. */
  key?: string;
}

export interface WaitOptions {
  /** Also match attempts answered by an injected failure (default false: only calls answered normally). */
  includeFailed?: boolean;
}

interface Waiter {
  method: string;
  predicate: ((call: RecordedCall) => boolean) | undefined;
  n: number;
  includeFailed: boolean;
  matched: RecordedCall[];
  resolve: (calls: RecordedCall[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class CallLog {
  readonly calls: RecordedCall[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly subscribers = new Set<(call: RecordedCall) => void>();

  constructor(private readonly keep: number = Number.POSITIVE_INFINITY) {}

  /**
   * Calls `listener` with every call as it is recorded, after the workspace changed and before the caller has its
   * answer. Returns a function that stops it.
   */
  subscribe(listener: (call: RecordedCall) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** Every recorded call to `method`, failed attempts included. */
  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /**
   * Resolves with the first call to `method` (already recorded or future) that matches `predicate`.
   * Only calls answered normally count unless `opts.includeFailed`.
   */
  async waitFor(
    method: string,
    predicate?: (call: RecordedCall) => boolean,
    timeoutMs = 10_000,
    opts: WaitOptions = {},
  ): Promise<RecordedCall> {
    const [first] = await this.waitForCount(method, 1, predicate, timeoutMs, opts);
    return first!;
  }

  /** Resolves with the first `n` matching calls to `method` (see {@link waitFor}) once that many were recorded. */
  waitForCount(
    method: string,
    n: number,
    predicate?: (call: RecordedCall) => boolean,
    timeoutMs = 10_000,
    opts: WaitOptions = {},
  ): Promise<RecordedCall[]> {
    const includeFailed = opts.includeFailed ?? false;
    const matches = (c: RecordedCall): boolean =>
      c.method === method && (includeFailed || !c.failed) && (!predicate || predicate(c));
    const already = this.calls.filter(matches);
    if (already.length >= n) return Promise.resolve(already.slice(0, n));
    return new Promise<RecordedCall[]>((resolve, reject) => {
      const waiter: Waiter = {
        method,
        predicate,
        n,
        includeFailed,
        matched: already,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(this.timeoutMessage(method, n, waiter.matched.length, timeoutMs, Boolean(predicate))));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private timeoutMessage(method: string, n: number, got: number, timeoutMs: number, withPredicate: boolean): string {
    const counts = new Map<string, { ok: number; failed: number }>();
    for (const c of this.calls) {
      const e = counts.get(c.method) ?? { ok: 0, failed: 0 };
      if (c.failed) e.failed++;
      else e.ok++;
      counts.set(c.method, e);
    }
    const summary =
      [...counts].map(([m, e]) => `${m} x${e.ok}${e.failed ? ` (+${e.failed} failed)` : ''}`).join(', ') || 'none';
    const what = `${n === 1 ? 'a call' : `${n} calls`} to ${method}${withPredicate ? ' matching the predicate' : ''}`;
    // What came to that method instead (its last few texts): a wait that timed out says what it saw.
    const seen = this.calls
      .filter((c) => c.method === method)
      .slice(-3)
      .map((c) => JSON.stringify(String(c.args.text ?? '(no text)').slice(0, 200)));
    const texts = seen.length ? `; the last ${method} texts: ${seen.join(', ')}` : '';
    return `LocalSlack: timed out after ${timeoutMs}ms waiting for ${what} (got ${got}). Recorded calls: ${summary}${texts}`;
  }

  record(call: RecordedCall): void {
    this.calls.push(call);
    if (this.calls.length > this.keep) this.calls.splice(0, this.calls.length - this.keep);
    for (const w of [...this.waiters]) {
      if (w.method !== call.method || (!w.includeFailed && call.failed)) continue;
      let ok: boolean;
      try {
        ok = !w.predicate || w.predicate(call);
      } catch (err) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (!ok) continue;
      w.matched.push(call);
      if (w.matched.length >= w.n) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(w.matched.slice(0, w.n));
      }
    }
    for (const listener of this.subscribers) listener(call);
  }

  /** Rejects every wait and forgets the subscribers. */
  close(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(`LocalSlack closed while waiting for ${w.method}`));
    }
    this.waiters.clear();
    this.subscribers.clear();
  }
}
