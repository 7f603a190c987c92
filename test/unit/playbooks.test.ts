import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AlertRule } from '../../src/incidents/alert-types.js';
import { checksAfter, isDeployStep, verificationOf } from '../../src/incidents/verification.service.js';
import { titleClaims } from '../../src/runbook/alert-rules.js';
import {
  type CommandStep,
  expected,
  KNOWN_BINARIES,
  PARAM_KINDS,
  type ParamKind,
  type Playbook,
  type PlaybookStep,
  validateParams,
} from '../../src/runbook/playbooks.js';
import { isRollbackStep, POST_DEPLOYMENT_VERIFICATION } from '../../src/runbook/rollback-playbook.js';
import { DEFAULT_RUNBOOK_FILE, loadRunbook, parseRunbook, RunbookError } from '../../src/runbook/runbook.js';
import { equalFits, suggestPlaybook, winningClaim } from '../../src/runbook/suggest-playbook.js';
import { testRunbookData } from '../support/test-runbook.js';

const base = (playbooks: unknown) => ({ ...testRunbookData(), playbooks });

/** One playbook whose mitigation is the given steps. */
const withSteps = (...mitigation: unknown[]) =>
  base({ 'db-down': { title: 'Database Connection Failures', kind: 'incident', mitigation } });

const problems = (data: unknown): string[] => {
  try {
    parseRunbook(data, 'rb.yml');
  } catch (err) {
    expect(err).toBeInstanceOf(RunbookError);
    return (err as RunbookError).problems;
  }
  return [];
};

const commands = (pb: Playbook): CommandStep[] =>
  [...pb.detection, ...pb.mitigation, ...pb.resolution].filter((s): s is CommandStep => s.type === 'command');
const line = (s: CommandStep) => s.run.join(' ');
const steps = (pb: Playbook): PlaybookStep[] => [...pb.detection, ...pb.mitigation, ...pb.resolution];
/** A playbook's own post-deployment checks, each as [what runs, how its output is read]. */
const ownChecks = (pb: Playbook) =>
  verificationOf(pb).map((c) => [c.name, c.step.type === 'command' ? (c.step.check ?? null) : null]);
const BUILT_IN_CHECKS = POST_DEPLOYMENT_VERIFICATION.map((c) => [c.name, c.output ?? null]);

const INCIDENTS = [
  'Database Connection Failures',
  'High Error Rates (> 10%)',
  'Slow Response Times (> 3s p95)',
  'LLM Provider Outage',
  'Redis Connection Errors',
  'Memory Leaks (High Memory Usage)',
];
const ISSUES = [
  'Build Failures',
  'Migration Failures',
  'Health Check Failures',
  'Machine Auto-Stops',
  'Rate Limiting Errors',
  'Agent Execution Failures',
  'Connection Pool Exhaustion',
  'Slow Query Performance',
  'OAuth Callback Failures',
  'Stripe Webhook Failures',
];
const SECURITY = ['Unauthorized Access', 'Data Exposure', 'DDoS Attack'];
const PROCEDURES = [
  'Database Rollback',
  'Emergency Access',
  'Deployment: Main App (web-platform)',
  'Deployment: Backend API (api-service)',
  'Database Recovery: Restore from Backup',
  'Storage Recovery (S3): Restore Deleted Object',
  'Redis Recovery: Redis Cache Cleared',
  'Disaster Recovery: Complete Site Failure',
  'Weekly Backup Verification',
  'Security Monitoring: Daily Checks',
  'Security Monitoring: Weekly Checks',
  'Security Monitoring: Monthly Checks',
  'Weekly Maintenance (Sundays 02:00–04:00 UTC)',
  'Monthly Maintenance (first Sunday of the month 02:00–06:00 UTC)',
  'Quarterly Maintenance',
  'Maintenance Process',
];

describe('the bundled ATOM playbooks', () => {
  let playbooks: Playbook[];
  const byTitle = (title: string) => playbooks.find((p) => p.title === title)!;
  beforeAll(async () => {
    playbooks = (await loadRunbook(DEFAULT_RUNBOOK_FILE)).playbooks;
  });

  it("has the runbook's six incidents and ten issues, in its order, and its separate procedures", () => {
    expect(playbooks.filter((p) => p.kind === 'incident').map((p) => p.title)).toEqual(INCIDENTS);
    expect(playbooks.filter((p) => p.kind === 'issue').map((p) => p.title)).toEqual(ISSUES);
    expect(playbooks.filter((p) => p.kind === 'security').map((p) => p.title)).toEqual(SECURITY);
    // The bot's own checklist of the monthly window taking in the weekly one is not offered to people.
    const listed = playbooks.filter((p) => !p.unlisted);
    expect(listed.filter((p) => p.kind === 'procedure').map((p) => p.title)).toEqual(PROCEDURES);
    expect(listed).toHaveLength(35);
    expect(playbooks.filter((p) => p.unlisted).map((p) => p.id)).toEqual(['maintenance-monthly+weekly']);
    for (const p of playbooks.filter((x) => x.kind === 'security')) {
      for (const part of ['match', 'symptoms', 'detection', 'mitigation', 'prevention'] as const)
        expect(p[part].length, `${p.id} ${part}`).toBeGreaterThan(0);
    }
    for (const p of playbooks.filter((x) => x.kind === 'procedure')) {
      // Only the ones the runbook's SEV-0 example "data corruption" and its Complete Site Failure call for are
      // suggested from a title.
      if (!['restore-from-backup', 'disaster-recovery'].includes(p.id)) expect(p.match, p.id).toEqual([]);
      // A checklist of checks (backup verification, security monitoring) has only detection steps.
      expect(p.detection.length + p.mitigation.length, p.id).toBeGreaterThan(0);
    }
    for (const p of playbooks.filter((x) => x.kind === 'incident' || x.kind === 'issue')) {
      expect(p.symptoms.length, p.id).toBeGreaterThan(0);
      expect(p.resolution.length, p.id).toBeGreaterThan(0);
      expect(p.match.length, p.id).toBeGreaterThan(0);
    }
    for (const p of playbooks.filter((x) => x.kind === 'incident')) {
      expect(p.detection.length, p.id).toBeGreaterThan(0);
      expect(p.mitigation.length, p.id).toBeGreaterThan(0);
      expect(p.prevention.length, p.id).toBeGreaterThan(0);
    }
  });

  it('runs only known programs, as plain arguments with no shell characters', () => {
    const all = playbooks.flatMap(commands);
    expect(all.length).toBeGreaterThan(20);
    for (const s of all) {
      expect(KNOWN_BINARIES, line(s)).toContain(s.run[0]);
      for (const arg of s.run) {
        expect(arg, line(s)).not.toMatch(/[\s|;&$`<>'"\\*?()!#~[\]]/);
        expect(arg, line(s)).toMatch(/^(?:[A-Za-z0-9._:/=@%+,-]|\{[a-z_]+\})+$/);
      }
    }
  });

  it('marks restart, scale, rollback, secrets changes and migration rollback destructive; nothing else', () => {
    const destructive =
      /^(atom-cli (nodes (restart|stop)|scale|rollback|deploy|secrets (set|unset))|alembic downgrade|aws s3 cp)\b/;
    for (const s of playbooks.flatMap(commands)) expect(s.destructive, line(s)).toBe(destructive.test(line(s)));
    expect(playbooks.flatMap(commands).filter((s) => s.destructive).length).toBeGreaterThan(10);
  });

  it('alembic downgrade and the emergency restart of every node need a second person; downgrades warn of data loss', () => {
    const downgrades = playbooks.flatMap(commands).filter((s) => line(s).startsWith('alembic downgrade'));
    expect(downgrades.map(line)).toEqual(['alembic downgrade -1', 'alembic downgrade {revision}']);
    for (const s of downgrades) {
      expect(s).toMatchObject({ destructive: true, approval: true });
      expect(s.warning).toBe(
        'Database rollbacks can cause data loss if migration involved data changes. Always backup before rollback.',
      );
    }
    expect(
      playbooks
        .flatMap(commands)
        .filter((s) => s.approval)
        .map(line),
    ).toEqual([
      'alembic downgrade -1',
      'alembic downgrade {revision}',
      'atom-cli nodes restart --all',
      'atom-cli secrets set DATABASE_URL={database_url}',
      'atom-cli secrets set DATABASE_URL={database_url}',
    ]);
  });

  it('the database playbook follows the runbook (health endpoint, logs, secrets, restart, scale)', () => {
    const db = byTitle('Database Connection Failures');
    expect(db.symptoms).toContain('Logs show "could not connect to server"');
    expect(db.detection[0]).toMatchObject({ type: 'http', path: '/api/health', expectStatus: 200, timeoutMs: 10_000 });
    const logs = commands(db).find((s) => s.run[1] === 'logs')!;
    expect(line(logs)).toBe('atom-cli logs --lines {lines}');
    expect(logs.params).toEqual({ lines: { kind: 'lines', default: '100' } });
    expect(logs.text).toMatch(/"database" or "connection"/);
    expect(
      commands(db)
        .filter((s) => db.mitigation.includes(s))
        .map(line),
    ).toEqual(['atom-cli secrets list', 'atom-cli nodes restart {node_id}', 'atom-cli scale --count {count}']);
    const scale = commands(db).find((s) => s.run[1] === 'scale')!;
    expect(scale.params.count).toEqual({ kind: 'count', default: '2' });
    expect(commands(db).find((s) => s.run[2] === 'restart')!.timeoutMs).toBe(2 * 60_000);
    expect(db.resolution.map((s) => s.text)).toContain('If pool exhausted: Increase pool_size or scale app');
  });

  it('other spot checks against the runbook text', () => {
    const cmds = (title: string) => commands(byTitle(title)).map(line);
    expect(cmds('High Error Rates (> 10%)')).toEqual(
      expect.arrayContaining([
        'atom-cli deployments',
        'atom-cli rollback {version}',
        'atom-cli scale --cpu {cpu} --memory {memory}',
      ]),
    );
    expect(cmds('Slow Response Times (> 3s p95)')).toContain('atom-cli logs --service api --lines {lines}');
    expect(cmds('Memory Leaks (High Memory Usage)')).toContain('atom-cli scale --memory {memory}');
    expect(cmds('Machine Auto-Stops')).toEqual([
      'atom-cli nodes list',
      'atom-cli nodes start {node_id}',
      'atom-cli scale --min {count}',
    ]);
    expect(cmds('Connection Pool Exhaustion')).toEqual([
      'atom-cli nodes restart {node_id}',
      'atom-cli scale --count {count}',
    ]);
    expect(steps(byTitle('Machine Auto-Stops')).find((s) => s.type === 'http')).toMatchObject({ path: '/alive' });
    expect(
      steps(byTitle('Health Check Failures'))
        .filter((s) => s.type === 'http')
        .map((s) => (s.type === 'http' ? s.path : '')),
    ).toEqual(['/api/health', '/alive', '/health']);
    expect(byTitle('Build Failures').resolution.map((s) => s.text)).toContain(
      'Check .dockerignore has !requirements*.txt at END',
    );
    expect(byTitle('Migration Failures').resolution.map((s) => s.text)).toContain(
      'Set release_command = "" in infrastructure.config',
    );
  });

  it("Migration Failures gives the runbook's resolution first and only refers to the database rollback", () => {
    const mf = byTitle('Migration Failures');
    expect(mf.symptoms).toEqual([
      'Error: release command failed - aborting deployment',
      'sqlalchemy.exc.ProgrammingError: (psycopg2.errors.DuplicateTable)',
    ]);
    expect(steps(mf)[0]).toEqual({ type: 'text', text: 'Set release_command = "" in infrastructure.config' });
    expect(
      steps(mf)
        .slice(0, 3)
        .map((s) => s.text),
    ).toEqual([
      'Set release_command = "" in infrastructure.config',
      'Migrations will run in lifespan() instead',
      'Or make migrations idempotent (check if exists)',
    ]);
    expect(commands(mf)).toEqual([]);
    const refer = steps(mf).find((s) => s.text.includes('database-rollback'))!;
    expect(refer.type).toBe('text');
    expect(refer.text).toContain('`/incident playbook database-rollback`');
    expect(refer.text).toContain('Database rollbacks can cause data loss if migration involved data changes');
  });

  it('the database rollback is its own procedure, as the runbook orders it, never suggested', () => {
    const rb = playbooks.find((p) => p.id === 'database-rollback')!;
    expect(rb).toMatchObject({ title: 'Database Rollback', kind: 'procedure', match: [] });
    expect(steps(rb)[0]!.text).toMatch(/`atom-cli console` \(SSH into machine\), then `cd \/app`/);
    expect(rb.mitigation[0]!.text).toMatch(/^Always backup before rollback/);
    expect(commands(rb).map(line)).toEqual([
      'alembic current',
      'alembic downgrade -1',
      'alembic downgrade {revision}',
      'alembic current',
      'atom-cli nodes restart {node_id}',
    ]);
    for (const title of ['database rollback', 'alembic downgrade', 'roll back the migration', 'rollback'])
      expect(suggestPlaybook(title, playbooks), title).not.toBe('database-rollback');
  });

  it('Agent Execution Failures checks the governance cache read-only, and restarts in a step of its own', () => {
    const agent = byTitle('Agent Execution Failures');
    const i = agent.resolution.findIndex((s) => s.text.startsWith('Verify agent governance cache'));
    const check = agent.resolution[i]!;
    expect(check).toMatchObject({ type: 'command', run: ['atom-cli', 'logs', '--lines', '{lines}'] });
    expect(check).toMatchObject({ destructive: false, approval: false });
    expect(check.text).toMatch(/governance errors/);
    const restart = agent.resolution[i + 1]!;
    expect(restart).toMatchObject({ type: 'command', run: ['atom-cli', 'nodes', 'restart', '{node_id}'] });
    expect(restart).toMatchObject({ destructive: true });
    expect(restart.text).toMatch(/may need restart/);
    expect(agent.resolution.map((s) => s.text)).toEqual([
      'Check agent maturity level vs action complexity',
      check.text,
      restart.text,
      'Check LLM provider status (https://status.openai.com/, https://status.anthropic.com/)',
      'Review agent configuration',
    ]);
  });

  it("Emergency Access offers the runbook's emergency restart and rollback, destructive, never suggested", () => {
    const em = playbooks.find((p) => p.id === 'emergency-access')!;
    expect(em).toMatchObject({ title: 'Emergency Access', kind: 'procedure', match: [] });
    expect(em.mitigation[0]).toEqual({ type: 'text', text: 'Console access (emergency only): `atom-cli console`' });
    const [restart, rollback] = em.mitigation.slice(1) as CommandStep[];
    expect(restart).toMatchObject({ run: ['atom-cli', 'nodes', 'restart', '--all'], params: {} });
    expect(restart).toMatchObject({ destructive: true, approval: true });
    expect(rollback).toMatchObject({ run: ['atom-cli', 'rollback'], params: {}, destructive: true, approval: false });
    expect(rollback!.warning).toMatch(/^Emergency only\. Names no version/);
    expect(rollback!.warning).toContain('atom-cli rollback <version>');
    expect(em.resolution.every((s) => s.type !== 'command' || !s.destructive)).toBe(true);
    expect(commands(em).map(line)).toEqual([
      'atom-cli nodes restart --all',
      'atom-cli rollback',
      'atom-cli status',
      'atom-cli nodes list',
      'atom-cli logs --lines 50',
    ]);
    for (const title of ['emergency', 'restart all nodes', 'emergency rollback', 'everything down'])
      expect(suggestPlaybook(title, playbooks), title).not.toBe('emergency-access');
  });

  it("Emergency Access checks, after its restart or rollback, what the runbook's Post-Deployment Verification checks", () => {
    const em = playbooks.find((p) => p.id === 'emergency-access')!;
    // Each check as [what runs, how its output is read]: a check without its output check passes on exit code alone.
    expect(ownChecks(em)).toEqual(BUILT_IN_CHECKS);
    expect(verificationOf(em).map((c) => c.key)).toEqual([
      'resolution.0',
      'resolution.1',
      'resolution.2',
      'resolution.3',
      'resolution.4',
    ]);
    expect(verificationOf(em).map((c) => c.expected)).toEqual([
      'The status is shown',
      'Health endpoints return 200 OK',
      'Health endpoints return 200 OK',
      'Machines show "running" state',
      'No errors in recent logs',
    ]);
  });

  it("every playbook that deploys or rolls back checks what the runbook's Post-Deployment Verification checks", () => {
    const verifying = playbooks.filter((pb) => steps(pb).some((s) => isDeployStep(s) || isRollbackStep(s)));
    expect(verifying.map((pb) => pb.id)).toEqual(
      expect.arrayContaining(['emergency-access', 'deploy-web-platform', 'deploy-api-service', 'disaster-recovery']),
    );
    for (const pb of verifying) {
      // A playbook with no checks of its own is verified by the built-in ones (checksAfter); one with its own must not
      // check less, nor read less of their output.
      const checks = checksAfter(pb).map((c) => [
        c.name,
        c.output ?? (c.step.type === 'command' ? (c.step.check ?? null) : null),
      ]);
      expect(checks, pb.id).toEqual(BUILT_IN_CHECKS);
    }
  });

  it("Disaster Recovery's redeploy is verified as a deployment is: step 5 runs the five checks", () => {
    const dr = playbooks.find((p) => p.id === 'disaster-recovery')!;
    expect(verificationOf(dr).map((c) => [c.key, c.step.text])).toEqual([
      ['resolution.0', '5. Verify Services: check app status'],
      ['resolution.1', '5. Verify Services: test health endpoints (full health check)'],
      ['resolution.2', '5. Verify Services: test health endpoints (liveness)'],
      ['resolution.3', '5. Verify Services: check node status'],
      ['resolution.4', '5. Verify Services: view recent logs'],
    ]);
    expect(dr.resolution.slice(5).map((s) => s.text)).toEqual([
      '5. Verify Services: smoke test critical paths',
      '5. Verify Services: monitor metrics',
    ]);
  });

  it('says where alembic runs as the runbook does: after `atom-cli console` and `cd /app`', async () => {
    const rb = playbooks.find((p) => p.id === 'database-rollback')!;
    expect(rb.detection[0]!.text).toContain(
      '`atom-cli console` (SSH into machine), then `cd /app` (navigate to backend)',
    );
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| `ALEMBIC_CLI` |'))!;
    expect(row).toContain('after `atom-cli console` (SSH into machine) and `cd /app` (navigate to backend)');
    const config = await readFile(new URL('../../src/config.ts', import.meta.url), 'utf8');
    for (const [name, text] of [
      ['README.md', readme],
      ['src/config.ts', config],
      ['runbooks/atom.yml', await readFile(DEFAULT_RUNBOOK_FILE, 'utf8')],
    ] as const) {
      expect(text, name).not.toContain('atom-cli ssh console');
      expect(text, name).not.toContain('/app/backend-saas');
    }
  });

  it("the security incidents carry the runbook's symptoms, response and prevention; nothing they run changes production", () => {
    const parts = (title: string) => {
      const p = byTitle(title);
      return {
        kind: p.kind,
        symptoms: p.symptoms,
        prevention: p.prevention,
        response: p.mitigation.map((s) => s.text),
      };
    };
    expect(parts('Unauthorized Access')).toEqual({
      kind: 'security',
      symptoms: ['Suspicious login attempts', 'Data breaches'],
      response: ['Revoke sessions', 'Force password reset'],
      prevention: ['MFA', 'Rate limiting', 'Audit logging'],
    });
    expect(parts('Data Exposure')).toMatchObject({
      kind: 'security',
      symptoms: ['Sensitive data in logs', 'Unauthorized queries'],
      prevention: ['Log redaction', 'Query validation'],
    });
    expect(parts('Data Exposure').response).toEqual([
      expect.stringMatching(/^Rotate secrets: /),
      expect.stringContaining('`atom-cli secrets set KEY=value`'),
      expect.stringMatching(/^Audit logs: /),
    ]);
    expect(parts('DDoS Attack')).toMatchObject({
      kind: 'security',
      symptoms: ['Spike in requests', 'Rate limit alerts'],
      prevention: ['Rate limiting', 'CAPTCHA'],
    });
    expect(parts('DDoS Attack').response[0]).toBe('Enable Cloud DDoS protection');
    const security = playbooks.filter((p) => p.kind === 'security');
    expect([...new Set(security.flatMap(commands).map(line))].sort()).toEqual([
      'atom-cli logs --lines {lines}',
      'atom-cli secrets list',
      'atom-cli status',
    ]);
    expect(security.flatMap(commands).some((s) => s.destructive || s.approval)).toBe(false);
  });

  it('every parameter default matches its kind and fills the template', () => {
    for (const s of playbooks.flatMap(commands)) {
      const needed = Object.entries(s.params).filter(([, p]) => p.default === undefined);
      const values = Object.fromEntries(needed.map(([name, p]) => [name, SAMPLES[p.kind]]));
      const r = validateParams(s, values);
      expect(r.ok, line(s)).toBe(true);
      if (r.ok) expect(r.argv.join(' '), line(s)).not.toMatch(/[{}]/);
    }
  });
});

const SAMPLES: Record<keyof typeof PARAM_KINDS, string> = {
  node_id: '148e2d4b0c9e89',
  version: 'v42',
  count: '3',
  cpu: '2',
  memory: '2048',
  lines: '100',
  revision: '3f2a9c1b7d4e',
  secret: 'postgresql://atom_app:n3w-Pa55word@ep-cool-lake-654321.us-east-2.aws.neon.tech/atom?sslmode=require',
  s3_bucket: 'atom-saas',
  s3_key: 'tenant-abc/file.pdf',
  s3_version_id: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY',
};

describe('suggestPlaybook', () => {
  let playbooks: Playbook[];
  let runbookAlerts: AlertRule[];
  beforeAll(async () => {
    ({ playbooks, alerts: runbookAlerts } = await loadRunbook(DEFAULT_RUNBOOK_FILE));
  });

  it.each([
    ['DB down', 'database-connection-failures'],
    ['Database unreachable from api-service', 'database-connection-failures'],
    ['Connection refused on checkout', 'database-connection-failures'],
    ['Redis connection errors', 'redis-connection-errors'],
    ['redis down, connection refused', 'redis-connection-errors'],
    ['Memory climbing on web-platform', 'memory-leaks'],
    ['OOM kills on api', 'memory-leaks'],
    ['Dashboard slow', 'slow-response-times'],
    ['Latency through the roof', 'slow-response-times'],
    ['P95 at 4s', 'slow-response-times'],
    ['Elevated 5xx', 'high-error-rates'],
    ['500s on checkout', 'high-error-rates'],
    ['Error rate 12%', 'high-error-rates'],
    // As people title errors without a rate: the API's, the server's, HTTP's, more of them.
    ['api errors', 'high-error-rates'],
    ['Internal server error on login', 'high-error-rates'],
    ['HTTP errors from the gateway', 'high-error-rates'],
    ['Increased errors on checkout', 'high-error-rates'],
    ['checkout errors spiking', 'high-error-rates'],
    // A trouble with a playbook of its own keeps it.
    ['Redis connection errors', 'redis-connection-errors'],
    ['OAuth callback errors', 'oauth-callback-failures'],
    ['Build errors on main', 'build-failures'],
    ['OpenAI outage', 'llm-provider-outage'],
    ['anthropic errors', 'llm-provider-outage'],
    ['LLM calls failing', 'llm-provider-outage'],
    ['Migration failed on deploy', 'migration-failures'],
    ['alembic DuplicateTable', 'migration-failures'],
    ['Build broken: checksum not found', 'build-failures'],
    ['Health checks failing after deploy', 'health-check-failures'],
    ['Rate limit hit for tenant acme', 'rate-limiting-errors'],
    ['429 Too Many Requests', 'rate-limiting-errors'],
    ['OAuth callback broken for Google', 'oauth-callback-failures'],
    ['Stripe payments not recorded', 'stripe-webhook-failures'],
    ['Webhooks returning 500', 'stripe-webhook-failures'],
    ['DB connection pool exhausted', 'connection-pool-exhaustion'],
    ['Slow queries on the agents table', 'slow-query-performance'],
    ['api machines auto-stopped', 'machine-auto-stops'],
    // The runbook's SEV-0 examples (Incident Severity Levels): all machines down starts at the node status.
    ['All machines down', 'machine-auto-stops'],
    ['node down in ams', 'machine-auto-stops'],
    ['all machines are down', 'machine-auto-stops'],
    ['database unavailable', 'database-connection-failures'],
    ['Data corruption in the orders table', 'restore-from-backup'],
    ['db corruption after the deploy', 'restore-from-backup'],
    // The SEV-1 examples.
    ['Agent execution failing', 'agent-execution-failures'],
    ['auth broken', 'oauth-callback-failures'],
    ['users cannot log in', 'oauth-callback-failures'],
    ['Sign-in failing for acme', 'oauth-callback-failures'],
    ['payments are down', 'stripe-webhook-failures'],
    ['db down', 'database-connection-failures'],
    ['redis', 'redis-connection-errors'],
    ['OOM', 'memory-leaks'],
    ['rate limit exceeded', 'rate-limiting-errors'],
    ['memory leak on api', 'memory-leaks'],
    ['connection leak in the api', 'database-connection-failures'],
    ['SLA breach on p95', 'slow-response-times'],
    // Security incidents win over any other match
    ['DDoS attack on api', 'ddos-attack'],
    ['ddos', 'ddos-attack'],
    ['DDoS: rate limit alerts, 429 Too Many Requests', 'ddos-attack'],
    ['Spike in requests', 'ddos-attack'],
    ['unauthorized access to admin', 'unauthorized-access'],
    ['Unauthorised access to the billing API', 'unauthorized-access'],
    // An HTTP 401 is an ordinary fault, not a security incident: no bare "unauthorized" keyword
    ['401 Unauthorised on the OAuth callback', 'oauth-callback-failures'],
    ['Suspicious login attempts on acme', 'unauthorized-access'],
    ['suspicious admin logins', 'unauthorized-access'],
    ['Suspicious sign-ins from new countries', 'unauthorized-access'],
    ['Possible data breach', 'unauthorized-access'],
    ['suspected breach of the admin panel', 'unauthorized-access'],
    ['Potential breach on tenant accounts', 'unauthorized-access'],
    ['leaked keys in the deploy logs', 'data-exposure'],
    ['customer data exposed', 'data-exposure'],
    ['API key leaked in logs', 'data-exposure'],
    ['Unauthorized queries on the tenants table', 'data-exposure'],
    // Titles beyond ASCII take the full Unicode match, not the lower-case pre-check
    ['🔥 Redis connection errors', 'redis-connection-errors'],
    ['Datenbank-Ausfall: DB down für Kunden', 'database-connection-failures'],
    ['Ｐ95 à 4 s — slow checkout', 'slow-response-times'],
    // Typed full width (a Chinese or Japanese keyboard): read as keywords are
    ['ｄｂ down', 'database-connection-failures'],
    ['ｒｅｄｉｓ connection errors', 'redis-connection-errors'],
  ])('%j -> %s', (title, id) => expect(suggestPlaybook(title, playbooks)).toBe(id));

  it('a 401 Unauthorized title is no security incident (so not private); unauthorized access is', () => {
    const kindOf = (title: string) => playbooks.find((p) => p.id === suggestPlaybook(title, playbooks))?.kind ?? null;
    for (const title of ['401 Unauthorized errors on login', '401 unauthorised spike on /api/agents', 'Unauthorized'])
      expect(kindOf(title), title).not.toBe('security');
    for (const title of ['unauthorized access to admin', 'Unauthorised access on tenant acme'])
      expect(kindOf(title), title).toBe('security');
  });

  it('names the playbooks a title fits exactly as well as the suggested one, and none when one fits best', () => {
    const claims = titleClaims(runbookAlerts);
    // "payment" and "slow" are one word each: "slow" says what is wrong, "payment" only where; Stripe is named.
    expect(suggestPlaybook('payments api slow for EU customers', playbooks, claims)).toBe('slow-response-times');
    expect(equalFits('payments api slow for EU customers', playbooks, claims, 'slow-response-times')).toEqual([
      'stripe-webhook-failures',
    ]);
    // Two words that both say what is wrong: the earlier in the title chose, the other is named.
    expect(suggestPlaybook('webhooks slow', playbooks, claims)).toBe('stripe-webhook-failures');
    expect(equalFits('webhooks slow', playbooks, claims, 'stripe-webhook-failures')).toEqual(['slow-response-times']);
    // Two words of one playbook against one of another: no tie.
    expect(equalFits('redis connection errors on payments', playbooks, claims, 'redis-connection-errors')).toEqual([]);
    expect(equalFits('DB down', playbooks, claims, 'database-connection-failures')).toEqual([]);
    // A security playbook is suggested ahead of any other match: no tie with an ordinary one.
    const custom = [
      { id: 'rate', kind: 'issue' as const, match: ['throttled'] },
      { id: 'attack', kind: 'security' as const, match: ['ddos'] },
      { id: 'slow', kind: 'incident' as const, match: ['slow'] },
    ];
    expect(equalFits('ddos: throttled, site slow', custom, [], 'attack')).toEqual([]);
    expect(equalFits('site slow, throttled', custom, [], 'slow')).toEqual(['rate']);
    // Not the suggestion (attached by hand, or the title renamed since): nothing to name.
    expect(equalFits('payments api slow', playbooks, claims, 'stripe-webhook-failures')).toEqual([]);
  });

  it.each([
    // A word saying what is wrong beats one naming only where, wherever each is in the title; the other is named.
    ['auth 500s', 'high-error-rates', ['oauth-callback-failures']],
    ['500s on auth', 'high-error-rates', ['oauth-callback-failures']],
    ['login slow', 'slow-response-times', ['oauth-callback-failures']],
    ['slow login', 'slow-response-times', ['oauth-callback-failures']],
    ['postgres corruption', 'restore-from-backup', ['database-connection-failures']],
    ['billing 502', 'high-error-rates', ['stripe-webhook-failures']],
    // The runbook's own symptoms stay with their playbook: "Webhook returns 500", a slow database ("queries > 1s").
    ['Webhooks returning 500', 'stripe-webhook-failures', ['high-error-rates']],
    ['db slow', 'slow-query-performance', []],
    ['database is slow for acme', 'slow-query-performance', []],
    // A where word alone still suggests its playbook.
    ['auth broken', 'oauth-callback-failures', []],
    ['database unavailable', 'database-connection-failures', []],
    // Two where words: the earlier in the title, as before.
    ['login to billing broken', 'oauth-callback-failures', ['stripe-webhook-failures']],
    // However many words name where: a two-word "log in" or "sign in" does not outweigh "slow" or "500s".
    ['log in slow', 'slow-response-times', ['oauth-callback-failures']],
    ['sign in 500s', 'high-error-rates', ['oauth-callback-failures']],
    ['slow to sign in', 'slow-response-times', ['oauth-callback-failures']],
    ['users cannot log in', 'oauth-callback-failures', []],
    // More words first: a two-word phrase beats a one-word symptom.
    ['Internal server error on login', 'high-error-rates', []],
    ['redis down, connection refused', 'redis-connection-errors', ['database-connection-failures']],
  ])('%j -> %s, naming %j', (title, id, named) => {
    const claims = titleClaims(runbookAlerts);
    expect(suggestPlaybook(title, playbooks, claims)).toBe(id);
    expect(equalFits(title, playbooks, claims, id)).toEqual(named);
  });

  it.each([
    // Disaster Recovery: Complete Site Failure, its scenario "All Cloud Nodes down, data center outage".
    ['complete site failure', 'disaster-recovery', []],
    ['site down', 'disaster-recovery', []],
    ['The site is down for everyone', 'disaster-recovery', []],
    ['everything is down', 'disaster-recovery', []],
    ['total outage', 'disaster-recovery', []],
    ['region outage in iad', 'disaster-recovery', []],
    ['data center outage', 'disaster-recovery', []],
    ['Datacenter outage at the provider', 'disaster-recovery', []],
    ['complete site failure, all cloud nodes down', 'disaster-recovery', []],
    // All machines down: Machine Auto-Stops (the node status first), Disaster Recovery named.
    ['All machines down', 'machine-auto-stops', ['disaster-recovery']],
    ['all machines are down', 'machine-auto-stops', ['disaster-recovery']],
    ['all nodes down in iad', 'machine-auto-stops', ['disaster-recovery']],
    // One machine down is no site failure; an LLM provider's outage neither.
    ['machine down in ams', 'machine-auto-stops', []],
    ['OpenAI outage', 'llm-provider-outage', []],
    // However big, a named service's outage is that service's (its playbook, or none), not our site failure.
    ['OpenAI total outage', 'llm-provider-outage', []],
    ['Anthropic complete outage', 'llm-provider-outage', []],
    ['Stripe total outage', 'stripe-webhook-failures', []],
    ['Upstash total outage', 'redis-connection-errors', []],
    ['Neon full outage', 'database-connection-failures', []],
    ['AWS region outage', null, []],
    // Another site down is not the site down.
    ['docs site down', null, []],
    ['Docs site is down', null, []],
    ['staging site down', null, []],
    ['marketing site down since the deploy', null, []],
    // The obvious ones stay as they were.
    ['site down', 'disaster-recovery', []],
    ['database down', 'database-connection-failures', []],
    ['high error rate on api', 'high-error-rates', []],
  ])('%j -> %s, naming %j', (title, id, named) => {
    const claims = titleClaims(runbookAlerts);
    expect(suggestPlaybook(title, playbooks, claims)).toBe(id);
    if (id) expect(equalFits(title, playbooks, claims, id)).toEqual(named);
  });

  it('where words rank below what words on equal words, and also words name a playbook without suggesting it', () => {
    const custom = [
      { id: 'login', match: ['login', 'sso'], where: ['login'] },
      { id: 'slow', match: ['slow'] },
      { id: 'dr', match: ['site down'], also: ['all machines down'] },
      { id: 'machines', match: ['machines down'] },
    ];
    expect(suggestPlaybook('login slow', custom)).toBe('slow');
    expect(suggestPlaybook('sso slow', custom)).toBe('login');
    expect(suggestPlaybook('login', custom)).toBe('login');
    expect(suggestPlaybook('all machines down', custom)).toBe('machines');
    expect(equalFits('all machines down', custom, [], 'machines')).toEqual(['dr']);
    expect(suggestPlaybook('all machines', custom)).toBeNull();
    expect(equalFits('site down, all machines down', custom, [], 'dr')).toEqual(['machines']);
  });

  it('unless words rule a playbook out, its also words too; what words count before where words', () => {
    const custom = [
      { id: 'dr', match: ['site down', 'total outage'], also: ['all machines down'], unless: ['docs', 'openai'] },
      { id: 'llm', match: ['openai'] },
      { id: 'machines', match: ['machines down'] },
      { id: 'login', match: ['oauth', 'log in'], where: ['log in'] },
      { id: 'slow', match: ['slow'] },
    ];
    expect(suggestPlaybook('site down', custom)).toBe('dr');
    expect(suggestPlaybook('docs site down', custom)).toBeNull();
    expect(suggestPlaybook('OpenAI total outage', custom)).toBe('llm');
    expect(equalFits('all machines down', custom, [], 'machines')).toEqual(['dr']);
    expect(equalFits('docs: all machines down', custom, [], 'machines')).toEqual([]);
    expect(suggestPlaybook('log in slow', custom)).toBe('slow');
    expect(equalFits('log in slow', custom, [], 'slow')).toEqual(['login']);
    expect(suggestPlaybook('oauth log in slow', custom)).toBe('login');
  });

  it('matches whole words only, and nothing is null', () => {
    expect(suggestPlaybook('Rebuild the docs site', playbooks)).toBeNull();
    expect(suggestPlaybook('Typo on pricing page', playbooks)).toBeNull();
    expect(suggestPlaybook('', playbooks)).toBeNull();
    expect(suggestPlaybook('database', [])).toBeNull();
  });

  it('a security playbook wins over a match with more words, wherever it is in the file', () => {
    const custom = [
      { id: 'rate', kind: 'issue' as const, match: ['rate limit alerts', 'too many requests'] },
      { id: 'attack', kind: 'security' as const, match: ['ddos'] },
    ];
    expect(suggestPlaybook('too many requests: rate limit alerts (ddos?)', custom)).toBe('attack');
    expect(suggestPlaybook('too many requests: rate limit alerts', custom)).toBe('rate');
    expect(suggestPlaybook('ddos', [{ id: 'plain', match: ['ddos'] }])).toBe('plain');
  });

  it("an alert row's words claim a title for its action, no playbook: a full disk is not a database failure", async () => {
    const rb = await loadRunbook(DEFAULT_RUNBOOK_FILE);
    const claims = rb.alerts.filter((r) => r.playbook === null && r.match?.length).map((r) => ({ match: r.match! }));
    expect(claims.length).toBeGreaterThan(0);
    // Without the claims, "db" wins; with them, the disk words fit better and no playbook is suggested.
    expect(suggestPlaybook('disk full on db-1', playbooks)).toBe('database-connection-failures');
    for (const title of ['disk full on db-1', 'No space left on device (db-1)', 'Disk usage at 97% on postgres host']) {
      expect(suggestPlaybook(title, playbooks, claims), title).toBeNull();
      // And which row's words won, for what the runbook says to do instead.
      expect(winningClaim(title, playbooks, claims), title).toBe(claims[0]);
    }
    expect(winningClaim('db down', playbooks, claims)).toBeNull();
    expect(winningClaim('Typo on pricing page', playbooks, claims)).toBeNull();
    // A title the disk words fit no better than a playbook's, or not at all, is unchanged.
    expect(suggestPlaybook('db-1 disk slow, connection refused', playbooks, claims)).toBe(
      'database-connection-failures',
    );
    expect(suggestPlaybook('Redis connection errors', playbooks, claims)).toBe('redis-connection-errors');
    // A security playbook still comes first.
    expect(suggestPlaybook('data breach: disk full of customer records', playbooks, claims)).toBe(
      'unauthorized-access',
    );
  });

  it('uses the keywords from the file', () => {
    const custom = [
      { id: 'a', match: ['kafka'] },
      { id: 'b', match: ['consumer lag'] },
    ];
    expect(suggestPlaybook('Kafka down', custom)).toBe('a');
    expect(suggestPlaybook('Consumer   LAG growing', custom)).toBe('b');
    expect(suggestPlaybook('database', custom)).toBeNull();
  });
});

describe('validateParams', () => {
  const restart: CommandStep = {
    type: 'command',
    text: 'Restart node',
    run: ['atom-cli', 'nodes', 'restart', '{node_id}'],
    params: { node_id: { kind: 'node_id' } },
    destructive: true,
    approval: false,
    timeoutMs: 120_000,
  };
  const logs: CommandStep = {
    ...restart,
    run: ['atom-cli', 'logs', '--lines', '{lines}'],
    params: { lines: { kind: 'lines', default: '100' } },
    destructive: false,
  };

  it('fills the template with a good value', () => {
    expect(validateParams(restart, { node_id: '148e2d4b0c9e89' })).toEqual({
      ok: true,
      argv: ['atom-cli', 'nodes', 'restart', '148e2d4b0c9e89'],
    });
    expect(validateParams(logs, {})).toEqual({ ok: true, argv: ['atom-cli', 'logs', '--lines', '100'] });
    expect(validateParams(logs, { lines: '250' })).toEqual({ ok: true, argv: ['atom-cli', 'logs', '--lines', '250'] });
  });

  it.each(Object.entries(SAMPLES))('accepts a good %s', (kind, value) => {
    expect(PARAM_KINDS[kind as keyof typeof PARAM_KINDS].pattern.test(value)).toBe(true);
  });

  it.each([
    ['; rm -rf /'],
    ['$(id)'],
    ['`id`'],
    ['a b'],
    ['node1\n'],
    ['node1\nrm'],
    ['--force'],
    ['-rf'],
    ['x'.repeat(500)],
    ['node1|id'],
    ['node1&&id'],
    ['../etc'],
    ['NODE1'],
  ])('rejects %j, naming the form it takes', (value) => {
    const r = validateParams(restart, { node_id: value });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.node_id).toContain(PARAM_KINDS.node_id.shape);
  });

  it.each(
    Object.keys(PARAM_KINDS).flatMap((kind) =>
      ['; rm -rf /', '$(id)', '`id`', 'a b', '1\n', '--force', '-1', '1'.repeat(1025), ''].map(
        (v) => [kind, v] as const,
      ),
    ),
  )('no %s accepts %j', (kind, value) => {
    const step: CommandStep = { ...restart, run: ['atom-cli', 'x', '{v}'], params: { v: { kind } } as never };
    expect(validateParams(step, { v: value }).ok).toBe(false);
  });

  it('says what is missing, too long or unknown', () => {
    const r = validateParams(restart, { node: 'x' });
    expect(r).toEqual({
      ok: false,
      errors: {
        node_id: expect.stringMatching(
          /^required; expected a node id .*\(pattern 2-64 of a-z 0-9 -, starting with a letter or digit\)$/,
        ),
        node: 'not a parameter of this step',
      },
    });
    const long = validateParams(restart, { node_id: 'a'.repeat(500) });
    expect(long.ok || long.errors.node_id).toMatch(/^too long \(500 characters\)/);
    const bad = validateParams(logs, { lines: '100; reboot' });
    expect(bad.ok || bad.errors.lines).toBe(
      `"100; reboot" is not valid; expected a whole number of log lines from 1 to 9999`,
    );
  });

  it('says the form a value takes in words, never as a regular expression (a person on call reads it)', () => {
    for (const kind of Object.keys(PARAM_KINDS) as ParamKind[]) {
      expect(expected(kind), kind).not.toMatch(/\^|\\d|\$\)|\[[a-z0-9]-/);
    }
  });

  it('does not take names from the object prototype', () => {
    const step: CommandStep = {
      ...restart,
      run: ['atom-cli', '{constructor}'],
      params: { constructor: { kind: 'count' as const } },
    };
    expect(validateParams(step, {}).ok).toBe(false);
    expect(validateParams(restart, JSON.parse('{"__proto__": {"node_id": "x1"}}')).ok).toBe(false);
  });
});

describe('playbook schema errors name the entry', () => {
  const restart = { text: 'Restart', run: ['atom-cli', 'nodes', 'restart', '{node_id}'], destructive: true };

  it('accepts a minimal playbook with text, http and command steps, and defaults', () => {
    const rb = parseRunbook(
      withSteps(
        'Check the Neon status page',
        { text: 'Health', http: { path: '/api/health' } },
        {
          ...restart,
          params: { node_id: 'node_id' },
          timeout: '30s',
        },
      ),
    );
    expect(rb.playbooks).toEqual([
      {
        id: 'db-down',
        title: 'Database Connection Failures',
        kind: 'incident',
        match: [],
        symptoms: [],
        detection: [],
        mitigation: [
          { type: 'text', text: 'Check the Neon status page' },
          { type: 'http', text: 'Health', path: '/api/health', expectStatus: 200, timeoutMs: 10_000 },
          { ...restart, type: 'command', params: { node_id: { kind: 'node_id' } }, approval: false, timeoutMs: 30_000 },
        ],
        resolution: [],
        prevention: [],
        outsideIncident: null,
      },
    ]);
  });

  it('a runbook without playbooks has none', () => {
    const { playbooks: _, ...rest } = base({});
    expect(parseRunbook(rest).playbooks).toEqual([]);
  });

  it('a bad parameter kind', () => {
    expect(problems(withSteps({ ...restart, params: { node_id: 'machine' } }))).toEqual([
      'playbooks.db-down.mitigation step 1 ("Restart"), params.node_id.kind: unknown parameter kind "machine"; ' +
        'kinds: node_id, version, count, cpu, memory, lines, revision, secret, s3_bucket, s3_key, s3_version_id',
    ]);
  });

  it('a placeholder without a params entry, and a param the template does not use', () => {
    const p = problems(
      withSteps({ ...restart, run: ['atom-cli', 'logs', '--lines', '{x}'], params: { lines: 'lines' } }),
    );
    expect(p).toContain(
      'playbooks.db-down.mitigation step 1 ("Restart"), run argument 4: "{x}" is not declared; add params: { x: <kind> } (kinds: node_id, ' +
        'version, count, cpu, memory, lines, revision, secret, s3_bucket, s3_key, s3_version_id)',
    );
    expect(p).toContain(
      'playbooks.db-down.mitigation step 1 ("Restart"), params.lines: "lines" is declared but run has no {lines}',
    );
  });

  it('a shell string instead of an argv list', () => {
    expect(problems(withSteps({ text: 'Restart', run: 'atom-cli nodes restart {node_id} | tee log' }))).toEqual([
      'playbooks.db-down.mitigation step 1 ("Restart"), run: must be a list of arguments such as ' +
        '[atom-cli, nodes, restart, "{node_id}"], not a shell string',
    ]);
  });

  it.each([
    ['atom-cli logs | grep ERROR'],
    ['$(id)'],
    ['a b'],
    ['`id`'],
    ['x;y'],
    ['"quoted"'],
    ['{not a param}'],
    // A secret written where it was meant to be typed: the refusal (logged at start) does not repeat it.
    ['DATABASE_URL=postgresql://app:shh secret@db.example/app'],
  ])('an argument with shell characters or spaces: %j', (arg) => {
    const p = problems(withSteps({ text: 'Logs', run: ['atom-cli', arg] }));
    expect(p).toHaveLength(1);
    expect(p[0]).not.toContain(arg);
    expect(p[0]).toBe(
      'playbooks.db-down.mitigation step 1 ("Logs"), run argument 2: must be one argument: ' +
        'letters, digits and . _ : / = @ % + , - and {name} placeholders, with no spaces, quotes or shell characters ' +
        '(the command is not run by a shell)',
    );
  });

  it('an unknown program', () => {
    expect(problems(withSteps({ text: 'Shell', run: ['bash', '-c', 'reboot'] }))).toEqual([
      'playbooks.db-down.mitigation step 1 ("Shell"), run argument 1: "bash" is not a known program; a command starts with atom-cli, alembic or aws',
    ]);
  });

  it('a production change not marked destructive, and a downgrade without approval', () => {
    expect(problems(withSteps({ ...restart, destructive: false, params: { node_id: 'node_id' } }))).toEqual([
      'playbooks.db-down.mitigation step 1 ("Restart"), destructive: "atom-cli nodes restart" changes production: mark the step ' +
        'destructive: true',
    ]);
    expect(problems(withSteps({ text: 'Set', run: ['atom-cli', 'secrets', 'set', 'KEY=value'] }))).toEqual([
      'playbooks.db-down.mitigation step 1 ("Set"), destructive: "atom-cli secrets set" changes production: mark the step ' +
        'destructive: true',
    ]);
    expect(problems(withSteps({ text: 'Down', run: ['alembic', 'downgrade', '-1'], destructive: true }))).toEqual([
      'playbooks.db-down.mitigation step 1 ("Down"), approval: "alembic downgrade" needs a second person: ' +
        'mark the step approval: true',
    ]);
    expect(
      problems(withSteps({ text: 'All', run: ['atom-cli', 'nodes', 'restart', '--all'], destructive: true })),
    ).toEqual([
      'playbooks.db-down.mitigation step 1 ("All"), approval: "atom-cli nodes restart --all" needs a second person: ' +
        'mark the step approval: true',
    ]);
  });

  it('a default that does not fit its kind, a bad timeout, an http path that is a URL', () => {
    const p = problems(
      withSteps(
        { ...restart, params: { node_id: { kind: 'node_id', default: '--all' } } },
        { text: 'Logs', run: ['atom-cli', 'status'], timeout: 'two minutes' },
        { text: 'Health', http: { path: 'https://evil.example/api/health' } },
      ),
    );
    expect(p).toEqual([
      expect.stringMatching(
        /^playbooks\.db-down\.mitigation step 1 \("Restart"\), params\.node_id\.default: "--all" is not valid; expected/,
      ),
      'playbooks.db-down.mitigation step 2 ("Logs"), timeout: "two minutes" is not a duration; write e.g. 30s, 2m or 1m30s',
      'playbooks.db-down.mitigation step 3 ("Health"), http.path: must be a path on the app such as /api/health (the base URL comes ' +
        'from configuration)',
    ]);
  });

  it('command-only fields on a text step, and http with run', () => {
    const p = problems(
      withSteps(
        { text: 'Careful', destructive: true },
        { text: 'Both', http: { path: '/alive' }, run: ['atom-cli', 'status'] },
      ),
    );
    expect(p).toEqual([
      'playbooks.db-down.mitigation step 1 ("Careful"), destructive: only a command step (one with run) has destructive',
      'playbooks.db-down.mitigation step 2 ("Both"), http: a step is an HTTP check (http) or a command (run), not both',
    ]);
  });

  it('a procedure with match keywords is suggested by them; one without is never suggested', () => {
    const data = base({
      restore: { title: 'Restore from Backup', kind: 'procedure', match: ['data corruption'] },
      'db-rollback': { title: 'Database Rollback', kind: 'procedure' },
      'db-down': { title: 'Database Connection Failures', kind: 'incident', match: ['db', 'corrupt'] },
    });
    expect(problems(data)).toEqual([]);
    const { playbooks } = parseRunbook(data, 'rb.yml');
    expect(suggestPlaybook('data corruption in the orders table', playbooks)).toBe('restore');
    expect(suggestPlaybook('db rollback', playbooks)).toBe('db-down');
    // A keyword belongs to one playbook, a procedure's as any other's.
    expect(
      problems(
        base({
          restore: { title: 'Restore from Backup', kind: 'procedure', match: ['data corruption'] },
          other: { title: 'Other', kind: 'issue', match: ['Data  Corruption'] },
        }),
      ),
    ).toEqual(['playbooks.other.match item 1: "Data  Corruption" is already a keyword of restore']);
  });

  it('a bad id, a bad kind, an unknown key, and a keyword used twice', () => {
    const p = problems(
      base({
        'DB Down': { title: 'x', kind: 'incident' },
        redis: { title: 'Redis', kind: 'outage', steps: [] },
      }),
    );
    expect(p).toContain('playbooks.DB Down: playbook ids are slugs like database-connection-failures (at most 64)');
    expect(p.some((x) => x.startsWith('playbooks.redis.kind:'))).toBe(true);
    expect(p.some((x) => x.startsWith('playbooks.redis:') && x.includes('steps'))).toBe(true);
    expect(
      problems(
        base({
          a: { title: 'A', kind: 'issue', match: ['Redis'] },
          b: { title: 'B', kind: 'issue', match: ['upstash', 'redis'] },
        }),
      ),
    ).toEqual(['playbooks.b.match item 2: "redis" is already a keyword of a']);
  });

  it('match as { what, where, also }: each word checked, a where word owned as any keyword, an also word free', () => {
    const data = base({
      a: { title: 'A', kind: 'issue', match: { what: ['oauth'], where: ['login'] } },
      b: { title: 'B', kind: 'procedure', match: { what: ['site down'], also: ['oauth', 'all machines down'] } },
    });
    expect(problems(data)).toEqual([]);
    const { playbooks } = parseRunbook(data, 'rb.yml');
    expect(playbooks.find((p) => p.id === 'a')).toMatchObject({ match: ['oauth', 'login'], where: ['login'] });
    expect(playbooks.find((p) => p.id === 'b')).toMatchObject({
      match: ['site down'],
      also: ['oauth', 'all machines down'],
    });
    expect(
      problems(
        base({
          a: { title: 'A', kind: 'issue', match: { what: ['oauth'], where: ['login'] } },
          b: { title: 'B', kind: 'issue', match: { where: ['Login'] } },
        }),
      ),
    ).toEqual(['playbooks.b.match.where item 1: "Login" is already a keyword of a']);
    for (const match of ['login', { who: ['login'] }, { where: 'login' }, [42]]) {
      const p = problems(base({ a: { title: 'A', kind: 'issue', match } }));
      expect(p, JSON.stringify(match)).toHaveLength(1);
      expect(p[0], JSON.stringify(match)).toMatch(/^playbooks\.a\.match/);
    }
    expect(problems(base({ a: { title: 'A', kind: 'issue', match: 'login' } }))).toEqual([
      'playbooks.a.match: must be a list of words, or { what: [words], where: [words], also: [words], unless: [words] }',
    ]);
  });

  it("an alert row's match words: only on a row without a playbook, never a playbook's keyword or another row's", () => {
    const row = (name: string, over: Record<string, unknown>) => ({
      name,
      metric: 'disk_usage',
      threshold: '> 95%',
      duration: '5m',
      level: 'critical',
      action: 'Clean up or scale storage',
      ...over,
    });
    const withAlerts = (alerts: unknown[]) => ({
      ...base({ 'db-down': { title: 'DB', kind: 'incident', match: ['db', 'database'] } }),
      alerts,
    });
    expect(problems(withAlerts([row('Disk', { match: ['disk', 'disk full'] })]))).toEqual([]);
    expect(problems(withAlerts([row('Disk', { match: ['disk'], playbook: 'db-down' })]))).toEqual([
      'alerts row 1 ("Disk"), match: is for a row that names no playbook (a row with a playbook: put the words in that playbook\'s match)',
    ]);
    expect(problems(withAlerts([row('Disk', { match: ['disk', 'DB'] })]))).toEqual([
      'alerts row 1 ("Disk"), match item 2: "DB" is already a keyword of playbook db-down',
    ]);
    expect(
      problems(withAlerts([row('Disk', { match: ['disk'] }), row('Storage', { match: ['storage', 'Disk'] })])),
    ).toEqual(['alerts row 2 ("Storage"), match item 2: "Disk" is already a word of Disk']);
    // A playbook's where words are its keywords too; its also words suggest nothing, so a row may have them.
    const split = (alerts: unknown[]) => ({
      ...base({
        'db-down': { title: 'DB', kind: 'incident', match: { what: ['db down'], where: ['db'], also: ['disk'] } },
      }),
      alerts,
    });
    expect(problems(split([row('Disk', { match: ['disk', 'DB'] })]))).toEqual([
      'alerts row 1 ("Disk"), match item 2: "DB" is already a keyword of playbook db-down',
    ]);
    expect(problems(split([row('Disk', { match: ['disk'] })]))).toEqual([]);
  });
});

describe('checklist fields of the runbook file: cwd on command steps, outside_incident on playbooks', () => {
  const status = { text: 'Check status', run: ['atom-cli', 'status'] };

  it('cwd is a directory under COMMAND_BASE_DIR, kept as written', () => {
    const rb = parseRunbook(withSteps({ ...status, cwd: 'backend-saas' }, { ...status, cwd: 'apps/api.v2' }));
    expect(commands(rb.playbooks[0]!).map((s) => s.cwd)).toEqual(['backend-saas', 'apps/api.v2']);
    expect(commands(parseRunbook(withSteps(status)).playbooks[0]!)[0]!.cwd).toBeUndefined();
  });

  it.each([
    ['../secrets'],
    ['backend-saas/../../etc'],
    ['/etc'],
    ['~/app'],
    ['.'],
    ['a//b'],
    ['backend-saas/'],
    ['back end'],
    ['$HOME'],
    [''],
  ])('cwd %j, which could lead out of COMMAND_BASE_DIR or is no directory name, is refused by name', (cwd) => {
    expect(problems(withSteps({ ...status, cwd }))).toEqual([
      `playbooks.db-down.mitigation step 1 ("Check status"), cwd: ${JSON.stringify(cwd)} is not a directory under COMMAND_BASE_DIR: write it relative to that directory, such as backend-saas or apps/api (names of letters, digits, . _ -), without "..", "." or a leading or trailing "/"`,
    ]);
  });

  it('cwd belongs to command steps only', () => {
    expect(problems(withSteps({ text: 'Open the console', cwd: 'backend-saas' }))).toEqual([
      'playbooks.db-down.mitigation step 1 ("Open the console"), cwd: only a command step (one with run) has cwd',
    ]);
  });

  it('outside_incident: true, false, or a channel ID; anything else is named', () => {
    const pb = (outside_incident: unknown) =>
      base({ 'backup-check': { title: 'Backup check', kind: 'procedure', outside_incident, detection: ['Look'] } });
    expect(parseRunbook(pb(true)).playbooks[0]!.outsideIncident).toEqual({ channel: null });
    expect(parseRunbook(pb(false)).playbooks[0]!.outsideIncident).toBeNull();
    expect(parseRunbook(pb({ channel: 'C0DEPLOYS' })).playbooks[0]!.outsideIncident).toEqual({ channel: 'C0DEPLOYS' });
    expect(parseRunbook(pb({})).playbooks[0]!.outsideIncident).toEqual({ channel: null });
    expect(problems(pb('yes'))).toEqual([
      'playbooks.backup-check.outside_incident: must be true, false, or { channel: C0123456789 } (where `/incident run` starts it; without a channel, where it is typed)',
    ]);
    expect(problems(pb({ channel: '#deploys' }))).toEqual([
      'playbooks.backup-check.outside_incident.channel: must be a channel ID such as C0123456789 (channel details, at the bottom)',
    ]);
    expect(problems(pb({ chanel: 'C0DEPLOYS' }))).toEqual([
      'playbooks.backup-check.outside_incident: unknown key "chanel"; the keys here are channel',
    ]);
  });

  it('the bundled runbook runs the Database Rollback outside incidents too, as a deployment does', async () => {
    const rb = await loadRunbook(DEFAULT_RUNBOOK_FILE);
    expect(rb.playbooks.filter((p) => p.outsideIncident && !p.unlisted).map((p) => p.id)).toEqual([
      'database-rollback',
      'deploy-web-platform',
      'deploy-api-service',
      'restore-from-backup',
      'restore-s3-object',
      'redis-cache-cleared',
      'backup-verification',
      'security-checks-daily',
      'security-checks-weekly',
      'security-checks-monthly',
      'maintenance-weekly',
      'maintenance-monthly',
      'maintenance-quarterly',
      'maintenance',
    ]);
  });

  it("README's table of the other procedures says which run with /incident run and which are attached only", async () => {
    const rb = await loadRunbook(DEFAULT_RUNBOOK_FILE);
    const lines = (await readFile(new URL('../../README.md', import.meta.url), 'utf8')).split('\n');
    const at = lines.findIndex((l) => l.startsWith("The runbook's other procedures"));
    const intro = lines[at]!;
    // The table's rows: from the one after its header and separator, up to the first line that is not a row.
    const after = lines.slice(at + 4);
    const rows = after.slice(
      0,
      after.findIndex((l) => !l.startsWith('| `')),
    );
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) {
      const id = /^\| `([a-z0-9-]+)`/.exec(row)![1]!;
      const pb = rb.playbooks.find((p) => p.id === id)!;
      expect(pb, id).toBeDefined();
      // A procedure `/incident run` refuses is named in the sentence as the exception, and its row says to attach it.
      if (pb.outsideIncident) expect(intro, id).not.toContain(`\`${id}\``);
      else {
        expect(intro, id).toContain(`\`${id}\``);
        expect(row, id).toContain(`\`/incident playbook ${id}\``);
      }
    }
  });
});

describe('sections: how a playbook names its sections, and which it requires', () => {
  const pb = (sections: unknown, extra: Record<string, unknown> = {}) =>
    base({
      deploy: {
        title: 'Deploy',
        kind: 'procedure',
        outside_incident: true,
        detection: ['Tests pass'],
        mitigation: [{ text: 'Deploy', run: ['atom-cli', 'deploy'], destructive: true }],
        resolution: ['Look'],
        sections,
        ...extra,
      },
    });

  it('names each section given, the others keeping the phase names; required sections are kept', () => {
    const deploy = parseRunbook(
      pb({ detection: { name: 'Prerequisites checklist', required: true }, mitigation: 'Deployment' }),
    ).playbooks[0]!;
    expect(deploy.phaseLabels).toEqual({
      detection: 'Prerequisites checklist',
      mitigation: 'Deployment',
      resolution: 'Resolution',
    });
    expect(deploy.requiredSections).toEqual(['detection']);
    const plain = parseRunbook(pb(undefined)).playbooks[0]!;
    expect(plain.phaseLabels).toBeUndefined();
    expect(plain.requiredSections).toBeUndefined();
  });

  it('a bad sections value is refused with what to write', () => {
    expect(problems(pb('Prerequisites'))).toEqual([
      'playbooks.deploy.sections: must name the sections, e.g. { detection: Prerequisites checklist, mitigation: Deployment, resolution: Post-deployment verification }',
    ]);
    expect(problems(pb({ detection: 5 }))).toEqual([
      "playbooks.deploy.sections.detection: must be the section's name (e.g. Prerequisites checklist), or { name: Prerequisites checklist, required: true }",
    ]);
    expect(problems(pb({ prerequisites: 'Prerequisites checklist' }))).toEqual([
      'playbooks.deploy.sections: unknown key "prerequisites"; the keys here are detection, mitigation, resolution',
    ]);
    expect(problems(pb({ detection: { name: 'Prerequisites', requried: true } }))).toEqual([
      'playbooks.deploy.sections.detection: unknown key "requried"; the keys here are name, required',
    ]);
    expect(problems(pb({ detection: '  ' }))[0]).toMatch(/^playbooks\.deploy\.sections\.detection\.name: /);
    expect(problems(pb({ detection: 'x'.repeat(61) }))[0]).toMatch(
      /^playbooks\.deploy\.sections\.detection\.name: is 61 characters long; at most 60 fit/,
    );
    expect(problems(pb({ resolution: { required: true } }))).toEqual([
      'playbooks.deploy.sections.resolution.required: required marks steps to deal with before a later section changes production, and nothing comes after resolution',
    ]);
    expect(problems(pb({ detection: { required: true } }, { detection: [] }))).toEqual([
      'playbooks.deploy.sections.detection.required: the playbook has no detection steps to require',
    ]);
  });

  it('the bundled deployments name their sections as the runbook does and require the Prerequisites Checklist', async () => {
    const rb = await loadRunbook(DEFAULT_RUNBOOK_FILE);
    for (const id of ['deploy-web-platform', 'deploy-api-service']) {
      const deploy = rb.playbooks.find((p) => p.id === id)!;
      expect(deploy.phaseLabels).toEqual({
        detection: 'Prerequisites checklist',
        mitigation: 'Deployment',
        resolution: 'Post-deployment verification',
      });
      expect(deploy.requiredSections).toEqual(['detection']);
    }
    // Every procedure run outside incidents names its sections: none reads as Detection, Mitigation, Resolution.
    for (const p of rb.playbooks.filter((x) => x.kind === 'procedure' && x.outsideIncident))
      expect(p.phaseLabels, p.id).toBeDefined();
    // Only the deployments require a section.
    expect(rb.playbooks.filter((p) => p.requiredSections).map((p) => p.id)).toEqual([
      'deploy-web-platform',
      'deploy-api-service',
    ]);
  });
});
