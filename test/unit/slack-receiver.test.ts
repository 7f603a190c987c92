import type { Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { strayHookPath } from '../../src/http/alert-hooks.js';
import { clockSkew, MAX_CLOCK_SKEW_SECONDS, SlackHttpReceiver } from '../../src/http/slack-receiver.js';

describe('clockSkew', () => {
  const now = 1_800_000_000_000;
  const at = (offset: number) => String(now / 1000 + offset);

  it('is null within five minutes either way', () => {
    expect(MAX_CLOCK_SKEW_SECONDS).toBe(300);
    for (const offset of [0, 1, -1, 299, -299, 300, -300]) expect(clockSkew(at(offset), now)).toBeNull();
  });

  it('is the offset in seconds beyond five minutes, in the future or the past', () => {
    expect(clockSkew(at(301), now)).toBe(301);
    expect(clockSkew(at(600), now)).toBe(600);
    expect(clockSkew(at(-301), now)).toBe(-301);
    expect(clockSkew(at(-86_400), now)).toBe(-86_400);
  });

  it('leaves a missing, repeated or malformed header to the signature check', () => {
    for (const header of [undefined, '', '  ', 'soon', 'NaN', ['1', '2']]) expect(clockSkew(header, now)).toBeNull();
  });
});

describe('SlackHttpReceiver keep-alive', () => {
  it('keeps idle connections open as long as it is told, longer than a load balancer in front', async () => {
    const receiver = new SlackHttpReceiver({ signingSecret: 's', keepAliveMs: 65_000 });
    const server = (await receiver.start({ port: 0, host: '127.0.0.1' })) as unknown as Server;
    try {
      expect(server.keepAliveTimeout).toBe(65_000);
      expect(server.headersTimeout).toBe(66_000);
    } finally {
      await receiver.stop();
    }
  });
});

describe('strayHookPath', () => {
  it('passes on the hooks as written and every path that is not under /hooks', () => {
    for (const url of ['/hooks/alerts', '/hooks/alertmanager?source=grafana', '/hooks/nope', '/hooks', '/hooks/']) {
      expect(strayHookPath(url), url).toBeNull();
    }
    for (const url of ['/slack/events', '/health', '/status/../health', '/hooksmith', '/', '//']) {
      expect(strayHookPath(url), url).toBeNull();
    }
  });

  it('refuses a path under /hooks by any other reading, naming why: case, dot segments, doubled slashes', () => {
    expect(strayHookPath('/HOOKS/alerts')).toBe(
      'No hook at /HOOKS/alerts (paths are case-sensitive); alerts go to /hooks/alertmanager or /hooks/alerts.',
    );
    expect(strayHookPath('/Hooks')).toMatch(/case-sensitive/);
    for (const url of ['/hooks/alerts/', '/hooks/alertmanager/?source=grafana', '/hooks/pagerduty/', '/hooks/nope/']) {
      expect(strayHookPath(url), url).toBe(
        `No hook at ${url.split('?')[0]} (no trailing slash: a path under /hooks is taken as written); alerts go to /hooks/alertmanager or /hooks/alerts.`,
      );
    }
    for (const url of [
      '/hooks/%2e%2e/slack/events',
      '/hooks/%2E%2e/health?x=1',
      '/hooks/../slack/events',
      '/hooks/./alerts',
      '/hooks/.%2e/hooks/alerts',
      '//hooks/alerts',
      '///hooks/alerts',
      '/hooks\\..\\slack\\events',
      '/hooks%2falerts',
      '/%68ooks/alerts',
      '/x/../hooks/alerts',
      '/slack/%2e%2e/hooks/alerts',
    ]) {
      expect(strayHookPath(url), url).toMatch(
        /^No hook at .* \(a path under \/hooks is taken as written: .*\); alerts go to /,
      );
    }
  });
});
