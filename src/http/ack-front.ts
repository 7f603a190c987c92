import type { Server } from 'node:http';
import type { Server as HTTPSServer } from 'node:https';
import type { AddressInfo, ListenOptions } from 'node:net';
import { getPriority, setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { App, Logger, ReceiverEvent } from '@slack/bolt';
import type { AlertLevel } from '../incidents/alert-types.js';
import type {
  FrontAlerts,
  FrontIncidents,
  FrontInit,
  FrontReport,
  FrontRequest,
  ToFront,
} from './ack-front.protocol.js';
import { parseSlackBody } from './ack-front.rules.js';
import { frontFromSource } from './ack-front.source.js';
import { SLACK_EVENTS_PATH, SlackHttpReceiver, type SlackHttpReceiverOptions } from './slack-receiver.js';

/** Where Slack posts (Bolt's default endpoint, which the manifest names). */
const SLACK_PATH = SLACK_EVENTS_PATH;
/** The front thread's young generation, in MB (V8's default would be several times the bot's own). */
const FRONT_YOUNG_MB = 6;
/** How long a stop waits for the front to finish what it is passing through. */
const CLOSE_WAIT_MS = 10_000;

export interface FrontedReceiverOptions extends SlackHttpReceiverOptions {
  /** Idle keep-alive connections are kept this long, on the public port as on the inner one. */
  keepAliveMs: number;
  /** How much lower this thread's CPU priority is than the front's (nice steps, 0 to 19). */
  workNice: number;
  /** The alert hooks, for the front to serve itself (null: the bot's own server serves them). */
  alerts?: FrontAlerts | null;
  /** The database, for the front to answer the resolve and status update forms itself (null: the bot answers them). */
  incidents?: FrontIncidents | null;
  /** Told of each delivery the front wrote to the alert inbox. */
  onAlerts?: (source: string, groupKey: string, levels: AlertLevel[]) => void;
}

/**
 * The front thread's code: compiled JavaScript beside this file in dist/; from the TypeScript sources (tests, `npm run
 * dev`), the same modules compiled once a process (frontFromSource), which a worker cannot take as TypeScript.
 */
function startFront(init: FrontInit): Worker {
  const here = import.meta.url;
  const fromSource = here.endsWith('.ts');
  // It holds little for long (a request at a time): a small young generation keeps the thread to a few megabytes.
  const resourceLimits = { maxYoungGenerationSizeMb: FRONT_YOUNG_MB };
  const entry = fromSource
    ? frontFromSource(new URL('./ack-front.worker.ts', here))
    : new URL('./ack-front.worker.js', here);
  return new Worker(entry, { workerData: init, resourceLimits });
}

/**
 * The priority for the front: this thread's before it lowers its own (yieldToFront), `own`. Only on Linux, where a
 * priority is a thread's own; elsewhere it is the whole process's, and the front leaves it alone (null).
 */
function processPriority(own: () => number): number | null {
  if (process.platform !== 'linux') return null;
  try {
    return own();
  } catch {
    return null;
  }
}

/**
 * The HTTP receiver with an acknowledging front (ack-front.worker.ts): the public port belongs to a thread that answers
 * Slack's requests whose answer is an empty 200 at once and hands them here in order; this receiver's own server
 * listens on 127.0.0.1 only, for everything the front passes through (form submissions, options, every other route,
 * and requests it did not find correctly signed: those are refused and recorded here as before). What reaches the app
 * is the same either way: the request's body, its retry headers, and an ack (which, for a request the front has
 * answered, has nothing left to send).
 */
export class FrontedHttpReceiver extends SlackHttpReceiver {
  private front: Worker | null = null;
  private publicAddress: AddressInfo | null = null;
  private frontApp: App | null = null;
  private readonly secret: string;
  private readonly frontLog: Logger | undefined;
  private closed: (() => void) | null = null;
  /** Whether a front that could not take back the process's priority was told of (once: every restart would fail alike). */
  private priorityWarned = false;
  /**
   * This thread's priority before the receiver lowered it (WORK_NICE), read at its first start: started again, the
   * receiver finds the thread lowered already, which is not the process's priority.
   */
  private ownPriority: number | null = null;

  private readonly workNice: number;
  private readonly alerts: FrontAlerts | null;
  private readonly incidents: FrontIncidents | null;
  private readonly onAlerts: FrontedReceiverOptions['onAlerts'];

  constructor({ workNice, alerts = null, incidents = null, onAlerts, ...options }: FrontedReceiverOptions) {
    super(options);
    this.alerts = alerts;
    this.incidents = incidents;
    this.onAlerts = onAlerts;
    this.secret = options.signingSecret;
    this.workNice = workNice;
    this.frontLog = options.logger;
  }

  override init(app: App): void {
    super.init(app);
    // What the receiver gives every request: the app that acknowledges everything it is given.
    this.frontApp = (this as unknown as { app: App }).app;
  }

  // Bolt's overloads type the result as an HTTPS server when given TLS options; this receiver takes none.
  override start(listen?: number | string | ListenOptions): Promise<HTTPSServer> {
    return this.startFronted(listen) as Promise<unknown> as Promise<HTTPSServer>;
  }

  private async startFronted(listen?: number | string | ListenOptions): Promise<Server> {
    const { port, host } =
      typeof listen === 'object'
        ? { port: Number(listen.port ?? 0), host: listen.host ?? null }
        : { port: Number(listen ?? 0), host: null };
    const inner = (await super.start({ port: 0, host: '127.0.0.1' })) as unknown as Server;
    const init: FrontInit = {
      port,
      host,
      innerPort: (inner.address() as AddressInfo).port,
      signingSecret: this.secret,
      slackPath: SLACK_PATH,
      keepAliveMs: this.keepAliveMs ?? 0,
      requestTimeoutMs: this.requestTimeoutMs ?? null,
      alerts: this.alerts,
      incidents: this.incidents,
      unservedHooks: this.unservedHooks,
      notFound: this.notFound,
      priority: processPriority(() => this.priorityBeforeYield()),
    };
    try {
      this.publicAddress = await this.launch(init);
    } catch (err) {
      await super.stop().catch(() => {});
      throw err;
    }
    this.yieldToFront();
    // The caller reads where the bot listens from what start gives back: the public port, not the inner one.
    const address = this.publicAddress;
    return Object.assign(Object.create(inner) as Server, { address: () => address });
  }

  /**
   * Starts the front and waits for it to listen. A front that stops by itself later (it should not: it catches what
   * it can) is started again on the same port, and the stop is logged as an error.
   */
  private async launch(init: FrontInit): Promise<AddressInfo> {
    const front = startFront(init);
    this.front = front;
    let listening = false;
    try {
      const address = await new Promise<AddressInfo>((resolve, reject) => {
        front.on('message', (m: FrontReport) => {
          if (m.t === 'listening') {
            listening = true;
            resolve({ address: m.address, family: m.family, port: m.port });
          } else if (m.t === 'error') reject(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
          else this.onReport(m);
        });
        front.on('error', (err) => {
          if (!listening) reject(err);
          else this.frontLog?.error(`The acknowledging front failed: ${err.message}`);
        });
        front.once('exit', (code) => {
          if (!listening) return reject(new Error(`the acknowledging front stopped (exit code ${code})`));
          if (this.front !== front) return;
          this.frontLog?.error(`The acknowledging front stopped (exit code ${code}); starting it again`);
          const port = this.publicAddress?.port ?? init.port;
          this.launch({ ...init, port }).catch((err: Error) =>
            this.frontLog?.error(`Could not start the acknowledging front again: ${err.message}`),
          );
        });
      });
      front.unref();
      return address;
    } catch (err) {
      this.front = null;
      await front.terminate().catch(() => {});
      throw err;
    }
  }

  /**
   * Lowers this thread's CPU priority (the bot's work: listeners, timers, the alert loop) below the front's, which
   * started at the process's own: on a machine short of CPU the front is then run first, and Slack still hears its
   * answer in milliseconds while the work waits its turn. On Linux a priority is a thread's own; raising nice needs no
   * privilege. Where it cannot be set, the bot runs as before and says so. Started again, the receiver sets the same
   * priority (the process's plus WORK_NICE), rather than lowering the thread by WORK_NICE once more.
   */
  private yieldToFront(): void {
    if (this.workNice <= 0) return;
    try {
      setPriority(0, Math.min(19, this.priorityBeforeYield() + this.workNice));
    } catch (err) {
      this.frontLog?.warn(`Could not lower the priority of the bot's work (WORK_NICE): ${(err as Error).message}`);
    }
  }

  /** This thread's priority before yieldToFront lowered it: read once, at the first start. */
  private priorityBeforeYield(): number {
    this.ownPriority ??= getPriority(0);
    return this.ownPriority;
  }

  override async stop(): Promise<void> {
    const front = this.front;
    if (front) {
      this.front = null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_WAIT_MS);
        this.closed = () => {
          clearTimeout(timer);
          resolve();
        };
        front.postMessage({ t: 'close' } satisfies ToFront);
      });
      await front.terminate().catch(() => {});
    }
    await super.stop();
  }

  private onReport(m: FrontReport): void {
    switch (m.t) {
      case 'request':
        this.act(m);
        return;
      case 'log':
        this.frontLog?.[m.level](m.msg);
        return;
      case 'priority':
        if (this.priorityWarned) return;
        this.priorityWarned = true;
        this.frontLog?.warn(
          `The acknowledging front, started again, could not take back the process's CPU priority (nice ${m.wanted}; ` +
            `it runs at ${m.nice}, as the bot's work does, WORK_NICE): ${m.message}. ` +
            'Give the process CAP_SYS_NICE or a nice limit (RLIMIT_NICE) for it to take it back',
        );
        return;
      case 'closed':
        this.closed?.();
        return;
      case 'alerts':
        this.onAlerts?.(m.source, m.groupKey, m.levels);
        return;
      default:
        return;
    }
  }

  /**
   * A message a listener gave as its answer (the usage for `/incident help`, a mistake, "busy") to a request the front
   * had already answered: posted to the request's response_url, ephemeral as the answer would have been.
   */
  private async answerLate(body: Record<string, unknown>, response: unknown): Promise<void> {
    const url = typeof body.response_url === 'string' ? body.response_url : null;
    if (!url) {
      this.frontLog?.warn('An answer for a request already acknowledged had no response_url to go to; dropped');
      return;
    }
    const message = typeof response === 'string' ? { text: response } : response;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', ...(message as object) }),
    }).catch((err: Error) => err);
    if (res instanceof Error || !res.ok) {
      const why = res instanceof Error ? res.message : `HTTP ${res.status}`;
      this.frontLog?.warn(`Could not post an answer to the response_url: ${why}`);
    } else await res.body?.cancel();
  }

  /** A request the front has answered goes to the app as the receiver would give it. */
  private act(m: FrontRequest): void {
    const app = this.frontApp;
    if (!app) return;
    let body: Record<string, unknown>;
    try {
      body = parseSlackBody(m.contentType, m.body) as Record<string, unknown>;
    } catch (err) {
      this.frontLog?.warn(`Ignored a request the app could not read (${(err as Error).message})`);
      return;
    }
    const retryNum = m.retryNum === null ? undefined : Number.parseInt(m.retryNum, 10);
    const event: ReceiverEvent = {
      body,
      // The front has answered already: what a listener would have put in its answer goes to the response_url.
      ack: async (response) => {
        if (response === undefined || response === '') return;
        await this.answerLate(body, response);
      },
      ...(retryNum !== undefined && Number.isFinite(retryNum) ? { retryNum } : {}),
      ...(m.retryReason !== null ? { retryReason: m.retryReason } : {}),
      // Listeners that would answer inline (a form's refusal) tell the person another way.
      customProperties: { answeredByFront: true },
    };
    app
      .processEvent(event)
      .catch((err: unknown) => this.frontLog?.warn(`A request failed: ${(err as Error)?.message ?? err}`));
  }
}
