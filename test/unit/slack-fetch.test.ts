import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headersOf, slackFetch } from '../../src/slack/slack-fetch.js';

/** A local server that records each request and answers as the path says. */
describe('slackFetch: the Slack client fetch over node:http', () => {
  let server: http.Server;
  let base: string;
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url === '/redirect') {
          res.writeHead(302, { location: '/ok' }).end();
        } else if (req.url === '/slow') {
          setTimeout(() => res.writeHead(200).end('{}'), 2000);
        } else if (req.url === '/twice') {
          res.setHeader('x-many', ['a', 'b']);
          res.writeHead(200, { 'Content-Type': 'application/json', 'X-OAuth-Scopes': 'chat:write' });
          res.end('{"ok":true}');
        } else if (req.url === '/empty') {
          res.writeHead(204).end();
        } else {
          res.writeHead(req.url === '/limited' ? 429 : 200, { 'content-type': 'application/json', 'retry-after': '3' });
          res.end(JSON.stringify({ ok: req.url !== '/limited', echo: body }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const fetch = slackFetch(async () => new Response('from the fallback', { status: 299 }));

  it('answers as fetch does: status, headers, body and url; sends the headers in any form, with the body', async () => {
    for (const headers of [
      { authorization: 'Bearer xoxb-1', 'content-type': 'application/x-www-form-urlencoded' },
      new Headers({ authorization: 'Bearer xoxb-1', 'content-type': 'application/x-www-form-urlencoded' }),
      [['authorization', 'Bearer xoxb-1']] as [string, string][],
    ]) {
      const res = await fetch(`${base}/api/chat.postMessage`, {
        method: 'POST',
        headers: headers as never,
        body: 'channel=C1&text=hi',
      });
      expect(res.status).toBe(200);
      expect(res.url).toBe(`${base}/api/chat.postMessage`);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({ ok: true, echo: 'channel=C1&text=hi' });
      const last = seen.at(-1)!;
      expect(last.method).toBe('POST');
      expect(last.headers.authorization).toBe('Bearer xoxb-1');
      expect(last.headers['content-length']).toBe(String('channel=C1&text=hi'.length));
    }
  });

  it('reads the headers as Headers does, whatever their form (a plain object of strings without building one)', () => {
    const viaHeaders = (h: unknown) => {
      const out: Record<string, string> = {};
      new Headers(h as ConstructorParameters<typeof Headers>[0]).forEach((v, k) => {
        out[k] = v;
      });
      return out;
    };
    const cases: unknown[] = [
      { 'User-Agent': '@slack:web-api/8.2.0 node/20', Authorization: 'Bearer xoxb-1', 'Content-Type': 'a/b' },
      { authorization: 'Bearer xoxb-1', 'content-length': '12' },
      {},
      { 'X-Padded': '  spaced  ', other: 'x' },
      { 'X-Tab': '\tvalue' },
      { Accept: 'a', accept: 'b' },
      { 'X-Number': 12, 'X-Undefined': undefined },
      new Headers({ Authorization: 'Bearer xoxb-1' }),
      [
        ['Set-Thing', 'one'],
        ['set-thing', 'two'],
      ],
      undefined,
    ];
    for (const c of cases) expect(headersOf(c as never), JSON.stringify(c)).toEqual(viaHeaders(c));
    expect(() => headersOf({ 'bad name': 'x' } as never)).toThrow();
    expect(() => headersOf({ ok: 'line\nbreak' } as never)).toThrow();
  });

  it("passes Slack's 429 and its Retry-After through, and a 204 with no body", async () => {
    const limited = await fetch(`${base}/limited`, { method: 'POST', body: '' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    const empty = await fetch(`${base}/empty`, { method: 'POST', body: 'x' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  it('its answer reads as often as asked, with its headers by any case, joined when repeated, and a stream body', async () => {
    const res = (await fetch(`${base}/twice`, { method: 'POST', body: '' })) as unknown as Response;
    expect(res.ok).toBe(true);
    expect(await res.text()).toBe('{"ok":true}');
    expect(await res.json()).toEqual({ ok: true });
    expect(await res.clone().text()).toBe('{"ok":true}');
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('{"ok":true}');
    expect(res.headers.get('X-OAUTH-SCOPES')).toBe('chat:write');
    expect(res.headers.has('content-type')).toBe(true);
    expect(res.headers.get('x-many')).toBe('a, b');
    expect(res.headers.get('x-absent')).toBeNull();
    expect(Object.fromEntries(res.headers.entries())).toMatchObject({ 'content-type': 'application/json' });
    const names: string[] = [];
    res.headers.forEach((_v, k) => {
      names.push(k);
    });
    expect(names).toEqual([...names].sort());
    expect(await new Response(res.body).text()).toBe('{"ok":true}');
    const limited = await fetch(`${base}/limited`, { method: 'POST', body: '' });
    expect(limited.ok).toBe(false);
  });

  it('a network error rejects with TypeError("fetch failed") and its cause; an abort with the signal\'s reason', async () => {
    const refused = fetch('http://127.0.0.1:1/api/auth.test', { method: 'POST', body: '' });
    await expect(refused).rejects.toThrow(TypeError);
    await expect(refused).rejects.toThrow('fetch failed');
    const controller = new AbortController();
    const slow = fetch(`${base}/slow`, { method: 'POST', body: '', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('timed out')), 50);
    await expect(slow).rejects.toThrow('timed out');
  });

  it('leaves what it does not carry to fetch: a redirect to follow, a body that is not a string, another scheme', async () => {
    expect((await fetch(`${base}/redirect`, { method: 'POST', body: '' })).status).toBe(299);
    expect((await fetch(`${base}/ok`, { method: 'POST', body: new FormData() })).status).toBe(299);
    expect((await fetch('file:///etc/hostname')).status).toBe(299);
  });
});
