import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { useBot } from '../support/bot-harness.js';

/**
 * What no route of the bot's HTTP server takes, as a load balancer, an uptime checker or a person with curl sends it:
 * answered with JSON that says why (what is there, or the methods the path takes), never Bolt's empty 404.
 */
describe.each(['on', 'off'])('requests no route takes (HTTP mode, ACK_THREAD=%s)', (ackThread) => {
  const bot = useBot({ timers: false, alertLoop: false, env: { ACK_THREAD: ackThread } });
  const send = (path: string, method = 'GET') => fetch(`${bot.baseUrl}${path}`, { method });

  it('a path the server does not have is a 404 listing what it has, Slack endpoint first', async () => {
    for (const path of ['/', '/nope', '/statuss', '/incidents/T0TEST/1/postmortem.md/more']) {
      const res = await send(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/json');
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('not_found');
      expect(body.message).toMatch(
        new RegExp(
          `^Nothing at ${path.replace(/\//g, '\\/')}\\. This server has: POST \\/slack\\/events, GET \\/alive`,
        ),
      );
      expect(body.message).toMatch(/GET \/status\.json/);
      // No hook is configured here: none is listed (each answers 404 saying what to set).
      expect(body.message).not.toContain('/hooks');
    }
  });

  it('another method on a path it has is a 405 naming the methods, in Allow too', async () => {
    const cases: [string, string, string][] = [
      ['/slack/events', 'GET', 'POST'],
      ['/status', 'DELETE', 'GET, HEAD'],
      ['/health', 'POST', 'GET, HEAD'],
      ['/incidents/T0TEST/1/postmortem.md', 'PUT', 'GET, HEAD'],
    ];
    for (const [path, method, allow] of cases) {
      const res = await send(path, method);
      expect([path, method, res.status, res.headers.get('allow')]).toEqual([path, method, 405, allow]);
      expect(await res.json()).toEqual({
        error: 'method_not_allowed',
        message: `${path} takes ${allow}, not ${method}.`,
      });
    }
  });

  it('HEAD is answered as GET, without the body: an uptime check of /health or /status passes', async () => {
    for (const [path, type] of [
      ['/health', 'application/json'],
      ['/alive', 'application/json'],
      ['/status', 'text/html; charset=utf-8'],
    ]) {
      const res = await send(path!, 'HEAD');
      expect([path, res.status, res.headers.get('content-type'), await res.text()]).toEqual([path, 200, type, '']);
    }
    // A path with a part of its own (a team and a number) too: its GET's answer, without the body; not a 405.
    const doc = '/incidents/T0TEST/1/postmortem.md';
    const [head, get] = [await send(doc, 'HEAD'), await send(doc)];
    expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([
      get.status,
      get.headers.get('content-type'),
      '',
    ]);
    expect(head.status).not.toBe(405);
  });

  it('Slack requests and the alert hooks are routed as before', async () => {
    const res = await bot.command('help');
    expect(res.status).toBe(200);
    // The hooks answer for themselves (no alerts are taken here: their own 404 under /hooks).
    const hook = await send('/hooks/alerts', 'PUT');
    expect(((await hook.json()) as { message: string }).message).not.toMatch(/This server has/);
    const slackPost = await send('/slack/events', 'POST');
    expect(slackPost.status).not.toBe(405);
  });
});

describe.each(['on', 'off'])(
  'the 404 of a bot that receives alerts and PagerDuty webhooks (ACK_THREAD=%s)',
  (ackThread) => {
    const bot = useBot({
      timers: false,
      alertLoop: false,
      env: { ...ALERTS_ENV, PAGERDUTY_WEBHOOK_SECRET: 'pd-webhook-secret-0123456789', ACK_THREAD: ackThread },
    });

    it('lists the hooks by the method they take (they answer the other methods themselves)', async () => {
      const res = await fetch(`${bot.baseUrl}/nope`);
      expect(res.status).toBe(404);
      const { message } = (await res.json()) as { message: string };
      expect(message).toContain('POST /hooks/pagerduty, POST /hooks/alertmanager, POST /hooks/alerts.');
    });
  },
);
