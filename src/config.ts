import { resolve } from 'node:path';
import { z } from 'zod';
import { parseRate, type RateSpec } from './incidents/rate-limits.js';
import { isTimeZone } from './incidents/rotation.js';
import { type KnownSecret, namedSecrets } from './ops/redact.js';
import { parseDuration } from './runbook/duration.js';
import type { KvSettings } from './store/kv-redis.js';

const optionalString = z
  .string()
  .transform((s) => s.trim())
  .optional()
  .transform((s) => (s ? s : undefined));

/** A value as it appears in a message (never used for secrets). */
const shown = (s: string | undefined) => JSON.stringify(s ?? '');

/** An optional string checked by `problem`, which says in plain words what is wrong (undefined: fine). */
const checked = (problem: (s: string) => string | undefined) =>
  optionalString.superRefine((s, ctx) => {
    const message = s === undefined ? undefined : problem(s);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

/** A whole number within bounds; unset or blank: the default. */
const wholeNumber = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const s = raw?.trim();
      if (!s) return fallback;
      const n = Number(s);
      if (!/^\d+$/.test(s) || n < min || n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a whole number between ${min} and ${max}, got ${shown(raw)}`,
        });
        return z.NEVER;
      }
      return n;
    });

/** One of a few words (any case); unset or blank: undefined. */
const oneOf = <const T extends string>(values: readonly T[]) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const s = raw?.trim().toLowerCase();
      if (!s) return undefined;
      if (!(values as readonly string[]).includes(s)) {
        ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}, got ${shown(raw)}` });
        return z.NEVER;
      }
      return s as T;
    });

/** A shared secret (a bearer token, a signing secret): at least 16 characters; the message never repeats it. */
const longSecret = checked((s) =>
  s.length >= 16 ? undefined : 'must be at least 16 characters long (for example the output of openssl rand -hex 24)',
);

const httpUrl = (example: string) =>
  checked((s) =>
    /^https?:\/\/[^/\s]+/.test(s) && URL.canParse(s)
      ? undefined
      : `must be an http:// or https:// URL such as ${example}, got ${shown(s)}`,
  );

/**
 * PUBLIC_BASE_URL: the bot's public http(s) URL (a path under which a proxy serves it is kept), without the slashes
 * that end it. Links are built by appending `/status.atom` and the like, so a query, a fragment or credentials in it
 * would be wrong in every link: refused. Unset or blank: undefined.
 */
const publicBaseUrl = optionalString.transform((s, ctx) => {
  if (s === undefined) return undefined;
  const example = `must be the bot's public http:// or https:// URL, such as https://incidents.example.com (what the status page and its feeds link to), got ${shown(s)}`;
  if (!/^https?:\/\/[^/\s?#]+/i.test(s) || /\s/.test(s) || !URL.canParse(s)) {
    ctx.addIssue({ code: 'custom', message: example });
    return z.NEVER;
  }
  const url = new URL(s);
  if (url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: 'must have no user or password in it (the status page is public)' });
    return z.NEVER;
  }
  if (url.search || url.hash || /[?#]/.test(s)) {
    ctx.addIssue({
      code: 'custom',
      message: `must have no query or fragment (links are made by adding /status.atom to it), got ${shown(s)}`,
    });
    return z.NEVER;
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
});

/**
 * QSTASH_URL: the whole public URLs QStash is told to post to (its destinations), separated by commas or blanks, each
 * http(s) with no user part and no fragment, as QStash signs them; kept as URL reads them (a host's case, a default
 * port). Unset or blank: undefined.
 */
const qstashUrls = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    const given = (raw ?? '').split(/[\s,]+/).filter(Boolean);
    if (given.length === 0) return undefined;
    const example = 'https://incident-bot.example.com/hooks/alerts';
    const urls: string[] = [];
    for (const u of given) {
      const url = /^https?:\/\/[^/\s]+/i.test(u) && URL.canParse(u) ? new URL(u) : null;
      // A value with a user part may hold a password: it is not repeated.
      const got = u.includes('@') ? '' : `, got ${shown(u)}`;
      const problem = !url
        ? `must be the whole http:// or https:// URL QStash posts to, such as ${example}${got}`
        : url.username || url.password
          ? 'must not hold a user name or password: QStash signs the URL it posts to, without one'
          : url.hash
            ? `must not hold a fragment (#...): QStash signs the URL it posts to, without one${got}`
            : undefined;
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      urls.push(url!.href);
    }
    return urls;
  });

/** A length of time as the runbook file writes it (`15m`, `7d`, `1h30m`), in ms; unset or blank: the default. */
const durationVar = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const ms = parseDuration(raw?.trim() || fallback);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: `must be a duration such as 30s, 15m, 4h or 7d, got ${shown(raw)}` });
        return z.NEVER;
      }
      return ms;
    });

/** A rate limit as `count/duration` (`5/1m`), or `off`. */
const rate = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s, ctx) => {
      const r = parseRate(s.trim() || fallback);
      if (r === null) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a count per duration, e.g. 5/1m or 20/30s, or off, got ${shown(s)}`,
        });
        return z.NEVER;
      }
      return r === 'off' ? null : r;
    });

/** Where each token is found in the app's settings, for the messages. */
const BOT_TOKEN_HELP = 'the Bot User OAuth Token (xoxb-…) from OAuth & Permissions';
const APP_TOKEN_HELP =
  'an app-level token (xapp-…) with the connections:write scope, from Basic Information → App-Level Tokens';

/** Token values are secret: the messages say what kind of token was given, never the token. */
function botTokenProblem(s: string): string | undefined {
  if (s.startsWith('xoxb-')) return undefined;
  if (s.startsWith('xoxp-')) return `is a user token (xoxp-…), which acts as a person: use ${BOT_TOKEN_HELP} instead`;
  if (s.startsWith('xapp-'))
    return `is an app-level token (xapp-…), which goes in SLACK_APP_TOKEN: use ${BOT_TOKEN_HELP}`;
  return `must be ${BOT_TOKEN_HELP}; the value set does not start with xoxb-`;
}

function appTokenProblem(s: string): string | undefined {
  if (s.startsWith('xapp-')) return undefined;
  if (s.startsWith('xox')) return `is a bot or user token (xox…-), not an app-level token: use ${APP_TOKEN_HELP}`;
  return `must be ${APP_TOKEN_HELP}; the value set does not start with xapp-`;
}

/** Where a person finds a channel's ID in Slack, for the messages. */
export const CHANNEL_ID_HELP =
  "a channel ID such as C0123456789 (in Slack, click the channel's name: the ID is at the bottom of About)";

/**
 * INCIDENTS_CHANNEL as written: a channel ID (`C0123456789`, or a pasted `<#C0123456789|incidents>` or channel link
 * `https://acme.slack.com/archives/C0123456789`) stays an ID; a
 * name (`#incidents`, or `incidents`) becomes `#incidents`, which start-up resolves to its ID. Anything else is
 * undefined.
 */
export function readIncidentsChannel(s: string): string | undefined {
  const link =
    /^<#([CG][A-Z0-9]{6,})(\|[^>]*)?>$/.exec(s) ??
    /^https:\/\/[\w.-]+\.slack\.com\/archives\/([CG][A-Z0-9]{6,})\/?$/.exec(s);
  if (link) return link[1];
  if (/^[CG][A-Z0-9]{6,}$/.test(s)) return s;
  const name = s.startsWith('#') ? s.slice(1).toLowerCase() : s;
  return /^[\p{Ll}\p{Lo}\p{N}_-][\p{Ll}\p{Lo}\p{N}._-]{0,79}$/u.test(name) ? `#${name}` : undefined;
}

/** The channel name INCIDENTS_CHANNEL gives (without `#`), or undefined when it is an ID (or unset). */
export function incidentsChannelName(config: Pick<Config, 'incidentsChannel'>): string | undefined {
  return config.incidentsChannel?.startsWith('#') ? config.incidentsChannel.slice(1) : undefined;
}

function deploymentsPatternProblem(s: string): string | undefined {
  try {
    new RegExp(s);
  } catch (err) {
    return `is not a regular expression JavaScript can read (${(err as Error).message})`;
  }
  return /\(\?<version>/.test(s) ? undefined : 'must have a named group (?<version>…) that captures the version';
}

function commandEnvProblem(s: string): string | undefined {
  const bad = s
    .split(',')
    .map((n) => n.trim())
    .filter((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
  if (!bad.length) return undefined;
  return (
    'must be variable names separated by commas, such as ATOM_API_TOKEN,ATOM_APP; ' +
    `${bad.map((n) => (n ? shown(n) : 'an empty name')).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not`
  );
}

const schema = z.object({
  SLACK_BOT_TOKEN: checked(botTokenProblem),
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: checked(appTokenProblem),
  SLACK_API_URL: httpUrl('https://slack.com/api/'),
  PORT: wholeNumber(0, 65535, 3000),
  HOST: checked((s) => {
    if (/^[^:]+:\d+$/.test(s)) return `is only the address to listen on: put the port in PORT, got ${shown(s)}`;
    return /^[A-Za-z0-9._%:-]+$/.test(s)
      ? undefined
      : `must be an address to listen on, such as 0.0.0.0 (every IPv4 interface), :: or 127.0.0.1, got ${shown(s)}`;
  }),
  // The URL holds the password: the message never repeats it.
  DATABASE_URL: checked((s) =>
    /^postgres(ql)?:\/\/\S+/.test(s)
      ? undefined
      : 'must be a PostgreSQL URL such as postgres://user:password@db.example.com:5432/incidents ' +
        '(or leave it unset for the embedded database in DATA_DIR)',
  ),
  DATABASE_PREPARE: oneOf(['on', 'off']),
  DATABASE_POOL_MAX: wholeNumber(1, 100, 5),
  DATA_DIR: z
    .string()
    .optional()
    .superRefine((s, ctx) => {
      if (s !== undefined && !s.trim())
        ctx.addIssue({
          code: 'custom',
          message: 'is set but empty: set it to the directory for the embedded database, or unset it for ./.data',
        });
    })
    .transform((s) => s?.trim() || './.data'),
  EMBEDDED_PG_USER: checked((s) =>
    /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s)
      ? undefined
      : `must be the name of an unprivileged user on this machine, such as postgres, got ${shown(s)}`,
  ),
  INCIDENTS_CHANNEL: checked((s) =>
    readIncidentsChannel(s)
      ? undefined
      : `must be ${CHANNEL_ID_HELP} or a channel name such as #incidents, got ${shown(s)}`,
  ).transform((s) => (s === undefined ? undefined : readIncidentsChannel(s))),
  RUNBOOK_FILE: optionalString,
  ATOM_CLI: optionalString,
  ALEMBIC_CLI: optionalString,
  AWS_CLI: optionalString,
  DEPLOYMENTS_PATTERN: checked(deploymentsPatternProblem),
  COMMAND_ENV: checked(commandEnvProblem),
  HEALTH_BASE_URL: httpUrl('https://tenant.atomagentos.com'),
  LOG_LEVEL: oneOf(['debug', 'info', 'warn', 'error']),
  LOG_FORMAT: oneOf(['json', 'pretty']),
  ACK_THREAD: oneOf(['on', 'off']),
  WORK_NICE: wholeNumber(0, 19, 10),
  REQUEST_TIMEOUT_MS: wholeNumber(1000, 3_600_000, 300_000),
  ADMIN_TOKEN: longSecret,
  COMMAND_BASE_DIR: checked((s) =>
    s.trim() ? undefined : 'is set but empty: set it to the directory runbook commands run in, or unset it',
  ),
  STEP_RUN_LEASE: durationVar('30s'),
  CHECKLIST_POST_LEASE: durationVar('30s'),
  // May hold a password: not repeated.
  REDIS_URL: checked((s) =>
    /^rediss?:\/\/\S+/.test(s) && URL.canParse(s)
      ? undefined
      : 'must be a Redis URL such as redis://:password@cache.example.com:6379 (or rediss:// for TLS)',
  ),
  UPSTASH_REDIS_REST_URL: httpUrl('https://eu1-example-12345.upstash.io'),
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  REDIS_KEY_PREFIX: z.string().default('incident-bot:'),
  REDIS_TIMEOUT_MS: wholeNumber(10, 10_000, 250),
  STATUS_PAGE_TITLE: checked((s) =>
    s.length <= 100 ? undefined : `must be at most 100 characters (it is the page's heading), got ${s.length}`,
  ),
  STATUS_PAGE_URL: httpUrl('https://status.atomagentos.com'),
  TIME_ZONE: checked((s) =>
    isTimeZone(s) ? undefined : 'must be an IANA time zone such as Europe/London, America/New_York or UTC',
  ),
  PUBLIC_BASE_URL: publicBaseUrl,
  DECLARE_RATE_LIMIT: rate('5/1m'),
  RUN_RATE_LIMIT: rate('10/1m'),
  CHANNEL_CREATE_LIMIT: rate('20/1m'),
  // Monitoring alerts (POST /hooks/alertmanager, POST /hooks/alerts).
  ALERTS_TOKEN: longSecret,
  ALERTS_SIGNING_SECRET: longSecret,
  QSTASH_CURRENT_SIGNING_KEY: optionalString,
  QSTASH_NEXT_SIGNING_KEY: optionalString,
  QSTASH_URL: qstashUrls,
  // How pages reach people besides Slack: email over SMTP, PagerDuty's Events API v2 and its v3 webhooks.
  // The URL holds the password: the message never repeats it.
  SMTP_URL: checked((s) =>
    /^smtps?:\/\/[^/\s]+/.test(s) && URL.canParse(s)
      ? undefined
      : 'must be an SMTP URL such as smtp://user:password@smtp.example.com:587 or smtps://user:password@email-smtp.eu-west-1.amazonaws.com:465',
  ),
  EMAIL_FROM: checked((s) =>
    /^([^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(s)
      ? undefined
      : `must be an email address such as incidents@example.com or "Incident Bot <incidents@example.com>", got ${shown(s)}`,
  ),
  PAGERDUTY_EVENTS_URL: httpUrl('https://events.pagerduty.com/v2/enqueue'),
  PAGERDUTY_WEBHOOK_SECRET: optionalString,
  PAGERDUTY_API_TOKEN: optionalString,
  PAGERDUTY_API_URL: httpUrl('https://api.pagerduty.com'),
  ALERTS_MAX_INCIDENTS: wholeNumber(1, 1000, 3),
  ALERT_DELIVERY_RETENTION: durationVar('30d'),
  ALERTS_REPEAT_REFRESH: durationVar('10s'),
  ALERTS_STORM_RETURN_GAP: durationVar('10m'),
  ALERTS_DM_RETRY: durationVar('2s'),
  // On-call rotations: the longest override or swap, and how long before a hand-off its notice goes out.
  ONCALL_OVERRIDE_MAX: durationVar('7d'),
  ONCALL_HANDOFF_NOTICE: durationVar('15m'),
});

/** Half-configured Slack credentials are a mistake worth failing on; none at all is set-up mode. Checked on the raw
 * environment so these problems are named even when another variable is also wrong. */
function credentialProblems(env: NodeJS.ProcessEnv): string[] {
  const set = (k: string) => Boolean(env[k]?.trim());
  const problems: string[] = [];
  if (set('SLACK_BOT_TOKEN') && !set('SLACK_APP_TOKEN') && !set('SLACK_SIGNING_SECRET')) {
    problems.push(
      'SLACK_SIGNING_SECRET is required in HTTP mode: set it to the Signing Secret from Basic Information → App ' +
        'Credentials (or set SLACK_APP_TOKEN instead, for Socket Mode)',
    );
  }
  if (!set('SLACK_BOT_TOKEN') && (set('SLACK_SIGNING_SECRET') || set('SLACK_APP_TOKEN'))) {
    problems.push(
      `SLACK_BOT_TOKEN is required with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN: set it to ${BOT_TOKEN_HELP} ` +
        '(or unset them all for set-up mode)',
    );
  }
  if (set('UPSTASH_REDIS_REST_URL') !== set('UPSTASH_REDIS_REST_TOKEN')) {
    problems.push('UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN go together: set both, or neither');
  }
  if (set('REDIS_URL') && set('UPSTASH_REDIS_REST_URL')) {
    problems.push(
      'REDIS_URL and UPSTASH_REDIS_REST_URL are both set: set REDIS_URL or UPSTASH_REDIS_REST_URL, not both',
    );
  }
  if (set('SMTP_URL') && !set('EMAIL_FROM')) {
    problems.push(
      'EMAIL_FROM is required with SMTP_URL: set it to the address pages are sent from, e.g. incidents@example.com',
    );
  }
  if (set('QSTASH_CURRENT_SIGNING_KEY') !== set('QSTASH_NEXT_SIGNING_KEY')) {
    problems.push('QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY go together: set both, or neither');
  }
  if (set('QSTASH_URL') && !set('QSTASH_CURRENT_SIGNING_KEY') && !set('QSTASH_NEXT_SIGNING_KEY')) {
    problems.push(
      'QSTASH_URL is set without the QStash signing keys: set QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY ' +
        'too (or unset QSTASH_URL)',
    );
  }
  return problems;
}

export type SlackMode = 'http' | 'socket' | 'setup';

export const DEFAULT_STATUS_PAGE_TITLE = 'Service status';

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
  /**
   * In HTTP mode, whether a thread of its own answers Slack's requests at once and hands them to the bot (ACK_THREAD,
   * default on); off: Bolt's receiver answers each on the bot's own thread.
   */
  readonly ackThread: boolean;
  /** With the acknowledging thread: how much lower the CPU priority of the bot's own thread is (WORK_NICE, 0–19). */
  readonly workNice: number;
  /** How long a request may take to arrive whole, headers and body, before it is answered 408 (REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs: number;
  readonly databaseUrl?: string;
  /** Statements with parameters are prepared once per connection (DATABASE_PREPARE, default on). */
  readonly databasePrepare: boolean;
  /** Connections to Postgres this process opens at most (DATABASE_POOL_MAX, default 5). */
  readonly databasePoolMax: number;
  readonly dataDir: string;
  /**
   * Where incidents are announced: a channel ID, or `#name` as written in INCIDENTS_CHANNEL, which start() resolves
   * to the ID before the bot runs (see incidentsChannelName).
   */
  /** The user the embedded PostgreSQL runs as when the bot runs as root (default: an existing `postgres` user). */
  readonly embeddedPgUser?: string;
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
  /** What the runbook's `aws …` steps run (S3 object recovery, the weekly backup check). Default `aws`. */
  readonly awsCli: string;
  /** Base URL of the app whose health endpoints the playbooks check. */
  readonly healthBaseUrl?: string;
  /**
   * Variables passed to runbook commands (named in COMMAND_ENV, e.g. the CLI's own token). Nothing else of the bot's
   * environment reaches a command.
   */
  readonly commandEnv: Readonly<Record<string, string>>;
  /**
   * The directory runbook commands run in (absolute); a command step's `cwd` is a directory under it (the runbook's
   * "from backend-saas directory"). Default: the bot's working directory.
   */
  readonly commandBaseDir: string;
  /**
   * How long a running step's run is held by its process without a renewal (STEP_RUN_LEASE, 30s; renewed every third
   * of it): a process killed outright leaves its runs to another process's sweep, which records them lost, within this.
   */
  readonly stepRunLeaseMs: number;
  /**
   * How long a playbook's checklist being posted is held by its process without a renewal (CHECKLIST_POST_LEASE, 30s;
   * renewed every third of it while Slack takes the post): a process that dies posting it leaves it to the timer loop's
   * sweep after this, which also waits this long before its first retry (doubled each time).
   */
  readonly checklistPostLeaseMs: number;
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
  /** The public status page (GET /status): its title, and the company's own status page it links to. */
  /** `publicBaseUrl` (PUBLIC_BASE_URL): what the page's and feeds' absolute links start with; unset: the request's. */
  readonly statusPage: Readonly<{ title: string; companyUrl?: string; publicBaseUrl?: string }>;
  /**
   * The zone the communication template (page emails and DMs, PagerDuty's event) and the status page give times in,
   * naming it (TIME_ZONE); UTC when unset.
   */
  readonly timeZone: string;
  /** Per-person limits and Slack's channel-creation budget; null: off. */
  readonly rateLimits: Readonly<{ declare: RateSpec | null; run: RateSpec | null; channelCreate: RateSpec | null }>;
  /** Monitoring alerts: how deliveries prove who sent them, and the storm cap. No way to prove it: the hooks are off. */
  readonly alerts: Readonly<AlertsSettings>;
  /** On-call: the longest override or swap (ONCALL_OVERRIDE_MAX), the hand-off notice's lead (ONCALL_HANDOFF_NOTICE). */
  readonly oncall: Readonly<{ overrideMaxMs: number; handoffNoticeMs: number }>;
  /** Email and PagerDuty for pages; unset parts are off (a step by that method is recorded as not configured). */
  readonly notify: Readonly<NotifySettings>;
}

export const DEFAULT_PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
export const DEFAULT_PAGERDUTY_API_URL = 'https://api.pagerduty.com';

export interface NotifySettings {
  /** smtp://user:pass@host:port or smtps://… (SMTP_URL); unset: no email. */
  smtpUrl?: string;
  /** The From of page emails (EMAIL_FROM). */
  emailFrom?: string;
  /** Where Events API v2 events are posted (PAGERDUTY_EVENTS_URL). */
  pagerdutyEventsUrl: string;
  /** The v3 webhook subscription's secret (PAGERDUTY_WEBHOOK_SECRET); unset: POST /hooks/pagerduty answers 404. */
  pagerdutyWebhookSecret?: string;
  /** A read-only REST API key (PAGERDUTY_API_TOKEN): finds the email of whoever acknowledged in PagerDuty. */
  pagerdutyApiToken?: string;
  pagerdutyApiUrl: string;
}

export interface AlertsSettings {
  /** `Authorization: Bearer <token>` on both hooks (ALERTS_TOKEN). */
  token?: string;
  /** HMAC-SHA256 of `<timestamp>.<body>` on the generic hook (ALERTS_SIGNING_SECRET). */
  signingSecret?: string;
  /** Upstash QStash's signing keys: deliveries QStash signed are accepted on the generic hook. */
  qstash?: {
    currentSigningKey: string;
    nextSigningKey: string;
    /**
     * The public URLs QStash posts to (QSTASH_URL): a JWT's subject must be one of them, and the request's Host and
     * path are not looked at (a proxy in front may rewrite them). Unset: the subject must be the URL the bot sees.
     */
    urls?: readonly string[];
  };
  /** Incidents opened from alerts per source in 10 minutes, at most (ALERTS_MAX_INCIDENTS). */
  maxIncidents: number;
  /** Finished deliveries are deleted from the inbox this long after (ALERT_DELIVERY_RETENTION, default 30d). */
  deliveryRetentionMs: number;
  /** A card shows repeats of its alerts (counts, last seen) this long after, at most (ALERTS_REPEAT_REFRESH, 10s). */
  repeatRefreshMs: number;
  /**
   * A storm back at an incident it moved to or from less than this long ago is not told again (ALERTS_STORM_RETURN_GAP,
   * 10m): a flap.
   */
  stormReturnGapMs: number;
  /** First wait before on-call's copies of a withdrawn notice Slack refused are drawn again (ALERTS_DM_RETRY, 2s). */
  noticeDmRetryMs: number;
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
    ackThread: c.ACK_THREAD !== 'off',
    workNice: c.WORK_NICE,
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    databaseUrl: c.DATABASE_URL,
    databasePrepare: c.DATABASE_PREPARE !== 'off',
    databasePoolMax: c.DATABASE_POOL_MAX,
    dataDir: c.DATA_DIR,
    embeddedPgUser: c.EMBEDDED_PG_USER,
    incidentsChannel: c.INCIDENTS_CHANNEL,
    runbookFile: c.RUNBOOK_FILE,
    atomCli: c.ATOM_CLI ?? 'atom-cli',
    alembicCli: c.ALEMBIC_CLI ?? 'alembic',
    awsCli: c.AWS_CLI ?? 'aws',
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
    commandBaseDir: resolve(c.COMMAND_BASE_DIR ?? '.'),
    stepRunLeaseMs: c.STEP_RUN_LEASE,
    checklistPostLeaseMs: c.CHECKLIST_POST_LEASE,
    logLevel: c.LOG_LEVEL ?? 'info',
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
    timeZone: c.TIME_ZONE ?? 'UTC',
    statusPage: Object.freeze({
      title: c.STATUS_PAGE_TITLE ?? DEFAULT_STATUS_PAGE_TITLE,
      ...(c.STATUS_PAGE_URL ? { companyUrl: c.STATUS_PAGE_URL } : {}),
      ...(c.PUBLIC_BASE_URL ? { publicBaseUrl: c.PUBLIC_BASE_URL } : {}),
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
        ? {
            qstash: {
              currentSigningKey: c.QSTASH_CURRENT_SIGNING_KEY,
              nextSigningKey: c.QSTASH_NEXT_SIGNING_KEY,
              ...(c.QSTASH_URL ? { urls: c.QSTASH_URL } : {}),
            },
          }
        : {}),
      maxIncidents: c.ALERTS_MAX_INCIDENTS,
      deliveryRetentionMs: c.ALERT_DELIVERY_RETENTION,
      repeatRefreshMs: c.ALERTS_REPEAT_REFRESH,
      stormReturnGapMs: c.ALERTS_STORM_RETURN_GAP,
      noticeDmRetryMs: c.ALERTS_DM_RETRY,
    }),
    notify: Object.freeze({
      smtpUrl: c.SMTP_URL,
      emailFrom: c.EMAIL_FROM,
      pagerdutyEventsUrl: c.PAGERDUTY_EVENTS_URL ?? DEFAULT_PAGERDUTY_EVENTS_URL,
      pagerdutyWebhookSecret: c.PAGERDUTY_WEBHOOK_SECRET,
      pagerdutyApiToken: c.PAGERDUTY_API_TOKEN,
      pagerdutyApiUrl: c.PAGERDUTY_API_URL ?? DEFAULT_PAGERDUTY_API_URL,
    }),
    oncall: Object.freeze({ overrideMaxMs: c.ONCALL_OVERRIDE_MAX, handoffNoticeMs: c.ONCALL_HANDOFF_NOTICE }),
  });
}

/**
 * What the log masks by value: the configuration's secrets, and the COMMAND_ENV values with their names (so a value
 * too short to mask everywhere is masked as its variable's value), as a command's output is masked.
 */
export function logSecrets(config: Config): KnownSecret[] {
  return [...configSecrets(config), ...namedSecrets(config.commandEnv)];
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
  const { notify } = config;
  if (notify.smtpUrl) {
    try {
      const password = new URL(notify.smtpUrl).password;
      values.push(password, decodeURIComponent(password));
    } catch {
      // Masked by the URL rule all the same.
    }
  }
  values.push(notify.pagerdutyWebhookSecret ?? '', notify.pagerdutyApiToken ?? '');
  values.push(...Object.values(config.commandEnv));
  return values.filter((v): v is string => Boolean(v));
}
