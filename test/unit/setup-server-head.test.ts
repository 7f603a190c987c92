/**
 * Set-up mode answers `HEAD` of its own pages as `GET`, without the body, as the configured bot does (README, Health):
 * an uptime checker or load balancer that asks `HEAD /alive` sees the process alive before Slack is connected.
 */
import { request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliveRoute } from '../../src/http/health.js';
import { startSetupServer } from '../../src/http/setup-server.js';

let server: Server;
let port: number;
beforeAll(async () => {
  server = await startSetupServer(0, '127.0.0.1', [aliveRoute]);
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

function ask(
  method: string,
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('set-up mode', () => {
  it.each(['/alive', '/', '/manifest.yml'])('answers HEAD %s as GET, without the body', async (path) => {
    const get = await ask('GET', path);
    const head = await ask('HEAD', path);
    expect(get.status).toBe(200);
    expect(head.status).toBe(get.status);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.body).toBe('');
  });

  it('names HEAD with GET when another method is refused', async () => {
    const r = await ask('POST', '/alive');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
  });
});

describe('set-up mode at its edge', () => {
  it('answers a request whose headers stop coming with the JSON 408 the configured bot gives, not a bare one', async () => {
    const slow = await startSetupServer(0, '127.0.0.1', [aliveRoute], { requestTimeoutMs: 1000 });
    try {
      const { port: p } = slow.address() as AddressInfo;
      const raw = await new Promise<string>((resolve) => {
        let got = '';
        const socket = connect({ host: '127.0.0.1', port: p }, () =>
          socket.write('POST /slack/events HTTP/1.1\r\nHost: bot.test\r\n'),
        );
        const done = () => {
          clearTimeout(timer);
          socket.destroy();
          resolve(got);
        };
        const timer = setTimeout(done, 8000);
        socket.on('data', (d) => {
          got += d.toString('latin1');
        });
        socket.on('close', done);
        socket.on('error', done);
      });
      expect(raw).toMatch(/^HTTP\/1.1 408 Request Timeout\r\n/);
      expect(raw.toLowerCase()).toContain('content-type: application/json');
      const body = JSON.parse(/\{[\s\S]*\}/.exec(raw)?.[0] ?? 'null');
      expect(body).toEqual({
        error: 'request_timeout',
        message:
          'The request did not arrive whole within 1 s (its headers or its body stopped coming): it was not acted on. Send it again.',
      });
    } finally {
      await new Promise<void>((done) => slow.close(() => done()));
    }
  }, 15_000);
});

describe('set-up mode refusing a request that waits for 100 Continue', () => {
  /** What the server sends after `head` (a request whose body waits for 100 Continue), until its JSON answer ends. */
  const exchange = (head: string) =>
    new Promise<string>((resolve) => {
      let got = '';
      const socket = connect({ host: '127.0.0.1', port }, () => socket.write(head));
      const done = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(got);
      };
      // Long enough for Node to have sent 100 Continue, had it been going to.
      const timer = setTimeout(done, 5000);
      socket.on('data', (d) => {
        got += d.toString('latin1');
        if (/\r\n\r\n[\s\S]*\}/.test(got)) done();
      });
      socket.on('close', done);
      socket.on('error', done);
    });
  const waiting = (method: string, path: string) =>
    `${method} ${path} HTTP/1.1\r\nHost: bot.test\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${2 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n`;

  it.each([
    ['POST', '/nothing-here', 'HTTP/1.1 404 Not Found', 'not_found'],
    ['POST', '/hooks/alerts', 'HTTP/1.1 503 Service Unavailable', 'not_configured'],
    ['POST', '/slack/events', 'HTTP/1.1 503 Service Unavailable', 'not_configured'],
    ['POST', '/alive', 'HTTP/1.1 405 Method Not Allowed', 'method_not_allowed'],
  ])('answers %s %s before asking for the body: %s, never 100 Continue', async (method, path, status, error) => {
    const raw = await exchange(waiting(method, path));
    expect(raw).not.toContain('100 Continue');
    expect(raw.split('\r\n')[0], raw).toBe(status);
    expect(JSON.parse(/\{[\s\S]*\}/.exec(raw)?.[0] ?? 'null')).toMatchObject({ error });
  });

  it('still asks for the body of what it serves (100 Continue), then answers it', async () => {
    const raw = await exchange(
      'GET /alive HTTP/1.1\r\nHost: bot.test\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n',
    );
    expect(raw).toMatch(/^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 200 OK\r\n/);
  });
});
