import { beforeAll, describe, expect, it } from 'vitest';
import { titleClaims } from '../../src/runbook/alert-rules.js';
import type { Playbook } from '../../src/runbook/playbooks.js';
import { DEFAULT_RUNBOOK_FILE, loadRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { suggestPlaybook, winningClaim } from '../../src/runbook/suggest-playbook.js';

/** The bundled runbook's data read against what the production runbook says an on-call engineer should be offered. */

let rb: Runbook;
let playbooks: Playbook[];
beforeAll(async () => {
  rb = await loadRunbook(DEFAULT_RUNBOOK_FILE);
  playbooks = rb.playbooks;
});

const suggested = (title: string) => {
  const claims = rb.alerts.filter((r) => r.playbook === null && (r.match?.length ?? 0) > 0);
  return suggestPlaybook(title, playbooks, claims as { match: readonly string[] }[]);
};

describe("an LLM provider's rate limit", () => {
  // The runbook's LLM Provider Error log is "openai.error.RateLimitError: Rate limit exceeded", and its LLM Provider
  // Metrics count "rate limit hits (429 responses)": the provider limits us. Rate Limiting Errors is a tenant over its
  // plan quota ("Upgrade tenant plan", "Reset quota"): the wrong steps for it.
  it.each([
    'OpenAI rate limit errors',
    'openai rate limits hit on agents',
    'Anthropic rate limit exceeded',
    'LLM rate limit hits > 10/min',
    'RateLimitError from the provider',
    // The number of the answer beside the provider's name: the provider's limit too.
    'openai 429 rate limit errors 15 per minute',
    'Anthropic 429s on agent runs',
  ])('%j is the LLM Provider Outage playbook', (title) => {
    expect(suggested(title)).toBe('llm-provider-outage');
  });

  it("a tenant's rate limit is still Rate Limiting Errors", () => {
    for (const title of ['Rate limit exceeded for tenant acme', '429 Too Many Requests', 'tenant rate limited'])
      expect(suggested(title), title).toBe('rate-limiting-errors');
  });
});

describe('Database Rollback', () => {
  // "Rollback last migration: alembic downgrade -1 / Rollback to specific revision: alembic downgrade <revision_id>":
  // two ways to do one thing. A checklist lists them one after the other and says "next:" the second once the first
  // is done; each must say that it is the other's alternative, or an engineer working down it undoes two migrations.
  it('says its two downgrades are alternatives, not steps in turn', () => {
    const pb = playbooks.find((p) => p.id === 'database-rollback')!;
    const downgrades = pb.mitigation.filter((s) => s.type === 'command' && s.run[1] === 'downgrade');
    expect(downgrades.map((s) => s.type === 'command' && s.run.join(' '))).toEqual([
      'alembic downgrade -1',
      'alembic downgrade {revision}',
    ]);
    expect(downgrades[0]!.text).toMatch(/not both/);
    expect(downgrades[1]!.text).toMatch(/^Or /);
    expect(downgrades[1]!.text).toMatch(/instead of the last migration/);
  });
});

describe('Data Exposure', () => {
  // Security Incidents -> Data Exposure: "Symptoms: Sensitive data in logs ... Response: Rotate secrets, audit logs".
  // A title the security playbook fits declares a private incident, announced nowhere public; one it misses is
  // announced in the incidents channel, title and all, and offered no rotation of secrets.
  it.each([
    'Leaked API key on GitHub',
    'leaked token for the Stripe integration',
    'Stripe token leaked',
    'leaked passwords in a support ticket',
    'Secrets in logs on api-service',
    'API keys in logs since v57',
    'OAuth tokens in logs',
    'passwords in logs',
    'credentials in logs of the worker',
  ])('%j is the Data Exposure playbook (a private incident)', (title) => {
    const id = suggested(title);
    expect(id).toBe('data-exposure');
    expect(playbooks.find((p) => p.id === id)?.kind).toBe('security');
  });

  it('ordinary faults that name tokens, keys or logs stay ordinary', () => {
    for (const [title, id] of [
      ['Token storage errors on OAuth callback', 'oauth-callback-failures'],
      ['connection leak in the api', 'database-connection-failures'],
      ['Check API keys: OpenAI errors', 'llm-provider-outage'],
    ] as const)
      expect(suggested(title), title).toBe(id);
  });
});

describe('a Redis cache cleared, or a low hit rate', () => {
  // Redis Recovery -> Redis Cache Cleared: "Redis data is cache-only (no recovery needed) ... Monitor hit rate"; the
  // alert row "Redis hit rate < 70% for 15 minutes: Review caching strategy". Redis Connection Errors (restart the
  // node, operate without Redis) is for a Redis that cannot be reached.
  it.each([
    'Redis cache cleared',
    'redis hit rate below 70%',
    'Cache hit rate dropped after deploy',
    'redis flushed by mistake',
  ])('%j is offered no Redis Connection Errors playbook', (title) => {
    expect(suggested(title)).toBeNull();
  });

  it('a Redis that cannot be reached is still Redis Connection Errors', () => {
    for (const title of ['Redis connection errors', 'redis down', 'cache misses: 100% miss rate'])
      expect(suggested(title), title).toBe('redis-connection-errors');
  });
});

describe("an alert row's action and its playbook", () => {
  // The card and the notice show a row's action next to its playbook: an action that says to restart or scale is
  // offered a step that does so. The runbook's Alert Thresholds say "Investigate, restart machines" for the app
  // health check; its Health Check Failures section gives no command for it, so the playbook's mitigation is the
  // runbook's node restart.
  const VERBS = ['restart', 'scale'] as const;
  it.each(VERBS)('a row whose action says %s points to a playbook with a step that does', (verb) => {
    for (const row of rb.alerts.filter((r) => r.playbook !== null && new RegExp(`\\b${verb}`, 'i').test(r.action))) {
      const pb = playbooks.find((p) => p.id === row.playbook)!;
      const steps = [...pb.detection, ...pb.mitigation, ...pb.resolution];
      const does = steps.some((s) => s.type === 'command' && s.run.includes(verb));
      expect(does, `${row.name} (${row.action}) -> ${row.playbook}`).toBe(true);
    }
  });

  it("the health check row keeps the runbook's action, and Health Check Failures offers the restart", () => {
    const row = rb.alerts.find((r) => r.name === 'AppHealthCheckFailing')!;
    expect(row.playbook).toBe('health-check-failures');
    expect(row.action).toBe('Investigate, restart machines');
    const pb = playbooks.find((p) => p.id === 'health-check-failures')!;
    const restart = pb.mitigation.find((s) => s.type === 'command');
    expect(restart).toMatchObject({ run: ['atom-cli', 'nodes', 'restart', '{node_id}'], destructive: true });
  });
});

describe("a database near its size quota, Redis memory high: the runbook's thresholds with no playbook", () => {
  // Database Metrics' "Database size: Alert if > 90% of quota" and Redis Metrics' "Memory usage: Alert if > 90%" name
  // no procedure. A typed title of either was offered Database Connection Failures ("db") or Redis Connection Errors
  // ("redis"), whose steps restart nodes: neither is the trouble.
  const claimOf = (title: string) =>
    winningClaim(title, playbooks, titleClaims(rb.alerts))?.name ?? suggested(title) ?? null;
  it.each([
    ['db size at 92% of quota', 'DatabaseSizeNearQuota'],
    ['Database size near quota', 'DatabaseSizeNearQuota'],
    ['redis memory at 95%', 'HighRedisMemoryUsage'],
    ['Redis memory usage high', 'HighRedisMemoryUsage'],
  ])('%j is claimed by %s: no playbook', (title, row) => {
    expect(suggested(title)).toBeNull();
    expect(claimOf(title)).toBe(row);
  });

  it('a database or Redis fault is still its playbook', () => {
    expect(suggested('db down')).toBe('database-connection-failures');
    expect(suggested('redis connection errors')).toBe('redis-connection-errors');
  });
});
