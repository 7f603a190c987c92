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
