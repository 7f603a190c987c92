import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { type RunningBot, start } from '../../src/start.js';
import { makeSlashCommand } from '../support/slack-request.js';
import { createTestSchema } from '../support/test-db.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

/** A port nothing listens on just now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Slack's side of Socket Mode: a WebSocket server that says hello and sends envelopes. */
describe('Socket Mode (SLACK_APP_TOKEN)', () => {
  const fake = useFakeSlack();
  let wss: WebSocketServer;
  let bot: RunningBot;
  let drop: () => Promise<void>;
  let socket: WebSocket;
  const received: Record<string, unknown>[] = [];
  let connected: Promise<WebSocket>;
  let healthPort: number;
  const ADMIN_TOKEN = 'socket-mode-admin-token';

  beforeAll(async () => {
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    fake.socketModeUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/link`;
    connected = new Promise((resolve) => {
      wss.on('connection', (ws) => {
        ws.on('message', (data) => received.push(JSON.parse(String(data)) as Record<string, unknown>));
        ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0TESTAPP' } }));
        resolve(ws);
      });
    });
    const s = await createTestSchema('sock');
    drop = s.drop;
    healthPort = await freePort();
    bot = await start(
      {
        PORT: String(healthPort),
        HOST: '127.0.0.1',
        ADMIN_TOKEN,
        DATABASE_URL: s.url,
        SLACK_BOT_TOKEN: 'xoxb-socket',
        SLACK_APP_TOKEN: 'xapp-1-socket',
        SLACK_API_URL: fake.url,
        LOG_LEVEL: 'error',
      },
      () => {},
    );
    socket = await connected;
  });
  afterAll(async () => {
    await bot?.stop().catch(() => {});
    wss?.close();
    await drop?.();
  });

  it('serves /alive on PORT at HOST only (127.0.0.2 is refused)', async () => {
    expect(bot.port).toBe(healthPort);
    expect((await fetch(`http://127.0.0.1:${healthPort}/alive`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.2:${healthPort}/alive`)).rejects.toMatchObject({
      cause: { code: 'ECONNREFUSED' },
    });
  });

  it('connects with the app token, acks a slash command envelope and declares the incident', async () => {
    expect(bot.config.slack.mode).toBe('socket');
    const open = fake.callsTo('apps.connections.open')[0]!;
    expect(open.token).toBe('xapp-1-socket');
    const payload = makeSlashCommand({ text: 'sev1 socket mode works', response_url: fake.responseUrl('sock') });
    socket.send(
      JSON.stringify({ envelope_id: 'env-1', type: 'slash_commands', accepts_response_payload: true, payload }),
    );
    const reply = await fake.waitFor('response_url');
    expect(reply.args.text).toMatch(/is open/);
    expect(received.some((m) => m.envelope_id === 'env-1')).toBe(true);
    expect(fake.callsTo('conversations.create')[0]!.args.name).toMatch(/^inc-1-socket-mode-works$/);
  });

  it('serves the status page and the metrics on its HTTP port, as it does /health', async () => {
    // In Socket Mode the bot's routes live on the receiver's own HTTP server (PORT; here any free port).
    const server = (bot.app as unknown as { receiver: { httpServer: import('node:http').Server } }).receiver.httpServer;
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const page = await fetch(`${base}/status`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('socket mode works');
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(
      /^incident_bot_incidents_declared_total\{severity="SEV-1",source="person"\} 1$/m,
    );
  });

  it('answers what it has no route for with a JSON 404 listing what it has, and HEAD as GET (no Slack endpoint here)', async () => {
    const base = `http://127.0.0.1:${healthPort}`;
    const nothing = await fetch(`${base}/slack/events`);
    expect(nothing.status).toBe(404);
    const body = (await nothing.json()) as { error: string; message: string };
    expect(body.error).toBe('not_found');
    expect(body.message).toMatch(/^Nothing at \/slack\/events\. This server has: .*GET \/health/);
    expect(body.message).not.toMatch(/POST \/slack\/events/);
    const head = await fetch(`${base}/alive`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    expect((await fetch(`${base}/alive`, { method: 'DELETE' })).headers.get('allow')).toBe('GET, HEAD');
  });

  it('serves post-mortem documents on the health port too, behind ADMIN_TOKEN', async () => {
    const url = `http://127.0.0.1:${healthPort}/incidents/T0TEST/1/postmortem.md`;
    expect((await fetch(url)).status).toBe(401);
    const res = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      error: 'not_found',
      message: expect.stringMatching(/no post-mortem yet/),
    });
  });

  it.each([
    ['a button nobody registered', { type: 'block_actions', user: { id: 'U0REPORTER' }, team: { id: 'T0TEST' } }],
    ['a button without a user or a team', { type: 'block_actions', actions: [{ action_id: 'incident_acknowledge' }] }],
    ['a payload of no known type', { hello: 'world' }],
  ])('acknowledges %s at once, posting nothing', async (_what, payload) => {
    const envelopeId = `env-${Math.random().toString(36).slice(2)}`;
    // Let the declaration of the first test finish its Slack calls, the Home tab refreshes included (they gather
    // for a quarter of a second before publishing): quiet for longer than that.
    for (let n = -1; n !== fake.calls.length; ) {
      n = fake.calls.length;
      await new Promise((r) => setTimeout(r, 600));
    }
    const before = fake.calls.length;
    socket.send(
      JSON.stringify({ envelope_id: envelopeId, type: 'interactive', accepts_response_payload: true, payload }),
    );
    const started = Date.now();
    while (!received.some((m) => m.envelope_id === envelopeId) && Date.now() - started < 2500) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(received.some((m) => m.envelope_id === envelopeId)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.calls.slice(before).map((c) => c.method)).toEqual([]);
  });
});
