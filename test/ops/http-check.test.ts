import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCheck } from '../../src/ops/http-check.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    switch (request.url) {
      case '/api/health':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"status":"ok","db":"ok","redis":"ok"}');
        return;
      case '/api/degraded':
        response.writeHead(503, { 'content-type': 'application/json' });
        response.end('{"status":"down","db":"postgresql://app:hunter2@db/x unreachable"}');
        return;
      case '/login':
        response.writeHead(302, { location: '/signin' });
        response.end();
        return;
      case '/api/echo-token':
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end('auth failed for tenant-7Hq2Lm9XvPq:pk_0d1e2f3a4b5c');
        return;
      case '/slow':
        // Never answers.
        return;
      default:
        response.writeHead(404);
        response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('httpCheck', () => {
  it('masks the values it is told are secret in the body', async () => {
    const result = await httpCheck(`${base}/api/echo-token`, {
      timeoutMs: 2_000,
      secrets: ['tenant-7Hq2Lm9XvPq:pk_0d1e2f3a4b5c'],
    });
    expect(result).toMatchObject({ ok: false, status: 500, body: 'auth failed for ***' });
  });

  it('is ok on a 200', async () => {
    const result = await httpCheck(`${base}/api/health`, { timeoutMs: 2_000 });
    expect(result).toMatchObject({ ok: true, status: 200, body: '{"status":"ok","db":"ok","redis":"ok"}' });
    expect(result.error).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.latencyMs).toBeLessThan(2_000);
  });

  it('is not ok on a 503, and says why with a redacted body', async () => {
    const result = await httpCheck(`${base}/api/degraded`, { timeoutMs: 2_000 });
    expect(result).toMatchObject({ ok: false, status: 503, error: 'expected a 2xx status, got 503' });
    expect(result.body).toBe('{"status":"down","db":"postgresql://app:***@db/x unreachable"}');
  });

  it('accepts the statuses it is told to expect', async () => {
    expect(await httpCheck(`${base}/api/degraded`, { timeoutMs: 2_000, expectStatus: 503 })).toMatchObject({
      ok: true,
    });
    expect(await httpCheck(`${base}/api/health`, { timeoutMs: 2_000, expectStatus: [201, 204] })).toMatchObject({
      ok: false,
      error: 'expected 201 or 204, got 200',
    });
  });

  it('does not follow a redirect', async () => {
    const result = await httpCheck(`${base}/login`, { timeoutMs: 2_000 });
    expect(result).toMatchObject({ ok: false, status: 302 });
  });

  it('gives up at the timeout', async () => {
    const result = await httpCheck(`${base}/slow`, { timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, error: 'no response within 300 ms' });
    expect(result.status).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(290);
    expect(result.latencyMs).toBeLessThan(1_500);
  });

  it('reports a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const result = await httpCheck(`http://127.0.0.1:${port}/api/health`, { timeoutMs: 2_000 });
    expect(result).toMatchObject({ ok: false, error: 'connection refused' });
  });

  it('refuses what is not an http URL, without throwing', async () => {
    expect(await httpCheck('not a url', { timeoutMs: 100 })).toMatchObject({
      ok: false,
      error: 'not a valid URL: not a url',
    });
    expect(await httpCheck('file:///etc/passwd', { timeoutMs: 100 })).toMatchObject({
      ok: false,
      error: 'only http and https URLs can be checked, not file:',
    });
  });
});
