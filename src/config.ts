import { z } from 'zod';
import { parseRate, type RateSpec } from './incidents/rate-limits.js';
import type { KvSettings } from './store/kv-redis.js';

const optionalString = z
  .string()
  .transform((s) => s.trim())
  .optional()
  .transform((s) => (s ? s : undefined));

/** A rate limit as `count/duration` (`5/1m`), or `off`. */
const rate = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s, ctx) => {
      const r = parseRate(s.trim() || fallback);
      if (r === null) {
        ctx.addIssue({ code: 'custom', message: 'must be a count per duration, e.g. 5/1m or 20/30s, or off' });
        return z.NEVER;
      }
      return r === 'off' ? null : r;
    });

const schema = z.object({
  SLACK_BOT_TOKEN: optionalString.refine((s) => !s || /^xox[bp]-/.test(s), 'must be a bot token starting with xoxb-'),
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString.refine(
    (s) => !s || s.startsWith('xapp-'),
    'must be an app-level token starting with xapp-',
  ),
  SLACK_API_URL: optionalString.refine((s) => !s || /^https?:\/\/.+/.test(s), 'must be an http(s) URL'),
  PORT: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number().int().min(0).max(65535).default(3000),
  ),
  HOST: optionalString,
  DATABASE_URL: optionalString.refine(
    (s) => !s || /^postgres(ql)?:\/\//.test(s),
    'must be a postgres:// or postgresql:// URL',
  ),
  DATA_DIR: z.string().min(1).default('./.data'),
  INCIDENTS_CHANNEL: optionalString,
  RUNBOOK_FILE: optionalString,
  ATOM_CLI: optionalString,
  ALEMBIC_CLI: optionalString,
  DEPLOYMENTS_PATTERN: optionalString.refine((s) => {
    if (!s) return true;
    try {
      return /\(\?<version>/.test(s) && Boolean(new RegExp(s));
    } catch {
      return false;
    }
  }, 'must be a regular expression with a named group (?<version>…)'),
  COMMAND_ENV: optionalString.refine(
    (s) => !s || s.split(',').every((n) => /^[A-Z_][A-Z0-9_]*$/.test(n.trim())),
    'must be a comma-separated list of variable names, e.g. ATOM_API_TOKEN,ATOM_APP',
  ),
  HEALTH_BASE_URL: optionalString.refine((s) => !s || /^https?:\/\/.+/.test(s), 'must be an http(s) URL'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  LOG_FORMAT: optionalString.pipe(z.enum(['json', 'pretty']).optional()),
  ADMIN_TOKEN: optionalString.refine((s) => !s || s.length >= 16, 'must be at least 16 characters'),
  REDIS_URL: optionalString.refine((s) => !s || /^rediss?:\/\/.+/.test(s), 'must be a redis:// or rediss:// URL'),
  UPSTASH_REDIS_REST_URL: optionalString.refine((s) => !s || /^https?:\/\/.+/.test(s), 'must be an http(s) URL'),
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  REDIS_KEY_PREFIX: z.string().default('incident-bot:'),
  REDIS_TIMEOUT_MS: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number().int().min(10).max(10_000).default(250),
  ),
  DECLARE_RATE_LIMIT: rate('5/1m'),
  RUN_RATE_LIMIT: rate('10/1m'),
  CHANNEL_CREATE_LIMIT: rate('20/1m'),
  // Monitoring alerts (POST /hooks/alertmanager, POST /hooks/alerts).
  ALERTS_TOKEN: optionalString.refine((s) => !s || s.length >= 16, 'must be at least 16 characters'),
  ALERTS_SIGNING_SECRET: optionalString.refine((s) => !s || s.length >= 16, 'must be at least 16 characters'),
  QSTASH_CURRENT_SIGNING_KEY: optionalString,
  QSTASH_NEXT_SIGNING_KEY: optionalString,
  ALERTS_MAX_INCIDENTS: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number().int().min(1).max(1000).default(3),
  ),
});

/** Half-configured Slack credentials are a mistake worth failing on; none at all is set-up mode. Checked on the raw
 * environment so these problems are named even when another variable is also wrong. */
function credentialProblems(env: NodeJS.ProcessEnv): string[] {
  const set = (k: string) => Boolean(env[k]?.trim());
  const problems: string[] = [];
  if (set('SLACK_BOT_TOKEN') && !set('SLACK_APP_TOKEN') && !set('SLACK_SIGNING_SECRET')) {
    problems.push('SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  if (!set('SLACK_BOT_TOKEN') && (set('SLACK_SIGNING_SECRET') || set('SLACK_APP_TOKEN'))) {
    problems.push('SLACK_BOT_TOKEN is required (xoxb-…, from OAuth & Permissions)');
  }
  if (set('UPSTASH_REDIS_REST_URL') !== set('UPSTASH_REDIS_REST_TOKEN')) {
    problems.push('UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN go together: set both, or neither');
  }
  if (set('REDIS_URL') && set('UPSTASH_REDIS_REST_URL')) {
    problems.push('set REDIS_URL or UPSTASH_REDIS_REST_URL, not both');
  }
  if (set('QSTASH_CURRENT_SIGNING_KEY') !== set('QSTASH_NEXT_SIGNING_KEY')) {
    problems.push('QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY go together: set both, or neither');
  }
  return problems;
}

export type SlackMode = 'http' | 'socket' | 'setup';

export interface Config {
  readonly slack: {
    readonly mode: SlackMode;
    readonly botToken?: string;
    readonly signingSecret?: string;
    readonly appToken?: string;
    readonly apiUrl?: string;
  };
  readonly port: number;
  readonly host?: string;
  readonly databaseUrl?: string;
  readonly dataDir: string;
  readonly incidentsChannel?: string;
  /** The runbook (YAML); unset: the bundled ATOM runbook. */
  readonly runbookFile?: string;
  /** The atom CLI binary that the runbook's `atom-cli` commands run. */
  readonly atomCli: string;
  /**
   * What the runbook's `alembic …` steps run. The runbook runs alembic on the app machine, after `atom-cli console`
   * and `cd /app`; point this at a wrapper that does so. Default `alembic` on the bot's host.
   */
  readonly alembicCli: string;
  /** Base URL of the app whose health endpoints the playbooks check. */
  readonly healthBaseUrl?: string;
  /**
   * Variables passed to runbook commands (named in COMMAND_ENV, e.g. the CLI's own token). Nothing else of the bot's
   * environment reaches a command.
   */
  readonly commandEnv: Readonly<Record<string, string>>;
  /** How to read `atom-cli deployments`: a regular expression with named groups version, current, status, date. */
  readonly deploymentsPattern?: string;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Unset: pretty on a terminal, JSON lines otherwise. */
  readonly logFormat?: 'json' | 'pretty';
  /** Bearer token for `GET /audit.jsonl`; unset, the route answers 404. */
  readonly adminToken?: string;
  /**
   * Where replicas share what may be lost (rate limits, the channel budget, repeated requests, caches): Upstash's REST
   * API, a Redis (REDIS_URL), or neither: this process alone, for a single replica.
   */
  readonly kv: Readonly<KvSettings>;
  /** Per-person limits and Slack's channel-creation budget; null: off. */
  readonly rateLimits: Readonly<{ declare: RateSpec | null; run: RateSpec | null; channelCreate: RateSpec | null }>;
  /** Monitoring alerts: how deliveries prove who sent them, and the storm cap. No way to prove it: the hooks are off. */
  readonly alerts: Readonly<AlertsSettings>;
}

export interface AlertsSettings {
  /** `Authorization: Bearer <token>` on both hooks (ALERTS_TOKEN). */
  token?: string;
  /** HMAC-SHA256 of `<timestamp>.<body>` on the generic hook (ALERTS_SIGNING_SECRET). */
  signingSecret?: string;
  /** Upstash QStash's signing keys: deliveries QStash signed are accepted on the generic hook. */
  qstash?: { currentSigningKey: string; nextSigningKey: string };
  /** Incidents opened from alerts per source in 10 minutes, at most (ALERTS_MAX_INCIDENTS). */
  maxIncidents: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and checks every variable at once; names each bad one. Secrets never appear in messages. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'} ${i.message}`)),
    ...credentialProblems(env),
  ];
  if (!parsed.success || problems.length) {
    throw new ConfigError(problems);
  }
  const c = parsed.data;
  const mode: SlackMode = !c.SLACK_BOT_TOKEN ? 'setup' : c.SLACK_APP_TOKEN ? 'socket' : 'http';
  return Object.freeze({
    slack: Object.freeze({
      mode,
      botToken: c.SLACK_BOT_TOKEN,
      signingSecret: c.SLACK_SIGNING_SECRET,
      appToken: c.SLACK_APP_TOKEN,
      apiUrl: c.SLACK_API_URL,
    }),
    port: c.PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL,
    dataDir: c.DATA_DIR,
    incidentsChannel: c.INCIDENTS_CHANNEL,
    runbookFile: c.RUNBOOK_FILE,
    atomCli: c.ATOM_CLI ?? 'atom-cli',
    alembicCli: c.ALEMBIC_CLI ?? 'alembic',
    healthBaseUrl: c.HEALTH_BASE_URL,
    deploymentsPattern: c.DEPLOYMENTS_PATTERN,
    commandEnv: Object.freeze(
      Object.fromEntries(
        (c.COMMAND_ENV ?? '')
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n && env[n] !== undefined)
          .map((n) => [n, env[n] as string]),
      ),
    ),
    logLevel: c.LOG_LEVEL,
    logFormat: c.LOG_FORMAT,
    adminToken: c.ADMIN_TOKEN,
    kv: Object.freeze({
      ...(c.UPSTASH_REDIS_REST_URL && c.UPSTASH_REDIS_REST_TOKEN
        ? { upstash: { url: c.UPSTASH_REDIS_REST_URL, token: c.UPSTASH_REDIS_REST_TOKEN } }
        : {}),
      ...(c.REDIS_URL ? { redisUrl: c.REDIS_URL } : {}),
      prefix: c.REDIS_KEY_PREFIX,
      timeoutMs: c.REDIS_TIMEOUT_MS,
    }),
    rateLimits: Object.freeze({
      declare: c.DECLARE_RATE_LIMIT,
      run: c.RUN_RATE_LIMIT,
      channelCreate: c.CHANNEL_CREATE_LIMIT,
    }),
    alerts: Object.freeze({
      token: c.ALERTS_TOKEN,
      signingSecret: c.ALERTS_SIGNING_SECRET,
      ...(c.QSTASH_CURRENT_SIGNING_KEY && c.QSTASH_NEXT_SIGNING_KEY
        ? { qstash: { currentSigningKey: c.QSTASH_CURRENT_SIGNING_KEY, nextSigningKey: c.QSTASH_NEXT_SIGNING_KEY } }
        : {}),
      maxIncidents: c.ALERTS_MAX_INCIDENTS,
    }),
  });
}

/**
 * The values of the configuration that are secret: the Slack tokens and signing secret, the database password
 * (as written in the URL and decoded), and every COMMAND_ENV value. Runbook output is masked by these values.
 */
export function configSecrets(config: Config): string[] {
  const values = [config.slack.botToken, config.slack.signingSecret, config.slack.appToken];
  if (config.databaseUrl) {
    try {
      const password = new URL(config.databaseUrl).password;
      values.push(password, decodeURIComponent(password));
    } catch {
      // A URL the schema let through but URL cannot read: its password is still masked by the URL rule.
    }
  }
  if (config.kv.upstash) values.push(config.kv.upstash.token);
  if (config.kv.redisUrl) {
    try {
      const password = new URL(config.kv.redisUrl).password;
      values.push(password, decodeURIComponent(password));
    } catch {
      // Masked by the URL rule all the same.
    }
  }
  if (config.adminToken) values.push(config.adminToken);
  const { alerts } = config;
  values.push(alerts.token ?? '', alerts.signingSecret ?? '');
  if (alerts.qstash) values.push(alerts.qstash.currentSigningKey, alerts.qstash.nextSigningKey);
  values.push(...Object.values(config.commandEnv));
  return values.filter((v): v is string => Boolean(v));
}
