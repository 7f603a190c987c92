import { describe, expect, it } from 'vitest';
import { useBot } from '../support/bot-harness.js';

/**
 * PUBLIC_BASE_URL: every absolute link the status page and its feeds give is built from it, not from the request's
 * Host or X-Forwarded-Host (a proxy that does not pass them, or one that passes a forged one); the feed then is the same
 * to every reader.
 */
describe('the status page and its feeds link to PUBLIC_BASE_URL when it is set', () => {
  const base = 'https://status-bot.example.com/incident-bot';
  const bot = useBot({ env: { PUBLIC_BASE_URL: `${base}/` } });
  const forged = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', host: 'internal:3000' };

  it('the Atom feed: its id, self and page links from PUBLIC_BASE_URL, whatever host the request names', async () => {
    for (const headers of [{}, forged]) {
      const res = await fetch(`${bot.baseUrl}/status.atom`, { headers });
      const atom = await res.text();
      expect(atom).toContain(`<id>${base}/status.atom</id>`);
      expect(atom).toContain(`<link rel="self" type="application/atom+xml" href="${base}/status.atom"/>`);
      expect(atom).toContain(`<link rel="alternate" type="text/html" href="${base}/status"/>`);
      expect(atom).not.toContain('evil.example');
      expect(atom).not.toContain(bot.baseUrl);
      // Built from no header: not varied by them.
      expect(res.headers.get('vary') ?? '').not.toMatch(/forwarded/i);
    }
  });

  it('the page links to its feeds and to itself at PUBLIC_BASE_URL', async () => {
    const html = await (await fetch(`${bot.baseUrl}/status`, { headers: forged })).text();
    expect(html).toContain(`<link rel="canonical" href="${base}/status">`);
    expect(html).toContain(`href="${base}/status.atom"`);
    expect(html).toContain(`href="${base}/status.json"`);
    expect(html).not.toMatch(/href="status\.(atom|json)"/);
  });
});
