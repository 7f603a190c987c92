import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthRoute, shownUrl } from '../../src/http/health.js';
import { createPostgresDatabase, type Database } from '../../src/store/db.js';
import { TEST_DATABASE_URL } from '../support/test-db.js';

/** /health answers anyone who can reach the port: what it says of the configuration carries no credentials. */
describe('GET /health', () => {
  let db: Database;
  let server: Server;
  let base: string;
  const events = 'https://relay:s3cr3t-pass@pd-relay.internal.example/v2/enqueue?token=tok-123#x';

  beforeAll(async () => {
    db = createPostgresDatabase(TEST_DATABASE_URL);
    const route = healthRoute(db, 'http', undefined, { email: true, pagerduty: { events, webhook: false } });
    server = createServer((req, res) => void route.handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await db.close();
  });

  it("names where PagerDuty events go without the URL's user, password, query or fragment", async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toMatch(/s3cr3t|relay:|tok-123/);
    expect(JSON.parse(text)).toMatchObject({
      status: 'ok',
      notify: { email: true, pagerduty: { events: 'https://pd-relay.internal.example/v2/enqueue', webhook: false } },
    });
  });

  it('shows the default PagerDuty URL as it is', () => {
    expect(shownUrl('https://events.pagerduty.com/v2/enqueue')).toBe('https://events.pagerduty.com/v2/enqueue');
  });
});
