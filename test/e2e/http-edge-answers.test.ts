import { request } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ALERTS_ENV, ALERTS_TOKEN } from '../support/alert-request.js';
import { useBot } from '../support/bot-harness.js';

/**
 * Writes `head` (and nothing more) to the server, as a caller whose request stopped coming; returns everything the
 * server sent until it closed the connection (or `waitMs` passed), as text.
 */
function rawExchange(baseUrl: string, head: string, waitMs: number, stopAt?: RegExp): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    let got = '';
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(head));
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (stopAt?.test(got)) done();
    });
    socket.on('close', done);
    socket.on('error', done);
  });
}

/** The status line, the headers (lower-cased names) and the body of the first answer in `raw`. */
function firstAnswer(raw: string): { status: string; headers: Record<string, string>; body: string } {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const [status = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status, headers, body: rest.join('\r\n\r\n') };
}

/** The JSON in an answer's body, whether sent with Content-Length or as one chunk. */
const jsonOf = (body: string): unknown => JSON.parse(/\{[\s\S]*\}/.exec(body)?.[0] ?? body);

const hookHead = (path: string, length: number, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: bot.test\r\nAuthorization: Bearer ${ALERTS_TOKEN}\r\n` +
  `Content-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;

/**
 * A request sent by Node's own HTTP client with `Expect: 100-continue`, its body (a small JSON) sent only once the
 * server asks for it: whether it asked, and the answer.
 */
function sentExpectingContinue(
  baseUrl: string,
  method: string,
  path: string,
): Promise<{ continued: boolean; status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  const body = JSON.stringify({ source: 'expect', key: 'k', status: 'firing', level: 'info' });
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = request({
      host: hostname,
      port: Number(port),
      method,
      path,
      agent: false,
      headers: {
        authorization: `Bearer ${ALERTS_TOKEN}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        expect: '100-continue',
      },
    });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => {
        req.destroy();
        resolve({ continued, status: res.statusCode ?? 0, body: text });
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe.each([
  ['the acknowledging front', 'on'],
  ["the bot's own server", 'off'],
])('the HTTP edge at %s', (_where, ackThread) => {
  const bot = useBot({ env: { ...ALERTS_ENV, ACK_THREAD: ackThread, REQUEST_TIMEOUT_MS: '1000' }, timers: false });

  it('answers a request whose body never comes with a JSON 408 naming the problem, after REQUEST_TIMEOUT_MS', async () => {
    const raw = await rawExchange(bot.baseUrl, hookHead('/hooks/alerts', 200), 10_000);
    const answer = firstAnswer(raw);
    expect(answer.status, raw).toBe('HTTP/1.1 408 Request Timeout');
    expect(answer.headers['content-type']).toBe('application/json');
    expect(jsonOf(answer.body)).toEqual({
      error: 'request_timeout',
      message:
        'The request did not arrive whole within 1 s (its headers or its body stopped coming): it was not acted on. Send it again.',
    });
    const { rows } = await bot.db.query<{ n: string }>('SELECT count(*) AS n FROM alert_deliveries');
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('answers a request whose headers stop coming with the same JSON 408', async () => {
    const raw = await rawExchange(bot.baseUrl, 'POST /hooks/alerts HTTP/1.1\r\nHost: bot.test\r\n', 10_000);
    const answer = firstAnswer(raw);
    expect(answer.status, raw).toBe('HTTP/1.1 408 Request Timeout');
    expect(jsonOf(answer.body)).toMatchObject({ error: 'request_timeout' });
  });

  it.each([
    ['/hooks/alerts', 'Send one alert per request, with a shorter summary and fewer labels.'],
    [
      '/hooks/alertmanager',
      'Its group holds too many alerts for one delivery: set max_alerts on the webhook receiver (the alerts it leaves out are counted on the incident card), or group_by more labels.',
    ],
  ])(
    'refuses %s with Expect: 100-continue and a body over 1 MB with 413, never asking for the body',
    async (path, hint) => {
      const raw = await rawExchange(
        bot.baseUrl,
        hookHead(path, 2 * 1024 * 1024, 'Expect: 100-continue\r\n'),
        5_000,
        /\r\n\r\n[\s\S]*\}/,
      );
      const answer = firstAnswer(raw);
      expect(answer.status, raw).toBe('HTTP/1.1 413 Payload Too Large');
      expect(raw).not.toContain('100 Continue');
      expect(jsonOf(answer.body)).toEqual({
        error: 'too_large',
        message: `The body is over 1048576 bytes (1 MB). ${hint}`,
      });
    },
  );

  it.each(['/hooks/nothing-here', '/nothing-here', '/hooks/pagerduty'])(
    'answers %s, a path it does not serve (no PagerDuty secret here), 404 not 413: Expect: 100-continue and a body over 1 MB',
    async (path) => {
      const raw = await rawExchange(
        bot.baseUrl,
        hookHead(path, 2 * 1024 * 1024, 'Expect: 100-continue\r\n'),
        5_000,
        /\r\n\r\n[\s\S]*\}/,
      );
      const answer = firstAnswer(raw.replace(/^HTTP\/1.1 100 Continue\r\n\r\n/, ''));
      expect(answer.status, raw).toBe('HTTP/1.1 404 Not Found');
      expect(jsonOf(answer.body)).toMatchObject({ error: 'not_found' });
    },
  );

  it.each([
    ['POST', '/hooks/nothing-here', /^No hook at \/hooks\/nothing-here; alerts go to /],
    ['PUT', '/hooks/nothing/here?x=1', /^No hook at \/hooks\/nothing\/here; /],
    ['POST', '/hooks', /^No hook at \/hooks; /],
    ['POST', '/HOOKS/alerts', /^No hook at \/HOOKS\/alerts \(paths are case-sensitive\)/],
    ['POST', '/hooks/alerts/', /^No hook at \/hooks\/alerts\/ \(no trailing slash/],
    ['POST', '/hooks/pagerduty', /^PagerDuty webhooks are not received: set PAGERDUTY_WEBHOOK_SECRET/],
  ])(
    "answers %s %s (Node's client, Expect: 100-continue) its 404 at once, never asking for the body",
    async (method, path, message) => {
      const answer = await sentExpectingContinue(bot.baseUrl, method, path);
      expect(answer, JSON.stringify(answer)).toMatchObject({ continued: false, status: 404 });
      expect(JSON.parse(answer.body)).toEqual({ error: 'not_found', message: expect.stringMatching(message) });
    },
  );

  it.each([
    ['POST', '/nothing-here'],
    ['PUT', '/slack/nothing?x=1'],
    ['POST', '/'],
  ])(
    'answers %s %s, a path no route has, its 404 without asking for the body (no 100 Continue)',
    async (method, path) => {
      const raw = await rawExchange(
        bot.baseUrl,
        `${method} ${path} HTTP/1.1\r\nHost: bot.test\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${2 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n`,
        5_000,
        /\r\n\r\n[\s\S]*\}/,
      );
      expect(raw).not.toContain('100 Continue');
      const answer = firstAnswer(raw);
      expect(answer.status, raw).toBe('HTTP/1.1 404 Not Found');
      expect(jsonOf(answer.body)).toMatchObject({
        error: 'not_found',
        message: expect.stringMatching(/^Nothing at \/\S*\. This server has: .*POST \/slack\/events/),
      });
    },
  );

  it("still asks for the body of a path served (100 Continue): Slack's endpoint, a route's path", async () => {
    for (const path of ['/slack/events', '/alive']) {
      const raw = await rawExchange(
        bot.baseUrl,
        `POST ${path} HTTP/1.1\r\nHost: bot.test\r\nContent-Type: application/json\r\nContent-Length: 2\r\n` +
          'Expect: 100-continue\r\n\r\n',
        3_000,
        /100 Continue\r\n\r\n/,
      );
      expect(raw, path).toMatch(/^HTTP\/1.1 100 Continue\r\n\r\n/);
    }
  });

  it('still asks for a body that fits (100 Continue) and takes it', async () => {
    const body = JSON.stringify({ source: 'expect-ok', key: 'k', status: 'firing', level: 'info' });
    const { hostname, port } = new URL(bot.baseUrl);
    const raw = await new Promise<string>((resolve) => {
      let got = '';
      const socket = connect({ host: hostname, port: Number(port) }, () =>
        socket.write(hookHead('/hooks/alerts', Buffer.byteLength(body), 'Expect: 100-continue\r\n')),
      );
      socket.on('data', (d) => {
        got += d.toString('latin1');
        if (/^HTTP\/1.1 100 Continue\r\n\r\n$/.test(got)) socket.write(body);
        if (/\r\n\r\n[\s\S]*HTTP\/1.1 202[\s\S]*\r\n\r\n[\s\S]*\}/.test(got)) {
          socket.destroy();
          resolve(got);
        }
      });
      setTimeout(() => {
        socket.destroy();
        resolve(got);
      }, 5_000);
    });
    expect(raw).toMatch(/^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 202 Accepted/);
  });
});
