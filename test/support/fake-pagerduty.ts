import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pagerdutySignature } from '../../src/http/pagerduty-hook.js';

/** An Events API v2 event PagerDuty took (or refused), as posted. */
export interface ReceivedEvent {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: { summary: string; severity: string; source: string; custom_details?: Record<string, unknown> };
  status: number;
  at: number;
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

/**
 * A local PagerDuty: the Events API v2 (`POST /v2/enqueue`, answering 202 as PagerDuty does, or what `answerNext`
 * says), the REST API's `GET /users/:id` (for the emails of `users`), and the sender of signed v3 webhooks.
 */
export class FakePagerDuty {
  readonly events: ReceivedEvent[] = [];
  /** Every POST to the Events API, including the refused ones. */
  posts = 0;
  private answers: number[] = [];
  readonly users = new Map<string, { name: string; email: string }>();
  readonly apiCalls: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FakePagerDuty> {
    let self: FakePagerDuty | null = null;
    const server = createServer(async (req, res) => {
      const s = self!;
      const body = await read(req);
      if (req.method === 'POST' && req.url === '/v2/enqueue') {
        s.posts++;
        const status = s.answers.shift() ?? 202;
        const event = JSON.parse(body) as ReceivedEvent;
        s.events.push({ ...event, status, at: Date.now() });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            status === 202
              ? { status: 'success', message: 'Event processed', dedup_key: event.dedup_key }
              : { status: 'invalid event', message: 'Event object is invalid', errors: ['Length of summary'] },
          ),
        );
        return;
      }
      const user = /^\/users\/(\w+)$/.exec(req.url ?? '');
      if (req.method === 'GET' && user) {
        s.apiCalls.push(`${req.url} ${req.headers.authorization ?? ''}`);
        const u = s.users.get(user[1]!);
        res.writeHead(u ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(u ? { user: { id: user[1], ...u } } : { error: { message: 'Not Found' } }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new FakePagerDuty(server, (server.address() as AddressInfo).port);
    return self;
  }

  get eventsUrl(): string {
    return `http://127.0.0.1:${this.port}/v2/enqueue`;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next Events API posts are answered with these statuses (then 202 again). */
  answerNext(...statuses: number[]): void {
    this.answers.push(...statuses);
  }

  taken(action?: ReceivedEvent['event_action'], dedupKey?: string): ReceivedEvent[] {
    return this.events.filter(
      (e) => e.status === 202 && (!action || e.event_action === action) && (!dedupKey || e.dedup_key === dedupKey),
    );
  }

  reset(): void {
    this.events.length = 0;
    this.posts = 0;
    this.answers = [];
    this.apiCalls.length = 0;
  }

  async waitFor(predicate: (e: ReceivedEvent) => boolean, timeoutMs = 10_000): Promise<ReceivedEvent> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const e = this.events.find((x) => x.status === 202 && predicate(x));
      if (e) return e;
      if (Date.now() > until) {
        const seen = this.events.map((x) => `${x.event_action} ${x.dedup_key} (${x.status})`).join(', ') || 'none';
        throw new Error(`no such PagerDuty event within ${timeoutMs} ms; events taken or refused: ${seen}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Sends a v3 webhook as PagerDuty does: `{ event: { id, event_type, resource_type, occurred_at, agent, data } }`,
   * signed `X-PagerDuty-Signature: v1=<hmac>` with `secret` (a list: several signatures, as while rotating).
   */
  async sendWebhook(
    url: string,
    secret: string | string[],
    e: { type: string; incidentKey?: string; agent?: { id: string; summary: string } },
    opts: { body?: string } = {},
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const body =
      opts.body ??
      JSON.stringify({
        event: {
          id: `01${Math.random().toString(36).slice(2, 12).toUpperCase()}`,
          event_type: e.type,
          resource_type: 'incident',
          occurred_at: new Date().toISOString(),
          agent: e.agent ? { ...e.agent, type: 'user_reference', self: 'https://api.pagerduty.com/users/x' } : null,
          client: null,
          data: {
            id: 'Q1PDINCIDENT',
            type: 'incident',
            number: 42,
            status: e.type.split('.')[1],
            title: 'paged from the bot',
            incident_key: e.incidentKey ?? null,
            html_url: 'https://example.pagerduty.com/incidents/Q1PDINCIDENT',
          },
        },
      });
    const secrets = Array.isArray(secret) ? secret : [secret];
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-pagerduty-signature': secrets.map((s) => pagerdutySignature(s, body)).join(','),
        'x-webhook-id': 'PWEBHOOK',
      },
      body,
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = { text };
    }
    return { status: res.status, json };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
