/**
 * The fake Slack of the load benches (bench/mixed, bench/alerts) on a worker thread of the bench's process.
 *
 * The bench's event loop sends the load and times each answer from just before the request is written to the end of
 * the response. When the fake Slack ran on that loop too, every Web API call the bots made (hundreds a second, each
 * parsed and stored with its blocks) held the loop, and the answers that came in meanwhile were timed late: the bench
 * measured its own busy loop into the bots' figures, and only theirs, since bare Bolt calls nothing (bench/mixed's
 * "bench send lag" showed it: p99 6 to 8 ms in the bots' rounds, 2 to 3 ms in bare Bolt's). On a thread of its own the
 * fake answers as a remote Slack would, and the bench reads what it saw when it asks (`sync`): the calls since the
 * last time (method, time, response_url key, text, outcome), the messages it watches when they changed (a card's text
 * and blocks), and, when asked, the forms opened.
 */
import { Worker } from 'node:worker_threads';

/**
 * How much lower the fake Slack's thread runs than the bench's process (BENCH_FAKE_NICE, 0 to 19; default 0, as it
 * is): a stand-in for a server of its own, whose CPU bare Bolt never asks for. Not on by default: runs with it at 10
 * were better in one session and worse in another (bench/README.md). Said in each run's report when set.
 */
export const FAKE_NICE = Math.max(0, Math.min(19, Number(process.env.BENCH_FAKE_NICE ?? 0) || 0));
export const fakeSlackPriority = (): string =>
  FAKE_NICE > 0
    ? `the fake Slack's thread runs ${FAKE_NICE} steps nicer than the bench's process (BENCH_FAKE_NICE=${FAKE_NICE})`
    : "the fake Slack's thread runs at the bench's priority (BENCH_FAKE_NICE unset)";

export interface FakeThreadInit {
  /** Channels that exist before the bots start (`#incidents`, `#general`). */
  channels: { name: string; id: string }[];
}

/** What the bench reads of one recorded call. */
export interface SlimCall {
  method: string;
  /** `Date.now()` when the call arrived at the fake. */
  at: number;
  /** The response_url key, for a POST to one. */
  key?: string;
  /** The call's `text` argument, when it had one. */
  text?: string;
  /** Answered by an injected failure. */
  failed?: boolean;
  /** Slack's `ok` of the answer, when there was a JSON answer. */
  ok?: boolean;
}

export interface SlimMessage {
  channel: string;
  ts: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  edits: number;
}

export interface SlimView {
  triggerId: string | undefined;
  view: Record<string, unknown>;
}

export type ToFake =
  | { op: 'sync'; id: number; from: number; watch: [string, string][]; views: boolean }
  | { op: 'close'; id: number };

export interface FromFake {
  id: number;
  calls: SlimCall[];
  messages: SlimMessage[];
  views: SlimView[];
}

type Ready = { ready: true; url: string };

export class ThreadedFakeSlack {
  /** Every call the fake answered, as of the last `sync`. */
  readonly calls: SlimCall[] = [];
  /** The forms opened (views.open/push), as of the last `sync({ views: true })`. */
  views: SlimView[] = [];
  private readonly messages = new Map<string, SlimMessage>();
  private readonly watched = new Map<string, [string, string]>();
  private readonly pending = new Map<number, (m: FromFake) => void>();
  private nextId = 1;
  private syncing: Promise<void> | null = null;

  private constructor(
    private readonly worker: Worker,
    /** Base URL for the bots' SLACK_API_URL (`http://127.0.0.1:PORT/api/`). */
    readonly url: string,
  ) {
    worker.on('message', (m: FromFake) => {
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      done?.(m);
    });
  }

  static async start(init: FakeThreadInit): Promise<ThreadedFakeSlack> {
    const entry = new URL('./fake-slack-thread.worker.ts', import.meta.url);
    // The benches run under tsx: the worker registers it before loading its TypeScript entry.
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
    const worker = new Worker(boot, { eval: true, workerData: init });
    const ready = await new Promise<Ready>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the fake Slack thread exited (${code}) before it was ready`)));
    });
    worker.removeAllListeners('error');
    worker.removeAllListeners('exit');
    worker.on('error', (err) => console.error('fake Slack thread failed:', err));
    return new ThreadedFakeSlack(worker, ready.url);
  }

  /** A response_url served by the fake; POSTs to it are recorded as method `response_url` with this key. */
  responseUrl(key: string): string {
    return new URL(`../response/${encodeURIComponent(key)}`, this.url).href;
  }

  /**
   * A message as of the last `sync`, and watched from now on (its changes come with each later `sync`); undefined
   * until a `sync` has brought it.
   */
  message(channel: string, ts: string): SlimMessage | undefined {
    const key = `${channel}/${ts}`;
    if (!this.watched.has(key)) this.watched.set(key, [channel, ts]);
    return this.messages.get(key);
  }

  callsTo(method: string): SlimCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Brings what the fake saw since the last time; one at a time (a second caller waits for the first's). */
  async sync(opts: { views?: boolean } = {}): Promise<void> {
    while (this.syncing) await this.syncing;
    this.syncing = this.ask({
      op: 'sync',
      id: this.nextId++,
      from: this.calls.length,
      watch: [...this.watched.values()],
      views: opts.views ?? false,
    }).then((m) => {
      for (const c of m.calls) this.calls.push(c);
      for (const msg of m.messages) this.messages.set(`${msg.channel}/${msg.ts}`, msg);
      if (opts.views) this.views = m.views;
    });
    try {
      await this.syncing;
    } finally {
      this.syncing = null;
    }
  }

  async close(): Promise<void> {
    await Promise.race([this.ask({ op: 'close', id: this.nextId++ }), new Promise((r) => setTimeout(r, 2000))]);
    await this.worker.terminate();
  }

  private ask(m: ToFake): Promise<FromFake> {
    return new Promise((resolve) => {
      this.pending.set(m.id, resolve);
      this.worker.postMessage(m);
    });
  }
}
